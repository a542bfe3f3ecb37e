/** Locale-independent number formatting for tables, axes and tooltips. */
import fc from 'fast-check';
import { formatCompact, formatDuration, formatNumber, formatTicks } from '../../../src/report/format';
import { niceTicks } from '../../../src/report/ticks';

describe('formatNumber', () => {
  it('groups integers and rounds the rest to four significant digits', () => {
    expect([0, 12, 1234, -1234567, 0.012345, 123.456, 1234.5, Number.NaN, Infinity, -0.5].map(formatNumber)).toEqual([
      '0',
      '12',
      '1,234',
      '−1,234,567',
      '0.01235',
      '123.5',
      '1,235',
      '—',
      '∞',
      '−0.5',
    ]);
  });
});

describe('formatTicks', () => {
  it('uses one SI prefix per axis and the decimals the step needs', () => {
    expect(formatTicks([0, 20000, 40000], 20000)).toEqual(['0', '20k', '40k']);
    expect(formatTicks([0, 500, 1000, 1500], 500)).toEqual(['0', '500', '1,000', '1,500']);
    expect(formatTicks([10000, 12500, 15000].slice(0, 3), 2500)).toEqual(['10.0k', '12.5k', '15.0k']);
    expect(formatTicks([-0.2, 0, 0.2], 0.2)).toEqual(['−0.2', '0.0', '0.2']);
    expect(formatTicks([0, 2e6, 4e6], 2e6)).toEqual(['0', '2M', '4M']);
  });

  it('never prints two ticks of an axis the same (property)', () => {
    const v = fc.double({ min: -1e12, max: 1e12, noNaN: true });
    fc.assert(
      fc.property(v, v, fc.integer({ min: 2, max: 10 }), (a, b, n) => {
        const t = niceTicks(Math.min(a, b), Math.max(a, b), n);
        const labels = formatTicks(t.values, t.step);
        expect(new Set(labels).size).toBe(labels.length);
      }),
    );
  });
});

describe('formatCompact and formatDuration', () => {
  it('prints prefixed values and human durations', () => {
    expect([1e4, 1.5e6, 0.002, 1e9].map(formatCompact)).toEqual(['10k', '1.5M', '0.002', '1G']);
    expect([850, 12_500, 4.2 * 60_000, 3.1 * 3_600_000, 2.4 * 86_400_000, -1500].map(formatDuration)).toEqual([
      '850 ms',
      '12.5 s',
      '4.2 min',
      '3.1 h',
      '2.4 d',
      '−1.5 s',
    ]);
  });
});
