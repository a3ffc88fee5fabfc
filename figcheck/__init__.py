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
if "numpy" not in _sys.modules and _started_as_the_program():
    _os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# The API functions ``quantities`` and ``discrepancies`` share their names with the modules
# figcheck/quantities.py and figcheck/discrepancies.py: ``figcheck.quantities`` is the
# function. Reach the modules with ``from figcheck.quantities import ...`` or importlib.
from figcheck.api import (  # noqa: E402
    assign_quantities, discrepancies, extract, extract_text, load_config, quantities,
    read_config, render_report, write_report)
from figcheck import accessor as _accessor  # noqa: E402,F401  (registers df.figcheck)

__all__ = ["extract", "extract_text", "assign_quantities", "quantities", "discrepancies",
           "render_report", "write_report", "load_config", "read_config", "__version__"]
