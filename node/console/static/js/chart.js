// Two small SVG charts, drawn by hand (no library to vendor): stacked bars for counts per time bucket
// (transactions per second, split by validation code) and lines for a few figures per bucket (commit
// latency p50 and p99). The SVG scales to its box (viewBox); times run left to right, oldest first.

const NS = "http://www.w3.org/2000/svg";
const W = 600;
const H = 180;
const PAD = { left: 44, right: 8, top: 8, bottom: 22 };

function el(tag, attrs, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// A round upper bound for an axis: 1, 2 or 5 times a power of ten.
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function frame(svg, max, times, unit) {
  const plotH = H - PAD.top - PAD.bottom;
  for (const fraction of [0, 0.5, 1]) {
    const y = PAD.top + plotH * (1 - fraction);
    svg.append(el("line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: "grid" }));
    const label = max * fraction;
    svg.append(el("text", { x: PAD.left - 4, y: y + 4, "text-anchor": "end", class: "axis" },
      `${Number.isInteger(label) ? label : label.toFixed(1)}${fraction === 1 ? unit : ""}`));
  }
  if (times.length) {
    const first = new Date(times[0]);
    const last = new Date(times[times.length - 1]);
    const hm = (d) => d.toTimeString().slice(0, 5);
    svg.append(el("text", { x: PAD.left, y: H - 6, class: "axis" }, hm(first)));
    svg.append(el("text", { x: W - PAD.right, y: H - 6, "text-anchor": "end", class: "axis" }, hm(last)));
  }
}

// series: [{name, cls}], rows: [{time, values: {name: number}}]
export function stackedBars(series, rows, unit, title) {
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": title });
  const totals = rows.map((r) => series.reduce((s, x) => s + (r.values[x.name] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  frame(svg, max, rows.map((r) => r.time), unit);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(rows.length, 1);
  rows.forEach((row, i) => {
    let base = 0;
    for (const s of series) {
      const v = row.values[s.name] ?? 0;
      if (v <= 0) continue;
      const y0 = PAD.top + plotH * (1 - base / max);
      const y1 = PAD.top + plotH * (1 - (base + v) / max);
      const bar = el("rect", { x: PAD.left + i * slot + 1, y: y1, width: Math.max(slot - 2, 1), height: y0 - y1, class: s.cls });
      bar.append(el("title", {}, `${s.name}: ${Number(v.toFixed(2))}${unit}`));
      svg.append(bar);
      base += v;
    }
  });
  return svg;
}

// series: [{name, cls}], rows: [{time, values: {name: number|null}}]; a null leaves a gap.
export function lines(series, rows, unit, title) {
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": title });
  const all = rows.flatMap((r) => series.map((s) => r.values[s.name])).filter((v) => typeof v === "number");
  const max = niceMax(Math.max(0, ...all));
  frame(svg, max, rows.map((r) => r.time), unit);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i) => PAD.left + (rows.length > 1 ? (i * plotW) / (rows.length - 1) : plotW / 2);
  for (const s of series) {
    let d = "";
    let pen = "M";
    rows.forEach((r, i) => {
      const v = r.values[s.name];
      if (typeof v !== "number") {
        pen = "M";
        return;
      }
      const [px, py] = [x(i).toFixed(1), (PAD.top + plotH * (1 - v / max)).toFixed(1)];
      d += `${pen}${px},${py} `;
      pen = "L";
      const dot = el("circle", { cx: px, cy: py, r: 2.5, class: `dot ${s.cls}` }); // a lone point shows too
      dot.append(el("title", {}, `${s.name}: ${v}${unit}`));
      svg.append(dot);
    });
    if (d) svg.append(el("path", { d, class: `line ${s.cls}` }));
  }
  return svg;
}
