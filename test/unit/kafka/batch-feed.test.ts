/**
 * The batch loop reads the records the one-pass readers answer for in runs, then steps them
 * (src/kafka/fast-run.ts). It must do what the loop before it did record by record — kept here
 * as `feedOneByOne`, the definition: the same steps and restores in the same order with the
 * same inputs, the same decodes (each record read by the one-pass reader once, a refused one
 * decoded by the general path at its place, after every earlier record's step), the same
 * restored count, the same last offset, the same heartbeats, the same stop after a schema fetch.
 *
 * The batches mix, across run boundaries: Avro under the reader's schema (unknown to the
 * decoder until fetched: a schema miss), under another writer schema (refused by the one-pass
 * reader, read by the general path), under an id the registry does not know; JSON, plain and
 * spelt with an escape; bad JSON, a tombstone, line protocol (not telemetry to the native
 * decoder), a record too far ahead of its Kafka timestamp; and a checkpoint inside a run.
 */
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { createTelemetryDecoder, encodeTelemetryJson } from '../../../src/codec';
import { DEFAULT_TELEMETRY_LIMITS } from '../../../src/codec';
import { createIngestDecoder } from '../../../src/ingest';
import { Accounting } from '../../../src/kafka/accounting';
import { BatchDecoder, type FeedTarget } from '../../../src/kafka/batch-decoder';
import { feedBatch } from '../../../src/kafka/batch-feed';
import { createBatchDead, type BatchDead } from '../../../src/kafka/dlq-arrival';
import { RUN_LENGTH } from '../../../src/kafka/fast-run';
import { newProgress } from '../../../src/kafka/runner-state';
import { createSourcePartitionWatch } from '../../../src/kafka/source-partitions';
import type { Telemetry } from '../../../src/model/telemetry';
import { emptyOutputs, type Processor, type ProcessorInput } from '../../../src/pipeline/processor';
import { mulberry32 as prng } from '../../../src/client/random';
import { EVOLVED_ID, OWN_ID, UNKNOWN_ID, evolved, frame, lookup, own } from '../../helpers/telemetry-writers';

const T0 = Date.UTC(2026, 0, 1);
const logger = pino({ level: 'silent' });

/** The value of record `i` in one of the forms above, picked by `kind`. */
function value(kind: number, t: Telemetry): Buffer | null {
  switch (kind) {
    case 0:
      return Buffer.from(encodeTelemetryJson(t));
    case 1:
      return frame(OWN_ID, own.toBuffer(t));
    case 2:
      return frame(EVOLVED_ID, evolved.toBuffer(t));
    case 3:
      return frame(UNKNOWN_ID, own.toBuffer(t));
    case 4: // valid JSON the one-pass reader leaves to the general path
      return Buffer.from(encodeTelemetryJson(t).toString().replace('"ts"', '"t\\u0073"'));
    case 5:
      return Buffer.from('{"ts":');
    case 6:
      return null;
    default:
      return Buffer.from(`cpu,host=${t.source} value=${t.value} ${t.ts}000000`);
  }
}

/** `n` records, mostly readable in one pass, every odd form scattered over them (seeded). */
function workload(n: number, seed: number, odd: number): KafkaMessage[] {
  const rnd = prng(seed);
  const out: KafkaMessage[] = [];
  for (let i = 0; i < n; i++) {
    const ts = T0 + i * 10;
    const t: Telemetry = {
      ts,
      source: `w-${Math.floor(rnd() * 5)}`,
      metric: rnd() < 0.5 ? 'queue.depth' : 'requests',
      value: Math.round(rnd() * 1000) / 10,
      tags: { role: 'worker', tenant: `t-${Math.floor(rnd() * 3)}` },
    };
    const kind = rnd() < odd ? 2 + Math.floor(rnd() * 6) : Math.floor(rnd() * 2);
    // Now and then an event time 10 minutes ahead of the Kafka timestamp: refused after the reading.
    const kafkaTs = rnd() < 0.02 ? ts - 600_000 : ts;
    const m = { key: null, value: value(kind, t), timestamp: String(kafkaTs), offset: String(1000 + i), headers: {} };
    out.push(m as unknown as KafkaMessage);
  }
  return out;
}

