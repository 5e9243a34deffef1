"""The site's pages: one self-contained HTML file per family; the index is the leaderboard
(:mod:`evals.leaderboard`).

Data, CSS and JS are inline (no network, no CDN), so a page works from ``file://`` and from any
static host. Data travels as JSON inside ``<script type="application/json">`` with ``<``, ``>``
and ``&`` escaped, and the script renders every string with ``textContent``: a model output such
as ``<script>alert(1)</script>`` is shown as text and runs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from evals.matrix import Column
from evals.run_folder import atomic_write_text, reports_lock, staged_folder
from evals.statistics import item_scores, item_statistics

ASSETS = Path(__file__).resolve().parent / "page_assets"
MAX_OUTPUT_CHARS = 3000
_HIDDEN_DOC_KEYS = {"id", "tags", "label", "answers", "summaries"}


def embed_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>``, no HTML parsing surprises)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                       ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):  # fmt: skip
        text = text.replace(char, code)
    return text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _input_text(record: Mapping[str, Any]) -> str:
    if "turns" in record and "doc" not in record:
        return "\n".join(f"User (turn {t['turn']}): {t['user']}" for t in record["turns"])
    doc = record.get("doc") or {}
    lines = []
    for key, value in doc.items():
        if key in _HIDDEN_DOC_KEYS:
            continue
        lines.append(f"{key}: {' '.join(map(str, value)) if isinstance(value, list) else value}")
    return "\n".join(lines)


def _quoted(values: Any) -> str:
    items = values if isinstance(values, list) else [values]
    return ", ".join(f"“{v}”" for v in items)


_CHECK_WORDING = {
    "contains_any": lambda c: f"mentions any of {_quoted(c.get('values'))}",
    "recall": lambda c: f"recalls any of {_quoted(c.get('values'))}",
    "persona": lambda c: f"stays in persona (mentions any of {_quoted(c.get('values'))})",
    "absent": lambda c: f"never mentions {_quoted(c.get('values'))}",
    "not_echo": lambda c: "does not echo the user",
    "max_words": lambda c: f"at most {c.get('value')} words",
    "starts_with": lambda c: f"starts with {_quoted(c.get('value'))}",
    "ends_with": lambda c: f"ends with {_quoted(c.get('value'))}",
    "json_object": lambda c: f"a JSON object with keys {_quoted(c.get('keys'))}",
    "bullet_list": lambda c: f"a bullet list of at least {c.get('min_items')} items",
    "uppercase": lambda c: "all in upper case",
}


def _check_text(check: Any) -> str:
    if isinstance(check, Mapping) and check.get("type") in _CHECK_WORDING:
        return _CHECK_WORDING[check["type"]](check)
    return _text(check)


def reference_text(record: Mapping[str, Any]) -> str:
    """The reference as a reader wants it: a chat item's per-turn checks in words (before:
    raw JSON check objects), anything else as stored."""
    target = record.get("target")
    if "turns" in record and isinstance(target, list) and all(isinstance(t, list) for t in target):
        return "\n".join(f"Turn {i}: {'; '.join(_check_text(c) for c in checks) or 'no checks'}"
                         for i, checks in enumerate(target, start=1))  # fmt: skip
    return _text(target)


def _raw_output(record: Mapping[str, Any]) -> str:
    if "turns" in record:
        return "\n\n".join(f"[turn {t['turn']}] {t['raw_output']}" for t in record["turns"])
    return _text(record.get("raw_output"))[:MAX_OUTPUT_CHARS]


def _output(record: Mapping[str, Any], score: float) -> dict[str, Any]:
    """One column's output of an item; a program's run (code) shows its code and outcome."""
    parsed = record.get("parsed")
    out: dict[str, Any] = {"raw": _raw_output(record), "score": score}
    if isinstance(parsed, Mapping) and "status" in parsed:
        out["parsed"] = _text(parsed.get("code") or "")[:MAX_OUTPUT_CHARS]
        out["outcome"] = {
            "status": _text(parsed["status"]),
            "detail": _text(parsed.get("detail") or "")[:MAX_OUTPUT_CHARS],
            "sandbox": _text(parsed.get("sandbox") or ""),
        }
    else:
        out["parsed"] = _text(parsed)[:MAX_OUTPUT_CHARS]
    return out


def sample_browser_data(columns: Sequence[Column], use_cases: Sequence[str]) -> dict[str, list]:
    """Per use case, per item: input, reference, and every column's output and item score."""
    out: dict[str, list] = {}
    for use_case in use_cases:
        items: dict[str, dict[str, Any]] = {}
        for column in columns:
            if use_case not in column.run.use_cases:
                continue
            entry = column.run.use_cases[use_case]
            metric, reducer = entry["primary_metric"], entry["primary_reducer"]
            records = column.run.samples(use_case)
            scores = item_scores(item_statistics([r["scores"][metric] for r in records]), reducer)
            for record, score in zip(records, scores, strict=True):
                item = items.setdefault(record["doc_hash"], {
                    "item_id": record["item_id"], "input": _input_text(record),
                    "target": reference_text(record), "outputs": {},
                })  # fmt: skip
                item["outputs"][column.key] = _output(record, float(score))
        out[use_case] = list(items.values())
    return out


def page_html(
    title: str, body: str, data: dict[str, Any], scripts: Sequence[str] = ("page.js",)
) -> str:
    """A self-contained page: inline CSS, the data as JSON, and the given scripts inline, after
    ``dom.js`` (the element helpers they share)."""
    css = (ASSETS / "page.css").read_text(encoding="utf-8")
    js = "".join(f"<script>{(ASSETS / name).read_text(encoding='utf-8')}</script>"
                 for name in ("dom.js", *scripts))  # fmt: skip
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{css}</style></head><body>{body}"
        f'<script type="application/json" id="page-data">{embed_json(data)}</script>'
        f"{js}</body></html>\n"
    )


