// timeline.html: draws the operations in view on a canvas. The data is
// [lane, start, end|-1, outcome, f, value, reply, index] per operation, times in µs.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('data').textContent);
  var ops = D.ops, lanes = D.lanes, fs = D.fs;
  var END = Math.max(D.end, 1);
  var COLOURS = ['#43a047', '#fb8c00', '#e53935', '#9e9e9e'];
  var OUTCOMES = ['ok', 'info', 'fail', 'never completed'];
  var LEFT = 64, TOP = 24, RIGHT = 12;
  var canvas = document.getElementById('canvas'), wrap = document.getElementById('wrap');
  var tip = document.getElementById('tip');
  var ctx = canvas.getContext('2d');

  // Each lane's operations in history order: one process runs one operation
  // at a time, so starts and ends both increase along a lane.
  var byLane = lanes.map(function () { return []; });
  for (var i = 0; i < ops.length; i++) byLane[ops[i][0]].push(i);
  function endOf(o) { return o[2] < 0 ? END : o[2]; }
  document.getElementById('known').textContent = String(ops.length);

  var t0 = 0, t1 = END, scrollY = 0, pinned = -1, hover = -1;
  var m = /t=([\d.]+)-([\d.]+)/.exec(location.hash);
  if (m) { t0 = +m[1] * 1000; t1 = Math.max(+m[2] * 1000, t0 + 1); }

  function laneHeight() {
    var avail = canvas.clientHeight - TOP - 4;
    return Math.max(4, Math.min(22, Math.floor(avail / Math.max(lanes.length, 1))));
  }
  function plotWidth() { return Math.max(canvas.clientWidth - LEFT - RIGHT, 10); }
  function x(t) { return LEFT + (t - t0) / (t1 - t0) * plotWidth(); }
  function timeAt(px) { return t0 + (px - LEFT) / plotWidth() * (t1 - t0); }
  function ms(us) { return (us / 1000).toFixed(us % 1000 === 0 ? 0 : 3); }

  function resize() {
    var dpr = window.devicePixelRatio || 1;
    var w = wrap.clientWidth, h = wrap.clientHeight;
    canvas.style.width = w + 'px'; canvas.style.height = h + 'px';
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    draw();
  }

  // First operation of a lane whose end is at or after t.
  function firstEndingAfter(list, t) {
    var lo = 0, hi = list.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (endOf(ops[list[mid]]) < t) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function niceStep(span, px) {
    var raw = span / Math.max(px / 110, 1), p = Math.pow(10, Math.floor(Math.log10(raw)));
    var steps = [1, 2, 5, 10];
    for (var k = 0; k < steps.length; k++) if (steps[k] * p >= raw) return steps[k] * p;
    return 10 * p;
  }

  function draw() {
    var W = canvas.clientWidth, H = canvas.clientHeight, lh = laneHeight();
    var maxScroll = Math.max(0, lanes.length * lh - (H - TOP - 4));
    scrollY = Math.max(0, Math.min(scrollY, maxScroll));
    ctx.clearRect(0, 0, W, H);
    ctx.font = '11px sans-serif';
    // Nemesis intervals, under everything.
    D.nemesis.forEach(function (n) {
      if (n[1] < t0 || n[0] > t1) return;
      var a = Math.max(x(n[0]), LEFT), b = Math.min(x(n[1]), W - RIGHT);
      ctx.fillStyle = 'rgba(233,220,160,0.55)';
      ctx.fillRect(a, TOP, Math.max(b - a, 1), H - TOP);
      ctx.fillStyle = '#8d6e00';
      ctx.fillText(n[2], a + 3, TOP + 11);
    });
    // Time axis.
    var step = niceStep(t1 - t0, plotWidth());
    ctx.fillStyle = '#555'; ctx.strokeStyle = '#eee'; ctx.textAlign = 'center';
    for (var t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      var xx = x(t);
      ctx.beginPath(); ctx.moveTo(xx, TOP); ctx.lineTo(xx, H); ctx.stroke();
      ctx.fillText(ms(t) + ' ms', xx, 14);
    }
    ctx.textAlign = 'left';
    var first = Math.floor(scrollY / lh), last = Math.min(lanes.length - 1, Math.ceil((scrollY + H - TOP) / lh));
    var drawn = 0;
    ctx.save();
    ctx.beginPath(); ctx.rect(LEFT, TOP, W - LEFT - RIGHT, H - TOP); ctx.clip();
    for (var l = first; l <= last; l++) {
      var y = TOP + l * lh - scrollY, list = byLane[l];
      for (var j = firstEndingAfter(list, t0); j < list.length; j++) {
        var o = ops[list[j]];
        if (o[1] > t1) break;
        var a = x(o[1]), b = Math.max(x(endOf(o)), a + 2);
        ctx.fillStyle = COLOURS[o[3]];
        ctx.fillRect(a, y + 1, b - a, Math.max(lh - 2, 2));
        if (list[j] === pinned || list[j] === hover) {
          ctx.strokeStyle = '#000'; ctx.lineWidth = 2;
          ctx.strokeRect(a, y + 1, b - a, Math.max(lh - 2, 2)); ctx.lineWidth = 1;
        }
        if (b - a > 40 && lh >= 12) {
          ctx.fillStyle = '#fff';
          ctx.fillText(fs[o[4]] + ' ' + o[5], a + 3, y + lh - 5, b - a - 6);
        }
        drawn++;
      }
    }
    ctx.restore();
    // Lane labels, over the bars' left edge.
    ctx.fillStyle = '#fff'; ctx.fillRect(0, TOP, LEFT - 2, H - TOP);
    if (lh >= 9) {
      ctx.fillStyle = '#333';
      for (l = first; l <= last; l++) ctx.fillText('p' + lanes[l], 6, TOP + l * lh - scrollY + lh - 4);
    }
    if (maxScroll > 0) {
      ctx.fillStyle = '#bbb';
      var barH = (H - TOP) * (H - TOP) / (lanes.length * lh);
      ctx.fillRect(W - 6, TOP + scrollY / (lanes.length * lh) * (H - TOP), 4, barH);
    }
    document.getElementById('drawn').textContent = String(drawn);
    document.getElementById('window').textContent =
      ms(t0) + ' – ' + ms(t1) + ' ms of ' + ms(END) + ' ms, lanes ' + (first + 1) + '–' + (last + 1) + ' of ' + lanes.length;
  }

  function setWindow(a, b) {
    var span = Math.max(b - a, 10);
    if (span > END * 1.05) span = END * 1.05;
    a = Math.max(-span * 0.05, Math.min(a, END - span * 0.5));
    t0 = a; t1 = a + span;
    history.replaceState(null, '', '#t=' + ms(Math.max(t0, 0)) + '-' + ms(t1));
    draw();
  }
  function zoom(factor, at) {
    var c = at === undefined ? (t0 + t1) / 2 : at;
    setWindow(c - (c - t0) * factor, c + (t1 - c) * factor);
  }

  function opAt(px, py) {
    var lh = laneHeight(), l = Math.floor((py - TOP + scrollY) / lh);
    if (py < TOP || px < LEFT || l < 0 || l >= lanes.length) return -1;
    var t = timeAt(px), tol = 3 / plotWidth() * (t1 - t0), list = byLane[l];
    for (var j = firstEndingAfter(list, t - tol); j < list.length; j++) {
      var o = ops[list[j]];
      if (o[1] - tol > t) break;
      return list[j];
    }
    return -1;
  }

  function describe(i) {
    var o = ops[i], end = o[2];
    var lines = ['#' + o[7] + ' ' + fs[o[4]] + ', process ' + lanes[o[0]] + ': ' + OUTCOMES[o[3]],
      end < 0 ? 'invoked at ' + ms(o[1]) + ' ms, never completed'
        : ms(o[1]) + ' → ' + ms(end) + ' ms (' + ms(end - o[1]) + ' ms)',
      'value: ' + o[5]];
    if (end >= 0) lines.push('reply: ' + o[6]);
    return lines.join('\n');
  }

  function showTip(i, ev, withLink) {
    tip.textContent = describe(i);
    if (withLink) {
      var o = ops[i], e = endOf(o), pad = Math.max(50000, (e - o[1]) / 2);
      var a = document.createElement('a');
      a.href = 'messages.html#t=' + ms(Math.max(0, o[1] - pad)) + '-' + ms(e + pad) + '&mark=' + ms(o[1]) + '-' + ms(e);
      a.textContent = 'messages around this operation →';
      a.id = 'to-messages';
      tip.appendChild(document.createElement('br'));
      tip.appendChild(a);
    }
    tip.hidden = false;
    tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - 420) + 'px';
    tip.style.top = Math.min(ev.clientY + 14, window.innerHeight - 120) + 'px';
  }

  var drag = null;
  canvas.addEventListener('mousedown', function (ev) { drag = { x: ev.clientX, t0: t0, t1: t1, moved: false }; });
  window.addEventListener('mouseup', function (ev) {
    if (drag && !drag.moved) {
      var r = canvas.getBoundingClientRect(), i = opAt(ev.clientX - r.left, ev.clientY - r.top);
      pinned = i;
      if (i >= 0) showTip(i, ev, true); else tip.hidden = true;
      draw();
    }
    drag = null;
  });
  canvas.addEventListener('mousemove', function (ev) {
    var r = canvas.getBoundingClientRect();
    if (drag) {
      var dx = ev.clientX - drag.x;
      if (Math.abs(dx) > 3) drag.moved = true;
      if (drag.moved) {
        var dt = -dx / plotWidth() * (drag.t1 - drag.t0);
        setWindow(drag.t0 + dt, drag.t1 + dt);
      }
      return;
    }
    if (pinned >= 0) return;
    var i = opAt(ev.clientX - r.left, ev.clientY - r.top);
    if (i !== hover) { hover = i; draw(); }
    if (i >= 0) showTip(i, ev, false); else tip.hidden = true;
  });
  canvas.addEventListener('mouseleave', function () { if (pinned < 0) { hover = -1; tip.hidden = true; draw(); } });
  canvas.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var r = canvas.getBoundingClientRect();
    if (ev.ctrlKey) {
      zoom(ev.deltaY > 0 ? 1.25 : 0.8, timeAt(ev.clientX - r.left));
    } else if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
      var d = (ev.shiftKey ? ev.deltaY : ev.deltaX) / plotWidth() * (t1 - t0);
      setWindow(t0 + d, t1 + d);
    } else {
      scrollY += ev.deltaY; draw();
    }
  }, { passive: false });
  document.getElementById('zin').onclick = function () { zoom(0.5); };
  document.getElementById('zout').onclick = function () { zoom(2); };
  document.getElementById('all').onclick = function () { setWindow(0, END); };
  window.addEventListener('keydown', function (ev) {
    if (ev.key === '+' || ev.key === '=') zoom(0.5);
    else if (ev.key === '-') zoom(2);
    else if (ev.key === 'ArrowRight') setWindow(t0 + (t1 - t0) / 4, t1 + (t1 - t0) / 4);
    else if (ev.key === 'ArrowLeft') setWindow(t0 - (t1 - t0) / 4, t1 - (t1 - t0) / 4);
    else if (ev.key === 'Escape') { pinned = -1; tip.hidden = true; draw(); }
  });
  window.addEventListener('resize', resize);
  resize();
})();
