/**
 * Time-axis ticks in UTC at calendar-friendly steps (seconds, minutes, hours, days, Monday
 * weeks, months, years), the way d3-time and most dashboards do it: pick the smallest step
 * from a fixed ladder that gives at most `target` ticks, align ticks to multiples of it,
 * and label each with the unit of the step plus, when it changes, the next-coarser context
 * (the date under an hour, the year under a day). Everything is UTC: reports are shared
 * across time zones and the raw data (NAB, Microsoft) is UTC.
 */
import { niceNumber, niceTicks } from './ticks';

export interface TimeTick {
  /** Epoch ms. */
  value: number;
  /** Main label, e.g. "14:30", "Mar 5", "Apr". */
  label: string;
  /** Context shown under the label where it changes, e.g. the date under "00:00". */
  sub?: string;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** 1970-01-05, the first Monday after the epoch (ISO weeks start on Monday). */
const FIRST_MONDAY = 4 * DAY;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

type Unit = 'ms' | 'second' | 'minute' | 'day' | 'week' | 'month' | 'year';
interface Step {
  unit: Unit;
  /** Fixed length in ms (months and years: a typical length, used only to choose the step). */
  ms: number;
  /** Months or years per step. */
  count: number;
}

const FIXED: Step[] = [
  ...[1, 2, 5, 10, 15, 30].map((n) => ({ unit: 'second' as const, ms: n * SECOND, count: n })),
  ...[1, 2, 5, 10, 15, 30].map((n) => ({ unit: 'minute' as const, ms: n * MINUTE, count: n })),
  ...[1, 2, 3, 6, 12].map((n) => ({ unit: 'minute' as const, ms: n * HOUR, count: n * 60 })),
  { unit: 'day', ms: DAY, count: 1 },
  { unit: 'day', ms: 2 * DAY, count: 2 },
  { unit: 'week', ms: WEEK, count: 1 },
  ...[1, 3, 6].map((n) => ({ unit: 'month' as const, ms: n * 30 * DAY, count: n })),
];

/** ECMAScript Date's range (±8.64e15 ms); beyond it `new Date()` is invalid. */
function isDate(t: number): boolean {
  return Number.isFinite(t) && Math.abs(t) <= 8.64e15;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function chooseStep(span: number, target: number): Step {
  // Whole seconds give too few ticks: use nice millisecond steps instead.
  if (span / SECOND < Math.max(2, target / 2)) return { unit: 'ms', ms: 0, count: 0 };
  for (const s of FIXED) if (span / s.ms <= target) return s;
  const years = span / (365.25 * DAY);
  const count = Math.max(1, niceNumber(years / target, false));
  return { unit: 'year', ms: count * 365.25 * DAY, count };
}

function finerStep(step: Step): Step {
  const i = FIXED.findIndex((s) => s.unit === step.unit && s.count === step.count);
  if (i > 0) return FIXED[i - 1];
  if (i === 0) return { unit: 'ms', ms: 0, count: 0 };
  return FIXED[FIXED.length - 1]; // years → 6 months
}

function generate(lo: number, hi: number, step: Step): number[] {
  const out: number[] = [];
  if (step.unit === 'month' || step.unit === 'year') {
    const d = new Date(lo);
    let y = d.getUTCFullYear();
    let m = step.unit === 'year' ? 0 : d.getUTCMonth() - (d.getUTCMonth() % step.count);
    if (step.unit === 'year') y -= ((y % step.count) + step.count) % step.count;
    for (;;) {
      const t = Date.UTC(y, m, 1);
      if (t > hi) break;
      if (t >= lo) out.push(t);
      if (step.unit === 'year') y += step.count;
      else m += step.count;
    }
    return out;
  }
  const offset = step.unit === 'week' ? FIRST_MONDAY : 0;
  for (let t = Math.ceil((lo - offset) / step.ms) * step.ms + offset; t <= hi; t += step.ms) out.push(t);
  return out;
}

function parts(t: number, step: Step): { label: string; context: string } {
  const d = new Date(t);
  const date = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  const hm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  switch (step.unit) {
    case 'ms':
      return {
        label: `${hm}:${pad2(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}`,
        context: date,
      };
    case 'second':
      return { label: `${hm}:${pad2(d.getUTCSeconds())}`, context: date };
    case 'minute':
      return { label: hm, context: date };
    case 'day':
    case 'week':
      return { label: date, context: String(d.getUTCFullYear()) };
    case 'month':
      return { label: MONTHS[d.getUTCMonth()], context: String(d.getUTCFullYear()) };
    case 'year':
      return { label: String(d.getUTCFullYear()), context: '' };
  }
}

/** Nice millisecond ticks; Heckbert's rounding can overshoot the count, so ask for fewer until it fits. */
function msTicks(lo: number, hi: number, target: number): number[] {
  let values: number[] = [];
  for (let n = target; n >= 2; n--) {
    values = niceTicks(lo, hi, n).values.filter((v) => v >= lo && v <= hi);
    if (values.length <= target) break;
  }
  return values;
}

/**
 * Ticks for the time range [lo, hi] (epoch ms), at most about `target` of them.
 * Sub-second ranges fall back to nice millisecond steps.
 */
export function timeTicks(lo: number, hi: number, target = 8): TimeTick[] {
  if (!isDate(lo) || !isDate(hi) || hi < lo) return [];
  target = Math.max(2, target);
  let step = chooseStep(hi - lo, target);
  let values = step.unit === 'ms' ? msTicks(lo, hi, target) : generate(lo, hi, step);
  if (values.length < 2 && step.unit !== 'ms') {
    // Calendar steps are uneven: three weeks can hold no month start at all. Use the next
    // finer step, keeping every k-th tick so that the count still fits.
    const finer = finerStep(step);
    const more = finer.unit === 'ms' ? msTicks(lo, hi, target) : generate(lo, hi, finer);
    const k = Math.ceil(more.length / target);
    if (more.length >= 2) {
      step = finer;
      values = more.filter((_, i) => i % k === 0);
    }
  }
  let previous = '';
  return values.map((value) => {
    const { label, context } = parts(value, step);
    const tick: TimeTick = { value, label };
    if (context !== previous && context !== '') tick.sub = context;
    previous = context;
    return tick;
  });
}

/** Full UTC timestamp for tooltips: "2014-03-14 03:31:00 UTC" (milliseconds only when non-zero). */
export function formatTimestamp(t: number): string {
  if (!isDate(t)) return String(t);
  const iso = new Date(t).toISOString(); // always UTC
  const ms = iso.slice(19, 23);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${ms === '.000' ? '' : ms} UTC`;
}
