"""Read a batch of articles: ``.txt``/``.md``, ``.html``/``.htm`` and ``.jsonl`` files, from files or folders.

What this module owns:

* finding the files (folders recursively, sorted by relative path, so a batch reads the
  same way on every machine whatever order the file system lists it in);
* decoding bytes to text (UTF-8 with or without BOM, UTF-16/32 with BOM, else
  Windows-1252) and refusing what is not text, with a reason (:class:`Skipped`);
* the ``.txt`` layout: an optional first line `` date YYYY-MM-DD`` (the article may
  continue on that line), then optional ``source:``/``url:``/``title:`` header lines up
  to the first blank line;
* the ``.jsonl`` layout: one article per line;
* HTML pages: the main text, title, date and outlet that trafilatura (the ``html`` extra)
  finds, laid out as a ``.txt`` article (:func:`html_to_text`), which is the text the
  claims' offsets refer to and what :func:`write_texts` keeps;
* the outlet when no header names it, from the cues in ``rules/sources.toml``, and the
  publication date when none is given, from :func:`figcheck.dates.infer_published`.

One bad file or line never stops a batch: it becomes a :class:`Skipped` with a reason.
"""
from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import json
import os
import stat
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePath
from typing import Callable, Container, Iterable, Iterator

import regex

from figcheck import dates, limits, rules
from figcheck.article import Article, Batch, Skipped

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIX = ".jsonl"
ARTICLE_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + (JSONL_SUFFIX,)
DEFAULT_MAX_BYTES = 10_000_000
HTML_EXTRA = "pip install 'figcheck[html]'"

#: Keys of a JSONL record that may hold the article, in order of preference.
JSONL_TEXT_KEYS = ("text", "body", "content")
JSONL_DATE_KEYS = ("published", "date")
#: Keys that mark a JSONL record as a row of a figcheck table (claims, discrepancies) or of
#: a gold file, not an article: such a file beside the articles is passed over with a reason.
TABLE_ROW_KEYS = (frozenset({"sentence", "value"}), frozenset({"claim_a", "claim_b"}))
#: Documentation files that sit beside articles in a folder (README.md) are not articles.
NOT_ARTICLE_STEMS = frozenset({"readme", "license", "licence", "changelog", "contributing"})

# A title line is a headline: short, and not ending like a sentence.
_TITLE_MAX_CHARS = 200
_SENTENCE_END = ".!?:;,…"
_CLOSING_MARKS = "\"'”’»)]"

# Byte-order marks, longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Text in a legacy code page has no control characters other than white space; bytes that
# decode as Windows-1252 but contain these are binary data.
_CONTROL_CHARACTER = rules.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_BINARY_SNIFF_BYTES = 8192

_DATE_LINE = rules.compile(r"(?i)[ \t]*date:?[ \t]+(?P<date>\d{4}-\d{2}-\d{2})(?![\d-])[ \t]*")
_HEADER_LINE = rules.compile(
    r"(?i)(?P<key>source|url|title|date|published)[ \t]*:[ \t]*(?P<value>[^\r\n]*?)[ \t]*\r?$")
