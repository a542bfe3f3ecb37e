/**
 * Fuzzing through the real processor on a real broker: 100 000 random byte strings (a third
 * raw, a third behind a Confluent Avro header with the real schema id, so that the Avro
 * guard reads random bodies, a third opening like JSON) and 100 000 random JSON objects
 * (telemetry-shaped, with wrong, missing, extreme and extra fields — some of them valid).
 * The processor must not crash or stall, and the accounting identity must hold:
 * consumed = aggregated + late + deadLettered, with every input consumed and the DLQ
 * holding exactly the dead-lettered and late records.
 */
import fc from 'fast-check';
import type { Message } from 'kafkajs';
import { frameHeader, registerSchema, subjectFor } from '../../src/codec';
import { DLQ_HEADERS } from '../../src/kafka/dlq';
import { waitFor } from '../helpers/kafka';
import { endOffsets, header, produceOrdered, readAll } from './lib/kafka';
import { reportFigures } from '../helpers/figures';
import { prepareInProcess, startInProcess, type InProcess } from './lib/runner';
import { T0 } from './lib/workload';
import { useFaultBroker } from './lib/fixture';

const P = 3;
const N = 100_000;
const SEED = 20_260_101;
const fx = useFaultBroker('fuzz');
let run: InProcess | undefined;

fx.cleanups.push(async () => {
  await run?.runner.stop();
});

/** Values that break telemetry fields in every way a producer might. */
const anyValue = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    0,
    -1,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER,
    Infinity,
    -Infinity,
    'NaN',
    'Infinity',
    '',
    null,
    true,
    [],
    {},
  ),
  fc.string({ maxLength: 40 }),
  fc.array(fc.integer(), { maxLength: 3 }),
);

/** Telemetry-shaped objects: each field valid, wrong or missing; sometimes all valid. */
const fuzzObject = fc.record(
  {
    ts: fc.oneof(fc.integer({ min: T0, max: T0 + 600_000 }), fc.integer({ min: 0, max: 4e12 }), anyValue),
    source: fc.oneof(fc.constantFrom('worker-1', 'worker-2', 'svc-a'), fc.string({ maxLength: 300 }), anyValue),
    metric: fc.oneof(fc.constantFrom('queue.depth', 'requests', 'cpu.util'), fc.string({ maxLength: 20 }), anyValue),
    value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), anyValue),
    tags: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 }), { maxKeys: 40 }), anyValue),
    extra: anyValue,
  },
  { requiredKeys: [] },
);

test('100 000 random byte strings and 100 000 random JSON objects: no crash, every record accounted for', async () => {
  const prepared = await prepareInProcess(fx.inst, { partitions: P });
  const schemaId = await registerSchema(prepared.resolver, 'telemetry', subjectFor(prepared.topics.telemetry));
  const header0 = frameHeader(schemaId);

  const bytes = fc.sample(fc.uint8Array({ maxLength: 160 }), { numRuns: N, seed: SEED });
  const objects = fc.sample(fuzzObject, { numRuns: N, seed: SEED + 1 });
  const messages: Message[] = [];
  for (let i = 0; i < N; i++) {
    const b = Buffer.from(bytes[i]);
    const value = i % 3 === 0 ? b : i % 3 === 1 ? Buffer.concat([header0, b]) : Buffer.concat([Buffer.from('{'), b]);
    messages.push({ key: `b${i % 97}`, partition: i % P, value });
    messages.push({ key: `j${i % 89}`, partition: (i + 1) % P, value: Buffer.from(JSON.stringify(objects[i])) });
  }
  const t0 = Date.now();
  await produceOrdered(fx.inst, prepared.topics.telemetry, messages, 5_000);
  const produceMs = Date.now() - t0;
  expect(await endOffsets(fx.inst, prepared.topics.telemetry)).toBe(2 * N);

  run = await startInProcess(prepared);
  const t1 = Date.now();
  expect(await waitFor(() => run!.runner.counters().consumed >= 2 * N, 240_000, 50)).toBe(true);
  const processMs = Date.now() - t1;
  expect(run.runner.status()).toBe('RUNNING');
  const c = run.runner.counters();
  expect(c.consumed).toBe(2 * N);
  expect(c.consumed).toBe(c.aggregated + c.late + c.deadLettered);
  await run.runner.stop();

  const dlq = await readAll(fx.inst, prepared.topics.dlq);
  expect(dlq.length).toBe(c.deadLettered + c.late);
  const codes = new Map<string, number>();
  for (const m of dlq)
    codes.set(header(m, DLQ_HEADERS.code) ?? '', (codes.get(header(m, DLQ_HEADERS.code) ?? '') ?? 0) + 1);
  expect(codes.has('')).toBe(false);
  expect(codes.get('LATE') ?? 0).toBe(c.late);
  reportFigures('fuzz', {
    randomByteStrings: N,
    randomJsonObjects: N,
    consumed: c.consumed,
    aggregated: c.aggregated,
    late: c.late,
    deadLettered: c.deadLettered,
    byCode: Object.fromEntries([...codes].sort()),
    produceMs,
    processMs,
  });
});
