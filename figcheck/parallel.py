"""A batch read and extracted over several processes, streamed, with the serial result.

:func:`extract` gives what reading the whole batch (:func:`figcheck.sources.read_batch`),
dating its undated articles (:func:`figcheck.dates.fill_missing_dates`) and extracting it
(:func:`figcheck.claims.extract_articles`) gives, byte for byte, whatever the number of
processes, without ever holding the batch's texts:

1. The files are listed (paths only) and sent to the workers in chunks, a few chunks
   ahead; each worker builds its engine once, reads its chunk's files one article at a
   time and extracts every article that has a publication date, and sends back the claims
   and a line per article (doc, file, date). The parent takes the chunks back in order.
2. Two things depend on the whole batch: a ``doc`` used twice gets ``#2`` (which changes
   the second article's claim ids), and an article without a date takes its year from
   the dates of the others. Once every chunk is back, the parent renames the docs as a
   batch does and sums the batch's dates up; the articles concerned (usually none, or
   the undated ones) are extracted in a second round, their text kept from the first
   round within :data:`DEFERRED_TEXT_BUDGET` characters, read again past it.
3. The claims are put in the order of the articles' docs, as the serial table is.

With ``jobs=1`` the same steps run in this process, without workers. Workers are
processes (``forkserver`` where there is one, else ``spawn``), not threads: the engine
keeps an article's state on itself, and the work is pure Python.
"""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import multiprocessing
import os
import signal
from collections import Counter, deque
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

import pandas as pd

from figcheck import claims, dates, limits, pattern_store, schema, sources
from figcheck.article import Article, Skipped
from figcheck.config import Config

#: Files sent to a worker at once: enough to pay for the round trip and for what each
#: chunk costs whatever its size (its claims table, their quantity keys, the pickling:
#: 0.2 ms an article in chunks of 48, 0.1 ms in chunks of 192), few enough that the parent
#: holds only a few chunks' claims in flight and a progress bar moves (a chunk is about
#: half a second of a worker's time).
CHUNK_FILES = 192
#: A JSONL file is cut into parts of about this many bytes, each a chunk of its own, so
#: that one large file is shared by the workers too.
JSONL_PART_BYTES = 1_000_000
#: Articles of the second round sent to a worker at once.
CHUNK_ARTICLES = 192
#: Chunks in flight per worker: keeps every worker busy while the parent takes results.
AHEAD_PER_JOB = 3
#: Characters of undated articles' text the parent keeps from the first round for the
#: second; past it, those articles are read again from their files.
DEFERRED_TEXT_BUDGET = 32_000_000

#: ``progress(done, total)``: units of work done (a file read in the first round, an
#: article extracted in the second) and known so far.
Progress = Callable[[int, int], None]


def default_jobs() -> int:
    """The cores this process may run on (``len(os.sched_getaffinity(0))`` where there is
    such a call, else the machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


@dataclass
class Result:
    """What :func:`extract` gives: the claims table (no quantity keys yet), the files and
    articles that were skipped with their reasons (as ``"where: reason"``, in the order a
    serial run lists them), the number of articles extracted, each doc's file, and the
    kept texts' files when ``keep_text`` was given."""

    claims: pd.DataFrame
    skipped: list[str]
    articles: int
    paths: dict[str, str]
    texts: dict[str, str] | None = None


