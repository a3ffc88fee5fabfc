"""CPU-time limits on work over untrusted text.

A hostile text can make a regular expression run for minutes. ``regex`` can stop one call
itself (its ``timeout``), but then it reads the CPU clock, a system call, twice at every
call: about 7 % of the extractor's time, which makes dozens of short calls per article.
A profiling timer bounds a whole block instead, with one system call to set it and one to
clear it; ``regex`` checks for signals while it matches, so the timer's handler stops a
runaway match too.

The timer is used only where it disturbs no one: in the main thread, with no SIGPROF
handler (of Python's or of C code's), no profiling timer of the program's own, and the
signal not blocked. Inside a block it bounds, ``thread.bounded`` is true and
:class:`figcheck.rules.Pattern` calls go without their own limit; everywhere else each
call keeps it.

:func:`hold` installs the handler for a batch, so that each article's block only sets
and clears the timer; without it, :func:`cpu_time_limit` installs the handler itself.
"""
from __future__ import annotations

import signal
import sys
import threading
import time

# signal.getsignal wraps this one to give SIG_DFL and SIG_IGN as enums, and finds out that
# any other handler is none by raising and catching a ValueError: some 10,000 instructions
# at each article's limit. The handlers compared here are functions or SIG_DFL (0).
from _signal import getsignal as _handler_of


class PastTimeLimit(BaseException):
    """Raised by the timer of :func:`cpu_time_limit`; a BaseException, so that the code it
    interrupts (a library's ``except Exception``) cannot catch it and go on."""


class _ThreadState(threading.local):
    #: The timer this thread holds (its handler installed), if any.
    timer: "_Timer | None" = None
    #: Whether the running code is inside a block the timer bounds.
    bounded: bool = False


#: This thread's timer and whether it bounds the running code; read at every pattern call
#: (an attribute, not a function: a call would cost more than the check saves).
thread = _ThreadState()


#: How soon a stop comes again while the block it was meant for goes on (it was lost).
_AGAIN_SECONDS = 0.05


class _Timer:
    """The profiling timer, counting one thread's CPU time in one block."""

    __slots__ = ("seconds", "started", "active", "owner", "handler")

    def __init__(self) -> None:
        self.seconds = 0.0
        self.started = 0.0
        self.active = False
        #: The frame that runs the block's ``with`` statement while the block runs.
        self.owner = None
        #: The object installed as the SIGPROF handler, to tell later whether it still is.
        self.handler = self.fire

    def installed(self) -> bool:
        return _handler_of(signal.SIGPROF) is self.handler

    def arm(self, seconds: float, owner) -> None:
        self.seconds = seconds
        self.owner = owner
        self.started = time.thread_time()
        self.active = True
        thread.bounded = True
        signal.setitimer(signal.ITIMER_PROF, seconds)

    def disarm(self) -> None:
        self.active = False
        self.owner = None
        thread.bounded = False
        signal.setitimer(signal.ITIMER_PROF, 0)

    def fire(self, signum, frame) -> None:
        if not self.active:  # the block is done, in the instant before the timer is off
            return
        # The timer counts the CPU time of every thread of the process: when other threads
        # spent part of it, this thread has time left, and the timer is set again for it.
        left = self.seconds - (time.thread_time() - self.started)
        if left > 0:
            signal.setitimer(signal.ITIMER_PROF, left)
            return
        # Patterns that run from here take their own limits again, whatever becomes of the
        # stop (code inside the block may swallow it).
        thread.bounded = False
        if not _on_stack(self.owner, frame):
            # The block ended as the stop came, before its cleanup ran: nothing to stop.
            self.active = False
            return
        # A stop raised inside a __del__ (the garbage collector runs them at any moment) is
        # lost: Python prints it and goes on. While the block goes on, it comes again.
        signal.setitimer(signal.ITIMER_PROF, _AGAIN_SECONDS)
        raise PastTimeLimit()


def _on_stack(owner, frame) -> bool:
    while frame is not None:
        if frame is owner:
            return True
        frame = frame.f_back
    return False


def _timer_usable() -> bool:
    return (hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and _handler_of(signal.SIGPROF) == signal.SIG_DFL
            and signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
            and signal.SIGPROF not in signal.pthread_sigmask(signal.SIG_BLOCK, ()))


# hold and cpu_time_limit are classes, not generators under contextlib.contextmanager: each
# article enters both, and the generators' machinery (a context manager object, a generator,
# StopIteration at the exit) cost some 20,000 instructions an article, 0.8 % of extracting it.
class hold:
    """Install the timer's handler for the block (a batch), where it can be; the limits
    set inside it then cost two system calls each. Should the program install a SIGPROF
    handler of its own meanwhile, the blocks after that run without the timer, and the
    program's handler and timer are left as they are."""

    __slots__ = ("_timer",)

    def __enter__(self) -> None:
        self._timer = None
        if thread.timer is not None or not _timer_usable():
            return
        timer = self._timer = thread.timer = _Timer()
        signal.signal(signal.SIGPROF, timer.handler)

    def __exit__(self, *exc_info) -> None:
        timer = self._timer
        if timer is None:
            return
        self._timer = None
        timer.active = False
        timer.owner = None
        thread.timer = None
        if timer.installed():
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, signal.SIG_DFL)


class cpu_time_limit:
    """Interrupt the block with :class:`PastTimeLimit` once this thread has spent
    ``seconds`` of CPU time in it, where the timer can be used; elsewhere the block runs
    without this limit (and each pattern call keeps its own).

    Meant for a ``with`` statement: the timer tells that its block goes on by the frame
    that runs the statement (entered some other way, by an ``ExitStack`` say, a stop that
    is lost is not raised again). A block inside another is bounded by the outer one's
    limit only (nothing in figcheck nests them)."""

    __slots__ = ("seconds", "_hold", "_timer")

    def __init__(self, seconds: float):
        if not seconds > 0:
            raise ValueError(f"a CPU time limit must be positive, not {seconds!r}")
        self.seconds = seconds

    def __enter__(self) -> None:
        self._hold = self._timer = None
        if thread.bounded:
            return
        if thread.timer is None:
            self._hold = hold()
            self._hold.__enter__()
        timer = thread.timer
        # No timer here, or the program installed a SIGPROF handler of its own since hold().
        if timer is None or not timer.installed():
            return
        # The with statement's frame, which calls this method.
        timer.arm(self.seconds, sys._getframe(1))
        self._timer = timer

    def __exit__(self, *exc_info) -> None:
        try:
            if self._timer is not None:
                self._timer.disarm()
        finally:
            self._timer = None
            if self._hold is not None:
                self._hold.__exit__(*exc_info)
                self._hold = None
