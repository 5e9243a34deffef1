"""The regression gate: a candidate run against its baseline under a policy, a verdict per use
case, and its report."""
