"""The public Python API: thin functions that wire the modules together."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

import pandas as pd

from figcheck import claims, dates, sources
from figcheck.article import Article


def extract(paths: str | Iterable[str], *, max_bytes: int | None = None) -> pd.DataFrame:
    """The claims table of every article under ``paths`` (files or folders).

    Files that cannot be read are listed in ``frame.attrs["skipped"]`` as
    ``"path: reason"`` strings; the rest of the batch is still extracted.
    """
    if isinstance(paths, str):
        paths = [paths]
    kwargs = {} if max_bytes is None else {"max_bytes": max_bytes}
    batch = sources.read_batch(list(paths), **kwargs)
    dates.fill_missing_dates(batch.articles)
    frame = claims.extract_articles(batch.articles)
    frame.attrs["skipped"] = [str(s) for s in batch.skipped]
    frame.attrs["articles"] = len(batch.articles)
    return frame


def extract_text(text: str, published: str | dt.date | None = None, *, doc: str = "text",
                 source: str | None = None) -> pd.DataFrame:
    """The claims table of one text; ``published`` anchors relative dates (``said Friday``)."""
    if isinstance(published, str):
        published = dt.date.fromisoformat(published)
    article = Article(doc=doc, text=text, source=source, published=published)
    return claims.extract_articles([article])
