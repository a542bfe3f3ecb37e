/**
 * The dashboard page: one self-contained HTML document served by the processor — the
 * report's stylesheet and palette (src/report), a few rules of its own, and two inline
 * scripts pinned by hash in the Content-Security-Policy. No CDN, no fonts, no network but
 * the page's own event stream (connect-src 'self').
 */
import { createHash } from 'node:crypto';
import { jsonForScript, escapeHtml as e } from '../report/escape';
import { NEUTRAL, OKABE_ITO, markerStyle, shapePath, spanStyle } from '../report/palette';
import { CSS } from '../report/styles';
import { APP_SCRIPT } from './client-app';
import { CHART_SCRIPT } from './client-chart';
import type { MarkerKind } from './types';

const DASHBOARD_CSS = `
header.top{display:flex;justify-content:space-between;align-items:flex-end;gap:16px;flex-wrap:wrap}
.conn{display:inline-flex;align-items:center;gap:6px;font-weight:600}
.conn::before{content:"";width:8px;height:8px;border-radius:50%;background:var(--faint)}
.conn.on{color:var(--good)}.conn.on::before{background:#009E73;box-shadow:0 0 0 3px rgba(0,158,115,.18)}
.conn.off{color:var(--bad)}.conn.off::before{background:#D55E00}
input.filter{font:inherit;padding:6px 12px;border:1px solid var(--line);border-radius:999px;min-width:240px;background:var(--card)}
input.filter:focus{outline:2px solid rgba(0,114,178,.35);border-color:#0072B2}
section.card h3{font-size:14px;margin:18px 0 6px;font-weight:620;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.tgt{border-top:1px solid var(--line);padding-top:12px;margin-top:6px}
.tgt:first-child{border-top:0;margin-top:0;padding-top:0}
section.card .tgt h3{display:flex;align-items:center;gap:10px;flex-wrap:wrap;text-transform:none;
letter-spacing:0;color:var(--text);font-size:16px;margin:6px 0 0}
.tgt figure.chart{border-top:0;margin:2px 0 12px;padding-top:6px}
.tgt figure.chart .ct{font-size:13.5px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;line-height:1.6;
white-space:nowrap;background:#eef0f2;color:#4b5563}
.m-enforce,.d-acted{background:#e3eef7;color:#005a8c}
.m-canary{background:#fdf0d5;color:#8a5a00}
.d-renewed{background:#e6f3fb;color:#2f7fae}
.d-reverted{background:#fdf0d5;color:#8a5a00}
.d-blocked{background:var(--bad-bg);color:var(--bad)}
.d-escalated{background:#f8e8f1;color:#9b3d71}
.lease-enforce,.lease-canary{background:#e3eef7;color:#005a8c;font-weight:500}
.lease-shadow{background:#fff;color:#4b5563;border:1px dashed #9aa3ad;font-weight:500}
h2 .badge{vertical-align:middle;margin-left:6px}
.bar{display:inline-block;width:64px;height:6px;border-radius:3px;background:var(--grid);vertical-align:middle;overflow:hidden}
.bar i{display:block;height:100%;background:#0072B2;border-radius:3px}
td.evd{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12px}
td.evd div{white-space:nowrap}
table.dense th,table.dense td{padding:6px 10px}
table.dense tbody th,table.dense td.num{white-space:nowrap}
td.why{color:var(--muted);font-size:12.5px;min-width:26ch}
.muted{color:var(--faint)}
.sm{font-size:11.5px}
code{font-size:12px}
.tbl.scroll{max-height:480px;overflow:auto}
.tbl.scroll thead th{position:sticky;top:0;background:var(--card);z-index:1}
table.wide{width:100%}
svg .ev{stroke-width:1.5}
svg .th path{stroke-width:1.3;stroke-dasharray:6 4}
.plot .svg{line-height:0}
`;

/** Everything the browser needs from the server's palette, computed once. */
function clientConfig(eventsPath: string): unknown {
  const kinds: Array<MarkerKind | 'shadow'> = ['set', 'renew', 'revert', 'expired', 'blocked', 'escalated', 'shadow'];
  const markers = Object.fromEntries(
    kinds.map((k) => {
      const st = markerStyle(k);
      return [
        k,
        {
          color: st.color,
          shape: st.shape,
          hollow: st.hollow,
          glyph: st.glyph,
          name: st.name,
          path: shapePath(st.shape, 5),
        },
      ];
    }),
  );
  return {
    events: eventsPath,
    markers,
    spans: { lease: spanStyle('lease'), shadow: { color: NEUTRAL, opacity: 0.07 } },
    /** Commands that enforced nothing (shadow, canary control group) are drawn as grey outlines. */
    hollow: NEUTRAL,
    colors: { line: OKABE_ITO.blue, high: OKABE_ITO.vermillion, low: OKABE_ITO.bluishGreen, eq: NEUTRAL },
    names: { high: 'high watermark', low: 'low watermark', eq: 'threshold' },
  };
}

