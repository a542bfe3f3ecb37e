/**
 * An action storm: all 500 workers of a fleet overload in the same second. The processor
 * (`homeostat run`, enforce mode) must not fire 500 commands: the guardrails — blast radius
 * (10% of the known targets), the policy's and the global token buckets, the lease cap —
 * cap them, and every proposal they stop is recorded as a `blocked` decision naming the
 * guardrail, on the decisions topic. Commands and decisions equal the pure pipeline's.
 */
import { join } from 'node:path';
import type { Message } from 'kafkajs';
import { createRecordCodec, encodeTelemetryJson } from '../../src/codec';
import type { Command } from '../../src/model/command';
import type { Decision } from '../../src/model/decision';
import { loadConfig } from '../../src/config/homeostat-config';
import { randomName, waitFor } from '../helpers/kafka';
import { SIGNING, caughtUp, startCliProcessor, stopChild, topicNames, writeFaultConfig } from './lib/cli';
import { createProcessorTopics, produceOrdered, readAll } from './lib/kafka';
import { recordDiff, referenceRun, sortedBytes } from './lib/reference';
import { reportFigures } from '../helpers/figures';
import { T0, endMarkers } from './lib/workload';
import { useFaultBroker } from './lib/fixture';

const P = 3;
const WORKERS = 500;
const SECONDS = 10;
const fx = useFaultBroker('storm');
const { dir, children } = fx;

/** Every worker reports a queue of 120 (the high watermark is 50) ten times a second. */
function storm(): Message[] {
  const out: Message[] = [];
  for (let tick = 0; tick < SECONDS * 10; tick++) {
    for (let w = 0; w < WORKERS; w++) {
      const source = `worker-${w}`;
      out.push({
        key: source,
        partition: w % P,
        value: encodeTelemetryJson({ ts: T0 + tick * 100, source, metric: 'queue.depth', value: 120, tags: {} }),
      });
    }
  }
  return out;
}

test('500 workers overloaded at once: the guardrails cap the commands and record the rest as blocked decisions', async () => {
  const prefix = randomName('st');
  const topics = topicNames(prefix);
  const { file, raw } = writeFaultConfig(dir, prefix, fx.inst, { partitions: P });
  const groupId = (raw.kafka as { groupId: string }).groupId;
  const config = loadConfig({ file });
  await createProcessorTopics(fx.inst, config.topics);
  const input = [...storm(), ...endMarkers(P, T0 + 3_600_000)];
  await produceOrdered(fx.inst, topics.telemetry, input, 5_000);

  const proc = startCliProcessor(file, fx.inst, join(dir, `${prefix}.log`));
  children.push(proc);
  expect(await waitFor(() => caughtUp(fx.inst, groupId, topics.telemetry), 180_000, 500)).toBe(true);
  expect(await stopChild(proc, 'SIGTERM')).toBe(0);

  const actions = await readAll(fx.inst, topics.actions);
  const decisionRecords = await readAll(fx.inst, topics.decisions);
  const commands: Command[] = actions.map((m) => createRecordCodec('command').decodeJson(m.value!));
  const decisions: Decision[] = decisionRecords.map((m) => createRecordCodec('decision').decodeJson(m.value!));
  const blocked = decisions.filter((d) => d.kind === 'blocked');
  const byGuardrail: Record<string, number> = {};
  for (const d of blocked) byGuardrail[d.guardrail ?? ''] = (byGuardrail[d.guardrail ?? ''] ?? 0) + 1;

  // Capped: never more than the blast radius (10% of 500 known targets) under command at once.
  const targets = new Set(commands.filter((c) => c.type === 'query_timeout.set').map((c) => c.target));
  expect(targets.size).toBeGreaterThan(0);
  expect(targets.size).toBeLessThanOrEqual(WORKERS * 0.1);
  // Every command has its `acted` decision; the rest of the storm is on record as blocked.
  expect(decisions.filter((d) => d.kind === 'acted').length).toBe(commands.length);
  expect(blocked.length).toBeGreaterThan(WORKERS);
  expect(blocked.every((d) => d.guardrail !== null && d.guardrail !== '')).toBe(true);
  expect(new Set(commands.map((c) => c.id)).size).toBe(commands.length);

  // And exactly what the pure pipeline decides for the same records.
  const ref = await referenceRun(await readAll(fx.inst, topics.telemetry), { config, partitions: P, signing: SIGNING });
  const none = { onlyLive: [], onlyReference: [], counts: [0, 0] };
  expect(recordDiff(sortedBytes(actions), ref.commandBytes)).toEqual(none);
  expect(recordDiff(sortedBytes(decisionRecords), ref.decisionBytes)).toEqual(none);

  reportFigures('action-storm', {
    workers: WORKERS,
    overloadedWindows: SECONDS,
    records: input.length,
    commands: commands.length,
    targetsCommanded: targets.size,
    decisions: decisions.length,
    blocked: blocked.length,
    blockedByGuardrail: byGuardrail,
    escalated: decisions.filter((d) => d.kind === 'escalated').length,
  });
});
