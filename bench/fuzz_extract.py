"""Nightly fuzzing: the property tests of ``tests/test_fuzz.py`` with many more examples.

    .venv/bin/python bench/fuzz_extract.py                  # 100,000 examples per property
    .venv/bin/python bench/fuzz_extract.py --examples 5000  # a quicker run

Runs pytest on ``tests/test_fuzz.py`` with ``FIGCHECK_FUZZ_EXAMPLES`` set (and a random
seed, unlike the normal test run, which is derandomized), then prints how many examples
each property ran, as the test module counts them. Exit code: pytest's.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent

# Printed by a pytest hook in the child, after the tests, from test_fuzz.RUNS.
_REPORTER = """
import pytest, test_fuzz
def pytest_unconfigure(config):
    for name, count in sorted(test_fuzz.RUNS.items()):
        print(f"FUZZ-COUNT {name} {count}")
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000,
                        help="examples per property (100,000); the extract_text property runs 1/20 of them")
    args = parser.parse_args(argv)
    env = {**os.environ, "FIGCHECK_FUZZ_EXAMPLES": str(args.examples)}
    plugin_dir = REPOSITORY / ".figcheck"
    plugin_dir.mkdir(exist_ok=True)
    (plugin_dir / "fuzz_counts.py").write_text(_REPORTER, encoding="utf-8")
    env["PYTHONPATH"] = os.pathsep.join([str(plugin_dir), str(REPOSITORY / "tests"),
                                         env.get("PYTHONPATH", "")])
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "tests/test_fuzz.py", "-q", "-p",
                           "fuzz_counts", "-p", "no:cacheprovider"],
                          cwd=REPOSITORY, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    counts = {}
    for line in done.stdout.splitlines():
        if line.startswith("FUZZ-COUNT "):
            _, name, count = line.split()
            counts[name] = int(count)
        else:
            print(line)
    print(f"\nexamples run, per property ({args.examples:,} asked; {elapsed:.0f} s in all):")
    for name, count in counts.items():
        print(f"  {name:14} {count:>9,}")
    print(f"  {'total':14} {sum(counts.values()):>9,}")
    if done.stderr.strip():
        print(done.stderr, file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
