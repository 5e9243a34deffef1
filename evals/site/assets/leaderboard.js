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
  const MARK = { leader: "▲ leader", tie: "≈ not separable", overlap: "∩ intervals overlap", below: "▽ below the leader",
    unknown: "? no interval to compare", no_leader: "no cell above its trivial baseline" };

  const links = $("family-links");
  if (DATA.families.length) {
    links.appendChild(el("span", { class: "meta" }, "family matrices: "));
    DATA.families.forEach((f, i) => {
      if (i) links.appendChild(document.createTextNode(" · "));
      links.appendChild(el("a", { href: f.page }, f.title));
    });
  }
  // The gates' run-vs-run pages (reports/gate/*), newest first.
  if ((DATA.gates || []).length) {
    const list = el("ul", { id: "gate-links" });
    for (const g of DATA.gates) {
      list.appendChild(el("li", {}, el("a", { href: g.page }, `${g.candidate} vs ${g.baseline}`),
        " — ", el("span", { class: `gate-status status-${g.status}` }, g.status)));
    }
    links.appendChild(el("div", { class: "meta" }, "regression gates:", list));
  }
  // Families with no stored run: named with the command that evaluates them, never linked.
  if ((DATA.pending || []).length) {
    const list = el("ul", { id: "pending-families" });
    for (const p of DATA.pending) list.appendChild(el("li", {}, `${p.title} — `, el("code", {}, p.command)));
    links.appendChild(el("div", { class: "meta" }, "not evaluated yet:", list));
  }

  const filters = {
    objective: { select: $("filter-objective"), of: (r) => [r.objective] },
    family: { select: $("filter-family"), of: (r) => r.families },
    backend: { select: $("filter-backend"), of: (r) => [r.backend] },
    prompt_mode: { select: $("filter-prompt-mode"), of: (r) => [r.prompt_mode] },
  };
  // The view (filters, search, sort) lives in the URL's fragment, so a view can be shared and
  // survives a reload; it works the same over file:// and HTTP.
  const state = new URLSearchParams(location.hash.slice(1));
  for (const [name, f] of Object.entries(filters)) {
    const values = [...new Set(DATA.rows.flatMap(f.of))].sort();
    f.select.appendChild(el("option", { value: "" }, `all (${values.length})`));
    for (const v of values) f.select.appendChild(el("option", { value: v }, v));
    f.select.setAttribute("data-filter", name);
    if (values.includes(state.get(name))) f.select.value = state.get(name);
    f.select.addEventListener("change", () => draw());
  }
  $("search").value = state.get("q") || "";
  $("search").addEventListener("input", () => draw());
  $("show-all").addEventListener("click", () => { showAll = true; draw(); });

  const metricOf = {};
  for (const row of DATA.rows) for (const [name, c] of Object.entries(row.cells)) metricOf[name] = metricOf[name] || c.metric;
  const sortable = new Set(["variant", "mean_rank", ...DATA.columns]);
  let sortKey = sortable.has(state.get("sort")) ? state.get("sort") : "mean_rank";
  let sortDir = state.get("dir") === "asc" ? 1 : state.get("dir") === "desc" ? -1 : (sortKey === "variant" || sortKey === "mean_rank" ? 1 : -1);
  function saveState() {
    const out = new URLSearchParams();
    if (sortKey !== "mean_rank" || sortDir !== 1) { out.set("sort", sortKey); out.set("dir", sortDir > 0 ? "asc" : "desc"); }
    const query = $("search").value.trim();
    if (query) out.set("q", query);
    for (const [name, f] of Object.entries(filters)) if (f.select.value) out.set(name, f.select.value);
    const hash = out.toString();
    if (hash !== location.hash.slice(1)) history.replaceState(null, "", hash ? `#${hash}` : location.pathname + location.search);
  }
  function sortValue(row, key) {
    if (key === "variant") return row.variant.toLowerCase();
    if (key === "mean_rank") return row.mean_rank;
    const cell = row.cells[key];
    return cell && cell.value !== null ? cell.value : null;
  }
  function header() {
    const th = (key, label, sub, extra) => {
      const active = sortKey === key;
      const aria = active ? (sortDir > 0 ? "ascending" : "descending") : "none";
      return el("th", { scope: "col", "aria-sort": aria, ...(extra || {}) },
        el("button", { type: "button", class: "sort", "data-sort": key,
          onclick: () => { sortDir = sortKey === key ? -sortDir : (key === "variant" || key === "mean_rank" ? 1 : -1); sortKey = key; draw(key); } },
          label, active ? (sortDir > 0 ? " ↑" : " ↓") : ""),
        sub ? el("div", { class: "metric" }, sub) : null);
    };
    return el("tr", {}, th("variant", "variant", null, { class: "variant" }),
      th("mean_rank", "mean rank", "over use cases", { title: "mean over use cases of the row's rank among runs on the same items (1 = best); smoke runs have none" }),
      el("th", { scope: "col" }, "objective · backend · mode"),
      ...DATA.columns.map((c) => th(c, c, metricOf[c])));
  }
  function cellNode(row, name) {
    const cell = row.cells[name];
    if (!cell) return el("td", { class: "cell missing" }, "—");
    const mark = cell.vs_leader === "leader" && row.limit !== null ? `▲ leader of limit-${row.limit} runs` : MARK[cell.vs_leader];
    const baseline = cell.baseline && cell.baseline.value !== null && cell.baseline.value !== undefined
      ? el("div", { class: "sub" }, `trivial (${cell.baseline.policy}) ${fmt(cell.baseline.value)}${cell.baseline.above_all ? " · above" : " · NOT above"}`)
      : el("div", { class: "sub" }, "no trivial baseline");
    const p = cell.p_vs_leader === null || cell.p_vs_leader === undefined ? ""
      : ` (paired p ${cell.p_vs_leader < 0.001 ? cell.p_vs_leader.toExponential(1) : cell.p_vs_leader.toFixed(3)}, Holm)`;
    return el("td", { class: `cell ${cell.vs_leader || ""}${cell.small ? " small" : ""}`, "data-column": name, title: cell.metric },
      el("div", { class: "score" }, el("a", { href: `${row.samples}#uc=${encodeURIComponent(name)}`, class: "samples-link",
        "aria-label": `${row.variant} ${name}: ${fmt(cell.value)}, its samples` }, fmt(cell.value))),
      el("div", { class: "ci" }, `[${fmt(cell.ci_low)}, ${fmt(cell.ci_high)}] · n ${cell.n}`),
      cell.few ? el("div", { class: "few-units" }, cell.few) : null,
      baseline,
      mark ? el("div", { class: "mark" }, mark + p) : null,
      cell.note ? el("div", { class: "small-n" }, cell.note) : null);
  }
  function visible() {
    const query = $("search").value.trim().toLowerCase();
    return DATA.rows.filter((r) => (!query || r.variant.toLowerCase().includes(query))
      && Object.values(filters).every((f) => !f.select.value || f.of(r).includes(f.select.value)));
  }
  // "compare with…": the run-vs-run page of this row and a comparable one (written at build
  // time): one click opens the list, a second opens the page.
  function comparePicker(r) {
    if (r.compare_too_many) return el("div", { class: "meta" }, `${r.compare_too_many} comparable runs: compare two with evals diff`);
    if (!(r.compare || []).length) return null;
    const select = el("select", { class: "compare", "aria-label": `compare ${r.variant} with…`,
      onchange: () => { if (select.value) location.href = select.value; } },
      el("option", { value: "" }, "compare with…"),
      ...r.compare.map((c) => el("option", { value: c.page }, c.label)));
    return select;
  }
  // A variant's other runs (other limits or modes) fold under its first row in the current
  // order: "n more runs" shows them; focus stays on that button.
  const expanded = new Set();
  function foldButton(r, extra) {
    if (!extra) return null;
    const open = expanded.has(r.variant);
    return el("button", { type: "button", class: "fold", "aria-expanded": open ? "true" : "false", "data-variant": r.variant,
      onclick: () => { if (open) expanded.delete(r.variant); else expanded.add(r.variant); draw(null, r.variant); } },
      `${open ? "▾ hide" : "▸"} ${extra} more run${extra > 1 ? "s" : ""}`);
  }
  function rowNode(r, extra, folded) {
    return el("tr", { "data-key": r.key, class: (r.apart ? "small-run" : "") + (folded ? " folded-run" : "") },
      el("th", { scope: "row", class: "variant" }, el("a", { href: r.page, class: "variant-link" }, r.variant), foldButton(r, extra),
        el("div", { class: "meta" }, r.limit !== null ? `limit ${r.limit} · ` : "", r.created_utc),
        el("div", { class: "meta" }, r.families.length ? `family: ${r.families.join(", ")}` : ""),
        comparePicker(r)),
      el("td", { class: "rank" }, r.mean_rank === null ? "—" : fmt(r.mean_rank, 2)),
      el("td", { class: "meta" }, `${r.objective} · ${r.backend} · ${r.prompt_mode}`),
      ...DATA.columns.map((c) => cellNode(r, c)));
  }
  function grouped(rows) {
    const runsOf = new Map();
    for (const r of rows) { if (!runsOf.has(r.variant)) runsOf.set(r.variant, []); runsOf.get(r.variant).push(r); }
    const nodes = [];
    for (const [variant, list] of runsOf) {
      nodes.push(rowNode(list[0], list.length - 1, false));
      if (expanded.has(variant)) for (const r of list.slice(1)) nodes.push(rowNode(r, 0, true));
    }
    return nodes;
  }
  function draw(focusKey, focusFold) {
    let rows = visible();
    rows = [...rows].sort((a, b) => {
      const x = sortValue(a, sortKey), y = sortValue(b, sortKey);
      if (x === y) return 0;
      if (x === null) return 1;
      if (y === null) return -1;
      return x < y ? -sortDir : x > y ? sortDir : 0;
    });
    const table = $("leaderboard");
    const total = rows.length;
    if (!showAll) rows = rows.slice(0, PAGE_ROWS);
    const more = $("show-all");
    more.hidden = total <= rows.length;
    more.textContent = `show all ${total} rows`;
    // LIMIT runs and smoke runs (every cell under the small-n threshold) are listed apart and
    // greyed: ranked only against runs on the same items, never among the full runs.
    const ranked = rows.filter((r) => !r.apart), small = rows.filter((r) => r.apart);
    const width = DATA.columns.length + 3;
    const bodies = [el("tbody", {}, ...grouped(ranked))];
    if (small.length) {
      bodies.push(el("tbody", { class: "small-runs" },
        el("tr", {}, el("th", { colspan: String(width), class: "group-head" },
          `LIMIT and smoke runs (${small.length}): ranked only against runs on the same items (smoke runs, under ${DATA.small_n} items, not at all), never against the full runs`)),
        ...grouped(small)));
    }
    table.replaceChildren(el("thead", {}, header()), ...bodies);
    $("row-count").textContent = `${total} of ${DATA.rows.length} rows` + (total > rows.length ? ` (first ${rows.length} shown)` : "");
    $("empty-note").textContent = DATA.rows.length ? (total ? "" : "No rows match the filters.")
      : "No stored runs yet: make eval, then make site.";
    saveState();
    if (focusFold) {
      const button = [...table.querySelectorAll("button.fold")].find((b) => b.dataset.variant === focusFold);
      if (button) button.focus();
    }
    if (focusKey) {  // the header was redrawn: keep the keyboard where it was
      const button = [...table.querySelectorAll("button.sort")].find((b) => b.dataset.sort === focusKey);
      if (button) button.focus();
    }
  }
  draw();
})();
