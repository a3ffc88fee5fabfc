"""The extraction cache: a batch's articles read and extracted once, in an SQLite file.

A check on a repository of 100,000 articles must cost seconds when a pull request adds 20.
The cache keeps, in one SQLite file (``.figcheck/cache.sqlite`` for the command line):

``files``
    per article file (by real path): its size, modification and change times and inode, and
    the SHA-256 of its bytes, as git's index does. A file whose stat is unchanged is not
    read again, unless its modification time is too close to the moment it was hashed for
    the stat to prove anything (a *racily clean* file, see :func:`_trusted`): such a file is
    read and hashed again.
``articles``
    per file content and :func:`version`: what reading the file gives besides the text (the
    header's end, the outlet, the url and title, the publication date and whether it was
    inferred), so that a file read again is not parsed again.
``extractions``
    per article: its claim rows, keyed by its content, everything about the article that
    the rows depend on (``doc``, outlet, dates, url, title, where the body starts) and
    :func:`version`.
``quantities``
    per article and settings: the quantity key of each of its rows.
``folders``
    per folder walked: its stat and its listing (subfolders walked, article files), as git's
    untracked cache keeps them: a folder whose stat is unchanged is not listed again
    (:meth:`Cache._lister`).
``snapshot``
    the last batch in one piece: its claims table with their quantity keys (Arrow), where
    each article's rows are in it, and the batch's index (:class:`_BatchIndex`: each text
    file's stat, content id, header fields, doc and extraction key). A run over the same
    batch, give or take a few articles, takes the known files and their rows from it in a
    few vectorised steps instead of a query per file and a decoding per article; what it
    does not know comes from the tables above. It is rewritten when more than
    :data:`SNAPSHOT_SLACK` of the batch lies outside it.

:func:`version` names the extractor: figcheck's version, a hash of its source files and
:attr:`figcheck.rules.RuleBook.version` (the built-in rules and the user's own). Entries of
another version are never read, and are deleted when the version changes, so a cache is
rebuilt when the rules or the code change.

Results are the same with and without the cache (``tests/test_cache.py`` compares them):
:meth:`Cache.read_batch` reads a batch as :func:`figcheck.sources.read_batch` does, and
:meth:`Cache.extract_articles` extracts as :func:`figcheck.claims.extract_articles` does,
only skipping the work whose result is stored. Articles whose date comes from the rest of
the batch (:func:`figcheck.dates.fill_missing_dates`) are always read, since that date is
not a function of their own content. Articles whose extraction timed out are not stored.

Two runs may share a cache: SQLite's write-ahead log lets readers run beside a writer, each
run writes its new entries in one transaction at its end, and waits up to
:data:`BUSY_TIMEOUT_SECONDS` for another writer. Entries are pure functions of their keys,
so whichever run writes an entry last writes the same thing. A cache that cannot be opened,
read or written is not an error: the batch is read and extracted without it, and
:attr:`Cache.warning` says why.
"""
from __future__ import annotations

import datetime as dt
import gc
import hashlib
import importlib
import json
import os
import sqlite3
import stat
import time
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

import figcheck
from figcheck import rules, schema, sources
from figcheck.article import Article, Batch
from figcheck.config import Config

#: Where the command line keeps its cache, relative to the current folder.
DEFAULT_PATH = os.path.join(".figcheck", "cache.sqlite")
#: How long a run waits for another run that is writing to the same cache.
BUSY_TIMEOUT_SECONDS = 30.0
#: The layout of the tables; a file of another layout is emptied and laid out again.
LAYOUT = "5"
#: A file modified less than this long before it was hashed may have been modified again
#: within the same tick of the file system's clock: its stat does not prove its content.
#: File systems with whole-second times (FAT, HFS+, some network shares) get 2 seconds.
RACY_MARGIN_NS = 1_000_000_000
RACY_MARGIN_COARSE_NS = 2_000_000_000
_CHUNK = 500  # keys per "IN (...)" query, well under SQLite's limit on parameters
#: The share of a batch's rows that may lie outside its snapshot before it is written anew.
SNAPSHOT_SLACK = 0.05

_COLUMNS = tuple(schema.names(schema.CLAIMS))
_DATE_COLUMNS = frozenset(c.name for c in schema.CLAIMS if c.dtype == schema.DATE)
_FLOAT_COLUMNS = frozenset(c.name for c in schema.CLAIMS if c.dtype == "float64")
_STRING_COLUMNS = frozenset(c.name for c in schema.CLAIMS if c.dtype == "string")


@lru_cache(maxsize=1)
def _code_hash() -> str:
    """A hash of figcheck's Python source files: any change of the code is a new version.

    All of them, not only the extractor's, so that a module added to the extractor can
    never be forgotten here; a change elsewhere costs one rebuild.
    """
    digest = hashlib.sha256()
    package = resources.files("figcheck")
    for entry in sorted(package.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".py"):
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def version(rule_dirs: Iterable[str] = ()) -> str:
    """The extractor's version: figcheck's, its code's and its rules' (the user's included)."""
    return f"{figcheck.__version__}:{_code_hash()}:{rules.load(tuple(rule_dirs)).version}"


@dataclass
class Stats:
    """What one run took from the cache and what it had to do itself."""

    files_stat_only: int = 0       # text files known by their stat alone: not opened
    files_read: int = 0            # text files read (new, changed, racily clean, or dated by the batch)
    files_parsed: int = 0          # of those, files whose header was parsed (new content)
    articles_from_cache: int = 0   # articles whose claims came from the cache
    articles_extracted: int = 0    # articles extracted

    def describe(self) -> str:
        """``20 articles extracted, 10,000 from the cache; 20 files read, 10,000 known by their stat``."""
        def count(n: int, one: str, many: str) -> str:
            return f"{n:,} {one if n == 1 else many}"

        return (f"{count(self.articles_extracted, 'article', 'articles')} extracted, "
                f"{self.articles_from_cache:,} from the cache; "
                f"{count(self.files_read, 'file', 'files')} read, "
                f"{self.files_stat_only:,} known by their stat")


