/**
 * An executor on a fault test's broker that records what it applies, with a clock that
 * stands still at the workload's start: the commands of a recorded workload carry event
 * times, not today's, and would otherwise all be reported `expired` instead of applied.
 */
import type { Consumer } from 'kafkajs';
import { createRecordCodec, type ActionResultRecord } from '../../../src/codec';
import { createExecutor, type Executor, type ExecutorOptions } from '../../../src/executor';
import type { Command } from '../../../src/model/command';
import type { BrokerInstance } from '../../helpers/instance';
import { randomName } from '../../helpers/kafka';
import { createLogger } from '../../../src/ops/logger';
import { KEYRING } from './cli';
import { faultKafka } from './kafka';

export interface RecordingExecutor {
  executor: Executor;
  /** Every apply and revert call, in order (a command id twice here = applied twice). */
  calls: { id: string; type: string; target: string }[];
}

export function recordingExecutor(
  inst: BrokerInstance,
  topics: { actions: string; actionResults: string },
  clockAt: number,
  overrides: Partial<ExecutorOptions> = {},
): RecordingExecutor {
  const calls: RecordingExecutor['calls'] = [];
  const executor = createExecutor({
    name: randomName('exec'),
    kafka: inst.kafkaConfig({ sessionTimeoutMs: 6000, heartbeatIntervalMs: 600 }),
    topics,
    types: ['query_timeout.set', 'query_timeout.revert'],
    keyring: KEYRING,
    maxClockSkewMs: 24 * 3600_000,
    clock: { now: () => clockAt },
    fromBeginning: true,
    leaseCheckIntervalMs: 60_000,
    // TEST_LOG=info shows the executor's own log (stderr) when a test needs a post-mortem.
    ...(process.env.TEST_LOG ? { logger: createLogger({ level: process.env.TEST_LOG, name: 'faults-executor' }) } : {}),
    apply: (cmd: Command) => {
      calls.push({ id: cmd.id, type: cmd.type, target: cmd.target });
      return Promise.resolve({ previous: { timeoutMs: '8000' } });
    },
    revert: (req) => {
      calls.push({ id: req.command.id, type: req.command.type, target: req.target });
      return Promise.resolve({ detail: 'restored' });
    },
    ...overrides,
  });
  return { executor, calls };
}

/**
 * Follows a JSON results topic (read_committed) as results arrive. Survives broker restarts:
 * kafkajs gives a consumer up for good after a non-retriable error, so a crashed one is
 * replaced (same group, so it resumes from the committed position; records seen twice are
 * kept once, by partition and offset).
 */
export async function followResults(
  inst: BrokerInstance,
  topic: string,
): Promise<{ results: ActionResultRecord[]; stop: () => Promise<void> }> {
  const codec = createRecordCodec('action-result');
  const groupId = randomName('results');
  const results: ActionResultRecord[] = [];
  const seen = new Set<string>();
  let consumer: Consumer | undefined;
  let stopped = false;
  const start = async (): Promise<void> => {
    const c = faultKafka(inst).consumer({ groupId, readUncommitted: false });
    consumer = c;
    c.on(c.events.CRASH, (e) => {
      if (e.payload.restart || stopped || consumer !== c) return;
      void c
        .disconnect()
        .catch(() => undefined)
        .then(() => start())
        .catch(() => undefined);
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      eachMessage: ({ partition, message }) => {
        const k = `${partition}:${message.offset}`;
        if (!seen.has(k)) {
          seen.add(k);
          results.push(codec.decodeJson(message.value!));
        }
        return Promise.resolve();
      },
    });
  };
  await start();
  return {
    results,
    stop: async () => {
      stopped = true;
      await consumer?.disconnect();
    },
  };
}