def extract(paths: str | os.PathLike | Iterable[str | os.PathLike], *, jobs: int = 1,
            max_bytes: int = sources.DEFAULT_MAX_BYTES, rule_dirs: Sequence[str] = (),
            keep_text: str | os.PathLike | None = None,
            progress: Progress | None = None, quantities: Config | None = None) -> Result:
    """Read and extract every article under ``paths`` with ``jobs`` processes.

    The result does not depend on ``jobs``. Files that cannot be read, and articles on
    which the extractor fails or runs past its time limit, are listed in
    :attr:`Result.skipped`; the rest of the batch is still extracted. ``keep_text`` is a
    folder to write each article's text into (:func:`figcheck.sources.write_texts`).

    With ``quantities`` (settings), the claims come with their quantity keys, those
    :func:`figcheck.quantities.assign` gives the whole table with these settings and
    ``rule_dirs``: a claim's key depends on its own article's claims only, so the workers
    derive the keys of the articles they extract.
    """
    rule_dirs = tuple(rule_dirs)
    keep = os.fspath(keep_text) if keep_text is not None else None
    # Files (and parts of JSONL files) to read: their number grows as they are listed.
    ticker = _Ticker(progress, 0)
    listing = _Listing(_chunked(sources.list_files(paths), max_bytes), ticker)
    # The first chunks are sent as soon as they are listed; the rest of the folders are
    # walked while the parent waits for the workers.
    with _Workers(jobs, rule_dirs, wanted=listing.ahead(max(jobs, 1))) as workers:
        batch = _Batch()
        tasks = (_Read(chunk, max_bytes, rule_dirs, keep, text_wanted=True, quantities=quantities)
                 for chunk in listing)
        for number, read in enumerate(workers.run(_read_chunk, tasks, _lost_chunk,
                                                  idle=listing.step)):
            batch.take_first_round(read, chunk_number=number)
            ticker.advance(read.files)
        redo = batch.plan_second_round(keep is not None)
        ticker.grow(len(redo))
        proxies = batch.dated_stand_ins()
        tasks = (_Redo(redo[i:i + CHUNK_ARTICLES], proxies, max_bytes, rule_dirs, keep,
                       quantities=quantities)
                 for i in range(0, len(redo), CHUNK_ARTICLES))
        for done in workers.run(_redo_chunk, tasks, _lost_redo):
            batch.take_second_round(done)
            ticker.advance(len(done.articles))
    return batch.result(keep)


def where(doc: str, path: str | None) -> str:
    """The file of an article, with the article's doc when the file holds several (JSONL)."""
    if path is None:
        return doc
    if doc.rpartition("/")[2] == os.path.basename(path):
        return path
    return f"{path} ({doc})"


# --- what travels between the parent and the workers -------------------------------------

@dataclass
class _Read:
    """First round: read these files (and pass these skipped paths through, in place)."""

    items: list[sources.ArticleFile | Skipped]
    max_bytes: int
    rule_dirs: tuple[str, ...]
    keep_text: str | None
    #: Send undated articles back whole (their text kept for the second round).
    text_wanted: bool
    #: Settings to derive the claims' quantity keys with, or None: no keys.
    quantities: Config | None = None


@dataclass
class _Seen:
    """An article as the first round read it (and extracted it, unless ``deferred``)."""

    file: sources.ArticleFile
    number: int                   # its line in a JSONL file, else 0
    doc: str
    published: dt.date | None
    rows: int                     # its rows in the chunk's claims
    failure: str | None           # why the extractor left it out
    deferred: bool                # undated: extracted once the batch has dated it
    article: Article | None = None  # a deferred article with its text, when sent whole


@dataclass
class _ReadDone:
    files: int
    items: list[_Seen | Skipped]
    claims: pd.DataFrame


@dataclass
class _Again:
    """Second round: one article to extract (or whose text to write) again."""

    position: int                 # in the batch's reading order
    file: sources.ArticleFile
    number: int
    doc: str                      # its doc in the batch
    article: Article | None       # its text from the first round, or None: read again
    fill_date: bool
    extract: bool
    write_text: bool


@dataclass
class _Redo:
    articles: list[_Again]
    dated: list[Article]          # stand-ins for the batch's dated articles
    max_bytes: int
    rule_dirs: tuple[str, ...]
    keep_text: str | None
    quantities: Config | None = None


@dataclass
class _RedoDone:
    articles: list[tuple[int, int, str | None]]  # (position, rows, failure)
    claims: pd.DataFrame


# --- the workers' side -----------------------------------------------------------------------

def _start_worker(rule_dirs: tuple[str, ...]) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    claims.engine(rule_dirs)  # built once per worker, not per chunk


