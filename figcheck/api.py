"""The public Python API: thin functions that wire the modules together.

``import figcheck`` is paid by every command, ``figcheck check`` in CI among them, so the
modules a command may not need (the extractor, worker processes, the report and its
table formatter) are imported by the functions that use them.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import pandas as pd

from figcheck import dates, sources
from figcheck.article import Article
from figcheck.config import Config
from figcheck.discrepancies import find, summarize
from figcheck.quantities import assign
from figcheck.config import load as load_config  # noqa: F401  (public: figcheck.load_config)
from figcheck.config import read as read_config  # noqa: F401  (public: figcheck.read_config)

if TYPE_CHECKING:
    from figcheck import parallel
    from figcheck.cache import Cache


def extract(paths: str | Iterable[str], *, max_bytes: int | None = None,
            rule_dirs: Iterable[str] = (), config: Config | None = None,
            quantities: bool = True, cache: "Cache | str | os.PathLike | None" = None,
            keep_text: str | os.PathLike | None = None, jobs: int | None = 1,
            progress: "parallel.Progress | None" = None) -> pd.DataFrame:
    """The claims table of every article under ``paths`` (files or folders).

    Rows come in the order of the articles' ``doc`` names, whatever the order of ``paths``.
    ``rule_dirs`` are folders of the user's own rule files (aliases, units...). Files that
    cannot be read are listed in ``frame.attrs["skipped"]`` as ``"path: reason"``
    strings; the rest of the batch is still extracted. Each claim gets its ``quantity`` key
    (unless ``quantities=False``), with the settings of ``config`` (figcheck's defaults when
    None; :func:`load_config` finds a project's ``figcheck.toml``).

    ``cache`` (a path, or an open :class:`figcheck.cache.Cache`) keeps what was read and
    extracted, so that articles already seen are not read or extracted again; the table is
    the same with or without it.

    An article whose text makes a rule run past its time limit, or makes the extractor
    fail, is left out and listed in ``attrs["skipped"]`` with the reason. ``keep_text`` is
    a folder to write each article's text into, the text its claims' offsets refer to (for
    an HTML page, the text taken from it); ``attrs["texts"]`` maps each ``doc`` to its file.

    ``jobs`` processes read and extract the batch (None: one per core); the table is the
    same for any number. ``progress(done, total)`` is called as the work advances (files
    read, then articles dated by the batch and extracted in a second round).
    """
    return extract_batch(paths, max_bytes=max_bytes, rule_dirs=rule_dirs, config=config,
                         quantities=quantities, cache=cache, keep_text=keep_text, jobs=jobs,
                         progress=progress).claims


@dataclass
class Extraction:
    """What :func:`extract_batch` read: the claims table and where each article is.

    ``paths`` maps each article's ``doc`` to the file it was read from; ``cache`` is the
    cache used (its ``stats`` and ``warning``), or None.
    """

    claims: pd.DataFrame
    paths: dict[str, str]
    cache: "Cache | None" = None


def extract_batch(paths: str | Iterable[str], *, max_bytes: int | None = None,
                  rule_dirs: Iterable[str] = (), config: Config | None = None,
                  quantities: bool = True,
                  cache: "Cache | str | os.PathLike | None" = None,
                  keep_text: str | os.PathLike | None = None, jobs: int | None = 1,
                  progress: "parallel.Progress | None" = None) -> Extraction:
    """:func:`extract`, with the file of each article (for pointing at a claim's line).

    With a cache, the batch is read and its new articles extracted in this process,
    whatever ``jobs`` says (the cache reads and stores them itself).
    """
    config = config or Config()
    rule_dirs = tuple(rule_dirs) + config.rule_dirs
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if cache is None:
        from figcheck import parallel

        return _extract_streamed(list(paths), max_bytes=max_bytes, rule_dirs=rule_dirs,
                                 config=config, quantities=quantities, keep_text=keep_text,
                                 jobs=parallel.default_jobs() if jobs is None else jobs,
                                 progress=progress)
    return _extract_cached(list(paths), max_bytes=max_bytes, rule_dirs=rule_dirs, config=config,
                           quantities=quantities, cache=cache, keep_text=keep_text)


def _extract_streamed(paths: list, *, max_bytes: int | None, rule_dirs: tuple[str, ...],
                      config: Config, quantities: bool, keep_text, jobs: int,
                      progress) -> Extraction:
    from figcheck import parallel

    kwargs = {} if max_bytes is None else {"max_bytes": max_bytes}
    # The workers derive the quantity keys of the articles they extract.
    result = parallel.extract(paths, jobs=jobs, rule_dirs=rule_dirs, keep_text=keep_text,
                              progress=progress, quantities=config if quantities else None,
                              **kwargs)
    frame = result.claims
    frame.attrs.update({"skipped": result.skipped, "articles": result.articles})
    if result.texts is not None:
        frame.attrs["texts"] = result.texts
    return Extraction(claims=frame, paths=result.paths)


def _extract_cached(paths: list, *, max_bytes: int | None, rule_dirs: tuple[str, ...],
                    config: Config, quantities: bool, cache, keep_text) -> Extraction:
    from figcheck.cache import Cache

    kwargs = {} if max_bytes is None else {"max_bytes": max_bytes}
    store = Cache(cache) if isinstance(cache, (str, os.PathLike)) else cache
    try:
        batch = store.read_batch(paths, rule_dirs=rule_dirs, **kwargs)
        if any(article.published is None for article in batch.articles):
            # (when every article is dated there is nothing to fill, and the date rules,
            # a tenth of a second to compile, are not needed)
            dates.fill_missing_dates(batch.articles)
        articles = sorted(batch.articles, key=lambda a: a.doc)
        frame, timed_out = _extract_each(store.extract_articles, articles, rule_dirs)
        if keep_text is not None:
            store.load_texts(articles)
            texts = sources.write_texts(articles, keep_text)
        if quantities:
            frame = store.assign_quantities(frame, articles, config=config, rule_dirs=rule_dirs)
    finally:
        if store is not cache:
            store.close()
    attrs = {"skipped": [str(s) for s in batch.skipped] + timed_out,
             "articles": len(batch.articles) - len(timed_out)}
    if keep_text is not None:
        attrs["texts"] = texts
    frame.attrs.update(attrs)
    return Extraction(claims=frame, paths={a.doc: a.path for a in articles if a.path},
                      cache=store)


def _extract_each(extract_articles, articles: list[Article],
                  rule_dirs: tuple[str, ...]) -> tuple[pd.DataFrame, list[str]]:
    """The claims of ``articles``, and ``"where: reason"`` for each article left out.

    The batch is extracted in one call. Only when the extractor fails on some article with
    an error other than a timeout is it extracted again one article at a time, to leave
    out that article alone and go on with the others.
    """
    failed: list[str] = []

    def timed_out(article: Article, exc: Exception) -> None:
        # The message starts with the doc, which _where already names.
        reason = str(exc).removeprefix(f"{article.doc}: ")
        failed.append(f"{_where(article)}: {reason}")

    try:
        return extract_articles(articles, rule_dirs=rule_dirs, on_error=timed_out), failed
    except Exception:  # noqa: BLE001  (a bug on one article must not lose the batch)
        failed.clear()
    frames = []
    for article in articles:
        try:
            frames.append(extract_articles([article], rule_dirs=rule_dirs, on_error=timed_out))
        except Exception as exc:  # noqa: BLE001
            failed.append(f"{_where(article)}: the extractor failed on this text "
                          f"({type(exc).__name__}: {str(exc)[:120]}); please report it")
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return extract_articles([], rule_dirs=rule_dirs), failed
    return pd.concat(frames, ignore_index=True), failed


def _where(article: Article) -> str:
    from figcheck import parallel

    return parallel.where(article.doc, article.path)


def extract_text(text: str, published: str | dt.date | None = None, *, doc: str = "text",
                 source: str | None = None, rule_dirs: Iterable[str] = (),
                 config: Config | None = None, quantities: bool = True) -> pd.DataFrame:
    """The claims table of one text; ``published`` anchors relative dates (``said Friday``)."""
    if isinstance(published, str):
        published = dt.date.fromisoformat(published)
    config = config or Config()
    rule_dirs = tuple(rule_dirs) + config.rule_dirs
    from figcheck.claims import extract_articles

    article = Article(doc=doc, text=text, source=source, published=published)
    frame = extract_articles([article], rule_dirs=rule_dirs)
    if quantities:
        frame = assign_quantities(frame, config=config, rule_dirs=rule_dirs)
    return frame


def assign_quantities(claims: pd.DataFrame, *, config: Config | None = None,
                      rule_dirs: Iterable[str] = ()) -> pd.DataFrame:
    """A copy of ``claims`` with ``quantity`` and ``quantity_reason`` derived for every row.

    Keys come from the rules of ``figcheck/rules/quantities.toml`` (and ``rule_dirs``), then
    the splits, names and merges of ``config``.
    """
    return assign(claims, config=config, rule_dirs=rule_dirs)


def quantities(claims: pd.DataFrame, *, config: Config | None = None,
               discrepancies: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per quantity: claims, sources, low / best / high, first and last date, trend.

    Rows without a ``quantity`` key get one first; keys already there are kept.
    """
    return summarize(claims, discrepancies, config=config)


def discrepancies(claims: pd.DataFrame, *, config: Config | None = None) -> pd.DataFrame:
    """Pairs of claims of one quantity whose intervals do not overlap (claims-table.md).

    Copies of one claim (the same sentence, figure and claimant in several articles) count
    once: each pair names their earliest copy and how many there are.
    """
    return find(claims, config=config)


def render_report(claims: pd.DataFrame, *, discrepancies: pd.DataFrame | None = None,
                  quantities: pd.DataFrame | None = None, config: Config | None = None,
                  charts: dict[str, str] | None = None) -> str:
    """The markdown report of a claims table (as ``figcheck report`` writes it).

    ``charts`` maps quantity keys to image paths to show; :func:`write_report` draws them.
    """
    from figcheck.report import render

    return render(claims, discrepancies=discrepancies, quantities=quantities, config=config,
                  charts=charts)


def write_report(claims: pd.DataFrame, folder: str, *, config: Config | None = None) -> dict[str, str]:
    """Write ``discrepancies.md``, ``claims.csv`` and ``discrepancies.csv`` (and timeline
    charts when matplotlib is installed and ``config.charts``) into ``folder``.

    Returns what was written, by name, and ``charts_note`` when charts were not drawn.
    """
    from figcheck.report import write

    return write(claims, folder, config=config)
