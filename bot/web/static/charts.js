// charts.js: small SVG charts for the dashboard, no library (the page works on a closed network).
//   lineChart(container, {labels, series: [{name, values, color}], format?, yMax?, title})
//   barChart(container, {labels, series, stacked?, horizontal?, format?, title})
// Every chart has axes with tick labels, a legend, the values written on the bars (where they
// fit) and a tooltip with every series' value at the pointer (mouse or finger). Charts redraw
// at their container's width when the window is resized. Text is set with textContent only.

const NS = "http://www.w3.org/2000/svg";
export const PALETTE = ["#b8282e", "#1a5fb4", "#2e8540", "#c77c02", "#6b4fa1", "#5e6b73", "#d4477c"];
const drawn = new Map(); // container -> redraw()

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function plain(v) {
  if (v === null || v === undefined) return "—";
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
}

export function percent(v) {
  return v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`;
}

// 0 .. a round number at or above max, in about `count` steps (1, 2 or 5 times a power of 10);
// whole steps for counts (half a session is not a tick anyone wants to read).
export function niceTicks(max, count = 5, whole = false) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  if (whole) step = Math.max(1, Math.round(step));
  const ticks = [];
  for (let v = 0; v < max + step / 2; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

function textWidth(text, size) {
  let w = 0;
  for (const ch of String(text)) w += ch.charCodeAt(0) > 0x2e80 ? size : size * 0.6;
  return w;
}

function shorten(text, maxWidth, size) {
  let out = String(text);
  while (out.length > 1 && textWidth(out, size) > maxWidth) out = out.slice(0, -1);
  return out === String(text) ? out : `${out.slice(0, -1)}…`;
}

function frame(container, opts, height) {
  container.replaceChildren();
  container.classList.add("chart");
  const width = Math.max(280, Math.floor(container.clientWidth || 600));
  const svg = svgEl("svg", {
    viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-label": opts.title || "图表",
  });
  if (opts.title) svg.appendChild(svgEl("title", {}, opts.title));
  container.appendChild(svg);
  const tip = document.createElement("div");
  tip.className = "chart-tip";
  tip.hidden = true;
  container.appendChild(tip);
  const legend = document.createElement("div");
  legend.className = "chart-legend";
  opts.series.forEach((s, i) => {
    const item = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = s.color || PALETTE[i % PALETTE.length];
    item.append(swatch, document.createTextNode(s.name));
    legend.appendChild(item);
  });
  if (opts.series.length > 1 || opts.legend) container.appendChild(legend);
  return { svg, tip, width };
}

function showTip(container, tip, event, title, lines) {
  tip.replaceChildren();
  const head = document.createElement("strong");
  head.textContent = title;
  tip.appendChild(head);
  for (const [name, value, color] of lines) {
    const row = document.createElement("div");
    const swatch = document.createElement("i");
    swatch.style.background = color;
    row.append(swatch, document.createTextNode(`${name}：${value}`));
    tip.appendChild(row);
  }
  tip.hidden = false;
  const box = container.getBoundingClientRect();
  const x = event.clientX - box.left;
  const y = event.clientY - box.top;
  const left = Math.min(Math.max(0, x + 12), Math.max(0, box.width - tip.offsetWidth - 4));
  tip.style.left = `${left}px`;
  tip.style.top = `${Math.max(0, y - tip.offsetHeight - 8)}px`;
}

function remember(container, redraw) {
  drawn.set(container, redraw);
}

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const [container, redraw] of drawn) {
      if (container.isConnected) redraw();
      else drawn.delete(container);
    }
  }, 150);
});

function colorOf(series, i) {
  return series.color || PALETTE[i % PALETTE.length];
}

function yAxis(svg, ticks, x0, x1, yOf, format) {
  for (const t of ticks) {
    const y = yOf(t);
    svg.appendChild(svgEl("line", { x1: x0, x2: x1, y1: y, y2: y, class: "grid" }));
    svg.appendChild(svgEl("text", { x: x0 - 6, y: y + 4, "text-anchor": "end", class: "tick" }, format(t)));
  }
  svg.appendChild(svgEl("line", { x1: x0, x2: x0, y1: yOf(ticks[ticks.length - 1]), y2: yOf(0), class: "axis" }));
  svg.appendChild(svgEl("line", { x1: x0, x2: x1, y1: yOf(0), y2: yOf(0), class: "axis" }));
}

// Every k-th label, k chosen so that labels never overlap (24 hours on a phone: every 4th).
function xLabels(svg, labels, xOf, y, slot) {
  const size = 11;
  const longest = Math.max(...labels.map((l) => textWidth(l, size)), 1);
  const every = Math.max(1, Math.ceil((longest + 6) / Math.max(slot, 1)));
  labels.forEach((label, i) => {
    if (i % every !== 0) return;
    svg.appendChild(svgEl("text", { x: xOf(i), y, "text-anchor": "middle", class: "tick" }, shorten(label, slot * every - 4, size)));
  });
}

export function lineChart(container, opts) {
  const draw = () => {
    const height = opts.height || 240;
    const { svg, tip, width } = frame(container, opts, height);
    const format = opts.format || plain;
    const pad = { left: 46, right: 14, top: 14, bottom: 28 };
    const n = opts.labels.length;
    const all = opts.series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined));
    const ticks = niceTicks(opts.yMax ?? Math.max(0, ...all), 5, wholeNumbers(opts));
    const top = ticks[ticks.length - 1] || 1;
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const xOf = (i) => pad.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
    const yOf = (v) => pad.top + plotH - (v / top) * plotH;
    yAxis(svg, ticks, pad.left, width - pad.right, yOf, format);
    xLabels(svg, opts.labels, xOf, height - 8, n <= 1 ? plotW : plotW / (n - 1));
    opts.series.forEach((s, si) => {
      const color = colorOf(s, si);
      let path = "";
      s.values.forEach((v, i) => {
        if (v === null || v === undefined) return;
        path += `${path && s.values[i - 1] !== null && s.values[i - 1] !== undefined ? "L" : "M"}${xOf(i)},${yOf(v)}`;
      });
      if (path) svg.appendChild(svgEl("path", { d: path, fill: "none", stroke: color, "stroke-width": 2 }));
      s.values.forEach((v, i) => {
        if (v === null || v === undefined) return;
        const dot = svgEl("circle", { cx: xOf(i), cy: yOf(v), r: n > 40 ? 2 : 3.5, fill: color });
        dot.appendChild(svgEl("title", {}, `${opts.labels[i]} ${s.name}：${format(v)}`));
        svg.appendChild(dot);
        if (n <= 14 && opts.series.length <= 2) {
          svg.appendChild(svgEl("text", { x: xOf(i), y: yOf(v) - 7, "text-anchor": "middle", class: "value" }, format(v)));
        }
      });
    });
    const guide = svgEl("line", { y1: pad.top, y2: pad.top + plotH, class: "guide", visibility: "hidden" });
    svg.appendChild(guide);
    const overlay = svgEl("rect", { x: pad.left, y: pad.top, width: plotW, height: plotH, fill: "transparent" });
    svg.appendChild(overlay);
    const move = (event) => {
      const box = svg.getBoundingClientRect();
      const x = ((event.clientX - box.left) * width) / box.width;
      const i = n <= 1 ? 0 : Math.min(n - 1, Math.max(0, Math.round(((x - pad.left) * (n - 1)) / plotW)));
      guide.setAttribute("x1", xOf(i));
      guide.setAttribute("x2", xOf(i));
      guide.setAttribute("visibility", "visible");
      showTip(container, tip, event, opts.labels[i], opts.series.map((s, si) => [s.name, format(s.values[i]), colorOf(s, si)]));
    };
    overlay.addEventListener("pointermove", move);
    overlay.addEventListener("pointerdown", move);
    overlay.addEventListener("pointerleave", () => {
      tip.hidden = true;
      guide.setAttribute("visibility", "hidden");
    });
  };
  draw();
  remember(container, draw);
}

export function barChart(container, opts) {
  const draw = () => (opts.horizontal ? horizontal(container, opts) : vertical(container, opts));
  draw();
  remember(container, draw);
}

function wholeNumbers(opts) {
  return opts.series.every((s) => s.values.every((v) => v === null || v === undefined || Number.isInteger(v)));
}

function totals(opts) {
  return opts.labels.map((_, i) => opts.series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
}

function barTip(container, tip, opts, i, format) {
  return (event) => {
    const lines = opts.series.map((s, si) => [s.name, format(s.values[i]), colorOf(s, si)]);
    if (opts.stacked && opts.series.length > 1) lines.push(["合计", format(totals(opts)[i]), "transparent"]);
    showTip(container, tip, event, opts.labels[i], lines);
  };
}

function vertical(container, opts) {
  const height = opts.height || 240;
  const { svg, tip, width } = frame(container, opts, height);
  const format = opts.format || plain;
  const pad = { left: 46, right: 10, top: 18, bottom: 28 };
  const n = opts.labels.length;
  const stacked = Boolean(opts.stacked);
  const peak = stacked ? Math.max(0, ...totals(opts)) : Math.max(0, ...opts.series.flatMap((s) => s.values.map((v) => v || 0)));
  const ticks = niceTicks(peak, 5, wholeNumbers(opts));
  const top = ticks[ticks.length - 1] || 1;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const slot = plotW / Math.max(n, 1);
  const xOf = (i) => pad.left + slot * (i + 0.5);
  const yOf = (v) => pad.top + plotH - (v / top) * plotH;
  yAxis(svg, ticks, pad.left, width - pad.right, yOf, format);
  xLabels(svg, opts.labels, xOf, height - 8, slot);
  const groups = stacked ? 1 : opts.series.length;
  const barW = Math.max(2, Math.min(48, (slot * 0.8) / groups));
  opts.labels.forEach((label, i) => {
    let base = 0;
    opts.series.forEach((s, si) => {
      const v = s.values[i] || 0;
      const x = stacked ? xOf(i) - barW / 2 : xOf(i) - (barW * groups) / 2 + si * barW;
      const y0 = stacked ? base : 0;
      const rect = svgEl("rect", {
        x, y: yOf(y0 + v), width: Math.max(1, barW - 1), height: Math.max(0, yOf(y0) - yOf(y0 + v)),
        fill: colorOf(s, si), class: "bar",
      });
      rect.appendChild(svgEl("title", {}, `${label} ${s.name}：${format(s.values[i])}`));
      rect.addEventListener("pointermove", barTip(container, tip, opts, i, format));
      rect.addEventListener("pointerdown", barTip(container, tip, opts, i, format));
      rect.addEventListener("pointerleave", () => { tip.hidden = true; });
      svg.appendChild(rect);
      if (!stacked && v && textWidth(format(v), 10) <= barW + 6) {
        svg.appendChild(svgEl("text", { x: x + barW / 2, y: yOf(v) - 4, "text-anchor": "middle", class: "value" }, format(v)));
      }
      base += v;
    });
    if (stacked && base && textWidth(format(base), 10) <= slot) {
      svg.appendChild(svgEl("text", { x: xOf(i), y: yOf(base) - 4, "text-anchor": "middle", class: "value" }, format(base)));
    }
  });
}

function horizontal(container, opts) {
  const n = opts.labels.length;
  const stacked = Boolean(opts.stacked);
  const groups = stacked ? 1 : opts.series.length;
  const row = Math.max(26, groups * 11 + 8);
  const height = opts.height || Math.max(60, n * row + 34);
  const { svg, tip, width } = frame(container, opts, height);
  const format = opts.format || plain;
  const size = 12;
  const labelW = Math.min(width * 0.4, Math.max(40, ...opts.labels.map((l) => textWidth(l, size))) + 14);
  const pad = { left: labelW, right: 44, top: 6, bottom: 24 };
  const sums = totals(opts);
  const peak = stacked ? Math.max(0, ...sums) : Math.max(0, ...opts.series.flatMap((s) => s.values.map((v) => v || 0)));
  const ticks = niceTicks(peak, width < 420 ? 3 : 5, wholeNumbers(opts));
  const top = ticks[ticks.length - 1] || 1;
  const plotW = width - pad.left - pad.right;
  const xOf = (v) => pad.left + (v / top) * plotW;
  const bottom = pad.top + n * row;
  for (const t of ticks) {
    svg.appendChild(svgEl("line", { x1: xOf(t), x2: xOf(t), y1: pad.top, y2: bottom, class: "grid" }));
    svg.appendChild(svgEl("text", { x: xOf(t), y: bottom + 16, "text-anchor": "middle", class: "tick" }, format(t)));
  }
  svg.appendChild(svgEl("line", { x1: pad.left, x2: pad.left, y1: pad.top, y2: bottom, class: "axis" }));
  const barH = Math.max(4, (row * 0.7) / groups);
  opts.labels.forEach((label, i) => {
    const yMid = pad.top + row * (i + 0.5);
    const name = svgEl("text", { x: pad.left - 6, y: yMid + 4, "text-anchor": "end", class: "label" }, shorten(label, labelW - 8, size));
    name.appendChild(svgEl("title", {}, label));
    svg.appendChild(name);
    let base = 0;
    opts.series.forEach((s, si) => {
      const v = s.values[i] || 0;
      const y = stacked ? yMid - barH / 2 : yMid - (barH * groups) / 2 + si * barH;
      const x0 = stacked ? base : 0;
      const rect = svgEl("rect", {
        x: xOf(x0), y, width: Math.max(0, xOf(x0 + v) - xOf(x0)), height: Math.max(1, barH - 1),
        fill: colorOf(s, si), class: "bar",
      });
      rect.appendChild(svgEl("title", {}, `${label} ${s.name}：${format(s.values[i])}`));
      rect.addEventListener("pointermove", barTip(container, tip, opts, i, format));
      rect.addEventListener("pointerdown", barTip(container, tip, opts, i, format));
      rect.addEventListener("pointerleave", () => { tip.hidden = true; });
      svg.appendChild(rect);
      if (!stacked) {
        svg.appendChild(svgEl("text", { x: xOf(v) + 4, y: y + barH / 2 + 4, class: "value" }, format(s.values[i] ?? 0)));
      }
      base += v;
    });
    if (stacked) {
      svg.appendChild(svgEl("text", { x: xOf(sums[i]) + 4, y: yMid + 4, class: "value" }, format(sums[i])));
    }
  });
}
