"""The score of the last `make mutation` run: killed / every mutant that was made, overall and
per file, from mutmut's own records (``mutmut export-cicd-stats`` and ``results``).

Only a kill counts: a mutant that timed out is not known to be caught (a mutant that loops
forever and one that merely ran long look the same), and a mutant no selected test reaches
("no tests") is code that nothing checks — both count against the score, as survivors do."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

MUTMUT = str(Path(sys.executable).with_name("mutmut"))


def main() -> int:
    subprocess.run([MUTMUT, "export-cicd-stats"], check=True, capture_output=True)
    stats = json.loads(Path("mutants/mutmut-cicd-stats.json").read_text())
    made = (
        stats["killed"]
        + stats["survived"]
        + stats["timeout"]
        + stats["suspicious"]
        + stats["no_tests"]
    )
    score = 100 * stats["killed"] / made if made else 0.0
    listing = subprocess.run(
        [MUTMUT, "results", "--all", "true"], capture_output=True, text=True, check=False
    ).stdout
    survivors = Counter()
    for line in listing.splitlines():
        name, _, status = line.strip().partition(": ")
        if status in ("survived", "no tests", "timeout", "suspicious"):
            survivors[re.split(r"\.x_|\.xǁ|__mutmut", name)[0]] += 1  # the module
    print(
        f"mutants: {stats['total']}, counted {made}, killed {stats['killed']}, timeout "
        f"{stats['timeout']}, survived {stats['survived']}, suspicious {stats['suspicious']}, "
        f"no tests {stats['no_tests']}"
    )
    print(
        f"mutation score (killed / all, 'no tests' and timeouts counted as not killed): "
        f"{score:.1f}%"
    )
    for where, count in survivors.most_common(15):
        print(f"  not killed: {count:3d}  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
