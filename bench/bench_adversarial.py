"""Benchmark: hostile articles end to end, each within a time limit on one core.

Each input is written to a file and read as ``figcheck claims`` reads a batch
(``figcheck.extract``: decoding, header lines, outlet and date inference, extraction,
quantity keys), each in a process of its own pinned to one core, killed if it runs past
``--kill`` seconds (a hang is a result, not the end of the benchmark). An article that
figcheck reports as too slow and skips is a pass: what must not happen is a run longer than
the limit (5 s), or an exception.

    .venv/bin/python bench/bench_adversarial.py               # every input, a plain table
    .venv/bin/python bench/bench_adversarial.py --markdown    # for the README
    .venv/bin/python bench/bench_adversarial.py --only nested --profile   # cProfile top functions

Exit code 1 when an input is over the limit or raised.
"""
from __future__ import annotations

import argparse
import cProfile
import io as _io
import os
import platform
import pstats
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from tabulate import tabulate

import checkout  # noqa: E402,F401  (first: figcheck from this checkout)

import figcheck  # noqa: E402
from figcheck import page_process, rules  # noqa: E402

MB = 1_000_000
LIMIT_SECONDS = 5.0


def _digits_and_commas(size: int) -> str:
    """One line of digit groups of random length joined by commas (seeded, the same every run)."""
    rng = random.Random(5)
    parts, total = [], 0
    while total < size:
        part = str(rng.randrange(10 ** rng.randrange(1, 8)))
        parts.append(part)
        total += len(part) + 1
    return ",".join(parts)[:size]


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


