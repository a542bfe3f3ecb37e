/**
 * Compact SVG path data. Coordinates are kept as integer tenths of a user unit and written
 * as relative moves ("l12.5-3"), which is about 40% shorter than absolute pairs for long
 * series; because the deltas are taken between already-rounded absolute positions, no
 * rounding error accumulates along the path.
 */

/** A number of tenths as path text: 125 → "12.5", -3 → "-.3", 40 → "4". */
function num(tenths: number): string {
  const neg = tenths < 0;
  const a = Math.abs(tenths);
  const int = Math.floor(a / 10);
  const frac = a % 10;
  const body = frac === 0 ? String(int) : int === 0 ? `.${frac}` : `${int}.${frac}`;
  return neg ? `-${body}` : body;
}

/** Numbers after a command letter: a space between them unless the next one has a sign. */
function join(values: number[]): string {
  let out = '';
  values.forEach((v, i) => {
    const s = num(v);
    out += i === 0 || s.startsWith('-') ? s : ` ${s}`;
  });
  return out;
}

export type Tenths = readonly [number, number];

/** Integer tenths from user units. */
export function tenths(v: number): number {
  const r = Math.round(v * 10);
  return r === 0 ? 0 : r;
}

/** A polyline (or a step-after line) through `pts`; one point becomes a dot (zero-length segment, round caps). */
export function linePathData(pts: readonly Tenths[], step: boolean): string {
  if (pts.length === 0) return '';
  let d = `M${join([pts[0][0], pts[0][1]])}`;
  if (pts.length === 1) return `${d}h0`;
  let [px, py] = pts[0];
  const rel: number[] = [];
  let out = '';
  for (let i = 1; i < pts.length; i++) {
    const [x, y] = pts[i];
    const dx = x - px;
    const dy = y - py;
    if (dx === 0 && dy === 0) continue;
    if (step) {
      if (dx !== 0) out += `h${num(dx)}`;
      if (dy !== 0) out += `v${num(dy)}`;
    } else rel.push(dx, dy);
    px = x;
    py = y;
  }
  if (step) return d + out;
  d += rel.length > 0 ? `l${join(rel)}` : 'h0';
  return d;
}

/** A closed area between the line through `pts` and the horizontal `base`. */
export function areaPathData(pts: readonly Tenths[], base: number): string {
  if (pts.length < 2) return '';
  const first = pts[0];
  const line = linePathData(pts, false).replace(/^M[^l]*/, '');
  return `M${join([first[0], base])}V${num(first[1])}${line}V${num(base)}H${num(first[0])}Z`;
}
