"""Benchmark: ``figcheck report`` on 100,000 articles with ``--jobs 2``, wall time and peak memory;
with ``--dask``, the Dask path on a local cluster of 2 workers against the single-process path.

The articles are the five seed articles of ``sources/`` copied N times (default 100,000)
into a temporary folder, 1,000 to a subfolder, each copy with a closing line of its own
(``Archive tag bqzd.``, letters only, so it adds no figure) so that no two files are the
same. Two seeds carry no date: by default their copies carry the date the batch gives them
(a ``date`` line), as in ``bench_check.py``; ``--as-is`` keeps them undated, so that the
batch dates them (the second round of ``figcheck.parallel``) and that is measured too.

The run is the command as a user runs it, in its own process under ``/usr/bin/time -v``
(``apt-get install time`` where it is missing)::

    figcheck report DIR -o OUT --jobs 2 --no-progress --no-charts

and the bench prints:

* wall time (``time``'s "Elapsed (wall clock) time");
* ``time``'s "Maximum resident set size": the peak of the *largest single process* of the
  run (``time`` takes the children's ``ru_maxrss``, a maximum, not a sum), so the parent or
  one worker, whichever peaked higher;
* the peak of the *sum* over the whole process tree (parent, forkserver, workers), sampled
  every 0.1 s with psutil (a sample can miss a peak shorter than that), the figure that
  must stay under the target;
* CPU time of the run (user + system, children included), since the machine may be shared.

    .venv/bin/python bench/bench_scale.py                  # 100,000 articles, --jobs 2
    .venv/bin/python bench/bench_scale.py --articles 20000 --as-is
    .venv/bin/python bench/bench_scale.py --dask           # 10,000 articles, Dask vs one process
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tabulate import tabulate

from checkout import REPOSITORY  # noqa: E402  (first: figcheck from this checkout)

from bench_check import seed_texts, tag  # noqa: E402
from bench_extract import cpu_model  # noqa: E402

ARTICLES = 100_000
DASK_ARTICLES = 10_000
TARGET_SECONDS = 180.0
TARGET_BYTES = 2 * 2**30
PER_FOLDER = 1_000
TIME = "/usr/bin/time"
NEWLINE = b"\n"


def write_articles(folder: Path, texts: list[str], count: int) -> int:
    """``count`` varied copies of the seeds, 1,000 to a folder; their characters."""
    characters = 0
    for number in range(count):
        text = texts[number % len(texts)] + f"\n\nArchive tag {tag(number)}.\n"
        path = folder / f"batch{number // PER_FOLDER:03d}" / f"article{number:06d}.txt"
        if number % PER_FOLDER == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        characters += len(text)
    return characters


class TreeMemory:
    """The peak of the summed resident memory of a process and all its descendants,
    sampled every ``interval`` seconds (psutil; None without it)."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval, self.peak, self.peak_processes = pid, interval, 0, 0
        # CPU seconds per process at its last sample: the workers are the forkserver's
        # children, which no rusage of ours counts.
        self.cpu: dict[int, float] = {}
        #: The figcheck process itself (time's child): its CPU is the run's serial part
        #: (listing, taking results back, the analysis and the report) but for what it
        #: does while the workers run.
        self.main_pid: int | None = None
        self._stop = threading.Event()
        try:
            import psutil
        except ImportError:
            self.psutil = None
            return
        self.psutil = psutil
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        psutil = self.psutil
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            total, count = 0, 0
            try:
                processes = [root, *root.children(recursive=True)]
                if self.main_pid is None:
                    self.main_pid = next((p.pid for p in root.children()), None)
            except psutil.Error:
                break
            for process in processes:
                try:
                    total += process.memory_info().rss
                    times = process.cpu_times()
                    self.cpu[process.pid] = times.user + times.system
                    count += 1
                except psutil.Error:
                    pass
            if total > self.peak:
                self.peak, self.peak_processes = total, count
            self._stop.wait(self.interval)

    def stop(self) -> int | None:
        self._stop.set()
        if self.psutil is None:
            return None
        self._thread.join()
        return self.peak


def run_timed(argv: list[str], cwd: Path) -> dict:
    """``argv`` under /usr/bin/time -v: wall time, time's max RSS, the tree's summed peak.

    figcheck runs from the copy of its code in ``cwd/code``, taken at the start, so that an
    edit of the checkout during the bench cannot change what is run or compared."""
    if not os.path.exists(TIME):
        raise SystemExit(f"{TIME} is missing: apt-get install time")
    start = time.perf_counter()
    environment = {**os.environ, "PYTHONPATH": str(cwd / "code")}
    process = subprocess.Popen([TIME, "-v", *argv], cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=environment)
    tree = TreeMemory(process.pid)
    out, err = process.communicate()
    wall = time.perf_counter() - start
    tree_peak = tree.stop()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}):\n{err[-3000:]}")
    max_rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)[1]) * 1024
    elapsed = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", err)[1]
    seconds = 0.0
    for part in elapsed.split(":"):
        seconds = seconds * 60 + float(part)
    summary = [line for line in err.splitlines() if line.startswith("figcheck: ") and "claims" in line]
    for line in err.splitlines():
        if line.startswith("figcheck: skipped "):
            print(line, file=sys.stderr)  # a copy of the seeds is never broken: say why
    return {"wall": seconds, "wall_here": wall, "max_rss": max_rss, "tree_peak": tree_peak,
            "tree_processes": tree.peak_processes,
            "cpu": sum(tree.cpu.values()) if tree.psutil is not None else None,
            "main_cpu": tree.cpu.get(tree.main_pid) if tree.psutil is not None else None,
            "summary": summary[-1].removeprefix("figcheck: ") if summary else ""}


