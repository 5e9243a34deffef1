"""A family's matrix: its variants, their runs (planned as cells, run on an executor), and which
objective wins each use case."""
