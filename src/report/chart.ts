/**
 * One chart → one `<figure>` holding an HTML legend, one inline `<svg>` and the drawn points
 * as JSON for the optional hover script. Layers, bottom to top: grid, spans, axes, series,
 * thresholds, markers, hover overlay. Ids derive from the chart's position (`c<section>-<chart>`)
 * so output is deterministic and ids are unique within the page.
 */
import type { Chart, Marker, Point, Series, Span } from './model';
import { escapeHtml, jsonForScript, safeColor } from './escape';
import { LAYOUT, computeFrame, round1, sx, sy, type Frame } from './scale';
import { SERIES_COLORS, markerStyle, shapePath, spanStyle } from './palette';
import { formatNumber } from './format';
import { formatTimestamp } from './time-ticks';
import { areaPathData, linePathData, tenths, type Tenths } from './path';

export interface ChartOptions {
  /** Decimate series with more drawable points than this (default 2000). */
  maxPoints?: number;
}

const e = escapeHtml;

/**
 * Colours for a chart's series: explicit (valid) colours are kept, the others take palette
 * colours in order — so a grey "off" series does not push the "on" series off blue.
 */
export function seriesColors(series: readonly Series[]): string[] {
  let next = 0;
  return series.map((s) => {
    const explicit = safeColor(s.color, '');
    if (explicit !== '') return explicit;
    return SERIES_COLORS[next++ % SERIES_COLORS.length];
  });
}

function toTenths(f: Frame, run: readonly Point[]): Tenths[] {
  return run.map((p) => [tenths(sx(f, p[0])), tenths(sy(f, p[1]))] as const);
}

function gridAndAxes(f: Frame, chart: Chart): { grid: string; axes: string } {
  let grid = '';
  let axes = '';
  for (const t of f.yTicks) {
    const y = sy(f, t.value);
    grid += `<line x1="${f.px0}" x2="${f.px1}" y1="${y}" y2="${y}"/>`;
    axes += `<text class="yt" x="${f.px0 - 8}" y="${y}" dy="0.32em">${e(t.label)}</text>`;
  }
  for (const t of f.xTicks) {
    const x = sx(f, t.value);
    grid += `<line class="gx" x1="${x}" x2="${x}" y1="${f.py0}" y2="${f.py1}"/>`;
    axes += `<line class="tk" x1="${x}" x2="${x}" y1="${f.py1}" y2="${f.py1 + 5}"/>`;
    axes += `<text class="xt" x="${x}" y="${f.py1 + 18}">${e(t.label)}</text>`;
    if (t.sub !== undefined) axes += `<text class="xs" x="${x}" y="${f.py1 + 33}">${e(t.sub)}</text>`;
  }
  axes += `<line class="ax" x1="${f.px0}" x2="${f.px1}" y1="${f.py1}" y2="${f.py1}"/>`;
  const midY = round1((f.py0 + f.py1) / 2);
  axes += `<text class="yl" transform="translate(16 ${midY}) rotate(-90)">${e(chart.yLabel)}</text>`;
  return { grid: `<g class="grid">${grid}</g>`, axes: `<g class="axes">${axes}</g>` };
}

function spansLayer(f: Frame, spans: readonly Span[], clip: string): string {
  let out = '';
  for (const s of spans) {
    if (!Number.isFinite(s.start) || !Number.isFinite(s.end)) continue;
    const a = Math.max(Math.min(s.start, s.end), f.x0);
    const b = Math.min(Math.max(s.start, s.end), f.x1);
    if (a > b) continue;
    const x = sx(f, a);
    const w = Math.max(1, round1(sx(f, b) - x));
    const st = spanStyle(s.kind);
    const tip = `${s.label} (${s.kind})\n${formatTimestamp(s.start)} → ${formatTimestamp(s.end)}`;
    out +=
      `<g class="sp"><title>${e(tip)}</title><rect x="${x}" y="${f.py0}" width="${w}" height="${f.py1 - f.py0}" ` +
      `fill="${st.color}" fill-opacity="${st.opacity}"/>`;
    // Edges, so that back-to-back spans (renewed leases) stay countable.
    out += `<path class="edge" d="M${x} ${f.py0}V${f.py1}M${round1(x + w)} ${f.py0}V${f.py1}" stroke="${st.color}"/>`;
    // Only label bands wide enough for the text (≈6.2 units per character at 11px).
    if (s.label !== '' && w > s.label.length * 6.2 + 8) {
      out += `<text x="${round1(x + 4)}" y="${f.py0 + 13}" fill="${st.color}">${e(s.label)}</text>`;
    }
    out += '</g>';
  }
  return `<g class="spans" clip-path="url(#${clip})">${out}</g>`;
}

