"""The program that runs inside the sandbox (standard library only; never imported by the host:
compiled with :mod:`evals.sandbox.channel`, which runs first in the same namespace).

Arguments: ``UID_HARNESS UID_CANDIDATE MEMORY_BYTES VERDICT_FD JOB_FD``; the job (a marshalled
dict: ``token``, ``solution``, ``tests``, ``context``, ``entry``) is read from ``JOB_FD``, the
verdict written to ``VERDICT_FD`` as one line ``token<TAB>status<TAB>detail``.

Two processes. The **candidate** process (forked first, before the job is read, so the tests are
never in its memory) runs the model-written solution and answers requests: call a function, get
or set an attribute, list an iterable. The **harness** process (this one) runs the trusted tests
and context with every name the solution defines replaced by a proxy; what comes back from the
candidate is decoded to plain data only (None, bool, int, float, complex, str, bytes, list,
tuple, dict, set, frozenset) or to an opaque handle whose ``==`` is identity, so an object with
an always-true ``__eq__`` cannot pass ``assert f(x) == y``. The
verdict's descriptor and the token never exist in the candidate's process; started as root the
two processes run as different uids (and the harness is not dumpable), so the candidate cannot
read the harness's memory, descriptors or frames.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import marshal
import os
import sys
import time

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: every sample would pay for the import
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any
if "serve" not in globals():  # imported by tools; in the sandbox, channel.py ran first
    from evals.sandbox.channel import (
        BUILTIN,
        BUILTIN_NAMES,
        MODULE,
        PLAIN,
        REF,
        Broken,
        Gone,
        receive,
        send,
        serve,
    )

NO_PROCESS = 75
"""The harness's exit status when it cannot fork the solution's process (EX_TEMPFAIL)."""
FORBIDDEN = {
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.ENETUNREACH,
    errno.EHOSTUNREACH,
    errno.ECONNREFUSED,
    errno.EAFNOSUPPORT,
    errno.ESRCH,
}
VISIBLE = (
    "/work",
    "/proc",
    "/dev",
    "/python",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc",
)
"""Where a missing path is really missing; anywhere else (a home, the project, the host's /tmp
behind the sandbox's private one) the sandbox hides it."""


SIGNALS = {6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 24: "SIGXCPU", 25: "SIGXFSZ"}
"""Linux's numbers (``signal`` would import ``enum``: a cost every sample pays)."""


class Candidate:
    """The harness's end of the channel to the candidate's process."""

    def __init__(self, pid: int, requests: int, replies: int) -> None:
        self.pid, self.requests, self.replies = pid, requests, replies
        self.gone = False
        self.broken = False

    def ask(self, *request: Any) -> Any:
        if self.gone:
            raise Gone("the solution's process has ended")
        message = harness_encode(request)
        try:
            send(self.requests, message)
            reply = receive(self.replies)
        except Broken:
            self.gone = self.broken = True
            raise
        except (Gone, OSError, ValueError, EOFError, TypeError) as err:
            self.gone = True
            raise Gone(str(err)) from None
        if type(reply) is not tuple or not reply or reply[0] not in ("ok", "raise"):
            self.gone = self.broken = True
            raise Broken("a malformed reply")
        if reply[0] == "ok" and len(reply) == 2:
            return harness_decode(reply[1], self)
        raise rebuild(reply)


def rebuild(reply: tuple[Any, ...]) -> BaseException:
    """The built-in exception a ``raise`` reply names (RuntimeError if it names none)."""
    if len(reply) != 5:
        return RuntimeError("a malformed exception from the candidate")
    _, name, text, number, filename = reply
    cls = getattr(builtins, name, None) if type(name) is str else None
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        cls = RuntimeError
    text = text if type(text) is str else ""
    if cls is SystemExit:
        return SystemExit(text)
    if issubclass(cls, OSError) and type(number) is int:
        return cls(number, text, filename if type(filename) is str else None)
    try:
        return cls(text)
    except BaseException:
        return RuntimeError(f"{name}: {text}")


class Remote:
    """A value the candidate's process holds that is not plain data: call it, get or set its
    attributes, list it, ask its truth; never compare it (``==`` is identity)."""

    __slots__ = ("_candidate", "_id", "_type")

    def __init__(self, number: int, type_name: str, candidate: Candidate) -> None:
        object.__setattr__(self, "_id", number)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_candidate", candidate)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._candidate.ask("call", self._id, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        return self._candidate.ask("getattr", self._id, name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._candidate.ask("setattr", self._id, name, value)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._candidate.ask("iter", self._id))

    def __len__(self) -> int:
        number = self._candidate.ask("len", self._id)
        if type(number) is not int:
            raise TypeError("len() of a candidate's value is not an int")
        return number

    def __bool__(self) -> bool:
        # The solution's to decide, as it could return True or False itself (``==`` is not:
        # that compares with the test's expected value).
        truth = self._candidate.ask("bool", self._id)
        if type(truth) is not bool:
            raise TypeError("the truth of a candidate's value is not a bool")
        return truth

    def __repr__(self) -> str:
        return f"<{self._type} from the candidate>"


def harness_encode(value: Any) -> Any:
    kind = type(value)
    if kind in PLAIN:
        return value
    if kind is Remote:
        return (REF, value._id, True, "")
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        return kind(harness_encode(v) for v in value)
    if kind is dict:
        return {harness_encode(k): harness_encode(v) for k, v in value.items()}
    bases: tuple[type[Any], ...] = (
        bool,
        int,
        float,
        complex,
        str,
        bytes,
        list,
        tuple,
        set,
        frozenset,
        dict,
    )
    for base in bases:
        if isinstance(value, base):
            return harness_encode(dict(value) if base is dict else base(value))
    name = getattr(value, "__name__", None)
    if type(name) is str and getattr(builtins, name, None) is value:  # int, str, len...
        return (BUILTIN, name)
    raise TypeError(f"cannot pass a {kind.__name__} to the candidate (plain data only)")


def harness_decode(value: Any, candidate: Candidate, depth: int = 0) -> Any:
    """Plain data rebuilt from exact built-in types only; references as :class:`Remote`."""
    kind = type(value)
    if kind in PLAIN:
        return value
    if depth > 200:
        raise TypeError("value from the candidate nested too deeply")
    if kind is tuple and len(value) == 4 and value[0] == REF and type(value[1]) is int:
        return Remote(value[1], str(value[3]), candidate)
    if kind is tuple and len(value) == 2 and value[0] == MODULE and type(value[1]) is str:
        top = value[1].partition(".")[0]
        if top in sys.stdlib_module_names:
            __import__(value[1])
            return sys.modules[value[1]]
        raise TypeError(f"module {value[1]!r} is not in the standard library")
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        return kind(harness_decode(v, candidate, depth + 1) for v in value)
    if kind is dict:
        return {
            harness_decode(k, candidate, depth + 1): harness_decode(v, candidate, depth + 1)
            for k, v in value.items()
        }
    raise TypeError(f"a {kind.__name__} from the candidate is not plain data")


def hidden(err: OSError) -> bool:
    """A path outside what the sandbox shows (a home folder, the project): hidden, not absent."""
    name = err.filename if isinstance(err.filename, str) else ""
    return (
        err.errno == errno.ENOENT
        and name.startswith("/")
        and not any(name == top or name.startswith(top + "/") for top in VISIBLE)
    )


def classify(err: BaseException) -> tuple[str, str]:
    if isinstance(err, AssertionError):
        return "failed", "AssertionError" + (f": {err}"[:200] if str(err) else "")
    if isinstance(err, SystemExit):
        return "exited", f"SystemExit({err.code})"[:200]
    if isinstance(err, MemoryError):
        return "memory", "MemoryError"
    if isinstance(err, BlockingIOError) and err.errno == errno.EAGAIN:
        return "process_limit", "BlockingIOError: process limit"
    if isinstance(err, PermissionError):
        return "forbidden", repr(err)[:200]
    if isinstance(err, OSError):
        if err.errno in (errno.EFBIG, errno.ENOSPC):
            return "output_limit", repr(err)[:200]
        if err.errno in FORBIDDEN or hidden(err):
            return "forbidden", repr(err)[:200]
    return "error", repr(err)[:200]


def ended(candidate: Candidate) -> tuple[str, str]:
    """Why the candidate's process is gone (it has closed its channel: wait for it)."""
    if candidate.broken:
        return "error", "the solution's process broke its channel to the harness"
    try:
        _, status = os.waitpid(candidate.pid, 0)
    except ChildProcessError:
        return "exited", "the solution's process ended before its tests finished"
    if os.WIFSIGNALED(status):
        name = SIGNALS.get(os.WTERMSIG(status), f"signal {os.WTERMSIG(status)}")
        reason = {"SIGXCPU": "timeout", "SIGXFSZ": "output_limit", "SIGKILL": "memory"}
        return reason.get(name, "error"), f"{name} in the solution's process"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return "exited", f"exit code {code} before the tests finished"


def test_namespace(names: dict[Any, Any], entry: list[str]) -> dict[str, Any]:
    """The tests' globals: the solution's names, except that a built-in's name stays the
    built-in and a standard module's name the real module (a solution that binds ``abs`` or
    ``math`` to its own objects would otherwise answer the test's own checks), unless the name
    is an ``entry`` (the function under test, such as MBPP 126's ``sum``)."""
    namespace: dict[str, Any] = {"__name__": "__check__", "__builtins__": builtins}
    for name, value in names.items():
        if type(name) is not str:
            continue
        if name in entry or not (name in BUILTIN_NAMES or name in sys.stdlib_module_names):
            namespace[name] = value
        elif name not in BUILTIN_NAMES:
            with contextlib.suppress(ImportError):
                namespace[name] = __import__(name)
    return namespace


def judge(candidate: Candidate, job: dict[str, Any]) -> tuple[str, str]:
    """Load the solution in the candidate's process, then run the tests here."""
    try:
        names = candidate.ask("load", job["solution"])
        if type(names) is not dict:
            return "error", "the solution's names are not a mapping"
        namespace = test_namespace(names, job["entry"])
        if job["context"]:
            exec(compile(job["context"], "context.py", "exec"), namespace)
            for name in job["entry"]:
                if name in names:
                    namespace[name] = names[name]
        exec(compile(job["tests"], "tests.py", "exec"), namespace)
    except Gone:
        return ended(candidate)
    except BaseException as err:
        return ended(candidate) if candidate.gone else classify(err)
    return ended(candidate) if candidate.gone else ("passed", "")


def drop(uid: int) -> None:
    if os.geteuid() == 0 and uid >= 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)


