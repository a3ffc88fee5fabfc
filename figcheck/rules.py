"""Load the rule files in ``figcheck/rules/*.toml`` and compile their patterns.

Every rule file may declare three things, all of them data the engine reads:

``[lists]``
    word lists; each becomes a fragment ``{name}`` that matches any of its words
    (escaped, longest first, so that ``more than`` wins over ``more``).
``[fragments]``
    regular-expression pieces that may refer to lists and to other fragments
    with ``{name}``.
``[[rule]]``
    one rule: a stable ``id``, an optional ``pattern`` (fragments resolved), inline
    ``examples`` and ``counterexamples`` that ``tests/test_rules.py`` runs, and any
    further keys, which are data for the module that owns the rule file.

Lists and fragments share one namespace across all files, so ``{month}`` from
``dates.toml`` can be used in ``exclusions.toml``. A user may add a directory of
extra rule files (``rule_dirs``); their lists extend the built-in ones.
"""
from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import regex

from figcheck.limits import thread as _thread
from figcheck.pattern_store import rule_files as _rule_file_store
from figcheck.pattern_store import store as _store

#: Upper bound for one regex call over article text; a pathological article
#: raises ``TimeoutError`` instead of hanging the batch.
REGEX_TIMEOUT_SECONDS = 1.0


_SCAN_GROUP = "scanned_match_"
_LEADING_FLAGS = regex.compile(r"(?:\(\?[a-zA-Z]+\))*")