/** `n` line-protocol records of `lines` samples each, a schema miss among them: the batch loop heartbeats by samples. */
function manySamples(n: number, lines: number): KafkaMessage[] {
  const out: KafkaMessage[] = [];
  for (let i = 0; i < n; i++) {
    const ts = T0 + i * 1000;
    const text = Array.from({ length: lines }, (_, k) => `cpu,host=h${k % 7} value=${k} ${ts + k}000000`).join('\n');
    const v =
      i === 5 ? frame(OWN_ID, own.toBuffer({ ts, source: 'w', metric: 'm', value: 1, tags: {} })) : Buffer.from(text);
    const m = { key: null, value: v, timestamp: String(ts), offset: String(1000 + i), headers: {} };
    out.push(m as unknown as KafkaMessage);
  }
  return out;
}

/** A processor that writes down what it is handed, as text at the time of the call (the input is reused). */
function tracingProcessor(trace: string[]): Processor {
  const text = (how: string, input: ProcessorInput): string => {
    if (input.kind === 'record') return `${how} record ${input.offset} ${JSON.stringify(input.record)}`;
    if (input.kind === 'invalid') return `${how} invalid ${input.offset} ${input.code} ${input.message}`;
    if (input.kind === 'records') return `${how} records ${input.offset} ${JSON.stringify(input.records)}`;
    return `${how} ${input.kind}`;
  };
  return {
    step: (input: ProcessorInput) => trace.push(text('step', input)),
    restore: (input: ProcessorInput) => trace.push(text('restore', input)),
  } as unknown as Processor;
}

interface Harness {
  decoder: BatchDecoder;
  target: FeedTarget;
  accounting: Accounting;
  dead: BatchDead;
  /** Decodes and steps, in the order they happened. */
  trace: string[];
  heartbeats: number;
}

/** A batch decoder of its own (its schema cache starts empty), tracing every decode. */
function harness(restoreBelow: bigint, foreign: boolean): Harness {
  const trace: string[] = [];
  const accounting = new Accounting('t', undefined);
  const dead = createBatchDead();
  const limits = DEFAULT_TELEMETRY_LIMITS;
  const decoder = new BatchDecoder({
    decoder: createTelemetryDecoder({ resolver: lookup, limits }),
    ingest: foreign ? createIngestDecoder({ resolver: lookup }) : undefined,
    limits,
    logger,
    accounting,
    sourcePartitions: createSourcePartitionWatch({ logger }),
    dead,
  });
  decoder.arrival = T0 + 3_600_000;
  const fast = decoder.decodeFast.bind(decoder);
  const sync = decoder.decodeSync.bind(decoder);
  decoder.decodeFast = (m) => {
    const v = fast(m);
    trace.push(`fast ${m.offset} ${v === undefined ? 'refused' : 'read'}`);
    return v;
  };
  decoder.decodeSync = (m, p) => {
    const r = sync(m, p);
    trace.push(`sync ${m.offset} ${r.status}`);
    return r;
  };
  const progress = { ...newProgress(), restoreBelow };
  const target = { partition: 0, proc: tracingProcessor(trace), progress, restoring: false, out: emptyOutputs() };
  return { decoder, target, accounting, dead, trace, heartbeats: 0 };
}

function payload(h: Harness, messages: KafkaMessage[], staleAfterMisses: number): EachBatchPayload {
  return {
    batch: { messages },
    heartbeat: () => {
      h.heartbeats++;
      return Promise.resolve();
    },
    isRunning: () => true,
    isStale: () => h.trace.filter((l) => / schema-miss$/.test(l)).length >= staleAfterMisses,
  } as unknown as EachBatchPayload;
}

/** The batch loop before runs, record by record (the definition of what feedBatch must do). */
async function feedOneByOne(p: EachBatchPayload, t: FeedTarget, d: BatchDecoder, dead: BatchDead) {
  const { batch, heartbeat, isRunning, isStale } = p;
  const restoreBelow = t.progress.restoreBelow;
  let last: string | undefined;
  let samplesSinceBeat = 0;
  for (const m of batch.messages) {
    t.restoring = restoreBelow > 0n && BigInt(m.offset) < restoreBelow;
    const v = d.decodeFast(m);
    if (v !== undefined) {
      d.stepValue(m, v, t);
      last = m.offset;
      continue;
    }
    let r = d.decodeSync(m, t.partition);
    if (r.status === 'schema-miss') {
      r = await d.afterMiss(m, t.partition, r.schemaId);
      if (!isRunning() || isStale()) break;
    }
    const samples = d.step(m, r, t);
    last = m.offset;
    if (!d.foreign) continue;
    dead.fold(t.out.dead);
    samplesSinceBeat += samples;
    if (samplesSinceBeat >= 100_000) {
      samplesSinceBeat = 0;
      await heartbeat();
      if (!isRunning() || isStale()) break;
    }
  }
  return last;
}

