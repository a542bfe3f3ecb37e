/**
 * The report page: one self-contained HTML document (inline CSS, inline SVG, one small
 * inline script; no network, no fonts, no external ids). A pure function of the model:
 * nothing here reads a clock or a random source, and every id derives from a position,
 * so the same model always renders to the same bytes.
 */
import type { Report, Section } from './model';
import { escapeHtml as e } from './escape';
import { renderChart, type ChartOptions } from './chart';
import { renderTable } from './table';
import { CSS } from './styles';
import { SCRIPT } from './script';
import { createHash } from 'node:crypto';

/**
 * CSP: no network at all (the page may be opened from a ticket or an air-gapped laptop), and
 * only our own script may run — pinned by its hash, so even a hypothetical escaping bug
 * could not execute injected script. https://www.w3.org/TR/CSP3/#grammardef-hash-source
 */
const SCRIPT_HASH = createHash('sha256').update(SCRIPT, 'utf8').digest('base64');
const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; img-src data:`;

export interface RenderOptions extends ChartOptions {
  /** Include the hover crosshair script (default true). The page is complete without it. */
  interactive?: boolean;
}

function renderSection(section: Section, index: number, options: RenderOptions): string {
  const id = `s${index + 1}`;
  const desc =
    section.description !== undefined && section.description !== ''
      ? `<p class="desc">${e(section.description)}</p>`
      : '';
  const table = section.table !== undefined ? renderTable(section.table) : '';
  const charts = section.charts.map((c, j) => renderChart(c, `c${index + 1}-${j + 1}`, options)).join('');
  return `<section class="card" id="${id}"><h2>${e(section.title)}</h2>${desc}${table}${charts}</section>`;
}

export function renderReport(report: Report, options: RenderOptions = {}): string {
  const sections = report.sections.map((s, i) => renderSection(s, i, options));
  const chartCount = report.sections.reduce((n, s) => n + s.charts.length, 0);
  const toc =
    report.sections.length > 1
      ? `<nav class="toc" aria-label="Sections">${report.sections.map((s, i) => `<a href="#s${i + 1}">${e(s.title)}</a>`).join('')}</nav>`
      : '';
  const summary =
    report.summary !== undefined
      ? `<section class="card summary" id="summary"><h2>Summary</h2>${renderTable(report.summary)}</section>`
      : '';
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const script = options.interactive === false || chartCount === 0 ? '' : `<script>${SCRIPT}</script>`;
  return (
    '<!DOCTYPE html>\n' +
    '<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">` +
    '<meta name="generator" content="homeostat">' +
    `<title>${e(report.title)}</title><style>${CSS}</style></head>\n` +
    '<body><main>' +
    `<header class="top"><h1>${e(report.title)}</h1>` +
    `<p class="meta">Generated from <b>${e(report.generatedFrom)}</b> · ${plural(report.sections.length, 'section')} · ` +
    `${plural(chartCount, 'chart')} · times in UTC</p></header>` +
    toc +
    summary +
    sections.join('\n') +
    '<footer>homeostat report · lines decimated with M4 (Jugel et al., VLDB 2014) so no spike is lost · ' +
    'colours: Okabe–Ito, colour-blind safe · hover a chart for values, a marker for its command</footer>' +
    `</main>${script}</body></html>\n`
  );
}
