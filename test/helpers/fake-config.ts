/** A homeostat config for drivers run over the fake Kafka port (test/helpers/fake-kafka.ts): short topic names, JSON outputs. */
import { loadConfig, type HomeostatConfig } from '../../src/ops/config';

export function fakeConfig(): HomeostatConfig {
  return loadConfig({
    overrides: {
      kafka: { brokers: ['fake:9092'], groupId: 'g', transactionalIdPrefix: 'tx' },
      actions: { format: 'json' },
      topics: {
        telemetry: 't.telemetry',
        dlq: 't.dlq',
        signals: 't.signals',
        decisions: 't.decisions',
        actions: 't.actions',
        actionResults: 't.results',
        outcomes: 't.outcomes',
        control: 't.control',
        state: 't.state',
        stage: 't.stage',
      },
    },
  });
}
