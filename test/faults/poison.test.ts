/**
 * A poison corpus mixed into good telemetry — truncated Avro, wrong magic bytes, unknown
 * schema ids, huge and numerous tags, NaN and ±Infinity, event times in 1970 and 3000,
 * invalid UTF-8, tombstones, broken JSON, duplicates of each, and values of nearly the
 * broker's 1 MB record limit. Every poison record lands in the DLQ with its reason, the
 * signals are byte-identical to those of the same good records without poison, and the
 * throughput with poison is measured against the throughput without (reported, not asserted).
 */
import { createHash } from 'node:crypto';
import type { Message } from 'kafkajs';
import { registerSchema, subjectFor } from '../../src/codec';
import type { ErrorCode } from '../../src/errors';
import { DLQ_HEADERS } from '../../src/kafka/dlq';
import { waitFor } from '../helpers/kafka';
import { header, produceOrdered, readAll } from './lib/kafka';
import { nearMaxValue, poisonKinds, poisonMessages } from './lib/poison';
import { recordDiff, sortedBytes } from './lib/reference';
import { reportFigures } from '../helpers/figures';
import { prepareInProcess, startInProcess, type InProcess } from './lib/runner';
import { T0, endMarkers, fleet, halfAvro } from './lib/workload';
import { useFaultBroker } from './lib/fixture';

const P = 3;
const fx = useFaultBroker('poison');
const { running } = fx;

/** Starts a runner on a produced backlog; resolves with its records/s once it has consumed `total`. */
async function drain(
  p: Omit<InProcess, 'runner'>,
  total: number,
): Promise<{ run: InProcess; perSec: number; good: number }> {
  const run = await startInProcess(p);
  running.push(run);
  // From the first committed batch to the last: the group join is not part of the throughput.
  expect(await waitFor(() => run.runner.counters().consumed > 0, 60_000, 5)).toBe(true);
  const c0 = run.runner.counters().consumed;
  const t0 = process.hrtime.bigint();
  expect(await waitFor(() => run.runner.counters().consumed >= total, 180_000, 5)).toBe(true);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { run, perSec: (total - c0) / seconds, good: 0 };
}

