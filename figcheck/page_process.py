"""trafilatura on a page in a child process, whose CPU time the kernel caps.

Inside one lxml/libxml2 call, trafilatura can spend seconds on a large page (an XPath over
60,000 paragraphs is quadratic), and no Python signal handler runs until the call returns:
the profiling timer of :mod:`figcheck.limits` stops such a page only once it is long past
its limit. In a child process, the same timer left to its default action ends the process
itself, on time, and a wall-clock deadline catches anything else.

The child is a plain program (``figcheck/_page_child.py``) started with ``subprocess``,
not ``multiprocessing``: it starts in a daemonic process (a worker of a process pool,
which ``multiprocessing`` does not let have children), from any thread, without importing
the caller's ``__main__`` again. A child reads page after page; the idle ones wait for the
next page of their process (a pool of them, one per thread reading pages at the same
time), and end when their parent closes their pipe or ends.
"""
from __future__ import annotations

import atexit
import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time

#: The child's program, run by path.
CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_page_child.py")
#: Wall time a child may take to start, or to answer for one page, before it is killed: far
#: above the CPU time a page gets, so that only a child stuck outside its CPU time (or a
#: machine far too busy) meets it.
WALL_SECONDS = 30.0
#: How the kernel ends a child past its CPU time (the profiling timer; RLIMIT_CPU's soft
#: and hard limits).
_CAPPED = {-signal.SIGPROF, -signal.SIGXCPU, -signal.SIGKILL}


class Unavailable(Exception):
    """No child can read the page here (none could start, or its trafilatura does not
    import): the caller reads it in its own process."""


class TooSlow(Exception):
    """The page took the child past its CPU time (or past :data:`WALL_SECONDS`)."""


class Crashed(Exception):
    """The child stopped on the page otherwise (a crash); ``str()`` says how."""


_lock = threading.Lock()
_idle: list["_Child"] = []
#: Set once a child has told that trafilatura does not import for it: it would not later.
_unavailable: str | None = None


def read(html: str, options: dict, seconds: float) -> list:
    """``trafilatura.bare_extraction(html, **options)`` in a child, within ``seconds`` of
    CPU time: ``["page", {attribute: value} or None]`` or ``["error", exception name,
    message]``. Raises :class:`TooSlow`, :class:`Crashed` or :class:`Unavailable`."""
    child = _take()
    try:
        answer = child.ask([html, options, seconds])
    except BaseException:
        child.kill()
        raise
    with _lock:
        _idle.append(child)
    return answer


def stop() -> None:
    """End the idle children (they end by themselves when this process ends)."""
    with _lock:
        children = _idle[:]
        _idle.clear()
    for child in children:
        child.close()


atexit.register(stop)


def _take() -> "_Child":
    if _unavailable is not None or os.name != "posix" or not sys.executable:
        raise Unavailable(_unavailable or "no child process here")
    with _lock:
        while _idle:
            child = _idle.pop()
            # A child started before a fork is shared with the other process: left to it.
            if child.parent == os.getpid():
                return child
    return _Child()


class _Child:
    __slots__ = ("parent", "process")

    def __init__(self) -> None:
        global _unavailable
        self.parent = os.getpid()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-I", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, bufsize=0, close_fds=True)
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            raise Unavailable(f"cannot start a process ({exc})") from None
        try:
            self._send({"path": sys.path}, time.monotonic() + WALL_SECONDS)
            answer = self._receive(time.monotonic() + WALL_SECONDS)
        except (TooSlow, Crashed) as exc:
            # Not a page's doing: a program that is not this Python, say. It would not
            # start the next time either.
            self.kill()
            _unavailable = f"the process reading pages did not start ({exc})"
            raise Unavailable(_unavailable) from None
        except BaseException:
            self.kill()
            raise
        if answer[0] != "ready":
            self.kill()
            _unavailable = f"the process reading pages cannot: {answer[1:]}"
            raise Unavailable(_unavailable)

    def ask(self, request: list) -> list:
        deadline = time.monotonic() + WALL_SECONDS
        self._send(request, deadline)
        return self._receive(deadline)

    def _send(self, value, deadline: float) -> None:
        data = json.dumps(value, ensure_ascii=True).encode("ascii")
        data = memoryview(struct.pack(">Q", len(data)) + data)
        fd = self.process.stdin.fileno()
        os.set_blocking(fd, False)
        while data:
            self._wait(fd, deadline, writing=True)
            try:
                data = data[os.write(fd, data):]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                raise self._ended() from None

    def _receive(self, deadline: float):
        fd = self.process.stdout.fileno()
        head = self._read_exactly(fd, 8, deadline)
        (size,) = struct.unpack(">Q", head)
        return json.loads(self._read_exactly(fd, size, deadline))

    def _read_exactly(self, fd: int, size: int, deadline: float) -> bytes:
        parts, left = [], size
        while left:
            self._wait(fd, deadline, writing=False)
            part = os.read(fd, min(left, 1 << 20))
            if not part:
                raise self._ended()
            parts.append(part)
            left -= len(part)
        return b"".join(parts)

    def _wait(self, fd: int, deadline: float, writing: bool) -> None:
        left = deadline - time.monotonic()
        ready = left > 0 and select.select([] if writing else [fd], [fd] if writing else [],
                                           [], left)[0 if not writing else 1]
        if not ready:
            self.kill()
            raise TooSlow(f"no answer within {WALL_SECONDS:g} s of wall time")

    def _ended(self) -> Exception:
        """What the child's end (its pipe closed) means."""
        try:
            code = self.process.wait(timeout=WALL_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.returncode
        if code in _CAPPED:
            return TooSlow(f"ended by signal {-code}")
        if code is not None and code < 0:
            return Crashed(f"the process reading it ended by signal {-code}")
        return Crashed(f"the process reading it ended with exit code {code}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._close_pipes()

    def close(self) -> None:
        """End an idle child: it ends when its input ends."""
        self._close_pipes()
        try:
            self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            self.kill()

    def _close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:
                pass