def _read_chunk(task: _Read) -> _ReadDone:
    engine = claims.engine(task.rule_dirs)
    items: list[_Seen | Skipped] = []
    rows: list[dict] = []
    files = 0
    counts: list[tuple[str, int]] = []  # (doc, rows) of each article extracted
    with limits.hold():  # the CPU timer's handler, once for the chunk
        for item in task.items:
            if isinstance(item, Skipped):
                items.append(item)
                continue
            files += 1
            for number, found in sources.read_file(item, task.max_bytes):
                if isinstance(found, Skipped):
                    items.append(found)
                    continue
                if task.keep_text is not None:
                    _write_text(found, task.keep_text)
                if found.published is None:
                    items.append(_Seen(item, number, found.doc, None, 0, None, deferred=True,
                                       article=found if task.text_wanted else None))
                    continue
                article_rows, failure = _extract_one(engine, found)
                rows.extend(article_rows)
                counts.append((found.doc, len(article_rows)))
                items.append(_Seen(item, number, found.doc, found.published, len(article_rows),
                                   failure, deferred=False))
    pattern_store.store.save()  # (the patterns the chunk compiled, for the next run)
    return _ReadDone(files, items, _claims_frame(rows, counts, task))


def _redo_chunk(task: _Redo) -> _RedoDone:
    engine = claims.engine(task.rule_dirs)
    articles: list[tuple[_Again, Article | None, str | None]] = []
    for again in task.articles:
        article, failure = again.article, None
        if article is None:
            article, failure = _read_again(again, task.max_bytes)
        if article is not None:
            article.doc = again.doc
        articles.append((again, article, failure))
    undated = [article for again, article, _ in articles if again.fill_date and article is not None]
    if undated:
        # The real function over stand-ins for the batch's dated articles (see
        # _Batch.dated_stand_ins): the year an undated article gets is the serial one.
        dates.fill_missing_dates(task.dated + undated)
    done: list[tuple[int, int, str | None]] = []
    rows: list[dict] = []
    counts: list[tuple[str, int]] = []
    with limits.hold():
        for again, article, failure in articles:
            count = 0
            if article is not None:
                if again.write_text and task.keep_text is not None:
                    _write_text(article, task.keep_text)
                if again.extract:
                    article_rows, failure = _extract_one(engine, article)
                    rows.extend(article_rows)
                    count = len(article_rows)
                    counts.append((article.doc, count))
            done.append((again.position, count, failure))
    pattern_store.store.save()
    return _RedoDone(done, _claims_frame(rows, counts, task))


def _claims_frame(rows: list[dict], counts: list[tuple[str, int]], task: "_Read | _Redo"):
    """A chunk's claims table, with their quantity keys when the task asks for them.

    A key depends on the claims of its article only, known to the engine by their doc; so
    the chunk's keys are derived in one call, unless two of its articles share a doc (the
    second is renamed and extracted again in the second round, but the first keeps these
    rows): then article by article."""
    frame = schema.from_records(rows, schema.CLAIMS)
    if task.quantities is None or not len(frame):
        return frame
    from figcheck.quantities import assign as assign_keys

    def assign(part: pd.DataFrame) -> pd.DataFrame:
        return assign_keys(part, config=task.quantities, rule_dirs=task.rule_dirs)

    if len({doc for doc, _ in counts}) == len(counts):
        return assign(frame)
    parts, first = [], 0
    for _doc, count in counts:
        if count:
            parts.append(assign(frame.iloc[first:first + count].reset_index(drop=True)))
        first += count
    return pd.concat(parts, ignore_index=True)


def _read_again(again: _Again, max_bytes: int) -> tuple[Article | None, str | None]:
    lines = None if again.number == 0 else {again.number}
    for number, found in sources.read_file(again.file, max_bytes, lines=lines):
        if number == again.number:
            if isinstance(found, Skipped):
                return None, f"could not be read a second time: {found.reason}"
            return found, None
    return None, "could not be read a second time: the file changed while the batch was read"


def _extract_one(engine: claims.Engine, article: Article) -> tuple[list[dict], str | None]:
    """An article's rows, or none and why, in the words a serial batch uses."""
    try:
        return engine.extract(article), None
    except claims.ArticleTimeout as exc:
        # The message starts with the doc, which the parent's where() names.
        return [], str(exc).removeprefix(f"{article.doc}: ")
    except Exception as exc:  # noqa: BLE001  (a bug on one article must not lose the batch)
        return [], (f"the extractor failed on this text ({type(exc).__name__}: "
                    f"{str(exc)[:120]}); please report it")


