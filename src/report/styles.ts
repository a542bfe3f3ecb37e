/**
 * The page's only stylesheet, inlined. System font stack (no web fonts: the report must open
 * offline), light neutral background, tabular figures for numbers, muted chart chrome so the
 * data carries the ink (Tufte's data-ink ratio, "The Visual Display of Quantitative Information", 1983).
 */
export const CSS =
  `
:root{--bg:#f5f6f8;--card:#fff;--text:#1f2933;--muted:#66707c;--faint:#9aa3ad;--line:#e3e6ea;--grid:#edf0f2;` +
  `--good:#007a5a;--good-bg:#e3f4ee;--bad:#b34700;--bad-bg:#fbeade}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.5 ` +
  `system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 24px 48px}
header.top{margin:0 0 18px}
header.top h1{font-size:26px;line-height:1.25;margin:0 0 4px;font-weight:650;letter-spacing:-.01em}
header.top .meta{margin:0;color:var(--muted)}
header.top .meta b{color:var(--text);font-weight:600}
nav.toc{display:flex;flex-wrap:wrap;gap:6px 8px;margin:0 0 20px;padding:0;list-style:none}
nav.toc a{display:inline-block;padding:3px 10px;border:1px solid var(--line);border-radius:999px;background:var(--card);` +
  `color:var(--text);text-decoration:none;font-size:13px}
nav.toc a:hover{border-color:#0072B2;color:#0072B2}
section.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:20px 24px 8px;margin:0 0 20px;` +
  `box-shadow:0 1px 2px rgba(16,24,40,.04)}
section.card h2{font-size:18px;margin:0 0 4px;font-weight:640}
section.card>p.desc{margin:0 0 14px;color:var(--muted);max-width:80ch}
.tbl{margin:12px 0 18px;overflow-x:auto;position:relative}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;min-width:50%}
caption{text-align:left;font-weight:600;padding:0 0 6px;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
th,td{padding:6px 14px;border-bottom:1px solid var(--line);text-align:left;vertical-align:baseline}
thead th{font-size:12px;font-weight:600;color:var(--muted);border-bottom:1px solid #cfd5db;white-space:nowrap}
tbody th{font-weight:500}
.num{text-align:right;white-space:nowrap}
th.cand,td.cand{font-weight:600}
thead th.cand{color:var(--text)}
td.better{background:var(--good-bg);color:var(--good)}
td.worse{background:var(--bad-bg);color:var(--bad)}
td.delta{font-size:13px;color:var(--muted)}
td.delta.better{color:var(--good);background:none;font-weight:600}
td.delta.worse{color:var(--bad);background:none;font-weight:600}
tbody tr:last-child th,tbody tr:last-child td{border-bottom:0}
ul.notes{margin:8px 0 0;padding:0 0 0 18px;color:var(--muted);font-size:12.5px}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
figure.chart{margin:8px 0 22px;padding:14px 0 0;border-top:1px solid var(--line)}
figure.chart figcaption{display:flex;justify-content:space-between;align-items:baseline;gap:12px;flex-wrap:wrap}
figure.chart .ct{font-weight:600;font-size:15px}
figure.chart .cm{color:var(--faint);font-size:12px;font-variant-numeric:tabular-nums}
ul.legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:6px 0 2px;padding:0;list-style:none;font-size:12.5px;color:#3e4752}
ul.legend li{display:inline-flex;align-items:center;gap:6px}
.sw{display:inline-block;width:18px;height:0;border-top:2.5px solid var(--c);position:relative}
.sw-step{height:7px;border-top:2.5px solid var(--c);border-right:2.5px solid var(--c);width:10px;margin-right:8px}
.sw-area{height:11px;border-top:2.5px solid var(--c)}
.sw-area::after,.sw-span::after{content:"";position:absolute;inset:0;background:var(--c);opacity:var(--o,.2)}
.sw-th{border-top:2px dashed var(--c)}
.sw-span{width:14px;height:12px;border:0}
.gl{font-size:11px;line-height:1;width:14px;text-align:center}
.plot{position:relative}
.plot svg{display:block;width:100%;height:auto;font-size:12px;overflow:visible}
svg .bg{fill:#fff}
svg .grid line{stroke:var(--grid);stroke-width:1}
svg .grid line.gx{stroke:#f3f4f6}
svg .ax,svg .tk{stroke:#a8b0b9;stroke-width:1}
svg .axes text{fill:var(--muted)}
svg .axes .yt{text-anchor:end}
svg .axes .xt{text-anchor:middle;fill:#4b5563}
svg .axes .xs{text-anchor:middle;fill:var(--faint);font-size:11px}
svg .axes .yl{text-anchor:middle;fill:#4b5563;font-weight:500}
svg .ln{fill:none;stroke-width:1.6;stroke-linejoin:round;stroke-linecap:round}
svg .fill{fill-opacity:.14;stroke:none}
svg .th line{stroke-width:1.3;stroke-dasharray:6 4}
svg .th .lb{fill:#fff;fill-opacity:.88}
svg .spans .edge{stroke-opacity:.3;stroke-width:1;fill:none}
svg .th text{text-anchor:end;font-size:11px;font-weight:600}
svg .spans text{font-size:11px;font-weight:600;fill-opacity:.85}
svg .mlines line{stroke-opacity:.4;stroke-width:1;stroke-dasharray:2 3}
svg .mk{cursor:help}
svg .mk path{stroke-width:1.2}
svg .mk-cross path{stroke-width:2.2;stroke-linecap:round}
svg .empty{text-anchor:middle;fill:var(--faint);font-size:14px}
svg .hover{pointer-events:none}
svg .hover line{stroke:#1f2933;stroke-opacity:.45;stroke-width:1}
svg .hover circle{stroke:#fff;stroke-width:1.5}
.tip{position:absolute;top:0;left:0;pointer-events:none;background:rgba(23,28,36,.94);color:#fff;font-size:12px;line-height:1.45;` +
  `padding:7px 10px;border-radius:7px;white-space:nowrap;box-shadow:0 4px 14px rgba(0,0,0,.18);font-variant-numeric:tabular-nums;z-index:2}
.tip[hidden]{display:none}
.tip .tt{color:#c9d1d9;margin-bottom:2px}
.tip .tr{display:flex;align-items:center;gap:6px}
.tip .tr i{display:inline-block;width:9px;height:9px;border-radius:2px}
.tip .tr b{margin-left:auto;padding-left:14px;font-weight:600}
footer{color:var(--faint);font-size:12px;margin-top:28px;text-align:center}
@media (max-width:700px){main{padding:16px 10px 32px}section.card{padding:14px 12px 4px}` +
  `th,td{padding:5px 8px}.plot{overflow-x:auto}.plot svg{min-width:620px}}
@media print{body{background:#fff}section.card{box-shadow:none;break-inside:avoid}figure.chart{break-inside:avoid}nav.toc{display:none}}
`;
