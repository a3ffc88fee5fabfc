"""The child process of :mod:`figcheck.page_process`: trafilatura on pages it is sent, one
at a time, each with its CPU time capped by the kernel.

Run by path with ``python -I``, so that neither the current folder nor this file's folder
(``figcheck/``, whose ``io.py`` would stand in for the standard library's) is on
``sys.path``; it imports only the standard library until the parent sends its own
``sys.path``, and never ``figcheck`` itself (whose import brings pandas: a start three
times as slow).

Messages both ways are a length (8 bytes, big-endian) and that many bytes of JSON. The
parent sends its ``sys.path``; the child answers ``["ready"]`` once trafilatura imports,
or ``["unavailable", reason]``. Then, for each ``[html, options, seconds]``, it answers
``["page", fields or null]`` or ``["error", exception name, message]``, or it is killed by
the kernel once the page has taken ``seconds`` of CPU time (SIGPROF, the profiling timer
left to its default action, which ends the process even inside a C call that no Python
handler could interrupt; SIGXCPU of ``RLIMIT_CPU`` a second later should that fail).
"""
import json
import math
import resource
import signal
import struct
import sys

#: The attributes of trafilatura's document that figcheck reads.
FIELDS = ("text", "date", "sitename", "url", "title")


def _read(stream):
    head = stream.read(8)
    if len(head) < 8:
        return None
    (size,) = struct.unpack(">Q", head)
    data = stream.read(size)
    if len(data) < size:
        return None
    return json.loads(data)


def _write(stream, value) -> None:
    # ASCII: a lone surrogate in a page (undecodable bytes) goes as an escape and comes back.
    data = json.dumps(value, ensure_ascii=True).encode("ascii")
    stream.write(struct.pack(">Q", len(data)))
    stream.write(data)
    stream.flush()


def _field(value):
    """A document's attribute as JSON carries it, read by figcheck as it reads the value
    itself: figcheck takes ``str(value or "")`` of each, and ``text`` as a string or None."""
    if value is None or isinstance(value, str):
        return value
    return str(value) if value else None


def _cap(seconds: float) -> None:
    used = resource.getrusage(resource.RUSAGE_SELF)
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(used.ru_utime + used.ru_stime + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    signal.setitimer(signal.ITIMER_PROF, seconds)


def _uncap() -> None:
    signal.setitimer(signal.ITIMER_PROF, 0)
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))


def main() -> None:
    source, answers = sys.stdin.buffer, sys.stdout.buffer
    # A stray print (of a library) must not break the messages on standard output.
    sys.stdout = sys.stderr
    setup = _read(source)
    if setup is None:
        return
    sys.path[:] = setup["path"]
    try:
        import trafilatura
    except BaseException as exc:  # noqa: BLE001  (whatever it is, the parent reads the page itself)
        _write(answers, ["unavailable", f"{type(exc).__name__}: {exc}"[:200]])
        return
    # Dispositions set to be ignored and blocked signals are inherited across exec: the
    # caps must end the process whatever the parent's thread had.
    for number in (signal.SIGPROF, signal.SIGXCPU):
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGPROF, signal.SIGXCPU})
    try:  # SIGXCPU's default action dumps core: a page past its limit leaves no core file
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    _write(answers, ["ready"])
    while True:
        request = _read(source)
        if request is None:
            return
        html, options, seconds = request
        _cap(seconds)
        try:
            document = trafilatura.bare_extraction(html, **options)
        except Exception as exc:  # noqa: BLE001  (the parent reports a parser's failure)
            answer = ["error", type(exc).__name__, str(exc)[:80]]
        else:
            answer = ["page", None if document is None else
                      {name: _field(getattr(document, name, None)) for name in FIELDS}]
        finally:
            _uncap()
        del html, request
        _write(answers, answer)


if __name__ == "__main__":
    main()
