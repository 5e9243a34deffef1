"""The gate's calibration table: at a true difference equal to minus the allowed drop (the
boundary of both one-sided claims), how often :func:`evals.gate.decide.decide` says PASS (must be
≤ α: the non-inferiority test's size) and REGRESSION (≤ α: the regression test's size), per
simulated design (:mod:`evals.gate.simulate`). Printed as the markdown table of
``docs/statistics.md``.

    python scripts/gate_calibration.py [--sims 2000] [--only skewed]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from evals.gate.simulate import verdict_shares

ROWS = [
    ("pass-fail", 200, 2.0),
    ("continuous", 200, 2.0),
    ("skewed", 200, 2.0),
    ("skewed", 872, 2.0),
    ("few-clusters", 48, 2.0),
    ("mt-bench", 80, 0.25),
]
"""(design, items, allowed drop); the true difference is −allowed drop."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sims", type=int, default=2000)
    parser.add_argument("--only", default="", help="one design")
    args = parser.parse_args()
    print("| design | n | allowed drop m | true Δ | P(PASS) | P(REGRESSION) | simulations |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for seed, (design, n, margin) in enumerate(ROWS):
            if args.only and design != args.only:
                continue
            start = time.perf_counter()
            shares = verdict_shares(design, n, -margin, margin, args.sims, 100 + seed, Path(tmp))
            passed = shares.get("PASS", 0.0) + shares.get("IMPROVED", 0.0)
            print(
                f"| {design} | {n} | {margin:g} | {-margin:g} | {passed:.4f} "
                f"| {shares.get('REGRESSION', 0.0):.4f} | {args.sims} |",
                flush=True,
            )
            print(f"  ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