class Pattern:
    """A compiled ``regex`` pattern whose every call runs under a time limit.

    The engine compiles its patterns with :func:`compile`, so that no match over article
    text can run without a limit: the pattern's own, or, inside a block that the CPU timer
    of :mod:`figcheck.limits` bounds, that block's (it spares two clock reads a call). The
    pattern's limit is handed to ``regex`` positionally: as a
    keyword it costs about a microsecond more per call, and the engine makes dozens of
    calls per article. ``timeout`` overrides the limit for one call (a shorter one left
    of a wall-time budget).
    """

    __slots__ = ("compiled", "timeout", "skip", "_flags", "_scanners")

    def __init__(self, source: str, timeout: float = REGEX_TIMEOUT_SECONDS, flags: int = 0,
                 skip: str | None = None):
        self.compiled = _store.compile(source, flags)
        self.timeout = timeout
        #: A character class of characters that never start a match, for :meth:`scan`.
        self.skip = skip
        self._flags = flags
        self._scanners: dict[int | None, tuple[regex.Pattern, list[tuple[str, int]]]] = {}

    @property
    def pattern(self) -> str:
        return self.compiled.pattern

    @property
    def groupindex(self) -> dict[str, int]:
        return self.compiled.groupindex

    def _limit(self, timeout: float | None) -> float | None:
        """The limit of one call: ``timeout`` when given; none inside a block that the CPU
        timer bounds (:mod:`figcheck.limits`); else the pattern's own."""
        return timeout or (None if _thread.bounded else self.timeout)

    # regex's positional order: (string, pos, endpos, concurrent, partial, timeout) for
    # match/search/fullmatch, with ``overlapped`` after endpos for finditer/findall.
    # ``concurrent`` is False: by default regex lets go of the GIL while it matches a str,
    # and taking it back is about a quarter of the fixed cost of a call (most of ours are
    # short matches); figcheck runs in parallel by processes, one thread each.
    # match, search and finditer compute _limit inline: a method call more on each regex
    # call was 1.3 M instructions on 100 articles.
    def match(self, text: str, pos: int | None = None, endpos: int | None = None,
              timeout: float | None = None) -> regex.Match | None:
        limit = timeout or (None if _thread.bounded else self.timeout)
        if limit is None:
            # Fewer arguments: regex converts each one given, None too.
            return self.compiled.match(text, pos, endpos, False)
        return self.compiled.match(text, pos, endpos, False, False, limit)

    def search(self, text: str, pos: int | None = None, endpos: int | None = None,
               timeout: float | None = None) -> regex.Match | None:
        limit = timeout or (None if _thread.bounded else self.timeout)
        if limit is None:
            return self.compiled.search(text, pos, endpos, False)
        return self.compiled.search(text, pos, endpos, False, False, limit)

    def fullmatch(self, text: str, pos: int | None = None, endpos: int | None = None,
                  timeout: float | None = None) -> regex.Match | None:
        return self.compiled.fullmatch(text, pos, endpos, False, False, self._limit(timeout))

    def finditer(self, text: str, pos: int | None = None, endpos: int | None = None,
                 timeout: float | None = None):
        limit = timeout or (None if _thread.bounded else self.timeout)
        if limit is None:
            return self.compiled.finditer(text, pos, endpos, False, False)
        return self.compiled.finditer(text, pos, endpos, False, False, False, limit)

    def scan(self, text: str, pos: int = 0, endpos: int | None = None,
             limit: int | None = None) -> list[tuple[int, int, str | None]]:
        """``(start, end, group)`` of the first ``limit`` matches (all when None) in
        ``text[pos:endpos]``, the matches ``finditer`` gives, found by one call.

        ``group`` is the name of the named group that starts where the match starts (the
        alternative that matched, as ``Match.lastgroup`` tells for patterns made of named
        alternatives), or None. The pattern must not match the empty string. Runs of
        :attr:`skip` characters are passed over at once (without it, each position between
        matches is tried), so it must hold only characters that never start a match.

        Why not ``finditer``: with a time limit, ``regex`` reads the process's CPU clock (a
        system call) at every match it yields; one match of a repeated group reads it
        once, and its captures give every match.
        """
        found = self._scanners.get(limit)
        if found is None:
            found = self._scanners[limit] = self._scanner(limit)
        scanner, named_groups = found
        time_limit = self._limit(None)
        m = scanner.match(text, pos, endpos, False) if time_limit is None else \
            scanner.match(text, pos, endpos, False, False, time_limit)
        # Groups by number: regex looks a group given by name up by first failing to read
        # it as a number (an exception, formatted and dropped), some 3 k instructions a call.
        starts, ends = m.starts(1), m.ends(1)
        if not named_groups:
            return [(start, end, None) for start, end in zip(starts, ends)]
        names = {}
        for name, index in named_groups:
            for start in m.starts(index):
                names.setdefault(start, name)
        return [(start, end, names.get(start)) for start, end in zip(starts, ends)]

    def _scanner(self, limit: int | None) -> tuple[regex.Pattern, list[tuple[str, int]]]:
        """The pattern that scans for ``limit`` matches (its group 1 each match), and the
        number there of each of the pattern's named groups."""
        source = self.compiled.pattern
        flags = _LEADING_FLAGS.match(source).group()
        if "r" in flags:
            raise ValueError(f"a reverse pattern cannot be scanned: {source!r}")
        repeat = "*" if limit is None else "{0,%d}" % limit
        skip = f"{self.skip}*+" if self.skip else ""
        # [\s\S] rather than "." with DOTALL: the flag would change the pattern's own dots.
        scanner = _store.compile(
            f"{flags}(?:{skip}[\\s\\S]*?(?P<{_SCAN_GROUP}>{source[len(flags):]})){repeat}",
            self._flags)
        return scanner, [(name, scanner.groupindex[name]) for name in self.compiled.groupindex]

    def findall(self, text: str, pos: int | None = None, endpos: int | None = None,
                timeout: float | None = None) -> list:
        return self.compiled.findall(text, pos, endpos, False, False, self._limit(timeout))

    def split(self, text: str, maxsplit: int = 0, timeout: float | None = None) -> list[str]:
        return self.compiled.split(text, maxsplit, concurrent=False, timeout=self._limit(timeout))

    def sub(self, repl, text: str, count: int = 0, timeout: float | None = None) -> str:
        return self.compiled.sub(repl, text, count, concurrent=False, timeout=self._limit(timeout))

    def __repr__(self) -> str:
        return f"rules.Pattern({self.compiled.pattern!r})"


