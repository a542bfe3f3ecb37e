/**
 * Timestamp parsing for imported files: a hand-written scanner rather than `Date.parse`, because
 * `Date.parse` reads a zone-less `YYYY-MM-DD HH:MM:SS` (NAB) as *local* time and accepts many
 * implementation-defined shapes, while recorded telemetry must parse the same on every machine.
 * Zone-less date-times are UTC. Returns NaN when the text is not a recognised timestamp.
 */

/** Human description of the accepted shapes, used in error messages. */
export const TIMESTAMP_SHAPES = 'YYYY-MM-DD[ |T]HH:MM[:SS[.fff]][Z|±HH:MM] (UTC when no zone) or epoch';

const ZERO = 48;

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - ZERO;
  return c >= 0 && c <= 9 ? c : -1;
}

function two(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Days since 1970-01-01 of a proleptic Gregorian date, valid for every year (Date.UTC maps years
 * 0..99 to 1900..1999). Algorithm `days_from_civil` by Howard Hinnant:
 * https://howardhinnant.github.io/date_algorithms.html#days_from_civil
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const EPOCH_RE = /^-?\d+(\.\d+)?$/;

/**
 * Parses a date-time (see TIMESTAMP_SHAPES) or, when `epochUnit` is given, a plain number of epoch
 * milliseconds or seconds. Fractions of a second beyond milliseconds are truncated.
 */
export function parseTimestamp(text: string, epochUnit?: 'ms' | 's'): number {
  const s =
    text.length > 0 && (text.charCodeAt(0) <= 32 || text.charCodeAt(text.length - 1) <= 32) ? text.trim() : text;
  const n = s.length;
  if (n >= 10 && s.charCodeAt(4) === 45 /* - */ && s.charCodeAt(7) === 45) return parseDateTime(s);
  if (epochUnit !== undefined && n > 0 && EPOCH_RE.test(s)) {
    const v = Number(s);
    const ms = epochUnit === 's' ? Math.round(v * 1000) : v;
    return Number.isSafeInteger(ms) ? ms : NaN;
  }
  return NaN;
}

function parseDateTime(s: string): number {
  const n = s.length;
  const y1 = two(s, 0);
  const y2 = two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  if (y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1) return NaN;
  const year = y1 * 100 + y2;
  const maxDay = month === 2 && isLeap(year) ? 29 : MONTH_DAYS[month - 1];
  if (day > maxDay) return NaN;
  let ms = daysFromCivil(year, month, day) * 86_400_000;
  if (n === 10) return ms;

  const sep = s.charCodeAt(10);
  if (sep !== 32 && sep !== 84 /* T */ && sep !== 116 /* t */) return NaN;
  const hour = two(s, 11);
  const minute = s.charCodeAt(13) === 58 /* : */ ? two(s, 14) : -1;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return NaN;
  ms += hour * 3_600_000 + minute * 60_000;
  let i = 16;
  if (i < n && s.charCodeAt(i) === 58) {
    const second = two(s, i + 1);
    if (second < 0 || second > 59) return NaN;
    ms += second * 1000;
    i += 3;
    if (i < n && (s.charCodeAt(i) === 46 /* . */ || s.charCodeAt(i) === 44) /* , */) {
      i += 1;
      const start = i;
      let frac = 0;
      while (i < n) {
        const d = digit(s, i);
        if (d < 0) break;
        if (i - start < 3) frac = frac * 10 + d;
        i += 1;
      }
      const digits = i - start;
      if (digits === 0) return NaN;
      if (digits === 1) frac *= 100;
      else if (digits === 2) frac *= 10;
      ms += frac;
    }
  }
  if (i === n) return ms;
  return applyZone(s, i, ms);
}

function applyZone(s: string, i: number, ms: number): number {
  const n = s.length;
  const c = s.charCodeAt(i);
  if (c === 90 /* Z */ || c === 122 /* z */) return i + 1 === n ? ms : NaN;
  if (c !== 43 /* + */ && c !== 45 /* - */) return NaN;
  const hh = two(s, i + 1);
  let mm: number;
  if (i + 3 === n) mm = 0;
  else if (i + 6 === n && s.charCodeAt(i + 3) === 58) mm = two(s, i + 4);
  else if (i + 5 === n) mm = two(s, i + 3);
  else return NaN;
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59) return NaN;
  const offset = (hh * 60 + mm) * 60_000;
  // A local time east of UTC (+hh:mm) is earlier in UTC.
  return c === 43 ? ms - offset : ms + offset;
}
