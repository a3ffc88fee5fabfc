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
from figcheck import claims, rules, schema, sources
from figcheck.article import Article, Batch
from figcheck.config import Config

#: Where the command line keeps its cache, relative to the current folder.
DEFAULT_PATH = os.path.join(".figcheck", "cache.sqlite")
#: How long a run waits for another run that is writing to the same cache.
BUSY_TIMEOUT_SECONDS = 30.0
#: The layout of the tables; a file of another layout is emptied and laid out again.
LAYOUT = "4"
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
    (an article known by its file's stat alone)."""

    content: str = ""
    loaded: bool = True


@dataclass
class _Pending:
    files: list[tuple] = field(default_factory=list)
    articles: list[tuple] = field(default_factory=list)
    extractions: list[tuple] = field(default_factory=list)
    quantities: list[tuple] = field(default_factory=list)
    snapshot: tuple | None = None
    listings: list[tuple] = field(default_factory=list)


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
        self._snapshot_due: tuple | None = None  # (settings, claims, articles) to write
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
                              "listings"):
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
            db.execute("""CREATE TABLE IF NOT EXISTS listings (
                key TEXT PRIMARY KEY, folders TEXT NOT NULL, listed_ns INTEGER NOT NULL,
                files BLOB NOT NULL) WITHOUT ROWID""")
            db.execute("""CREATE TABLE IF NOT EXISTS snapshot (
                version TEXT PRIMARY KEY, settings TEXT NOT NULL, articles BLOB NOT NULL,
                claims BLOB NOT NULL) WITHOUT ROWID""")
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
                self._db.execute("DELETE FROM listings")
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (current,))
        except sqlite3.Error as exc:
            self._fail(exc)

    def flush(self) -> None:
        """Write the entries this run made, in one transaction."""
        pending, self._pending = self._pending, _Pending()
        if self._snapshot_due is not None and self._db is not None:
            try:
                pending.snapshot = _snapshot_row(self._version, *self._snapshot_due)
            except Exception:  # noqa: BLE001  (no snapshot: the next run decodes each article)
                pending.snapshot = None
            self._snapshot_due = None
        if self._db is None or not (pending.files or pending.articles or pending.extractions
                                    or pending.quantities or pending.snapshot
                                    or pending.listings):
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
                self._db.executemany("INSERT OR REPLACE INTO listings VALUES (?, ?, ?, ?)",
                                     pending.listings)
                if pending.snapshot is not None:
                    self._db.execute("INSERT OR REPLACE INTO snapshot VALUES (?, ?, ?, ?)",
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
        if self._version is None:
            self.use_version(version(rule_dirs))
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        batch = Batch()
        found = []
        for given in (os.fspath(p) for p in paths):
            if os.path.isdir(given):
                found.extend(self._find_in_folder(given, batch.skipped))
            else:
                found.extend(sources._find_files([given], batch.skipped))
        # The same walk as read_batch: a file reached twice (two paths, a link) is read once.
        real_dirs: dict[str, str] = {}
        files: list[tuple[str, str, str, os.stat_result | None]] = []
        seen: set[str] = set()
        for path, doc in found:
            real, info = _real_path(path, real_dirs)
            if real in seen:
                continue
            seen.add(real)
            files.append((path, doc, real, info))
        known = self._known_files([real for path, _doc, real, _info in files
                                   if path.lower().endswith(sources.TEXT_SUFFIXES)])
        # The metadata of every content known, read or not: a file read again because its stat
        # proves nothing (racily clean, a fresh clone) is then not parsed again.
        metas = self._metas(sorted({content for _stamp, content, _trusted in known.values()}))
        for path, doc, real, info in files:
            if not path.lower().endswith(sources.TEXT_SUFFIXES):
                first = len(batch.articles)
                _read_other(path, doc, max_bytes, batch)
                for position in range(first, len(batch.articles)):
                    article = batch.articles[position]
                    batch.articles[position] = _CachedArticle(
                        **_fields(article), content="t:" + _sha256(article.text.encode("utf-8")))
                continue
            entry = known.get(real)
            if (entry is not None and entry[2] and info is not None and stat.S_ISREG(info.st_mode)
                    and info.st_size <= max_bytes and entry[0] == _stamp(info)):
                meta = metas.get(entry[1])
                if meta is not None and meta["published"] is not None:
                    self.stats.files_stat_only += 1
                    batch.articles.append(_article_from_meta(doc, "", path, meta,
                                                             content=entry[1], loaded=False))
                    continue
            self._read_text_file(path, doc, real, max_bytes, batch, metas)
        sources._make_docs_unique(batch.articles)
        return batch

    def _find_in_folder(self, folder: str, skipped: list) -> list[tuple[str, str]]:
        """The article files of ``folder`` as the reader lists them, (path, doc) each.

        The listing is kept with the modification time of every folder it walked (those
        the reader walks: not hidden ones, not links), as git's untracked cache does: a file
        added, removed or renamed changes its folder's time. When no folder changed since
        (and none was changed within a second of the listing, see :func:`_trusted`), the
        kept listing is used instead of walking the files again.
        """
        key = _sha256(repr((self._version, os.getcwd(), folder)).encode("utf-8"))
        folders = _folder_stamps(folder)
        if folders is not None:
            row = self._select("SELECT folders, listed_ns, files FROM listings WHERE key IN ({marks})",
                               [key])
            if row and row[0][0] == folders and all(
                    _trusted(int(stamp.rsplit(":", 3)[1]), row[0][1]) for stamp in folders.split("\n")):
                try:
                    return [tuple(pair) for pair in json.loads(zlib.decompress(row[0][2]))]
                except (ValueError, zlib.error):
                    pass
        before = len(skipped)
        found = list(sources._find_files([folder], skipped))
        if folders is not None and len(skipped) == before and _folder_stamps(folder) == folders:
            self._pending.listings.append(
                (key, folders, self._started_ns,
                 zlib.compress(json.dumps(found, ensure_ascii=False).encode("utf-8"), 6)))
        return found

    def _known_files(self, reals: list[str]) -> dict[str, tuple[tuple, str, bool]]:
        """Per real path in the cache: (its stamp, its content id, whether a matching stamp
        proves the content, see :func:`_trusted`)."""
        return {path: ((size, mtime_ns, ctime_ns, inode), content, _trusted(mtime_ns, hashed_ns))
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
        if self._stat_matches(path, info):
            self._pending.files.append((real, *_stamp(info), self._started_ns, content))
        batch.articles.append(_article_from_meta(doc, text, path, meta, content=content, loaded=True))

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
        keys = [self._extraction_key(article) for article in articles]
        self._keys.update((article.doc, key) for article, key in zip(articles, keys))
        snapshot = self._snapshot()
        in_snapshot = {key: snapshot.where[key] for key in keys
                       if snapshot is not None and key in snapshot.where}
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
            fresh = _blocks_by_doc(claims.extract_articles(missing, rule_dirs=rule_dirs,
                                                           on_error=failed))
        self.stats.articles_extracted += len(missing)
        self.stats.articles_from_cache += len(articles) - len(missing)
        blocks: list[Block] = []
        # Where each article's rows are: ("snapshot", first row, rows) or ("block", _, rows).
        places: list[tuple[str, int, int]] = []
        for article, key in zip(articles, keys):
            if key in in_snapshot:
                places.append(("snapshot", *in_snapshot[key]))
                continue
            if key in stored:
                block = stored[key]
            else:
                block = fresh.get(article.doc, _EMPTY_BLOCK)
                if id(article) not in timed_out:
                    self._pending.extractions.append((key, _encode_block(block)))
            blocks.append(block)
            places.append(("block", 0, block["n"]))
        if not in_snapshot:
            return _frame(blocks)
        return _combine(snapshot.claims_only(), _frame(blocks), places)

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
        docs = frame["doc"].tolist()
        rows_of: dict[str, list[int]] = {}
        for position, doc in enumerate(docs):
            rows_of.setdefault(doc, []).append(position)
        by_doc = {article.doc: article for article in articles}
        for doc in rows_of:
            if doc not in self._keys and doc in by_doc:
                self._keys[doc] = self._extraction_key(by_doc[doc])
        names = np.full(len(docs), None, dtype=object)
        reasons = np.full(len(docs), None, dtype=object)

        # From the snapshot, when it was made with these settings: one vectorised take.
        snapshot = self._snapshot()
        rest = list(rows_of)
        current = snapshot is not None and snapshot.settings == settings
        if current:
            taken = np.full(len(docs), -1, dtype=np.int64)
            rest = []
            for doc, positions in rows_of.items():
                where = snapshot.where.get(self._keys.get(doc, ""))
                if where is not None and where[1] == len(positions):
                    taken[positions] = np.arange(where[0], where[0] + where[1])
                else:
                    rest.append(doc)
            mask = taken >= 0
            names[mask] = snapshot.names[taken[mask]]
            reasons[mask] = snapshot.reasons[taken[mask]]

        # Then each article's stored keys; the others are derived, and stored.
        store_key = {}
        for doc in rest:
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
        for doc in rest:
            positions = rows_of[doc]
            found = stored.get(store_key.get(doc, ""))
            if not (isinstance(found, list) and len(found) == 2 and len(found[0]) == len(positions)):
                missing.append(doc)
                continue
            for position, name, reason in zip(positions, *found):
                names[position], reasons[position] = name, reason
        if missing:
            wanted = set(missing)
            part_rows = [position for position, doc in enumerate(docs) if doc in wanted]
            assigned = quantities.assign(frame.iloc[part_rows].reset_index(drop=True),
                                         config=config, rule_dirs=rule_dirs)
            fresh: dict[str, list[list]] = {doc: [[], []] for doc in missing}
            for position, name, reason in zip(part_rows, assigned["quantity"].tolist(),
                                              assigned["quantity_reason"].tolist()):
                name = name if isinstance(name, str) else None
                reason = reason if isinstance(reason, str) else None
                names[position], reasons[position] = name, reason
                fresh[docs[position]][0].append(name)
                fresh[docs[position]][1].append(reason)
            for doc, value in fresh.items():
                if doc in store_key:
                    self._pending.quantities.append(
                        (store_key[doc], zlib.compress(json.dumps(value).encode("utf-8"), 6)))
        out = quantities.conformed(frame)
        out["quantity"] = pd.array(names, dtype="string")
        out["quantity_reason"] = pd.array(reasons, dtype="string")
        # A new snapshot when there is none for these settings, or when the articles it
        # lacks hold more than SNAPSHOT_SLACK of the rows (a batch of 20 in 10,000 does not
        # rewrite it: those 20 are read from their own entries, a few milliseconds).
        outside = sum(len(rows_of[doc]) for doc in rest)
        if not current or outside > SNAPSHOT_SLACK * max(len(docs), 1):
            self._leave_snapshot(out, rows_of, settings)
        return out

    # --- the batch's snapshot --------------------------------------------------------------
    # The last batch's claims table, with its quantity keys, in one Arrow file: an article
    # found there (same extraction key) takes its rows from it in one vectorised step,
    # without decoding its own entry. Only with pyarrow; one snapshot per version.

    def _snapshot(self) -> "_Snapshot | None":
        if not self._snapshot_loaded:
            self._snapshot_loaded = True
            if self._db is not None and self._version is not None and _arrow() is not None:
                try:
                    row = self._db.execute("SELECT settings, articles, claims FROM snapshot "
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

    def _leave_snapshot(self, claims_table: pd.DataFrame, rows_of: dict[str, list[int]],
                        settings: str) -> None:
        """Keep ``claims_table`` to be written as the snapshot when the cache is closed."""
        if _arrow() is None:
            return
        articles = []
        for doc, positions in rows_of.items():
            key = self._keys.get(doc)
            first = positions[0]
            if key is None or positions != list(range(first, first + len(positions))):
                return  # rows of an article not together: not a table this cache made
            articles.append((key, first, len(positions)))
        self._snapshot_due = (settings, claims_table, articles)

    def load_texts(self, articles: Iterable[Article]) -> None:
        """Read the text of the articles known by their stat alone (they have none yet)."""
        for article in articles:
            if isinstance(article, _CachedArticle) and not article.loaded:
                self._load(article)

    def _extraction_key(self, article: Article) -> str:
        """Everything an article's rows depend on: the extractor, the article's content and
        what reading it gave besides the text."""
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
            # Changed between its stat and now: read it as it is now.
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


def _folder_stamps(folder: str) -> str | None:
    """``path:mtime_ns:ctime_ns:inode`` of ``folder`` and of every folder under it that the reader
    walks (not hidden ones; links to folders are not followed), one a line, sorted; None
    when one cannot be listed."""
    stamps = []
    pending = [folder]
    try:
        while pending:
            current = pending.pop()
            info = os.stat(current)
            stamps.append(f"{current}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}")
            with os.scandir(current) as entries:
                for entry in entries:
                    if not entry.name.startswith(".") and entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
    except OSError:
        return None
    return "\n".join(sorted(stamps))


def _trusted(mtime_ns: int, hashed_ns: int) -> bool:
    """Whether a file's stat, unchanged since it was hashed, proves its content unchanged.

    A file modified again after it was hashed, within the same tick of the file system's
    clock, keeps its modification time (and perhaps its size): only a file last modified
    well before it was hashed can be trusted by its stat (git calls the others racily clean).
    """
    margin = RACY_MARGIN_COARSE_NS if mtime_ns % 1_000_000_000 == 0 else RACY_MARGIN_NS
    return mtime_ns + margin < hashed_ns


def _real_path(path: str, real_dirs: dict[str, str]) -> tuple[str, os.stat_result | None]:
    """``os.path.realpath(path)`` and the file's stat, resolving each folder once."""
    try:
        info = os.lstat(path)
    except OSError:
        return os.path.realpath(path), None
    if stat.S_ISLNK(info.st_mode):
        try:
            target = os.stat(path)
        except OSError:
            target = None
        return os.path.realpath(path), target
    folder, name = os.path.split(path)
    if name in ("", ".", ".."):
        return os.path.realpath(path), info
    if folder not in real_dirs:
        real_dirs[folder] = os.path.realpath(folder or os.curdir)
    return os.path.join(real_dirs[folder], name), info


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
                       loaded: bool) -> _CachedArticle:
    published = meta["published"]
    return _CachedArticle(
        doc=doc, text=text, body_start=meta["body_start"], source=meta["source"],
        url=meta["url"], title=meta["title"],
        published=dt.date.fromisoformat(published) if published else None,
        published_inferred=bool(meta["published_inferred"]), path=path, content=content,
        loaded=loaded)


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
             places: list[tuple[str, int, int]]) -> pd.DataFrame:
    """The rows of each article, in order, from the snapshot or from ``others`` (in turn)."""
    positions: list[int] = []
    next_other = len(snapshot)
    for where, first, rows in places:
        if where == "snapshot":
            positions.extend(range(first, first + rows))
        else:
            positions.extend(range(next_other, next_other + rows))
            next_other += rows
    both = pd.concat([snapshot, others], ignore_index=True) if len(others) else snapshot
    return both.take(positions).reset_index(drop=True)


def _arrow():
    """pyarrow's IPC module, or None without pyarrow (then there is no snapshot)."""
    try:
        import pyarrow.ipc
    except ImportError:
        return None
    return pyarrow


@dataclass
class _Snapshot:
    """A batch's claims table and where each article's rows are in it (by extraction key)."""

    settings: str
    claims: pd.DataFrame
    where: dict[str, tuple[int, int]]
    _claims_only: pd.DataFrame | None = None

    @classmethod
    def read(cls, settings: str, articles: bytes, claims_blob: bytes) -> "_Snapshot":
        pa = _arrow()
        table = pa.ipc.open_file(pa.py_buffer(claims_blob)).read_all().to_pandas()
        if list(table.columns) != list(_COLUMNS) or [str(t) for t in table.dtypes] != [
                c.dtype for c in schema.CLAIMS]:
            raise ValueError("a snapshot of other columns")
        where = {key: (first, rows) for key, first, rows in json.loads(zlib.decompress(articles))}
        return cls(settings=settings, claims=table, where=where)

    @property
    def names(self) -> np.ndarray:
        return self._column("quantity")

    @property
    def reasons(self) -> np.ndarray:
        return self._column("quantity_reason")

    def _column(self, name: str) -> np.ndarray:
        cached = self.__dict__.setdefault("_arrays", {})
        if name not in cached:
            cached[name] = np.array([v if isinstance(v, str) else None
                                     for v in self.claims[name].tolist()], dtype=object)
        return cached[name]

    def claims_only(self) -> pd.DataFrame:
        """The table as the extractor gives it: no quantity keys yet."""
        if self._claims_only is None:
            empty = pd.array([None] * len(self.claims), dtype="string")
            self._claims_only = self.claims.assign(quantity=empty, quantity_reason=empty.copy())
        return self._claims_only


def _snapshot_row(version: str, settings: str, claims_table: pd.DataFrame,
                  articles: list[tuple[str, int, int]]) -> tuple:
    pa = _arrow()
    table = pa.Table.from_pandas(claims_table[list(_COLUMNS)], preserve_index=False)
    sink = pa.BufferOutputStream()
    try:
        options = pa.ipc.IpcWriteOptions(compression="zstd")
    except (ValueError, pa.ArrowException):
        options = pa.ipc.IpcWriteOptions()
    with pa.ipc.new_file(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    index = zlib.compress(json.dumps(articles).encode("utf-8"), 6)
    return (version, settings, index, sink.getvalue().to_pybytes())


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
