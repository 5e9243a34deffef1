"""The run store's contract: the run spec, the run folder written and read back, the result values,
LIMIT's sample, two runs paired, and the terminal table."""
