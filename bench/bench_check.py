"""Benchmark: ``figcheck check`` on 10,000 articles, with a cold cache and after a batch of 20.

What a newsroom's CI does: the first ``check`` of a repository reads and extracts every
article and fills the extraction cache; a pull request then adds 20 articles, and the next
``check`` must cost seconds. The articles are the five seed articles of ``sources/`` copied
2,000 times into a temporary folder, each copy with a closing line of its own
(``Archive tag bqzd.``, letters only, so it adds no figure) so that no two files have the
same content; the 20 new articles are made the same way with other tags.

Two of the seed articles carry no date: their year comes from the rest of the batch
(:func:`figcheck.dates.fill_missing_dates`). That step compares every undated article with
every dated one, so on 4,000 undated copies it takes minutes on every run, cache or not. By
default the copies of those two carry the date the batch gives them, in a ``date`` line;
``--as-is`` keeps them undated (and the bench then measures that step too).

Each run is the command as a user runs it, in its own process (``python -m figcheck check
DIR --exit-zero``, from a copy of figcheck's code taken at the start, so that an edit of the
checkout meanwhile cannot make a new version and empty the cache; the copies hold
discrepancies, which is not what is measured). The copy is compiled to bytecode, as ``pip
install`` leaves an installed package: with ``PYTHONDONTWRITEBYTECODE`` set (as it is on
some machines), every run would otherwise compile figcheck's modules again. Wall time,
and the CPU time of that process (the machine may be shared), are printed, with what the
cache says it did. Runs:

1. cold: an empty cache;
2. after adding 20 articles, three times (2a, 2b, 2c; the machine may be shared, so the
   median is taken): the acceptance measure, at least 20 times faster than run 1;
3. the same files with new modification times, as a fresh clone in CI sees them (the
   cache restored from an earlier run): every file is read and hashed again, none parsed
   or extracted;
4. nothing changed;
5. 20 more articles, with the compiled patterns and parsed rule files that figcheck
   keeps beside its bytecode removed, as on the first run of a fresh install (a CI job
   that installs figcheck anew each time): not the acceptance measure, shown for what
   such a job pays.

Before runs 1 and 3 the bench waits a second, so that the files are older than the cache's
racy margin (a file modified within a second of being hashed is read again), as the files
of a repository are when a check runs; the 20 new articles of runs 2a-2c are checked as
soon as they are written. The start-up of the program that does nothing else
(``--version``: Python and figcheck's imports) is timed too, since every run pays it.

    .venv/bin/python bench/bench_check.py              # the table
    .venv/bin/python bench/bench_check.py --markdown   # for the README
"""
from __future__ import annotations

import argparse
import compileall
import os
import platform
import re
import resource
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tabulate import tabulate

from checkout import REPOSITORY  # noqa: E402  (first: figcheck from this checkout)
SEEDS = REPOSITORY / "sources"

from bench_extract import cpu_model  # noqa: E402
from figcheck import dates, sources  # noqa: E402
from figcheck.cache import RACY_MARGIN_NS  # noqa: E402
from figcheck.check import Baseline, write_baseline  # noqa: E402

ARTICLES = 10_000
NEW = 20
ADDED_RUNS = 3  # batches of NEW added one after another; their median is the measure
TARGET = 20.0
_STATS = re.compile(r"figcheck: ([\d,]+) articles? extracted, ([\d,]+) from the cache; "
                    r"([\d,]+) files? read, ([\d,]+) known by their stat")


def tag(number: int) -> str:
    """A word of letters only, one per number: ``Archive tag bqzd.`` adds no figure."""
    letters = string.ascii_lowercase
    word = ""
    for _ in range(4):
        number, digit = divmod(number, 26)
        word = letters[digit] + word
    return word


def seed_texts(as_is: bool) -> list[str]:
    """The seed articles' texts; undated ones with the date the batch gives them, unless ``as_is``."""
    batch = sources.read_batch([str(SEEDS)])
    dates.fill_missing_dates(batch.articles)
    texts = []
    for article in batch.articles:
        text = article.text
        if article.published_inferred and not as_is:
            text = f" date {article.published.isoformat()}\n\n{text}"
        texts.append(text.rstrip("\n"))
    return texts


def write_articles(folder: Path, texts: list[str], first: int, count: int) -> int:
    """``count`` articles numbered from ``first``, 500 to a folder; their characters."""
    characters = 0
    for number in range(first, first + count):
        text = texts[number % len(texts)] + f"\n\nArchive tag {tag(number)}.\n"
        path = folder / f"batch{number // 500:03d}" / f"article{number:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        characters += len(text)
    return characters


def check(folder: Path, cache: Path, baseline: Path, code: Path) -> dict:
    """One ``figcheck check`` in its own process, run from the copy of figcheck in ``code``:
    wall and CPU seconds, and the cache's counts."""
    command = [sys.executable, "-m", "figcheck", "check", str(folder),
               "--cache", str(cache), "--exit-zero",
               "--baseline", os.path.relpath(baseline, folder)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    environment = {**os.environ, "PYTHONPATH": str(code)}
    environment.pop("PYTHONPYCACHEPREFIX", None)  # (compiled patterns kept in the copy)
    done = subprocess.run(command, capture_output=True, text=True, cwd=folder, env=environment)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"figcheck check failed ({done.returncode}):\n{done.stderr}")
    stats = _STATS.search(done.stderr)
    counts = [int(g.replace(",", "")) for g in stats.groups()] if stats else [None] * 4
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "extracted": counts[0], "cached": counts[1], "read": counts[2], "stat": counts[3],
            "summary": done.stdout.strip().splitlines()[-1]}