def compile(source: str, timeout: float = REGEX_TIMEOUT_SECONDS,  # noqa: A001
            skip: str | None = None) -> Pattern:
    """``source`` compiled for matching article text under ``timeout`` seconds a call
    (``skip``: see :meth:`Pattern.scan`)."""
    return Pattern(source, timeout, skip=skip)


_REFERENCE = regex.compile(r"\{([a-z_][a-z0-9_]*)\}")
_RESERVED_KEYS = {"id", "pattern", "examples", "counterexamples", "note"}


class RuleError(ValueError):
    """A rule file is malformed: the message names the file and the rule."""


@dataclass(frozen=True)
class Rule:
    """One rule of a rule file; ``data`` holds the keys the engine reads."""

    id: str
    file: str
    pattern: str | None
    examples: tuple[str, ...]
    counterexamples: tuple[str, ...]
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


@dataclass
class RuleBook:
    """All rule files, their fragments resolved, keyed by file stem."""

    files: dict[str, dict[str, Any]]
    fragments: dict[str, str]
    lists: dict[str, list[str]]
    rules: dict[str, list[Rule]]
    version: str

    def of(self, stem: str) -> list[Rule]:
        """The rules of one file (``qualifiers`` for ``qualifiers.toml``)."""
        return self.rules.get(stem, [])

    def table(self, stem: str, key: str) -> Any:
        """A top-level table of a rule file other than lists/fragments/rule."""
        return self.files.get(stem, {}).get(key, {})

    def expand(self, pattern: str) -> str:
        """Resolve ``{name}`` references against lists and fragments."""
        return _expand(pattern, self.fragments, ())

    def compile(self, pattern: str, flags: int = 0) -> Pattern:
        """``pattern`` with its references resolved, compiled under the regex time limit."""
        return _compile(self.expand(pattern), flags)

    def all_rules(self) -> Iterable[Rule]:
        for stem in sorted(self.rules):
            yield from self.rules[stem]


@lru_cache(maxsize=4096)
def _compile(pattern: str, flags: int) -> Pattern:
    return Pattern(pattern, flags=flags)


def list_alternation(words: Iterable[str], any_case: Iterable[str] = ()) -> str:
    """An alternation matching any word, longest first, spaces as ``\\s+``; the words of
    ``any_case`` match in any capitalisation, the others only as written."""
    unique = sorted(set(words), key=lambda w: (-len(w), w))
    folded = set(any_case)
    parts = []
    for w in unique:
        part = r"\s+".join(regex.escape(piece) for piece in w.split())
        parts.append(f"(?i:{part})" if w in folded else part)
    return "(?:" + "|".join(parts) + ")" if parts else "(?!)"


_WORD_RUN = compile(r"\w+")
_WORD_CHAR = compile(r"\w")


def ascii_class(pattern: str) -> frozenset[str]:
    """The ASCII characters one of which ``pattern`` matches, read off the pattern engine
    itself: the string-method readers of ASCII text stand in for patterns, and must take
    the characters those take."""
    return frozenset(chr(c) for c in range(128) if regex.match(pattern, chr(c)))


#: The ASCII letters (``[^\W\d_]``) and the ASCII characters no word is made of (``\W``),
#: for ``strip`` and ``translate``.
ASCII_LETTERS = "".join(sorted(ascii_class(r"[^\W\d_]")))
ASCII_NOT_WORD = "".join(sorted(ascii_class(r"\W")))
#: White space to ``str.split()`` and ``str.isspace()`` that ``\s`` does not match (the
#: information separators): text holding one is left to the patterns, or told apart.
ASCII_SPACES_NOT_REGEX = "".join(sorted(frozenset(c for c in map(chr, range(128)) if c.isspace())
                                        - ascii_class(r"\s")))
#: Every ASCII character that ``\w`` does not match, as a space: in ASCII text the runs
#: of ``\w`` are what splitting at these leaves. A table for the text as bytes: ``str``'s
#: translate looks each distinct character up in a dict, about 10,000 instructions a
#: sentence where ``bytes``' takes a few hundred.
_NOT_WORD = bytes.maketrans(ASCII_NOT_WORD.encode("ascii"), b" " * len(ASCII_NOT_WORD))


