"""Dask as the engine beyond one machine (the ``dask`` extra: ``pip install 'figcheck[dask]'``).

The batch is cut and extracted as :mod:`figcheck.parallel` does it on one machine, the
chunks sent to the workers of a Dask cluster instead of local processes: the same two
rounds, the same reading and extraction functions, so the same claims. The claims stay on
the workers, as the partitions of a Dask DataFrame with the columns and dtypes of
:data:`figcheck.schema.CLAIMS`; only each article's doc, file and date come back to the
client, to make the docs unique and date the undated articles over the whole batch.

The workers read the article files by the paths given, so the paths must be the same on
every worker (a local cluster, or a shared file system).

Partitions hold whole articles, each in reading order; the table of
:func:`figcheck.extract` is the same rows sorted by ``doc`` (a stable sort keeps each
article's rows in their order): :func:`to_pandas` gives it. ::

    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2) as cluster, Client(cluster) as client:
        claims = figcheck.dask.extract("articles/", client=client)
        claims.to_parquet("claims.parquet/")
    table = figcheck.dask.read_parquet("claims.parquet/")
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import pandas as pd

from figcheck import parallel, schema, sources
from figcheck.config import Config

DASK_EXTRA = "pip install 'figcheck[dask]'"


def _modules():
    try:
        import dask.dataframe as dd
        import distributed
    except ImportError as exc:
        raise ImportError(f"the Dask engine needs dask and distributed: {DASK_EXTRA} "
                          f"({exc})") from None
    return dd, distributed


@dataclass
class Extraction:
    """The claims as a Dask DataFrame, with what :func:`figcheck.extract` puts in its
    ``attrs``: the files and articles skipped with their reasons, and the articles read."""

    claims: "dd.DataFrame"  # noqa: F821  (dask.dataframe, imported when used)
    skipped: list[str]
    articles: int


def extract(paths: str | os.PathLike | Iterable[str | os.PathLike], *, client=None,
            max_bytes: int = sources.DEFAULT_MAX_BYTES, rule_dirs: Sequence[str] = (),
            config: Config | None = None, quantities: bool = True):
    """The claims table of every article under ``paths`` as a Dask DataFrame.

    ``client`` is a ``distributed.Client`` (default: the current one). A Dask frame has
    no ``attrs``: :func:`extract_batch` gives the skipped files beside it.
    """
    return extract_batch(paths, client=client, max_bytes=max_bytes, rule_dirs=rule_dirs,
                         config=config, quantities=quantities).claims


def extract_batch(paths: str | os.PathLike | Iterable[str | os.PathLike], *, client=None,
                  max_bytes: int = sources.DEFAULT_MAX_BYTES, rule_dirs: Sequence[str] = (),
                  config: Config | None = None, quantities: bool = True) -> Extraction:
    """:func:`extract`, with the skipped files and the number of articles beside the frame.

    The first round runs, and the second is planned, before this returns (the client needs
    every article's doc and date for that); the claims are computed when the frame is.
    With ``quantities``, each partition's claims get their quantity keys, which depend on
    the claims of their own article only (as the cache relies on too).
    """
    dd, distributed = _modules()
    client = client or distributed.get_client()
    config = config or Config()
    rule_dirs = tuple(rule_dirs) + config.rule_dirs
    chunks = parallel._chunks(list(sources.list_files(paths)), max_bytes)
    batch = parallel._Batch()
    reads = client.map(parallel._read_chunk,
                       [parallel._Read(chunk, max_bytes, rule_dirs, None, text_wanted=False)
                        for chunk in chunks], pure=False)
    # Only each article's line comes back; its claims stay where they were made.
    for number, read in enumerate(client.gather(client.map(_without_claims, reads, pure=False))):
        batch.take_first_round(read, chunk_number=number)
    redo = batch.plan_second_round(keep_text=False)
    dropped: dict[int, list[tuple[int, int]]] = {}
    for again in redo:
        entry = batch.entries[again.position]
        if entry.rows:
            dropped.setdefault(entry.part, []).append((entry.first, entry.rows))
    proxies = batch.dated_stand_ins()
    redos = client.map(parallel._redo_chunk, [
        parallel._Redo(redo[i:i + parallel.CHUNK_ARTICLES], proxies, max_bytes, rule_dirs, None)
        for i in range(0, len(redo), parallel.CHUNK_ARTICLES)], pure=False)
    failures = client.gather(client.map(_failures, redos, pure=False))
    for done in failures:
        batch.take_second_round(done)
    outcome = batch.outcome(keep_text=None)
    parts = [client.submit(_kept_claims, read, dropped.get(number, []), pure=False)
             for number, read in enumerate(reads)]
    parts += [client.submit(_claims_of, done, pure=False) for done in redos]
    meta = schema.from_records([], schema.CLAIMS)
    if not parts:
        frame = dd.from_pandas(meta, npartitions=1)
    else:
        frame = dd.from_delayed(parts, meta=meta, verify_meta=False)
    if quantities:
        from figcheck.quantities import assign

        frame = frame.map_partitions(assign, config=config, rule_dirs=rule_dirs, meta=meta)
    return Extraction(claims=frame, skipped=outcome.skipped, articles=outcome.articles)


def to_pandas(frame) -> pd.DataFrame:
    """The claims of a Dask frame made by :func:`extract` (or read back from its Parquet
    dataset) as :func:`figcheck.extract` gives them: in the order of the docs, conformed."""
    table = frame.compute() if hasattr(frame, "compute") else frame
    return _in_doc_order(table)


def read_parquet(folder: str | os.PathLike) -> pd.DataFrame:
    """A claims dataset written by ``frame.to_parquet(folder)``, as :func:`to_pandas` gives it."""
    return _in_doc_order(pd.read_parquet(os.fspath(folder)))


def _in_doc_order(table: pd.DataFrame) -> pd.DataFrame:
    table = schema.conform(table.reset_index(drop=True), schema.CLAIMS)
    order = sorted(range(len(table)), key=table["doc"].tolist().__getitem__)  # stable
    return table.take(order).reset_index(drop=True)


@contextlib.contextmanager
def client_for(scheduler: str | None, workers: int | None = None) -> Iterator:
    """A client of the cluster at ``scheduler``, or of a local cluster of ``workers``
    processes (one per core by default) made for the block and closed after it."""
    _dd, distributed = _modules()
    if scheduler:
        with distributed.Client(scheduler) as client:
            yield client
        return
    workers = workers or parallel.default_jobs()
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def report_claims(paths: Sequence[str], folder: str | os.PathLike, *, scheduler: str | None = None,
                  workers: int | None = None, max_bytes: int | None = None,
                  rule_dirs: Sequence[str] = (), config: Config | None = None) -> pd.DataFrame:
    """What ``figcheck report --engine dask`` reports on: the claims computed on the
    cluster and written as a Parquet dataset, ``folder/claims.parquet/``, then read back
    into pandas in the table's order, with quantity keys, as :func:`figcheck.extract`
    gives them (``attrs`` included)."""
    from figcheck.api import assign_quantities

    config = config or Config()
    dataset = os.path.join(os.fspath(folder), "claims.parquet")
    kwargs = {} if max_bytes is None else {"max_bytes": max_bytes}
    with client_for(scheduler, workers) as client:
        extraction = extract_batch(list(paths), client=client, rule_dirs=rule_dirs,
                                   config=config, quantities=False, **kwargs)
        os.makedirs(os.fspath(folder), exist_ok=True)
        extraction.claims.to_parquet(dataset, write_index=False, overwrite=True)
    table = assign_quantities(read_parquet(dataset), config=config,
                              rule_dirs=tuple(rule_dirs) + config.rule_dirs)
    table.attrs.update({"skipped": extraction.skipped, "articles": extraction.articles})
    return table


# --- run on the workers ----------------------------------------------------------------------

def _without_claims(read: parallel._ReadDone) -> parallel._ReadDone:
    return parallel._ReadDone(read.files, read.items, read.claims.iloc[:0])


def _failures(done: parallel._RedoDone) -> parallel._RedoDone:
    return parallel._RedoDone(done.articles, done.claims.iloc[:0])


def _kept_claims(read: parallel._ReadDone, dropped: list[tuple[int, int]]) -> pd.DataFrame:
    """A chunk's claims without those of its articles extracted again in the second round."""
    if not dropped:
        return read.claims
    drop = {row for first, rows in dropped for row in range(first, first + rows)}
    keep = [row for row in range(len(read.claims)) if row not in drop]
    return read.claims.take(keep).reset_index(drop=True)


def _claims_of(done: parallel._RedoDone) -> pd.DataFrame:
    return done.claims
