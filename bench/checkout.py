"""The figcheck the benches measure: importing this module first makes ``import figcheck``
work from a checkout that is not installed (the installed package wins when there is one).

The benches are run as scripts (``python bench/bench_extract.py``), so this folder is on
``sys.path`` and they import each other by name.
"""
from __future__ import annotations

import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent

try:
    import figcheck  # noqa: F401
except ImportError:  # run from a checkout that is not installed
    sys.path.insert(0, str(REPOSITORY))