def main() -> None:
    import resource

    harness_uid, candidate_uid, memory, verdict, job_in = (int(a) for a in sys.argv[1:6])
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if os.geteuid() == 0 and candidate_uid >= 0:
        os.chown(".", candidate_uid, candidate_uid)  # the solution's writable folder
    requests_in, requests_out = os.pipe()
    replies_in, replies_out = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # the process limit is already spent (by this uid's other processes)
        os._exit(NO_PROCESS)
    if pid == 0:  # the candidate: no job, no verdict descriptor, its own uid
        os.close(verdict)
        os.close(job_in)
        os.close(requests_out)
        os.close(replies_in)
        drop(candidate_uid)
        serve(requests_in, replies_out)
        os._exit(0)
    os.close(requests_in)
    os.close(replies_out)
    drop(harness_uid)
    if os.geteuid() == 0 or harness_uid < 0 or harness_uid == candidate_uid:
        try:  # one uid for both: the harness must not be readable or traceable by the candidate
            import ctypes

            ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
        except (ImportError, OSError, AttributeError):
            pass
    chunks = []
    while chunk := os.read(job_in, 1 << 20):
        chunks.append(chunk)
    os.close(job_in)
    job = marshal.loads(b"".join(chunks))
    candidate = Candidate(pid, requests_out, replies_in)
    status, detail = judge(candidate, job)
    sys.stdout.flush()
    sys.stderr.flush()
    detail = " ".join(str(detail).split())
    os.write(verdict, f"{job['token']}\t{status}\t{detail}\n".encode())
    os.close(verdict)
    os.close(requests_out)  # the candidate's loop ends: a moment to flush what it printed
    for _ in range(200):
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
        except ChildProcessError:
            break
        time.sleep(0.001)
    os._exit(0)  # whatever is left dies with the sandbox


if __name__ == "__main__":
    main()
