// The run-vs-run page: per-use-case differences as stored in the page data (computed in
// Python by evals.decision), and the changed items with both outputs and a word diff.
// Every string goes through textContent.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("page-data").textContent);
  const { el } = window.Dom;
  if (DATA.kind !== "diff") return;
  const fmt = (x, d = 2) => (x === null || x === undefined ? "—" : (x > 0 ? "+" : "") + Number(x).toFixed(d));
  const summary = document.getElementById("diff-summary");
  if (DATA.not_comparable) {
    const nc = DATA.not_comparable;
    summary.appendChild(el("p", { class: "note", id: "not-comparable" },
      `Not comparable: ${nc.field} differs (baseline ${nc.baseline}, candidate ${nc.candidate}).`));
    document.getElementById("flips").appendChild(el("p", { class: "meta" }, "No items are compared for a pair that is not comparable."));
    return;
  }
  const val = (x) => (x === null || x === undefined ? "—" : Number(x).toFixed(1));
  const head = el("tr", {}, ...["use case", "metric", "n", "baseline → candidate", "difference", "interval", "verdict", "changed items"].map((h) => el("th", { scope: "col" }, h)));
  summary.appendChild(el("div", { class: "scroll" }, el("table", { id: "diff-table" }, head, ...DATA.use_cases.map((u) => el("tr", { "data-use-case": u.use_case },
    el("th", { scope: "row" }, u.use_case), el("td", {}, u.metric),
    el("td", {}, String(u.n), u.few ? el("div", { class: "few-units" }, u.few) : null),
    el("td", { class: "values" }, `${val(u.baseline_value)} → ${val(u.candidate_value)}`),
    el("td", { class: "difference" }, fmt(u.difference)),
    el("td", {}, `[${fmt(u.ci_low)}, ${fmt(u.ci_high)}]`, el("div", { class: "meta" }, u.bounds)),
    el("td", { class: `verdict verdict-${String(u.verdict).replace(/[^A-Za-z]+/g, "-")}` }, u.verdict, el("div", { class: "meta" }, u.reason)),
    el("td", {}, `${u.losses} losses · ${u.gains} gains`))))));

  // Changed items: losses or gains, biggest first, 25 to a page; the counts say how many
  // changed in all and how many of them the page lists (at most DATA.flips_shown each way).
  const PAGE = 25;
  let start = 0;
  const select = document.getElementById("flip-use-case");
  const kind = document.getElementById("flip-kind");
  for (const u of DATA.use_cases) select.appendChild(el("option", { value: u.use_case }, u.use_case));
  function diffPane(ops) {
    const pane = el("div", { class: "pane word-diff" });
    for (const [op, text] of ops) pane.appendChild(op === "=" ? document.createTextNode(text) : el(op === "-" ? "del" : "ins", {}, text));
    return pane;
  }
  function show() {
    const u = DATA.use_cases.find((x) => x.use_case === select.value);
    const root = document.getElementById("flips");
    root.replaceChildren();
    if (!u) return;
    const wantLoss = kind.value === "loss";
    const listed = u.flips.filter((f) => (f.candidate_score < f.baseline_score) === wantLoss);
    const total = wantLoss ? u.losses : u.gains;
    start = Math.max(0, Math.min(start, Math.max(0, listed.length - 1)));
    const shown = listed.slice(start, start + PAGE);
    const word = wantLoss ? "losses" : "gains";
    document.getElementById("flip-count").textContent = !total ? `no ${word} (${u.losses} losses, ${u.gains} gains)`
      : `${word} ${start + 1}–${start + shown.length} of ${total}` + (listed.length < total ? ` (the ${listed.length} biggest are listed here)` : "")
        + ` · ${u.losses} losses, ${u.gains} gains in all`;
    document.getElementById("flip-prev").disabled = start === 0;
    document.getElementById("flip-next").disabled = start + PAGE >= listed.length;
    for (const f of shown) {
      const delta = f.candidate_score - f.baseline_score;
      root.appendChild(el("article", { class: `flip ${delta < 0 ? "loss" : "gain"}`, "data-item": f.item_id },
        el("h3", {}, `item ${f.item_id} · baseline ${f.baseline_score.toFixed(1)} → candidate ${f.candidate_score.toFixed(1)} (${delta < 0 ? "loss" : "gain"})`),
        el("div", { class: "label" }, "input"), el("div", { class: "pane" }, f.input),
        el("div", { class: "label" }, "reference"), el("div", { class: "pane" }, f.reference),
        el("div", { class: "side-by-side" },
          el("div", {}, el("div", { class: "label" }, "baseline output"), el("div", { class: "pane baseline-output" }, f.baseline_output)),
          el("div", {}, el("div", { class: "label" }, "candidate output"), el("div", { class: "pane candidate-output" }, f.candidate_output))),
        el("div", { class: "label" }, "word diff (baseline → candidate)"), diffPane(f.diff)));
    }
  }
  select.addEventListener("change", () => { start = 0; show(); });
  kind.addEventListener("change", () => { start = 0; show(); });
  document.getElementById("flip-prev").addEventListener("click", () => { start -= PAGE; show(); });
  document.getElementById("flip-next").addEventListener("click", () => { start += PAGE; show(); });
  show();
})();
