"""The CPU-time limits of ``figcheck.limits``: a block stopped once this thread has spent its
time, the patterns inside it freed of their own per-call limit, and a program's own
profiling timer and handler left alone."""
from __future__ import annotations

import hashlib
import signal
import threading
import time

import pytest

from figcheck import claims, limits, rules
from figcheck.article import Article

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer")

#: Backtracks for far longer than any limit here: 2**40 ways to split the a's.
CATASTROPHIC = r"(a|aa)+$"
RUNAWAY_TEXT = "a" * 60 + "!"


def _timer_is_gone() -> bool:
    return (signal.getsignal(signal.SIGPROF) == signal.SIG_DFL
            and signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0))


def _spend_cpu_time(started: float) -> None:
    """Spend CPU time until stopped (at the latest 30 s after ``started``)."""
    while time.monotonic() - started < 30:
        sum(range(10_000))


def _burn_in_other_thread(until: threading.Event) -> threading.Thread:
    def burn():
        data = b"x" * 1_000_000
        while not until.is_set():
            hashlib.sha256(data).digest()  # releases the interpreter's lock: CPU in parallel

    worker = threading.Thread(target=burn, daemon=True)
    worker.start()
    return worker


def test_the_limit_counts_this_thread_s_cpu_time_not_other_threads():
    done = threading.Event()
    worker = _burn_in_other_thread(done)
    try:
        with limits.cpu_time_limit(0.05):
            assert limits.thread.bounded
            # Idle here while another thread spends CPU time: no limit reached.
            time.sleep(0.5)
    finally:
        done.set()
        worker.join()
    assert _timer_is_gone()


def test_the_limit_stops_a_block_that_spends_its_cpu_time():
    started = time.monotonic()
    with pytest.raises(limits.PastTimeLimit):
        with limits.cpu_time_limit(0.05):
            _spend_cpu_time(started)
    assert time.monotonic() - started < 5
    assert _timer_is_gone()


def test_a_program_with_its_own_profiling_handler_keeps_it():
    mine = lambda signum, frame: None  # noqa: E731
    previous = signal.signal(signal.SIGPROF, mine)
    try:
        with limits.hold(), limits.cpu_time_limit(0.01):
            assert not limits.thread.bounded  # no timer: the patterns keep their own limit
            sum(range(100_000))
        assert signal.getsignal(signal.SIGPROF) is mine
    finally:
        signal.signal(signal.SIGPROF, previous)


def test_inside_a_bounded_block_the_timer_stops_a_runaway_pattern_not_its_own_limit():
    # The pattern's own limit (0.05 s) is not used inside the block: the block's (0.3 s) is,
    # and its timer interrupts the match inside regex's C code.
    runaway = rules.compile(CATASTROPHIC, timeout=0.05)
    started = time.thread_time()
    with pytest.raises(limits.PastTimeLimit):
        with limits.cpu_time_limit(0.3):
            assert limits.thread.bounded
            runaway.search(RUNAWAY_TEXT)
    spent = time.thread_time() - started
    assert 0.25 < spent < 3, spent
    assert not limits.thread.bounded and _timer_is_gone()


def test_outside_a_bounded_block_each_pattern_keeps_its_own_limit():
    runaway = rules.compile(CATASTROPHIC, timeout=0.05)
    with pytest.raises(TimeoutError):
        runaway.search(RUNAWAY_TEXT)
    raised: list[BaseException] = []

    def in_a_thread():  # no timer there: the block is not bounded, the pattern's limit holds
        try:
            with limits.hold(), limits.cpu_time_limit(0.3):
                raised.append(AssertionError("bounded")) if limits.thread.bounded else None
                runaway.search(RUNAWAY_TEXT)
        except BaseException as exc:  # noqa: BLE001  (handed to the test's thread)
            raised.append(exc)

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join()
    assert [type(exc) for exc in raised] == [TimeoutError]


def test_a_held_handler_serves_every_block_and_goes_with_the_hold():
    with limits.hold():
        handler = signal.getsignal(signal.SIGPROF)
        assert handler != signal.SIG_DFL
        for _ in range(3):
            with limits.cpu_time_limit(1.0):
                assert signal.getitimer(signal.ITIMER_PROF)[0] > 0
            # Between blocks the timer is off, the handler stays.
            assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
            assert signal.getsignal(signal.SIGPROF) is handler
        with pytest.raises(limits.PastTimeLimit):
            with limits.cpu_time_limit(0.05):
                rules.compile(CATASTROPHIC).search(RUNAWAY_TEXT)
    assert _timer_is_gone()


