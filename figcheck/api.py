"""The public Python API: thin functions that wire the modules together."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

import pandas as pd

from figcheck import claims, dates, sources
from figcheck.article import Article


def extract(paths: str | Iterable[str], *, max_bytes: int | None = None,
            rule_dirs: Iterable[str] = ()) -> pd.DataFrame:
    """The claims table of every article under ``paths`` (files or folders).

    Rows come in the order of the articles' ``doc`` names, whatever the order of ``paths``.
    ``rule_dirs`` are folders of the user's own rule files (aliases, units...). Files that
    cannot be read are listed in ``frame.attrs["skipped"]`` as ``"path: reason"``
    strings; the rest of the batch is still extracted.
    """
    if isinstance(paths, str):
        paths = [paths]
    kwargs = {} if max_bytes is None else {"max_bytes": max_bytes}
    batch = sources.read_batch(list(paths), **kwargs)
    dates.fill_missing_dates(batch.articles)
    articles = sorted(batch.articles, key=lambda a: a.doc)
    timed_out: list[str] = []
    frame = claims.extract_articles(
        articles, rule_dirs=rule_dirs,
        on_error=lambda article, exc: timed_out.append(f"{article.path or article.doc}: {exc}"))
    frame.attrs["skipped"] = [str(s) for s in batch.skipped] + timed_out
    frame.attrs["articles"] = len(batch.articles) - len(timed_out)
    return frame


def extract_text(text: str, published: str | dt.date | None = None, *, doc: str = "text",
                 source: str | None = None, rule_dirs: Iterable[str] = ()) -> pd.DataFrame:
    """The claims table of one text; ``published`` anchors relative dates (``said Friday``)."""
    if isinstance(published, str):
        published = dt.date.fromisoformat(published)
    article = Article(doc=doc, text=text, source=source, published=published)
    return claims.extract_articles([article], rule_dirs=rule_dirs)