function legend(): string {
  const item = (glyph: string, color: string, name: string): string =>
    `<li><span class="gl" style="color:${color}">${glyph}</span>${e(name)}</li>`;
  const kinds: Array<MarkerKind | 'shadow'> = ['set', 'renew', 'revert', 'expired', 'blocked', 'escalated', 'shadow'];
  return (
    '<ul class="legend">' +
    `<li><span class="sw sw-line" style="--c:${OKABE_ITO.blue}"></span>signal</li>` +
    `<li><span class="sw sw-th" style="--c:${OKABE_ITO.vermillion}"></span>high watermark</li>` +
    `<li><span class="sw sw-th" style="--c:${OKABE_ITO.bluishGreen}"></span>low watermark</li>` +
    `<li><span class="sw sw-span" style="--c:${spanStyle('lease').color};` +
    `--o:${spanStyle('lease').opacity * 2}"></span>lease in force</li>` +
    `<li><span class="gl" style="color:${OKABE_ITO.vermillion}">○</span>evidence</li>` +
    kinds.map((k) => item(markerStyle(k).glyph, markerStyle(k).color, markerStyle(k).name)).join('') +
    '</ul>'
  );
}

export interface DashboardPage {
  html: string;
  /** The Content-Security-Policy header value that goes with it. */
  csp: string;
}

export function renderPage(options: { title: string; eventsPath: string }): DashboardPage {
  const scripts = [CHART_SCRIPT, APP_SCRIPT];
  const hashes = scripts.map((s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`).join(' ');
  // https://www.w3.org/TR/CSP3/: only our two scripts run; the only connection is back to us.
  const csp =
    `default-src 'none'; style-src 'unsafe-inline'; script-src ${hashes}; connect-src 'self'; img-src data:; ` +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  const html =
    '<!DOCTYPE html>\n' +
    '<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    // No favicon request: a 404 would be the page's only console error.
    '<link rel="icon" href="data:,">' +
    `<title>${e(options.title)}</title><style>${CSS}${DASHBOARD_CSS}</style></head>\n` +
    '<body><main>' +
    `<header class="top"><div><h1>${e(options.title)}</h1>` +
    '<p class="meta"><span id="hs-conn" class="conn">connecting…</span> · ' +
    'event time <b id="hs-now">—</b> · <span id="hs-counts"></span></p></div>' +
    '<input id="hs-filter" class="filter" type="search" placeholder="Filter targets or policies" ' +
    'aria-label="Filter targets or policies"></header>' +
    '<section class="card" id="hs-overview"><h2>Policies and leases</h2>' +
    '<p class="desc">Modes as the processor last applied them; leases in force at the current event time — ' +
    'an executor reverts a lease that is not renewed before it expires.</p>' +
    '<div class="tbl"><table class="wide"><thead><tr><th>Policy</th><th>Type</th><th>Version</th><th>Mode</th>' +
    '<th class="num">Targets</th><th class="num">Leases</th></tr></thead><tbody id="hs-policies"></tbody></table></div>' +
    '<div class="tbl"><table class="wide"><caption>Leases in force</caption><thead><tr>' +
    '<th>Target</th><th>Policy</th><th>Action</th><th>Mode</th><th class="num">Since</th><th class="num">Issued</th>' +
    '<th class="num">Expires</th><th class="num">Left</th></tr></thead><tbody id="hs-leases"></tbody></table></div>' +
    '</section>' +
    `<div id="hs-legend">${legend()}</div>` +
    '<p id="hs-empty" class="muted">No policy has cited a signal yet: a chart appears for each target and signal ' +
    'as soon as a policy decides about it, with the recent windows that led there.</p>' +
    '<div id="hs-cards"></div>' +
    '<section class="card" id="hs-recent"><h2>Recent decisions</h2>' +
    '<p class="desc">Every evaluation that mattered, newest first, with the evidence it compared.</p>' +
    '<div class="tbl scroll"><table class="wide dense"><thead><tr><th class="num">Time</th><th>Policy</th><th>Target</th>' +
    '<th>Kind</th><th>Action</th><th>Evidence</th><th>Reason</th></tr></thead><tbody id="hs-decisions"></tbody></table></div></section>' +
    '<footer>homeostat live dashboard · event time in UTC · colours: Okabe–Ito, colour-blind safe · ' +
    'hover a chart for values, a marker for its command</footer>' +
    `</main><script type="application/json" id="hs-config">${jsonForScript(clientConfig(options.eventsPath))}</script>` +
    scripts.map((s) => `<script>${s}</script>`).join('') +
    '</body></html>\n';
  return { html, csp };
}
