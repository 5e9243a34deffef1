"""User-facing errors: each one prints as a single clear line and maps to an exit status.

Anything raised as an :class:`EvalsError` is the user's input being wrong (or a service the user
pointed at being unreachable); the CLI prints ``error: <message>`` and exits non-zero without a
traceback. Every other exception is a bug in this package and keeps its traceback.
"""

from __future__ import annotations


class EvalsError(Exception):
    """Base class: a problem the user can fix, reported as one line."""

    exit_code: int = 2


class ModelSpecError(EvalsError):
    """The model spec names nothing loadable (unknown form, missing file, bad arguments)."""


class BackendError(EvalsError):
    """The backend failed while loading or serving the model (dead server, missing package)."""


class TaskConfigError(EvalsError):
    """A task folder or config file is malformed or names something that does not exist."""


class DataError(EvalsError):
    """A data file or one of its rows does not match the use case's record schema."""