def test_a_block_inside_another_is_bounded_by_the_outer_one():
    started = time.thread_time()
    with pytest.raises(limits.PastTimeLimit):
        with limits.cpu_time_limit(0.1):
            with limits.cpu_time_limit(60):
                rules.compile(CATASTROPHIC).search(RUNAWAY_TEXT)
    assert time.thread_time() - started < 3
    assert _timer_is_gone()


def test_an_article_past_its_limit_is_reported_as_the_engine_s_timeout(monkeypatch):
    monkeypatch.setattr(claims, "ARTICLE_TIME_LIMIT_SECONDS", 0.1)
    engine = claims.engine()
    monkeypatch.setattr(engine.grammar, "candidates",
                        lambda text, begin: rules.compile(CATASTROPHIC).search(RUNAWAY_TEXT))
    with limits.hold():
        with pytest.raises(claims.ArticleTimeout, match="more than 0.1 s of CPU time"):
            engine.extract(Article(doc="slow.txt", text="Officials said 400 troops left."))
        monkeypatch.undo()
        # The next article of the batch is extracted as usual, under a timer of its own.
        timed = []
        real_candidates = engine.grammar.candidates

        def candidates(text, begin):
            timed.append(limits.thread.bounded and signal.getitimer(signal.ITIMER_PROF)[0] > 0)
            return real_candidates(text, begin)

        monkeypatch.setattr(engine.grammar, "candidates", candidates)
        rows = engine.extract(Article(doc="next.txt", text="Officials said 400 troops left."))
    assert [row["value"] for row in rows] == [400.0]
    assert timed == [True]
    assert _timer_is_gone()


def test_a_swallowed_stop_gives_the_patterns_their_own_limits_back_and_comes_again():
    # A library inside the block that catches everything must not leave it unbounded.
    runaway = rules.compile(CATASTROPHIC, timeout=0.01)  # sooner than the stop comes again
    started = time.monotonic()
    with pytest.raises(limits.PastTimeLimit):
        with limits.cpu_time_limit(0.05):
            try:
                _spend_cpu_time(started)
            except limits.PastTimeLimit:
                pass
            assert not limits.thread.bounded
            with pytest.raises(TimeoutError):
                runaway.search(RUNAWAY_TEXT)
            _spend_cpu_time(started)
    assert time.monotonic() - started < 3
    assert _timer_is_gone()


def test_a_handler_installed_during_a_hold_is_left_alone():
    mine = lambda signum, frame: None  # noqa: E731
    runaway = rules.compile(CATASTROPHIC, timeout=0.05)
    try:
        with limits.hold():
            signal.signal(signal.SIGPROF, mine)  # a profiler started mid-batch, say
            with limits.cpu_time_limit(0.05):
                assert not limits.thread.bounded  # the pattern keeps its own limit
                with pytest.raises(TimeoutError):
                    runaway.search(RUNAWAY_TEXT)
        assert signal.getsignal(signal.SIGPROF) is mine
    finally:
        signal.signal(signal.SIGPROF, signal.SIG_DFL)


def test_a_blocked_profiling_signal_means_no_timer():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPROF})
    try:
        with limits.cpu_time_limit(0.05):
            assert not limits.thread.bounded
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGPROF})
    assert _timer_is_gone()


@pytest.mark.parametrize("seconds", [0, -1.0, float("nan")])
def test_a_limit_must_be_positive(seconds):
    with pytest.raises(ValueError, match="must be positive"):
        with limits.cpu_time_limit(seconds):
            pass
    assert not limits.thread.bounded and _timer_is_gone()


class _SlowToDelete:
    """Its ``__del__`` spends CPU time: a stop that comes in there is lost (Python prints an
    exception raised in ``__del__`` and goes on), as when the garbage collector runs one."""

    def __del__(self):
        started = time.thread_time()
        while time.thread_time() - started < 0.2:
            pass


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_stop_lost_in_a_finaliser_comes_again_while_the_block_goes_on():
    started = time.monotonic()
    with pytest.raises(limits.PastTimeLimit):
        with limits.cpu_time_limit(0.05):
            _SlowToDelete()  # deleted at once: the stop is raised inside __del__, and lost
            _spend_cpu_time(started)
    assert time.monotonic() - started < 3
    assert not limits.thread.bounded and _timer_is_gone()
