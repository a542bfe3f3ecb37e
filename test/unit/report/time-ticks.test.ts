/** UTC time ticks: inside the range, increasing, aligned to calendar units, and not too many. */
import fc from 'fast-check';
import { formatTimestamp, timeTicks } from '../../../src/report/time-ticks';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T = Date.UTC(2014, 4, 14, 1, 14, 0); // a NAB start time

describe('timeTicks', () => {
  it('labels hours with the date under the first tick and at midnight', () => {
    const ticks = timeTicks(Date.UTC(2024, 2, 14, 21, 10), Date.UTC(2024, 2, 15, 4, 50), 8);
    expect(ticks.map((t) => t.label)).toEqual(['22:00', '23:00', '00:00', '01:00', '02:00', '03:00', '04:00']);
    expect(ticks.map((t) => t.sub)).toEqual([
      'Mar 14',
      undefined,
      'Mar 15',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('uses Monday-aligned weeks for two months of 5-minute data', () => {
    const ticks = timeTicks(T, T + 62 * DAY, 10);
    expect(ticks.length).toBeGreaterThanOrEqual(8);
    for (const t of ticks) expect(new Date(t.value).getUTCDay()).toBe(1);
    expect(ticks[0].label).toBe('May 19');
    expect(ticks[0].sub).toBe('2014');
  });

  it('uses calendar months and years for long ranges', () => {
    const months = timeTicks(Date.UTC(2023, 10, 20), Date.UTC(2024, 5, 2), 8);
    expect(months.map((t) => t.label)).toEqual(['Dec', 'Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun']);
    expect(months.filter((t) => t.sub !== undefined).map((t) => t.sub)).toEqual(['2023', '2024']);
    const years = timeTicks(Date.UTC(2001, 5, 1), Date.UTC(2024, 0, 1), 8);
    expect(years.map((t) => t.label)).toEqual(['2005', '2010', '2015', '2020']);
  });

  it('falls back to millisecond ticks for sub-second ranges', () => {
    const ticks = timeTicks(T, T + 800, 6);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks[0].label).toMatch(/^01:14:00\.\d{3}$/);
  });

  it('falls back to a finer step when a calendar step would leave fewer than two ticks', () => {
    const lo = Date.UTC(2031, 9, 1) + 1; // 1 ms after the only month start in range
    const ticks = timeTicks(lo, lo + 21 * DAY, 3);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.length).toBeLessThanOrEqual(4);
    for (const t of ticks) expect(new Date(t.value).getUTCDay()).toBe(1);
  });

  it('returns nothing for invalid ranges instead of throwing', () => {
    expect(timeTicks(Number.NaN, 1)).toEqual([]);
    expect(timeTicks(10, 5)).toEqual([]);
    expect(timeTicks(0, 1e17)).toEqual([]);
  });

  it('ticks lie inside the range, increase strictly, sit on round times and stay few (property)', () => {
    const start = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) });
    const span = fc.integer({ min: 2_000, max: 20 * 365 * DAY });
    fc.assert(
      fc.property(start, span, fc.integer({ min: 3, max: 14 }), (lo, width, target) => {
        const hi = lo + width;
        const ticks = timeTicks(lo, hi, target);
        expect(ticks.length).toBeGreaterThanOrEqual(2);
        expect(ticks.length).toBeLessThanOrEqual(target + 1);
        for (let i = 0; i < ticks.length; i++) {
          expect(ticks[i].value).toBeGreaterThanOrEqual(lo);
          expect(ticks[i].value).toBeLessThanOrEqual(hi);
          if (i > 0) expect(ticks[i].value).toBeGreaterThan(ticks[i - 1].value);
          // Whole seconds, unless the label shows milliseconds.
          if (!ticks[i].label.includes('.')) expect(ticks[i].value % 1000).toBe(0);
          if (width >= 60_000) expect(ticks[i].label).not.toContain('.');
          expect(ticks[i].label).not.toBe('');
        }
        // The first tick always says where we are (date or year), unless the step is years.
        if (!/^\d{4}$/.test(ticks[0].label)) expect(ticks[0].sub).toBeDefined();
      }),
      { numRuns: 1000 },
    );
  });
});

describe('formatTimestamp', () => {
  it('prints UTC, with milliseconds only when present', () => {
    expect(formatTimestamp(Date.UTC(2014, 2, 14, 3, 31))).toBe('2014-03-14 03:31:00 UTC');
    expect(formatTimestamp(Date.UTC(2014, 2, 14, 3, 31, 5, 42))).toBe('2014-03-14 03:31:05.042 UTC');
    expect(formatTimestamp(Number.NaN)).toBe('NaN');
  });
});
