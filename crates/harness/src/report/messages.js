// messages.html: a Lamport diagram of one time window at a time. Messages are
// [send, end|-1, src, dest, type, reason|-1, text], faults
// [kind, node|null, start, end, detail], times in µs since the test started.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('data').textContent);
  var msgs = D.msgs, END = Math.max(D.end, 1);
  var isClient = {};
  D.clients.forEach(function (i) { isClient[i] = true; });
  var TOP = 26, LEFT = 78, MINCOL = 64, LABEL_MAX = 40;
  var canvas = document.getElementById('canvas'), wrap = document.getElementById('wrap');
  var tip = document.getElementById('tip'), ctx = canvas.getContext('2d');
  var opt = { each: false, clients: true, labels: true };

  // Messages sorted by send time; the longest flight bounds how far before
  // the window a message crossing it can have been sent.
  var order = msgs.map(function (_, i) { return i; });
  order.sort(function (a, b) { return msgs[a][0] - msgs[b][0] || a - b; });
  var sends = order.map(function (i) { return msgs[i][0]; });
  var longest = 0, dropped = 0;
  msgs.forEach(function (m) {
    if (m[1] >= 0) longest = Math.max(longest, m[1] - m[0]);
    if (m[5] >= 0) dropped++;
  });

  // Participants: letter prefix, then number (n2 before n10), names without
  // digits (services) last.
  function key(id) {
    var k = /^(\D*)(\d+)/.exec(id);
    return k ? [0, k[1], +k[2], id] : [1, id, 0, id];
  }
  function cmp(a, b) {
    var ka = key(a), kb = key(b);
    for (var i = 0; i < 4; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
  }
  var column = [], columns = [];
  function layout() {
    var names = D.nodes.slice().sort(cmp), seen = {};
    columns = []; column = [];
    names.forEach(function (n) {
      var i = D.nodes.indexOf(n);
      var name = isClient[i] && !opt.each ? 'clients' : n;
      if (!(name in seen)) { seen[name] = columns.length; columns.push(name); }
      column[i] = seen[name];
    });
  }
  var nodeColumn = {};
  D.nodes.forEach(function (n, i) { nodeColumn[n] = i; });

  var first = sends.length ? sends[0] : 0;
  var span0 = sends.length ? sends[Math.min(sends.length - 1, 150)] - first : END;
  var t0 = Math.max(0, first - 1000), t1 = t0 + Math.min(Math.max(span0 + longest, 20000), END), mark = null;
  var h = /t=([\d.]+)-([\d.]+)/.exec(location.hash), mk = /mark=([\d.]+)-([\d.]+)/.exec(location.hash);
  if (h) { t0 = +h[1] * 1000; t1 = Math.max(+h[2] * 1000, t0 + 10); }
  if (mk) mark = [+mk[1] * 1000, +mk[2] * 1000];

  function ms(us) { return (us / 1000).toFixed(us % 1000 === 0 ? 0 : 3); }
  function colW() { return Math.max(MINCOL, (wrap.clientWidth - LEFT - 20) / Math.max(columns.length, 1)); }
  function cx(c) { return LEFT + (c + 0.5) * colW(); }
  function plotH() { return Math.max(canvas.clientHeight - TOP - 8, 10); }
  function y(t) { return TOP + (t - t0) / (t1 - t0) * plotH(); }

  function resize() {
    layout();
    var dpr = window.devicePixelRatio || 1;
    var w = Math.max(wrap.clientWidth, Math.ceil(LEFT + columns.length * colW() + 20)), hh = wrap.clientHeight - 2;
    canvas.style.width = w + 'px'; canvas.style.height = hh + 'px';
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(hh * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    draw();
  }

  function lowerBound(t) {
    var lo = 0, hi = sends.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (sends[mid] < t) lo = mid + 1; else hi = mid; }
    return lo;
  }

  function colour(m) {
    if (m[5] >= 0) return '#d32f2f';
    if (D.types[m[4]] === 'error') return '#ff1e90';
    if (isClient[m[2]] || isClient[m[3]]) return '#1e88e5';
    return '#222';
  }

  var shown = [];   // segments drawn this frame, for hovering
  var hover = -1, pinned = -1;

  function niceStep(span, px) {
    var raw = span / Math.max(px / 70, 1), p = Math.pow(10, Math.floor(Math.log10(raw)));
    var s = [1, 2, 5, 10];
    for (var k = 0; k < s.length; k++) if (s[k] * p >= raw) return s[k] * p;
    return 10 * p;
  }

  // Label placement: boxes already taken, bucketed by 40 px rows.
  function Boxes() { this.rows = {}; }
  Boxes.prototype.fits = function (b) {
    for (var r = Math.floor(b[1] / 40); r <= Math.floor(b[3] / 40); r++) {
      var row = this.rows[r] || [];
      for (var i = 0; i < row.length; i++) {
        var o = row[i];
        if (b[0] < o[2] && o[0] < b[2] && b[1] < o[3] && o[1] < b[3]) return false;
      }
    }
    return true;
  };
  Boxes.prototype.add = function (b) {
    for (var r = Math.floor(b[1] / 40); r <= Math.floor(b[3] / 40); r++) (this.rows[r] = this.rows[r] || []).push(b);
  };

  function cross(px, py) {
    ctx.beginPath();
    ctx.moveTo(px - 4, py - 4); ctx.lineTo(px + 4, py + 4);
    ctx.moveTo(px + 4, py - 4); ctx.lineTo(px - 4, py + 4);
    ctx.stroke();
  }
  function head(x1, y1, x2, y2) {
    var a = Math.atan2(y2 - y1, x2 - x1);
    ctx.beginPath(); ctx.moveTo(x2, y2);
    ctx.lineTo(x2 - 8 * Math.cos(a - 0.4), y2 - 8 * Math.sin(a - 0.4));
    ctx.lineTo(x2 - 8 * Math.cos(a + 0.4), y2 - 8 * Math.sin(a + 0.4));
    ctx.closePath(); ctx.fill();
  }

  function draw() {
    var W = canvas.clientWidth, H = canvas.clientHeight;
    ctx.clearRect(0, 0, W, H);
    ctx.font = '11px sans-serif';
    ctx.textBaseline = 'middle';
    // Partitions: bands over every line.
    D.faults.forEach(function (f) {
      if (f[0] !== 'partition' || f[3] < t0 || f[2] > t1) return;
      var a = Math.max(y(f[2]), TOP), b = Math.min(y(f[3]), H);
      ctx.fillStyle = 'rgba(233,220,160,0.5)'; ctx.fillRect(LEFT, a, W - LEFT, Math.max(b - a, 2));
      ctx.fillStyle = '#7a5d00'; ctx.textAlign = 'left';
      ctx.fillText('partition ' + f[4], LEFT + 4, a + 8, W - LEFT - 8);
    });
    if (mark && mark[1] >= t0 && mark[0] <= t1) {
      var ma = Math.max(y(mark[0]), TOP), mb = Math.max(Math.min(y(mark[1]), H), ma + 2);
      ctx.fillStyle = 'rgba(255,235,59,0.35)'; ctx.fillRect(0, ma, W, mb - ma);
      ctx.strokeStyle = '#f9a825'; ctx.strokeRect(0.5, ma, W - 1, mb - ma);
    }
    // Time axis.
    var step = niceStep(t1 - t0, plotH());
    ctx.textAlign = 'right'; ctx.fillStyle = '#555'; ctx.strokeStyle = '#f0f0f0';
    for (var t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      var yy = y(t);
      ctx.beginPath(); ctx.moveTo(LEFT, yy); ctx.lineTo(W, yy); ctx.stroke();
      ctx.fillText(ms(t) + ' ms', LEFT - 6, yy);
    }
    // Lifelines; crashed nodes red, paused nodes dashed orange.
    ctx.strokeStyle = '#bbb'; ctx.lineWidth = 1;
    columns.forEach(function (_, c) {
      ctx.beginPath(); ctx.moveTo(cx(c), TOP); ctx.lineTo(cx(c), H); ctx.stroke();
    });
    D.faults.forEach(function (f) {
      if (f[0] === 'partition' || f[3] < t0 || f[2] > t1 || !(f[1] in nodeColumn)) return;
      var c = column[nodeColumn[f[1]]], a = Math.max(y(f[2]), TOP), b = Math.min(y(f[3]), H);
      ctx.save();
      ctx.lineWidth = 4;
      if (f[0] === 'crashed') ctx.strokeStyle = 'rgba(211,47,47,0.7)';
      else { ctx.strokeStyle = 'rgba(251,140,0,0.8)'; ctx.setLineDash([6, 4]); }
      ctx.beginPath(); ctx.moveTo(cx(c), a); ctx.lineTo(cx(c), b); ctx.stroke();
      ctx.restore();
      ctx.fillStyle = f[0] === 'crashed' ? '#b71c1c' : '#e65100'; ctx.textAlign = 'left';
      ctx.fillText(f[0], cx(c) + 5, a + 8);
    });
    // Messages crossing the window.
    shown = [];
    var boxes = new Boxes(), inView = 0, drops = 0, labelled = 0;
    var start = lowerBound(t0 - longest), stop = lowerBound(t1 + 1);
    var candidates = [];
    for (var k = start; k < stop; k++) {
      var i = order[k], m = msgs[i];
      var e = m[1] < 0 ? END : m[1];
      if (e < t0) continue;
      if (!opt.clients && (isClient[m[2]] || isClient[m[3]])) continue;
      candidates.push(i);
    }
    var labels = opt.labels && candidates.length <= 4000;
    candidates.forEach(function (i) {
      var m = msgs[i], c1 = column[m[2]], c2 = column[m[3]];
      var x1 = cx(c1), y1 = y(m[0]), x2 = cx(c2), e = m[1] < 0 ? END : m[1], y2 = y(e);
      if (c1 === c2) x2 = x1 + colW() * 0.35;
      var col = colour(m);
      ctx.strokeStyle = col; ctx.fillStyle = col;
      ctx.lineWidth = (i === hover || i === pinned) ? 3 : 1.2;
      if (m[5] >= 0 || m[1] < 0) {
        // Dropped (or never resolved): dashed, ending in a cross where it
        // was lost; one lost as it was sent ends a third of the way.
        if (m[5] >= 0) drops++;
        if (y2 - y1 < 4) { x2 = x1 + (x2 - x1) * 0.35; y2 = y1 + 10; }
        ctx.setLineDash([5, 4]);
        ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); ctx.stroke();
        ctx.setLineDash([]);
        ctx.lineWidth = 2; cross(x2, y2);
      } else {
        ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); ctx.stroke();
        head(x1, y1, x2, y2);
      }
      shown.push([i, x1, y1, x2, y2]);
      inView++;
      if (labels) {
        var text = m[6].length > LABEL_MAX ? m[6].slice(0, LABEL_MAX - 1) + '…' : m[6];
        if (m[5] >= 0) text = '✕ ' + D.reasons[m[5]] + ': ' + text;
        var w = ctx.measureText(text).width + 4, fr = [0.5, 0.3, 0.7, 0.15, 0.85];
        for (var q = 0; q < fr.length; q++) {
          var lx = x1 + (x2 - x1) * fr[q], ly = y1 + (y2 - y1) * fr[q];
          var b = [lx - w / 2, ly - 7, lx + w / 2, ly + 7];
          if (b[1] < TOP || b[3] > H) continue;
          if (!boxes.fits(b)) continue;
          boxes.add(b);
          ctx.fillStyle = 'rgba(255,255,255,0.85)'; ctx.fillRect(b[0], b[1], w, 14);
          ctx.fillStyle = col; ctx.textAlign = 'center'; ctx.fillText(text, lx, ly);
          labelled++;
          break;
        }
      }
    });
    ctx.lineWidth = 1;
    // Column names, over everything.
    ctx.fillStyle = '#fafafa'; ctx.fillRect(0, 0, W, TOP);
    ctx.fillStyle = '#222'; ctx.textAlign = 'center'; ctx.font = 'bold 12px sans-serif';
    columns.forEach(function (n, c) { ctx.fillText(n, cx(c), TOP / 2, colW() - 4); });
    ctx.font = '11px sans-serif';
    document.getElementById('summary').textContent =
      ms(t0) + ' – ' + ms(t1) + ' ms of ' + ms(END) + ' ms: ' + inView + ' messages in view (' + drops +
      ' dropped, ' + labelled + ' labelled); ' + msgs.length + ' in the test, ' + dropped + ' dropped' +
      (D.leftOut ? '; ' + D.leftOut + ' later messages left out' : '') +
      (opt.labels && !labels ? '; zoom in for labels' : '');
    document.getElementById('from').value = ms(t0);
    document.getElementById('span').value = ms(t1 - t0);
    canvas.setAttribute('data-in-view', String(inView));
  }

  function setWindow(a, b) {
    var span = Math.max(b - a, 10);
    a = Math.max(-span * 0.05, Math.min(a, END));
    t0 = a; t1 = a + span;
    var hash = '#t=' + ms(Math.max(t0, 0)) + '-' + ms(t1) + (mark ? '&mark=' + ms(mark[0]) + '-' + ms(mark[1]) : '');
    history.replaceState(null, '', hash);
    draw();
  }
  function zoom(f, at) {
    var c = at === undefined ? (t0 + t1) / 2 : at;
    setWindow(c - (c - t0) * f, c + (t1 - c) * f);
  }
  function page(dir) { var s = t1 - t0; setWindow(t0 + dir * s * 0.9, t1 + dir * s * 0.9); }

  function nearest(px, py) {
    var best = -1, bd = 36;
    shown.forEach(function (s) {
      var dx = s[3] - s[1], dy = s[4] - s[2], len = dx * dx + dy * dy;
      var u = len ? Math.max(0, Math.min(1, ((px - s[1]) * dx + (py - s[2]) * dy) / len)) : 0;
      var ex = s[1] + u * dx - px, ey = s[2] + u * dy - py, d = ex * ex + ey * ey;
      if (d < bd) { bd = d; best = s[0]; }
    });
    return best;
  }
  function describe(i) {
    var m = msgs[i], s = D.nodes[m[2]] + ' → ' + D.nodes[m[3]] + '\nsent at ' + ms(m[0]) + ' ms';
    if (m[1] < 0) s += ', neither delivered nor dropped before the journal ends';
    else if (m[5] >= 0) s += ', dropped at ' + ms(m[1]) + ' ms (' + D.reasons[m[5]] + ')';
    else s += ', delivered at ' + ms(m[1]) + ' ms (' + ms(m[1] - m[0]) + ' ms later)';
    return s + '\n' + m[6];
  }
  function showTip(i, ev) {
    tip.textContent = describe(i);
    tip.hidden = false;
    tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - 420) + 'px';
    tip.style.top = Math.min(ev.clientY + 14, window.innerHeight - 100) + 'px';
  }
  canvas.addEventListener('mousemove', function (ev) {
    if (pinned >= 0) return;
    var r = canvas.getBoundingClientRect(), i = nearest(ev.clientX - r.left, ev.clientY - r.top);
    if (i !== hover) { hover = i; draw(); }
    if (i >= 0) showTip(i, ev); else tip.hidden = true;
  });
  canvas.addEventListener('click', function (ev) {
    var r = canvas.getBoundingClientRect(), i = nearest(ev.clientX - r.left, ev.clientY - r.top);
    pinned = i === pinned ? -1 : i;
    if (pinned >= 0) showTip(pinned, ev); else tip.hidden = true;
    draw();
  });
  canvas.addEventListener('wheel', function (ev) {
    if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) return; // sideways: scroll columns
    ev.preventDefault();
    var r = canvas.getBoundingClientRect();
    var at = t0 + (ev.clientY - r.top - TOP) / plotH() * (t1 - t0);
    if (ev.ctrlKey) zoom(ev.deltaY > 0 ? 1.25 : 0.8, at);
    else { var d = ev.deltaY / plotH() * (t1 - t0); setWindow(t0 + d, t1 + d); }
  }, { passive: false });
  document.getElementById('prev').onclick = function () { page(-1); };
  document.getElementById('next').onclick = function () { page(1); };
  document.getElementById('zin').onclick = function () { zoom(0.5); };
  document.getElementById('zout').onclick = function () { zoom(2); };
  document.getElementById('from').onchange = function (ev) { var a = +ev.target.value * 1000; setWindow(a, a + t1 - t0); };
  document.getElementById('span').onchange = function (ev) { setWindow(t0, t0 + Math.max(+ev.target.value * 1000, 10)); };
  [['eachClient', 'each'], ['showClients', 'clients'], ['showLabels', 'labels']].forEach(function (p) {
    document.getElementById(p[0]).onchange = function (ev) { opt[p[1]] = ev.target.checked; resize(); };
  });
  window.addEventListener('keydown', function (ev) {
    if (ev.target.tagName === 'INPUT') return;
    if (ev.key === 'PageDown' || ev.key === 'ArrowDown') { ev.preventDefault(); page(1); }
    else if (ev.key === 'PageUp' || ev.key === 'ArrowUp') { ev.preventDefault(); page(-1); }
    else if (ev.key === '+' || ev.key === '=') zoom(0.5);
    else if (ev.key === '-') zoom(2);
    else if (ev.key === 'Escape') { pinned = -1; tip.hidden = true; draw(); }
  });
  document.getElementById('legend').textContent =
    'black: between nodes · blue: with clients · pink: errors · red dashed ✕: dropped where lost · ' +
    'yellow bands: partitions · red line: crashed · orange dashes: paused · wheel scrolls in time, ctrl+wheel zooms';
  window.addEventListener('resize', resize);
  resize();
})();
