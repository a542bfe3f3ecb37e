/**
 * The browser half of the page: follows /dashboard/events (a `snapshot`, then `update`s),
 * keeps the same bounded structures as the server, and repaints what changed once per
 * animation frame. Updates are applied idempotently (points upsert by time, the rest by
 * id), so an update overlapping a fresh snapshot does no harm. Plain ES2017; user data
 * reaches the DOM through textContent or HC.esc, never raw.
 */
export const APP_SCRIPT = String.raw`
(function () {
  'use strict';
  var cfgEl = document.getElementById('hs-config');
  if (!cfgEl || typeof EventSource !== 'function') return;
  var CFG = JSON.parse(cfgEl.textContent || '{}');
  var esc = HC.esc, fmtNum = HC.fmtNum;
  var S = null, ui = { groups: new Map(), cards: new Map() }, dirty = { all: true, groups: new Set(), tables: true }, frame = 0;
  var $ = function (id) { return document.getElementById(id); };
  /** Wall clock of the last repaint of every chart (browser-side pacing only). */
  var lastFull = 0;

  function fresh(limits) {
    return {
      now: null, limits: limits, counts: {}, policies: [], groups: new Map(), panels: new Map(),
      leases: [], decisions: [], decisionIds: new Set()
    };
  }
  function groupOf(key, policy, target) {
    var g = S.groups.get(key);
    if (!g) {
      g = { key: key, policy: policy, target: target, panels: new Map(), markers: [], markerIds: new Map(), spans: [] };
      S.groups.set(key, g);
    }
    return g;
  }
  function upsert(list, t, row) {
    var lo = 0, hi = list.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (list[mid][0] < t) lo = mid + 1; else hi = mid; }
    if (lo < list.length && list[lo][0] === t) list[lo] = row; else list.splice(lo, 0, row);
    if (list.length > S.limits.maxPointsPerSeries) list.shift();
  }
  function addPanel(p) {
    var g = groupOf(p.group, p.policy, p.target), old = S.panels.get(p.id);
    if (old) {
      p.points.forEach(function (r) { upsert(old.points, r[0], r); });
      p.evidence.forEach(function (r) { upsert(old.evidence, r[0], r); });
    } else {
      S.panels.set(p.id, p);
      g.panels.set(p.id, p);
    }
    dirty.groups.add(p.group);
  }
  function addMarker(m) {
    var g = groupOf(m.group, '', ''), i = g.markerIds.get(m.id);
    if (i !== undefined) { g.markers[i] = m; } else {
      g.markers.push(m);
      if (g.markers.length > S.limits.maxPointsPerSeries) g.markers.shift();
      g.markerIds = new Map(g.markers.map(function (x, k) { return [x.id, k]; }));
    }
    dirty.groups.add(m.group);
  }
  function addSpan(sp) {
    var g = groupOf(sp.group, '', ''), found = false;
    g.spans = g.spans.map(function (x) { if (x.id === sp.id) { found = true; return sp; } return x; });
    if (!found) g.spans.push(sp);
    dirty.groups.add(sp.group);
  }
  function addDecision(d) {
    if (S.decisionIds.has(d.id)) return;
    S.decisions.push(d); S.decisionIds.add(d.id);
    if (S.decisions.length > S.limits.maxDecisions) S.decisionIds.delete(S.decisions.shift().id);
  }
  function addTarget(t) {
    var g = groupOf(t.key, t.policy, t.target);
    g.policy = t.policy; g.target = t.target;
    dirty.groups.add(t.key);
  }
  function removeGroup(key) {
    var g = S.groups.get(key);
    if (!g) return;
    g.panels.forEach(function (_, id) { S.panels.delete(id); });
    S.groups.delete(key);
    var el = ui.groups.get(key);
    if (el && el.root.parentNode) el.root.parentNode.removeChild(el.root);
    ui.groups.delete(key);
  }
  function onSnapshot(snap) {
    S = fresh(snap.limits);
    ui.groups.forEach(function (el) { if (el.root.parentNode) el.root.parentNode.removeChild(el.root); });
    ui.groups = new Map();
    S.now = snap.now; S.counts = snap.counts; S.policies = snap.policies; S.leases = snap.leases;
    snap.targets.forEach(addTarget);
    snap.panels.forEach(addPanel);
    snap.markers.forEach(addMarker);
    snap.spans.forEach(addSpan);
    snap.decisions.forEach(addDecision);
    dirty.all = true; dirty.tables = true;
    schedule();
  }
  function onUpdate(d) {
    if (!S) return;
    // The time axes end at the event time: repaint every chart for it now and then, not on
    // every update (a hundred charts a few times a second would be wasted work).
    if (d.now !== null && (S.now === null || d.now > S.now)) { S.now = d.now; if (Date.now() - lastFull > 2000) dirty.all = true; }
    S.counts = d.counts;
    d.removed.forEach(removeGroup);
    if (d.policies) S.policies = d.policies;
    if (d.leases) S.leases = d.leases;
    d.targets.forEach(addTarget);
    d.panels.forEach(addPanel);
    d.points.forEach(function (r) {
      var p = S.panels.get(r[0]);
      if (p) { upsert(p.points, r[1], [r[1], r[2]]); dirty.groups.add(p.group); }
    });
    d.evidence.forEach(function (r) {
      var p = S.panels.get(r[0]);
      if (p) { upsert(p.evidence, r[1], [r[1], r[2], r[3], r[4]]); dirty.groups.add(p.group); }
    });
    d.markers.forEach(addMarker);
    d.spans.forEach(addSpan);
    d.decisions.forEach(addDecision);
    dirty.tables = true;
    schedule();
  }
  function schedule() { if (!frame) frame = requestAnimationFrame(render); }

  function badge(cls, text) { return '<span class="badge ' + cls + '">' + esc(text) + '</span>'; }
  function mode(m) { return badge('m-' + m, m); }
  function timeCell(t) { return '<td class="num" title="' + esc(HC.fmtTime(t)) + '">' + esc(HC.clock(t)) + '</td>'; }
  function evidenceText(e) { return e.signal + ' ' + HC.fmtCompact(e.value) + ' ' + e.comparison + ' ' + HC.fmtCompact(e.threshold); }
  function leasesOf(policy) {
    return S.leases.filter(function (l) { return l.policy === policy && (S.now === null || l.expiresAt > S.now); });
  }

  function renderTables() {
    $('hs-now').textContent = S.now === null ? 'no data yet' : HC.fmtTime(S.now);
    var c = S.counts || {};
    $('hs-counts').textContent = fmtNum(c.signals || 0) + ' signals · ' + fmtNum(c.commands || 0) + ' commands · ' +
      fmtNum(c.decisions || 0) + ' decisions';
    var pol = S.policies.map(function (p) {
      var targets = 0;
      S.groups.forEach(function (g) { if (g.policy === p.name) targets++; });
      return '<tr><th>' + esc(p.name) + '</th><td>' + esc(p.type || '—') + '</td><td>' + esc(p.version || '—') +
        '</td><td>' + mode(p.mode) +
        '</td><td class="num">' + targets + '</td><td class="num">' + leasesOf(p.name).length + '</td></tr>';
    }).join('');
    $('hs-policies').innerHTML = pol ||
      '<tr><td colspan="6" class="muted">No policy configured: the processor computes signals only.</td></tr>';
    var live = S.leases.filter(function (l) { return S.now === null || l.expiresAt > S.now; });
    $('hs-leases').innerHTML = live.map(function (l) {
      var total = Math.max(1, l.expiresAt - l.issuedAt), left = S.now === null ? total : Math.max(0, l.expiresAt - S.now);
      var pct = Math.round((left / total) * 100);
      return '<tr><th>' + esc(l.target) + '</th><td>' + esc(l.policy) + '</td><td><code>' + esc(l.type) + '</code> ' +
        esc(l.params) + '</td><td>' + mode(l.mode) + '</td>' +
        timeCell(l.since) + timeCell(l.issuedAt) + timeCell(l.expiresAt) +
        '<td class="num"><span class="bar" title="' + pct + '% of the lease left"><i style="width:' + pct + '%"></i></span> ' +
        esc(Math.round(left / 1000) + ' s') + '</td></tr>';
    }).join('') || '<tr><td colspan="8" class="muted">No lease in force.</td></tr>';
    var rows = S.decisions.slice().reverse().map(function (d) {
      var ev = d.evidence.map(function (e) { return '<div>' + esc(evidenceText(e)) + '</div>'; }).join('');
      return '<tr class="k-' + esc(d.kind) + '">' + timeCell(d.eventTime) + '<td>' + esc(d.policy) + '</td><th>' + esc(d.target) +
        '</th><td>' + badge('d-' + d.kind, d.kind) +
        '<div class="muted sm">' + esc(d.mode) + '</div></td><td><code>' + esc(d.actionType || '—') + '</code>' +
        (d.guardrail ? '<div class="muted sm">guardrail: ' + esc(d.guardrail) + '</div>' : '') +
        '</td><td class="evd">' + (ev || '—') + '</td><td class="why">' + esc(d.reason) + '</td></tr>';
    }).join('');
    $('hs-decisions').innerHTML = rows || '<tr><td colspan="7" class="muted">No decision yet.</td></tr>';
    $('hs-empty').hidden = S.groups.size > 0;
  }

  function card(policy) {
    var el = ui.cards.get(policy);
    if (el) return el;
    var sec = document.createElement('section');
    sec.className = 'card pol';
    sec.innerHTML = '<h2></h2><p class="desc"></p><div class="tgts"></div>';
    $('hs-cards').appendChild(sec);
    el = { root: sec, title: sec.querySelector('h2'), desc: sec.querySelector('.desc'), body: sec.querySelector('.tgts') };
    ui.cards.set(policy, el);
    return el;
  }
  function groupEl(g) {
    var el = ui.groups.get(g.key);
    if (el) return el;
    var root = document.createElement('div');
    root.className = 'tgt';
    root.innerHTML = '<h3><span class="tn"></span><span class="lease"></span></h3><div class="figs"></div>';
    el = {
      root: root, name: root.querySelector('.tn'), lease: root.querySelector('.lease'),
      figs: root.querySelector('.figs'), panels: new Map()
    };
    el.name.textContent = g.target;
    ui.groups.set(g.key, el);
    return el;
  }
  function figureFor(el, p) {
    var fig = el.panels.get(p.id);
    if (fig) return fig;
    var root = document.createElement('figure');
    root.className = 'chart';
    root.innerHTML = '<figcaption><span class="ct"></span><span class="cm"></span></figcaption>' +
      '<div class="plot"><div class="svg"></div><div class="tip" hidden></div></div>';
    root.querySelector('.ct').textContent = p.signal;
    fig = { root: root, meta: root.querySelector('.cm'), svg: root.querySelector('.svg'), plot: root.querySelector('.plot') };
    HC.hover(fig.plot, p.signal);
    el.panels.set(p.id, fig);
    el.figs.appendChild(root);
    return fig;
  }
  var seq = 0;
  function renderGroup(g) {
    if (!g.policy) return;
    var el = groupEl(g), c = card(g.policy);
    if (el.root.parentNode !== c.body) c.body.appendChild(el.root);
    var held = S.leases.filter(function (l) {
      return l.policy === g.policy && l.target === g.target && (S.now === null || l.expiresAt > S.now);
    });
    el.lease.innerHTML = held.map(function (l) {
      return badge('lease-' + l.mode, l.type + (l.params ? ' · ' + l.params : ''));
    }).join(' ');
    var panels = Array.from(g.panels.values()).sort(function (a, b) { return a.signal < b.signal ? -1 : 1; });
    if (panels.length === 0 && !el.note) {
      el.note = document.createElement('p'); el.note.className = 'muted'; el.note.textContent = 'No signal cited yet.';
      el.figs.appendChild(el.note);
    }
    panels.forEach(function (p) {
      var fig = figureFor(el, p), r = HC.draw(p, g, S.now, CFG, 'hc' + (++seq));
      fig.svg.innerHTML = r.svg;
      fig.plot.hcFrame = r.frame;
      var last = p.points.length ? p.points[p.points.length - 1] : null;
      fig.meta.textContent = last
        ? 'now ' + HC.fmtCompact(last[1]) + ' · ' + p.points.length + ' windows · UTC'
        : p.evidence.length + ' evidence points · reported by the policy, not a window signal · UTC';
    });
  }
  function renderCards() {
    var order = S.policies.map(function (p) { return p.name; });
    S.groups.forEach(function (g) { if (g.policy && order.indexOf(g.policy) < 0) order.push(g.policy); });
    order.forEach(function (name) {
      var has = false;
      S.groups.forEach(function (g) { if (g.policy === name) has = true; });
      if (!has) { var old = ui.cards.get(name); if (old) old.root.hidden = true; return; }
      var c = card(name), p = S.policies.filter(function (x) { return x.name === name; })[0];
      c.root.hidden = false;
      c.title.innerHTML = esc(name) + ' ' + (p ? mode(p.mode) : '');
      c.desc.textContent = (p && p.type ? p.type + (p.version ? ' (version ' + p.version + ')' : '') + ' · ' : '') +
        'a chart per target and cited signal · shading: leases · markers: commands';
      $('hs-cards').appendChild(c.root);
      // Targets holding a lease first, then the most recently active.
      var gs = [];
      S.groups.forEach(function (g) { if (g.policy === name) gs.push(g); });
      var held = function (g) {
        return S.leases.some(function (l) {
          return l.policy === g.policy && l.target === g.target && (S.now === null || l.expiresAt > S.now);
        }) ? 1 : 0;
      };
      var lastT = function (g) { return g.markers.length ? g.markers[g.markers.length - 1].t : 0; };
      gs.sort(function (a, b) { return held(b) - held(a) || lastT(b) - lastT(a) || (a.target < b.target ? -1 : 1); });
      gs.forEach(function (g) { var el = groupEl(g); c.body.appendChild(el.root); });
    });
    applyFilter();
  }
  function applyFilter() {
    var q = ($('hs-filter').value || '').trim().toLowerCase();
    ui.groups.forEach(function (el, key) {
      var g = S.groups.get(key);
      el.root.hidden = !!q && !!g && (g.target + ' ' + g.policy).toLowerCase().indexOf(q) < 0;
    });
  }
  function render() {
    frame = 0;
    if (!S) return;
    if (dirty.all) { lastFull = Date.now(); S.groups.forEach(function (g) { dirty.groups.add(g.key); }); }
    dirty.groups.forEach(function (key) { var g = S.groups.get(key); if (g) renderGroup(g); });
    if (dirty.all || dirty.groups.size > 0) renderCards();
    if (dirty.tables || dirty.all) renderTables();
    dirty = { all: false, groups: new Set(), tables: false };
  }
  function status(text, cls) { var el = $('hs-conn'); el.textContent = text; el.className = 'conn ' + cls; }
  $('hs-filter').addEventListener('input', applyFilter);
  var es = new EventSource(CFG.events);
  es.addEventListener('open', function () { status('live', 'on'); });
  es.addEventListener('error', function () { status(es.readyState === 2 ? 'disconnected' : 'reconnecting…', 'off'); });
  es.addEventListener('snapshot', function (e) { onSnapshot(JSON.parse(e.data)); });
  es.addEventListener('update', function (e) { onUpdate(JSON.parse(e.data)); });
  window.addEventListener('beforeunload', function () { es.close(); });
})();
`;
