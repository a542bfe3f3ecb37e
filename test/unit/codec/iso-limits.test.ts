import fc from 'fast-check';
import { DEFAULT_TELEMETRY_LIMITS, parseIsoTimestamp, resolveTelemetryLimits } from '../../../src/codec';
import { ConfigError } from '../../../src/errors';

describe('parseIsoTimestamp', () => {
  it('agrees with Date for every instant written as toISOString()', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62135596800000, max: 253402300799999 }), (ms) => {
        expect(parseIsoTimestamp(new Date(ms).toISOString())).toBe(ms);
      }),
    );
  });

  it.each([
    ['2024-05-01T12:00:00Z', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01 12:00Z', Date.UTC(2024, 4, 1, 12)],
    ['2024-05-01t12:00:00.5z', Date.UTC(2024, 4, 1, 12, 0, 0, 500)],
    ['2024-05-01T12:00:00.123456789-03:30', Date.UTC(2024, 4, 1, 15, 30, 0, 123)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['0099-01-01T00:00:00Z', -59042995200000],
  ])('parses %s', (text, ms) => {
    expect(parseIsoTimestamp(text)).toBe(ms);
  });

  it.each([
    '2024-05-01T12:00:00',
    '2024-05-01',
    '2023-02-29T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-05-01T24:00:00Z',
    '2024-05-01T12:60:00Z',
    '2024-05-01T12:00:60Z',
    '2024-05-01T12:00:00+24:00',
    'May 1 2024',
    '',
  ])('rejects %p', (text) => {
    expect(parseIsoTimestamp(text)).toBeUndefined();
  });
});

describe('resolveTelemetryLimits', () => {
  it('fills defaults and keeps overrides', () => {
    expect(resolveTelemetryLimits()).toEqual(DEFAULT_TELEMETRY_LIMITS);
    expect(resolveTelemetryLimits({ maxTags: 4, minTs: undefined })).toEqual({
      ...DEFAULT_TELEMETRY_LIMITS,
      maxTags: 4,
    });
  });

  it('names every bad key, its value and the default', () => {
    let err: unknown;
    try {
      resolveTelemetryLimits({ maxTags: 0, maxRecordBytes: 1.5, minTs: 10, maxTs: 5 }, 'telemetry.limits');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toHaveLength(3);
    expect(issues.join('\n')).toContain(
      'telemetry.limits.maxTags must be a positive integer, got 0; the default is 32',
    );
    expect(issues.join('\n')).toContain('telemetry.limits.maxRecordBytes');
    expect(issues.join('\n')).toContain('telemetry.limits.minTs (10) must be lower than telemetry.limits.maxTs (5)');
  });

  it('refuses ts bounds outside the Date range', () => {
    expect(() => resolveTelemetryLimits({ maxTs: 9e15 })).toThrow(ConfigError);
  });
});
