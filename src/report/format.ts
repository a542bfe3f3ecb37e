/**
 * Number formatting for axes, tables and tooltips. Written out by hand rather than with
 * `Intl`/`toLocaleString`, whose output depends on the ICU data and locale of the machine:
 * the report must be byte-identical wherever it is rendered.
 */

/** "1234567" → "1,234,567" (sign and decimals kept). */
function group(s: string): string {
  const [intPart, frac] = s.split('.');
  const neg = intPart.startsWith('-');
  const digits = neg ? intPart.slice(1) : intPart;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}${grouped}${frac === undefined ? '' : `.${frac}`}`;
}

function nonFinite(v: number): string {
  if (Number.isNaN(v)) return '—';
  return v > 0 ? '∞' : '−∞';
}

/** Use a real minus sign (U+2212): it lines up with digits and is not read as a hyphen. */
function minus(s: string): string {
  return s.startsWith('-') ? `−${s.slice(1)}` : s;
}

/**
 * A value for a table cell or tooltip: integers grouped ("12,345"), other values to four
 * significant digits ("0.01235", "123.5"), values ≥ 1000 rounded to integers.
 */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return nonFinite(v);
  if (Math.abs(v) >= 1e21) return minus(v.toPrecision(4));
  if (Number.isInteger(v) || Math.abs(v) >= 1000) return minus(group(Math.round(v).toString()));
  const s = Number(v.toPrecision(4)).toString();
  return minus(s === '-0' ? '0' : s);
}

const SI: Array<[number, string]> = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/**
 * Decimals needed to show multiples of `step` exactly: Heckbert's nfrac for 1/2/5 × 10^k
 * steps, more for others (2.5 needs one).
 */
function decimalsFor(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  for (let d = Math.max(0, -Math.floor(Math.log10(step) + 1e-9)); d < 20; d++) {
    if (Math.abs(Number(step.toFixed(d)) - step) <= step * 1e-9) return d;
  }
  return 20;
}

/**
 * Labels for evenly spaced axis ticks: one SI prefix for the whole axis, chosen from the
 * largest tick (k from 10,000 so "2,500" stays readable), and the decimals the step needs,
 * so that neighbouring labels never print the same text.
 */
export function formatTicks(values: readonly number[], step: number): string[] {
  const maxAbs = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  if (maxAbs > 0 && maxAbs < 1e-3 && step > 0) {
    // Tiny values: scientific notation with as many mantissa digits as the step needs.
    const d = Math.min(15, Math.max(0, Math.floor(Math.log10(maxAbs)) - Math.floor(Math.log10(step) + 1e-9)));
    return values.map((v) => (v === 0 ? '0' : minus(v.toExponential(d))));
  }
  let unit = 1;
  let suffix = '';
  for (const [u, s] of SI) {
    if (maxAbs >= (u === 1e3 ? 1e4 : u)) {
      unit = u;
      suffix = s;
      break;
    }
  }
  const decimals = Math.min(20, decimalsFor(step / unit));
  return values.map((v) => {
    let s = (v / unit).toFixed(decimals);
    if (Number(s) === 0) return (0).toFixed(decimals); // no "-0.0", no "0k"
    if (unit === 1) s = group(s);
    return minus(s) + suffix;
  });
}

/** A single value with an SI prefix and up to three significant digits ("20k", "1.5M", "0.002"). */
export function formatCompact(v: number): string {
  if (!Number.isFinite(v)) return nonFinite(v);
  for (const [u, s] of SI) {
    if (Math.abs(v) >= u) return minus(`${Number((v / u).toPrecision(3))}${s}`);
  }
  return minus(String(Number(v.toPrecision(3))));
}

/** A duration for people: "850 ms", "12.5 s", "4.2 min", "3.1 h", "2.4 d". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return nonFinite(ms);
  const a = Math.abs(ms);
  const sign = ms < 0 ? '−' : '';
  const one = (x: number): string => String(Number(x.toFixed(x < 100 ? 1 : 0)));
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  if (a < 60_000) return `${sign}${one(a / 1000)} s`;
  if (a < 3_600_000) return `${sign}${one(a / 60_000)} min`;
  if (a < 86_400_000) return `${sign}${one(a / 3_600_000)} h`;
  return `${sign}${one(a / 86_400_000)} d`;
}