class PhraseFinder:
    """The phrases of a list that stand as whole words in a short text: what ``finditer``
    of ``(?<![\\w])`` + :func:`list_alternation` ``(phrases, any_case)`` + ``(?![\\w])``
    finds, found by looking up the word at each word start instead.

    Why not the alternation: with a few hundred phrases, some of them case-blind, it tries
    every phrase at every word start; a speaker phrase of five words took about 30 µs.

    The text's whitespace must be single spaces (``" ".join(text.split())``): the
    phrases' spaces are compared as written. Case-blind phrases are compared through
    :func:`fold_case`, which agrees with the pattern's case folding on every letter that
    lower-casing does not lengthen.

    >>> finder = PhraseFinder(["Kremlin", "the Health Ministry", "NIS"], any_case=["the Health Ministry"])
    >>> [hit.group() for hit in finder.find_all("the health ministry and the Kremlin's NIS, said")]
    ['the health ministry', 'Kremlin', 'NIS']
    >>> finder.find_all("nis and Kremlins")
    []
    """

    __slots__ = ("_by_head", "_headless", "_heads")

    def __init__(self, phrases: Iterable[str], any_case: Iterable[str] = ()):
        folded = set(any_case)
        # Per word a phrase starts with (case-folded): its phrases in the alternation's
        # order, longest first, so that the first that fits is the alternation's choice.
        self._by_head: dict[str, list[tuple[int, str, bool, str]]] = {}
        # Phrases that start with no word character ("#tag"), tried wherever they fit.
        self._headless: list[tuple[int, str, bool, str]] = []
        for rank, phrase in enumerate(sorted(set(phrases), key=lambda w: (-len(w), w))):
            spaced = " ".join(phrase.split())
            entry = (rank, spaced, phrase in folded, fold_case(spaced))
            head = _WORD_RUN.match(spaced)
            if head is None:
                self._headless.append(entry)
            else:
                self._by_head.setdefault(fold_case(head.group()), []).append(entry)
        self._heads = frozenset(self._by_head)

    def find_all(self, text: str) -> list[WordHit]:
        """The phrases found in ``text``, left to right, none overlapping."""
        if text.isascii() and not self._headless:
            return self._find_all_ascii(text)
        starts = {m.start(): self._by_head.get(fold_case(m.group()), ())
                  for m in _WORD_RUN.finditer(text)}
        if self._headless:
            for at in range(len(text)):
                if at == 0 or not _WORD_CHAR.match(text, at - 1):
                    starts[at] = sorted([*starts.get(at, ()), *self._headless])
        hits: list[WordHit] = []
        taken = 0
        for at in sorted(starts) if self._headless else starts:
            if at < taken:
                continue
            for _rank, spaced, case_blind, folded in starts[at]:
                stop = at + len(spaced)
                if not (text.startswith(spaced, at) or case_blind and fold_case(text[at:stop]) == folded):
                    continue
                if stop < len(text) and _WORD_CHAR.match(text, stop):
                    continue
                hits.append(WordHit(at, stop, text[at:stop]))
                taken = stop
                break
        return hits

    def _find_all_ascii(self, text: str) -> list[WordHit]:
        """:meth:`find_all` of ASCII text, where every character that is not a word
        character can be made a space: the words that start phrases are picked by one set
        operation and placed by walking the words, where the pattern would match every word
        and fold its case (most words start no phrase). Slices are compared rather than
        ``startswith`` at an offset: in CPython 3.11 its arguments cost more than the slice.
        A test compares the two."""
        lowered = text.lower()  # fold_case of ASCII text, of the same length
        words = lowered.encode("ascii").translate(_NOT_WORD).decode("ascii")
        heads = self._heads.intersection(words.split())
        if not heads:
            return []
        size = len(text)
        hits: list[WordHit] = []
        taken = at = 0
        for word in words.split(" "):
            if word in heads and at >= taken:
                for _rank, spaced, case_blind, folded in self._by_head[word]:
                    stop = at + len(spaced)
                    if stop < size and words[stop] != " ":
                        continue
                    found = text[at:stop]
                    if found != spaced and not (case_blind and lowered[at:stop] == folded):
                        continue
                    hits.append(WordHit(at, stop, found))
                    taken = stop
                    break
            at += len(word) + 1
        return hits


