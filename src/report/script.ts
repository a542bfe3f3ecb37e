/**
 * The optional hover crosshair: on mouse move over a chart, a vertical line, a dot on each
 * series at its nearest drawn point, and a tooltip with the time and the values. Progressive
 * enhancement only: the page is complete without it (markers and spans carry SVG <title>
 * tooltips). Plain ES2017, every lookup guarded, so it cannot throw on a page it did not
 * expect; text goes in through textContent, never innerHTML.
 */
export const SCRIPT = `
(function () {
  'use strict';
  function fmtT(t) {
    var s = new Date(t).toISOString();
    return s.slice(0, 10) + ' ' + s.slice(11, 19) + ' UTC';
  }
  function fmtV(v) {
    if (!isFinite(v)) return String(v);
    if (Math.abs(v) >= 1000) return Math.round(v).toString().replace(/\\B(?=(\\d{3})+(?!\\d))/g, ',');
    return String(Number(v.toPrecision(4)));
  }
  function nearest(xs, x) {
    var lo = 0, hi = xs.length - 1;
    while (hi - lo > 1) {
      var mid = (lo + hi) >> 1;
      if (xs[mid] <= x) lo = mid; else hi = mid;
    }
    return x - xs[lo] <= xs[hi] - x ? lo : hi;
  }
  Array.prototype.forEach.call(document.querySelectorAll('figure.chart'), function (fig) {
    var el = fig.querySelector('script.cd');
    var plot = fig.querySelector('.plot');
    var svg = fig.querySelector('svg');
    var tip = fig.querySelector('.tip');
    var hov = svg ? svg.querySelector('.hover') : null;
    if (!el || !plot || !svg || !tip || !hov || typeof svg.getScreenCTM !== 'function') return;
    var data;
    try { data = JSON.parse(el.textContent || ''); } catch (err) { return; }
    if (!data || !data.f || !data.s) return;
    var f = data.f;
    // x arrives as deltas in units of f.u (see hoverData in chart.ts): make offsets from f.x0.
    data.s.forEach(function (s) {
      var acc = 0;
      for (var k = 0; k < s.x.length; k++) { acc += s.x[k]; s.x[k] = acc * f.u; }
    });
    var line = hov.querySelector('line');
    var dots = hov.querySelectorAll('circle');
    function toY(y) {
      var t = f.log
        ? (Math.log(y) - Math.log(f.y0)) / (Math.log(f.y1) - Math.log(f.y0))
        : (y - f.y0) / (f.y1 - f.y0);
      return f.py1 - t * (f.py1 - f.py0);
    }
    function hide() {
      hov.setAttribute('visibility', 'hidden');
      tip.hidden = true;
    }
    svg.addEventListener('mousemove', function (ev) {
      var m = svg.getScreenCTM();
      if (!m || !line) return;
      var p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(m.inverse());
      if (p.x < f.px0 || p.x > f.px1 || p.y < f.py0 - 16 || p.y > f.py1) { hide(); return; }
      var x = f.x0 + ((p.x - f.px0) / (f.px1 - f.px0)) * (f.x1 - f.x0);
      line.setAttribute('x1', String(p.x));
      line.setAttribute('x2', String(p.x));
      tip.textContent = '';
      var head = document.createElement('div');
      head.className = 'tt';
      head.textContent = fmtT(x);
      tip.appendChild(head);
      data.s.forEach(function (s, i) {
        var dot = dots[i];
        if (!s.x.length) { if (dot) dot.setAttribute('visibility', 'hidden'); return; }
        var k = nearest(s.x, x - f.x0);
        var px = f.px0 + (s.x[k] / (f.x1 - f.x0)) * (f.px1 - f.px0);
        var py = toY(s.y[k]);
        if (dot) {
          dot.setAttribute('cx', String(px));
          dot.setAttribute('cy', String(py));
          dot.setAttribute('visibility', py >= f.py0 && py <= f.py1 ? 'inherit' : 'hidden');
        }
        var row = document.createElement('div');
        row.className = 'tr';
        var sw = document.createElement('i');
        sw.style.background = s.c;
        var name = document.createElement('span');
        name.textContent = s.n;
        var val = document.createElement('b');
        val.textContent = fmtV(s.y[k]);
        row.appendChild(sw); row.appendChild(name); row.appendChild(val);
        tip.appendChild(row);
      });
      hov.setAttribute('visibility', 'visible');
      tip.hidden = false;
      var box = plot.getBoundingClientRect();
      var left = ev.clientX - box.left + 14;
      if (left + tip.offsetWidth > box.width) left = ev.clientX - box.left - tip.offsetWidth - 14;
      var top = Math.max(0, Math.min(box.height - tip.offsetHeight, ev.clientY - box.top - tip.offsetHeight / 2));
      // On narrow screens the plot scrolls sideways; the tip lives in its scrolled content.
      tip.style.left = Math.max(0, left) + plot.scrollLeft + 'px';
      tip.style.top = top + 'px';
    });
    svg.addEventListener('mouseleave', hide);
  });
})();
`;
