"""Benchmark: characters per second of the whole report, end to end, on one core.

What ``figcheck report`` does, timed: extract the claims, derive the quantity keys, find the
discrepancies, summarise the quantities, render the markdown and write the three files
(``discrepancies.md``, ``claims.csv``, ``discrepancies.csv``) into a temporary folder.

The five seed articles in ``sources/`` are copied 200 times (1,000 articles), each copy under
its own ``doc`` (``copy007/000_x.txt``) so that no extraction result is reused between copies.
It is the stress case of the discrepancy step: every quantity holds 200 copies of each of its
claims, which must count as one claim seen 200 times (wire copy) and not as 200 × 200 pairs.
The best of three runs is reported, with the time of each stage of that run. Times are
the CPU time of this process (on a shared machine, wall time also counts what other
processes take); the wall time of the same run is shown beside it.

    .venv/bin/python bench/bench_report.py            # a plain table
    .venv/bin/python bench/bench_report.py --markdown # for the README's Performance section
"""
from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

from tabulate import tabulate

from checkout import REPOSITORY  # noqa: E402  (first: figcheck from this checkout)

from bench_extract import copied_articles, cpu_model, pin_to_one_core  # noqa: E402
from figcheck import claims, io  # noqa: E402
from figcheck.config import Config  # noqa: E402
from figcheck.discrepancies import Analysis  # noqa: E402
from figcheck.quantities import assign, conformed  # noqa: E402
from figcheck.report import render  # noqa: E402

TARGET_CHARS_PER_SECOND = 1_000_000
STAGES = ("extract", "quantities", "discrepancies", "summary", "render", "write")


def run_once(articles, folder: Path, config: Config) -> tuple[dict[str, float], dict[str, int]]:
    """One report, stage by stage as ``figcheck.report.write`` runs them; seconds per stage.

    ``discrepancies`` includes reading the claims once into statements (copies grouped),
    which the summary and the report reuse.
    """
    times: dict[str, float] = {}
    clock = time.process_time()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.process_time()
        times[stage] = now - clock
        clock = now

    frame = claims.extract_articles(articles)
    frame.attrs.update({"skipped": [], "articles": len(articles)})
    lap("extract")
    frame = assign(frame, config=config)
    lap("quantities")
    analysis = Analysis(frame, config)
    disc = analysis.discrepancies()
    lap("discrepancies")
    summary = analysis.summary(disc)
    lap("summary")
    markdown = render(frame, discrepancies=disc, quantities=summary, analysis=analysis)
    lap("render")
    io.write_table(conformed(frame), folder / "claims.csv")
    io.write_table(disc, folder / "discrepancies.csv")
    io.write_file(folder / "discrepancies.md", markdown.encode("utf-8"))
    lap("write")
    sizes = {"claims": len(frame), "quantities": len(summary), "flagged pairs": len(disc),
             "report bytes": len(markdown.encode("utf-8"))}
    return times, sizes


def scaling(sizes=(1_000, 10_000, 50_000)) -> list[tuple[str, str, str, str, str]]:
    """The discrepancy step on one quantity of n distinct claims: time, peak memory, pairs.

    The claims are ``about`` figures from 1,000 to 1,049, which all agree with each other,
    and two outliers of 5,000 that disagree with all of them: the pairs that agree grow as
    n², the flagged ones as 2n. Memory must follow n and the flagged pairs, not n².
    """
    import tracemalloc

    import pandas as pd

    from figcheck import schema

    rows = []
    for n in sizes:
        frame = schema.conform(pd.DataFrame({
            "claim_id": [f"c{k:07d}" for k in range(n)], "doc": [f"d{k % 97}.txt" for k in range(n)],
            "text": [f"about {1000 + k % 50}" for k in range(n)],
            "sentence": [f"Source {k} said about {1000 + k % 50} troops." for k in range(n)],
            "value": [5000.0 if k in (n // 3, 2 * n // 3) else 1000.0 + k % 50 for k in range(n)],
            "qualifier": ["about"] * n,
            "attributed_to": [f"source {k % 500}" for k in range(n)],
            "published": ["2024-10-01"] * n, "as_of": [f"2024-10-{1 + k % 28:02d}" for k in range(n)],
            "quantity": ["one quantity"] * n, "unit": ["soldiers"] * n, "start": list(range(n)),
        }))
        started = time.process_time()
        found = Analysis(frame, Config()).discrepancies()
        elapsed = time.process_time() - started
        tracemalloc.start()  # a second run, for memory: tracing slows Python down
        Analysis(frame, Config()).discrepancies()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append((f"{n:,}", f"{n * (n - 1) // 2:,}", f"{len(found):,}", f"{elapsed:.2f} s",
                     f"{peak / 2**20:.1f} MiB"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", default=str(REPOSITORY / "sources"),
                        help="folder of seed articles (default: the repository's sources/)")
    parser.add_argument("--copies", type=int, default=200, help="copies of the seeds (200)")
    parser.add_argument("--runs", type=int, default=3, help="runs; the best is kept (3)")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--scaling", action="store_true",
                        help="also time the discrepancy step on one quantity of 1,000 to 100,000 "
                             "distinct claims, with its peak memory")
    args = parser.parse_args(argv)

    core = pin_to_one_core()
    articles = copied_articles(args.sources, args.copies)
    characters = sum(len(article.body) for article in articles)
    config = Config(charts=False)  # charts are an optional extra; the text report is timed
    with tempfile.TemporaryDirectory() as folder:
        run_once(articles[:5], Path(folder), config)  # compile the rules outside the timed runs
        runs, walls = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            runs.append(run_once(articles, Path(folder), config))
            walls.append(time.perf_counter() - started)
    best = min(range(len(runs)), key=lambda k: sum(runs[k][0].values()))
    times, sizes = runs[best]
    total = sum(times.values())
    rate = characters / total
    rest = total - times["extract"]

    rows = [
        ("articles", f"{len(articles):,}"),
        ("characters (article bodies)", f"{characters:,}"),
        *((name, f"{value:,}") for name, value in sizes.items()),
        *((f"  {stage} (CPU time)", f"{times[stage]:.3f} s") for stage in STAGES),
        (f"best of {args.runs} runs, end to end (CPU time)", f"{total:.3f} s"),
        ("the same run, wall time", f"{walls[best]:.3f} s"),
        ("characters per second, end to end (CPU time)", f"{rate:,.0f}"),
        ("characters per second, end to end (wall time)", f"{characters / walls[best]:,.0f}"),
        ("target", f"{TARGET_CHARS_PER_SECOND:,} ({'met' if rate >= TARGET_CHARS_PER_SECOND else 'NOT met'})"),
        ("share of the time after extraction", f"{rest / total:.0%} ({rest:.3f} s)"),
        ("CPU", cpu_model()),
        ("core", "one, pinned to CPU " + str(core) if core is not None else "one (not pinned)"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("system", f"{platform.system()} {platform.machine()}"),
    ]
    print(tabulate(rows, headers=("measure", "value"),
                   tablefmt="github" if args.markdown else "simple", disable_numparse=True))
    if args.scaling:
        print()
        print(tabulate(scaling(), headers=("distinct claims", "pairs", "flagged", "CPU time",
                                           "peak memory"),
                       tablefmt="github" if args.markdown else "simple", disable_numparse=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
