import fc from 'fast-check';
import { resolveTelemetryLimits } from '../../../src/codec';
import { aheadOfLogTime } from '../../../src/codec/log-time';
import { loadConfig } from '../../../src/config/homeostat-config';

const limits = resolveTelemetryLimits({});
const T = Date.UTC(2026, 10, 27, 12);

describe('aheadOfLogTime', () => {
  test('refuses a record more than the limit ahead of its Kafka timestamp, naming both times and the fix', () => {
    const e = aheadOfLogTime(T + 3_600_000, T, limits);
    expect(e?.code).toBe('TS_OUT_OF_RANGE');
    expect(e?.field).toBe('ts');
    expect(e?.message).toContain('1.0 h ahead');
    expect(e?.message).toContain(new Date(T).toISOString());
    expect(e?.message).toContain('limits.maxAheadOfLogTimeMs');
  });

  test('accepts anything up to the limit ahead, and anything behind (lateness is the watermark’s job)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10 * 365 * 86_400_000, max: limits.maxAheadOfLogTimeMs }),
        (d) => aheadOfLogTime(T + d, T, limits) === undefined,
      ),
    );
    expect(aheadOfLogTime(T + limits.maxAheadOfLogTimeMs + 1, T, limits)).toBeDefined();
  });

  test('cannot judge a record without a Kafka timestamp, and judges nothing when turned off', () => {
    expect(aheadOfLogTime(T, -1, limits)).toBeUndefined();
    expect(aheadOfLogTime(T, Number.NaN, limits)).toBeUndefined();
    expect(aheadOfLogTime(T + 1e12, T, { maxAheadOfLogTimeMs: Infinity })).toBeUndefined();
  });

  test('config: null turns it off, the default is 2 seconds, a bad value names the key', () => {
    expect(
      resolveTelemetryLimits(loadConfig({ env: {}, overrides: { limits: { maxAheadOfLogTimeMs: null } } }).limits)
        .maxAheadOfLogTimeMs,
    ).toBe(Infinity);
    expect(resolveTelemetryLimits(loadConfig({ env: {}, overrides: {} }).limits).maxAheadOfLogTimeMs).toBe(2_000);
    expect(() => resolveTelemetryLimits({ maxAheadOfLogTimeMs: -5 })).toThrow(/maxAheadOfLogTimeMs/);
    expect(() => loadConfig({ env: {}, overrides: { limits: { maxAheadOfLogTimeMs: 0 } } })).toThrow(
      /maxAheadOfLogTimeMs/,
    );
  });
});
