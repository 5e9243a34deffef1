// The leaderboard table: filters, search and sort over the rows embedded in the page. Numbers
// are printed as stored (no statistics here); every string goes through textContent.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("page-data").textContent);
  const { el } = window.Dom;
  if (DATA.kind !== "leaderboard") return;
  // Cells travel as arrays (page weight); named back here, values untouched.
  for (const row of DATA.rows) {
    for (const [name, values] of Object.entries(row.cells)) {
      const c = Object.fromEntries(DATA.cell_fields.map((f, i) => [f, values[i]]));
      c.baseline = c.baseline_policy === null ? null : { policy: c.baseline_policy, value: c.baseline_value, above_all: c.above_baseline };
      row.cells[name] = c;
    }
  }
  const PAGE_ROWS = 100;  // drawn at once; "show all" draws the rest
  let showAll = false;
  const $ = (id) => document.getElementById(id);
  const fmt = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? "—" : Number(x).toFixed(d));
  const MARK = { leader: "▲ leader", tie: "≈ not separable", unknown: "? no interval to compare" };

  const links = $("family-links");
  if (DATA.families.length) {
    links.appendChild(el("span", { class: "meta" }, "family matrices: "));
    DATA.families.forEach((f, i) => {
      if (i) links.appendChild(document.createTextNode(" · "));
      links.appendChild(el("a", { href: f.page }, f.title));
    });
  }

  const filters = {
    objective: { select: $("filter-objective"), of: (r) => [r.objective] },
    family: { select: $("filter-family"), of: (r) => r.families },
    backend: { select: $("filter-backend"), of: (r) => [r.backend] },
    prompt_mode: { select: $("filter-prompt-mode"), of: (r) => [r.prompt_mode] },
  };
  for (const [name, f] of Object.entries(filters)) {
    const values = [...new Set(DATA.rows.flatMap(f.of))].sort();
    f.select.appendChild(el("option", { value: "" }, `all (${values.length})`));
    for (const v of values) f.select.appendChild(el("option", { value: v }, v));
    f.select.setAttribute("data-filter", name);
    f.select.addEventListener("change", draw);
  }
  $("search").addEventListener("input", draw);
  $("show-all").addEventListener("click", () => { showAll = true; draw(); });

  let sortKey = null, sortDir = -1;
  function sortValue(row, key) {
    if (key === "variant") return row.variant.toLowerCase();
    const cell = row.cells[key];
    return cell && cell.value !== null ? cell.value : null;
  }
  function header() {
    const th = (key, label) => {
      const active = sortKey === key;
      const aria = active ? (sortDir > 0 ? "ascending" : "descending") : "none";
      return el("th", { scope: "col", "aria-sort": aria },
        el("button", { type: "button", class: "sort", "data-sort": key,
          onclick: () => { sortDir = sortKey === key ? -sortDir : (key === "variant" ? 1 : -1); sortKey = key; draw(); } },
          label, active ? (sortDir > 0 ? " ↑" : " ↓") : ""));
    };
    return el("tr", {}, th("variant", "variant"), el("th", { scope: "col" }, "objective · backend · mode"),
      ...DATA.columns.map((c) => th(c, c)));
  }
  function cellNode(row, name) {
    const cell = row.cells[name];
    if (!cell) return el("td", { class: "cell missing" }, "—");
    const mark = MARK[cell.vs_leader];
    const baseline = cell.baseline && cell.baseline.value !== null && cell.baseline.value !== undefined
      ? el("div", { class: "sub" }, `trivial (${cell.baseline.policy}) ${fmt(cell.baseline.value)}${cell.baseline.above_all ? " · above" : " · NOT above"}`)
      : el("div", { class: "sub" }, "no trivial baseline");
    return el("td", { class: `cell ${cell.vs_leader || ""}`, "data-column": name, title: cell.metric },
      el("div", { class: "score" }, fmt(cell.value)),
      el("div", { class: "ci" }, `[${fmt(cell.ci_low)}, ${fmt(cell.ci_high)}] · n ${cell.n}`),
      baseline,
      mark ? el("div", { class: "mark" }, mark) : null,
      cell.note ? el("div", { class: "small-n" }, cell.note) : null);
  }
  function visible() {
    const query = $("search").value.trim().toLowerCase();
    return DATA.rows.filter((r) => (!query || r.variant.toLowerCase().includes(query))
      && Object.values(filters).every((f) => !f.select.value || f.of(r).includes(f.select.value)));
  }
  function draw() {
    let rows = visible();
    if (sortKey) {
      rows = [...rows].sort((a, b) => {
        const x = sortValue(a, sortKey), y = sortValue(b, sortKey);
        if (x === null) return 1;
        if (y === null) return -1;
        return x < y ? -sortDir : x > y ? sortDir : 0;
      });
    }
    const table = $("leaderboard");
    const total = rows.length;
    if (!showAll) rows = rows.slice(0, PAGE_ROWS);
    const more = $("show-all");
    more.hidden = total <= rows.length;
    more.textContent = `show all ${total} rows`;
    const body = rows.map((r) => el("tr", { "data-key": r.key },
      el("th", { scope: "row", class: "variant" }, el("a", { href: r.page, class: "variant-link" }, r.variant),
        el("div", { class: "meta" }, r.limit !== null ? `limit ${r.limit} · ` : "", r.created_utc),
        el("div", { class: "meta" }, r.families.length ? `family: ${r.families.join(", ")}` : "")),
      el("td", { class: "meta" }, `${r.objective} · ${r.backend} · ${r.prompt_mode}`),
      ...DATA.columns.map((c) => cellNode(r, c))));
    table.replaceChildren(el("thead", {}, header()), el("tbody", {}, ...body));
    $("row-count").textContent = `${total} of ${DATA.rows.length} rows` + (total > rows.length ? ` (first ${rows.length} shown)` : "");
    $("empty-note").textContent = DATA.rows.length ? (total ? "" : "No rows match the filters.")
      : "No stored runs yet: make eval, then make site.";
  }
  draw();
})();
