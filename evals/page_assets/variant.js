// A variant's runs over time: one line per use case with the stored 95% intervals, a table of
// every value, the run spec of each run. Every string goes through textContent.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("page-data").textContent);
  const { el, svg } = window.Dom;
  if (DATA.kind !== "variant") return;
  // Okabe–Ito: distinguishable with the common colour-vision deficiencies.
  const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#f0e442", "#000000"];
  const DASHES = ["", "6 3", "2 3", "8 3 2 3"];
  const fmt = (x) => (x === null || x === undefined ? "—" : Number(x).toFixed(1));
  const runs = DATA.runs, useCases = DATA.use_cases;

  const left = 44, right = 60, top = 12, plotH = 240, width = Math.max(420, left + right + 90 * runs.length);
  const height = top + plotH + 50;
  const x = (i) => left + (runs.length === 1 ? (width - left - right) / 2 : (i * (width - left - right)) / (runs.length - 1));
  const y = (v) => top + plotH - (v / 100) * plotH;
  const chart = svg("svg", { width, height, role: "img", "aria-label": `${DATA.variant}: scores over time with 95% intervals` });
  for (const t of [0, 25, 50, 75, 100]) {
    chart.appendChild(svg("line", { x1: left, x2: width - right, y1: y(t), y2: y(t), stroke: "#e3e6ec" }));
    chart.appendChild(svg("text", { x: left - 6, y: y(t) + 4, "font-size": 10, "text-anchor": "end", class: "tick" }, String(t)));
  }
  runs.forEach((r, i) => chart.appendChild(svg("text", { x: x(i), y: top + plotH + 16, "font-size": 10, "text-anchor": "middle", class: "run-label" },
    r.created_utc.slice(0, 10) + (r.limit !== null ? ` (n≤${r.limit})` : ""))));
  const legend = document.getElementById("history-legend");
  useCases.forEach((name, u) => {
    const colour = PALETTE[u % PALETTE.length], dash = DASHES[Math.floor(u / PALETTE.length) % DASHES.length];
    const points = runs.map((r, i) => [i, r.cells[name]]).filter(([, c]) => c && c.value !== null && c.value !== undefined);
    const offset = (u - (useCases.length - 1) / 2) * 3;  // intervals side by side, not on top
    const group = svg("g", { class: "series", "data-use-case": name });
    // A line joins only runs of one run spec (prompt mode and item limit): a LIMIT run is a
    // point of its own, never a step in the full runs' history.
    const bySpec = new Map();
    for (const [i, c] of points) {
      const spec = `${runs[i].prompt_mode}|${runs[i].limit}`;
      if (!bySpec.has(spec)) bySpec.set(spec, []);
      bySpec.get(spec).push([i, c]);
    }
    for (const line of bySpec.values()) if (line.length > 1) group.appendChild(svg("polyline", { fill: "none", stroke: colour, "stroke-width": 2, "stroke-dasharray": dash,
      points: line.map(([i, c]) => `${x(i) + offset},${y(c.value)}`).join(" ") }));
    for (const [i, c] of points) {
      if (c.ci_low !== null && c.ci_high !== null) group.appendChild(svg("line", { x1: x(i) + offset, x2: x(i) + offset, y1: y(Math.max(0, c.ci_low)), y2: y(Math.min(100, c.ci_high)), stroke: colour, "stroke-width": 1.5, class: "interval" }));
      const dot = svg("circle", { cx: x(i) + offset, cy: y(c.value), r: 3.5, fill: colour, class: "point" });
      dot.appendChild(svg("title", {}, `${name} ${fmt(c.value)} [${fmt(c.ci_low)}, ${fmt(c.ci_high)}] n ${c.n}`));
      group.appendChild(dot);
    }
    chart.appendChild(group);
    const swatch = svg("svg", { width: 26, height: 10 });
    swatch.appendChild(svg("line", { x1: 0, x2: 26, y1: 5, y2: 5, stroke: colour, "stroke-width": 3, "stroke-dasharray": dash }));
    legend.appendChild(el("span", { class: "legend-item" }, swatch, ` ${name}`));
  });
  document.getElementById("history-chart").appendChild(chart);

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
        el("a", { href: c.samples, class: "samples" }, "samples"),
        ...c.raw.map((s) => el("a", { href: s, class: "raw" }, "jsonl")));
    }))));
  const specs = document.getElementById("run-specs");
  runs.forEach((r) => specs.appendChild(el("details", {}, el("summary", {}, `${r.created_utc} · ${r.folder}`),
    el("pre", { class: "pane" }, JSON.stringify(r.run_spec, null, 2)))));
})();
