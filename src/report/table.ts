/**
 * Tables: numbers right-aligned (tabular figures in CSS), and an optional off/on comparison
 * that appends a Δ column and marks each candidate value better or worse. The verdict is
 * carried by colour, an arrow and a text label, so it survives colour-blindness and print.
 */
import type { Better, ScoringSummary, Table, TableCell } from './model';
import { escapeHtml as e } from './escape';
import { formatDuration, formatNumber } from './format';

interface Numeric {
  value: number;
  unit: string;
}

// "340", "1,234.5", "−12 %", "850 ms": a number with an optional unit word.
const NUMERIC = /^([-−+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?)\s*(%|[a-zA-Zµ×/]{1,6})?$/;

/** The number a cell shows, if it shows one (with its unit, so "5 s" and "5 ms" never compare). */
export function numericCell(cell: TableCell): Numeric | undefined {
  if (typeof cell === 'number') return Number.isFinite(cell) ? { value: cell, unit: '' } : undefined;
  if (typeof cell !== 'string') return undefined;
  const m = NUMERIC.exec(cell.trim());
  if (m === null || m[1] === '' || !/\d/.test(m[1])) return undefined;
  const value = Number(m[1].replace(/,/g, '').replace('−', '-'));
  return Number.isFinite(value) ? { value, unit: m[2] ?? '' } : undefined;
}

const LEADS_WITH_NUMBER = /^[-−+]?[\d.,]*\d/;

function cellText(cell: TableCell): string {
  if (cell === null) return '—';
  return typeof cell === 'number' ? formatNumber(cell) : cell;
}

type Verdict = 'better' | 'worse' | 'same' | 'neutral';

interface Delta {
  text: string;
  verdict: Verdict;
}

export function compareCells(baseline: TableCell, candidate: TableCell, better: Better): Delta | undefined {
  const b = numericCell(baseline);
  const c = numericCell(candidate);
  if (b === undefined || c === undefined || b.unit !== c.unit) return undefined;
  const diff = c.value - b.value;
  const arrow = diff > 0 ? '▲ ' : diff < 0 ? '▼ ' : '';
  const sign = diff > 0 ? '+' : '';
  const text =
    b.value !== 0 && b.unit !== '%'
      ? `${arrow}${sign}${formatNumber(Number(((diff / Math.abs(b.value)) * 100).toFixed(1)))}%`
      : `${arrow}${sign}${formatNumber(diff)}${b.unit === '%' ? ' pp' : b.unit === '' ? '' : ` ${b.unit}`}`;
  let verdict: Verdict = 'neutral';
  if (better !== 'neutral') {
    if (diff === 0) verdict = 'same';
    else verdict = diff < 0 === (better === 'lower') ? 'better' : 'worse';
  }
  return { text, verdict };
}

const VERDICT_LABEL: Record<Verdict, string> = { better: 'better', worse: 'worse', same: 'unchanged', neutral: '' };

/** Render a table; `caption` becomes a visually small caption above it. */
export function renderTable(table: Table, caption?: string): string {
  const cmp = table.compare;
  const width = table.columns.length;
  const valid =
    cmp !== undefined &&
    cmp.baseline >= 0 &&
    cmp.candidate >= 0 &&
    cmp.baseline < width &&
    cmp.candidate < width &&
    cmp.baseline !== cmp.candidate;
  // A column is right-aligned when every non-empty cell in it starts with a number
  // ("12", "4.2 min", "2 (67%)"), so that digits line up and a column never zigzags.
  const numericCol = table.columns.map((_, c) => {
    const cells = table.rows.map((r) => r[c] ?? null).filter((x): x is string | number => x !== null && x !== '');
    return cells.length > 0 && cells.every((x) => typeof x === 'number' || LEADS_WITH_NUMBER.test(x));
  });
  const head = table.columns.map((name, c) => {
    const cls = [
      numericCol[c] ? 'num' : '',
      valid && c === cmp.candidate ? 'cand' : '',
      valid && c === cmp.baseline ? 'base' : '',
    ]
      .filter((x) => x !== '')
      .join(' ');
    return `<th scope="col"${cls === '' ? '' : ` class="${cls}"`}>${e(name)}</th>`;
  });
  if (valid) head.push('<th scope="col" class="num delta">Δ</th>');
  const body = table.rows.map((row, r) => {
    const better = valid ? (cmp.better?.[r] ?? 'neutral') : 'neutral';
    const delta = valid ? compareCells(row[cmp.baseline] ?? null, row[cmp.candidate] ?? null, better) : undefined;
    const cells: string[] = [];
    for (let c = 0; c < Math.max(width, row.length); c++) {
      const cell = row[c] ?? null;
      const classes: string[] = [];
      if (numericCol[c] === true) classes.push('num');
      if (valid && c === cmp.candidate) classes.push('cand');
      if (valid && c === cmp.candidate && delta !== undefined && delta.verdict !== 'neutral')
        classes.push(delta.verdict);
      const tag = c === 0 ? 'th scope="row"' : 'td';
      const close = c === 0 ? 'th' : 'td';
      cells.push(`<${tag}${classes.length > 0 ? ` class="${classes.join(' ')}"` : ''}>${e(cellText(cell))}</${close}>`);
    }
    if (valid) {
      if (delta === undefined) cells.push('<td class="num delta"></td>');
      else {
        const label = VERDICT_LABEL[delta.verdict];
        const cls = `num delta${delta.verdict === 'neutral' ? '' : ` ${delta.verdict}`}`;
        cells.push(
          `<td class="${cls}"${label === '' ? '' : ` title="${label}"`}>${e(delta.text)}` +
            `${label === '' ? '' : `<span class="vh"> (${label})</span>`}</td>`,
        );
      }
    }
    return `<tr>${cells.join('')}</tr>`;
  });
  const notes =
    (table.notes ?? []).length > 0
      ? `<ul class="notes">${(table.notes ?? []).map((n) => `<li>${e(n)}</li>`).join('')}</ul>`
      : '';
  const cap = caption === undefined ? '' : `<caption>${e(caption)}</caption>`;
  return `<div class="tbl"><table>${cap}<thead><tr>${head.join('')}</tr></thead><tbody>${body.join('')}</tbody></table>${notes}</div>`;
}

function pct(part: number, whole: number): string {
  return whole > 0 ? ` (${formatNumber(Number(((part / whole) * 100).toFixed(1)))}%)` : '';
}

/** The scoring block for labelled data, as a plain two-column table. */
export function scoringTable(s: ScoringSummary): Table {
  const rows: TableCell[][] = [
    ['Labelled incident windows', s.windows],
    ['Windows acted on', `${formatNumber(s.windowsActedOn)}${pct(s.windowsActedOn, s.windows)}`],
    [
      'Mean delay from window start to first action',
      s.meanDelayMs === undefined ? null : formatDuration(s.meanDelayMs),
    ],
    ['Mean lead of first action before window end', s.meanLeadMs === undefined ? null : formatDuration(s.meanLeadMs)],
    [
      'Actions outside every window',
      `${formatNumber(s.actionsOutsideWindows)}${s.actions === undefined ? '' : pct(s.actionsOutsideWindows, s.actions)}`,
    ],
  ];
  if (s.actions !== undefined) rows.push(['Actions considered', s.actions]);
  return {
    columns: ['Scoring against labels', 'Value'],
    rows,
    notes: [
      "An action counts for a window when it is issued between the window's start and end; " +
        'actions outside every window are candidate false positives.',
    ],
  };
}
