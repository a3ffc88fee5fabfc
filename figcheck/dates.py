"""Dates in article text: ``On October 17``, ``said Friday``, ``earlier today`` -> a date.

(Being written; ``infer_published`` is the interface the readers use.)
"""
from __future__ import annotations

import datetime as dt


def infer_published(text: str) -> dt.date | None:
    """The latest explicit calendar date the text mentions that is not a plan or deadline."""
    return None
