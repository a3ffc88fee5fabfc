"""Benchmark: characters per second of ``claims.extract_articles`` on one core.

The five seed articles in ``sources/`` are read once and copied 200 times (1,000
articles), each copy under its own ``doc`` (``copy007/000_x.txt``) so that no result can be
reused between copies. The best of five runs is reported with the machine's figures.
Characters counted are those of the article bodies, the text the extractor reads.

In the same run, on the same articles and core: the whole report (extraction, quantities,
discrepancies, rendering, the three files written; ``bench_report.run_once``), and the
floor any regular-expression pass pays, a pattern that only finds digit runs (``\d+`` with
the ``regex`` module, every match iterated), without a time limit and with one, the way
figcheck calls it. The extractor's speed is judged against the plain one. So are its first
two stages alone, which every design of it pays: finding the places where a figure may
start (digit runs and number words), and reading the figure at each of them.

    .venv/bin/python bench/bench_extract.py            # a plain table
    .venv/bin/python bench/bench_extract.py --markdown # for the README's Performance section
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import regex
from tabulate import tabulate

from checkout import REPOSITORY  # noqa: E402  (first: figcheck from this checkout)

from figcheck import claims, sources  # noqa: E402
from figcheck.article import Article  # noqa: E402

TARGET_CHARS_PER_SECOND = 2_000_000  # issue 2
TARGET_CHARS_PER_SECOND_PER_CORE = 5_000_000  # issue 6
TARGET_SHARE_OF_DIGITS_ONLY = 0.15  # issue 6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default=str(REPOSITORY / "sources"),
                        help="folder of seed articles (default: the repository's sources/)")
    parser.add_argument("--copies", type=int, default=200, help="copies of the seeds (200)")
    parser.add_argument("--runs", type=int, default=5, help="runs; the best is kept (5)")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    args = parser.parse_args(argv)

    core = pin_to_one_core()
    articles = copied_articles(args.sources, args.copies)
    characters = sum(len(article.body) for article in articles)
    claims.extract_articles(articles[:5])  # compile the rules outside the timed runs
    # CPU time of this process is what one core spends; wall time also counts what a
    # shared machine lends to others, so both are shown and the target is judged on CPU.
    cpu_timings, wall_timings = [], []
    for _ in range(args.runs):
        wall_started, cpu_started = time.perf_counter(), time.process_time()
        frame = claims.extract_articles(articles)
        cpu_timings.append(time.process_time() - cpu_started)
        wall_timings.append(time.perf_counter() - wall_started)
    best = min(cpu_timings)
    median = sorted(cpu_timings)[len(cpu_timings) // 2]
    digits_plain = characters / best_cpu_time(lambda: digits_only(articles, None), args.runs)
    digits_limited = characters / best_cpu_time(lambda: digits_only(articles, 1.0), args.runs)
    grammar = claims.engine().grammar
    finding = characters / best_cpu_time(lambda: candidates_only(grammar, articles), args.runs)
    reading = characters / best_cpu_time(lambda: figures_only(grammar, articles), args.runs)
    report = characters / best_cpu_time(lambda: whole_report(articles), max(1, args.runs // 2))

    rate = characters / best
    share = rate / digits_plain
    rows = [
        ("articles", f"{len(articles):,}"),
        ("characters (article bodies)", f"{characters:,}"),
        ("claims found", f"{len(frame):,}"),
        (f"extraction, best of {args.runs} runs (CPU time)", f"{best:.3f} s"),
        ("extraction: characters per second (best, CPU time)", f"{rate:,.0f}"),
        ("extraction: characters per second (median, CPU time)", f"{characters / median:,.0f}"),
        ("extraction: characters per second (best, wall time)", f"{characters / min(wall_timings):,.0f}"),
        ("whole report: characters per second (best, CPU time)", f"{report:,.0f}"),
        ("digits only, `\\d+` (regex, no time limit): characters per second", f"{digits_plain:,.0f}"),
        ("digits only, `\\d+` (regex, 1 s limit): characters per second", f"{digits_limited:,.0f}"),
        ("extraction / digits only (no limit)", f"{share:.3f}"),
        ("stage alone: finding where figures may start: characters per second",
         f"{finding:,.0f} ({finding / digits_plain:.3f} of digits only)"),
        ("stages alone: finding them and reading each figure: characters per second",
         f"{reading:,.0f} ({reading / digits_plain:.3f} of digits only)"),
        ("target, issue 2", _verdict(rate, TARGET_CHARS_PER_SECOND, f"{TARGET_CHARS_PER_SECOND:,}")),
        ("target, issue 6", _verdict(rate, TARGET_CHARS_PER_SECOND_PER_CORE,
                                     f"{TARGET_CHARS_PER_SECOND_PER_CORE:,}")),
        ("target, issue 6: share of digits only", _verdict(share, TARGET_SHARE_OF_DIGITS_ONLY,
                                                           f"{TARGET_SHARE_OF_DIGITS_ONLY}")),
        ("CPU", cpu_model()),
        ("core", "one, pinned to CPU " + str(core) if core is not None else "one (not pinned)"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("system", f"{platform.system()} {platform.machine()}"),
    ]
    print(tabulate(rows, headers=("measure", "value"),
                   tablefmt="github" if args.markdown else "simple"))
    return 0


def _verdict(measured: float, target: float, shown: str) -> str:
    return f"{shown} ({'met' if measured >= target else 'NOT met'})"


def best_cpu_time(work, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.process_time()
        work()
        timings.append(time.process_time() - started)
    return min(timings)


_DIGITS = regex.compile(r"\d+")


def digits_only(articles: list[Article], timeout: float | None) -> int:
    """The digit runs of every article body, each match iterated: the floor of a regex pass."""
    return sum(1 for article in articles for _ in _DIGITS.finditer(article.body, timeout=timeout))


def candidates_only(grammar, articles: list[Article]) -> int:
    """The extractor's first stage: the places in each body where a figure may start."""
    return sum(len(grammar.candidates(article.text, article.body_start)) for article in articles)


def figures_only(grammar, articles: list[Article]) -> int:
    """The first two stages: those places, and the figure read at each (None where none is)."""
    read = 0
    for article in articles:
        text = article.text
        for pos in grammar.candidates(text, article.body_start):
            read += grammar.parse_at(text, pos) is not None
    return read


def whole_report(articles: list[Article]) -> None:
    """What ``figcheck report`` does with the articles, files written to a temporary folder."""
    from bench_report import run_once  # beside this script; it imports this module too
    from figcheck.config import Config

    with tempfile.TemporaryDirectory() as folder:
        run_once(articles, Path(folder), Config(charts=False))


def copied_articles(folder: str, copies: int) -> list[Article]:
    """The articles of ``folder``, ``copies`` times, each copy with its own ``doc``."""
    batch = sources.read_batch([folder])
    if not batch.articles:
        raise SystemExit(f"no article could be read from {folder}")
    return [dataclasses.replace(article, doc=f"copy{number:03d}/{article.doc}")
            for number in range(copies) for article in batch.articles]


def pin_to_one_core() -> int | None:
    """Run on one core, the one the process may use first; None where that cannot be set."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