@dataclass
class _CachedArticle(Article):
    """An article and the id of its content; ``text`` is empty until :meth:`_load` reads it
    (an article known by its file's stat alone).

    ``meta`` is what reading the file gave (before the batch dated the article, when it
    did); ``record`` the file's real path, stamp and hash time, when the cache knows them;
    ``key`` the extraction key the batch index gave, with the doc it was made for.
    """

    content: str = ""
    loaded: bool = True
    meta: dict | None = None
    record: tuple | None = None
    key: tuple[str, str] | None = None


@dataclass
class _Pending:
    files: list[tuple] = field(default_factory=list)
    articles: list[tuple] = field(default_factory=list)
    extractions: list[tuple] = field(default_factory=list)
    quantities: list[tuple] = field(default_factory=list)
    snapshot: tuple | None = None
    folders: list[tuple] = field(default_factory=list)


class Cache:
    """An open cache file. ``Cache(path)`` creates it (and its folder) when missing.

    Use it with ``with`` or call :meth:`close`. Any failure of SQLite is kept in
    :attr:`warning` and turns the cache off for the rest of the run; results do not change.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self.warning: str | None = None
        self.stats = Stats()
        self._pending = _Pending()
        self._started_ns = time.time_ns()
        self._version: str | None = None
        self._keys: dict[str, str] = {}  # doc → extraction key, of the articles extracted
        self._snapshot_loaded = False
        self._snapshot_value: _Snapshot | None = None
        self._snapshot_due: tuple | None = None  # (settings, claims, where, articles) to write
        self._from_snapshot: tuple[pd.DataFrame, np.ndarray] | None = None  # (table, its rows' snapshot rows)
        self._index_misses = 0  # text files of the batch not known by the batch index
        self._db: sqlite3.Connection | None = None
        try:
            self._db = self._open()
        except (sqlite3.Error, OSError) as exc:
            self._fail(exc)

    # --- the file ------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            os.makedirs(folder, exist_ok=True)
            if os.path.basename(folder) == ".figcheck":
                # The cache is a local file: keep it out of the repository it sits in.
                with open(os.path.join(folder, ".gitignore"), "w", encoding="utf-8") as handle:
                    handle.write("# made by figcheck: the extraction cache is not to be committed\n*\n")
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            self._lay_out(db)
        except BaseException:
            db.close()
            raise
        return db

    @staticmethod
    def _lay_out(db: sqlite3.Connection) -> None:
        with _transaction(db):
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = db.execute("SELECT value FROM meta WHERE name = 'layout'").fetchone()
            if row is None or row[0] != LAYOUT:
                for table in ("files", "articles", "extractions", "quantities", "snapshot",
                              "listings", "folders"):
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                db.execute("DELETE FROM meta")
            db.execute("""CREATE TABLE IF NOT EXISTS files (
                path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, hashed_ns INTEGER NOT NULL,
                content TEXT NOT NULL) WITHOUT ROWID""")
            db.execute("""CREATE TABLE IF NOT EXISTS articles (
                version TEXT NOT NULL, content TEXT NOT NULL, body_start INTEGER NOT NULL,
                source TEXT, url TEXT, title TEXT, published TEXT,
                published_inferred INTEGER NOT NULL,
                PRIMARY KEY (version, content)) WITHOUT ROWID""")
            db.execute("""CREATE TABLE IF NOT EXISTS extractions (
                key TEXT PRIMARY KEY, rows BLOB NOT NULL) WITHOUT ROWID""")
            db.execute("""CREATE TABLE IF NOT EXISTS quantities (
                key TEXT PRIMARY KEY, keys BLOB NOT NULL) WITHOUT ROWID""")
            db.execute("""CREATE TABLE IF NOT EXISTS folders (
                path TEXT PRIMARY KEY, stamp TEXT NOT NULL, listed_ns INTEGER NOT NULL,
                listing TEXT NOT NULL) WITHOUT ROWID""")
            db.execute("""CREATE TABLE IF NOT EXISTS snapshot (
                version TEXT PRIMARY KEY, settings TEXT NOT NULL, articles BLOB NOT NULL,
                claims BLOB NOT NULL, files BLOB NOT NULL) WITHOUT ROWID""")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('layout', ?)", (LAYOUT,))

    def close(self) -> None:
        """Write what this run added, and close the file."""
        self.flush()
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> "Cache":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def usable(self) -> bool:
        return self._db is not None

    def _fail(self, exc: BaseException) -> None:
        if self.warning is None:
            self.warning = f"cache {self.path} not used: {exc}"
        if self._db is not None:
            try:
                self._db.close()
            except sqlite3.Error:
                pass
            self._db = None

    def _select(self, sql: str, keys: Sequence, *before: Any) -> list[tuple]:
        """``sql`` (``{marks}`` stands for the keys) over ``keys`` in chunks, with the
        parameters ``before`` ahead of them; [] when the cache is unusable."""
        if self._db is None or not keys:
            return []
        found = []
        try:
            for begin in range(0, len(keys), _CHUNK):
                chunk = list(keys[begin:begin + _CHUNK])
                marks = ",".join("?" * len(chunk))
                found.extend(self._db.execute(sql.format(marks=marks), [*before, *chunk]).fetchall())
        except sqlite3.Error as exc:
            self._fail(exc)
            return []
        return found

    def use_version(self, current: str) -> None:
        """Read and write entries of extractor ``current``; another version's are deleted."""
        self._version = current
        if self._db is None:
            return
        try:
            row = self._db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()
            if row is not None and row[0] == current:
                return
            with _transaction(self._db):
                self._db.execute("DELETE FROM articles WHERE version != ?", (current,))
                self._db.execute("DELETE FROM extractions")
                self._db.execute("DELETE FROM quantities")
                self._db.execute("DELETE FROM snapshot")
                self._db.execute("DELETE FROM folders")
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (current,))
        except sqlite3.Error as exc:
            self._fail(exc)

    def flush(self) -> None:
        """Write the entries this run made, in one transaction."""
        pending, self._pending = self._pending, _Pending()
        if self._snapshot_due is not None and self._db is not None:
            try:
                settings, claims_table, where, articles = self._snapshot_due
                pending.snapshot = _snapshot_row(self._version, settings, claims_table, where,
                                                 _BatchIndex.encode(articles, self._keys))
            except Exception:  # noqa: BLE001  (no snapshot: the next run decodes each article)
                pending.snapshot = None
            self._snapshot_due = None
        if self._db is None or not (pending.files or pending.articles or pending.extractions
                                    or pending.quantities or pending.snapshot
                                    or pending.folders):
            return
        try:
            with _transaction(self._db):
                self._db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                                     pending.files)
                self._db.executemany("INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                     pending.articles)
                self._db.executemany("INSERT OR REPLACE INTO extractions VALUES (?, ?)",
                                     pending.extractions)
                self._db.executemany("INSERT OR REPLACE INTO quantities VALUES (?, ?)",
                                     pending.quantities)
                self._db.executemany("INSERT OR REPLACE INTO folders VALUES (?, ?, ?, ?)",
                                     pending.folders)
                if pending.snapshot is not None:
                    self._db.execute("INSERT OR REPLACE INTO snapshot VALUES (?, ?, ?, ?, ?)",
                                     pending.snapshot)
        except sqlite3.Error as exc:
            self._fail(exc)

    # --- reading a batch -----------------------------------------------------------------

    def read_batch(self, paths: str | os.PathLike | Iterable[str | os.PathLike],
                   max_bytes: int = sources.DEFAULT_MAX_BYTES, *,
                   rule_dirs: Iterable[str] = ()) -> Batch:
        """The batch :func:`figcheck.sources.read_batch` reads, without reading again the
        files whose stat and content are known.

        The same files in the same order, with the same ``doc``, outlet, dates and skipped
        reasons. An article known by its stat alone has an empty ``text`` until
        :meth:`extract_articles` needs it.
        """
        with _collector_paused():  # (an article per file: thousands of small objects)
            return self._read_batch(paths, max_bytes, rule_dirs)

    def _read_batch(self, paths: str | os.PathLike | Iterable[str | os.PathLike],
                    max_bytes: int, rule_dirs: Iterable[str]) -> Batch:
        if self._version is None:
            self.use_version(version(rule_dirs))
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        batch = Batch()
        found = []
        lister = self._lister()
        for given in (os.fspath(p) for p in paths):
            if os.path.isdir(given):
                found.extend(sources._find_in_folder(given, batch.skipped, lister))
            else:
                found.extend(sources._find_files([given], batch.skipped))
        # The same walk as read_batch: a file reached twice (two paths, a link) is read once.
        # A text file is known by its stat from the last batch's index (kept with the
        # snapshot, read in one piece): its article is made at once. The other files are
        # kept in their place, to be read in the second pass (a text file perhaps known by
        # its row of the files table).
        index = self._index()
        index_rows = index.row if index is not None else {}
        stamps = index.stamps if index is not None else []
        real_dirs: dict[str, str] = {}
        seen: set[str] = set()
        slots: list = []  # per file: its article, or (path, doc, real, info, is_text) to read
        unknown: list[str] = []  # the real paths of the text files the index does not know
        others = 0  # JSONL and HTML files
        for path, doc in found:
            real, info = sources.real_path(path, real_dirs)
            if real in seen:
                continue
            seen.add(real)
            if not path.lower().endswith(sources.TEXT_SUFFIXES):
                others += 1
                slots.append((path, doc, real, info, False))
                continue
            row = index_rows.get(real)
            # (index.knows and _usable, inline: _stamp, then _trusted, which the index
            # computed once a row)
            if (row is not None and info is not None and stat.S_ISREG(info.st_mode)
                    and info.st_size <= max_bytes and stamps[row] == (
                        info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, True)):
                slots.append(index.article(row, doc, path))
                continue
            unknown.append(real)
            slots.append((path, doc, real, info, True))
        self._index_misses = len(unknown)
        self.stats.files_stat_only += len(slots) - len(unknown) - others
        known = self._known_files(unknown)
        # The metadata of every content known, read or not: a file read again because its stat
        # proves nothing (racily clean, a fresh clone) is then not parsed again.
        metas = self._metas(sorted({content for _stamp, content, _hashed in known.values()}))
        for slot in slots:
            if type(slot) is not tuple:
                batch.articles.append(slot)
                continue
            path, doc, real, info, is_text = slot
            if not is_text:
                first = len(batch.articles)
                _read_other(path, doc, max_bytes, batch)
                for position in range(first, len(batch.articles)):
                    article = batch.articles[position]
                    batch.articles[position] = _CachedArticle(
                        **_fields(article), content="t:" + _sha256(article.text.encode("utf-8")))
                continue
            entry = known.get(real)
            if (entry is not None and _trusted(entry[0][1], entry[2]) and _usable(info, max_bytes)
                    and entry[0] == _stamp(info)):
                meta = metas.get(entry[1])
                if meta is not None and meta["published"] is not None:
                    self.stats.files_stat_only += 1
                    batch.articles.append(_article_from_meta(
                        doc, "", path, meta, content=entry[1], loaded=False,
                        record=(real, *entry[0], entry[2])))
                    continue
            self._read_text_file(path, doc, real, max_bytes, batch, metas)
        sources._make_docs_unique(batch.articles)
        return batch

    def _lister(self) -> Callable[[str], tuple[list[str], list[str]]]:
        """A folder's listing (:func:`figcheck.sources.list_folder`), taken from the cache
        when the folder is unchanged since it was listed.

        As git's untracked cache: a file added, removed or renamed changes its folder's
        modification time, so a folder whose stat is unchanged (and was not changed within
        the racy margin of the listing, see :func:`_trusted`) holds what it held. Only the
        folders that changed are listed again, and kept anew.
        """
        kept: dict[str, tuple[str, int, str]] = {}
        if self._db is not None:
            try:
                kept = {path: (stamp, listed_ns, listing) for path, stamp, listed_ns, listing
                        in self._db.execute("SELECT path, stamp, listed_ns, listing FROM folders")}
            except sqlite3.Error as exc:
                self._fail(exc)

        def listing(path: str) -> tuple[list[str], list[str]]:
            try:
                before = os.stat(path)
            except OSError:
                return sources.list_folder(path)  # which says why, in its own words
            stamp = f"{before.st_mtime_ns}:{before.st_ctime_ns}:{before.st_ino}"
            where = os.path.abspath(path)
            entry = kept.get(where)
            if entry is not None and entry[0] == stamp and _trusted(before.st_mtime_ns, entry[1]):
                try:
                    folders, names = json.loads(entry[2])
                    return folders, names
                except ValueError:
                    pass
            listed_ns = time.time_ns()
            folders, names = sources.list_folder(path)
            try:
                unchanged = _stamp(os.stat(path)) == _stamp(before)
            except OSError:
                unchanged = False
            if unchanged:  # (a folder changed while it was listed is listed again next time)
                self._pending.folders.append(
                    (where, stamp, listed_ns, json.dumps([folders, names], ensure_ascii=False)))
            return folders, names

        return listing

    def _known_files(self, reals: list[str]) -> dict[str, tuple[tuple, str, int]]:
        """Per real path in the files table: (its stamp, its content id, when it was hashed)."""
        return {path: ((size, mtime_ns, ctime_ns, inode), content, hashed_ns)
                for path, size, mtime_ns, ctime_ns, inode, hashed_ns, content in self._select(
                    "SELECT * FROM files WHERE path IN ({marks})", reals)}

    def _metas(self, contents: list[str]) -> dict[str, dict]:
        rows = self._select(f"SELECT content, {', '.join(_META_FIELDS)} FROM articles "
                            "WHERE version = ? AND content IN ({marks})", contents, self._version)
        return {row[0]: {name: value for name, value in zip(_META_FIELDS, row[1:])} for row in rows}

    def _read_text_file(self, path: str, doc: str, real: str, max_bytes: int, batch: Batch,
                        metas: dict[str, dict]) -> None:
        """Read one .txt/.md file as read_batch does, parsing its header only when its
        content is new; its stat and content go to the cache."""
        self.stats.files_read += 1
        try:
            info = os.stat(path)
            data = sources._read_bytes(path, max_bytes)
            text = sources.decode(data)
        except (sources.UnreadableError, OSError):
            text = None
        if text is None or not text.strip():
            # read_batch says why it cannot be read, in its own words.
            sources._read_text_file(path, doc, max_bytes, batch)
            return
        content = "b:" + _sha256(data)
        if content not in metas:  # a content known under another path (a copy, a rename)?
            metas.update(self._metas([content]))
        meta = metas.get(content)
        if meta is None:
            self.stats.files_parsed += 1
            try:
                parsed = sources.parse_text_article(doc, text, path)
            except sources.UnreadableError:
                sources._read_text_file(path, doc, max_bytes, batch)
                return
            meta = _meta_of(parsed)
            metas[content] = meta
            self._pending.articles.append((self._version, content,
                                           *(meta[name] for name in _META_FIELDS)))
        record = None
        if self._stat_matches(path, info):
            record = (real, *_stamp(info), self._started_ns)
            self._pending.files.append((*record, content))
        batch.articles.append(_article_from_meta(doc, text, path, meta, content=content,
                                                 loaded=True, record=record))

    @staticmethod
    def _stat_matches(path: str, before: os.stat_result) -> bool:
        """The file was not changed while it was read (else its stat is not recorded)."""
        try:
            return _stamp(os.stat(path)) == _stamp(before)
        except OSError:
            return False

    # --- extracting ----------------------------------------------------------------------

    def extract_articles(self, articles: Sequence[Article], *, rule_dirs: Iterable[str] = (),
                         on_error: Callable[[Article, Exception], None] | None = None) -> pd.DataFrame:
        """The claims table :func:`figcheck.claims.extract_articles` gives for ``articles``;
        the articles whose rows are stored are not extracted again."""
        rule_dirs = tuple(rule_dirs)
        if self._version is None:
            self.use_version(version(rule_dirs))
        articles = list(articles)
        # (_extraction_key's first case inline: the key the batch index gave, thousands a batch)
        keys = [article.key[1] if type(article) is _CachedArticle and article.key is not None
                and article.key[0] == article.doc else self._extraction_key(article)
                for article in articles]
        self._keys.update(zip([article.doc for article in articles], keys))
        snapshot = self._snapshot()
        where = snapshot.where if snapshot is not None else {}
        in_snapshot = {key: where[key] for key in keys if key in where}
        stored: dict[str, Block] = {}
        for key, blob in self._select("SELECT key, rows FROM extractions WHERE key IN ({marks})",
                                      sorted(set(keys) - set(in_snapshot))):
            try:
                stored[key] = _decode_block(blob)
            except (ValueError, TypeError, zlib.error):
                pass  # not what this version writes: extracted again, and overwritten
        missing = [article for article, key in zip(articles, keys)
                   if key not in stored and key not in in_snapshot]
        for article in missing:
            if isinstance(article, _CachedArticle) and not article.loaded:
                self._load(article)
        timed_out: set[int] = set()

        def failed(article: Article, exc: Exception) -> None:
            timed_out.add(id(article))
            if on_error is None:
                raise exc
            on_error(article, exc)

        fresh: dict[str, Block] = {}
        if missing:  # (building the engine alone takes half a second)
            from figcheck import claims  # (a run with nothing new never imports the extractor)

            fresh = _blocks_by_doc(claims.extract_articles(missing, rule_dirs=rule_dirs,
                                                           on_error=failed))
        self.stats.articles_extracted += len(missing)
        self.stats.articles_from_cache += len(articles) - len(missing)
        blocks: list[Block] = []
        # Where each article's rows are: (its first row in the snapshot, rows), or (-1, rows)
        # for the rows of its block.
        places: list[tuple[int, int]] = []
        for article, key in zip(articles, keys):
            place = in_snapshot.get(key)
            if place is not None:
                places.append(place)
                continue
            if key in stored:
                block = stored[key]
            else:
                block = fresh.get(article.doc, _EMPTY_BLOCK)
                if id(article) not in timed_out:
                    self._pending.extractions.append((key, _encode_block(block)))
            blocks.append(block)
            places.append((-1, block["n"]))
        if not in_snapshot:
            self._from_snapshot = None
            return _frame(blocks)
        table, taken = _combine(snapshot.claims_only(), _frame(blocks), places)
        self._from_snapshot = (table, taken)
        return table

    def assign_quantities(self, frame: pd.DataFrame, articles: Sequence[Article], *,
                          config: Config | None = None,
                          rule_dirs: Iterable[str] = ()) -> pd.DataFrame:
        """What :func:`figcheck.quantities.assign` gives for ``frame`` (the claims of
        ``articles``), the keys of each article taken from the cache when stored.

        A claim's key depends on its own article's claims only (``quantities.py``: the
        windows on its sentence, the entity carried from its article) and on the settings,
        so each article's keys are stored under its extraction key and the settings.
        """
        quantities = importlib.import_module("figcheck.quantities")  # (figcheck.quantities is a function)
        rule_dirs = tuple(rule_dirs)
        settings = repr((config or Config(), rule_dirs))
        names = np.full(len(frame), None, dtype=object)
        reasons = np.full(len(frame), None, dtype=object)

        # The rows extract_articles took from the snapshot, when it was made with these
        # settings, take their keys from it too: one vectorised take.
        snapshot = self._snapshot()
        current = snapshot is not None and snapshot.settings == settings
        rest = np.arange(len(frame))
        taken = None
        if current and self._from_snapshot is not None and self._from_snapshot[0] is frame:
            taken = self._from_snapshot[1]
            rest = np.flatnonzero(taken < 0)
        rows_of: dict[str, list[int]] = {}
        for position, doc in zip(rest.tolist(), frame["doc"].take(rest).tolist()):
            rows_of.setdefault(doc, []).append(position)
        by_doc = {article.doc: article for article in articles} if rows_of else {}
        for doc in rows_of:
            if doc not in self._keys and doc in by_doc:
                self._keys[doc] = self._extraction_key(by_doc[doc])

        # Then each article's stored keys; the others are derived, and stored.
        store_key = {}
        for doc in rows_of:
            extraction = self._keys.get(doc)
            if extraction is not None:
                store_key[doc] = _sha256((extraction + "\0" + settings).encode("utf-8"))
        stored = {}
        for key, blob in self._select("SELECT key, keys FROM quantities WHERE key IN ({marks})",
                                      sorted(store_key.values())):
            try:
                stored[key] = json.loads(zlib.decompress(blob))
            except (ValueError, zlib.error):
                pass
        missing = []
        for doc, positions in rows_of.items():
            found = stored.get(store_key.get(doc, ""))
            if not (isinstance(found, list) and len(found) == 2 and len(found[0]) == len(positions)):
                missing.append(doc)
                continue
            for position, name, reason in zip(positions, *found):
                names[position], reasons[position] = name, reason
        if missing:
            part_rows = sorted(position for doc in missing for position in rows_of[doc])
            assigned = quantities.assign(frame.iloc[part_rows].reset_index(drop=True),
                                         config=config, rule_dirs=rule_dirs)
            fresh: dict[str, list[list]] = {doc: [[], []] for doc in missing}
            part_docs = frame["doc"].take(part_rows).tolist()
            for position, doc, name, reason in zip(part_rows, part_docs,
                                                   assigned["quantity"].tolist(),
                                                   assigned["quantity_reason"].tolist()):
                name = name if isinstance(name, str) else None
                reason = reason if isinstance(reason, str) else None
                names[position], reasons[position] = name, reason
                fresh[doc][0].append(name)
                fresh[doc][1].append(reason)
            for doc, value in fresh.items():
                if doc in store_key:
                    self._pending.quantities.append(
                        (store_key[doc], zlib.compress(json.dumps(value).encode("utf-8"), 6)))
        out = quantities.conformed(frame)
        for name, values in (("quantity", names), ("quantity_reason", reasons)):
            out[name] = (pd.array(values, dtype="string") if taken is None
                         else _taken_strings(snapshot.claims[name].array, taken, values))
        # A new snapshot when there is none for these settings, when the articles it lacks
        # hold more than SNAPSHOT_SLACK of the rows, or when more than that share of the
        # text files were not known by the batch index (a fresh clone: new modification
        # times). A batch of 20 in 10,000 does not rewrite it: those 20 are read from their
        # own entries, a few milliseconds.
        files = sum(1 for article in articles if isinstance(article, _CachedArticle)
                    and article.record is not None)
        if (not current or len(rest) > SNAPSHOT_SLACK * max(len(frame), 1)
                or self._index_misses > SNAPSHOT_SLACK * max(files, 1)):
            self._leave_snapshot(out, settings, articles)
        return out

    # --- the batch's snapshot --------------------------------------------------------------
    # The last batch's claims table, with its quantity keys, in one Arrow file: an article
    # found there (same extraction key) takes its rows from it in one vectorised step,
    # without decoding its own entry. With it, the batch's index: each text file's stat,
    # content, doc and extraction key, so that a file whose stat is unchanged is known
    # without a query of its own. Only with pyarrow; one snapshot per version.

    def _snapshot(self) -> "_Snapshot | None":
        if not self._snapshot_loaded:
            self._snapshot_loaded = True
            if self._db is not None and self._version is not None and _arrow() is not None:
                try:
                    row = self._db.execute("SELECT settings, articles, claims, files FROM snapshot "
                                           "WHERE version = ?", (self._version,)).fetchone()
                except sqlite3.Error as exc:
                    self._fail(exc)
                    row = None
                if row is not None:
                    try:
                        self._snapshot_value = _Snapshot.read(*row)
                    except Exception:  # noqa: BLE001  (a damaged snapshot is only not used)
                        self._snapshot_value = None
        return self._snapshot_value

    def _index(self) -> "_BatchIndex | None":
        snapshot = self._snapshot()
        return snapshot.index() if snapshot is not None else None

    def _leave_snapshot(self, claims_table: pd.DataFrame, settings: str,
                        articles: Sequence[Article]) -> None:
        """Keep ``claims_table`` and the index of ``articles`` to be written as the snapshot
        when the cache is closed."""
        if _arrow() is None:
            return
        rows_of: dict[str, list[int]] = {}
        for position, doc in enumerate(claims_table["doc"].tolist()):
            rows_of.setdefault(doc, []).append(position)
        where = []
        for doc, positions in rows_of.items():
            key = self._keys.get(doc)
            first = positions[0]
            if key is None or positions != list(range(first, first + len(positions))):
                return  # rows of an article not together: not a table this cache made
            where.append((key, first, len(positions)))
        self._snapshot_due = (settings, claims_table, where, list(articles))

    def load_texts(self, articles: Iterable[Article]) -> None:
        """Read the text of the articles known by their stat alone (they have none yet)."""
        for article in articles:
            if isinstance(article, _CachedArticle) and not article.loaded:
                self._load(article)

    def _extraction_key(self, article: Article) -> str:
        """Everything an article's rows depend on: the extractor, the article's content and
        what reading it gave besides the text."""
        if isinstance(article, _CachedArticle) and article.key is not None \
                and article.key[0] == article.doc:
            return article.key[1]  # from the batch index, made for this doc
        content = article.content if isinstance(article, _CachedArticle) else (
            "t:" + _sha256(article.text.encode("utf-8")))
        published = article.published.isoformat() if article.published else None
        identity = (self._version, content, article.doc, article.source, published,
                    bool(article.published_inferred), article.url, article.title,
                    article.body_start)
        return _sha256(repr(identity).encode("utf-8"))

    def _load(self, article: _CachedArticle) -> None:
        """Read the text of an article known by its stat; re-parse it if it changed since."""
        with open(article.path, "rb") as handle:
            data = handle.read()
        text = sources.decode(data)
        if "b:" + _sha256(data) != article.content:
            # Changed between its stat and now: read it as it is now (its record and the
            # key the index gave are not its own any more).
            article.record = article.key = article.meta = None
            parsed = sources.parse_text_article(article.doc, text, article.path)
            for name, value in _fields(parsed).items():
                if name != "doc":
                    setattr(article, name, value)
            article.content = "b:" + _sha256(data)
        article.text = text
        article.loaded = True


# --- helpers -------------------------------------------------------------------------------

def _read_other(path: str, doc: str, max_bytes: int, batch: Batch) -> None:
    """A JSONL or HTML file, read as read_batch reads it: only its articles' claims are cached."""
    if path.lower().endswith(sources.JSONL_SUFFIX):
        sources._read_jsonl(path, doc, max_bytes, batch)
    else:
        sources._read_html_file(path, doc, max_bytes, batch)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stamp(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def _usable(info: os.stat_result | None, max_bytes: int) -> bool:
    """A regular file within the size limit: one that a stat can tell known."""
    return info is not None and stat.S_ISREG(info.st_mode) and info.st_size <= max_bytes


def _trusted(mtime_ns: int, hashed_ns: int) -> bool:
    """Whether a file's stat, unchanged since it was hashed, proves its content unchanged.

    A file modified again after it was hashed, within the same tick of the file system's
    clock, keeps its modification time (and perhaps its size): only a file last modified
    well before it was hashed can be trusted by its stat (git calls the others racily clean).
    """
    margin = RACY_MARGIN_COARSE_NS if mtime_ns % 1_000_000_000 == 0 else RACY_MARGIN_NS
    return mtime_ns + margin < hashed_ns


_META_FIELDS = ("body_start", "source", "url", "title", "published", "published_inferred")


def _fields(article: Article) -> dict[str, Any]:
    return {name: getattr(article, name) for name in (
        "doc", "text", "body_start", "source", "url", "title", "published",
        "published_inferred", "path")}


def _meta_of(article: Article) -> dict[str, Any]:
    meta = {name: getattr(article, name) for name in _META_FIELDS}
    meta["published"] = article.published.isoformat() if article.published else None
    return meta


def _article_from_meta(doc: str, text: str, path: str, meta: dict, *, content: str,
                       loaded: bool, record: tuple | None = None) -> _CachedArticle:
    published = meta["published"]
    return _CachedArticle(
        doc=doc, text=text, body_start=meta["body_start"], source=meta["source"],
        url=meta["url"], title=meta["title"],
        published=dt.date.fromisoformat(published) if published else None,
        published_inferred=bool(meta["published_inferred"]), path=path, content=content,
        loaded=loaded, meta=meta, record=record)


# An article's rows are stored by column: {"n": rows, "same": {column: the value of every
# row}, "each": {column: [a value per row]}}. Columns whose value is the article's own (doc,
# outlet, dates, title) are written once.
Block = dict[str, Any]


def _blocks_by_doc(frame: pd.DataFrame) -> dict[str, Block]:
    """The rows of a claims table as plain values (dates as ``YYYY-MM-DD``), per ``doc``."""
    columns = {}
    for name in _COLUMNS:
        series = frame[name]
        if name in _DATE_COLUMNS:
            days = np.datetime_as_string(series.to_numpy(dtype="datetime64[D]"), unit="D").tolist()
            columns[name] = [None if day == "NaT" else day for day in days]
        elif name in _FLOAT_COLUMNS:
            columns[name] = [None if v != v else v for v in series.to_numpy(dtype="float64").tolist()]
        elif name in _STRING_COLUMNS:
            columns[name] = [v if isinstance(v, str) else None for v in series.tolist()]
        else:
            columns[name] = series.tolist()
    positions: dict[str, list[int]] = {}
    for position, doc in enumerate(columns["doc"]):
        positions.setdefault(doc, []).append(position)
    blocks = {}
    for doc, rows in positions.items():
        same, each = {}, {}
        for name, values in columns.items():
            mine = [values[i] for i in rows]
            if all(value == mine[0] and type(value) is type(mine[0]) for value in mine):
                same[name] = mine[0]
            else:
                each[name] = mine
        blocks[doc] = {"n": len(rows), "same": same, "each": each}
    return blocks


def _encode_block(block: Block) -> bytes:
    return zlib.compress(json.dumps(block, ensure_ascii=False).encode("utf-8"), 6)


def _decode_block(blob: bytes) -> Block:
    block = json.loads(zlib.decompress(blob))
    if not isinstance(block, dict) or set(block.get("same", ())) | set(block.get("each", ())) != _COLUMN_SET:
        # Written by a figcheck with other columns (the version would differ): not used.
        raise ValueError("stored rows have other columns")
    return block


_COLUMN_SET = frozenset(_COLUMNS)
_EMPTY_BLOCK: Block = {"n": 0, "same": {name: None for name in _COLUMNS}, "each": {}}


def _frame(blocks: Iterable[Block]) -> pd.DataFrame:
    """The claims table of stored rows, with the dtypes :func:`figcheck.schema.from_records`
    gives (dates come as ``YYYY-MM-DD`` text, read by numpy in one pass; text through
    pyarrow when pandas keeps its strings there)."""
    columns: dict[str, list] = {name: [] for name in _COLUMNS}
    for block in blocks:
        n = block["n"]
        if not n:
            continue
        for name, value in block["same"].items():
            columns[name] += [value] * n
        for name, values in block["each"].items():
            columns[name] += values
    data = {}
    for column in schema.CLAIMS:
        values = columns[column.name]
        if column.dtype == "string":
            data[column.name] = _strings(values)
        elif column.dtype == schema.DATE:
            data[column.name] = np.array(values, dtype="datetime64[D]").astype(schema.DATE)
        else:  # float64 (None is NaN), bool, int64
            data[column.name] = np.array(values, dtype=column.dtype)
    return pd.DataFrame(data, columns=list(_COLUMNS))


def _strings(values: list) -> pd.api.extensions.ExtensionArray:
    """``pd.array(values, dtype="string")``, built by pyarrow in one pass when pandas keeps
    its strings in pyarrow (as it does when pyarrow is installed)."""
    dtype = pd.StringDtype()
    if dtype.storage == "pyarrow":
        import pyarrow

        return pd.array(pyarrow.array(values, type=pyarrow.large_string()), dtype=dtype)
    return pd.array(values, dtype=dtype)


def _combine(snapshot: pd.DataFrame, others: pd.DataFrame,
             places: list[tuple[int, int]]) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of each article, in order, from the snapshot or from ``others`` (in turn),
    and the snapshot's row of each (-1 for a row of ``others``).

    ``places`` gives per article (its first row in the snapshot, its rows), or (-1, its
    rows) for rows of ``others``.
    """
    firsts = np.array([first for first, _rows in places], dtype=np.int64)
    counts = np.array([rows for _first, rows in places], dtype=np.int64)
    # The rows of ``others`` come after the snapshot's in the table both are taken from.
    of_others = np.where(firsts < 0, counts, 0)
    firsts = np.where(firsts < 0, len(snapshot) + np.cumsum(of_others) - of_others, firsts)
    ends = np.cumsum(counts)
    # Row j of the result, the k-th of its article, is that article's first row plus k.
    taken = np.repeat(firsts - (ends - counts), counts) + np.arange(ends[-1] if len(ends) else 0)
    both = pd.concat([snapshot, others], ignore_index=True) if len(others) else snapshot
    return both.take(taken).reset_index(drop=True), np.where(taken < len(snapshot), taken, -1)


def _taken_strings(column: pd.api.extensions.ExtensionArray, taken: np.ndarray,
                   values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``pd.array(x, dtype="string")`` where ``x`` is, per row, the value of ``column`` at
    ``taken`` (a snapshot's row), or where ``taken`` is -1 the row's own of ``values``:
    one take of the snapshot's column instead of a conversion of every value."""
    rest = np.flatnonzero(taken < 0)
    own = pd.array(values[rest], dtype="string")
    if column.dtype != own.dtype:
        return pd.array(np.where(taken >= 0, np.asarray(column, dtype=object)[taken], values),
                        dtype="string")
    both = type(column)._concat_same_type([column, own])
    positions = taken.copy()
    positions[rest] = len(column) + np.arange(len(rest))
    return both.take(positions)


def _arrow():
    """pyarrow's IPC module, or None without pyarrow (then there is no snapshot)."""
    try:
        import pyarrow.ipc
    except ImportError:
        return None
    return pyarrow


@dataclass
class _Snapshot:
    """A batch's claims table and where each article's rows are in it (by extraction key),
    and the index of the batch's files (decoded when first asked for)."""

    settings: str
    claims: pd.DataFrame
    where: dict[str, tuple[int, int]]
    files: bytes = b""
    _claims_only: pd.DataFrame | None = None

    @classmethod
    def read(cls, settings: str, articles: bytes, claims_blob: bytes,
             files: bytes) -> "_Snapshot":
        table = _read_arrow(claims_blob).to_pandas(use_threads=False)
        if list(table.columns) != list(_COLUMNS) or [str(t) for t in table.dtypes] != [
                c.dtype for c in schema.CLAIMS]:
            raise ValueError("a snapshot of other columns")
        places = _read_arrow(articles)
        where = dict(zip(places.column("key").to_pylist(),
                         zip(places.column("first").to_pylist(), places.column("rows").to_pylist())))
        return cls(settings=settings, claims=table, where=where, files=files)

    def index(self) -> "_BatchIndex | None":
        if "_index" not in self.__dict__:
            try:
                self.__dict__["_index"] = _BatchIndex.decode(self.files)
            except Exception:  # noqa: BLE001  (damaged: the files table is used instead)
                self.__dict__["_index"] = None
        return self.__dict__["_index"]

    def claims_only(self) -> pd.DataFrame:
        """The table as the extractor gives it: no quantity keys yet."""
        if self._claims_only is None:
            empty = _strings([None] * len(self.claims))  # (pd.array's own path: 6 ms, this 0.5)
            self._claims_only = self.claims.assign(quantity=empty, quantity_reason=empty.copy())
        return self._claims_only


def _snapshot_row(version: str, settings: str, claims_table: pd.DataFrame,
                  articles: list[tuple[str, int, int]], files) -> tuple:
    pa = _arrow()
    table = pa.Table.from_pandas(claims_table[list(_COLUMNS)], preserve_index=False, nthreads=1)
    where = pa.table({"key": pa.array([key for key, _first, _rows in articles], pa.string()),
                      "first": pa.array([first for _key, first, _rows in articles], pa.int64()),
                      "rows": pa.array([rows for _key, _first, rows in articles], pa.int64())})
    return (version, settings, _write_arrow(where), _write_arrow(table), _write_arrow(files))


#: What the batch index keeps of each text file, a list per field.
_INDEX_FIELDS = ("real", "size", "mtime_ns", "ctime_ns", "inode", "hashed_ns", "content", "doc",
                 "key", *_META_FIELDS)


class _BatchIndex:
    """The text files of the batch a snapshot was made of, as git's index keeps a tree's
    files: per real path, the file's stamp and when it was hashed, its content id, what
    reading it gave (:data:`_META_FIELDS`), and its doc and extraction key.

    Kept as one Arrow table: reading it costs one decompression and a conversion per
    field for the whole batch, not a query per file.
    """

    def __init__(self, fields: dict[str, list]):
        self.fields = fields
        self.row = {real: number for number, real in enumerate(fields["real"])}
        # Per row, what a batch of thousands of files asks of each: the stamp its content
        # was hashed with and whether that stamp proves it (_stamp, then _trusted), the
        # record of the file, and its publication date.
        f = fields
        self.stamps = [(size, mtime_ns, ctime_ns, inode, _trusted(mtime_ns, hashed_ns))
                       for size, mtime_ns, ctime_ns, inode, hashed_ns in zip(
                           f["size"], f["mtime_ns"], f["ctime_ns"], f["inode"], f["hashed_ns"])]
        self.records = list(zip(f["real"], f["size"], f["mtime_ns"], f["ctime_ns"], f["inode"],
                                f["hashed_ns"]))
        days = {published: dt.date.fromisoformat(published) for published in set(f["published"])}
        self.days = [days[published] for published in f["published"]]

    def article(self, number: int, doc: str, path: str) -> _CachedArticle:
        """The article of the file at row ``number``, known by its stat: no text yet."""
        f = self.fields
        # (positional: a batch makes thousands of these)
        return _CachedArticle(doc, "", f["body_start"][number], f["source"][number],
                              f["url"][number], f["title"][number], self.days[number],
                              f["published_inferred"][number], path, f["content"][number], False,
                              None, self.records[number], (f["doc"][number], f["key"][number]))

    @staticmethod
    def encode(articles: Iterable[Article], keys: dict[str, str]) -> "pyarrow.Table":
        """The index of ``articles``: those read from text files whose stat the cache
        recorded, with their own publication date (not one the batch gave them)."""
        fields: dict[str, list] = {name: [] for name in _INDEX_FIELDS}
        for article in articles:
            if not isinstance(article, _CachedArticle) or article.record is None:
                continue
            meta = article.meta if article.meta is not None else _meta_of(article)
            key = keys.get(article.doc)
            if meta["published"] is None or key is None:
                continue
            values = (*article.record, article.content, article.doc, key,
                      *(meta[name] for name in _META_FIELDS[:-1]), bool(meta["published_inferred"]))
            for name, value in zip(_INDEX_FIELDS, values):
                fields[name].append(value)
        pa = _arrow()
        types = {"published_inferred": pa.bool_(), **{name: pa.int64() for name in _INDEX_INTEGERS}}
        return pa.table({name: pa.array(values, types.get(name, pa.string()))
                         for name, values in fields.items()})

    @classmethod
    def decode(cls, blob: bytes) -> "_BatchIndex":
        table = _read_arrow(blob)
        if tuple(table.column_names) != _INDEX_FIELDS:
            raise ValueError("not a batch index of this layout")
        return cls({name: table.column(name).to_pylist() for name in _INDEX_FIELDS})


_INDEX_INTEGERS = ("size", "mtime_ns", "ctime_ns", "inode", "hashed_ns", "body_start")


# Arrow's tables are written, read and converted on the calling thread (use_threads=False,
# nthreads=1): Arrow's thread pool, started for them, costs more CPU time than it saves on
# a batch's tables (reading the snapshot of 10,000 articles took 21-31 ms on one thread and
# 26-120 ms with the pool, on two shared cores), and a check is measured in CPU time too.

def _write_arrow(table) -> bytes:
    """An Arrow table as IPC file bytes, compressed with LZ4 when pyarrow has it.

    LZ4, not zstd: every check reads the snapshot, and LZ4 reads it back faster (2.61 G
    instructions for a check of 20 new articles in 10,040, against 2.68 G with zstd) for a
    cache file a tenth larger (27.5 MB against 24.9 MB).
    """
    pa = _arrow()
    sink = pa.BufferOutputStream()
    try:
        options = pa.ipc.IpcWriteOptions(compression="lz4", use_threads=False)
    except (ValueError, pa.ArrowException):
        options = pa.ipc.IpcWriteOptions(use_threads=False)
    with pa.ipc.new_file(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _read_arrow(blob: bytes):
    pa = _arrow()
    return pa.ipc.open_file(pa.py_buffer(blob),
                            options=pa.ipc.IpcReadOptions(use_threads=False)).read_all()


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused while a bulk of objects without cycles is
    made: each collection it would start meanwhile walks every object alive (pandas' own
    among them) and frees nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _transaction(db: sqlite3.Connection):
    """One write transaction, taken at once (another run sharing the file waits for it),
    committed on success and rolled back on any error."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