#: name → (what it is, a function giving the text). The first three are the issue's.
INPUTS: dict[str, tuple[str, Callable[[], str]]] = {
    "digits-commas": ("a 5 MB line of digits and commas", lambda: _digits_and_commas(5 * MB)),
    "nested": ("100,000 nested parentheses around a figure",
               lambda: "(" * 100_000 + "Officials said 400 troops left." + ")" * 100_000),
    "ones": ("a megabyte of 1,1,1,...", lambda: _repeat("1,", MB)),
    "digits": ("a 5 MB run of one digit", lambda: "9" * (5 * MB)),
    "commas": ("a million commas", lambda: "," * MB),
    "grouped": ("a megabyte of 1,000,000,000,... (one endless figure)", lambda: "1" + _repeat(",000", MB)),
    "decimals": ("a megabyte of 1.1.1.1...", lambda: _repeat("1.", MB)),
    "spaced": ("a megabyte of 1 1 1 ... (thousands separators?)", lambda: _repeat("1 ", MB)),
    "table-row": ("4 KB of 1 1 1 ... (a table's row of 2,000 small figures)", lambda: _repeat("1 ", 4_000)),
    "space-groups": ("a megabyte of 11 000 000... (groups of plain spaces)", lambda: "11" + _repeat(" 000", MB)),
    "nbsp": ("a megabyte of 11\u00a0000\u00a0000... with non-breaking spaces", lambda: "11" + _repeat("\u00a0000", MB)),
    "dashes": ("a megabyte of 10\u201312\u201314... (ranges of ranges)", lambda: _repeat("10\u2013", MB)),
    "brackets": ("100,000 mixed nested brackets with figures", lambda: "".join(
        "([{"[i % 3] + f"{i} " for i in range(100_000)) + "".join("}])"[i % 3] for i in range(100_000))),
    "long-line": ("a 5 MB line of news sentences without a full stop",
                  lambda: _repeat("officials said about 11,000 troops and at least 300 people, ", 5 * MB)),
    "sentences": ("5 MB of short news sentences",
                  lambda: _repeat("Officials said about 11,000 troops had arrived. ", 5 * MB)),
    "words": ("a megabyte of one word without spaces", lambda: "a" * MB),
    "qualifiers": ("a megabyte of qualifiers before one figure",
                   lambda: _repeat("more than about nearly up to ", MB) + "5 troops"),
    "quotes": ("a megabyte of unbalanced quotation marks and figures", lambda: _repeat("\u201c5 \"", MB)),
    "lines": ("a megabyte of newlines and digits", lambda: _repeat("1\n", MB)),
    "markdown": ("a megabyte of table rows", lambda: _repeat("| 1 | 2 |\n", MB)),
    # HTML pages (the html extra): trafilatura's time grows with the square of the elements,
    # inside lxml calls; large pages are read in a child process the kernel stops.
    "html-nested": ("an HTML page of 100,000 nested <div>s", lambda: "<html><body>" + "<div>" * 100_000
                    + "<p>Officials said 400 troops left.</p>" + "</div>" * 100_000 + "</body></html>"),
    "html-large": ("a 5 MB HTML page of news paragraphs", lambda: "<html><body><article>" + "".join(
        f"<p>Officials said about {i:,} troops had arrived, the ministry said on day {i}.</p>\n"
        for i in range(5 * MB // 85)) + "</article></body></html>"),
    "html-list": ("an HTML page of a list of 40,000 items", lambda: "<html><body><article><ul>" + "".join(
        f"<li>Officials said about {i:,} troops had arrived on day {i}.</li>\n"
        for i in range(40_000)) + "</ul></article></body></html>"),
    "html-spans": ("an HTML page of 40,000 <span>s in one paragraph", lambda: "<html><body><article><p>" + "".join(
        f"<span>Officials said about {i:,} troops had arrived on day {i}.</span>\n"
        for i in range(40_000)) + "</p></article></body></html>"),
}


def run(name: str, text: str, folder: Path, dated: bool = False) -> dict:
    path = folder / (f"{name}.html" if name.startswith("html-") else f"{name}.txt")
    if dated and not name.startswith("html-"):
        text = " date 2024-10-22\n\n" + text  # a stated date: no date inference
    path.write_text(text, encoding="utf-8")
    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    error = None
    try:
        frame = figcheck.extract(str(path), max_bytes=20 * MB)
    except Exception as exc:  # noqa: BLE001  (a failure is a result here)
        frame, error = None, f"{type(exc).__name__}: {exc}"[:80]
    # A large page is read in a child process: its CPU time counts once the child has
    # ended and been waited for.
    page_process.stop()
    cpu = time.process_time() - cpu + _children_cpu() - children
    wall = time.perf_counter() - wall
    skipped = frame.attrs["skipped"] if frame is not None else []
    outcome = error or (skipped[0].split(": ", 1)[1][:60] if skipped else "read")
    return {"input": name, "characters": len(text), "claims": 0 if frame is None else len(frame),
            "outcome": outcome, "cpu": cpu, "wall": wall,
            "ok": error is None and max(cpu, wall) <= LIMIT_SECONDS}


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def short(outcome: str) -> str:
    """The outcome in a few words, for the table."""
    if "more than 2 s" in outcome:  # of CPU time (the timer), or on N places (between figures)
        return "skipped: the extractor's 2 s per article"
    if "regex timed out" in outcome:
        return "skipped: a pattern's 1 s"
    if "looking for its outlet or date" in outcome:
        return "skipped: outlet and date, 1 s"
    if "taking the text from the page" in outcome:
        return "skipped: the page's 3 s"
    return outcome[:40]


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"one, pinned to CPU {core}"
    return "one (not pinned: no sched_setaffinity here)"


def child(name: str, profile: bool, dated: bool) -> int:
    """Run one input in this process and print its result as JSON on the last line."""
    pin_to_one_core()
    figcheck.extract_text("Officials said 400 troops left.")  # compile the rules first
    text = INPUTS[name][1]()
    with tempfile.TemporaryDirectory() as tmp:
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
        row = run(name, text, Path(tmp), dated)
        if profile:
            profiler.disable()
            out = _io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
            print(f"--- {name}: top functions by own time\n" + out.getvalue())
    print(json.dumps(row))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(INPUTS), help="run only these inputs")
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--profile", action="store_true",
                        help="print the top functions of a cProfile of each input")
    parser.add_argument("--kill", type=float, default=120.0,
                        help="kill an input's process after this many seconds (120)")
    parser.add_argument("--dated", action="store_true",
                        help="give each text file a date line, so that no date is inferred "
                             "(times the extractor rather than the reader's date inference)")
    parser.add_argument("--child", choices=sorted(INPUTS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.profile, args.dated)
    rows = []
    for name in args.only or INPUTS:
        command = [sys.executable, __file__, "--child", name] + (["--profile"] if args.profile else []) \
            + (["--dated"] if args.dated else [])
        started = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=args.kill)
        except subprocess.TimeoutExpired:
            row = {"input": name, "characters": len(INPUTS[name][1]()), "claims": 0,
                   "outcome": f"HANG: killed after {args.kill:g} s", "cpu": float("nan"),
                   "wall": time.perf_counter() - started, "ok": False}
        else:
            lines = done.stdout.strip().splitlines()
            if done.returncode != 0 or not lines:
                row = {"input": name, "characters": len(INPUTS[name][1]()), "claims": 0,
                       "outcome": f"crashed: {done.stderr.strip().splitlines()[-1:]}",
                       "cpu": float("nan"), "wall": time.perf_counter() - started, "ok": False}
            else:
                if args.profile:
                    print("\n".join(lines[:-1]))
                row = json.loads(lines[-1])
        rows.append(row)
        print(f"{name:14} {row['cpu']:7.2f} s CPU {row['wall']:7.2f} s wall  "
              f"{row['claims']:>7,} claims  {row['outcome']}", file=sys.stderr, flush=True)
    table = [[r["input"], INPUTS[r["input"]][0], f"{r['characters']:,}", f"{r['claims']:,}",
              short(r["outcome"]), f"{r['cpu']:.2f} s", f"{r['wall']:.2f} s", "yes" if r["ok"] else "NO"]
             for r in rows]
    headers = ["input", "what", "characters", "claims", "outcome", "CPU time", "wall time",
               f"within {LIMIT_SECONDS:g} s"]
    print(tabulate(table, headers=headers, tablefmt="github" if args.markdown else "simple",
                   disable_numparse=True))
    print(f"\neach input in its own process, on one core (pinned); times are of figcheck.extract "
          f"on the file, after the rules are compiled; pattern time limit "
          f"{rules.REGEX_TIMEOUT_SECONDS:g} s; Python {platform.python_version()}; "
          f"{platform.system()} {platform.machine()}")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
