/**
 * The browser half of the charts: plain ES2017 that turns one panel into an inline SVG in
 * the report's visual language (src/report: same layout, CSS classes, Okabe–Ito colours,
 * marker shapes). The report renders on the server from a finished model; a live page
 * redraws on every update, so the little it needs — Heckbert's nice ticks, UTC time ticks,
 * number formats — is restated here in a few lines. Text reaches the SVG escaped.
 */
export const CHART_SCRIPT = String.raw`
var HC = (function () {
  'use strict';
  var W = 1000, H = 250, L = 64, R = 26, T = 30, B = 40;
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function r1(x) { return Math.round(x * 10) / 10; }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  // Heckbert, "Nice numbers for graph labels", Graphics Gems (1990): as src/report/ticks.ts.
  function niceNum(x, round) {
    var e = Math.floor(Math.log10(x)), f = x / Math.pow(10, e), n;
    if (round) n = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else n = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return n * Math.pow(10, e);
  }
  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { var pad0 = lo === 0 ? 1 : Math.abs(lo) * 0.1; lo -= pad0; hi += pad0; }
    var step = niceNum(niceNum(hi - lo, false) / Math.max(1, n - 1), true);
    var dec = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
    var v = [], k0 = Math.floor(lo / step + 1e-9), k1 = Math.ceil(hi / step - 1e-9);
    for (var k = k0; k <= k1; k++) v.push(Number((k * step).toFixed(dec)) || 0);
    return { min: v[0], max: v[v.length - 1], step: step, values: v, decimals: dec };
  }
  function group3(s) { return s.replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function fmtNum(v) {
    if (!isFinite(v)) return v !== v ? '—' : v > 0 ? '∞' : '−∞';
    var s = Math.abs(v) >= 1000 || v === Math.round(v)
      ? group3(String(Math.round(Math.abs(v))))
      : String(Number(Math.abs(v).toPrecision(4)));
    return (v < 0 ? '−' : '') + s;
  }
  function fmtCompact(v) {
    var a = Math.abs(v), u = a >= 1e9 ? 1e9 : a >= 1e6 ? 1e6 : a >= 1e4 ? 1e3 : 1;
    return u === 1 ? fmtNum(v) : (v < 0 ? '−' : '') + Number((a / u).toPrecision(3)) + { 1e3: 'k', 1e6: 'M', 1e9: 'G' }[u];
  }
  function fmtTicks(values, step) {
    var max = 0;
    values.forEach(function (v) { max = Math.max(max, Math.abs(v)); });
    var u = 1, sfx = '';
    if (max >= 1e9) { u = 1e9; sfx = 'G'; } else if (max >= 1e6) { u = 1e6; sfx = 'M'; } else if (max >= 1e4) { u = 1e3; sfx = 'k'; }
    var d = Math.min(10, Math.max(0, -Math.floor(Math.log10(step / u) + 1e-9)));
    return values.map(function (v) {
      var s = (v / u).toFixed(d);
      if (Number(s) === 0) return (0).toFixed(d);
      return (v < 0 ? '−' : '') + (u === 1 ? group3(s.replace('-', '')) : s.replace('-', '')) + sfx;
    });
  }
  function fmtTime(t) {
    var s = new Date(t).toISOString();
    return s.slice(0, 10) + ' ' + s.slice(11, 19) + ' UTC';
  }
  function clock(t) { return new Date(t).toISOString().slice(11, 19); }
  var STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
  // UTC time ticks at calendar-friendly steps, as src/report/time-ticks.ts (which has months and years).
  function timeTicks(lo, hi, n) {
    var span = (hi - lo) / 1000, step = STEPS[STEPS.length - 1];
    for (var i = 0; i < STEPS.length; i++) if (span / STEPS[i] <= n) { step = STEPS[i]; break; }
    var ms = step * 1000, out = [], prev = '';
    for (var t = Math.ceil(lo / ms) * ms; t <= hi; t += ms) {
      var d = new Date(t), day = MONTHS[d.getUTCMonth()] + ' ' + d.getUTCDate();
      var label = step >= 86400 ? day : step < 60 ? clock(t) : pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
      var tick = { v: t, label: label };
      if (step < 86400 && day !== prev) tick.sub = day;
      prev = day;
      out.push(tick);
    }
    return out;
  }
  function dirOf(cmp) { return cmp === '>' || cmp === '>=' ? 'high' : cmp === '<' || cmp === '<=' ? 'low' : 'eq'; }
  // Consecutive points further apart than 2.5 typical steps are not joined: a gap is missing data.
  function runs(pts) {
    if (pts.length < 2) return [pts];
    var d = [];
    for (var i = 1; i < pts.length; i++) d.push(pts[i][0] - pts[i - 1][0]);
    d.sort(function (a, b) { return a - b; });
    var gap = d[Math.floor(d.length / 2)] * 2.5, out = [[pts[0]]];
    for (var j = 1; j < pts.length; j++) {
      if (pts[j][0] - pts[j - 1][0] > gap) out.push([]);
      out[out.length - 1].push(pts[j]);
    }
    return out;
  }
  function markerTip(m, style) {
    var lines = [(m.type || style.name) + ' — ' + style.name + (m.hollow ? ' (not enforced)' : ''), fmtTime(m.t)];
    if (m.params) lines.push(m.params);
    lines.push('mode ' + m.mode + (m.decision ? ', decision ' + m.decision : ''));
    if (m.reason) lines.push(m.reason);
    return lines.join('\n');
  }
  /**
   * One panel → { svg, frame }. g: { markers, spans } of its target; now: the dashboard's event
   * time; cfg: colours and marker styles from the server (src/report/palette.ts).
   */
  function draw(panel, g, now, cfg, id) {
    // A value only decisions report (derived) is sparse: shown as its evidence dots, never joined.
    var derived = panel.points.length === 0;
    var pts = derived ? panel.evidence.map(function (e) { return [e[0], e[1]]; }) : panel.points;
    var ev = panel.evidence;
    var x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    pts.forEach(function (p) { x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]); y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]); });
    ev.forEach(function (e) {
      x0 = Math.min(x0, e[0]); x1 = Math.max(x1, e[0]); y0 = Math.min(y0, e[1], e[2]); y1 = Math.max(y1, e[1], e[2]);
    });
    if (now !== null && now > x1) x1 = now;
    if (!isFinite(x0)) { x1 = now !== null ? now : 0; x0 = x1 - 60000; }
    if (x1 - x0 < 1000) x0 = x1 - 60000;
    // Sparse dots need room at the edges; a line starts at the axis like the report's.
    if (derived) x0 -= (x1 - x0) * 0.03;
    if (!isFinite(y0)) { y0 = 0; y1 = 1; }
    // Zero baseline when zero is near the data (Cleveland, 1985), as the report does.
    if (y0 >= 0 && y0 <= y1 * 0.25) y0 = 0;
    var yt = niceTicks(y0, y1 + (y1 - y0) * 0.04, 5), labels = fmtTicks(yt.values, yt.step);
    var f = { x0: x0, x1: x1, y0: yt.min, y1: yt.max, px0: L, px1: W - R, py0: T, py1: H - B };
    function sx(x) { return r1(f.px0 + ((x - f.x0) / (f.x1 - f.x0)) * (f.px1 - f.px0)); }
    function sy(y) { return r1(f.py1 - ((y - f.y0) / (f.y1 - f.y0)) * (f.py1 - f.py0)); }
    f.sx = sx; f.sy = sy;
    var clip = id + '-clip', s = '';
    s += '<svg viewBox="0 0 ' + W + ' ' + H + '" role="img" aria-label="' + esc(panel.signal + ' of ' + panel.target) + '">';
    s += '<defs><clipPath id="' + clip + '"><rect x="' + (f.px0 - 6) + '" y="' + (f.py0 - 6) +
      '" width="' + (f.px1 - f.px0 + 12) + '" height="' + (f.py1 - f.py0 + 12) + '"/></clipPath></defs>';
    s += '<rect class="bg" x="' + f.px0 + '" y="' + f.py0 + '" width="' + (f.px1 - f.px0) + '" height="' + (f.py1 - f.py0) + '"/>';
    var grid = '', axes = '';
    yt.values.forEach(function (v, i) {
      var y = sy(v);
      grid += '<line x1="' + f.px0 + '" x2="' + f.px1 + '" y1="' + y + '" y2="' + y + '"/>';
      axes += '<text class="yt" x="' + (f.px0 - 8) + '" y="' + y + '" dy="0.32em">' + esc(labels[i]) + '</text>';
    });
    timeTicks(x0, x1, 7).forEach(function (t) {
      var x = sx(t.v);
      grid += '<line class="gx" x1="' + x + '" x2="' + x + '" y1="' + f.py0 + '" y2="' + f.py1 + '"/>';
      axes += '<line class="tk" x1="' + x + '" x2="' + x + '" y1="' + f.py1 + '" y2="' + (f.py1 + 5) + '"/>';
      axes += '<text class="xt" x="' + x + '" y="' + (f.py1 + 18) + '">' + esc(t.label) + '</text>';
      if (t.sub) axes += '<text class="xs" x="' + x + '" y="' + (f.py1 + 32) + '">' + esc(t.sub) + '</text>';
    });
    axes += '<line class="ax" x1="' + f.px0 + '" x2="' + f.px1 + '" y1="' + f.py1 + '" y2="' + f.py1 + '"/>';
    s += '<g class="grid">' + grid + '</g>';
    var spans = '';
    (g ? g.spans : []).forEach(function (sp) {
      var a = Math.max(sp.from, f.x0), b = Math.min(sp.to, f.x1);
      if (a > b) return;
      var st = cfg.spans[sp.hollow ? 'shadow' : 'lease'], x = sx(a), w = Math.max(1, r1(sx(b) - x));
      var tip = sp.family + ' lease' + (sp.hollow ? ' (shadow: not enforced)' : '') + '\n' + fmtTime(sp.from) + ' → ' + fmtTime(sp.to);
      spans += '<g class="sp"><title>' + esc(tip) + '</title><rect x="' + x + '" y="' + f.py0 + '" width="' + w +
        '" height="' + (f.py1 - f.py0) + '" fill="' + st.color + '" fill-opacity="' + st.opacity + '"/>';
      spans += '<path class="edge" d="M' + x + ' ' + f.py0 + 'V' + f.py1 + 'M' + r1(x + w) + ' ' + f.py0 + 'V' + f.py1 +
        '" stroke="' + st.color + '"/></g>';
    });
    s += '<g class="spans" clip-path="url(#' + clip + ')">' + spans + '</g>' + '<g class="axes">' + axes + '</g>';
    // Watermarks: the thresholds the evidence was compared with, as steps (a fair share moves).
    var th = { high: [], low: [], eq: [] }, thOut = '';
    ev.forEach(function (e) { th[dirOf(e[3])].push([e[0], e[2]]); });
    ['high', 'low', 'eq'].forEach(function (k) {
      var list = th[k];
      if (list.length === 0) return;
      var color = cfg.colors[k], d = 'M' + f.px0 + ' ' + sy(list[0][1]), last = list[0][1];
      list.forEach(function (p) { if (p[1] !== last) { d += 'H' + sx(p[0]) + 'V' + sy(p[1]); last = p[1]; } });
      d += 'H' + f.px1;
      var text = cfg.names[k] + ' ' + fmtCompact(last), y = sy(last), bw = r1(text.length * 6.3 + 8);
      thOut += '<g class="th"><title>' + esc(text) + '</title><path d="' + d + '" stroke="' + color + '" fill="none"/>';
      thOut += '<rect class="lb" x="' + r1(f.px1 - 2 - bw) + '" y="' + r1(y - 16) + '" width="' + bw + '" height="14" rx="3"/>';
      thOut += '<text x="' + (f.px1 - 6) + '" y="' + r1(y - 5) + '" fill="' + color + '">' + esc(text) + '</text></g>';
    });
    var line = '';
    (derived ? [] : runs(pts)).forEach(function (run) {
      if (run.length === 0) return;
      line += 'M' + run.map(function (p) { return sx(p[0]) + ' ' + sy(p[1]); }).join('L');
      if (run.length === 1) line += 'h0.1';
    });
    s += '<g class="series" clip-path="url(#' + clip + ')"><path class="ln" d="' + line + '" stroke="' + cfg.colors.line + '"/>';
    ev.forEach(function (e) {
      var c = cfg.colors[dirOf(e[3])];
      s += '<circle class="ev" cx="' + sx(e[0]) + '" cy="' + sy(e[1]) + '" r="' + (derived ? 4.5 : 3.2) +
        '" fill="' + (derived ? c : '#fff') + '" stroke="' + (derived ? '#fff' : c) + '"><title>' +
        esc(panel.signal + ' ' + fmtNum(e[1]) + ' ' + e[3] + ' ' + fmtNum(e[2]) + '\n' + fmtTime(e[0])) + '</title></circle>';
    });
    s += '</g><g class="thresholds">' + thOut + '</g>';
    // Markers on two rows above the plot, as in the report, so neighbours stay visible.
    var rows = [f.py0 - 9, f.py0 - 21], lastX = [-Infinity, -Infinity], mlines = '', glyphs = '';
    (g ? g.markers : []).filter(function (m) { return m.t >= f.x0 && m.t <= f.x1; })
      .sort(function (a, b) { return a.t - b.t; })
      .forEach(function (m) {
        var st = cfg.markers[m.kind === 'set' && m.hollow ? 'shadow' : m.kind] || cfg.markers.set;
        var hollow = st.hollow || m.hollow, color = m.hollow ? cfg.hollow : st.color, x = sx(m.t), row = 0;
        if (x - lastX[0] < 11) row = x - lastX[1] < 11 ? 0 : 1;
        lastX[row] = x;
        mlines += '<line x1="' + x + '" x2="' + x + '" y1="' + f.py0 + '" y2="' + f.py1 + '" stroke="' + color + '"/>';
        var paint = st.shape === 'cross' || hollow ? 'fill="#fff" stroke="' + color + '"' : 'fill="' + color + '" stroke="#fff"';
        glyphs += '<g class="mk mk-' + st.shape + ' k-' + m.kind + '" data-id="' + esc(m.id) +
          '" transform="translate(' + x + ' ' + rows[row] + ')"><title>' +
          esc(markerTip(m, st)) + '</title><path d="' + st.path + '" ' + paint + '/></g>';
      });
    s += '<g class="mlines">' + mlines + '</g><g class="markers">' + glyphs + '</g>';
    if (pts.length === 0)
      s += '<text class="empty" x="' + r1((f.px0 + f.px1) / 2) + '" y="' + r1((f.py0 + f.py1) / 2) + '">Waiting for data</text>';
    s += '<g class="hover" visibility="hidden"><line x1="0" x2="0" y1="' + f.py0 + '" y2="' + f.py1 + '"/>' +
      '<circle r="3.5" fill="' + cfg.colors.line + '"/></g></svg>';
    f.pts = pts;
    return { svg: s, frame: f };
  }
  function nearest(pts, x) {
    var lo = 0, hi = pts.length - 1;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (pts[mid][0] <= x) lo = mid; else hi = mid; }
    return x - pts[lo][0] <= pts[hi][0] - x ? lo : hi;
  }
  /** Crosshair and tooltip on a .plot element whose current frame is plot.hcFrame. */
  function hover(plot, name) {
    var tip = plot.querySelector('.tip');
    plot.addEventListener('mousemove', function (ev) {
      var svg = plot.querySelector('svg'), f = plot.hcFrame;
      if (!svg || !f || !tip || !f.pts.length || typeof svg.getScreenCTM !== 'function') return;
      var hov = svg.querySelector('.hover'), m = svg.getScreenCTM();
      if (!hov || !m) return;
      var p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(m.inverse());
      if (p.x < f.px0 || p.x > f.px1 || p.y < f.py0 - 24 || p.y > f.py1) {
        hov.setAttribute('visibility', 'hidden');
        tip.hidden = true;
        return;
      }
      var k = nearest(f.pts, f.x0 + ((p.x - f.px0) / (f.px1 - f.px0)) * (f.x1 - f.x0)), pt = f.pts[k];
      var ln = hov.querySelector('line'), dot = hov.querySelector('circle');
      ln.setAttribute('x1', String(f.sx(pt[0]))); ln.setAttribute('x2', String(f.sx(pt[0])));
      dot.setAttribute('cx', String(f.sx(pt[0]))); dot.setAttribute('cy', String(f.sy(pt[1])));
      hov.setAttribute('visibility', 'visible');
      tip.textContent = '';
      var head = document.createElement('div'); head.className = 'tt'; head.textContent = fmtTime(pt[0]);
      var row = document.createElement('div'); row.className = 'tr';
      var label = document.createElement('span'); label.textContent = name;
      var val = document.createElement('b'); val.textContent = fmtNum(pt[1]);
      row.appendChild(label); row.appendChild(val); tip.appendChild(head); tip.appendChild(row);
      tip.hidden = false;
      var box = plot.getBoundingClientRect(), left = ev.clientX - box.left + 14;
      if (left + tip.offsetWidth > box.width) left = ev.clientX - box.left - tip.offsetWidth - 14;
      tip.style.left = Math.max(0, left) + 'px';
      tip.style.top = Math.max(0, ev.clientY - box.top - tip.offsetHeight - 8) + 'px';
    });
    plot.addEventListener('mouseleave', function () {
      var hov = plot.querySelector('.hover');
      if (hov) hov.setAttribute('visibility', 'hidden');
      if (tip) tip.hidden = true;
    });
  }
  return { draw: draw, hover: hover, esc: esc, fmtNum: fmtNum, fmtCompact: fmtCompact, fmtTime: fmtTime, clock: clock, dirOf: dirOf };
})();
`;
