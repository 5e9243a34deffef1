"""The channel between the sandbox's two processes, and the solution's side of it (standard
library only: compiled with :mod:`evals.sandbox.harness` and run inside the sandbox, before it).

Messages are ``FRAME``, a 4-byte length and a ``marshal``led value. The solution's process
(:func:`serve`) loads the solution, then answers the harness's requests: call, get or set an
attribute, list, length, truth. What it sends back is plain data (subclasses of plain types as
their base type) or a reference into its table of other objects. Nothing here is trusted by the
harness: it decodes every reply itself (:func:`evals.sandbox.harness.harness_decode`).
"""

from __future__ import annotations

import builtins
import contextlib
import marshal
import os
import sys

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: every sample would pay for the import
if TYPE_CHECKING:
    from typing import Any

REF = "\x00evals-ref"
MODULE = "\x00evals-module"
BUILTIN = "\x00evals-builtin"
BUILTIN_NAMES = frozenset(dir(builtins))
PLAIN = (type(None), bool, int, float, complex, str, bytes)
MAX_MESSAGE = 64 * 1024 * 1024
FRAME = b"\x00EV1"
"""Every message starts so (then its length): garbage on the channel fails at once."""


class Gone(BaseException):
    """The candidate's process ended (or closed its channel) while the harness waited (not an
    ``Exception``: tests that catch every exception do not swallow it)."""


class Broken(Gone):
    """The candidate's process wrote something that is not a message of the protocol."""


def send(fd: int, message: Any) -> None:
    data = marshal.dumps(message)
    data = FRAME + len(data).to_bytes(4, "big") + data
    while data:
        data = data[os.write(fd, data) :]


def receive(fd: int) -> Any:
    header = read_exactly(fd, 8)
    size = int.from_bytes(header[4:], "big")
    if header[:4] != FRAME or size > MAX_MESSAGE:
        raise Broken("a malformed message")
    return marshal.loads(read_exactly(fd, size))


def read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise Gone("end of channel")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def candidate_encode(value: Any, objects: list[Any], depth: int = 0) -> Any:
    """Plain data as itself (subclasses of plain types as their base type); anything else as a
    reference into ``objects``. Runs in the candidate's process: nothing here is trusted."""
    kind = type(value)
    if kind in PLAIN:
        return value
    if depth > 100:
        raise RecursionError("value nested too deeply to return")
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        return kind(candidate_encode(v, objects, depth + 1) for v in value)
    if kind is dict:
        return {
            candidate_encode(k, objects, depth + 1): candidate_encode(v, objects, depth + 1)
            for k, v in value.items()
        }
    if kind is type(os) and str(value.__name__).partition(".")[0] in sys.stdlib_module_names:
        return (MODULE, value.__name__)
    scalars: tuple[type[Any], ...] = (bool, int, float, complex, str, bytes)
    for base in scalars:
        if isinstance(value, base):
            return base(value)
    containers: tuple[type[Any], ...] = (dict, list, tuple, set, frozenset)
    for base in containers:
        if isinstance(value, base):
            items = dict.items(value) if base is dict else None
            if items is not None:
                return {
                    candidate_encode(k, objects, depth + 1): candidate_encode(v, objects, depth + 1)
                    for k, v in items
                }
            return base(candidate_encode(v, objects, depth + 1) for v in value)
    objects.append(value)
    return (REF, len(objects) - 1, callable(value), type(value).__name__[:80])


def candidate_decode(value: Any, objects: list[Any]) -> Any:
    kind = type(value)
    if kind is tuple and len(value) == 4 and value[0] == REF:
        return objects[value[1]]
    if kind is tuple and len(value) == 2 and value[0] == BUILTIN:
        return getattr(builtins, value[1])
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        return kind(candidate_decode(v, objects) for v in value)
    if kind is dict:
        return {
            candidate_decode(k, objects): candidate_decode(v, objects) for k, v in value.items()
        }
    return value


def exception_message(err: BaseException) -> tuple[Any, ...]:
    """What the harness re-raises: the nearest built-in class, the text, errno and filename."""
    name = next(
        (c.__name__ for c in type(err).__mro__ if getattr(builtins, c.__name__, None) is c),
        "Exception",
    )
    if isinstance(err, SystemExit):
        return ("raise", "SystemExit", repr(err.code)[:200], None, None)
    number = err.errno if isinstance(err, OSError) and isinstance(err.errno, int) else None
    filename = err.filename if isinstance(err, OSError) and isinstance(err.filename, str) else None
    try:
        text = str(err)[:300]
    except BaseException:
        text = "?"
    return ("raise", name, text, number, filename)


def serve(requests: int, replies: int) -> None:
    """The candidate's loop: load the solution, then answer the harness until it stops."""
    me = os.getpid()
    objects: list[Any] = []
    namespace: dict[str, Any] = {"__name__": "__candidate__", "__builtins__": builtins}
    while True:
        try:
            request = receive(requests)
        except Gone:  # the harness is done: what the solution printed goes out, then it ends
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(BaseException):
                    stream.flush()
            os._exit(0)
        try:
            action = request[0]
            reply: tuple[Any, ...]
            if action == "load":
                exec(compile(request[1], "program.py", "exec"), namespace)
                names = {k: v for k, v in namespace.items() if not k.startswith("__")}
                reply = ("ok", {k: candidate_encode(v, objects) for k, v in names.items()})
            elif action == "call":
                function = objects[request[1]]
                args = candidate_decode(request[2], objects)
                kwargs = candidate_decode(request[3], objects)
                reply = ("ok", candidate_encode(function(*args, **kwargs), objects))
            elif action == "getattr":
                reply = ("ok", candidate_encode(getattr(objects[request[1]], request[2]), objects))
            elif action == "setattr":
                setattr(objects[request[1]], request[2], candidate_decode(request[3], objects))
                reply = ("ok", None)
            elif action == "iter":
                reply = ("ok", [candidate_encode(v, objects) for v in objects[request[1]]])
            elif action == "bool":
                reply = ("ok", bool(objects[request[1]]))
            elif action == "len":
                reply = ("ok", len(objects[request[1]]))
            else:
                reply = ("raise", "RuntimeError", f"unknown request {action!r}", None, None)
        except BaseException as err:  # the harness classifies it
            reply = exception_message(err)
        if os.getpid() != me:  # a process the solution forked came back here: only we answer
            os._exit(0)
        try:
            send(replies, reply)
        except (OSError, ValueError) as err:  # an unmarshallable reply is the candidate's error
            if isinstance(err, OSError):
                os._exit(0)
            send(replies, exception_message(TypeError(f"cannot return this value: {err}")))