_DATE_VALUE = rules.compile(r"\s*(?P<date>\d{4}-\d{2}-\d{2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?\s*")
_MARKDOWN_HEADING = rules.compile(r"#{1,6}[ \t]+")
# <meta charset="..."> or <meta http-equiv="Content-Type" content="text/html; charset=...">,
# looked for in the first bytes of a page as browsers do.
_META_CHARSET = rules.Pattern(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""",
                              flags=regex.IGNORECASE)
_CHARSET_SNIFF_BYTES = 4096
# Dates of a page are taken from its markup only (meta tags, <time>, JSON-LD), not guessed
# from its text, which is figcheck's own inference (marked published_inferred); and checked
# against a fixed latest date, not the clock, so that a page reads the same on every day.
_HTML_DATE_PARAMS = {"original_date": True, "extensive_search": False, "max_date": "2099-12-31"}
#: CPU time trafilatura may spend on one page (its time grows faster than the page's
#: tags: 0.4 s for 10,000 paragraphs, 12 s for 60,000); past it the page is skipped with
#: the reason.
HTML_TIME_LIMIT_SECONDS = 3.0
#: Pages with more tags (counted as ``<``) than this, or more characters than
#: ``HTML_CHILD_CHARACTERS``, are read by trafilatura in a child process whose CPU time the
#: kernel caps (:mod:`figcheck.page_process`): trafilatura's time grows with the square of
#: a page's elements, inside lxml calls that the in-process limit cannot interrupt. Under
#: both, its worst case measured (10,000 bare ``<p>`` or ``<br>``: 0.4 s; two million
#: characters of text: 0.3 s) stays far under the limit, and most news pages (20-500 KB,
#: a few thousand tags) are read in the process, without a child's start.
HTML_CHILD_TAGS = 10_000
HTML_CHILD_CHARACTERS = 2_000_000
#: Wall time for finding an article's outlet and publication date in its text.
READ_TIME_LIMIT_SECONDS = rules.REGEX_TIMEOUT_SECONDS


class UnreadableError(Exception):
    """A file or record that cannot be read as an article; ``str(error)`` is the reason."""


def read_batch(paths: str | os.PathLike | Iterable[str | os.PathLike],
               max_bytes: int = DEFAULT_MAX_BYTES) -> Batch:
    """Read every article under ``paths`` (files or folders) into a :class:`Batch`.

    Folders are searched recursively for ``.txt``, ``.md``, ``.html``, ``.htm`` and
    ``.jsonl`` files; other
    files, names starting with a dot and documentation such as ``README.md`` are passed
    over. A file named explicitly with another extension is skipped with a reason, and so
    is a ``.jsonl`` file of table rows (a claims table, a gold file) rather than articles.
    Articles come in the order of ``paths``, each folder's files sorted by their relative
    path. A file or JSONL line larger than ``max_bytes`` is skipped. A ``doc`` already used in the batch gets ``#2``, ``#3``...
    so that every article has its own.
    """
    batch = Batch()
    for item in list_files(paths):
        if isinstance(item, Skipped):
            batch.skipped.append(item)
            continue
        for _number, found in read_file(item, max_bytes):
            (batch.skipped if isinstance(found, Skipped) else batch.articles).append(found)
    _make_docs_unique(batch.articles)
    return batch


@dataclass(frozen=True, slots=True)
class ArticleFile:
    """A file of articles as :func:`list_files` finds it: where to open it, and its ``doc``
    (the article's, or for a ``.jsonl`` file the prefix of its lines' docs).

    A part of a ``.jsonl`` file (:func:`jsonl_parts`) is its lines from byte ``start``,
    line number ``first_line``, to byte ``end`` (the end of the file when None).
    """

    path: str
    doc: str
    part: bool = False
    start: int = 0
    end: int | None = None
    first_line: int = 1


def jsonl_parts(file: ArticleFile, part_bytes: int,
                max_bytes: int = DEFAULT_MAX_BYTES) -> list[ArticleFile]:
    """A ``.jsonl`` file cut at line ends into parts of about ``part_bytes``, which
    :func:`read_file` reads one by one as it would read them in the whole file.

    Only a file whose first lines show it to be one of articles (not UTF-16, no NUL byte,
    its first record a JSON object that is not a table row) is cut: what the reader says
    of a whole file depends on its beginning alone, so each part can be read on its own.
    Any other file comes back whole, for :func:`read_file` to say what it is.
    """
    try:
        size = os.stat(file.path).st_size
        if size <= part_bytes or not _reads_as_articles(file.path, max_bytes):
            return [file]
        parts: list[ArticleFile] = []
        with open(file.path, "rb") as handle:
            offset, line = 0, 1             # of the block about to be read
            part_start, part_line = 0, 1
            while block := handle.read(1 << 20):
                cut_from = part_start + part_bytes - offset
                while cut_from < len(block):
                    newline = block.find(b"\n", max(cut_from, 0))
                    if newline < 0:
                        break
                    cut = offset + newline + 1
                    cut_line = line + block.count(b"\n", 0, newline + 1)
                    parts.append(ArticleFile(file.path, file.doc, True, part_start, cut, part_line))
                    part_start, part_line = cut, cut_line
                    cut_from = part_start + part_bytes - offset
                offset += len(block)
                line += block.count(b"\n")
        if part_start < offset:
            parts.append(ArticleFile(file.path, file.doc, True, part_start, None, part_line))
    except OSError:
        return [file]
    return parts if len(parts) > 1 else [file]


def _reads_as_articles(path: str, max_bytes: int) -> bool:
    """The beginning of a JSONL file passes the reader's whole-file tests."""
    with open(path, "rb") as handle:
        head = handle.peek(_BINARY_SNIFF_BYTES)[:_BINARY_SNIFF_BYTES]
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
            return False
        for number, raw in _lines(handle, max_bytes):
            if number == 1 and raw:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            if raw is not None and not raw.strip():
                continue
            try:
                return not _table_row_keys(_jsonl_record(raw, max_bytes))
            except UnreadableError:
                return False  # the first record is broken: read whole, as it always was
    return False


def list_files(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> Iterator[ArticleFile | Skipped]:
    """The files :func:`read_batch` reads, in its order, lazily; a path that cannot be
    listed or read is a :class:`Skipped` in its place. A file reached twice (two paths,
    a link) comes once."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    skipped: list[Skipped] = []
    seen_files: set[str] = set()
    real_folders: dict[str, str] = {}
    for path, doc in _find_files([os.fspath(p) for p in paths], skipped):
        # What the walk skipped on its way to this file comes before it, as in a batch.
        yield from skipped
        skipped.clear()
        real, _info = real_path(path, real_folders)
        if real in seen_files:
            continue
        seen_files.add(real)
        yield ArticleFile(path, doc)
    yield from skipped


def real_path(path: str, real_dirs: dict[str, str]) -> tuple[str, os.stat_result | None]:
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
    # The folder part with its separator, cut off the path as it is (os.path.split, which
    # cleans it, costs more than the rest for a batch of small files).
    cut = max(path.rfind(os.sep), path.rfind(os.altsep)) if os.altsep else path.rfind(os.sep)
    folder, name = path[:cut + 1], path[cut + 1:]
    if name in ("", ".", ".."):
        return os.path.realpath(path), info
    real_folder = real_dirs.get(folder)
    if real_folder is None:
        real_folder = real_dirs[folder] = os.path.join(os.path.realpath(folder or os.curdir), "")
    return real_folder + name, info


def read_file(file: ArticleFile, max_bytes: int = DEFAULT_MAX_BYTES, *,
              lines: Container[int] | None = None) -> Iterator[tuple[int, Article | Skipped]]:
    """The articles of one file, lazily, as :func:`read_batch` reads them: ``(line number,
    article)`` for a ``.jsonl`` file, one line at a time, ``(0, article)`` for the others;
    what cannot be read is a :class:`Skipped` in its place. Docs are the file's own: a
    batch makes them unique across files afterwards.

    ``lines`` reads only those lines of a ``.jsonl`` file (an article read again).
    """
    batch = Batch()
    path, doc = file.path, file.doc
    if path.lower().endswith(JSONL_SUFFIX):
        yield from _jsonl_items(path, doc, max_bytes, lines, file)
        return
    if path.lower().endswith(HTML_SUFFIXES):
        _read_html_file(path, doc, max_bytes, batch)
    else:
        _read_text_file(path, doc, max_bytes, batch)
    for found in batch.skipped + batch.articles:
        yield 0, found


def explain(text: str) -> set[str]:
    """The ids of the ``sources.toml`` rules that find an outlet in ``text``.

    >>> sorted(explain("According to Censor.NET, Rutte wrote about this on X."))
    ['SRC-ACCORDING-TO']
    """
    return {rule_id for rule_id, _rank, _start, _outlet in _outlet_cues(text)}


def find_outlet(text: str) -> str | None:
    """The outlet that the cues in ``text`` name, canonically spelt, or None.

    The cue of lowest rank wins (a cue naming the publisher before a reporting cue),
    then the earliest one.

    >>> find_outlet("(MENAFN- UkrinForm) expects to hear a report, an Ukrinform correspondent reports.")
    'Ukrinform'
    >>> find_outlet("NATO has no information. Mark Rutte, Censor.NET reports with reference to Ukrinform.")
    'Censor.NET'
    """
    cues = _outlet_cues(text)
    if not cues:
        return None
    _rule_id, _rank, _start, outlet = min(cues, key=lambda cue: (cue[1], cue[2]))
    return canonical_outlet(outlet)


def canonical_outlet(name: str) -> str:
    """One spelling per outlet, from the ``[outlets]`` table of ``sources.toml``.

    >>> canonical_outlet("UkrinForm")
    'Ukrinform'
    >>> canonical_outlet("Kyiv Post")
    'Kyiv Post'
    """
    cleaned = " ".join(name.split())
    return _outlet_spellings().get(cleaned.casefold(), cleaned)


def decode(data: bytes) -> str:
    """Bytes of a text file to text, or :class:`UnreadableError` saying why they are not text.

    A byte-order mark selects UTF-8, UTF-16 or UTF-32 and is not part of the text (so that
    offsets count from the first character after it); without one, UTF-16 when the NUL
    bytes fall as in UTF-16 text, else UTF-8, then Windows-1252.

    >>> decode(b"\\xef\\xbb\\xbfcaf\\xc3\\xa9")
    'café'
    >>> decode(b"caf\\xe9 \\x93quoted\\x94")
    'café “quoted”'
    """
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise UnreadableError(f"not valid {encoding.upper().removesuffix('-SIG')} "
                                      f"after its byte-order mark (byte {exc.start})") from None
            if "\x00" in text:
                raise UnreadableError("binary file (contains NUL characters)")
            return text
    if b"\x00" in data:
        encoding = _utf16_without_mark(data)
        if encoding is None:
            raise UnreadableError("binary file (contains NUL bytes)")
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            raise UnreadableError("binary file (contains NUL bytes)") from None
        if "\x00" in text or _CONTROL_CHARACTER.search(text):
            raise UnreadableError("binary file (contains NUL bytes)")
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise UnreadableError("not text: neither UTF-8, UTF-16 nor Windows-1252") from None
    if _CONTROL_CHARACTER.search(text):
        raise UnreadableError("binary file (not UTF-8, and has control characters)")
    return text


def _utf16_without_mark(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when ``data`` looks like UTF-16 text saved without a
    byte-order mark: an even length, NUL bytes only on one side of each pair, and on that
    side in most pairs (the high bytes of Latin text)."""
    head = data[:_BINARY_SNIFF_BYTES]
    if len(data) % 2 or len(head) < 2:
        return None
    even, odd = head[0::2], head[1::2]
    if not even.count(0) and odd.count(0) * 2 >= len(odd):
        return "utf-16-le"
    if not odd.count(0) and even.count(0) * 2 >= len(even):
        return "utf-16-be"
    return None


def parse_text_article(doc: str, text: str, path: str | None = None) -> Article:
    """An :class:`Article` from the decoded content of a ``.txt``/``.md`` file.

    ``text`` stays whole (offsets refer to the file); the `` date`` line and the header
    lines set ``published``, ``source``, ``url`` and ``title``, and ``body_start`` points
    where the article begins. Without a ``title:`` header, a first body line that reads
    as a headline is the title (and stays part of the body). Raises
    :class:`UnreadableError` when there is no article text or a stated date is not a date.

    >>> article = parse_text_article("a.txt", " date 2024-10-22 (MENAFN- UkrinForm) expects")
    >>> article.published, article.body, article.source
    (datetime.date(2024, 10, 22), '(MENAFN- UkrinForm) expects', 'Ukrinform')
    """
    headers: dict[str, str] = {}
    published: dt.date | None = None
    first_line_end = _line_end(text, 0)
    date_line = _DATE_LINE.match(text, 0, first_line_end)
    if date_line:
        published = _parse_date(date_line["date"], "date line")
    if date_line and text[date_line.end():first_line_end].strip():
        body_start = date_line.end()
    else:
        position = first_line_end + 1 if date_line else 0
        while position < len(text):
            line_end = _line_end(text, position)
            header = _HEADER_LINE.match(text, position, line_end)
            if not header:
                break
            headers.setdefault(header["key"].lower(), header["value"])
            position = line_end + 1
        body_start = _skip_whitespace(text, position)
    if body_start >= len(text):
        raise UnreadableError("no article text after the header lines")

    for key in ("published", "date"):
        if published is None and headers.get(key):
            published = _parse_date(headers[key], f"{key}: header")
    article = Article(
        doc=doc,
        text=text,
        body_start=body_start,
        url=headers.get("url") or None,
        title=headers.get("title") or _headline(text, body_start),
        published=published,
        path=path,
    )
    _complete(article, headers.get("source"))
    return article


def decode_html(data: bytes) -> str:
    """Bytes of an HTML page to text: a byte-order mark, else UTF-8 when the bytes are
    UTF-8, else the encoding the page's ``<meta charset>`` declares, else Windows-1252.

    UTF-8 comes before the declaration because pages saved as UTF-8 often keep the
    ``charset`` of the page they were saved from, and text in another encoding is almost
    never valid UTF-8.

    >>> decode_html(b'<meta charset="windows-1252"><p>caf\\xe9</p>')
    '<meta charset="windows-1252"><p>café</p>'
    >>> decode_html(b'<meta charset="koi8-r"><p>\\xd4\\xd9\\xd3\\xd1\\xde</p>')
    '<meta charset="koi8-r"><p>тысяч</p>'
    """
    if data.startswith(tuple(mark for mark, _ in _BYTE_ORDER_MARKS)) or b"\x00" in data:
        return decode(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _META_CHARSET.search(data[:_CHARSET_SNIFF_BYTES])
    if declared:
        try:
            encoding = codecs.lookup(declared[1].decode("ascii")).name
        except LookupError:
            encoding = None
        # Browsers read a page declared Latin-1 or ASCII as Windows-1252: so does decode().
        if encoding and encoding not in ("latin-1", "iso8859-1", "ascii", "utf-8") \
                and not encoding.startswith(("utf-16", "utf-32")):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                pass  # bytes that do not fit the declaration: read as if it said nothing
    return decode(data)


def html_to_text(html: str) -> str:
    """The article of an HTML page as the text of a ``.txt`` article: a `` date`` line,
    ``source:``, ``url:`` and ``title:`` lines for what the page states, a blank line, then
    its main text, one paragraph a line with a blank line between them.

    This text is what the claims' offsets refer to. It reads back as the same article (same
    offsets, same claims) when saved as a ``.txt`` file, as :func:`write_texts` does. Needs
    trafilatura (``pip install 'figcheck[html]'``); raises :class:`UnreadableError` when the
    page has no main text, or when trafilatura takes more than ``HTML_TIME_LIMIT_SECONDS``
    of CPU time. A large page (``HTML_CHILD_TAGS``, ``HTML_CHILD_CHARACTERS``) is read in a
    child process that the kernel stops at the limit; a smaller one, or any page where no
    child can start, in this process, under a limit kept only in the main thread (where a
    timer signal can interrupt Python code, not a C call) and only when the program has no
    timer of its own running.
    """
    document = _bare_extraction(html)
    body = getattr(document, "text", None) if document is not None else None
    paragraphs = [" ".join(line.split()) for line in (body or "").splitlines()]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        raise UnreadableError("no article text found in the page")
    header = []
    date = _html_date(getattr(document, "date", None))
    if date:
        header.append(f" date {date}")
    for key, value in (("source", document.sitename), ("url", document.url),
                       ("title", document.title)):
        value = " ".join(str(value or "").split())
        if value:
            header.append(f"{key}: {value}")
    text = "\n\n".join(paragraphs) + "\n"
    return "\n".join(header) + "\n\n" + text if header else text


def _bare_extraction(html: str):
    """trafilatura's document of the page (or None), read in a child process if the page is
    large and one can start, else here; the same call with the same options either way."""
    trafilatura = _trafilatura()
    options = dict(with_metadata=True, include_comments=False, include_tables=True,
                   include_images=False, include_links=False, deduplicate=False,
                   date_extraction_params=dict(_HTML_DATE_PARAMS))
    if len(html) > HTML_CHILD_CHARACTERS or html.count("<") > HTML_CHILD_TAGS:
        from figcheck import page_process
        try:
            answer = page_process.read(html, options, HTML_TIME_LIMIT_SECONDS)
        except page_process.Unavailable:
            pass  # read here, under the in-process limit, as a small page is
        except page_process.TooSlow:
            raise UnreadableError(_too_slow_page(html)) from None
        except page_process.Crashed as exc:
            raise UnreadableError(f"cannot extract the text of the page ({exc})") from None
        else:
            if answer[0] == "error":
                raise UnreadableError(_failed_page(answer[1], answer[2]))
            return None if answer[1] is None else _PageFields(**answer[1])
    try:
        with limits.cpu_time_limit(HTML_TIME_LIMIT_SECONDS):
            return trafilatura.bare_extraction(html, **options)
    except limits.PastTimeLimit:
        raise UnreadableError(_too_slow_page(html)) from None
    except Exception as exc:  # a parser's failure on one page must not stop the batch
        raise UnreadableError(_failed_page(type(exc).__name__, str(exc))) from None


@dataclass(frozen=True)
class _PageFields:
    """What a child process sends back of trafilatura's document: the attributes
    :func:`html_to_text` reads."""

    text: str | None
    date: str | None
    sitename: str | None
    url: str | None
    title: str | None


def _failed_page(error: str, message: str) -> str:
    return f"cannot extract the text of the page ({error}: {message[:80]})"


def _too_slow_page(html: str) -> str:
    return (f"too slow to read: taking the text from the page took more than "
            f"{HTML_TIME_LIMIT_SECONDS:g} s ({len(html):,} characters)")


def write_texts(articles: Iterable[Article], folder: str | os.PathLike) -> dict[str, str]:
    """Write the text of every article, the text its claims' offsets refer to, into
    ``folder``; the path written for each ``doc``.

    The file is the article's ``doc`` with ``.txt`` after it (``page.html.txt``,
    ``batch.jsonl#3.txt``; ``a.txt`` stays ``a.txt``), in the subfolders the doc names;
    characters that cannot be in a file name are replaced, with a short hash of the doc
    added so that two docs never share a file. ``file[start:end]`` is each claim's ``text``.
    """
    from figcheck import io  # io imports pandas; reading a batch does not need it

    written: dict[str, str] = {}
    for article in articles:
        text = article.text
        if not text and article.path:
            # An article a cache knew by its file's stat alone: its text is the file's.
            text = decode(_read_bytes(article.path, os.stat(article.path).st_size))
        path = kept_text_path(folder, article.doc)
        io.write_file(path, text.encode("utf-8"))
        written[article.doc] = path
    return written


def kept_text_path(folder: str | os.PathLike, doc: str) -> str:
    """The file :func:`write_texts` writes the text of ``doc`` into, in ``folder``."""
    return os.path.join(os.fspath(folder), *kept_text_name(doc).split("/"))


def kept_text_name(doc: str) -> str:
    """The relative path (``/``-separated) under which :func:`write_texts` keeps ``doc``.

    >>> kept_text_name("sub/page.html"), kept_text_name("a.txt"), kept_text_name("batch.jsonl#3")
    ('sub/page.html.txt', 'a.txt', 'batch.jsonl#3.txt')
    >>> kept_text_name("../../etc/passwd")
    '__/__/etc/passwd~936d7c04.txt'
    """
    parts = []
    for part in doc.split("/"):
        safe = _UNSAFE_NAME_CHARACTERS.sub("_", part)[:120]
        if safe in ("", ".", "..") or safe.startswith("."):
            safe = "_" + safe.lstrip(".") if safe not in ("", ".", "..") else "_" * max(1, len(safe))
        parts.append(safe)
    name = "/".join(parts)
    if name != doc:
        name += "~" + hashlib.sha1(doc.encode("utf-8")).hexdigest()[:8]
    return name if name.lower().endswith(".txt") else name + ".txt"


_UNSAFE_NAME_CHARACTERS = regex.compile(r"[^\w.,#@+=~ -]|^ | $")


# --- finding files -------------------------------------------------------------------------

def _find_files(paths: list[str], skipped: list[Skipped]) -> Iterator[tuple[str, str]]:
    """(path to open, doc) of every article file, in batch order; misses go to ``skipped``."""
    for given in paths:
        if os.path.isdir(given):
            yield from _find_in_folder(given, skipped)
        elif not os.path.lexists(given):
            skipped.append(Skipped(given, "no such file or directory"))
        elif not given.lower().endswith(ARTICLE_SUFFIXES):
            suffix = PurePath(given).suffix or "(none)"
            skipped.append(Skipped(given, f"unsupported file type {suffix}: figcheck reads "
                                          + ", ".join(ARTICLE_SUFFIXES)))
        else:
            yield given, PurePath(given).name


def _find_in_folder(folder: str, skipped: list[Skipped],
                    lister: Callable[[str], tuple[list[str], list[str]]] | None = None,
                    ) -> list[tuple[str, str]]:
    """(path, doc) of every article file under ``folder``, sorted by doc.

    The walk is ``os.walk``'s, top-down: ``lister(path)`` gives a folder's subfolders to
    walk and its article files (:func:`list_folder` by default; a cache passes one that
    reuses the listings it kept). A folder that cannot be listed is skipped with the reason.
    """
    lister = lister or list_folder
    found: list[tuple[str, str]] = []
    pending = [(folder, "")]
    while pending:
        current, prefix = pending.pop()
        try:
            folders, names = lister(current)
        except OSError as error:
            skipped.append(Skipped(error.filename or folder,
                                   f"cannot list folder: {error.strerror or error}"))
            continue
        # The doc is the path relative to ``folder``, with ``/``. (os.path.join(current, "")
        # + name is os.path.join(current, name), for one concatenation a file.)
        inside = os.path.join(current, "")
        found.extend((inside + name, prefix + name) for name in names)
        pending.extend((inside + name, prefix + name + "/") for name in reversed(folders))
    found.sort(key=lambda item: item[1])
    return found


def list_folder(path: str) -> tuple[list[str], list[str]]:
    """The subfolders of ``path`` that a batch walks into and its article files, by name.

    Hidden folders (.git, .ipynb_checkpoints) hold copies and tooling, not articles; links
    to folders are not followed (as ``os.walk``). Article files are those with an article
    suffix, not hidden, and not documentation (README.md). ``OSError`` when ``path``
    cannot be listed.
    """
    folders: list[str] = []
    names: list[str] = []
    with os.scandir(path) as entries:
        for entry in entries:
            try:
                is_folder = entry.is_dir()
            except OSError:
                is_folder = False
            name = entry.name
            if is_folder:
                if not name.startswith(".") and not os.path.islink(entry.path):
                    folders.append(name)
            elif (not name.startswith(".") and name.lower().endswith(ARTICLE_SUFFIXES)
                    and PurePath(name).stem.casefold() not in NOT_ARTICLE_STEMS):
                names.append(name)
    return folders, names


# --- reading files -------------------------------------------------------------------------

def _read_text_file(path: str, doc: str, max_bytes: int, batch: Batch) -> None:
    try:
        text = decode(_read_bytes(path, max_bytes))
        if not text.strip():
            raise UnreadableError("empty file" if not text else "empty file (only white space)")
        article = parse_text_article(doc, text, path)
    except UnreadableError as exc:
        batch.skipped.append(Skipped(path, str(exc)))
        return
    batch.articles.append(article)


def _read_html_file(path: str, doc: str, max_bytes: int, batch: Batch) -> None:
    try:
        _trafilatura()  # before reading a byte: without it, every page says the same
        html = decode_html(_read_bytes(path, max_bytes))
        if not html.strip():
            raise UnreadableError("empty file" if not html else "empty file (only white space)")
        article = parse_text_article(doc, html_to_text(html), path)
    except UnreadableError as exc:
        batch.skipped.append(Skipped(path, str(exc)))
        return
    batch.articles.append(article)


def html_available() -> bool:
    """Whether HTML pages can be read: trafilatura (the ``html`` extra) imports."""
    try:
        _trafilatura()
    except UnreadableError:
        return False
    return True


def _trafilatura():
    try:
        import trafilatura
    except ImportError as exc:
        raise UnreadableError(f"reading HTML pages needs trafilatura: {HTML_EXTRA}"
                              + ("" if exc.name == "trafilatura" else f" ({exc})")) from None
    return trafilatura


def _html_date(value: object) -> str | None:
    match = _DATE_VALUE.match(str(value or ""))
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match["date"]).isoformat()
    except ValueError:
        return None


def _read_jsonl(path: str, doc: str, max_bytes: int, batch: Batch) -> None:
    """One article per line; a bad line is skipped by ``path:line`` and the others read.

    The file is read line by line, so ``max_bytes`` bounds one article, not the batch.
    """
    for _number, found in _jsonl_items(path, doc, max_bytes):
        (batch.skipped if isinstance(found, Skipped) else batch.articles).append(found)


def _jsonl_items(path: str, doc: str, max_bytes: int, lines: Container[int] | None = None,
                 part: ArticleFile | None = None) -> Iterator[tuple[int, Article | Skipped]]:
    """(line number, article or skipped line) of a JSONL file (or of the ``part`` of one),
    then ``(0, Skipped)`` for the whole file when it turns out not to be one of articles."""
    try:
        _check_regular_file(path)
        with open(path, "rb") as handle:
            if part is not None and part.part:
                handle.seek(part.start)
                yield from _jsonl_lines(handle, path, doc, max_bytes, lines, part)
            else:
                yield from _jsonl_lines(handle, path, doc, max_bytes, lines)
    except UnreadableError as exc:
        yield 0, Skipped(path, str(exc))
    except OSError as exc:
        yield 0, Skipped(path, _os_reason(exc))


def _jsonl_lines(handle, path: str, doc: str, max_bytes: int, lines: Container[int] | None,
                 part: ArticleFile | None = None) -> Iterator[tuple[int, Article | Skipped]]:
    # A part, or lines read again, come from a file that passed the whole-file tests.
    whole = lines is None and part is None
    if whole:
        head = handle.peek(_BINARY_SNIFF_BYTES)[:_BINARY_SNIFF_BYTES]
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise UnreadableError("JSONL must be UTF-8; this file is UTF-16 or UTF-32")
        if b"\x00" in head:
            raise UnreadableError("binary file (contains NUL bytes)")
    records = 0
    first_record_seen = not whole
    numbered = _lines(handle, max_bytes) if part is None else \
        _lines(handle, max_bytes, first=part.first_line, end=part.end)
    for number, raw in numbered:
        if lines is not None and number not in lines:
            continue
        if number == 1 and raw:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if raw is not None and not raw.strip():
            continue
        records += 1
        where = f"{path}:{number}"
        try:
            record = _jsonl_record(raw, max_bytes)
        except UnreadableError as exc:
            yield number, Skipped(where, str(exc))
            continue
        # The first record tells a file of articles from a table written beside them.
        if not first_record_seen and (row_keys := _table_row_keys(record)):
            raise UnreadableError(f"a table, not articles (its records have the columns {row_keys})")
        first_record_seen = True
        try:
            article = _jsonl_article(record, f"{doc}#{number}", path)
        except UnreadableError as exc:
            yield number, Skipped(where, str(exc))
            continue
        yield number, article
    if records == 0 and whole:
        raise UnreadableError("empty file (no JSON lines)")


def _lines(handle, max_bytes: int, first: int = 1,
           end: int | None = None) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) per line, None for a line over ``max_bytes``, which is never
    held; numbered from ``first``, up to byte ``end`` (a line end) when given."""
    number = first - 1
    while end is None or handle.tell() < end:
        raw = handle.readline(max_bytes + 1)
        if not raw:
            return
        number += 1
        if len(raw) > max_bytes and not raw.endswith(b"\n"):
            while (rest := handle.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield number, None
        else:
            yield number, raw


def _jsonl_record(raw: bytes | None, max_bytes: int) -> dict:
    if raw is None:
        raise UnreadableError(f"line longer than {max_bytes} bytes")
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableError(f"not valid UTF-8 (byte {exc.start})") from None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UnreadableError(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(record, dict):
        raise UnreadableError(f"not a JSON object but {type(record).__name__}")
    return record


def _table_row_keys(record: dict) -> str:
    """The keys that show ``record`` is a table row, as ``'a', 'b'``; empty for an article."""
    for keys in TABLE_ROW_KEYS:
        if keys <= record.keys():
            return ", ".join(repr(key) for key in sorted(keys))
    return ""


def _jsonl_article(record: dict, line_doc: str, path: str) -> Article:
    key = next((k for k in JSONL_TEXT_KEYS if record.get(k) is not None), None)
    if key is None:
        raise UnreadableError("no article text: expected a "
                              + ", ".join(repr(k) for k in JSONL_TEXT_KEYS) + " field")
    text = record[key]
    if not isinstance(text, str):
        raise UnreadableError(f"{key!r} is not a string")
    if not text.strip():
        raise UnreadableError(f"{key!r} is empty")

    published = None
    for date_key in JSONL_DATE_KEYS:
        if record.get(date_key) not in (None, ""):
            published = _parse_date(str(record[date_key]), repr(date_key))
            break
    record_id = record.get("id")
    article = Article(
        doc=line_doc if record_id in (None, "") else str(record_id),
        text=text,
        url=_optional_str(record.get("url")),
        title=_optional_str(record.get("title")),
        published=published,
        path=path,
    )
    _complete(article, _optional_str(record.get("source")))
    return article


def _complete(article: Article, stated_source: str | None) -> None:
    """Fill the outlet and the publication date from the text when nothing stated them.

    Both together get ``REGEX_TIMEOUT_SECONDS`` of CPU time where a timer can stop them
    (:func:`figcheck.limits.cpu_time_limit`); elsewhere each pattern has that limit.
    """
    body = article.body
    try:
        with limits.cpu_time_limit(READ_TIME_LIMIT_SECONDS):
            article.source = canonical_outlet(stated_source) if stated_source else find_outlet(body)
            if article.published is None:
                article.published = dates.infer_published(body)
                article.published_inferred = article.published is not None
    except (TimeoutError, limits.PastTimeLimit):
        raise UnreadableError(f"too slow to read: looking for its outlet or date took more than "
                              f"{rules.REGEX_TIMEOUT_SECONDS:g} s ({len(body):,} characters)") from None


def _read_bytes(path: str, max_bytes: int) -> bytes:
    size = _check_regular_file(path).st_size
    if size > max_bytes:
        raise UnreadableError(f"too large: {size} bytes (limit {max_bytes})")
    try:
        with open(path, "rb") as handle:
            # Read one byte past the limit in case the file grew since it was measured.
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise UnreadableError(_os_reason(exc)) from None
    if len(data) > max_bytes:
        raise UnreadableError(f"too large: over {max_bytes} bytes")
    return data


def _check_regular_file(path: str) -> os.stat_result:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise UnreadableError(f"broken symbolic link to {os.readlink(path)}") from None
        raise UnreadableError("no such file or directory") from None
    except OSError as exc:
        raise UnreadableError(_os_reason(exc)) from None
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableError("not a regular file")
    return info


def _os_reason(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "permission denied"
    return f"cannot read: {error.strerror or error}"


# --- text layout ---------------------------------------------------------------------------

def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _skip_whitespace(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _headline(text: str, body_start: int) -> str | None:
    """The first body line when it reads as a headline and more text follows it."""
    line_end = _line_end(text, body_start)
    line = text[body_start:line_end].strip()
    if not line or len(line) > _TITLE_MAX_CHARS or len(line.split()) < 2:
        return None
    if line.rstrip(_CLOSING_MARKS)[-1:] in tuple(_SENTENCE_END) or not text[line_end:].strip():
        return None
    heading = _MARKDOWN_HEADING.match(line)
    return line[heading.end():] if heading else line


def _parse_date(value: str, what: str) -> dt.date:
    """``YYYY-MM-DD`` (a time may follow) to a date; anything else is an unreadable article."""
    match = _DATE_VALUE.fullmatch(value)
    try:
        if match:
            return dt.date.fromisoformat(match["date"])
    except ValueError:
        pass
    raise UnreadableError(f"{what} is not a YYYY-MM-DD date: {value.strip()[:40]!r}")


def _optional_str(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _make_docs_unique(articles: list[Article]) -> None:
    # claim_id derives from doc, so two articles must never share one.
    used: set[str] = {article.doc for article in articles}
    if len(used) == len(articles):  # (the usual case: two files of one name are rare)
        return
    seen: set[str] = set()
    for article in articles:
        if article.doc in seen:
            number = 2
            while f"{article.doc}#{number}" in used:
                number += 1
            article.doc = f"{article.doc}#{number}"
            used.add(article.doc)
        seen.add(article.doc)


# --- outlet cues (rules/sources.toml) ------------------------------------------------------

@dataclass(frozen=True)
class _OutletCue:
    rule_id: str
    rank: int
    pattern: regex.Pattern


@lru_cache(maxsize=1)
def _outlet_cue_rules() -> tuple[_OutletCue, ...]:
    book = rules.load()
    return tuple(_OutletCue(rule.id, int(rule.get("rank", 2)), book.compile(rule.pattern))
                 for rule in book.of("sources") if rule.pattern)


@lru_cache(maxsize=1)
def _outlet_spellings() -> dict[str, str]:
    table = rules.load().table("sources", "outlets")
    return {name.casefold(): spelling for name, spelling in table.items()}


def _outlet_cues(text: str) -> list[tuple[str, int, int, str]]:
    """(rule id, rank, offset, outlet) of the first match of every cue rule in ``text``.

    All the cues together get the time one pattern may take (``REGEX_TIMEOUT_SECONDS``),
    so that the outlet costs an article no more than that; past it, ``TimeoutError``.
    """
    cues = []
    # Inside a block the CPU timer bounds, that limit holds them all; elsewhere, CPU time,
    # the clock of the patterns' own limits, is counted here.
    counted = not limits.thread.bounded
    deadline = time.process_time() + rules.REGEX_TIMEOUT_SECONDS if counted else 0.0
    for cue in _outlet_cue_rules():
        left = None
        if counted:
            left = deadline - time.process_time()
            if left <= 0:
                raise TimeoutError("regex timed out")
        match = cue.pattern.search(text, timeout=left)
        if match and match["outlet"].strip():
            # Where the cue begins: the outlet may be read behind the match (a look-behind).
            begins = min(match.start(), match.start("outlet"))
            cues.append((cue.rule_id, cue.rank, begins, match["outlet"]))
    return cues