def _expand(pattern: str, fragments: dict[str, str], stack: tuple[str, ...]) -> str:
    def replace(match: regex.Match) -> str:
        name = match.group(1)
        if name not in fragments:
            # Quantifiers such as {2} or {1,3} never match the name pattern, so an
            # unknown lower-case name is a typo in a rule file.
            raise RuleError(f"unknown fragment {{{name}}} in pattern {pattern!r}")
        if name in stack:
            raise RuleError(f"fragment {{{name}}} refers to itself through {' -> '.join(stack)}")
        return "(?:" + _expand(fragments[name], fragments, stack + (name,)) + ")"

    return _REFERENCE.sub(replace, pattern)


def _rule_files(extra_dirs: tuple[str, ...]) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    package_dir = resources.files("figcheck") / "rules"
    for entry in sorted(package_dir.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            found.append((entry.name, entry.read_bytes()))
    for extra in extra_dirs:
        for path in sorted(Path(extra).glob("*.toml")):
            found.append((f"{extra}/{path.name}", path.read_bytes()))
    return found


def load(extra_dirs: tuple[str, ...] | list[str] = ()) -> RuleBook:
    """Every rule file: the package's, then those in ``extra_dirs`` (a user's own).

    The result is cached per folder and per state of the user's files, so an edited rule
    file is read again while unchanged ones cost nothing.
    """
    # A folder named twice (by --rules and by figcheck.toml, say) is read once: its rule
    # ids would otherwise clash with themselves.
    unique: dict[str, str] = {}
    for folder in extra_dirs:
        unique.setdefault(os.path.realpath(folder), str(folder))
    extra_dirs = tuple(unique.values())
    return _load(extra_dirs, _signature(extra_dirs))


def _signature(extra_dirs: tuple[str, ...]) -> tuple:
    stamps = []
    for folder in extra_dirs:
        for path in sorted(Path(folder).glob("*.toml")):
            stat = path.stat()
            stamps.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


@lru_cache(maxsize=8)
def _load(extra_dirs: tuple[str, ...], _signature: tuple) -> RuleBook:
    files: dict[str, dict[str, Any]] = {}
    lists: dict[str, list[str]] = {}
    raw_fragments: dict[str, str] = {}
    digest = hashlib.sha256()
    sources = _rule_files(extra_dirs)
    for name, data in sources:
        digest.update(name.encode() + b"\0" + data + b"\0")
        try:
            parsed = _rule_file_store.parse(data)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RuleError(f"{name}: {exc}") from exc
        stem = Path(name).stem
        if stem in files:
            _merge_user_file(files[stem], parsed)
        else:
            files[stem] = parsed
        for list_name, words in parsed.get("lists", {}).items():
            lists.setdefault(list_name, []).extend(words)
        for frag_name, text in parsed.get("fragments", {}).items():
            if frag_name in raw_fragments and raw_fragments[frag_name] != text:
                raise RuleError(f"{name}: fragment {frag_name!r} is defined twice")
            raw_fragments[frag_name] = text
    fragments = dict(raw_fragments)
    for list_name, words in lists.items():
        if list_name in fragments:
            raise RuleError(f"{list_name!r} is both a list and a fragment")
        fragments[list_name] = list_alternation(words)
    for value_table in _value_tables(files):
        for name, keys in value_table.items():
            fragments.setdefault(name, list_alternation(keys))
    fragments = {name: _expand(text, fragments, (name,)) for name, text in fragments.items()}

    rules: dict[str, list[Rule]] = {}
    seen: set[str] = set()
    for stem, parsed in files.items():
        for raw in parsed.get("rule", []):
            rule_id = raw.get("id")
            if not rule_id:
                raise RuleError(f"{stem}.toml: a rule has no id: {raw!r}")
            if rule_id in seen:
                raise RuleError(f"{stem}.toml: rule id {rule_id} is used twice")
            seen.add(rule_id)
            pattern = raw.get("pattern")
            if pattern is not None:
                pattern = _expand(pattern, fragments, ())
            rules.setdefault(stem, []).append(Rule(
                id=rule_id,
                file=f"{stem}.toml",
                pattern=pattern,
                examples=tuple(raw.get("examples", ())),
                counterexamples=tuple(raw.get("counterexamples", ())),
                note=raw.get("note", ""),
                data={k: v for k, v in raw.items() if k not in _RESERVED_KEYS},
            ))
    _rule_file_store.save()  # (the files this run parsed, for the next run)
    return RuleBook(files=files, fragments=fragments, lists=lists, rules=rules,
                    version=digest.hexdigest()[:16])


_WORD = regex.compile(r"[^\W\d_]+")
_PUNCTUATION = ".,;:!?\"'()[]{}\u201c\u201d\u2018\u2019\u2014\u2013-\u2026"


#: What lower-casing leaves of the letters that ``regex`` matches, case-blind, to an ASCII
#: letter: "ſ" (long s) for "s", and the combining dot that follows the "i" of "İ"
#: (the Kelvin sign lowers to "k" itself); ``tests/test_rules.py`` derives them from ``regex``.
_FOLDED_TO_ASCII = {"\u017f": "s", "\u0307": ""}
_FOLD_TABLE = str.maketrans(_FOLDED_TO_ASCII)
#: Every ASCII character but the letters, as a space: what splits runs of letters (a
#: table for the text as bytes, as _NOT_WORD is).
_ASCII_NOT_LETTER = "".join(chr(c) for c in range(128) if chr(c) not in ASCII_LETTERS)
_NOT_LETTER = bytes.maketrans(_ASCII_NOT_LETTER.encode("ascii"), b" " * len(_ASCII_NOT_LETTER))
#: The marks of _PUNCTUATION beyond ASCII; none is a letter.
_WIDE_MARKS = tuple(mark for mark in _PUNCTUATION if not mark.isascii())


def fold_case(text: str) -> str:
    """``text`` lower-cased, with the letters that a case-blind pattern matches to ASCII
    ones given as those: a key to look up what such a pattern matched ("İMF" is "imf").

    >>> fold_case("The İnternational Monetary Fund")
    'the international monetary fund'
    """
    lowered = text.lower()
    return lowered if lowered.isascii() else lowered.translate(_FOLD_TABLE)


def words_of(text: str, start: int = 0, end: int | None = None) -> frozenset[str]:
    """The lower-cased words of ``text[start:end]``, to test triggers against.

    >>> sorted(words_of("South Korea's spy agency said 1,500."))
    ['agency', 'korea', 's', 'said', 'south', 'spy']
    """
    end = len(text) if end is None else end
    lowered = text[start:end].lower()
    # In text of ASCII and the wide marks of _PUNCTUATION (nearly every sentence: curly
    # quotes, dashes), the words the tokens give are its runs of letters, found by a few C
    # calls: on a sentence of 300 characters, 6-10 us against 16-50 us token by token.
    # A test compares the two.
    plain = lowered
    if not plain.isascii():
        for mark in _WIDE_MARKS:
            if mark in plain:
                plain = plain.replace(mark, " ")
    if plain.isascii():
        return frozenset(plain.encode("ascii").translate(_NOT_LETTER).decode("ascii").split())
    return _words_token_by_token(lowered)


def _words_token_by_token(lowered: str) -> frozenset[str]:
    """:func:`words_of` of lower-cased text, read token by token."""
    if not lowered.isascii() and any(ch in lowered for ch in _FOLDED_TO_ASCII):
        # A case-blind pattern takes "UNTİL" for "until": the words are also given with
        # such letters as the ASCII ones they match, so that no trigger is missed.
        lowered += " " + lowered.translate(_FOLD_TABLE)
    words = set()
    for token in lowered.split():
        if token.isalpha():
            words.add(token)
            continue
        # Most other tokens are a word with punctuation stuck to it ("said,"); the rest
        # ("korea's", "tae-yong", "11,000") are split like the trigger phrases are.
        stripped = token.strip(_PUNCTUATION)
        if stripped.isalpha():
            words.add(stripped)
        elif stripped and not stripped.isdecimal() and any(ch.isalpha() for ch in stripped):
            words.update(_WORD.findall(stripped, timeout=REGEX_TIMEOUT_SECONDS))
    return frozenset(words)


class WordHit:
    """Where a listed word stands in a text; offers the parts of a match object used."""

    __slots__ = ("_start", "_end", "_word")

    def __init__(self, start: int, end: int, word: str):
        self._start, self._end, self._word = start, end, word

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self) -> str:
        return self._word