def family_page(matrix: dict[str, Any], columns: Sequence[Column], suite: dict[str, Any]) -> str:
    """The family page: heatmap, plots, sample browser, provenance."""
    from evals.leaderboard import home_relative

    family = matrix["family"]
    use_cases = [row["use_case"] for row in matrix["rows"]]
    published = dict(matrix)
    from evals.sample_page import sample_page_name
    from evals.variant_page import variant_page_name

    runs = {column.key: column.run for column in columns}
    published["columns"] = [
        {
            **c,
            **{k: home_relative(str(c[k])) for k in ("spec", "run_folder") if c.get(k)},
            **(
                {
                    "page": variant_page_name(runs[c["key"]].variant),
                    "samples": sample_page_name(runs[c["key"]]),
                }
                if c["key"] in runs
                else {}
            ),
        }
        for c in matrix["columns"]
    ]  # each column links its variant's page and its run's sample viewer
    from evals.leaderboard import SMALL_N
    from evals.sample_page import SAMPLE_CONTROLS

    data = {
        "kind": "family",
        "small_n": SMALL_N,
        "matrix": published,
        "samples": sample_browser_data(columns, use_cases),
        "suite": suite,
    }
    missing = matrix.get("missing_columns") or []
    body = f"""
<header><h1>{escape(family["title"])}</h1>
<div class="meta">built {escape(matrix.get("created_utc", ""))} · suite {escape(suite["name"])} \
{escape(suite["version"])} · lm-eval {escape(suite["lm_eval_version"])} · paired tests \
(score test / linearized t), Holm within each row, alpha {matrix.get("alpha", 0.05)} · \
<a href="index.html">leaderboard</a></div>
{f'<div class="note">{escape(family["note"])}</div>' if family.get("note") else ""}
{f'<div class="note">Not evaluated yet: {escape(", ".join(missing))}</div>' if missing else ""}
{_update_note(matrix.get("update_command"))}
</header><main>
<section><h2>Matrix</h2><div class="scroll"><table id="heatmap"></table></div>
<p class="meta">Cells: primary metric with its 95% interval, n, and the strongest trivial
baseline on the same items (above: the model is significantly above every trivial policy).
★ the winner: the best variant beats every other variant (paired tests, Holm within the row);
a tie says the smallest difference its items resolve and the items a 10-point gap needs.
Controls are extra prompt modes of a variant, never competitors. Click a use case to sort the
columns by it, a cell for every metric.</p>
<div id="details"></div></section>
<section><h2>Scores with 95% CIs</h2><div class="plots" id="plots"></div></section>
<section><h2>Samples</h2>{SAMPLE_CONTROLS}
<label><input type="checkbox" id="only-disagree"> only items where variants disagree</label>
<div id="sample-view"></div></section>
<section><h2>Provenance</h2><div id="provenance"></div></section></main>"""
    return page_html(family["title"], body, data)


def _update_note(command: str | None) -> str:
    if not command:
        return ""
    return (
        f'<div class="note">The family file lists other variants than this matrix was built '
        f"from: <code>{escape(command)}</code> brings it up to date.</div>"
    )


def _suite() -> dict[str, Any]:
    from evals.runner import SUITE_NAME, lm_eval_version, suite_version

    return {"name": SUITE_NAME, "version": suite_version(), "lm_eval_version": lm_eval_version()}


GENERATED = ("samples-*.html", "diff-*.html", "variant-*.html", "gate-*.html")
"""Pages every build writes again from the store; other files in the site (a page ``evals diff
--out`` wrote there, a family page) are kept."""


def write_site(
    reports_root: Path,
    columns_by_family: Mapping[str, Sequence[Column]],
    runs_root: Path | None = None,
    *,
    families_dir: Path | None = None,
    strict_families: bool = True,
) -> dict[str, Path]:
    """Write the pages of the given families and refresh the leaderboard index from every
    stored run and every stored family matrix, listing the families with nothing to publish
    (family files of ``families_dir`` included) as not evaluated yet. The new site is written
    beside the old one and replaces it only once complete, under the reports lock (so a
    concurrent build cannot write an index missing a family or a run, and a failed build
    leaves the previous site). Without ``runs_root`` the index reads ``reports/runs``."""
    from evals.leaderboard import write_leaderboard
    from evals.publish import pending_families, stored_matrices

    site = reports_root / "site"
    suite = _suite()
    written: dict[str, Path] = {}
    with reports_lock(reports_root), staged_folder(site) as stage:
        for pattern in GENERATED:  # written again below: a deleted run's pages do not linger
            for old in stage.glob(pattern):
                old.unlink()
        matrices = stored_matrices(reports_root)
        pending = pending_families(reports_root, families_dir, strict=strict_families)
        for name, columns in columns_by_family.items():
            if columns:
                written[f"page_{name}"] = stage / f"{name}.html"
                atomic_write_text(
                    written[f"page_{name}"], family_page(matrices[name], columns, suite)
                )
        for family in pending:  # an earlier build's page of a family with no stored run left
            (stage / f"{family.name}.html").unlink(missing_ok=True)
        runs = runs_root if runs_root is not None else reports_root / "runs"
        written.update(write_leaderboard(runs, reports_root, suite, stage, pending))
    return {key: site / path.relative_to(stage) for key, path in written.items()}
