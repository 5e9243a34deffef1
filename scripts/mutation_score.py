"""The score of the last `make mutation` run: killed / (killed + survived + timeout + suspicious),
overall and per file, from mutmut's own records (``mutmut export-cicd-stats`` and ``results``).
Mutants no test reaches ("no tests") are listed separately: they are code the selected tests
never run, not mutants that survived a test."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

MUTMUT = str(Path(sys.executable).with_name("mutmut"))


def main() -> int:
    subprocess.run([MUTMUT, "export-cicd-stats"], check=True, capture_output=True)
    stats = json.loads(Path("mutants/mutmut-cicd-stats.json").read_text())
    tested = stats["killed"] + stats["survived"] + stats["timeout"] + stats["suspicious"]
    score = 100 * (stats["killed"] + stats["timeout"]) / tested if tested else 0.0
    listing = subprocess.run(
        [MUTMUT, "results", "--all", "true"], capture_output=True, text=True, check=False
    ).stdout
    survivors = Counter()
    for line in listing.splitlines():
        name, _, status = line.strip().partition(": ")
        if status == "survived":
            survivors[name.split(".x_")[0].split("__mutmut")[0]] += 1
    print(
        f"mutants: {stats['total']}, tested {tested}, killed {stats['killed']}, timeout "
        f"{stats['timeout']}, survived {stats['survived']}, suspicious {stats['suspicious']}, "
        f"no tests {stats['no_tests']}"
    )
    print(f"mutation score (killed or timed out / tested): {score:.1f}%")
    for where, count in survivors.most_common(15):
        print(f"  survived: {count:3d}  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