def _write_text(article: Article, folder: str) -> None:
    from figcheck import io

    io.write_file(sources.kept_text_path(folder, article.doc), article.text.encode("utf-8"))


def _lost_chunk(task: _Read, reason: str) -> _ReadDone:
    """A chunk whose worker died twice: its files are skipped, with the reason."""
    items: list[_Seen | Skipped] = [
        item if isinstance(item, Skipped) else Skipped(item.path, reason) for item in task.items]
    files = sum(1 for item in task.items if not isinstance(item, Skipped))
    return _ReadDone(files, items, schema.from_records([], schema.CLAIMS))


def _lost_redo(task: _Redo, reason: str) -> _RedoDone:
    return _RedoDone([(again.position, 0, reason) for again in task.articles],
                     schema.from_records([], schema.CLAIMS))


# --- the parent's side -----------------------------------------------------------------------

def _chunks(listing: list[sources.ArticleFile | Skipped], max_bytes: int) -> list[list]:
    """The listing cut into chunks of :data:`CHUNK_FILES` files; a JSONL file (many
    articles) is cut into parts of :data:`JSONL_PART_BYTES`, each a chunk of its own."""
    return list(_chunked(listing, max_bytes))


def _chunked(listing: Iterable[sources.ArticleFile | Skipped], max_bytes: int) -> Iterator[list]:
    """:func:`_chunks`, lazily: each chunk as soon as its files are listed."""
    current: list = []
    files = 0
    for item in listing:
        if not isinstance(item, Skipped) and item.path.lower().endswith(sources.JSONL_SUFFIX):
            if current:
                yield current
                current, files = [], 0
            yield from ([part] for part in sources.jsonl_parts(item, JSONL_PART_BYTES, max_bytes))
            continue
        current.append(item)
        if not isinstance(item, Skipped):
            files += 1
        if files >= CHUNK_FILES:
            yield current
            current, files = [], 0
    if current:
        yield current


@dataclass(slots=True)
class _Entry:
    """One article of the batch, in reading order, as the parent keeps it: no text."""

    file: sources.ArticleFile
    number: int
    doc: str
    published: dt.date | None
    part: int                     # which claims frame holds its rows
    first: int                    # its first row there
    rows: int
    failure: str | None
    deferred: bool
    article: Article | None = None