def find_words(text: str, start: int, end: int, words) -> list[WordHit]:
    """Whole-word occurrences of ``words`` in ``text[start:end]``, in text order.

    A plain substring search per word: for the few words known to be present (see
    :class:`Triggers`), far cheaper than scanning with a long alternation.
    """
    hits = []
    for word in words:
        size = len(word)
        at = text.find(word, start, end)
        while at >= 0:
            stop = at + size
            if (at == 0 or not text[at - 1].isalnum()) and (stop >= len(text) or not text[stop].isalnum()):
                hits.append(WordHit(at, stop, word))
            at = text.find(word, stop, end)
    if len(words) > 1:  # (one word's hits are found in order: its key calls spared)
        hits.sort(key=WordHit.start)
    return hits


class Triggers:
    """Cheap test of whether a list's phrases can occur in a stretch of text.

    A phrase can occur only if all of its words do; running a pattern only where one of
    its phrases can occur keeps long alternations off most sentences.
    """

    def __init__(self, phrases):
        word_sets = {frozenset(w.lower() for w in _WORD.findall(p)) for p in phrases}
        # A phrase without letters ("<", "2") has no word to wait for: every text passes.
        self.always = frozenset() in word_sets
        word_sets.discard(frozenset())
        self.single_words = frozenset(next(iter(ws)) for ws in word_sets if len(ws) == 1)
        # Each phrase of several words filed under its longest word (the rarest, as a
        # rule): a sentence with none of those words is passed by one set operation.
        self._by_anchor: dict[str, list[frozenset[str]]] = {}
        for ws in sorted((ws for ws in word_sets if len(ws) > 1), key=sorted):
            self._by_anchor.setdefault(max(sorted(ws), key=len), []).append(ws)
        self._anchors = frozenset(self._by_anchor)

    def any_in(self, words: frozenset[str]) -> bool:
        if self.always or not self.single_words.isdisjoint(words):
            return True
        if self._anchors.isdisjoint(words):
            return False
        return any(ws <= words for anchor in self._anchors & words for ws in self._by_anchor[anchor])

    def present(self, words: frozenset[str]) -> frozenset[str]:
        """The one-word phrases that occur among ``words``."""
        return self.single_words & words


def _value_tables(files: dict[str, dict[str, Any]]) -> list[dict[str, list[str]]]:
    """``[values]`` tables map words to data; their keys are also usable as lists."""
    return [{name: [str(k) for k in table] for name, table in parsed.get("values", {}).items()
             if isinstance(table, dict)} for parsed in files.values()]


def _merge_user_file(base: dict[str, Any], extra: dict[str, Any]) -> None:
    """A user's file of the same stem adds rules and table entries to the built-in one."""
    for key, value in extra.items():
        if key == "rule":
            base.setdefault("rule", []).extend(value)
        elif isinstance(value, dict):
            merged = dict(base.get(key, {}))
            for sub_key, sub_value in value.items():
                if isinstance(sub_value, list) and isinstance(merged.get(sub_key), list):
                    merged[sub_key] = merged[sub_key] + sub_value
                else:
                    merged[sub_key] = sub_value
            base[key] = merged
        else:
            base[key] = value
