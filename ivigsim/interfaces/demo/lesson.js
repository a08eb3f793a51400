"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("lesson-data").textContent);
  const SVG_NS = "http://www.w3.org/2000/svg";
  const W = 760, H = 230, M = { left: 68, right: 14, top: 10, bottom: 34 };
  const C = DATA.colours;

  // ---- data ---------------------------------------------------------------------------------
  function decode(b64) {
    const bin = atob(b64);
    const out = new Uint16Array(bin.length / 2);
    for (let i = 0; i < out.length; i++) {
      out[i] = bin.charCodeAt(2 * i) | (bin.charCodeAt(2 * i + 1) << 8);
    }
    return out;
  }
  const FAMILIES = {};
  for (const [name, fam] of Object.entries(DATA.families)) {
    FAMILIES[name] = { shape: fam.shape, scale: fam.scale, offsets: fam.offsets, raw: decode(fam.data) };
  }
  function flat(shape, idx) {
    let k = 0;
    for (let d = 0; d < shape.length; d++) { k = k * shape[d] + idx[d]; }
    return k;
  }
  function curve(name, idx, length) {
    const fam = FAMILIES[name];
    const start = fam.offsets[flat(fam.shape, idx)];
    const y = new Float64Array(length);
    for (let i = 0; i < length; i++) { y[i] = fam.raw[start + i] * fam.scale / 65535; }
    return y;
  }

  // ---- state and controls -------------------------------------------------------------------
  const state = {};
  function resetState() {
    for (const c of DATA.controls) { state[c.name] = DATA.default_index[c.name]; }
    state.price = DATA.price.default;
    for (const [name] of DATA.mechanisms) { state[name] = true; }
  }
  function fmt(value, digits) { return Number(value).toFixed(digits); }

  function buildControls() {
    const box = document.getElementById("sliders");
    for (const c of DATA.controls) {
      const div = document.createElement("div");
      div.className = "control";
      div.innerHTML = `<label for="slider-${c.name}">${c.label} [${c.unit}]<output id="value-${c.name}"></output></label>` +
        `<input type="range" id="slider-${c.name}" min="0" max="${c.levels.length - 1}" step="1">` +
        `<div class="ticks">${c.levels.map((v) => `<span>${fmt(v * c.scale, c.digits)}</span>`).join("")}</div>`;
      box.appendChild(div);
      div.querySelector("input").addEventListener("input", (ev) => { state[c.name] = Number(ev.target.value); update(); });
    }
    const p = DATA.price;
    const div = document.createElement("div");
    div.className = "control";
    div.innerHTML = `<label for="slider-price">${p.label} [${p.unit}]<output id="value-price"></output></label>` +
      `<input type="range" id="slider-price" min="${p.min}" max="${p.max}" step="${p.step}">` +
      `<div class="ticks"><span>${p.min}</span><span>${p.max}</span></div>`;
    box.appendChild(div);
    div.querySelector("input").addEventListener("input", (ev) => { state.price = Number(ev.target.value); update(); });
    const mech = document.getElementById("mechanisms");
    for (const [name, label] of DATA.mechanisms) {
      const lab = document.createElement("label");
      lab.innerHTML = `<input type="checkbox" id="mech-${name}"> ${label}`;
      mech.appendChild(lab);
      lab.querySelector("input").addEventListener("change", (ev) => { state[name] = ev.target.checked; update(); });
    }
    document.getElementById("reset").addEventListener("click", () => { resetState(); update(); });
  }
  function syncControls() {
    for (const c of DATA.controls) {
      document.getElementById(`slider-${c.name}`).value = state[c.name];
      document.getElementById(`value-${c.name}`).textContent = fmt(c.levels[state[c.name]] * c.scale, c.digits);
    }
    document.getElementById("slider-price").value = state.price;
    document.getElementById("value-price").textContent = fmt(state.price, 0);
    for (const [name] of DATA.mechanisms) { document.getElementById(`mech-${name}`).checked = state[name]; }
  }

  // ---- plotting -----------------------------------------------------------------------------
  function niceCeil(v) {
    if (!(v > 0)) { return 1; }
    const e = Math.pow(10, Math.floor(Math.log10(v)));
    for (const s of [1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) { if (s * e >= v * (1 - 1e-12)) { return s * e; } }
    return 10 * e;
  }
  function ticks(max, n) {
    const raw = max / n, e = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((s) => s * e).find((s) => s >= raw);
    const out = [];
    for (let v = 0; v <= max + 1e-9 * max; v += step) { out.push(v); }
    return out;
  }
  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs)) { node.setAttribute(k, v); }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function plot(id, series, opts) {
    const svg = document.getElementById(id);
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    const pw = W - M.left - M.right, ph = H - M.top - M.bottom;
    const x = (t) => M.left + pw * t / opts.xmax;
    const y = (v) => M.top + ph * (1 - Math.min(v, opts.ymax * 1.02) / opts.ymax);
    for (const [a, b] of opts.shade) {
      el("rect", { class: "shade", x: x(a), y: M.top, width: x(b) - x(a), height: ph }, svg);
    }
    for (const v of ticks(opts.ymax, 5)) {
      el("line", { class: "grid", x1: M.left, x2: M.left + pw, y1: y(v), y2: y(v) }, svg);
      el("text", { x: M.left - 6, y: y(v) + 4, "text-anchor": "end" }, svg).textContent = opts.yfmt(v);
    }
    for (const t of ticks(opts.xmax, 8)) {
      el("line", { class: "grid", x1: x(t), x2: x(t), y1: M.top, y2: M.top + ph }, svg);
      el("text", { x: x(t), y: M.top + ph + 16, "text-anchor": "middle" }, svg).textContent = String(t);
    }
    el("rect", { class: "frame", x: M.left, y: M.top, width: pw, height: ph }, svg);
    el("text", { x: M.left + pw / 2, y: H - 3, "text-anchor": "middle" }, svg).textContent = "time [day]   (shaded: infusion days)";
    el("text", { x: 13, y: M.top + ph / 2, "text-anchor": "middle", transform: `rotate(-90 13 ${M.top + ph / 2})` }, svg).textContent = opts.ylabel;
    for (const s of series) {
      let d = "";
      for (let i = 0; i < s.t.length; i++) { d += (i ? "L" : "M") + x(s.t[i]).toFixed(1) + "," + y(s.y[i]).toFixed(1); }
      el("path", { class: "curve", d: d, stroke: s.colour, "stroke-width": s.width || 1.8,
        "stroke-dasharray": s.dash || "none", "data-curve": s.id }, svg);
    }
    for (const m of opts.markers || []) {
      el("circle", { cx: x(m.t), cy: y(m.y), r: 4, fill: m.colour }, svg);
      el("text", { x: x(m.t) + (m.t > 0.75 * opts.xmax ? -8 : 8), y: y(m.y) - 6, fill: m.colour,
        "text-anchor": m.t > 0.75 * opts.xmax ? "end" : "start" }, svg).textContent = m.text;
    }
  }
  function legend(id, items) {
    document.getElementById(id).innerHTML = items.map((it) =>
      `<span class="${it.dash ? "dashed" : ""}" style="--c:${it.colour}">${it.label}</span>`).join("");
  }
  function usd(v) {
    if (Math.abs(v) >= 1e6) { return "$" + (v / 1e6).toFixed(1) + "M"; }
    if (Math.abs(v) >= 1e3) { return "$" + (v / 1e3).toFixed(0) + "k"; }
    return "$" + v.toFixed(0);
  }

  // ---- the lesson ---------------------------------------------------------------------------
  function update() {
    syncControls();
    const [d, h, e, c, f] = DATA.controls.map((ctl) => state[ctl.name]);
    const t = DATA.times[`${h},${e}`];
    const n = t.length;
    const fcrn = state.fcrn_saturation, aid = state.anti_idiotype;
    const on = fcrn ? "on" : "off";
    const igg = curve(`igg_${on}`, [d, h, e, c], n), ivig = curve(`ivig_${on}`, [d, h, e, c], n);
    const endo = igg.map((v, i) => v - ivig[i]);
    const aabFcrn = curve("aab_fcrn", [d, h, e, c], n), aabAid = curve("aab_aid", [d, h, e, c, f], n);
    const untreated = curve("untreated", [c], DATA.t_daily.length);
    let selT = t, sel;
    if (fcrn && aid) { sel = curve("aab_both", [d, h, e, c, f], n); }
    else if (fcrn) { sel = aabFcrn; }
    else if (aid) { sel = aabAid; }
    else { sel = untreated; selT = DATA.t_daily; }
    const every = DATA.controls[2].levels[e], hours = DATA.controls[1].levels[h], dose = DATA.controls[0].levels[d];
    const cycles = DATA.cycles[e], shade = [];
    for (let k = 0; k < cycles; k++) { shade.push([k * every, Math.min(k * every + DATA.days, DATA.t_end)]); }
    const peakIdx = flat(FAMILIES.igg_on.shape, [d, h, e, c]);
    const peak = DATA.peak[on][peakIdx];
    let kPeak = 0;
    for (let i = 1; i < n; i++) { if (igg[i] > igg[kPeak]) { kPeak = i; } }
    plot("panel-igg", [
      { t: t, y: igg, colour: C.igg_total, width: 2.2, id: "igg_total" },
      { t: t, y: endo, colour: C.igg_endogenous, dash: "6 4", id: "igg_endogenous" },
      { t: t, y: ivig, colour: C.ivig, id: "ivig" },
    ], { xmax: DATA.t_end, ymax: niceCeil(1.12 * peak), ylabel: "IgG [g/L]", yfmt: (v) => String(v), shade: shade,
      markers: [{ t: t[kPeak], y: peak, colour: C.igg_total, text: `peak ${peak.toFixed(1)} g/L` }] });
    const top = Math.max(...sel, ...aabFcrn, ...aabAid, ...untreated);
    const labels = DATA.mechanisms.filter(([name]) => state[name]).map(([, label]) => label);
    plot("panel-aab", [
      { t: DATA.t_daily, y: untreated, colour: C.untreated, dash: "6 4", id: "untreated" },
      { t: t, y: aabFcrn, colour: C.fcrn_saturation, id: "fcrn_saturation" },
      { t: t, y: aabAid, colour: C.anti_idiotype, id: "anti_idiotype" },
      { t: selT, y: sel, colour: C.selected, width: 2.6, id: "selected" },
    ], { xmax: DATA.t_end, ymax: niceCeil(1.1 * top), ylabel: "free autoantibody [mg/L]", yfmt: (v) => String(v), shade: shade });
    legend("legend-aab", [
      { colour: C.selected, label: labels.length ? "together: " + labels.join(" + ") : "no mechanism selected (= untreated)" },
      { colour: C.fcrn_saturation, label: "FcRn saturation alone" },
      { colour: C.anti_idiotype, label: "anti-idiotypes alone" },
      { colour: C.untreated, label: "untreated", dash: true },
    ]);
    const grams = t.map((tt) => {
      let g = 0;
      for (let k = 0; k < cycles; k++) {
        for (let j = 0; j < DATA.days; j++) {
          const start = k * every + j;
          g += dose * DATA.weight * Math.min(Math.max((tt - start) / (hours / 24), 0), 1);
        }
      }
      return g;
    });
    const cost = grams.map((g) => g * state.price);
    plot("panel-cost", [{ t: t, y: cost, colour: C.cost, width: 2.2, id: "cost" }],
      { xmax: DATA.t_end, ymax: niceCeil(1.1 * Math.max(cost[n - 1], 1)), ylabel: "cost [USD]", yfmt: usd, shade: shade });
    const nadir = Math.min(...sel), base = untreated[0];
    document.getElementById("readout-igg").textContent =
      `${dose.toFixed(2)} g/kg/day × ${DATA.days} d = ${(dose * DATA.days).toFixed(1)} g/kg per course`;
    document.getElementById("readout-aab").textContent =
      `nadir ${nadir.toFixed(2)} mg/L, ${(100 * (1 - nadir / base)).toFixed(0)} % below untreated ${base.toFixed(2)} mg/L`;
    document.getElementById("readout-cost").textContent =
      `${grams[n - 1].toFixed(0)} g by day ${DATA.t_end} × $${state.price}/g = $${Math.round(cost[n - 1]).toLocaleString("en-US")}`;
    safety(DATA.safety[`${d},${h},${e}`]);
  }

  function bar(value, max, limits, title, unit) {
    const over = value > limits[0][1] * (1 + 1e-9);
    const marks = limits.map(([label, v]) =>
      `<div class="limit" style="left:${(100 * v / max).toFixed(2)}%"><span>${label} ${v}</span></div>`).join("");
    return `<div><div>${title}</div><div class="bar"><div class="fill" style="width:${Math.min(100, 100 * value / max).toFixed(2)}%;` +
      `background:${over ? "var(--warn)" : "var(--ok)"}"></div>${marks}</div>` +
      `<div class="ticks"><span>0</span><span>${max} ${unit}</span></div></div>`;
  }
  function safety(s) {
    const L = DATA.limits;
    const rateMax = Math.max(8, niceCeil(s.rate * 1.15)), dailyMax = Math.max(50, niceCeil(s.daily_g * 1.15));
    const flags = s.flags.length
      ? `<ul class="flags">${s.flags.map((x) => `<li>${x}</li>`).join("")}</ul>`
      : `<ul class="flags none"><li>No safety flags: infusion rate and daily amount are within the limits.</li></ul>`;
    document.getElementById("safety").innerHTML =
      bar(s.rate, rateMax, [["at-risk max", L.rate_risk], ["label max", L.rate_label]],
        `peak infusion rate <b>${s.rate.toFixed(2)} mg/kg/min</b>`, "mg/kg/min") +
      bar(s.daily_g, dailyMax, [["thrombosis flag", L.daily]], `largest amount in one day <b>${s.daily_g.toFixed(1)} g</b>`, "g") +
      flags;
  }

  legend("legend-igg", [
    { colour: C.igg_total, label: "total IgG" },
    { colour: C.igg_endogenous, label: "endogenous IgG (total − infused)", dash: true },
    { colour: C.ivig, label: "infused IgG (IVIG)" },
  ]);
  resetState();
  buildControls();
  update();
})();
