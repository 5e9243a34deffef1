"""User-facing errors: each one prints as a single clear line and maps to an exit status.

Anything raised as an :class:`EvalsError` is the user's input being wrong (or a service the user
pointed at being unreachable, or a file this suite cannot write there); the CLI prints
``error: <message>`` and exits non-zero without a traceback. Every other exception is a bug in
this package and keeps its traceback.
"""

from __future__ import annotations

import errno
import socket
import ssl


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


class OutputError(EvalsError):
    """A file or folder this suite writes cannot be written (permission denied, disk full, a
    file where a folder should be): the message names the path and what the system said."""


_FILE_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.EISDIR,
        errno.ENOTDIR,
        errno.EEXIST,
        errno.ENAMETOOLONG,
        errno.EMFILE,
        errno.ENFILE,
        errno.EFBIG,
    }
)
_NETWORK_MODULES = ("requests", "urllib3", "httpx", "httpcore", "aiohttp", "openai")


def is_file_error(err: OSError) -> bool:
    """Whether an ``OSError`` came from the filesystem (a named path, a full disk, a denied
    permission) rather than from a connection to a model server or a timeout."""
    if isinstance(
        err, (ConnectionError, TimeoutError, socket.herror, socket.gaierror, ssl.SSLError)
    ):
        return False
    if type(err).__module__.split(".")[0] in _NETWORK_MODULES:  # e.g. requests' errors
        return False
    return err.filename is not None or err.errno in _FILE_ERRNOS
