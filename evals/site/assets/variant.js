// A variant's runs over time: one line per use case with the stored 95% intervals, a table of
// every value, the run spec of each run. Every string goes through textContent.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("page-data").textContent);
  const { el, svg } = window.Dom;
  if (DATA.kind !== "variant") return;
  // Okabe–Ito hues, darkened where needed so every series has at least 3:1 contrast against
  // the white plot (the yellow and sky blue did not: 1.2:1 and 2.2:1); dashes tell them apart too.
  const PALETTE = ["#0072b2", "#c45500", "#007a5a", "#a4407f", "#7a6200", "#3b6fb6", "#b8002e", "#1d2330"];
  const DASHES = ["", "6 3", "2 3", "8 3 2 3"];
  const fmt = (x) => (x === null || x === undefined ? "—" : Number(x).toFixed(1));
  const runs = DATA.runs, useCases = DATA.use_cases;
  const colourOf = (u) => PALETTE[u % PALETTE.length], dashOf = (u) => DASHES[Math.floor(u / PALETTE.length) % DASHES.length];
  // One chart, one time axis, per run spec (prompt mode and item limit): runs of different
  // specs measure different things and never share an axis. Labels carry date and time.
  const bySpec = new Map();
  runs.forEach((r, i) => {
    const spec = `${r.prompt_mode} · ${r.limit === null ? "all items" : `limit ${r.limit}`}`;
    if (!bySpec.has(spec)) bySpec.set(spec, []);
    bySpec.get(spec).push(i);
  });
  const hidden = new Set();
  const root = document.getElementById("history-chart");
  function chartFor(spec, indices) {
    const left = 44, right = 44, top = 12, plotH = 220;
    const width = Math.max(360, left + right + 110 * indices.length), height = top + plotH + 44;
    const x = (k) => left + (indices.length === 1 ? (width - left - right) / 2 : (k * (width - left - right)) / (indices.length - 1));
    const y = (v) => top + plotH - (v / 100) * plotH;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "history", role: "img",
      "aria-label": `${DATA.variant}, ${spec}: scores over time with 95% intervals` });
    for (const t of [0, 25, 50, 75, 100]) {
      chart.appendChild(svg("line", { x1: left, x2: width - right, y1: y(t), y2: y(t), stroke: "#e3e6ec" }));
      chart.appendChild(svg("text", { x: left - 6, y: y(t) + 4, "font-size": 10, "text-anchor": "end", class: "tick" }, String(t)));
    }
    indices.forEach((i, k) => {
      const stamp = runs[i].created_utc;
      chart.appendChild(svg("text", { x: x(k), y: top + plotH + 16, "font-size": 10, "text-anchor": "middle", class: "run-label" }, stamp.slice(0, 10)));
      chart.appendChild(svg("text", { x: x(k), y: top + plotH + 29, "font-size": 10, "text-anchor": "middle", class: "run-time" }, stamp.slice(11, 16) ? `${stamp.slice(11, 16)} UTC` : ""));
    });
    useCases.forEach((name, u) => {
      const colour = colourOf(u), dash = dashOf(u);
      const points = indices.map((i, k) => [k, runs[i].cells[name]]).filter(([, c]) => c && c.value !== null && c.value !== undefined);
      const offset = (u - (useCases.length - 1) / 2) * 3;  // intervals side by side, not on top
      const group = svg("g", { class: "series", "data-use-case": name });
      if (points.length > 1) group.appendChild(svg("polyline", { fill: "none", stroke: colour, "stroke-width": 2, "stroke-dasharray": dash,
        points: points.map(([k, c]) => `${x(k) + offset},${y(c.value)}`).join(" ") }));
      for (const [k, c] of points) {
        if (c.ci_low !== null && c.ci_high !== null) group.appendChild(svg("line", { x1: x(k) + offset, x2: x(k) + offset, y1: y(Math.max(0, c.ci_low)), y2: y(Math.min(100, c.ci_high)), stroke: colour, "stroke-width": 1.5, class: "interval" }));
        const dot = svg("circle", { cx: x(k) + offset, cy: y(c.value), r: 3.5, fill: colour, class: "point" });
        dot.appendChild(svg("title", {}, `${name} ${fmt(c.value)} [${fmt(c.ci_low)}, ${fmt(c.ci_high)}] n ${c.n}${c.few ? ` (${c.few})` : ""}`));
        group.appendChild(dot);
      }
      if (points.length) chart.appendChild(group);
    });
    return el("figure", { class: "history-spec", "data-spec": spec }, el("figcaption", {}, spec), chart);
  }
  for (const [spec, indices] of bySpec) root.appendChild(chartFor(spec, indices));
  // The legend selects series: each use case a checkbox that shows or hides it in every chart.
  const legend = document.getElementById("history-legend");
  useCases.forEach((name, u) => {
    const swatch = svg("svg", { width: 26, height: 10, "aria-hidden": "true" });
    swatch.appendChild(svg("line", { x1: 0, x2: 26, y1: 5, y2: 5, stroke: colourOf(u), "stroke-width": 3, "stroke-dasharray": dashOf(u) }));
    const box = el("input", { type: "checkbox", checked: "", "data-use-case": name, onchange: () => {
      if (box.checked) hidden.delete(name); else hidden.add(name);
      for (const g of root.querySelectorAll("g.series")) g.style.display = hidden.has(g.dataset.useCase) ? "none" : "";
    } });
    legend.appendChild(el("label", { class: "legend-item" }, box, swatch, ` ${name}`));
  });

  const table = document.getElementById("history-table");
  table.appendChild(el("tr", {}, el("th", {}, "run"), el("th", {}, "mode · limit"), ...useCases.map((u) => el("th", {}, u))));
  runs.forEach((r) => table.appendChild(el("tr", { "data-run": r.folder },
    el("td", {}, r.created_utc, el("div", { class: "meta" }, r.folder),
      r.vs_previous ? el("a", { href: r.vs_previous, class: "vs-previous" }, "vs previous run") : null),
    el("td", {}, `${r.prompt_mode} · ${r.limit === null ? "all items" : `limit ${r.limit}`}`),
    ...useCases.map((u) => {
      const c = r.cells[u];
      if (!c) return el("td", { class: "missing" }, "—");
      return el("td", {}, el("strong", {}, fmt(c.value)), ` [${fmt(c.ci_low)}, ${fmt(c.ci_high)}] n ${c.n} `,
        c.few ? el("span", { class: "few-units" }, c.few) : null, c.few ? " " : null,
        el("a", { href: c.samples, class: "samples" }, "samples"),
        ...c.raw.flatMap((s) => [" · ", el("a", { href: s, class: "raw" }, "jsonl")]));
    }))));
  const specs = document.getElementById("run-specs");
  runs.forEach((r) => specs.appendChild(el("details", {}, el("summary", {}, `${r.created_utc} · ${r.folder}`),
    el("pre", { class: "pane" }, JSON.stringify(r.run_spec, null, 2)))));
})();