function seriesLayer(f: Frame, chart: Chart, colors: readonly string[], clip: string): string {
  const base = sy(f, f.logY ? f.y0 : Math.min(Math.max(0, f.y0), f.y1));
  let out = '';
  chart.series.forEach((s, i) => {
    const runs = f.runs[i];
    if (runs.length === 0) return;
    const color = colors[i];
    const style = s.style ?? 'line';
    const pts = runs.map((r) => toTenths(f, r));
    if (style === 'area') {
      const fill = pts.map((r) => areaPathData(r, tenths(base))).join('');
      if (fill !== '') out += `<path class="fill" d="${fill}" fill="${color}"/>`;
    }
    const d = pts.map((r) => linePathData(r, style === 'step')).join('');
    out += `<path class="ln" d="${d}" stroke="${color}"><title>${e(s.name)}</title></path>`;
  });
  return `<g class="series" clip-path="url(#${clip})">${out}</g>`;
}

function thresholdsLayer(f: Frame, chart: Chart): string {
  let out = '';
  for (const t of chart.thresholds ?? []) {
    if (!Number.isFinite(t.value) || (f.logY && t.value <= 0) || t.value < f.y0 || t.value > f.y1) continue;
    const y = sy(f, t.value);
    const color = safeColor(t.color, '#4B5563');
    const text = `${t.name} ${formatNumber(t.value)}`;
    out += `<g class="th"><title>${e(text)}</title><line x1="${f.px0}" x2="${f.px1}" y1="${y}" y2="${y}" stroke="${color}"/>`;
    // A light box behind the label keeps it legible over dense data (≈6.3 units/char at 11px bold).
    const boxW = round1(text.length * 6.3 + 8);
    out += `<rect class="lb" x="${round1(f.px1 - 2 - boxW)}" y="${round1(y - 16)}" width="${boxW}" height="14" rx="3"/>`;
    out += `<text x="${f.px1 - 6}" y="${round1(y - 5)}" fill="${color}">${e(text)}</text></g>`;
  }
  return `<g class="thresholds">${out}</g>`;
}

function markersLayer(f: Frame, markers: readonly Marker[]): string {
  let lines = '';
  let glyphs = '';
  // Glyphs closer than one glyph width to the previous one in a row go up a row (two rows,
  // then back to the first), so a command and its outcome a few pixels apart both stay visible.
  const rows = [f.py0 - 8, f.py0 - 20];
  const lastX = [-Infinity, -Infinity];
  const visible = markers
    .map((m, i) => ({ m, i }))
    .filter(({ m }) => Number.isFinite(m.x) && m.x >= f.x0 && m.x <= f.x1)
    .sort((a, b) => a.m.x - b.m.x || a.i - b.i);
  for (const { m } of visible) {
    const x = sx(f, m.x);
    let row = 0;
    if (x - lastX[0] < 11) row = x - lastX[1] < 11 ? 0 : 1;
    lastX[row] = x;
    const y = rows[row];
    const st = markerStyle(m.kind);
    const tip = `${m.label} — ${st.name}\n${formatTimestamp(m.x)}${m.detail !== undefined && m.detail !== '' ? `\n${m.detail}` : ''}`;
    lines += `<line x1="${x}" x2="${x}" y1="${f.py0}" y2="${f.py1}" stroke="${st.color}"/>`;
    const paint =
      st.shape === 'cross' || st.hollow ? `fill="#fff" stroke="${st.color}"` : `fill="${st.color}" stroke="#fff"`;
    glyphs +=
      `<g class="mk mk-${st.shape}" transform="translate(${x} ${y})"><title>${e(tip)}</title>` +
      `<path d="${shapePath(st.shape, 5)}" ${paint}/></g>`;
  }
  return `<g class="mlines">${lines}</g><g class="markers">${glyphs}</g>`;
}

