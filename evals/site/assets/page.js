// Renders the leaderboard from the JSON embedded in the page. Every string from data goes
// through textContent (never innerHTML), so model outputs are shown as text and run nothing.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("page-data").textContent);
  const { el, svg } = window.Dom;

  const fmt = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? "—" : Number(x).toFixed(d));

  function renderFamily() {
    const matrix = DATA.matrix;
    const columns = matrix.columns;
    let order = columns.map((c) => c.key);
    let sortedBy = null;
    const byKey = Object.fromEntries(columns.map((c) => [c.key, c]));
    const table = document.getElementById("heatmap");
    const details = document.getElementById("details");

    // One hue (blue), lightness only, kept light: the shade orders cells, it never crowns one.
    // Winner and ties are marked by outline *and* printed text (★ winner, ≈ tied for best).
    function shade(value, row) {
      const values = Object.values(row.cells).map((c) => c.value);
      const lo = Math.min(...values), hi = Math.max(...values);
      const t = hi > lo ? (value - lo) / (hi - lo) : 0.5;
      return `hsl(205, 45%, ${97 - 14 * t}%)`;
    }
    // The best cell and every cell its paired test does not separate from it, when no winner.
    function tiedForBest(row) {
      if (row.winner || !row.best) return new Set();
      return new Set([row.best, ...(row.comparisons || []).filter((c) => !c.significant).map((c) => c.a)]);
    }
    function showDetails(row, key) {
      const cell = row.cells[key];
      details.replaceChildren();
      const rows = Object.entries(cell.metrics).map(([name, m]) =>
        el("tr", {}, el("td", {}, name), el("td", {}, fmt(m.value, 2)), el("td", {}, `[${fmt(m.ci_low, 2)}, ${fmt(m.ci_high, 2)}]`)));
      details.appendChild(el("div", {},
        el("h3", {}, `${row.use_case} · ${byKey[key].label}`),
        el("p", { class: "meta" }, `n ${cell.n}${cell.few ? ` (${cell.few})` : ""} · invalid ${fmt(cell.invalid_rate)}% · ${cell.num_fewshot}-shot · result fingerprint ${cell.fingerprint}`),
        el("table", { class: "metrics" }, el("tr", {}, el("th", {}, "metric"), el("th", {}, "value"), el("th", {}, "95% CI")), ...rows)));
    }
    function draw() {
      table.replaceChildren();
      const head = el("tr", {}, el("th", {}, "use case (click to sort)"), el("th", {}, "metric"),
        ...order.map((k) => el("th", {}, byKey[k].page ? el("a", { href: byKey[k].page, class: "variant-link" }, byKey[k].label) : byKey[k].label, el("div", { class: "meta" },
          byKey[k].objective + (byKey[k].designated === false ? " · control (extra prompt mode)" : "")))),
        el("th", {}, "verdict"), el("th", {}, "folklore says"), el("th", {}, "agreement"));
      table.appendChild(head);
      for (const row of matrix.rows) {
        const tied = tiedForBest(row);
        const sortBy = () => { sortedBy = sortedBy === row.use_case ? null : row.use_case;
          order = sortedBy ? [...columns.map((c) => c.key)].sort((a, b) => ((row.cells[b] || {}).value ?? -1) - ((row.cells[a] || {}).value ?? -1)) : columns.map((c) => c.key);
          draw(); document.querySelector(`tr[data-row="${CSS.escape(row.use_case)}"] th.sortable`).focus(); };
        const name = el("th", { class: "sortable", title: "sort columns by this use case", tabindex: "0", scope: "row",
          onclick: sortBy, onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(); } } }, row.use_case);
        const cells = order.map((k) => {
          const cell = row.cells[k];
          if (!cell) return el("td", { class: "cell missing" }, "—");
          const state = row.winner === k ? " winner" : tied.has(k) ? " tied" : "";
          const td = el("td", { class: "cell" + state, "data-use-case": row.use_case, "data-column": k,
            tabindex: "0", onclick: () => showDetails(row, k),
            onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); showDetails(row, k); } } },
            el("div", { class: "score" }, fmt(cell.value), row.winner === k ? " ★" : ""),
            tied.has(k) ? el("div", { class: "mark" }, "≈ tied for best") : null,
            el("div", { class: "ci" }, `[${fmt(cell.ci_low)}, ${fmt(cell.ci_high)}]`),
            el("div", { class: "sub" }, `n ${cell.n} · invalid ${fmt(cell.invalid_rate)}%`),
            cell.few ? el("div", { class: "few-units" }, cell.few) : null,
            cell.n < DATA.small_n ? el("div", { class: "small-n" }, `n=${cell.n}: a smoke run, too few items to rank`) : null,
            cell.baseline && cell.baseline.value !== null ? el("div", { class: "sub" },
              `trivial (${cell.baseline.policy}) ${fmt(cell.baseline.value)}${cell.baseline.above_all ? " · above" : " · NOT above"}`) : null);
          td.style.background = shade(cell.value, row);
          return td;
        });
        const winner = row.winner ? byKey[row.winner].label : row.verdict;
        table.appendChild(el("tr", { "data-row": row.use_case }, name, el("td", {}, row.metric), ...cells,
          el("td", { class: "winner-cell" }, winner, row.winner_objective ? el("div", { class: "meta" }, row.winner_objective) : null),
          el("td", {}, row.folklore_claim || (row.folklore.join(" / ") || "—")),
          el("td", {}, el("span", { class: `badge ${row.agreement}` }, row.agreement))));
      }
    }
    draw();
    renderPlots(matrix, byKey);
    renderSamples(byKey);
    renderProvenance(byKey);
  }

  // Axis ticks at a round step (1, 2, 2.5 or 5 × 10^k) covering [lo, hi], clamped to 0..100.
  function niceTicks(lo, hi) {
    if (hi - lo < 1) { lo -= 5; hi += 5; }  // one point (or all equal): a 10-point window
    lo = Math.max(0, lo); hi = Math.min(100, hi);
    const raw = (hi - lo) / 4, magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
    const start = Math.floor(lo / step) * step, end = Math.ceil(hi / step) * step;
    const out = [];
    for (let t = start; t <= end + step / 1e6; t += step) out.push(Number(t.toFixed(6)));
    return out;
  }
  window.__niceTicks = niceTicks;

  function renderPlots(matrix, byKey) {
    const root = document.getElementById("plots");
    for (const row of matrix.rows) {
      const keys = Object.keys(row.cells);
      // The label column fits the longest label (no truncation); ticks at a round step.
      const longest = Math.max(...keys.map((k) => byKey[k].label.length));
      const left = 10 + Math.ceil(longest * 6.4), plotW = 220, right = 20;
      const width = left + plotW + right, rowH = 26, height = rowH * keys.length + 34;
      // A cell without an interval (one unit) is drawn as its point alone.
      const lowEnd = (c) => (c.ci_low === null || c.ci_low === undefined ? c.value : c.ci_low);
      const highEnd = (c) => (c.ci_high === null || c.ci_high === undefined ? c.value : c.ci_high);
      const ticks = niceTicks(Math.min(...keys.map((k) => lowEnd(row.cells[k]))),
        Math.max(...keys.map((k) => highEnd(row.cells[k]))));
      const lo = ticks[0], hi = ticks[ticks.length - 1];
      const x = (v) => left + ((v - lo) / Math.max(1e-9, hi - lo)) * plotW;
      const chart = svg("svg", { width, height, role: "img", "aria-label": `${row.use_case} scores with 95% CIs` });
      keys.forEach((k, i) => {
        const c = row.cells[k], y = 14 + i * rowH;
        chart.appendChild(svg("text", { x: 4, y: y + 4, "font-size": 11, class: "plot-label" }, byKey[k].label));
        if (c.ci_low !== null && c.ci_high !== null) chart.appendChild(svg("line", { x1: x(c.ci_low), x2: x(c.ci_high), y1: y, y2: y, stroke: "#0072b2", "stroke-width": 2 }));
        chart.appendChild(svg("circle", { cx: x(c.value), cy: y, r: 4.5, fill: row.winner === k ? "#d55e00" : "#1d2330" }));
      });
      const axisY = height - 12;
      chart.appendChild(svg("line", { x1: left, x2: left + plotW, y1: axisY - 8, y2: axisY - 8, stroke: "#999" }));
      for (const t of ticks) {
        chart.appendChild(svg("text", { x: x(t), y: axisY + 4, "font-size": 10, fill: "#555", "text-anchor": "middle", class: "tick" }, String(t)));
      }
      root.appendChild(el("div", { class: "plot" }, el("h3", {}, `${row.use_case} — ${row.metric}`), chart));
    }
  }

  function renderSamples(byKey) {
    const useCaseSelect = document.getElementById("sample-use-case");
    const itemSelect = document.getElementById("sample-item");
    const onlyDisagree = document.getElementById("only-disagree");
    const view = document.getElementById("sample-view");
    const counter = document.getElementById("sample-count");
    const scoreFilter = document.getElementById("sample-score");
    const textFilter = document.getElementById("sample-text");
    for (const name of Object.keys(DATA.samples)) useCaseSelect.appendChild(el("option", { value: name }, name));
    const wanted = new URLSearchParams(location.hash.slice(1)).get("uc");
    if (wanted && wanted in DATA.samples) useCaseSelect.value = wanted;
    function disagrees(item) {
      const scores = Object.values(item.outputs).map((o) => o.score);
      return new Set(scores.map((s) => Number(s).toFixed(4))).size > 1;
    }
    function matches(item) {
      const outs = Object.values(item.outputs);
      if (scoreFilter && scoreFilter.value === "above" && !outs.some((o) => o.score > 0)) return false;
      if (scoreFilter && scoreFilter.value === "zero" && !outs.some((o) => o.score === 0)) return false;
      const query = textFilter ? textFilter.value.trim().toLowerCase() : "";
      if (!query) return true;
      const texts = [item.input, item.target, ...outs.map((o) => o.raw), ...outs.map((o) => o.parsed)];
      return texts.some((t) => String(t || "").toLowerCase().includes(query));
    }
    function items() {
      const all = DATA.samples[useCaseSelect.value] || [];
      return all.filter((it) => (!onlyDisagree || !onlyDisagree.checked || disagrees(it)) && matches(it));
    }
    function fillItems() {
      const list = items();
      const all = (DATA.samples[useCaseSelect.value] || []).length;
      itemSelect.replaceChildren(...list.map((it, i) => el("option", { value: String(i) }, it.item_id)));
      const error = (DATA.errors || {})[useCaseSelect.value];
      counter.textContent = error ? `samples unreadable: ${error}` : `${list.length} of ${all} items`;
      show();
    }
    // A chat prompt is shown as the messages sent, one pane per message with its role.
    function prompt(p) {
      if (p === undefined || p === null || p === "") return [];
      if (!Array.isArray(p)) return [el("div", { class: "label" }, "prompt as sent"), el("div", { class: "pane", id: "sample-prompt" }, p)];
      return [el("div", { class: "label" }, `prompt as sent (${p.length} messages)`),
        el("div", { id: "sample-prompt" }, ...p.map((m) => el("div", { class: "message" },
          el("span", { class: "role" }, m.role), el("div", { class: "pane" }, m.content))))];
    }
    function show() {
      const list = items();
      view.replaceChildren();
      const item = list[Number(itemSelect.value) || 0];
      if (!item) { view.appendChild(el("p", { class: "meta" }, "No items.")); return; }
      view.appendChild(el("div", { class: "label" }, "input"));
      view.appendChild(el("div", { class: "pane", id: "sample-input" }, item.input));
      for (const node of prompt(item.prompt)) view.appendChild(node);
      view.appendChild(el("div", { class: "label" }, "reference"));
      view.appendChild(el("div", { class: "pane", id: "sample-reference" }, item.target));
      function outcome(out) {
        if (!out.outcome) return [el("div", { class: "label" }, "parsed"), el("div", { class: "pane" }, out.parsed)];
        const o = out.outcome;
        return [
          el("div", { class: "label" }, "code run"),
          el("div", { class: "pane code" }, out.parsed || "(no code in the reply)"),
          el("div", {}, "test outcome ", el("span", { class: `outcome ${o.status === "passed" ? "passed" : "not-passed"}` }, o.status),
            o.sandbox ? el("span", { class: "meta" }, ` (sandbox: ${o.sandbox})`) : ""),
          o.detail ? el("div", { class: "pane outcome-detail" }, o.detail) : "",
        ];
      }
      const cards = Object.entries(item.outputs).map(([key, out]) => el("div", { class: "card", "data-column": key },
        el("h4", {}, byKey[key] ? byKey[key].label : key),
        el("div", {}, "score ", el("span", { class: "score" }, fmt(out.score))),
        el("div", { class: "label" }, "output"), el("div", { class: "pane output" }, out.raw),
        ...outcome(out)));
      view.appendChild(el("div", { class: "outputs" }, ...cards));
    }
    useCaseSelect.addEventListener("change", fillItems);
    itemSelect.addEventListener("change", show);
    if (onlyDisagree) onlyDisagree.addEventListener("change", fillItems);
    if (scoreFilter) scoreFilter.addEventListener("change", fillItems);
    if (textFilter) textFilter.addEventListener("input", fillItems);
    document.getElementById("prev-item").addEventListener("click", () => {
      itemSelect.value = String(Math.max(0, Number(itemSelect.value) - 1)); show(); });
    document.getElementById("next-item").addEventListener("click", () => {
      itemSelect.value = String(Math.min(itemSelect.options.length - 1, Number(itemSelect.value) + 1)); show(); });
    fillItems();
  }

  function renderProvenance(byKey) {
    const root = document.getElementById("provenance");
    // Whole hashes (a server model's hash names its URL: a prefix cut it to "server:http://12").
    const models = DATA.matrix.columns.map((c) => el("tr", {},
      el("td", {}, c.page ? el("a", { href: c.page }, c.label) : c.label), el("td", { class: "hash" }, c.spec),
      el("td", { class: "hash" }, c.fingerprint), el("td", { class: "hash" }, c.model_hash),
      el("td", {}, c.samples ? el("a", { href: c.samples, class: "samples" }, c.created_utc || "samples") : (c.created_utc || "—"))));
    const data = DATA.matrix.rows.map((r) => el("tr", {}, el("td", {}, r.use_case), el("td", {}, r.task_version), el("td", {}, r.data_sha256.slice(0, 16))));
    root.appendChild(el("table", {}, el("tr", {}, ...["column", "model spec", "fingerprint", "model hash", "run"].map((h) => el("th", {}, h))), ...models));
    root.appendChild(el("table", { style: "margin-top:10px" }, el("tr", {}, ...["use case", "task version", "data sha256"].map((h) => el("th", {}, h))), ...data));
  }

  if (DATA.kind === "family") renderFamily();
  if (DATA.kind === "samples") renderSamples(Object.fromEntries(DATA.columns.map((c) => [c.key, c])));
})();
