"""figcheck: every numeric claim of a batch of news articles, in one typed pandas table."""
from __future__ import annotations

__version__ = "0.1.0"

# The API functions ``quantities`` and ``discrepancies`` share their names with the modules
# figcheck/quantities.py and figcheck/discrepancies.py: ``figcheck.quantities`` is the
# function. Reach the modules with ``from figcheck.quantities import ...`` or importlib.
from figcheck.api import (  # noqa: E402
    assign_quantities, discrepancies, extract, extract_text, load_config, quantities,
    read_config, render_report, write_report)
from figcheck import accessor as _accessor  # noqa: E402,F401  (registers df.figcheck)

__all__ = ["extract", "extract_text", "assign_quantities", "quantities", "discrepancies",
           "render_report", "write_report", "load_config", "read_config", "__version__"]