test('poison lands in the DLQ with the right reasons, the signals are untouched, throughput holds', async () => {
  const clean = await prepareInProcess(fx.inst, { partitions: P });
  const dirty = await prepareInProcess(fx.inst, { partitions: P, resolver: clean.resolver });
  // Registered in the shared Schema Registry (the faults tier's globalSetup makes sure it runs):
  // one schema id for both topics (the registry's content ids), so Avro good records are the same bytes.
  const schemaId = await registerSchema(clean.resolver, 'telemetry', subjectFor(clean.topics.telemetry));
  await registerSchema(clean.resolver, 'telemetry', subjectFor(dirty.topics.telemetry));
  // Good records: every other one as Avro, so both decoders carry load.
  const good: Message[] = halfAvro(fleet({ workers: 40, seconds: 200, partitions: P, seed: 3 }), schemaId);
  const eos = endMarkers(P, T0 + 3_600_000);

  const kinds = poisonKinds(schemaId, (i) => T0 + i * 10);
  const poison = poisonMessages(kinds, 12_000, P);
  // One poison record after every 8 good ones (≈ 11% of the input), in order.
  const mixed: Message[] = [];
  const expected = new Map<ErrorCode, number>();
  for (let i = 0, j = 0; i < good.length; i++) {
    mixed.push(good[i]);
    if (i % 8 === 7 && j < poison.messages.length) {
      mixed.push(poison.messages[j]);
      expected.set(poison.codes[j], (expected.get(poison.codes[j]) ?? 0) + 1);
      j++;
    }
  }
  const poisonUsed = mixed.length - good.length;

  await produceOrdered(fx.inst, clean.topics.telemetry, [...good, ...eos]);
  await produceOrdered(fx.inst, dirty.topics.telemetry, mixed.slice(0, mixed.length / 2));
  // Nearly 1 MB each: one per request, or the request would exceed the broker's limit.
  const big = [0, 1, 2, 0, 1].map((p) => ({ key: 'big', partition: p, value: nearMaxValue(T0 + 50_000) }));
  for (const m of big) await produceOrdered(fx.inst, dirty.topics.telemetry, [m], 1);
  await produceOrdered(fx.inst, dirty.topics.telemetry, [...mixed.slice(mixed.length / 2), ...eos]);
  expected.set('RECORD_TOO_LARGE', (expected.get('RECORD_TOO_LARGE') ?? 0) + big.length);
  const poisonTotal = poisonUsed + big.length;

  const a = await drain(clean, good.length + eos.length);
  await a.run.runner.stop();
  const b = await drain(dirty, good.length + eos.length + poisonTotal);
  await b.run.runner.stop();

  const ca = a.run.runner.counters();
  const cb = b.run.runner.counters();
  expect(cb.consumed).toBe(good.length + eos.length + poisonTotal);
  expect(cb.consumed).toBe(cb.aggregated + cb.late + cb.deadLettered);
  expect(cb.deadLettered).toBe(poisonTotal);
  expect(cb.late).toBe(0);
  expect(cb.aggregated).toBe(ca.aggregated);

  const dlq = await readAll(fx.inst, dirty.topics.dlq);
  expect(dlq.length).toBe(poisonTotal);
  const codes = new Map<string, number>();
  for (const m of dlq) {
    const code = header(m, DLQ_HEADERS.code) ?? '';
    codes.set(code, (codes.get(code) ?? 0) + 1);
    expect(header(m, DLQ_HEADERS.message)?.length).toBeGreaterThan(0);
    expect(header(m, DLQ_HEADERS.topic)).toBe(dirty.topics.telemetry);
  }
  expect(Object.fromEntries(codes)).toEqual(Object.fromEntries(expected));
  // Values that fit the DLQ topic are kept whole; the ~1 MB ones are cut to fit it, and their
  // headers say so with the original's size and sha256 (the whole original stays in the
  // telemetry topic at the offset the headers name).
  const cut = dlq.filter((m) => header(m, DLQ_HEADERS.truncated) === 'true');
  expect(cut.length).toBe(big.length);
  const original = big[0].value;
  for (const m of cut) {
    expect(Number(header(m, DLQ_HEADERS.valueBytes))).toBe(original.length);
    expect(header(m, DLQ_HEADERS.valueSha256)).toBe(createHash('sha256').update(original).digest('hex'));
    expect(m.value?.length ?? 0).toBeLessThan(original.length);
  }

  // Poison changed no signal.
  const sa = sortedBytes(await readAll(fx.inst, clean.topics.signals));
  const sb = sortedBytes(await readAll(fx.inst, dirty.topics.signals));
  expect(sa.length).toBeGreaterThan(1000);
  expect(recordDiff(sb, sa)).toEqual({ onlyLive: [], onlyReference: [], counts: [0, 0] });

  const goodPerSecWithPoison = (b.perSec * (good.length + eos.length)) / cb.consumed;
  const bytes = (list: Message[]): number => list.reduce((n, m) => n + ((m.value as Buffer | null)?.length ?? 0), 0);
  reportFigures('poison', {
    goodRecords: good.length,
    poisonRecords: poisonTotal,
    goodMB: Number((bytes(good) / 1e6).toFixed(1)),
    poisonMB: Number(((bytes(mixed) - bytes(good) + bytes(big)) / 1e6).toFixed(1)),
    poisonKinds: kinds.length + 1,
    byCode: Object.fromEntries(codes),
    cleanRecordsPerSec: Math.round(a.perSec),
    mixedRecordsPerSec: Math.round(b.perSec),
    goodRecordsPerSecWithPoison: Math.round(goodPerSecWithPoison),
    ratioGoodThroughput: Number((goodPerSecWithPoison / a.perSec).toFixed(3)),
    ratioAllRecords: Number((b.perSec / a.perSec).toFixed(3)),
  });
});
