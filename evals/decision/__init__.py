"""Everything that turns per-item statistics into a claim: intervals (cluster-aware; Wilson and
BCa), the paired difference and its tests (Tango score test, exact McNemar, linearized t), Holm,
and power. The run table, the matrix, the gate, "above baseline" and ``evals plan`` all call it;
``docs/statistics.md`` states each procedure and its simulated calibration."""

from evals.decision.intervals import Estimate, estimate
from evals.decision.multiple import holm_adjust
from evals.decision.paired import PairedDifference, paired_difference

__all__ = ["Estimate", "PairedDifference", "estimate", "holm_adjust", "paired_difference"]
