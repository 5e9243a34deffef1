"""The site: one self-contained HTML page per family, and the whole site written at once; the
index is the leaderboard (:mod:`evals.site.leaderboard`), the page shell :mod:`evals.site.html`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Any

from evals.files import atomic_write_text, reports_lock, staged_folder
from evals.matrix.build import BuildOutcome
from evals.matrix.verdicts import Column
from evals.site.html import home_relative, page_html, sample_page_name, variant_page_name
from evals.site.publish import write_matrix_files
from evals.site.ranking import SMALL_N
from evals.site.samples import SAMPLE_CONTROLS, sample_browser_data


def family_page(matrix: dict[str, Any], columns: Sequence[Column], suite: dict[str, Any]) -> str:
    """The family page: heatmap, plots, sample browser, provenance."""
    family = matrix["family"]
    use_cases = [row["use_case"] for row in matrix["rows"]]
    published = dict(matrix)
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
    from evals.versions import SUITE_NAME, lm_eval_version, suite_version

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
    from evals.site.leaderboard import write_leaderboard
    from evals.site.publish import pending_families, stored_matrices

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


def publish_build(
    outcome: BuildOutcome,
    *,
    reports_root: Path,
    runs_root: Path,
    families_dir: Path | None = None,
) -> BuildOutcome:
    """Write a built family's matrix files and the site (whose index lists the files of
    ``families_dir`` not evaluated yet); returns the outcome with the files written.

    Other builds (``evals matrix``, ``evals report``) may write the same files now: the matrix
    files and the index that reads every family's matrix are written under one lock, so the
    pair matrix.json/matrix.md agree and the last index written includes every family."""
    family = outcome.matrix["family"]["name"]
    with reports_lock(reports_root):
        paths = write_matrix_files(reports_root, outcome.matrix, latest=True)
        paths.update(
            write_site(
                reports_root,
                {family: outcome.columns},
                runs_root=runs_root,
                families_dir=families_dir,
                strict_families=False,
            )
        )
    return replace(outcome, paths=paths)