@dataclass
class _Batch:
    entries: list[_Entry] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    parts: list[pd.DataFrame] = field(default_factory=list)
    #: Publication years in reading order, as fill_missing_dates counts them.
    years: Counter = field(default_factory=Counter)
    dated: set[dt.date] = field(default_factory=set)
    kept_characters: int = 0
    positions: dict[int, int] = field(default_factory=dict)

    def take_first_round(self, read: _ReadDone, chunk_number: int) -> None:
        part = len(self.parts)
        self.parts.append(read.claims)
        first = 0
        for item in read.items:
            if isinstance(item, Skipped):
                self.skipped.append(str(item))
                continue
            article = item.article
            if article is not None:
                if self.kept_characters + len(article.text) <= DEFERRED_TEXT_BUDGET:
                    self.kept_characters += len(article.text)
                else:
                    article = None
            self.entries.append(_Entry(item.file, item.number, item.doc, item.published, part,
                                       first, item.rows, item.failure, item.deferred, article))
            first += item.rows
            if item.published is not None:
                self.years[item.published.year] += 1
                self.dated.add(item.published)

    def plan_second_round(self, keep_text: bool) -> list[_Again]:
        """Rename the docs as a batch does, and list the articles to extract again: the
        undated ones, those renamed, and with ``keep_text`` every article that shared a
        doc (the first round wrote their texts under one name)."""
        read_as = [entry.doc for entry in self.entries]
        sources._make_docs_unique(self.entries)
        shared = {doc for doc, count in Counter(read_as).items() if count > 1}
        fill = bool(self.years)
        redo = []
        for position, (entry, doc) in enumerate(zip(self.entries, read_as)):
            renamed = entry.doc != doc
            write_text = keep_text and doc in shared
            if not (entry.deferred or renamed or write_text):
                continue
            redo.append(_Again(position, entry.file, entry.number, entry.doc, entry.article,
                               fill_date=entry.deferred and fill,
                               extract=entry.deferred or renamed, write_text=write_text))
            entry.article = None  # sent on: the parent no longer holds its text
        return redo

    def dated_stand_ins(self) -> list[Article]:
        """Articles that :func:`figcheck.dates.fill_missing_dates` reads as it reads the
        batch's dated articles: it looks at their dates only, through the distinct dates
        and the most common year (:func:`figcheck.dates.most_common_year`). One stand-in per
        distinct date, and the most common year's first date repeated until that year
        leads, give it both without a stand-in per article."""
        if not self.years:
            return []
        common_year = dates.most_common_year(self.years)
        per_year = Counter(day.year for day in self.dated)
        lead = max((n for year, n in per_year.items() if year != common_year), default=0) + 1
        first_day = min(day for day in self.dated if day.year == common_year)
        days = [first_day] * lead + sorted(self.dated - {first_day})
        return [Article(doc="", text="", published=day) for day in days]

    def take_second_round(self, done: _RedoDone) -> None:
        part = len(self.parts)
        self.parts.append(done.claims)
        first = 0
        for position, rows, failure in done.articles:
            entry = self.entries[position]
            entry.part, entry.first, entry.rows, entry.failure = part, first, rows, failure
            first += rows

    def order(self) -> list[int]:
        """The articles' positions in the order of their docs: the table's order."""
        return sorted(range(len(self.entries)), key=lambda i: self.entries[i].doc)

    def outcome(self, keep_text: str | None,
                order: list[int] | None = None) -> Result:
        """Everything but the claims: skipped (read order, then the extractor's failures
        in doc order), articles, files and kept texts."""
        order = self.order() if order is None else order
        failures = [f"{where(self.entries[i].doc, self.entries[i].file.path)}: "
                    f"{self.entries[i].failure}" for i in order
                    if self.entries[i].failure is not None]
        docs = [self.entries[i].doc for i in order]
        paths = {doc: self.entries[i].file.path for doc, i in zip(docs, order)}
        texts = None
        if keep_text is not None:
            texts = {doc: sources.kept_text_path(keep_text, doc) for doc in docs}
        return Result(claims=schema.from_records([], schema.CLAIMS),
                      skipped=self.skipped + failures,
                      articles=len(self.entries) - len(failures), paths=paths, texts=texts)

    def result(self, keep_text: str | None) -> Result:
        order = self.order()
        offsets = [0]
        for part in self.parts:
            offsets.append(offsets[-1] + len(part))
        take: list[int] = []
        for i in order:
            entry = self.entries[i]
            start = offsets[entry.part] + entry.first
            take.extend(range(start, start + entry.rows))  # none for a failed article
        result = self.outcome(keep_text, order)
        parts = [part for part in self.parts if len(part)]
        if parts:
            result.claims = pd.concat(parts, ignore_index=True).take(take).reset_index(drop=True)
        return result


class _Listing:
    """The chunks of a batch, listed a chunk at a time: by :meth:`step` (while the parent
    waits for its workers) or when the next chunk is wanted and not listed yet."""

    def __init__(self, chunks: Iterator[list], ticker: "_Ticker"):
        self.chunks, self.ticker = chunks, ticker
        self.listed: deque[list] = deque()
        self.finished = False

    def step(self) -> bool:
        """List one more chunk; False once every chunk is listed."""
        if self.finished:
            return False
        chunk = next(self.chunks, None)
        if chunk is None:
            self.finished = True
            return False
        self.listed.append(chunk)
        self.ticker.grow(sum(1 for item in chunk if not isinstance(item, Skipped)))
        return True

    def ahead(self, count: int) -> int:
        """List up to ``count`` chunks ahead; how many there are (fewer: all of them)."""
        while len(self.listed) < count and self.step():
            pass
        return len(self.listed)

    def __iter__(self) -> Iterator[list]:
        while self.listed or self.step():
            yield self.listed.popleft()


class _Ticker:
    def __init__(self, progress: Progress | None, total: int):
        self.progress, self.done, self.total = progress, 0, total
        if progress is not None:
            progress(0, total)

    def grow(self, more: int) -> None:
        self.total += more
        if self.progress is not None and more:
            self.progress(self.done, self.total)

    def advance(self, step: int) -> None:
        self.done += step
        if self.progress is not None:
            self.progress(self.done, self.total)


