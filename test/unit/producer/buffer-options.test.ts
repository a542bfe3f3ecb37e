import fc from 'fast-check';
import { DEFAULT_TELEMETRY_LIMITS, validateTelemetry } from '../../../src/codec';
import { ConfigError, InputError } from '../../../src/errors';
import { mergeTags, sampleProblem } from '../../../src/producer/validate';
import { createBoundedBuffer, type BoundedBuffer, type Chunk, type Sample } from '../../../src/producer/buffer';
import { resolveProducerOptions } from '../../../src/producer';

const t = (value: number): Sample => ({ ts: 1_714_564_800_000, metric: 'm', value, tags: {} });
const append = (b: BoundedBuffer, s: Sample): boolean => b.tryAppend(s.metric, s.value, s.ts, s.tags);
const values = (c: Chunk | undefined): number[] | undefined =>
  c ? Array.from({ length: c.batch.length }, (_, i) => c.batch.value(i)) : undefined;

describe('bounded buffer', () => {
  it('keeps FIFO order through chunks and waiters, and never holds more than its capacity (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant('send' as const), fc.constant('seal' as const), fc.nat(12)), { maxLength: 60 }),
        (ops) => {
          const b = createBoundedBuffer(10, 4);
          const out: number[] = [];
          let next = 0;
          let admitted = 0;
          for (const op of ops) {
            if (op === 'send') {
              const c = b.nextSendable();
              if (c) {
                out.push(...values(c)!);
                b.completeOldest();
              }
            } else if (op === 'seal') b.sealOpen();
            else {
              for (let i = 0; i < op; i++) {
                const rec = t(next++);
                if (!append(b, rec)) b.enqueueWaiter({ sample: rec, settle: (ok) => (admitted += ok ? 1 : 0) });
              }
            }
            expect(b.size).toBeLessThanOrEqual(10);
            expect(b.waiting).toBeLessThanOrEqual(10);
          }
          // Whatever went out went out in the order it was offered.
          expect(out).toEqual(out.map((_, i) => i));
          expect(admitted).toBeLessThanOrEqual(next);
        },
      ),
    );
  });

  it('seals a chunk when it reaches the batch size, and only sealed chunks are sendable', () => {
    const b = createBoundedBuffer(10, 3);
    append(b, t(1));
    expect(b.nextSendable()).toBeUndefined();
    expect(b.hasOpen()).toBe(true);
    append(b, t(2));
    append(b, t(3));
    expect(values(b.nextSendable())).toEqual([1, 2, 3]);
    append(b, t(4));
    append(b, t(5));
    b.sealOpen();
    b.completeOldest();
    expect(values(b.nextSendable())).toEqual([4, 5]);
    // A partly acknowledged batch keeps only its unsent tail.
    expect(b.ackOldest(1)).toBe(1);
    expect(values(b.nextSendable())).toEqual([5]);
    expect(b.size).toBe(1);
  });

  it('lets no new sample overtake a waiting one, and bounds the waiters too', () => {
    const b = createBoundedBuffer(2, 2);
    append(b, t(1));
    append(b, t(2));
    const settled: number[] = [];
    expect(b.enqueueWaiter({ sample: t(3), settle: () => settled.push(3) })).toBe(true);
    expect(b.enqueueWaiter({ sample: t(4), settle: () => settled.push(4) })).toBe(true);
    expect(b.enqueueWaiter({ sample: t(5), settle: () => settled.push(5) })).toBe(false);
    b.completeOldest();
    expect(settled).toEqual([3, 4]);
    expect(append(b, t(6))).toBe(false);
  });
});

describe('producer options', () => {
  it('lists every problem with its fix', () => {
    try {
      resolveProducerOptions({
        kafka: { brokers: ['nohost'] },
        topic: 'bad topic',
        source: '',
        format: 'avro',
        maxBatchRecords: 100,
        maxBufferedRecords: 10,
        onFull: 'wait' as 'block',
      });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const issues = (err as ConfigError).issues.join('\n');
      expect(issues).toMatch(/kafka\.brokers\.0: a broker is host:port/);
      expect(issues).toMatch(/topic "bad topic"/);
      expect(issues).toMatch(/source must be a non-empty string/);
      expect(issues).toMatch(/format 'avro' needs registry\.url/);
      expect(issues).toMatch(/maxBufferedRecords \(10\) must be at least maxBatchRecords \(100\)/);
      expect(issues).toMatch(/onFull must be 'block' or 'drop'/);
    }
  });

  it('fills the documented defaults', () => {
    const o = resolveProducerOptions({
      kafka: { brokers: ['127.0.0.1:9092'] },
      topic: 'homeostat.telemetry',
      source: 'w',
    });
    expect(o).toMatchObject({
      format: 'json',
      lingerMs: 50,
      maxBatchRecords: 10_000,
      maxBufferedRecords: 100_000,
      onFull: 'block',
      compression: 'none',
      idempotent: true,
      intervalMs: 1_000,
    });
    expect(o.kafka.clientId).toBe('homeostat');
  });
});

describe('sample check', () => {
  const limits = { ...DEFAULT_TELEMETRY_LIMITS, maxTags: 4, maxTagValueLength: 8, maxMetricLength: 12 };
  const defaults = { service: 'search' };
  const text = fc.oneof(fc.string({ maxLength: 14 }), fc.constantFrom('', '__proto__', 'service'));
  const anything = fc.oneof(text, fc.double(), fc.integer(), fc.constant(null), fc.constant(undefined), fc.boolean());

  it('refuses exactly what the processor’s validateTelemetry refuses (property)', () => {
    fc.assert(
      fc.property(
        anything,
        anything,
        fc.oneof(fc.integer({ min: 1e12, max: 4.2e12 }), fc.double(), fc.integer()),
        fc.dictionary(text, fc.oneof(text, fc.integer()) as fc.Arbitrary<string>, { maxKeys: 6 }),
        (metric, value, ts, extra) => {
          const ours = sampleProblem(metric, value, ts, defaults, 1, extra, limits);
          const theirs = validateTelemetry(
            { ts, source: 'w', metric, value, tags: mergeTags(defaults, 1, extra) },
            limits,
          );
          expect(ours === undefined).toBe(!(theirs instanceof InputError));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses a source or default tags that break the limits at construction', () => {
    expect(() => resolveProducerOptions({ kafka: {}, topic: 't', source: 'x'.repeat(300) })).toThrow(/source/);
    expect(() => resolveProducerOptions({ kafka: {}, topic: 't', source: 'w', defaultTags: { '': 'v' } })).toThrow(
      /tag key/,
    );
  });
});