interface Case {
  messages: KafkaMessage[];
  restoreBelow: bigint;
  foreign?: boolean;
  staleAfterMisses?: number;
  /** The case is meant to heartbeat (foreign records of many samples). */
  heartbeats?: boolean;
}

async function both(c: Case) {
  const run = async (feed: typeof feedBatch) => {
    const h = harness(c.restoreBelow, c.foreign ?? false);
    const last = await feed(payload(h, c.messages, c.staleAfterMisses ?? Infinity), h.target, h.decoder, h.dead);
    return { last, trace: h.trace, restored: h.accounting.counters().restored, heartbeats: h.heartbeats };
  };
  return { runs: await run(feedBatch), oneByOne: await run(feedOneByOne) };
}

/** Only the lines of the given kinds, in order. */
const only = (trace: string[], ...kinds: string[]): string[] => trace.filter((l) => kinds.includes(l.split(' ')[0]));

describe('feedBatch: runs read, then stepped, as record by record', () => {
  const cases: [string, Case][] = [
    ['mostly readable in one pass, a few odd ones', { messages: workload(700, 1, 0.03), restoreBelow: -1n }],
    ['odd every few records', { messages: workload(500, 2, 0.3), restoreBelow: -1n }],
    ['a checkpoint inside a run', { messages: workload(600, 3, 0.05), restoreBelow: BigInt(1000 + RUN_LENGTH + 37) }],
    ['a checkpoint at a run boundary', { messages: workload(400, 4, 0.02), restoreBelow: BigInt(1000 + RUN_LENGTH) }],
    ['all below the checkpoint', { messages: workload(300, 5, 0.1), restoreBelow: 5000n }],
    [
      'stale after the second schema fetch',
      { messages: workload(600, 6, 0.05), restoreBelow: -1n, staleAfterMisses: 2 },
    ],
    [
      'foreign formats (every record the general path)',
      { messages: workload(300, 7, 0.3), restoreBelow: 1100n, foreign: true },
    ],
    [
      'foreign records of many samples (heartbeats)',
      { messages: manySamples(40, 3000), restoreBelow: 1010n, foreign: true, heartbeats: true },
    ],
  ];

  test.each(cases)('%s', async (_name, c) => {
    const { runs, oneByOne } = await both(c);
    // The workload takes every path: one-pass reads, refusals, schema misses, restores.
    expect(oneByOne.trace.some((l) => / schema-miss$/.test(l))).toBe(true);
    const read = oneByOne.trace.filter((l) => l.endsWith(' read')).length;
    if (!c.foreign && c.staleAfterMisses === undefined) expect(read).toBeGreaterThan(c.messages.length / 2);
    if (c.staleAfterMisses !== undefined) expect(oneByOne.last).not.toBe(c.messages[c.messages.length - 1].offset);
    if (c.heartbeats) expect(oneByOne.heartbeats).toBeGreaterThan(0);
    // Steps and restores: the same inputs in the same order.
    expect(only(runs.trace, 'step', 'restore')).toEqual(only(oneByOne.trace, 'step', 'restore'));
    // Decodes: each record read by the one-pass reader once, in order; the refused ones by the general path.
    expect(only(runs.trace, 'fast', 'sync')).toEqual(only(oneByOne.trace, 'fast', 'sync'));
    // A refused record is decoded after every earlier record was stepped.
    expect(only(runs.trace, 'sync', 'step', 'restore')).toEqual(only(oneByOne.trace, 'sync', 'step', 'restore'));
    expect({ last: runs.last, restored: runs.restored, heartbeats: runs.heartbeats }).toEqual({
      last: oneByOne.last,
      restored: oneByOne.restored,
      heartbeats: oneByOne.heartbeats,
    });
  });

  test('each record is read by the one-pass reader at most once', async () => {
    const { runs } = await both({ messages: workload(700, 8, 0.2), restoreBelow: -1n });
    const reads = only(runs.trace, 'fast').map((l) => l.split(' ')[1]);
    expect(new Set(reads).size).toBe(reads.length);
    expect(reads).toHaveLength(700);
  });
});
