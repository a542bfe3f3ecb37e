/**
 * The checks shared by the fault tests that interrupt a processor: read every output topic
 * back (read_committed) and compare it with the uninterrupted reference run of the records
 * actually on the telemetry topic. Returns the figures for docs/reliability.md.
 */
import { createRecordCodec } from '../../../src/codec';
import { DLQ_HEADERS } from '../../../src/kafka/dlq';
import { createRegistryResolver } from '../../../src/kafka/registry';
import type { HomeostatConfig } from '../../../src/config/homeostat-config';
import type { BrokerInstance } from '../../helpers/instance';
import { SIGNING, type TopicKey } from './cli';
import { header, readAll } from './kafka';
import { dumpForPostMortem, recordDiff, referenceRun, sortedBytes } from './reference';

export interface OutputFigures {
  records: number;
  signals: number;
  commands: number;
  decisions: number;
  outcomes: number;
  deadLettered: number;
  /** Input records in no closed window and not in the DLQ (the end markers excepted). */
  lost: number;
  duplicateCommandIds: number;
  commandIds: string[];
}

const NONE = { onlyLive: [], onlyReference: [], counts: [0, 0] };

export async function expectSameAsUninterrupted(
  name: string,
  inst: BrokerInstance,
  topics: Record<TopicKey, string>,
  config: HomeostatConfig,
  /** killSwitch: an operator pulled it at the end; its `killed` decisions are not in the reference (no control topic there). */
  expected: { records: number; partitions: number; endMarkers: number; killSwitch?: boolean },
): Promise<OutputFigures> {
  const telemetry = await readAll(inst, topics.telemetry);
  // Produced once, in order, with the broker up: the topic holds exactly the input.
  expect(telemetry.length).toBe(expected.records);
  // Avro telemetry is decoded with the writer schemas of the registry the processor used.
  const ref = await referenceRun(telemetry, {
    config,
    partitions: expected.partitions,
    signing: SIGNING,
    resolver: createRegistryResolver(config.registry),
  });
  const signals = sortedBytes(await readAll(inst, topics.signals));
  const actions = await readAll(inst, topics.actions);
  const allDecisions = sortedBytes(await readAll(inst, topics.decisions));
  const byKillSwitch = (b: Buffer): boolean =>
    (JSON.parse(b.subarray(b.indexOf(0) + 1).toString('utf8')) as { guardrail: string | null }).guardrail === 'killed';
  const decisions = expected.killSwitch ? allDecisions.filter((b) => !byKillSwitch(b)) : allDecisions;
  const dlq = await readAll(inst, topics.dlq);
  const outcomes = sortedBytes(await readAll(inst, topics.outcomes));
  dumpForPostMortem(`${name}.signals`, signals, ref.signals);
  dumpForPostMortem(`${name}.actions`, sortedBytes(actions), ref.commandBytes);
  dumpForPostMortem(`${name}.decisions`, decisions, ref.decisionBytes);

  // Every field of every signal as in the uninterrupted run, EWMA and trend included (their
  // history crosses a restart on the state topic: src/kafka/history-checkpoint.ts).
  expect(recordDiff(signals, ref.signals)).toEqual(NONE);
  // Commands and decisions: byte for byte, none lost, none repeated.
  expect(ref.commands.length).toBeGreaterThan(50);
  expect(recordDiff(sortedBytes(actions), ref.commandBytes)).toEqual(NONE);
  expect(recordDiff(decisions, ref.decisionBytes)).toEqual(NONE);
  expect(recordDiff(outcomes, ref.outcomeBytes)).toEqual(NONE);
  const commandCodec = createRecordCodec('command');
  const ids = actions.map((m) => commandCodec.decodeJson(m.value!).id);
  expect(new Set(ids).size).toBe(ids.length);

  // Accounting from the outputs alone: each input record is in exactly one closed series
  // window or in the DLQ (the end markers sit in windows that never close).
  const signalCodec = createRecordCodec('signal');
  let aggregated = 0;
  for (const b of signals) {
    const s = signalCodec.decodeJson(b.subarray(b.indexOf(0) + 1));
    if (s.scope === 'series' && !s.partial) aggregated += s.count;
  }
  const lost = expected.records - (aggregated + dlq.length + expected.endMarkers);
  expect(lost).toBe(0);
  expect(dlq.length).toBe(ref.counters.deadLettered + ref.counters.late);
  const codes = new Map<string, number>();
  for (const m of dlq)
    codes.set(header(m, DLQ_HEADERS.code) ?? '', (codes.get(header(m, DLQ_HEADERS.code) ?? '') ?? 0) + 1);
  expect(Object.fromEntries(codes)).toEqual(Object.fromEntries(ref.deadByCode));

  return {
    records: expected.records,
    signals: signals.length,
    commands: ids.length,
    decisions: decisions.length,
    outcomes: outcomes.length,
    deadLettered: dlq.length,
    lost,
    duplicateCommandIds: ids.length - new Set(ids).size,
    commandIds: ids,
  };
}