def settle() -> None:
    """Wait until the files just written are older than the cache's racy margin, as the
    files of a repository are when a check runs (a file modified less than that before it
    was hashed is read again, however old its stat entry: see figcheck.cache._trusted)."""
    time.sleep(RACY_MARGIN_NS / 1e9 + 0.1)


def start_up(code: Path) -> float:
    """CPU seconds of the program doing nothing but start (``python -m figcheck
    --version``): Python and figcheck's imports, as the program makes them (best of 3)."""
    times = []
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "figcheck", "--version"], check=True,
                       capture_output=True, env={**os.environ, "PYTHONPATH": str(code)})
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--as-is", action="store_true",
                        help="keep the undated seed articles undated (minutes more per run)")
    parser.add_argument("--articles", type=int, default=ARTICLES, help="articles in the repository")
    args = parser.parse_args()

    texts = seed_texts(args.as_is)
    work = Path(tempfile.mkdtemp(prefix="figcheck-bench-check-"))
    try:
        folder, cache, baseline = work / "articles", work / "cache.sqlite", work / "baseline.json"
        # A copy of the code, so that an edit of the checkout during the bench (a new
        # version, which empties the cache) cannot change what is measured.
        code = work / "code"
        shutil.copytree(REPOSITORY / "figcheck", code / "figcheck",
                        ignore=shutil.ignore_patterns("__pycache__"))
        compileall.compile_dir(code / "figcheck", quiet=1)
        write_baseline(Baseline(), baseline)  # empty: every discrepancy of the copies is new
        characters = write_articles(folder, texts, 0, args.articles)
        settle()
        runs = [("1. cold cache", check(folder, cache, baseline, code))]
        added_runs = []
        for attempt in range(ADDED_RUNS):
            first = args.articles + attempt * NEW
            write_articles(folder, texts, first, NEW)
            added_runs.append(check(folder, cache, baseline, code))
            runs.append((f"2{'abc'[attempt]}. after adding {NEW} articles", added_runs[-1]))
        now = time.time_ns()
        for path in folder.rglob("*.txt"):
            os.utime(path, ns=(now, now))
        settle()
        runs.append(("3. a fresh clone (new modification times)", check(folder, cache, baseline, code)))
        runs.append(("4. nothing changed", check(folder, cache, baseline, code)))
        # figcheck keeps its compiled patterns and parsed rule files beside its bytecode
        # (pattern_store), made by the first run of an install: a CI job that installs
        # figcheck afresh parses them.
        kept = code / "figcheck" / "__pycache__"
        kept_patterns = sorted([*kept.glob("patterns.*.pickle"), *kept.glob("rules.json")])
        for path in kept_patterns:
            path.unlink()
        write_articles(folder, texts, args.articles + ADDED_RUNS * NEW, NEW)
        runs.append((f"5. after adding {NEW} articles, on a fresh install (rules parsed, compiled)",
                     check(folder, cache, baseline, code)))
        fixed = start_up(code)
        cache_bytes = cache.stat().st_size
    finally:
        shutil.rmtree(work, ignore_errors=True)

    cold = runs[0][1]
    added = sorted(added_runs, key=lambda r: r["cpu"])[len(added_runs) // 2]  # the median
    rows = [[name, f"{r['wall']:.2f} s", f"{r['cpu']:.2f} s", f"{r['extracted']:,}",
             f"{r['cached']:,}", f"{r['read']:,}", f"{r['stat']:,}"] for name, r in runs]
    headers = ["run", "wall time", "CPU time", "extracted", "from the cache", "files read",
               "known by stat"]
    speedup_wall = cold["wall"] / added["wall"]
    speedup_cpu = cold["cpu"] / added["cpu"]
    facts = [
        ["articles", f"{args.articles:,} (+{NEW} three times)"],
        ["characters", f"{characters:,}"],
        ["undated seed copies", "kept undated" if args.as_is else "given the batch's date"],
        ["check summary (run 2c)", runs[ADDED_RUNS][1]["summary"].removeprefix("figcheck: ")],
        ["cache file", f"{cache_bytes / 2**20:.1f} MiB"],
        ["compiled patterns and parsed rules kept by run 1", ", ".join(p.name for p in kept_patterns) or "none"],
        ["run 1 / run 2 (median of 2a-2c), wall time", f"{speedup_wall:.1f}×"],
        ["run 1 / run 2 (median of 2a-2c), CPU time", f"{speedup_cpu:.1f}×"],
        ["target", f"{TARGET:.0f}× ({'met' if min(speedup_wall, speedup_cpu) >= TARGET else 'NOT met'})"],
        ["start-up alone (figcheck --version), CPU time", f"{fixed:.2f} s"],
        ["run 1 / run 2, CPU time less start-up (both)",
         f"{(cold['cpu'] - fixed) / (added['cpu'] - fixed):.1f}×"],
        ["CPU", cpu_model()],
        ["Python", f"{platform.python_implementation()} {platform.python_version()}"],
        ["system", f"{platform.system()} {platform.machine()}"],
    ]
    fmt = "github" if args.markdown else "simple"
    print(tabulate(rows, headers=headers, tablefmt=fmt, disable_numparse=True))
    print()
    print(tabulate(facts, headers=["measure", "value"], tablefmt=fmt, disable_numparse=True))


if __name__ == "__main__":
    main()