def cpu(seconds: float | None) -> str:
    return "not measured (no psutil)" if seconds is None else f"{seconds:.1f} s"


def gib(value: int | None) -> str:
    return "not measured (no psutil)" if value is None else f"{value / 2**30:.2f} GiB"


def scale(args: argparse.Namespace, work: Path, folder: Path, characters: int) -> None:
    out = work / "report"
    command = [sys.executable, "-m", "figcheck", "report", str(folder), "-o", str(out),
               "--jobs", str(args.jobs), "--no-progress", "--no-charts"]
    run = run_timed(command, work)
    met = run["wall"] < TARGET_SECONDS and (run["tree_peak"] or run["max_rss"]) < TARGET_BYTES
    facts = [
        ["articles", f"{args.articles:,} ({characters:,} characters)"],
        ["undated seed copies", "kept undated (dated by the batch)" if args.as_is
         else "given the batch's date"],
        ["command", f"figcheck report DIR -o OUT --jobs {args.jobs} --no-progress --no-charts"],
        ["report", run["summary"]],
        ["wall time (/usr/bin/time)", f"{run['wall']:.1f} s"],
        ["CPU time, all processes (psutil, at their last sample)", cpu(run["cpu"])],
        ["CPU time of the figcheck process (no worker)", cpu(run["main_cpu"])],
        ["max RSS of the largest single process (/usr/bin/time -v)", gib(run["max_rss"])],
        [f"peak RSS summed over the process tree (psutil, every 0.1 s; "
         f"{run['tree_processes']} processes)", gib(run["tree_peak"])],
        ["target", f"under {TARGET_SECONDS:.0f} s and {TARGET_BYTES / 2**30:.0f} GiB: "
                   f"{'met' if met else 'NOT met'}"],
        ["CPU", cpu_model()],
        ["cores this process may use", str(len(os.sched_getaffinity(0)))],
        ["Python", f"{platform.python_implementation()} {platform.python_version()}"],
    ]
    fmt = "github" if args.markdown else "simple"
    print(tabulate(facts, headers=["measure", "value"], tablefmt=fmt, disable_numparse=True))


def dask_comparison(args: argparse.Namespace, work: Path, folder: Path, characters: int) -> None:
    """The single-process report and the Dask report of one batch, their tables compared."""
    single, distributed = work / "single", work / "dask"
    base = [sys.executable, "-m", "figcheck", "report", str(folder), "--no-progress", "--no-charts"]
    one = run_timed(base + ["-o", str(single), "--jobs", "1"], work)
    many = run_timed(base + ["-o", str(distributed), "--engine", "dask"], work)
    rows = []
    same_all = True
    for name in ("claims.csv", "discrepancies.csv", "discrepancies.md"):
        a, b = (single / name).read_bytes(), (distributed / name).read_bytes()
        same_all &= a == b
        size = f"{a.count(NEWLINE) - 1:,} rows" if name.endswith(".csv") else f"{len(a):,} bytes"
        rows.append([name, size, "identical bytes" if a == b else "DIFFERENT"])
    parts = sorted((distributed / "claims.parquet").glob("*.parquet"))
    fmt = "github" if args.markdown else "simple"
    print(tabulate(rows, headers=["file", "size", "single process vs Dask (2 workers)"],
                   tablefmt=fmt, disable_numparse=True))
    print()
    facts = [
        ["articles", f"{args.articles:,} ({characters:,} characters)"],
        ["single process (--jobs 1)", f"{one['wall']:.1f} s wall, {cpu(one['cpu'])} CPU"],
        ["Dask, LocalCluster of 2 worker processes", f"{many['wall']:.1f} s wall, "
                                                      f"{cpu(many['cpu'])} CPU"],
        ["claims.parquet (Parquet dataset)", f"{len(parts)} files"],
        ["same claims and discrepancies", "yes" if same_all else "NO"],
    ]
    print(tabulate(facts, headers=["measure", "value"], tablefmt=fmt, disable_numparse=True))
    if not same_all:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=None,
                        help=f"articles (default {ARTICLES:,}; {DASK_ARTICLES:,} with --dask)")
    parser.add_argument("--jobs", type=int, default=2, help="--jobs of the run (default 2)")
    parser.add_argument("--as-is", action="store_true",
                        help="keep the undated seed articles undated (the batch dates them)")
    parser.add_argument("--dask", action="store_true",
                        help="compare the Dask path (LocalCluster, 2 workers) with one process")
    parser.add_argument("--markdown", action="store_true", help="print markdown tables")
    args = parser.parse_args()
    args.articles = args.articles or (DASK_ARTICLES if args.dask else ARTICLES)

    texts = seed_texts(args.as_is)
    work = Path(tempfile.mkdtemp(prefix="figcheck-bench-scale-"))
    try:
        shutil.copytree(REPOSITORY / "figcheck", work / "code" / "figcheck",
                        ignore=shutil.ignore_patterns("__pycache__"))
        folder = work / "articles"
        characters = write_articles(folder, texts, args.articles)
        if args.dask:
            dask_comparison(args, work, folder, characters)
        else:
            scale(args, work, folder, characters)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
