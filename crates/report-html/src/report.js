// Zooms the time axis of every plot together: drag across a plot to zoom into that range;
// the buttons zoom out and reset. Plots are drawn server-side; this only transforms them
// (class "tz") and redraws the axes' ticks. Nothing is fetched.
(function () {
  "use strict";
  var root = document.documentElement;
  window.addEventListener("error", function (e) {
    root.setAttribute("data-script-error", String(e.message));
  });
  // A request the page's CSP blocked (it allows none): recorded for the browser tests.
  document.addEventListener("securitypolicyviolation", function (e) {
    root.setAttribute("data-csp-violation", e.violatedDirective + " " + e.blockedURI);
  });
  var data = JSON.parse(document.getElementById("rtcscope-data").textContent);
  var axis = document.querySelector("g.xaxis");
  var L = 62, R = 750, NS = "http://www.w3.org/2000/svg";
  var span = axis ? parseFloat(axis.getAttribute("data-t1")) : 1;
  var v0 = 0, v1 = span;
  function ticks(lo, hi, n) {
    var raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw))), step = 10 * mag;
    [1, 2, 5, 10].some(function (m) { if (m * mag >= raw) { step = m * mag; return true; } return false; });
    var out = [];
    for (var k = Math.ceil(lo / step); k <= Math.floor(hi / step); k++) out.push(k * step);
    return out;
  }
  function label(t) {
    var a = Math.abs(t);
    return (a >= 1000 ? (t / 1000).toFixed(1) + " k" : a >= 1 || a === 0 ? +t.toFixed(3) + "" : t.toPrecision(3)) + " s";
  }
  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  function apply() {
    var k = span / (v1 - v0), c = L - k * L - v0 * (R - L) / (v1 - v0);
    document.querySelectorAll("g.tz").forEach(function (g) {
      g.setAttribute("transform", "translate(" + c + ",0) scale(" + k + ",1)");
    });
    document.querySelectorAll("g.xaxis").forEach(function (g) {
      var y = parseFloat(g.getAttribute("data-y"));
      while (g.childNodes.length > 1) g.removeChild(g.lastChild);
      g.setAttribute("data-t0", v0);
      g.setAttribute("data-t1", v1);
      ticks(v0, v1, 8).forEach(function (t) {
        var x = (L + (t - v0) / (v1 - v0) * (R - L)).toFixed(1);
        g.appendChild(el("line", { "class": "tick", x1: x, x2: x, y1: y, y2: y + 4 }));
        g.appendChild(el("text", { "class": "xl", x: x, y: y + 15 }, label(t)));
      });
    });
    status.textContent = v0 === 0 && v1 === span ? "whole capture" :
      "showing " + label(v0) + " to " + label(v1);
  }
  var bar = document.getElementById("zoombar");
  var status = document.createElement("span");
  function button(text, f) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.addEventListener("click", function () { f(); apply(); });
    bar.appendChild(b);
  }
  button("zoom out", function () {
    var w = (v1 - v0) * 2, m = (v0 + v1) / 2;
    v0 = Math.max(0, m - w / 2);
    v1 = Math.min(span, v0 + w);
    if (v1 - v0 < w) v0 = Math.max(0, v1 - w);
  });
  button("reset zoom", function () { v0 = 0; v1 = span; });
  bar.appendChild(status);
  var hint = document.createElement("span");
  hint.textContent = "(drag across a plot to zoom its time range; all plots follow)";
  bar.appendChild(hint);
  function timeAt(svgEl, clientX) {
    var r = svgEl.getBoundingClientRect(), vb = svgEl.viewBox.baseVal;
    var x = (clientX - r.left) / r.width * vb.width;
    return v0 + Math.min(Math.max((x - L) / (R - L), 0), 1) * (v1 - v0);
  }
  var drag = null;
  document.querySelectorAll("svg.tplot").forEach(function (s) {
    s.addEventListener("mousedown", function (e) {
      var band = el("rect", { "class": "band", y: 0, height: s.viewBox.baseVal.height, x: 0, width: 0 });
      s.appendChild(band);
      drag = { svg: s, from: timeAt(s, e.clientX), x: e.clientX, band: band };
      e.preventDefault();
    });
  });
  window.addEventListener("mousemove", function (e) {
    if (!drag) return;
    var a = timeAt(drag.svg, drag.x), b = timeAt(drag.svg, e.clientX);
    var xa = L + (Math.min(a, b) - v0) / (v1 - v0) * (R - L), xb = L + (Math.max(a, b) - v0) / (v1 - v0) * (R - L);
    drag.band.setAttribute("x", xa);
    drag.band.setAttribute("width", xb - xa);
  });
  window.addEventListener("mouseup", function (e) {
    if (!drag) return;
    var a = drag.from, b = timeAt(drag.svg, e.clientX);
    drag.svg.removeChild(drag.band);
    if (Math.abs(e.clientX - drag.x) > 4 && Math.abs(b - a) > 1e-6) {
      v0 = Math.min(a, b);
      v1 = Math.max(a, b);
      apply();
    }
    drag = null;
  });
  apply();
  root.setAttribute("data-rtcscope", "ready");
  root.setAttribute("data-streams", String((data.report.streams || []).length));
})();
