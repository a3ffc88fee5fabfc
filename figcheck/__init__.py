"""figcheck: every numeric claim of a batch of news articles, in one typed pandas table."""
from __future__ import annotations

__version__ = "0.1.0"

from figcheck.api import extract, extract_text  # noqa: E402

__all__ = ["extract", "extract_text", "__version__"]