function legend(chart: Chart, colors: readonly string[]): string {
  const items: string[] = [];
  chart.series.forEach((s, i) => {
    const style = s.style ?? 'line';
    items.push(`<li><span class="sw sw-${style}" style="--c:${colors[i]}"></span>${e(s.name)}</li>`);
  });
  for (const t of chart.thresholds ?? []) {
    items.push(`<li><span class="sw sw-th" style="--c:${safeColor(t.color, '#4B5563')}"></span>${e(t.name)}</li>`);
  }
  const spanKinds = [...new Set((chart.spans ?? []).map((s) => s.kind))];
  for (const k of spanKinds) {
    const st = spanStyle(k);
    items.push(`<li><span class="sw sw-span" style="--c:${st.color};--o:${st.opacity * 2}"></span>${e(k)}</li>`);
  }
  const markerKinds = [...new Set((chart.markers ?? []).map((m) => m.kind))];
  for (const k of markerKinds) {
    const st = markerStyle(k);
    items.push(`<li><span class="gl" style="color:${st.color}">${st.glyph}</span>${e(st.name)}</li>`);
  }
  return `<ul class="legend">${items.join('')}</ul>`;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Drawn points for the hover script, compactly: x as deltas from the previous point in units
 * of `u` (the largest step dividing every delta, so regular data is mostly "1"), y to the four
 * significant digits the tooltip shows.
 */
function hoverData(f: Frame, chart: Chart, colors: readonly string[]): string {
  const xs = chart.series.map((_, i) => f.runs[i].flat().map((p) => Math.round(p[0])));
  let u = 0;
  for (const x of xs) for (let k = 1; k < x.length; k++) u = gcd(u, x[k] - x[k - 1]);
  if (u <= 0 || !Number.isSafeInteger(u)) u = 1;
  const start = Math.round(f.x0);
  const series = chart.series.map((s, i) => {
    const x = xs[i];
    return {
      n: s.name,
      c: colors[i],
      x: x.map((v, k) => (k === 0 ? Math.round((v - start) / u) : (v - x[k - 1]) / u)),
      y: f.runs[i].flat().map((p) => Number(p[1].toPrecision(4))),
    };
  });
  const frame = {
    x0: start,
    x1: f.x1,
    u,
    y0: f.y0,
    y1: f.y1,
    px0: f.px0,
    px1: f.px1,
    py0: f.py0,
    py1: f.py1,
    log: f.logY,
  };
  return jsonForScript({ f: frame, s: series });
}

/** Render one chart; `id` must be unique in the page (e.g. "c0-1"). */
export function renderChart(chart: Chart, id: string, options: ChartOptions = {}): string {
  const f = computeFrame(chart, { maxPoints: options.maxPoints ?? 2000 });
  const clip = `${id}-clip`;
  const colors = seriesColors(chart.series);
  const { grid, axes } = gridAndAxes(f, chart);
  const total = f.counts.reduce((a, b) => a + b, 0);
  const drawn = f.runs.reduce((a, runs) => a + runs.reduce((n, r) => n + r.length, 0), 0);
  const meta = `${formatNumber(total)} points${drawn < total ? ` (${formatNumber(drawn)} drawn, M4)` : ''} · UTC`;
  const empty = f.empty
    ? `<text class="empty" x="${round1((f.px0 + f.px1) / 2)}" y="${round1((f.py0 + f.py1) / 2)}">No data</text>`
    : '';
  const hover =
    `<g class="hover" visibility="hidden"><line class="hx" x1="0" x2="0" y1="${f.py0}" y2="${f.py1}"/>` +
    colors.map((c) => `<circle r="3.5" fill="${c}"/>`).join('') +
    '</g>';
  const svg =
    `<svg viewBox="0 0 ${LAYOUT.width} ${LAYOUT.height}" role="img" aria-labelledby="${id}-t" preserveAspectRatio="xMidYMid meet">` +
    `<title id="${id}-t">${e(chart.title)}</title>` +
    `<defs><clipPath id="${clip}"><rect x="${f.px0}" y="${f.py0}" width="${f.px1 - f.px0}" height="${f.py1 - f.py0}"/></clipPath></defs>` +
    `<rect class="bg" x="${f.px0}" y="${f.py0}" width="${f.px1 - f.px0}" height="${f.py1 - f.py0}"/>` +
    grid +
    spansLayer(f, chart.spans ?? [], clip) +
    axes +
    seriesLayer(f, chart, colors, clip) +
    thresholdsLayer(f, chart) +
    markersLayer(f, chart.markers ?? []) +
    empty +
    hover +
    '</svg>';
  return (
    `<figure class="chart" id="${id}">` +
    `<figcaption><span class="ct">${e(chart.title)}</span><span class="cm">${e(meta)}</span></figcaption>` +
    legend(chart, colors) +
    `<div class="plot">${svg}<div class="tip" hidden></div></div>` +
    // The hover crosshair reads x as time; a numeric-x chart keeps its SVG <title> tooltips only.
    (chart.xType === 'time'
      ? `<script type="application/json" class="cd">${hoverData(f, chart, colors)}</script>`
      : '') +
    '</figure>'
  );
}
