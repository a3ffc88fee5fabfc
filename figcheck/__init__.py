"""figcheck: every numeric claim of a batch of news articles, in one typed pandas table."""
from __future__ import annotations

import os as _os
import sys as _sys

__version__ = "0.1.0"


def _started_as_the_program() -> bool:
    """Whether this import is the start of the ``figcheck`` program: ``python -m figcheck``
    (``sys.argv[0]`` is ``-m`` while the module is located) or the installed command."""
    first = _sys.argv[0] if _sys.argv else ""
    command = _os.path.basename(first).lower().removesuffix(".exe").removesuffix("-script.py")
    return first == "-m" or (command == "figcheck" and getattr(
        _sys.modules.get("__main__"), "__file__", None) == first)


# NumPy's OpenBLAS starts a thread per core when it is loaded, which spins for about a
# tenth of a second of CPU time waiting for work; figcheck does no linear algebra. The
# program runs with one (unless its caller says otherwise, and so do its workers, which
# inherit it); a notebook that imports figcheck keeps its own.
_program = _started_as_the_program()
if "numpy" not in _sys.modules and _program:
    _os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Arrow's own allocator (mimalloc) keeps the pages it frees for its next allocations, and
# a report alternates between Arrow's allocations and Python's: the program's peak memory
# is a fifth to a third lower with the C library's (10,000 articles: 253 against 179 MiB;
# 30,000: 314 against 265). Read once, when pyarrow loads; workers inherit it.
if "pyarrow" not in _sys.modules and _program:
    _os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

# Importing pandas makes about 200,000 objects that live as long as the program, and the
# cyclic collector walks them again and again while they are made, and at every full
# collection after: a tenth of the imports' time in a `figcheck check` of a cached batch.
# The program makes them with the collector paused, then moves them out of its reach
# (gc.freeze). A notebook's or a library's import leaves the collector as it is.
if _program:
    import gc as _gc

    _collecting = _gc.isenabled()
    _gc.disable()

# The API functions ``quantities`` and ``discrepancies`` share their names with the modules
# figcheck/quantities.py and figcheck/discrepancies.py: ``figcheck.quantities`` is the
# function. Reach the modules with ``from figcheck.quantities import ...`` or importlib.
try:
    from figcheck.api import (  # noqa: E402
        assign_quantities, discrepancies, extract, extract_text, load_config, quantities,
        read_config, render_report, write_report)
    from figcheck import accessor as _accessor  # noqa: E402,F401  (registers df.figcheck)
finally:
    if _program:
        _gc.freeze()
        # What the program makes after this (a batch's articles and claims) mostly lives to
        # its end too: young objects are collected every 100,000 allocations, not every
        # 700, as mypy does. A check of a cached batch spent 20 ms in 21 such collections.
        _gc.set_threshold(100_000, 10, 10)
        if _collecting:
            _gc.enable()

__all__ = ["extract", "extract_text", "assign_quantities", "quantities", "discrepancies",
           "render_report", "write_report", "load_config", "read_config", "__version__"]