class _Workers:
    """Tasks run in order by ``jobs`` worker processes (in this process when ``jobs`` is 1
    or there is one task or none), results taken back in the order given."""

    def __init__(self, jobs: int, rule_dirs: tuple[str, ...], wanted: int):
        if jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {jobs}")
        self.jobs = min(jobs, max(wanted, 1))
        self.rule_dirs = rule_dirs
        self.pool: concurrent.futures.ProcessPoolExecutor | None = None
        self.started = False  # a worker has given back a result

    def __enter__(self) -> "_Workers":
        return self

    def __exit__(self, *exc_info) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _start(self) -> concurrent.futures.ProcessPoolExecutor:
        if self.pool is None:
            methods = multiprocessing.get_all_start_methods()
            # Not fork: the parent may hold threads (a progress bar's, SQLite's) that a
            # forked child would inherit in whatever state they were.
            context = multiprocessing.get_context("forkserver" if "forkserver" in methods
                                                  else "spawn")
            self.pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=context, initializer=_start_worker,
                initargs=(self.rule_dirs,))
        return self.pool

    def run(self, function, tasks: Iterator, lost,
            idle: Callable[[], bool] | None = None) -> Iterator:
        """``function(task)`` for each task, in order; ``lost(task, reason)`` for a task
        whose worker died, twice (a crash, the memory killer). ``idle()``, a short piece
        of the parent's own work, is called while it waits for a result, until it returns
        False (nothing left to do)."""
        if self.jobs == 1:
            for task in tasks:
                yield function(task)
            return
        ahead = self.jobs * AHEAD_PER_JOB
        pending: deque = deque()
        for task in tasks:
            pending.append((task, self._start().submit(function, task)))
            while len(pending) >= ahead:
                yield self._next(pending, function, lost, idle)
        while pending:
            yield self._next(pending, function, lost, idle)

    def _next(self, pending: deque, function, lost, idle=None):
        task, future = pending[0]
        if idle is not None:
            while not future.done() and idle():
                pass
        try:
            result = future.result()
        except BrokenProcessPool:
            return self._recover(pending, function, lost)
        self.started = True
        pending.popleft()
        return result

    def _recover(self, pending: deque, function, lost):
        """A worker died and took the pool with it: run the tasks that were in flight
        again, one at a time in a new pool, so that only the one that kills its worker
        again is lost; unless no worker has given a result yet and a new one cannot even
        start (:meth:`_check_workers_start`)."""
        self._drop_broken_pool()
        redone: deque = deque()
        while pending:
            task, _future = pending.popleft()
            try:
                redone.append((task, _done(self._start().submit(function, task).result())))
                self.started = True
            except BrokenProcessPool:
                self._drop_broken_pool()
                self._check_workers_start()
                redone.append((task, _done(lost(task, "the worker process reading it stopped "
                                                      "(crashed or killed); skipped"))))
        pending.extend(redone)
        task, future = pending.popleft()
        return future.result()

    def _drop_broken_pool(self) -> None:
        """Let a pool whose worker died go (a new one is started when next wanted)."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = None

    def _check_workers_start(self) -> None:
        """Raise :class:`WorkersCannotStart` when a new worker stops before it has done
        anything: then every task would be lost, none for its own sake."""
        if self.started:
            return
        try:
            self._start().submit(os.getpid).result()
        except BrokenProcessPool:
            self._drop_broken_pool()
            raise WorkersCannotStart(
                f"figcheck's worker processes (jobs={self.jobs}) stop as they start, before "
                "reading any article (what stopped them is printed above this). The usual "
                "cause: a Python script runs figcheck with jobs above 1, and its own code is "
                "not under `if __name__ == \"__main__\":` (each worker imports the script). "
                "Else run in one process: jobs=1 (--jobs 1).") from None
        self.started = True


class WorkersCannotStart(RuntimeError):
    """No worker process could start (so no article could be read by one)."""


def _done(result) -> concurrent.futures.Future:
    future: concurrent.futures.Future = concurrent.futures.Future()
    future.set_result(result)
    return future
