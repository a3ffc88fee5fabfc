"""Articles -> the claims table: one row per numeric claim.

The engine walks the places where a figure may start (``numbers.py``), drops numbers
that are not figures (``exclusions.toml``), and reads around each figure: its qualifier
(``qualifiers.toml``), what it counts (``units.toml``), whose it is (``entities.toml``),
who claims it (``attribution.toml``, ``speakers.toml``), when (``dates.toml``) and whether
it is hedged (``hedges.toml``). Every rule that shaped a row is named in ``rule_ids``.
The engine itself knows no words: all of them come from the rule files.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import pandas as pd
import regex

from figcheck import dates, limits, numbers, pattern_store, rules, schema
from figcheck.article import Article

_QUOTE_OPEN = "\u201c"
_QUOTE_CLOSE = "\u201d"
_STRAIGHT = '"'
#: Quotations shorter than this many words are scare quotes ("several hundred"), not speech.
_MIN_QUOTE_WORDS = 7
#: Words read after a figure for what it counts ("11,000 North Korean special forces").
_PHRASE_WORDS = 10
_QUOTE_MARKS = (_QUOTE_OPEN, _QUOTE_CLOSE, _STRAIGHT)
#: Sentences read before a figure's own, for the speakers that pronouns refer to.
_CONTEXT_SENTENCES = 1
_MAX_HEADING = 48
#: The longest stretch read on either side of a figure for its sentence.
_MAX_SENTENCE = 2_000
#: An article may take this much CPU time; past it, it is reported and skipped. The CPU
#: timer of :mod:`figcheck.limits` stops it where that can be used; the time is also checked
#: every ``_DEADLINE_EVERY`` places where a figure may start, for elsewhere.
ARTICLE_TIME_LIMIT_SECONDS = 2.0
_DEADLINE_EVERY = 64
#: How far back the word before a number is looked for ("September" and its space).
_WORD_BEFORE_REACH = 16
#: The kinds of speaker a pronoun may carry (attribution.toml pronoun_<kind>).
_PRONOUN_KINDS = ("person", "agency", "outlet", "other")
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014")
_CLOSING_QUOTES = frozenset("\u201d\"'\u2019")
#: The marks that end a sentence, and those that may close it after them (a quote, a bracket).
_SENTENCE_ENDS = ".!?\u2026"
_SENTENCE_CLOSERS = "\"'\u201d\u2019)]"
_END_MARKS = _SENTENCE_ENDS + _SENTENCE_CLOSERS
_SENTENCE_OPENERS = "\"\u201c\u2018'([\u2014-$\u00a3\u20ac"


class _Contexts:
    """Contexts that may hold at a place in a text, one per rule, all tried in one call:
    each sits in an optional look-around that leaves an empty named group when it holds.

    Most places meet none of them: one look-around of every context's alternatives (it
    holds when one of them does) tells so in about half the time the groups take, so the
    groups are matched only when it holds.
    """

    __slots__ = ("groups", "any", "none", "_look", "_flags", "_contexts")

    def __init__(self, look: str, contexts: list[tuple[str, str]], flags: str = ""):
        """``look`` opens a look-around, ``(?<=`` or ``(?=``; ``contexts`` are (group
        name, pattern) pairs; ``flags`` (``(?i)``) apply to them all."""
        self._look, self._flags, self._contexts = look, flags, contexts
        self.groups = rules.compile(flags + "".join(
            f"(?:{look}(?:{pattern}))(?P<{name}>))?" for name, pattern in contexts))
        self.any = self.gate({name for name, _pattern in contexts})
        self.none: tuple[None, ...] = (None,) * self.groups.compiled.groups

    def gate(self, names: set[str]) -> rules.Pattern:
        """The look-around that holds where one of the contexts ``names`` holds: a caller
        that reads only those contexts' groups gives it to :meth:`at`, which then tries
        no other context where none of those holds."""
        patterns = [pattern for name, pattern in self._contexts if name in names]
        if not patterns:
            return rules.compile("(?!)")
        return rules.compile(self._flags + self._look + "|".join(
            f"(?:{pattern})" for pattern in patterns) + ")")

    def at(self, text: str, pos: int, gate: rules.Pattern | None = None) -> tuple[str | None, ...]:
        """The groups at ``pos``: an empty string for each context that holds there. With
        a ``gate`` (see :meth:`gate`), only the groups of its contexts are sure to be set."""
        if (gate or self.any).match(text, pos) is None:
            return self.none
        return self.groups.match(text, pos).groups()


class _PhraseWords:
    """The words, numbers and marks of a stretch of text, as the noun phrase after a
    figure is read: ``F-16``, ``U.S.``, ``Kim's`` and ``3,000`` are one each.

    ASCII text (nearly every stretch) is split at spaces, and the pieces that are not
    one plain word are read letter by letter: the pattern costs some 7,000 instructions
    a token, and reading this way took 2.8 % off the instructions of the whole
    extraction. Other text is read by the pattern. A test compares the two.
    """

    PATTERN = (r"[^\W\d_]+(?:[\p{Pd}'\u2019.][^\W\d_]+|\p{Pd}?\d+[^\W\d_]*)*\.?"
               r"|[^\s\w]|\d[\d,.]*")
    SKIPPED = r"[\s_]"

    def __init__(self):
        self.pattern = rules.compile(self.PATTERN, skip=self.SKIPPED)
        # The pattern's classes, for ASCII.
        self._letters = rules.ascii_class(r"[^\W\d_]")
        self._digits = rules.ascii_class(r"\d")
        self._number_chars = rules.ascii_class(r"[\d,.]")
        self._joiners = rules.ascii_class(r"[\p{Pd}'\u2019.]")
        self._dashes = rules.ascii_class(r"\p{Pd}")
        self._skipped = rules.ascii_class(self.SKIPPED)

    def read(self, text: str, start: int, end: int, limit: int) -> list[tuple[str, int, int]]:
        """``(token, start, end)`` of the first ``limit`` tokens of ``text[start:end]``."""
        chunk = text[start:end]
        if not chunk.isascii():
            return [(text[a:b], a, b) for a, b, _group in self.pattern.scan(text, start, end, limit)]
        tokens: list[tuple[str, int, int]] = []
        at = start
        # Most pieces between spaces are one plain word; the others (other white space
        # too) are read letter by letter. Split at the plain space alone, each piece's
        # place follows from the one before.
        for piece in chunk.split(" "):
            if piece.isalpha():
                tokens.append((piece, at, at + len(piece)))
            elif piece:
                self._read_piece(piece, at, tokens)
            if len(tokens) >= limit:
                return tokens[:limit]
            at += len(piece) + 1
        return tokens

    def _read_piece(self, piece: str, offset: int, tokens: list[tuple[str, int, int]]) -> None:
        letters, digits, joiners, dashes = self._letters, self._digits, self._joiners, self._dashes
        size = len(piece)
        i = 0
        while i < size:
            ch = piece[i]
            if ch in self._skipped:
                i += 1
                continue
            first = i
            i += 1
            if ch in letters:
                while True:
                    while i < size and piece[i] in letters:
                        i += 1
                    if i + 1 < size and piece[i] in joiners and piece[i + 1] in letters:
                        i += 2
                        continue
                    j = i + 1 if i < size and piece[i] in dashes else i
                    if j < size and piece[j] in digits:
                        i = j + 1
                        while i < size and piece[i] in digits:
                            i += 1
                        continue  # the letters after the digits, as the loop's first step
                    break
                if i < size and piece[i] == ".":
                    i += 1
            elif ch in digits:
                while i < size and piece[i] in self._number_chars:
                    i += 1
            tokens.append((piece[first:i], offset + first, offset + i))


class ArticleTimeout(RuntimeError):
    """An article made a rule's regex run past its time limit."""


@dataclass(slots=True)
class Speaker:
    name: str
    kind: str  # person, agency, outlet, other
    rule_id: str


@dataclass(slots=True)
class Cue:
    start: int          # where the cue wording starts
    end: int            # where it ends
    speaker: Speaker | None
    rule_id: str
    cited: Speaker | None = None   # "X, citing Y, said": Y
    citing_end: int = -1


@dataclass(slots=True)
class _Unit:
    unit: str | None = None
    rule_id: str | None = None
    people: bool = False
    #: The unit of the counted noun itself when a status or predicate made it more
    #: precise: "soldiers" for "100 soldiers were killed".
    noun_unit: str | None = None


@dataclass(slots=True)
class ArticleState:
    """What earlier sentences of the article tell later ones."""

    last_by_kind: dict[str, Speaker] = field(default_factory=dict)
    names: list[Speaker] = field(default_factory=list)
    documents: dict[str, Speaker] = field(default_factory=dict)
    heading_date: dt.date | None = None
    last_as_of: dt.date | None = None
    seen_sentences: set[int] = field(default_factory=set)
    headings: list[tuple[int, dt.date | None]] = field(default_factory=list)
    #: Offsets of numbers found to be days of calendar dates ("17" of "October 17").
    day_numbers: list[int] = field(default_factory=list)


class Engine:
    """The compiled rules; one instance serves any number of articles."""

    def __init__(self, book: rules.RuleBook):
        self.book = book
        self.grammar = numbers.Grammar(book)
        self.dates = dates.DateFinder(book)
        f = book.fragments
        # -- sentences
        self.abbreviations = {a.lower() for a in book.lists["abbreviation"]}
        # Where the string-method readers of boundaries meet a run of end marks that no
        # space follows, these go on (a rare case, and one a hostile text can repeat).
        boundary = r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s)|\n"
        self._boundary = rules.compile(boundary)
        self._boundary_back = rules.compile("(?r)" + boundary)  # searched leftwards
        # -- exclusions
        # All exclusion contexts are tried in one call per side (see _Contexts).
        self.exclusions = list(book.of("exclusions"))
        self._exclusion_before = _Contexts("(?<=", [
            (f"b{k}", book.expand(rule.get("before")))
            for k, rule in enumerate(self.exclusions) if rule.get("before")])
        self._exclusion_after = _Contexts("(?=", [
            (f"a{k}", book.expand(rule.get("after")))
            for k, rule in enumerate(self.exclusions) if rule.get("after")])
        # Per rule: when it can apply (digits only, words only, markers it needs in the
        # article) and the check itself (id, group index before, group index after,
        # conditions...), a tuple so that the hot loop reads no dictionaries.
        self.exclusion_markers = {m for rule in self.exclusions for m in rule.get("needs_any", ())}
        self._article_checks: dict[bool, list[tuple]] = {}
        self._checks_by_markers: dict[frozenset[str], dict[bool, list[tuple]]] = {}
        self._exclusion_checks = []
        # A number in words meets only the contexts of the rules that take such numbers:
        # its look-arounds try no other (a third of the numbers, half the contexts' cost).
        contexts_for: dict[bool, tuple[set[str], set[str]]] = {False: (set(), set()), True: (set(), set())}
        for k, rule in enumerate(self.exclusions):
            data = rule.data
            if data.get("needs_people_unit") or data.get("falling_pair"):
                continue  # decided once the unit is known, or the figure parsed
            for words, (befores, afters) in contexts_for.items():
                if _exclusion_takes(bool(data.get("digits_only")), bool(data.get("words_only")), words):
                    befores.add(f"b{k}")
                    afters.add(f"a{k}")
            before_words = frozenset(book.lists[data["before_word_list"]]) \
                if data.get("before_word_list") else None
            applies = (bool(data.get("digits_only")), bool(data.get("words_only")),
                       tuple(data.get("needs_any", ())))
            self._exclusion_checks.append((applies, (
                rule.id,
                self._exclusion_before.groups.groupindex.get(f"b{k}"),
                self._exclusion_after.groups.groupindex.get(f"a{k}"),
                data.get("max_value"), data.get("min_value"),
                bool(data.get("plain_four_digits")), data.get("min_digits"),
                data.get("require") == "both",
                before_words,
            )))
        self._exclusion_gates = {
            words: (self._exclusion_before.gate(befores), self._exclusion_after.gate(afters))
            for words, (befores, afters) in contexts_for.items()}
        # -- qualifiers
        # As for exclusions, one call per side tries every qualifier.
        self.qualifiers = list(book.of("qualifiers"))
        before_parts = []
        for k, rule in enumerate(self.qualifiers):
            if rule.get("before"):
                before_parts.append(
                    f"(?:(?<=(?<![\\w])(?P<b{k}>{book.expand(rule.get('before'))})"
                    f"[\\s\"\u201c\u201d'\u2018\u2019]*)(?P<at{k}>))?")
        self._qualifier_before = rules.compile("(?i)" + "".join(before_parts))
        # Every group's look-behind is tried at each call, where most figures have no
        # qualifier before them: one look-behind of all the wordings tells so first.
        before_wordings = [book.expand(rule.get("before")) for rule in self.qualifiers if rule.get("before")]
        self._any_qualifier_before = rules.compile(
            "(?i)(?<=(?<![\\w])(?:" + "|".join(f"(?:{w})" for w in before_wordings)
            + ")[\\s\"\u201c\u201d'\u2018\u2019]*)" if before_wordings else "(?!)")
        self._no_qualifier_before = (None,) * self._qualifier_before.compiled.groups
        self._qualifier_after = _Contexts("(?=", [
            (f"a{k}", book.expand(rule.get("after")))
            for k, rule in enumerate(self.qualifiers) if rule.get("after")], flags="(?i)")
        self._qualifier_checks = [
            (k, self._qualifier_before.groupindex.get(f"at{k}"), self._qualifier_before.groupindex.get(f"b{k}"),
             self._qualifier_after.groups.groupindex.get(f"a{k}"), rule.get("qualifier"), rule.id)
            for k, rule in enumerate(self.qualifiers)]
        # Only a qualifier's wording between a verb and a figure: "injured at least 12".
        self._qualifier_gap = rules.compile(r"(?i)\s*(?:(?:" + "|".join(
            book.expand(rule.get("before")) for rule in self.qualifiers if rule.get("before"))
            + r")[\s\"\u201c\u201d'\u2018\u2019]*)?")
        self._qualifier_after_each = {
            k: rules.compile("(?i)" + book.expand(rule.get("after")))
            for k, rule in enumerate(self.qualifiers) if rule.get("after")}
        self.date_exclusions = {r.id for r in self.exclusions if r.get("calendar_date")}
        self.small_count_rule = next(r for r in self.exclusions if r.get("needs_people_unit"))
        self.falling_pair_rule = next((r for r in self.exclusions if r.get("falling_pair")), None)
        # -- units
        self.unit_nouns: dict[tuple[str, ...], tuple[str, str, bool]] = {}
        self.unit_status: dict[str, tuple[str, str]] = {}
        befores: dict[str, tuple[str, str]] = {}
        self.unit_canonical: dict[str, str] = {}
        self.predicate_rules: list[tuple[str, str, str]] = []
        self.currency_words: dict[str, str] = {}
        own_noun_units = set()
        for rule in book.of("units"):
            unit = rule.get("unit")
            people = rule.get("class") == "people"
            for noun in rule.get("nouns", []):
                key = tuple(noun.lower().split())
                if rule.get("own_noun"):
                    # "47 officers": counted as officers, but people whom a predicate
                    # ("were injured") makes wounded.
                    own_noun_units.add(" ".join(key))
                    self.unit_nouns.setdefault(key, (" ".join(key), rule.id, people))
                else:
                    self.unit_nouns.setdefault(key, (unit, rule.id, people))
            for word in rule.get("status", []):
                self.unit_status.setdefault(word.lower(), (unit, rule.id))
            if rule.get("predicates"):
                self.predicate_rules.append((unit, rule.id, rules.list_alternation(rule.get("predicates"))))
            for phrase in rule.get("before", []):
                befores.setdefault(" ".join(phrase.lower().split()), (unit, rule.id))
            self.unit_canonical.update({k.lower(): v for k, v in rule.get("canonical", {}).items()})
            self.currency_words.update({k.lower(): v for k, v in rule.get("codes", {}).items()})
        self.max_noun_words = max(len(k) for k in self.unit_nouns)
        self.people_units = frozenset(u for u, _r, people in self.unit_nouns.values() if people)
        self.phrase_stop_words = {w.lower() for w in book.lists["phrase_stop"]}
        content = [w for _u, rule_id, _a in self.predicate_rules for rule in book.of("units")
                   if rule.id == rule_id for phrase in rule.get("predicates")
                   for w in phrase.split() if w.lower() not in self.phrase_stop_words]
        self.predicate_triggers = rules.Triggers(content)
        self.before_triggers = rules.Triggers(
            [w for r in book.of("units") for phrase in r.get("before", [])
             for w in phrase.split() if w.lower() not in self.phrase_stop_words])
        self._predicate = rules.compile(r"(?i)(?<![\w])(?:" + "|".join(
            f"(?P<p{k}>{alternation})" for k, (_u, _r, alternation) in enumerate(self.predicate_rules))
            + r")(?![\w])")
        self.befores = befores
        # "the number of confirmed cases has climbed past 3,400": the counted noun before.
        counted_of = next((r for r in book.of("units") if r.get("openers")), None)
        self.counted_of_rule = counted_of.id if counted_of else None
        openers = counted_of.get("openers") if counted_of else []
        self.counted_of_triggers = rules.Triggers(openers) if openers else None
        # "412 of the 650 seats": a figure with no noun counts the noun of the whole.
        partitive = next((r for r in book.of("units") if r.get("partitive")), None)
        self.partitive_rule = partitive.id if partitive else None
        self._partitive = rules.compile(partitive.pattern) if partitive else None
        self._counted_of = rules.compile(
            r"(?i)(?<![\w])" + rules.list_alternation(openers) + r"\s+")
        self._before_unit = rules.compile(
            r"(?i)(?<![\w])(?:" + rules.list_alternation(befores) + r")(?![\w])")
        self.phrase_stop = {w.lower() for w in book.lists["phrase_stop"]}
        # Units that only say who is counted: a predicate of theirs ("took part") does not
        # replace a noun the figure has ("3,000 soldiers took part": soldiers).
        self.who_units = {r.get("unit") for r in book.of("units")
                          if r.get("generic") and not r.get("own_noun")}
        self.generic_units = self.who_units | own_noun_units
        self.group_nouns = {w.lower() for w in book.lists["group_noun"]}
        self.irregular_plurals = frozenset(w.lower() for w in book.lists["irregular_plural"])
        self.group_links = {w.lower() for w in book.lists["group_link"]}
        self.coordinators = {w.lower() for w in book.lists["coordinator"]}
        self.strength_words = {w.lower() for w in book.lists["strength_word"]}
        self.noun_first_words = {k[0] for k in self.unit_nouns if len(k) > 1}
        self._group_each = rules.compile(
            r"(?i)\s+(?:" + f["group_noun"] + r")\b(?P<mid>[^.;:!?]{0,80}?)[\s,]+(?:"
            + f["group_each"] + r")\s+")
        self._group_of = rules.compile(r"(?i)\s+(?:" + f["group_noun"] + r")\s+of\s+")
        self._each_after = rules.compile(
            r"(?i)(?:\s+[^\W\d_]+){0,3}?\s+(?:" + f["group_each_after"] + r")(?![\w])")
        # A designation is one word: "85 F-16 fighter jets", "4 S-300 missiles".
        self._np_word = _PhraseWords()
        # -- entities
        self.entity_of: dict[str, tuple[str, str]] = {}
        for rule in book.of("entities"):
            for alias in rule.get("aliases", []):
                self.entity_of[alias] = (rule.get("entity"), rule.id)
        self._entity = rules.compile(
            r"(?<![\w])(?:" + rules.list_alternation(self.entity_of) + r")(?![\w])")
        self.entity_triggers = rules.Triggers(self.entity_of)
        self.speaker_entity_units = frozenset(book.lists["speaker_entity_unit"])
        self._entity_pair = rules.compile(
            r"\s*(?:,|\s(?:" + f["coordinator"] + r"))\s+(?:the\s+)?(?P<alias>"
            + rules.list_alternation(self.entity_of) + r")(?![\w])")
        self._location = rules.compile(
            r"(?i)(?<![\w])(?:" + f["location_marker"] + r")\s+(?:the\s+)?(?-i:(?P<alias>"
            + rules.list_alternation(self.entity_of) + r"))(?![\w])")
        self._owner = rules.compile(
            r"(?i)[\s,]*(?:" + f["owner_marker"] + r")\s+(?-i:(?P<alias>" + rules.list_alternation(self.entity_of) + r"))(?![\w])")
        # -- speakers
        self.speaker_of: dict[str, tuple[str, str, str]] = {}
        for rule in book.of("speakers"):
            for alias in rule.get("aliases", []):
                self.speaker_of[alias] = (rule.get("canonical"), rule.get("kind"), rule.id)
                self.speaker_of[alias.replace("'", "\u2019")] = (rule.get("canonical"), rule.get("kind"), rule.id)
        # "the health ministry" for "the Health Ministry": a name of several words written
        # with lower-case letters is matched in any capitalisation. An acronym ("NIS", "WHO",
        # "AP") or a single word ("Trump") keeps its case, or it would match ordinary words.
        any_case = [a for a in self.speaker_of if len(a.split()) > 1 and any(c.islower() for c in a)]
        self.speaker_of_any_case = {rules.fold_case(a): self.speaker_of[a] for a in any_case}
        self._speaker_alias = rules.PhraseFinder(self.speaker_of, any_case)
        self._speech_verb = rules.compile(r"(?<![\w])(?:" + f["speech_verb"] + r")(?![\w])")
        self._verb_prefix = rules.compile(r"(?ri)(?:(?<![\w])(?:" + f["verb_prefix"] + r")\s+)+\Z")
        self._trailing_date = rules.compile(
            r"(?ri)\s+(?:on\s+|last\s+|this\s+)?(?:" + f["weekday_name"] + r"|" + f["trailing_time_word"]
            + r"|" + f["calendar_date"] + r")\s*\Z")
        self.trailing_date_triggers = rules.Triggers(
            book.lists["weekday_name"] + book.lists["month_name"] + book.lists["trailing_time_word"])
        self.verb_prefix_last_words = {p.split()[-1].lower() for p in book.lists["verb_prefix"]}
        self.non_agent = {w.lower() for w in book.lists["non_agent"]}
        self.speaker_nouns = {w.lower() for w in book.lists["speaker_noun"]}
        self.title_words = set(book.lists["title_word"])
        self.not_name_words = set(book.lists["not_name_word"])
        self.organisation_links = {w.lower() for w in book.lists["organisation_link"]}
        self.organisation_words = frozenset(book.lists["organisation_word"])
        self.person_nouns = {w.lower() for w in book.lists["person_noun"]}
        self.place_prepositions = {w.lower() for w in book.lists["place_preposition"]}
        self.pronouns = {}
        for kind in _PRONOUN_KINDS:
            for p in book.lists[f"pronoun_{kind}"]:
                self.pronouns[p.lower()] = kind
        self.source_documents = {w.lower() for w in book.lists["source_document"]}
        self.document_first_words = {w.split()[0].lower() for w in book.lists["source_document"]}
        attribution = {r.id: r for r in book.of("attribution")}
        self._according = rules.compile(r"(?i)" + attribution["ATTR-ACCORDING-TO"].pattern)
        self._citing = rules.compile(r"(?i)" + attribution["ATTR-CITING"].pattern)
        self._cited_as = rules.compile(attribution["ATTR-CITED-AS-SAYING"].pattern)
        self._document = rules.compile(attribution["ATTR-DOCUMENT"].pattern)
        self._debug: list | None = None
        # Per-article working state, set as an article is read (an Engine reads one
        # article at a time; processes, not threads, read in parallel).
        self._speaker_spans: list[tuple[int, int]] = []
        self._words: frozenset[str] = frozenset()
        self._phrase_end = self._plain_end = self._qualifier_start = self._qualifier_end = 0
        self.speech_triggers = rules.Triggers(book.lists["speech_verb"])
        self.according_triggers = rules.Triggers(attribution["ATTR-ACCORDING-TO"].get("triggers"))
        self.citing_triggers = rules.Triggers(attribution["ATTR-CITING"].get("triggers"))
        self.cited_as_triggers = rules.Triggers(attribution["ATTR-CITED-AS-SAYING"].get("triggers"))
        self.document_triggers = rules.Triggers(book.lists["source_document"])
        # Only a sentence that refers back ("He added", "the report said") needs the one before.
        self._anaphoric_speaker = rules.compile(
            r"(?<![\w])(?:" + rules.list_alternation(
                [p for kind in _PRONOUN_KINDS for p in book.lists[f"pronoun_{kind}"]]
                + [f"the {d}" for d in book.lists["source_document"]]
                + [f"The {d}" for d in book.lists["source_document"]])
            + r")\s+(?:(?:" + f["verb_prefix"] + r")\s+)*(?:" + f["speech_verb"] + r")(?![\w])")
        self.anaphora_triggers = rules.Triggers(
            [p for kind in _PRONOUN_KINDS for p in book.lists[f"pronoun_{kind}"]]
            + book.lists["source_document"])
        self._acronym = rules.compile(r"\((?P<abbr>[A-Z][A-Za-z.&-]{1,9})\)")
        self._capitalized = rules.compile(r"[A-Z\u00c0-\u00de][\w\u2019'.-]*")
        # -- hedges
        self.hedges = list(book.of("hedges"))
        # A user's hedge rule without triggers must be searched everywhere: then no gate.
        self.hedge_triggers = None if any(not rule.get("triggers") for rule in self.hedges) \
            else rules.Triggers([t for rule in self.hedges for t in rule.get("triggers")])
        self._hedge = rules.compile(
            r"(?i)" + "|".join(f"(?P<h{k}>{rule.pattern})" for k, rule in enumerate(self.hedges)))
        # -- small words the engine reads phrases with, from the rule files
        self.entity_breaks = list(book.lists["entity_clause_break"])
        self.speaker_breaks = list(book.lists["speaker_clause_break"])
        self.relative_pronouns = {w.lower() for w in book.lists["relative_pronoun"]}
        self.determiners = {w.lower() for w in book.lists["determiner"]}
        self.indefinite_articles = {w.lower() for w in book.lists["indefinite_article"]}
        self.noun_markers = {w.lower() for w in book.lists["noun_marker"]}
        self._antecedent = rules.compile(
            r"(?i)\b(?:" + f["antecedent_preposition"] + r")\s+(?=(?:" + f["determiner"] + r")\b)")
        self._leading_determiner = rules.compile(r"(?i)^(?:" + f["determiner"] + r")\s+")
        self._speaker_phrase_end = rules.compile(
            r"[,;:.\u201c\u201d\"(]|\s(?:" + f["speaker_phrase_end"] + r")\s|\n")
        self._speaker_tail = rules.compile(f["speaker_tail"])
        self._document_of = rules.compile(
            r"(?i)(?:" + f["determiner"] + r"\s+)?(?P<document>" + f["source_document"] + r")\s+(?:"
            + f["document_owner_marker"] + r")\s+(?P<owner>.+)")
        self._owned_document = rules.compile(
            r"(?i)(?<![\w])(?P<document>" + f["source_document"] + r")\s+(?:"
            + f["document_owner_marker"] + r")\s+")
        self._citing_gap = rules.compile(
            r"[\s,]*(?:(?:on|last|this)\s+)?(?:" + f["weekday_name"] + r"|" + f["calendar_date"] + r")?[\s,]*")
        self._quote_mark = rules.compile(r'[\u201c\u201d"\n]', skip=r'[^\u201c\u201d"\n]')
        self._digit = rules.compile(r"\d")
        self._range_follows = rules.compile(
            r"(?i)\s*(?:\p{Pd}|(?:" + "|".join(self.grammar.range_words) + r")\s)\s*\p{Sc}?\d")
        self._letters = rules.compile(r"[^\W\d_]+")
        self._word_before = rules.compile(r"(?r)([^\W\d_]+)\W*\Z")
        self._tail_stop = rules.compile(r"[.;\n]")

    # ------------------------------------------------------------------------------
    def extract(self, article: Article, debug: list | None = None) -> list[dict[str, Any]]:
        """The claims of one article as row dicts (``debug`` collects rejections)."""
        self._debug = debug
        try:
            with limits.cpu_time_limit(ARTICLE_TIME_LIMIT_SECONDS):
                return self._extract(article, debug)
        except TimeoutError as exc:
            raise ArticleTimeout(f"{article.doc}: a rule took too long on this text ({exc})") from exc
        except limits.PastTimeLimit:
            raise ArticleTimeout(f"{article.doc}: a rule took too long on this text (more than "
                                 f"{ARTICLE_TIME_LIMIT_SECONDS:g} s of CPU time)") from None

    def _extract(self, article: Article, debug: list | None) -> list[dict[str, Any]]:
        text = article.text
        begin = article.body_start
        candidates = self.grammar.candidates(text, begin)
        if not candidates:
            return []
        quotes: list[tuple[int, int]] | None = None
        markers = frozenset(m for m in self.exclusion_markers if m in text)
        self._article_checks = self._checks_by_markers.get(markers) \
            or self._checks_by_markers.setdefault(markers, self._checks_for(markers))
        state = ArticleState()
        for line_start, line in _short_lines_with_digits(text, begin, candidates):
            # A live blog's day heading ("Wednesday, February 8, 2023") dates what follows.
            if self.dates.is_heading(line):
                mentions = self.dates.find(line)
                if mentions:
                    state.headings.append((line_start, self.dates.resolve(mentions[0], article.published)))
        rows: list[dict[str, Any]] = []
        consumed = begin
        sentence_cache: dict[int, tuple[list[Cue], dt.date | None, str | None]] = {}
        figures_by_sentence: dict[int, list[dict[str, Any]]] = {}
        i = 0
        deadline = time.process_time() + ARTICLE_TIME_LIMIT_SECONDS
        while i < len(candidates):
            pos = candidates[i]
            i += 1
            if i % _DEADLINE_EVERY == 0 and time.process_time() > deadline:
                # Number soup (a megabyte of "1,1,1,"): bounded, reported, skipped.
                raise TimeoutError(f"more than {ARTICLE_TIME_LIMIT_SECONDS:g} s on "
                                   f"{len(candidates):,} places where a figure may start")
            if pos < consumed:
                continue
            # Most numbers in news are dates and years: rule those out on the digits alone
            # before parsing the whole figure.
            core_end = numbers.digits_end(text, pos) if text[pos].isdecimal() else pos
            if core_end - pos < 4 and text[core_end:core_end + 1] == " ":
                # Perhaps the first group of "11 000" (Grammar.number_end): the first test
                # of space_groups_end, made here, spares nearly every number the call.
                core_end = self.grammar.space_groups_end(text, pos, core_end)
            checked = None
            if core_end > pos and not text[core_end:core_end + 1].isalpha():
                value = float(numbers.strip_separators(text[pos:core_end]))
                excluded = self._excluded_number(text, pos, core_end, core_end, value, False)
                if excluded:
                    if excluded in self.date_exclusions:
                        state.day_numbers.append(pos)
                    consumed = core_end
                    if self._may_start_range(text, core_end) and \
                            self._range_follows.match(text, core_end):
                        # "aged 18 to 60": the second end is no figure either.
                        whole = self.grammar.parse_at(text, pos)
                        if whole is not None:
                            consumed = max(consumed, whole.end)
                    if debug is not None:
                        debug.append((excluded, text[pos:core_end]))
                    continue
                checked = (core_end, core_end)
            fig = self.grammar.parse_at(text, pos, (core_end, value) if checked else None)
            if fig is None:
                continue
            consumed = max(consumed, fig.end)
            if fig.start < begin:
                continue
            same_as_checked = checked == (fig.core_end, fig.end) and fig.core_start == pos
            excluded = None if same_as_checked else self._excluded(text, fig)
            if not excluded and fig.falling_pair_end and self._falling_pair(fig):
                # "passed 68-32": a tally or a score; its second number goes with it.
                excluded = self.falling_pair_rule.id
                consumed = max(consumed, fig.falling_pair_end)
            if excluded in self.date_exclusions:
                state.day_numbers.append(fig.core_start)
            if excluded:
                if debug is not None:
                    debug.append((excluded, text[fig.start:fig.end]))
                continue
            row_rules = list(fig.rule_ids)
            s_start, s_end = self._sentence_at(text, begin, fig.core_start)
            si = s_start
            if si not in sentence_cache:
                sentence_cache[si] = self._sentence_context(text, begin, (s_start, s_end), state, article)
            cues, as_of, date_rule, self._words = sentence_cache[si]
            self._speaker_spans = [(c.start, c.end) for c in cues if c.rule_id == "ATTR-SAID"]
            # A group and the size of each: "two brigades ..., each consisting of 6,000".
            composite = None
            if fig.value is not None and not fig.is_range and fig.value < 100:
                composite = self._composite(text, fig, s_end)
            previous = figures_by_sentence.get(si, [])
            if composite:
                part, part_end, mid_unit = composite
                value = fig.value * part.value
                unit = self._unit(text, part, s_start, s_end, previous, row_rules)
                if unit.unit is None and mid_unit:
                    unit = mid_unit
                consumed = max(consumed, part.end)
                fig_value, low, high, qualifier = value, value, value, "exact"
                text_end = part_end
                row_rules.append("UNIT-GROUP-EACH")
            else:
                qualifier, q_rule = self._qualifier(text, fig)
                unit = self._unit(text, fig, s_start, s_end, previous, row_rules, self._qualifier_end)
                if self._small_count(fig) and not unit.people:
                    if debug is not None:
                        debug.append((self.small_count_rule.id, text[fig.start:fig.end]))
                    continue
                if q_rule:
                    row_rules.append(q_rule)
                fig_value, low, high = _bounds(qualifier, fig)
                text_end = max(fig.end, self._phrase_end)
            entity, e_rule, entity_end = self._entity_for(text, fig, text_end, s_start, previous)
            if e_rule:
                row_rules.append(e_rule)
            text_end = max(text_end, entity_end)
            text_start = self._qualifier_start if not composite else fig.start
            if quotes is None and self._in_quoting_paragraph(text, fig.core_start):
                quotes = self._quotes(text, begin)  # paired over the article, once
            speaker, a_rules = self._attribute(text, fig, cues, quotes or (), state)
            row_rules.extend(a_rules)
            if entity is None and speaker is not None and speaker.kind == "other" \
                    and unit.unit in self.speaker_entity_units \
                    and (unit.noun_unit or unit.unit) in self.speaker_entity_units:
                entity = self._speaker_entity(speaker.name, row_rules)
            if date_rule:
                row_rules.append(date_rule)
            hedge = self._hedge.search(text, s_start, fig.end) \
                if self.hedge_triggers is None or self.hedge_triggers.any_in(self._words) else None
            hedged = hedge is not None
            if hedged:
                row_rules.append(self.hedges[int(hedge.lastgroup[1:])].id)
            surface = text[text_start:text_end]
            row = {
                "claim_id": _claim_id(article.doc, text_start, text_end, surface),
                "doc": article.doc,
                "source": article.source,
                "published": article.published,
                "published_inferred": article.published_inferred,
                "text": surface,
                "start": text_start,
                "end": text_end,
                "sentence": " ".join(text[s_start:s_end].split()),
                "value": fig_value,
                "low": low,
                "high": high,
                "qualifier": qualifier,
                "unit": unit.unit,
                "entity": entity,
                "attributed_to": speaker.name if speaker else None,
                "as_of": as_of or article.published,
                "as_of_from": "text" if as_of else ("published" if article.published else None),
                "hedged": hedged,
                "rule_ids": " ".join(dict.fromkeys(row_rules)),
                "url": article.url,
                "title": article.title,
            }
            rows.append(row)
            figures_by_sentence.setdefault(si, []).append(row)
        return rows

    # -- sentences and quotations ---------------------------------------------------
    def _last_word(self, text: str, start: int, end: int) -> str | None:
        """The run of letters that ``text[start:end]`` ends with, but for non-word
        characters after it, or None: ``_word_before``'s match, read with string methods
        where the stretch is ASCII (the common case)."""
        chunk = text[start:end]
        if not chunk.isascii():
            found = self._word_before.search(text, start, end)
            return found.group(1) if found else None
        # Two strips in C, rather than a Python step per character.
        ended = chunk.rstrip(rules.ASCII_NOT_WORD)
        word = ended[len(ended.rstrip(rules.ASCII_LETTERS)):]
        return word or None

    def _boundary_after(self, text: str, pos: int, endpos: int) -> tuple[int, int] | None:
        """The span of ``_boundary``'s first match in ``text[pos:endpos]``, or None.

        Most often the end mark or line break nearest ``pos`` is that match, and five
        ``str.find`` calls find it for about 6,000 instructions, where the pattern tries
        every character on the way (9,000 over a sentence's 100 characters; leftwards
        19,000). A run of marks with no space after it ("3.5", "U.S.-led") leaves the
        rest to the pattern. A test compares the two."""
        found = text.find("\n", pos, endpos)
        for mark in _SENTENCE_ENDS:
            # Only nearer than the nearest so far.
            at = text.find(mark, pos, endpos if found < 0 else found)
            if at >= 0:
                found = at
        if found < 0:
            return None
        if text[found] == "\n":
            return found, found + 1
        end = found + 1
        while end < endpos and text[end] in _SENTENCE_ENDS:
            end += 1
        end, spaced = _past_closers(text, end, endpos)
        if spaced:
            return found, end
        m = self._boundary.search(text, end, endpos)
        return m.span() if m else None

    def _boundary_before(self, text: str, pos: int, endpos: int) -> tuple[int, int] | None:
        """The span of ``_boundary_back``'s match in ``text[pos:endpos]`` (the one that
        ends last), or None: as :meth:`_boundary_after`, but leftwards."""
        found = text.rfind("\n", pos, endpos)
        for mark in _SENTENCE_ENDS:
            at = text.rfind(mark, found + 1 if found >= pos else pos, endpos)
            if at >= 0:
                found = at
        if found < pos:
            return None
        if text[found] == "\n":
            return found, found + 1
        # The last mark of its run: the run goes on leftwards only.
        start = found
        while start > pos and text[start - 1] in _SENTENCE_ENDS:
            start -= 1
        end, spaced = _past_closers(text, found + 1, endpos)
        if spaced:
            return start, end
        m = self._boundary_back.search(text, pos, start)
        return m.span() if m else None

    def _is_boundary(self, text: str, start: int, end: int, floor: int) -> bool:
        """A line break, or an end mark before a capital, digit or quote that does not
        end an abbreviation or an initial."""
        if text[start] == "\n":
            return True
        nxt = _next_visible(text, end)
        if not (nxt.isupper() or nxt.isdigit() or nxt in _SENTENCE_OPENERS):
            return False
        word = self._abbreviation_at(text, start, floor)
        if word:
            if self._debug is not None:
                self._debug.append(("SENT-ABBREVIATION", word))
            return False
        return True

    def _abbreviation_at(self, text: str, dot: int, floor: int) -> str | None:
        """The abbreviation or initial (lower-cased) that the full stop at ``dot`` ends
        ("dr.", "u.s.", "j."), looked for no further back than ``floor``; else None."""
        low = max(floor, dot - 30)
        # After the last space or line break before the dot: rpartition takes one argument,
        # which CPython 3.11 passes faster than rfind's three.
        word = (text[low:dot].rpartition(" ")[2].rpartition("\n")[2]
                + text[dot:dot + 1]).lower() if low <= dot else ""
        return word if word in self.abbreviations or _is_initial(word) else None

    def _sentence_at(self, text: str, begin: int, pos: int) -> tuple[int, int]:
        """The sentence around ``pos``, found by looking for boundaries on both sides.

        Text with no sentence ends (a table, a line of numbers) is cut into blocks of
        ``_MAX_SENTENCE`` characters: the figures of one block share its "sentence", read
        once, so such text costs no more than ordinary prose.
        """
        block = begin + (pos - begin) // _MAX_SENTENCE * _MAX_SENTENCE
        floor = max(begin, block - _MAX_SENTENCE)
        start = block
        at = pos
        while at > floor:
            found = self._boundary_before(text, floor, at)
            if found is None:
                break
            if self._is_boundary(text, *found, begin):
                start = found[1]
                break
            at = found[0]
        ceiling = min(len(text), max(start, block) + _MAX_SENTENCE)
        end = ceiling
        at = pos
        while (found := self._boundary_after(text, at, ceiling)) is not None:
            if self._is_boundary(text, *found, start):
                end = found[1]
                break
            at = found[1]
        return _trim(text, start, end)

    def _sentence_before(self, text: str, begin: int, start: int) -> tuple[int, int] | None:
        at = start
        while at > begin and (text[at - 1].isspace() or text[at - 1] in _END_MARKS):
            at -= 1
        if at <= begin:
            return None
        return self._sentence_at(text, begin, at - 1)

    def _in_quoting_paragraph(self, text: str, pos: int) -> bool:
        """Whether the line around ``pos`` has a quotation mark (quotations do not cross lines)."""
        start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", pos)
        line = text[start:end if end >= 0 else len(text)]
        return any(mark in line for mark in _QUOTE_MARKS)

    def _quotes(self, text: str, begin: int) -> list[tuple[int, int]]:
        """Quotation spans (inside the marks), pairing curly and straight marks per paragraph."""
        spans = []
        open_at = None
        for at, after, _group in self._quote_mark.scan(text, begin):
            ch = text[at]
            if ch == "\n":
                if open_at is not None and text[at - 1:at] == "\n":
                    open_at = None
                continue
            if open_at is None:
                if ch in (_QUOTE_OPEN, _STRAIGHT):
                    open_at = after
            elif ch in (_QUOTE_CLOSE, _STRAIGHT) or ch == _QUOTE_OPEN:
                if ch == _QUOTE_OPEN:
                    open_at = after
                    continue
                spans.append((open_at, at))
                open_at = None
        return spans

    # -- exclusions ----------------------------------------------------------------
    def _may_start_range(self, text: str, pos: int) -> bool:
        """A dash or a range word ("to", "and") right after ``pos``: worth a closer look."""
        after = text[pos:pos + 8].lstrip()
        if not after:
            return False
        if after[0] in _DASHES:
            return True
        word = after.split(None, 1)[0].lower()
        return word in self.grammar.range_words

    def _checks_for(self, markers: frozenset[str]) -> dict[bool, list[tuple]]:
        """The exclusion checks that can apply in an article holding ``markers``, for
        numbers in digits and in words, so that the loop over each number skips the rest
        without looking."""
        return {
            words: [check for (digits_only, words_only, needs_any), check in self._exclusion_checks
                    if _exclusion_takes(digits_only, words_only, words)
                    and (not needs_any or any(marker in markers for marker in needs_any))]
            for words in (False, True)}

    def _excluded(self, text: str, fig: numbers.Figure) -> str | None:
        """The id of the first exclusion rule the figure meets, if any."""
        return self._excluded_number(text, fig.core_start, fig.core_end, fig.end, fig.core_value,
                                     fig.written_in_words)

    def _excluded_number(self, text: str, core_start: int, core_end: int, end: int,
                         core_value: float | None, words: bool) -> str | None:
        """The id of the first exclusion rule the number ``text[core_start:core_end]``
        (part of a figure ending at ``end``) meets, if any."""
        core = text[core_start:core_end]
        plain_four = len(core) == 4 and core.isdecimal()
        before = after_core = after_end = None
        word_before = None
        before_gate, after_gate = self._exclusion_gates[bool(words)]
        for (rule_id, b_group, a_group, max_value, min_value, needs_plain_four, min_digits, both,
             before_words) in self._article_checks[bool(words)]:
            if max_value is not None and (core_value is None or core_value > max_value):
                continue
            if min_value is not None and (core_value is None or core_value < min_value):
                continue
            if needs_plain_four and not plain_four:
                continue
            if min_digits is not None and not (core.isdecimal() and len(core) >= min_digits):
                continue
            if before_words is not None:
                # The word right before the number, looked up instead of matched.
                if word_before is None:
                    head = text[max(0, core_start - _WORD_BEFORE_REACH):core_start]
                    word_before = head.split()[-1] if head.strip() and head[-1:].isspace() else ""
                if word_before in before_words:
                    return rule_id
                if b_group is None and a_group is None:
                    continue
            if b_group is None and a_group is None:
                return rule_id
            hit_before = hit_after = False
            if b_group is not None:
                if before is None:
                    before = self._exclusion_before.at(text, core_start, before_gate)
                hit_before = before[b_group - 1] is not None
            if a_group is not None and not (hit_before and not both):
                if after_core is None:
                    after_core = self._exclusion_after.at(text, core_end, after_gate)
                    after_end = after_core if end == core_end else \
                        self._exclusion_after.at(text, end, after_gate)
                hit_after = after_core[a_group - 1] is not None or after_end[a_group - 1] is not None
            if (hit_before and hit_after) if both else (hit_before or hit_after):
                return rule_id
        return None

    # -- qualifiers ----------------------------------------------------------------
    def _small_count(self, fig: numbers.Figure) -> bool:
        """Spelled-out counts this small are figures only when they count people."""
        limit = self.small_count_rule.get("max_value")
        return fig.written_in_words and not fig.is_range and fig.value is not None and fig.value <= limit

    def _falling_pair(self, fig: numbers.Figure) -> bool:
        """Two numbers joined by a dash, the second not larger, within the rule's bound."""
        rule = self.falling_pair_rule
        if rule is None:
            return False
        limit = rule.get("max_value")
        return limit is None or (fig.core_value is not None and fig.core_value <= limit)

    def _qualifier(self, text: str, fig: numbers.Figure) -> tuple[str, str | None]:
        """The qualifier whose wording stands right before (or after) the figure; the
        first rule in file order wins. A range keeps its own qualifier, its surface
        taking the wording in ("around $30-$35 billion")."""
        self._qualifier_start = fig.start
        self._qualifier_end = fig.end
        if fig.vague:
            return "several", None
        before = self._qualifier_before.match(text, fig.start) \
            if self._any_qualifier_before.match(text, fig.start) else None
        marks = before.groups() if before is not None else self._no_qualifier_before
        after_marks = None
        for k, at_group, b_group, a_group, qualifier, rule_id in self._qualifier_checks:
            if at_group is not None and marks[at_group - 1] is not None:
                self._qualifier_start = before.start(b_group)
                return ("range", None) if fig.is_range else (qualifier, rule_id)
            if a_group is not None and not fig.is_range:
                if after_marks is None:
                    after_marks = self._qualifier_after.at(text, fig.end)
                if after_marks[a_group - 1] is not None:
                    own = self._qualifier_after_each[k].match(text, fig.end)
                    self._qualifier_end = own.end() if own else fig.end
                    return qualifier, rule_id
        return ("range", None) if fig.is_range else ("exact", None)

    # -- units ---------------------------------------------------------------------
    def _phrase(self, text: str, pos: int, limit: int) -> list[tuple[str, int, int]]:
        """Words right after a figure, up to a stop word or punctuation."""
        return self._np_word.read(text, pos, min(limit, pos + 90), _PHRASE_WORDS)

    def _unit(self, text: str, fig: numbers.Figure, s_start: int, s_end: int,
              previous: list[dict[str, Any]], row_rules: list[str],
              phrase_start: int | None = None) -> _Unit:
        phrase_start = fig.end if phrase_start is None else phrase_start
        self._phrase_end = phrase_start
        if fig.currency:
            row_rules.append("UNIT-CURRENCY")
            self._noun_phrase(text, phrase_start, s_end)
            return _Unit(fig.currency, "UNIT-CURRENCY")
        if fig.percent:
            row_rules.append("UNIT-PERCENT")
            return _Unit("percent", "UNIT-PERCENT")
        head, status, plain = self._noun_phrase(text, phrase_start, s_end)
        unit = None
        if status:
            unit = _Unit(status[0], status[1], True, head[0] if head else None)
        elif head:
            unit = _Unit(head[0], head[1], head[2])
        if unit is not None and unit.unit == "currency":
            unit = _Unit(self.currency_words.get(head[3], "usd"), "UNIT-CURRENCY")
        # A phrase that only says "people" or "soldiers" may be told apart by what
        # happened to them, after ("were killed") or before ("has displaced 30,000 people").
        generic = (unit is None and not plain) or (unit is not None and unit.unit in self.generic_units)
        if generic:
            predicate = self._predicate_unit(text, self._phrase_end, s_end)
            if predicate and unit is not None and predicate[0] in self.who_units:
                predicate = None
            noun_unit = unit.unit if unit is not None else None
            if predicate:
                unit = _Unit(predicate[0], predicate[1], True, noun_unit)
            else:
                before = self._before_unit_for(text, fig, s_start)
                if before:
                    unit = _Unit(before[0], before[1], True, noun_unit)
        if unit is None and plain:
            unit = _Unit(plain, "UNIT-PLAIN-NOUN", False)
        if unit is None and self._partitive is not None:
            unit = self._partitive_unit(text, s_end)
        if unit is None and self.counted_of_triggers is not None \
                and self.counted_of_triggers.any_in(self._words):
            unit = self._counted_of_unit(text, fig, s_start, row_rules)
        if unit is None and previous:
            last = previous[-1]
            if last["unit"]:
                unit = _Unit(last["unit"], "UNIT-CARRIED", last["unit"] in self.people_units)
        if unit is None:
            return _Unit()
        if unit.rule_id:
            row_rules.append(unit.rule_id)
        return unit

    def _noun_phrase(self, text: str, phrase_start: int, s_end: int):
        """(head unit, status unit, plain noun) of the phrase after the figure."""
        words = self._phrase(text, phrase_start, s_end)
        lows = [w[0].lower().rstrip(".") for w in words]
        head = status = None
        plain = None
        i = 0
        after_group = False
        modifiers = 0
        while i < len(words) and modifiers <= 5:
            word, w_start, w_end = words[i]
            low = lows[i]
            if i == 0 and w_start - phrase_start > 2 and text[phrase_start:w_start].strip(" \"\u201d'\u2019"):
                break
            if i == 0 and (word in _DASHES or low in self.strength_words):
                i += 1  # "50,000-strong group of ..."
                continue
            if low in self.strength_words:
                i += 1
                continue
            sizes = range(min(self.max_noun_words, len(words) - i), 0, -1) \
                if low in self.noun_first_words else (1,)
            if low in self.unit_status and status is None and i + 1 < len(words) \
                    and self._phrase_goes_on(words, lows, i + 1):
                # "2,000 injured North Korean soldiers": a status word before its noun.
                status = self.unit_status[low]
                self._phrase_end = _without_full_stop(text, w_end)
                i += 1
                modifiers += 1
                continue
            for size in sizes:
                key = tuple(lows[i:i + size])
                if key in self.unit_nouns:
                    unit, rule_id, people = self.unit_nouns[key]
                    name = " ".join(key)
                    if unit == "area":
                        head = (self.unit_canonical.get(name, name), rule_id, False, name)
                    else:
                        head = (unit, rule_id, people, name)
                    self._phrase_end = _without_full_stop(text, words[i + size - 1][2])
                    break
            if head is not None:
                after = i + size
                if head[2] and status is None and after < len(words) \
                        and lows[after] in self.unit_status \
                        and not self._predicate.match(text, words[after][1]):
                    # "a dozen fishermen missing", "12 people missing": their status (a
                    # predicate there, "killed or wounded", is read as one).
                    status = self.unit_status[lows[after]]
                    self._phrase_end = _without_full_stop(text, words[after][2])
                break
            if low in self.unit_status and status is None:
                status = self.unit_status[low]
                self._phrase_end = _without_full_stop(text, w_end)
                i += 1
                modifiers += 1
                continue
            if low in self.group_nouns:
                after_group = True
                i += 1
                if i < len(words) and lows[i] in self.group_links:
                    i += 1
                continue
            if low in self.coordinators and after_group and i + 1 < len(words) and words[i + 1][0][:1].isupper():
                i += 1  # "group of Russian and North Korean troops"
                continue
            if word.isdecimal() and len(word) <= 4 and i > 0 and words[i - 1][0][:1].isupper() \
                    and i + 1 < len(words) and words[i + 1][0][:1].isalpha():
                # "300 Leopard 2 tanks": the number is part of a name (exclusions.toml).
                modifiers += 1
                i += 1
                continue
            if low in self.phrase_stop or not word[:1].isalpha():
                if word in _CLOSING_QUOTES and i == 0:
                    i += 1
                    continue
                break
            if word[:1].islower() and (low.endswith("s") and len(low) > 3 or low in self.irregular_plurals):
                plain = low
                self._plain_end = _without_full_stop(text, w_end)
            modifiers += 1
            i += 1
        if status and head and not head[2]:
            status = None
        if head is None and status is None and plain:
            self._phrase_end = self._plain_end
        return head, status, plain

    def _phrase_goes_on(self, words: list[tuple[str, int, int]], lows: list[str], i: int) -> bool:
        """Whether a counted noun still follows from word ``i`` on (modifiers allowed)."""
        for (word, _s, _e), low in zip(words[i:i + 4], lows[i:i + 4]):
            if (low,) in self.unit_nouns:
                return True
            if low in self.phrase_stop or not word[:1].isalpha():
                return False
        return False

    def _predicate_unit(self, text: str, pos: int, s_end: int) -> tuple[str, str] | None:
        """What happened to the counted people, said after the phrase ("have been killed").

        The earliest predicate wins; at one place, the unit listed first in units.toml
        (casualties before killed: "killed or wounded").
        """
        if not self.predicate_triggers.any_in(self._words):
            return None
        limit = min(s_end, pos + 110)
        digit = self._digit.search(text, pos, limit)
        nxt = digit.start() if digit else limit
        m = self._predicate.search(text, pos, nxt)
        if m is None:
            return None
        between = text[pos:m.start()]
        if any(brk in between for brk in self.speaker_breaks) or self._speech_verb.search(between):
            return None
        if " " not in m.group():
            # "killed 5 and injured 12": a lone verb before the next figure is that
            # figure's verb, not what happened to this one.
            after = self.grammar.candidates(text, m.end(), min(len(text), m.end() + 40))
            if after and self._qualifier_gap.fullmatch(text, m.end(), after[0]):
                return None
        unit, rule_id, _alternation = self.predicate_rules[int(m.lastgroup[1:])]
        return unit, rule_id

    def _partitive_unit(self, text: str, s_end: int) -> _Unit | None:
        """What the whole counts when a figure with no noun is part of it ("412 of the
        650 seats": seats), read as the words after a figure are."""
        m = self._partitive.match(text, self._phrase_end, s_end)
        if m is None:
            return None
        return self._unit_of_words_at(text, m.end(), s_end, self.partitive_rule)

    def _unit_of_words_at(self, text: str, start: int, end: int,
                          rule_id: str | None = None) -> _Unit | None:
        """What the words at ``start`` count, read as the words after a figure are, leaving
        where the figure's own phrase ends as it was; with ``rule_id``, the unit's rule is
        that one instead of the noun's own."""
        phrase_end, plain_end = self._phrase_end, self._plain_end
        head, status, plain = self._noun_phrase(text, start, end)
        self._phrase_end, self._plain_end = phrase_end, plain_end
        if status:
            return _Unit(status[0], rule_id or status[1], True)
        if head and head[0] != "currency":
            return _Unit(head[0], rule_id or head[1], head[2])
        if plain:
            return _Unit(plain, rule_id or "UNIT-PLAIN-NOUN", False)
        return None

    def _counted_of_unit(self, text: str, fig: numbers.Figure, s_start: int,
                         row_rules: list[str]) -> _Unit | None:
        """What "the number of X" before the figure, in its clause, counts: X read as
        the words after a figure are ("the number of confirmed cholera cases has climbed
        past 3,400": cases). None when another figure stands between."""
        found = self._last_in_clause(self._counted_of, text, fig, s_start)
        if found is None:
            return None
        unit = self._unit_of_words_at(text, found.end(), fig.start)
        if unit is not None:
            row_rules.append(self.counted_of_rule)
        return unit

    def _before_unit_for(self, text: str, fig: numbers.Figure, s_start: int) -> tuple[str, str] | None:
        if not self.before_triggers.any_in(self._words):
            return None
        best = self._last_in_clause(self._before_unit, text, fig, s_start)
        if best is None:
            return None
        key = " ".join(best.group().lower().split())
        return self.befores.get(key)

    def _last_in_clause(self, pattern: rules.Pattern, text: str, fig: numbers.Figure,
                        s_start: int) -> regex.Match | None:
        """The last match of ``pattern`` in the figure's clause before it (at most 120
        characters back), when no other figure stands between it and the figure."""
        window_start = self._clause_start(text, max(s_start, fig.start - 120), fig.start)
        last = None
        for last in pattern.finditer(text, window_start, fig.start):
            pass
        if last is None or self._digit.search(text, last.end(), fig.start):
            return None
        return last

    def _clause_start(self, text: str, start: int, end: int) -> int:
        """Where the clause that holds ``end`` starts, at ``start`` or after."""
        clause_start = start
        for brk in self.entity_breaks:
            at = text.rfind(brk, start, end)
            if at >= 0:
                clause_start = max(clause_start, at + len(brk))
        return clause_start

    def _composite(self, text: str, fig: numbers.Figure, s_end: int):
        """A group count and the size of each group: "two brigades ..., each of 6,000",
        "five battalions of 800 troops each"."""
        m = self._group_each.match(text, fig.end, s_end)
        part = self.grammar.parse_at(text, m.end()) if m else None
        if part is not None and part.value is not None and part.start == m.end():
            part_end = part.end
            for word, _s, e in self._phrase(text, part.end, s_end)[:3]:
                if (word.lower().rstrip("."),) not in self.unit_nouns:
                    break
                part_end = _without_full_stop(text, e)
            mid = m.group("mid")
        else:
            m = self._group_of.match(text, fig.end, s_end)
            if not m:
                return None
            part = self.grammar.parse_at(text, m.end())
            if part is None or part.value is None or part.start != m.end():
                return None
            each = self._each_after.match(text, part.end, s_end)
            if not each:
                return None
            part_end = each.end()
            mid = text[part.end:each.start()]
        mid_unit = None
        for token in self._letters.findall(mid):
            if (token.lower(),) in self.unit_nouns:
                unit, rule_id, people = self.unit_nouns[(token.lower(),)]
                mid_unit = _Unit(unit, rule_id, people)
        return part, part_end, mid_unit

    # -- entities ------------------------------------------------------------------
    def _entity_for(self, text: str, fig: numbers.Figure, phrase_end: int, s_start: int,
                    previous: list[dict[str, Any]]) -> tuple[str | None, str | None, int]:
        if not self.entity_triggers.any_in(self._words):
            if previous and previous[-1]["entity"]:
                return previous[-1]["entity"], "ENT-CARRIED", phrase_end
            return None, None, phrase_end
        m = self._entity.search(text, fig.end, phrase_end)
        if m:
            entity, rule_id = self._joined_entity(text, m, phrase_end + 40)
            return entity, rule_id, phrase_end
        owner = self._owner.match(text, phrase_end, min(len(text), phrase_end + 60))
        if owner:
            entity, rule_id = self.entity_of[owner.group("alias")]
            return entity, rule_id, owner.end()
        # "8,120 people (died) in Turkey": where they were, before the next figure.
        limit = min(len(text), phrase_end + 60)
        digit = self._digit.search(text, phrase_end, limit)
        limit = digit.start() if digit else limit
        for brk in self.entity_breaks:
            at = text.find(brk, phrase_end, limit)
            if at >= 0:
                limit = at  # "62,914 injured, and in northern Syria ...": another clause
        place = self._location.search(text, phrase_end, limit)
        if place:
            entity, rule_id = self._joined_entity(text, place, limit, group="alias")
            return entity, rule_id, phrase_end
        clause_start = self._clause_start(text, s_start, fig.start)
        skip = self._speaker_spans
        for m in self._entity.finditer(text, clause_start, fig.start):
            if any(s <= m.start() < e for s, e in skip):
                continue
            if previous and previous[-1]["entity"] and m.start() < previous[-1]["start"]:
                break
            entity, rule_id = self._joined_entity(text, m, fig.start)
            return entity, rule_id, phrase_end
        if previous and previous[-1]["entity"]:
            return previous[-1]["entity"], "ENT-CARRIED", phrase_end
        return None, None, phrase_end

    def _speaker_entity(self, speaker_name: str, row_rules: list[str]) -> str | None:
        """"Libyan officials counted 3,000 deaths": an unnamed group that counts people
        at large counts its own. Only the fallback: the figure's own clause names no one."""
        found = self._entity.search(speaker_name)
        if found is None:
            return None
        entity, rule_id = self._joined_entity(speaker_name, found, len(speaker_name))
        row_rules.extend((rule_id, "ENT-SPEAKER"))
        return entity

    def _joined_entity(self, text: str, m: regex.Match, limit: int,
                       group: int | str = 0) -> tuple[str, str]:
        """The entity a match names, or two joined ("Türkiye and Syria", "Russian and
        North Korean troops") as one entity "turkish and syrian"."""
        entity, rule_id = self.entity_of[m.group(group)]
        joined = self._entity_pair.match(text, m.end(group), limit)
        if joined:
            other, _rule = self.entity_of[joined.group("alias")]
            if other != entity:
                return f"{entity} and {other}", rule_id
        return entity, rule_id

    # -- per sentence: cues and date -------------------------------------------------
    def _sentence_context(self, text: str, begin: int, span: tuple[int, int],
                          state: ArticleState, article: Article):
        # The sentences right before may hold the speakers that pronouns refer to.
        context = []
        s, e = span
        words = rules.words_of(text, s, e)
        # Only a sentence whose speaker is a pronoun or "the report" needs the one before.
        needs_context = self.anaphora_triggers.any_in(words) and self.speech_triggers.any_in(words) \
            and bool(self._anaphoric_speaker.search(text, s, e))
        for _ in range(_CONTEXT_SENTENCES if needs_context else 0):
            before = self._sentence_before(text, begin, s)
            if before is None or before[0] in state.seen_sentences:
                break
            context.append(before)
            s = before[0]
        if self.document_triggers.any_in(words):
            self._read_cited_document(text, begin, span, state)
        for s, e in list(reversed(context)) + [span]:
            state.seen_sentences.add(s)
            self._words = words if s == span[0] else rules.words_of(text, s, e)
            cues = self._cues(text, s, e, state)
        state.heading_date = None
        for line_start, date in state.headings:
            if line_start < s:
                state.heading_date = date
        as_of, date_rule = self._sentence_date(text, s, e, state, article)
        return cues, as_of, date_rule, self._words

    def _read_cited_document(self, text: str, begin: int, span: tuple[int, int], state: ArticleState) -> None:
        """"The report cites figures from the World Bank. The figures put losses at ...":
        a sentence opening with a document takes its owner from the sentence before, which
        names it with the same noun. That sentence may hold no figure, and so may never
        have been read, and no speech verb need cite the document there."""
        opening = self._document.match(text, *span)
        if opening is None:
            return
        before = self._sentence_before(text, begin, span[0])
        if before is None:
            return
        noun = _document_noun(opening.group())
        owner = None
        for m in self._owned_document.finditer(text, *before):
            if _document_noun(m.group("document")) == noun:
                phrase_end = self._phrase_stop(text, m.end(), before[1])
                owner = self._speaker(text[m.end():phrase_end], state, "ATTR-DOCUMENT", m.end()) or owner
        if owner is not None:
            state.documents[noun] = owner

    def _sentence_date(self, text: str, s: int, e: int, state: ArticleState, article: Article):
        # Without a publication date or an earlier date, only a date naming its year can
        # date the sentence: most sentences of an undated article are not read.
        if article.published is not None or state.last_as_of is not None \
                or self.dates.year_possible(text, s, e):
            # The sentence is read at its first figure, before the day numbers after it
            # ("300 people died, officials said on October 17."): those are looked at too.
            day_numbers = state.day_numbers + self.dates.day_candidates(text, s, e, self._words)
            for mention in self.dates.find(text, s, e, sentence_start=s, words=self._words,
                                           day_numbers=day_numbers):
                if mention.deadline:
                    continue
                date = self.dates.resolve(mention, article.published, state.last_as_of)
                if date is not None:
                    state.last_as_of = date
                    return date, mention.rule_id
        if state.heading_date is not None:
            return state.heading_date, "DATE-HEADING"
        return None, None

    # -- attribution ---------------------------------------------------------------
    def _cues(self, text: str, s: int, e: int, state: ArticleState) -> list[Cue]:
        cues: list[Cue] = []
        last_end = s
        events = []
        words = self._words
        verbs = self.speech_triggers.present(words)
        if verbs:
            # The speech verbs are single lower-case words: find those the sentence has.
            events.extend(("verb", hit) for hit in rules.find_words(text, s, e, verbs))
        if self.according_triggers.any_in(words):
            for m in self._according.finditer(text, s, e):
                events.append(("according", m))
        if self.cited_as_triggers.any_in(words):
            for m in self._cited_as.finditer(text, s, e):
                events.append(("cited_as", m))
        if len(events) > 1:
            events.sort(key=lambda ev: ev[1].start())
        citing = self._citing.finditer(text, s, e) if self.citing_triggers.any_in(words) else ()
        for m in citing:
            # "citing data from the Kiel Institute": a later "The data ..." is theirs.
            phrase_words = text[m.end():self._phrase_stop(text, m.end(), e)].split()
            if phrase_words and phrase_words[0].lower() in self.source_documents:
                self._speaker(" ".join(phrase_words), state, "ATTR-CITING", m.end())
        document = self._document.match(text, s, e) \
            if self.document_triggers.any_in(words) else None
        if document:
            owner = state.documents.get(_document_noun(document.group()))
            if owner is not None:
                cues.append(Cue(document.start(), document.end(),
                                Speaker(owner.name, owner.kind, "ATTR-DOCUMENT"), "ATTR-DOCUMENT"))
        for kind, m in events:
            if kind == "according":
                phrase_end = self._phrase_stop(text, m.end(), e)
                speaker = self._speaker(text[m.end():phrase_end], state, "ATTR-ACCORDING-TO", m.end())
                cue = Cue(m.start(), phrase_end, speaker, "ATTR-ACCORDING-TO")
                self._attach_citing(text, cue, phrase_end, e, state)
                cues.append(cue)
                last_end = max(last_end, phrase_end)
                continue
            if kind == "cited_as":
                speaker = self._speaker(m.group("speaker"), state, "ATTR-CITED-AS-SAYING", m.start("speaker"))
                cues.append(Cue(m.start(), m.end(), speaker, "ATTR-CITED-AS-SAYING"))
                last_end = max(last_end, m.end())
                continue
            if any(c.start <= m.start() < c.end for c in cues):
                continue
            before_text = text[max(s, m.start() - 3):m.start()]
            marker = self._last_word(text, max(s, m.start() - 20), m.start())
            if marker:
                # "the reports", "media reports" are nouns; "The Associated Press reported" is not.
                if marker.lower() in self.noun_markers and (
                        marker[:1].islower() or marker.lower() in self.determiners):
                    continue
            next_word = text[m.end():m.end() + 12].split()[:1]
            next_word = next_word[0].lower() if next_word else ""
            if before_text.rstrip().endswith((",", "\u201d", '"')) and next_word not in self.relative_pronouns \
                    and next_word not in self.pronouns:
                # Inverted: ", said Kyrylo Budanov, head of ...", ", said the health ministry."
                phrase_end = self._phrase_stop(text, m.end(), e)
                phrase = text[m.end():phrase_end]
                phrase_words = phrase.lower().split()
                named = phrase.strip()[:1].isupper() and next_word not in self.determiners
                # ", said the health ministry.", ", said the International Committee of the
                # Red Cross.": a determiner, then a speaker noun last or a capitalised name.
                body = next_word in self.determiners and len(phrase_words) >= 2 \
                    and (len(phrase_words) <= 5 and phrase_words[-1].strip(".,") in self.speaker_nouns
                         or len(phrase_words) <= 10 and phrase.split()[1][:1].isupper()) \
                    and self._speaker_tail.match(text, phrase_end, e) is not None
                if phrase.strip() and (named or body):
                    speaker = self._speaker(phrase, state, "ATTR-TRAILING", m.end())
                    cue = Cue(m.start(), phrase_end, speaker, "ATTR-TRAILING")
                    self._attach_citing(text, cue, phrase_end, e, state)
                    cues.append(cue)
                    last_end = max(last_end, phrase_end)
                    continue
            speaker, chunk_start, cited = self._speaker_before(text, max(s, last_end), m.start(), state, s)
            if speaker is None and cited is None:
                continue
            cue = Cue(chunk_start, m.end(), speaker, "ATTR-SAID", cited=cited)
            self._attach_citing(text, cue, m.end(), e, state)
            cues.append(cue)
            last_end = m.end()
        return cues

    def _attach_citing(self, text: str, cue: Cue, pos: int, e: int, state: ArticleState) -> None:
        if not self.citing_triggers.any_in(self._words):
            return
        m = self._citing.search(text, pos, min(e, pos + 40))
        if m and self._citing_gap.fullmatch(text, pos, m.start()):
            phrase_end = self._phrase_stop(text, m.end(), e)
            cited = self._speaker(text[m.end():phrase_end], state, "ATTR-CITING", m.end())
            if cited is not None:
                cue.cited = cited
                cue.citing_end = phrase_end

    def _speaker_before(self, text: str, floor: int, verb_start: int, state: ArticleState, s: int):
        """The speaker phrase right before a speech verb, cut at commas and clause words."""
        chunk_end = verb_start
        before_verb = text[max(floor, verb_start - 40):verb_start].split()
        if before_verb and before_verb[-1].lower() in self.verb_prefix_last_words:
            prefix = self._verb_prefix.search(text, max(floor, verb_start - 40), verb_start)
            if prefix:
                chunk_end = prefix.start()
        date = self._trailing_date_before(text, max(floor, chunk_end - 40), chunk_end)
        if date:
            chunk_end = date.start()
        chunk = text[floor:chunk_end]
        # (``in`` first: most chunks hold no quotation mark, and rfind's arguments cost more)
        cut = max([chunk.rfind(mark) if mark in chunk else -1 for mark in ("\u201c", "\u201d", '"')]
                  + [chunk.rfind(brk) + len(brk) - 1 for brk in self.speaker_breaks if brk in chunk])
        rel = None
        clause_cut = cut
        last_relative = None
        for pronoun in self.relative_pronouns:
            word = f" {pronoun} "
            if word not in chunk:
                continue
            at = chunk.rfind(word)
            if at > cut:
                rest = chunk[at + len(word):].strip()
                if not rest or rest.lower() in self.pronouns:
                    rel = at
                cut = max(cut, at + len(word) - 1)
                if last_relative is None or at > last_relative[0]:
                    last_relative = (at, rest)
        if rel is not None and not chunk[cut + 1:].strip():
            # "a US military official, who cited ...": the relative clause's antecedent.
            head = chunk[:rel].rstrip(" ,")
            head = self._antecedent.split(head)[-1]
            head_start = floor + chunk.find(head) if head else floor
            speaker = self._speaker(head, state, "ATTR-RELATIVE", head_start)
            return speaker, head_start, None
        if last_relative and self._describes_subject(last_relative[1]) \
                and chunk[clause_cut + 1:last_relative[0]].strip(" ,"):
            # "Officials who spoke on condition of anonymity said": the clause describes the
            # speaker, who stands before it.
            chunk_end = floor + last_relative[0]
            chunk = chunk[:last_relative[0]]
            cut = clause_cut
        if cut >= 0:
            chunk = chunk[cut + 1:]
        offset = chunk_end - len(chunk)
        pieces = [p for p in chunk.split(",")]
        # Apposition: "the head of ..., Kyrylo Budanov," or "Kyrylo Budanov, head of ...,"
        cited = None
        kept = []
        may_cite = self.citing_triggers.any_in(self._words)
        for p in pieces:
            m = self._citing.match(p.strip()) if may_cite else None
            if m:
                cited = self._speaker(p.strip()[m.end():], state, "ATTR-CITING", offset)
            else:
                kept.append(p)
        kept = [p for p in kept if p.strip()]
        if not kept:
            return None, verb_start, cited
        candidate = kept[-1]
        if len(kept) >= 2 and self._is_title_phrase(candidate) and self._looks_like_name(kept[-2]):
            candidate = kept[-2]
        start = offset + chunk.rfind(candidate)
        speaker = self._speaker(candidate, state, "ATTR-SAID", start)
        return speaker, start, cited

    def _trailing_date_before(self, text: str, start: int, end: int) -> regex.Match | None:
        """The date that ``text[start:end]`` ends with ("on Tuesday" of "Rutte on Tuesday"),
        if any: the search, when the sentence's words allow one."""
        if not self.trailing_date_triggers.any_in(self._words):
            return None
        # The date's words must stand in the stretch searched too (most sentences of news
        # name a day somewhere); reading them costs less than the search. A test checks it.
        if not self.trailing_date_triggers.any_in(rules.words_of(text, start, end)):
            return None
        return self._trailing_date.search(text, start, end)

    def _describes_subject(self, clause: str) -> bool:
        """A relative clause before a speech verb whose own subject is the antecedent.

        "who spoke on condition of anonymity": yes, a verb follows the pronoun. "which the
        ministry said", "that officials said", "that Ukraine's army reported": no, the
        clause has a speaker of its own.
        """
        clause = clause.rstrip(" ,")
        words = clause.lower().split()
        if not words or "," in clause or not clause[:1].islower():
            return False
        if words[0] in self.determiners or words[0] in self.pronouns or words[0] in self.noun_markers:
            return False
        return not any(_bare_word(w) in self.speaker_nouns for w in words)

    def _is_title_phrase(self, phrase: str) -> bool:
        """"head of Ukraine's Military Intelligence": a role, not a name."""
        words = phrase.split()
        if not words or not (words[0][:1].islower() or words[0].lower() in self.determiners):
            return False
        if words[0].lower() in self.indefinite_articles:
            return True  # "Maria Lopez, a nurse at the clinic, said": whatever the noun
        return any(w.lower() in self.speaker_nouns or w in self.title_words for w in words[:3])

    def _looks_like_name(self, phrase: str) -> bool:
        """A name the role after the next comma may stand in apposition to.

        "Maj. Gen. Pat Ryder, the Pentagon's press secretary, said": yes. A capitalised run or
        a known name right after a place preposition (and a house number) is a place: "hurt
        in Kryvyi Rih, the regional governor said", "at 27 Main Street, the fire department
        said" keep the role as the speaker.
        """
        words = phrase.split()
        name = self._person_name(phrase)
        if name:
            before = words[:len(words) - len(name.split())]
        else:
            spaced = " ".join(words)
            aliases = self._speaker_alias.find_all(spaced)
            if not aliases:
                return False
            before = spaced[:aliases[0].start()].split()
        if before and any(ch.isdigit() for ch in before[-1]):
            before = before[:-1]  # "at 27 Main Street"
        return not (before and before[-1].lower() in self.place_prepositions)

    def _person_name(self, phrase: str) -> str | None:
        """A trailing run of two to four capitalized words that are not titles or places."""
        words = phrase.strip().rstrip(".").split()
        run: list[str] = []
        for word in reversed(words):
            clean = word.strip("()\"\u201c\u201d,")
            if not clean or not clean[0].isupper() or clean in self.title_words or clean.isupper() \
                    or clean in self.not_name_words \
                    or clean in self.entity_of or clean.rstrip("\u2019's") in self.entity_of \
                    or clean.lower() in self.speaker_nouns or clean.endswith(("\u2019s", "'s")):
                break
            run.append(clean)
            if len(run) == 4:
                break
        while run and run[-1] in self.not_name_words:
            run.pop()
        if 2 <= len(run) <= 4:
            return " ".join(reversed(run))
        return None

    def _organisation(self, phrase: str, name: str) -> str | None:
        """The body's whole name when ``name``, the trailing run of ``_person_name``, ends one.

        "the International Committee of the Red Cross": the run is "Red Cross"; walking back
        across link words (of, for, on, the) and capitalised words, the leftmost part between
        links that holds an organisation word ("International Committee") starts the name.
        "Anna Smith of the Red Cross" and "Maria Lopez of the World Bank" have none before
        the run, so None. The word right before the run must be a link: in "Ministry of
        Foreign Affairs Spokeswoman Maria Zakharova" the run is a person's name.
        """
        words = phrase.rstrip(".").split()
        start = len(words) - len(name.split())
        begin = None
        has_word = False
        i = start
        while i > 0:
            word = words[i - 1].strip("()\"\u201c\u201d,")
            if word.lower() in self.organisation_links:
                if has_word:
                    begin = i
                has_word = False
            elif i == start or not word[:1].isupper() or word in self.not_name_words \
                    or word.endswith(("\u2019s", "'s")):
                break
            else:
                has_word = has_word or word in self.organisation_words
            i -= 1
        if has_word:
            begin = i
        if begin is None:
            return None
        return " ".join(w.strip("()\"\u201c\u201d,") for w in words[begin:])

    def _speaker(self, phrase: str, state: ArticleState, rule_id: str, at: int) -> Speaker | None:
        phrase = " ".join(phrase.split()).strip(" ,.\u2014-")
        if not phrase or len(phrase) > 120:
            return None
        if phrase[-1:].isalpha() and phrase[-2:-1] == ".":
            # "..., the U.N. said" / "said the U.N.": the dot of the last initial is the name's.
            last = phrase.split()[-1] + "."
            if _is_initial(last):
                phrase += "."
        low = phrase.lower()
        if low in self.pronouns:
            words = low.split()
            the_body = len(words) == 2 and words[0] in self.determiners
            # "A report by Human Rights Watch ... The report said": the document's owner,
            # rather than the last outlet "the report" would otherwise stand for.
            owner = state.documents.get(words[1]) if the_body and state.documents else None
            if owner is not None:
                return Speaker(owner.name, owner.kind, "ATTR-DOCUMENT")
            kind = self.pronouns[low]
            found = state.last_by_kind.get(kind)
            if found is None and kind == "agency":
                found = state.last_by_kind.get("outlet")
            if found is not None:
                return Speaker(found.name, found.kind, "ATTR-PRONOUN")
            if the_body:
                # "the ministry said" with no ministry before: the body, unnamed.
                return Speaker(words[1], kind, "ATTR-GENERIC-BODY")
            return None
        if low in self.non_agent:
            return None  # "We have registered ...": no one the reader can name
        words = low.split()
        if words and words[0] in self.determiners and len(words) == 2 and words[1] in self.source_documents:
            owner = state.documents.get(words[1])
            if owner:
                return Speaker(owner.name, owner.kind, "ATTR-DOCUMENT")
        # "data from the Kiel Institute": remember whose data it is.
        doc = self._document_of.match(phrase) if words and (
            words[0] in self.document_first_words
            or (len(words) > 1 and words[1] in self.document_first_words)) else None
        if doc:
            owner = self._speaker(doc.group("owner"), state, rule_id, at)
            if owner:
                state.documents[_document_noun(doc.group("document"))] = owner
            return owner
        known = [(m, found) for m in self._speaker_alias.find_all(phrase)
                 if (found := self._known_speaker(m.group())) is not None]
        person = next(((m, k) for m, k in known if k[1] == "person"), None)
        name = self._person_name(phrase)
        if name and any(name in m.group() for m, _k in known):
            name = None  # "the Washington Post" is a known outlet, not a person
        body = self._organisation(phrase, name) if name and not person else None
        speaker = None
        if person:
            canonical, kind, sid = person[1]
            speaker = Speaker(canonical, kind, sid)
        elif body:
            speaker = Speaker(body, "agency", "ATTR-ORGANISATION")
        elif name:
            resolved = self._known_name(name, state)
            speaker = resolved or Speaker(name, "person", rule_id)
        elif known and not (low.split()[-1] in self.person_nouns
                            and not known[-1][0].group().lower().endswith(low.split()[-1])):
            canonical, kind, sid = known[-1][1]
            speaker = Speaker(canonical, kind, sid)
        elif known:
            cleaned = self._leading_determiner.sub("", phrase)
            speaker = Speaker(cleaned, "person", rule_id)
        else:
            acronym = self._acronym.search(phrase)
            single = phrase.strip()
            if acronym:
                speaker = Speaker(acronym.group("abbr"), "agency", "ATTR-ACRONYM")
            elif len(single.split()) == 1 and single[:1].isupper():
                resolved = self._known_name(single, state)
                speaker = resolved or Speaker(single, "agency" if single.isupper() else "other", rule_id)
            else:
                tokens = [_bare_word(t) for t in low.split()]
                if all(t in self.non_agent or t in self.determiners for t in tokens):
                    return None
                if not any(t in self.speaker_nouns for t in tokens) and not any(
                        w[:1].isupper() for w in phrase.split()[1:]):
                    return None
                # A word that is both ("sources") cannot speak alone but can head a
                # speaker ("government sources").
                if tokens[-1] in self.non_agent and tokens[-1] not in self.speaker_nouns:
                    return None
                cleaned = self._leading_determiner.sub("", phrase)
                speaker = Speaker(cleaned, "other", rule_id)
        if speaker is None:
            return None
        state.last_by_kind[speaker.kind] = speaker
        if speaker.kind == "person" and speaker not in state.names:
            state.names.append(speaker)
            if name and name != speaker.name:
                state.names.append(Speaker(name, "alias:" + speaker.name, speaker.rule_id))
        return speaker

    def _known_speaker(self, alias: str) -> tuple[str, str, str] | None:
        """The canonical name, kind and rule of an alias the alias finder found, as written
        or, for a name matched in any capitalisation, case-folded."""
        found = self.speaker_of.get(alias)
        return found if found is not None else self.speaker_of_any_case.get(rules.fold_case(alias))

    def _known_name(self, name: str, state: ArticleState) -> Speaker | None:
        """A surname or given name that stands for a full name met earlier in the article."""
        parts = name.split()
        for earlier in reversed(state.names):
            earlier_parts = earlier.name.split()
            if earlier.name == name or (len(parts) == 1 and parts[0] in earlier_parts):
                if earlier.kind.startswith("alias:"):
                    target = earlier.kind.split(":", 1)[1]
                    return Speaker(target, "person", "ATTR-PRONOUN")
                return Speaker(earlier.name, earlier.kind, "ATTR-PRONOUN")
        return None

    def _attribute(self, text: str, fig: numbers.Figure, cues: list[Cue],
                   quotes: list[tuple[int, int]], state: ArticleState,
                   ):
        for q_start, q_end in quotes:
            if q_start <= fig.core_start < q_end:
                if len(text[q_start:q_end].split()) >= _MIN_QUOTE_WORDS:
                    speaker = self._quote_speaker(text, q_start, q_end, state)
                    if speaker:
                        return speaker, ["ATTR-QUOTE"]
                break
        before = [c for c in cues if c.end <= fig.start and c.speaker is not None or (c.end <= fig.start and c.cited)]
        if before:
            cue = before[-1]
            if cue.cited is not None and (cue.citing_end <= cue.end or cue.rule_id == "ATTR-ACCORDING-TO"):
                return cue.cited, [cue.rule_id, "ATTR-CITING"]
            if cue.speaker is not None:
                return cue.speaker, _rules_of(cue)
        after = [c for c in cues if c.start >= fig.end and (c.speaker is not None or c.cited is not None)]
        if after:
            cue = after[0]
            if cue.cited is not None:
                return cue.cited, [cue.rule_id, "ATTR-CITING"]
            rule_ids = _rules_of(cue)
            if cue.rule_id == "ATTR-SAID":
                rule_ids[0:1] = ["ATTR-TRAILING"]
            return cue.speaker, rule_ids
        return None, []

    def _phrase_stop(self, text: str, pos: int, end: int) -> int:
        """End of a speaker phrase after ``according to``/``said``: punctuation or a clause word."""
        m = self._speaker_phrase_end.search(text, pos, end)
        stop = m.start() if m else end
        if m and m.group() == "." and self._abbreviation_at(text, m.start(), pos):
            # "said Dr. Leila Haddad": the full stop of a title goes on with the phrase.
            return self._phrase_stop(text, m.end(), end)
        # Keep "Name (ABBR)" whole.
        if m and m.group() == "(":
            close = text.find(")", m.start(), end)
            if close > 0:
                if text[close + 1:close + 2] in ",.;":
                    return close + 1
                return self._phrase_stop(text, close + 1, end)
        return stop

    def _quote_speaker(self, text: str, q_start: int, q_end: int, state: ArticleState) -> Speaker | None:
        tail_end = min(len(text), q_end + 120)
        tail = text[q_end + 1:tail_end]
        stop = self._tail_stop.search(tail)
        while stop and stop.group() == "." and self._abbreviation_at(tail, stop.start(), 0):
            stop = self._tail_stop.search(tail, stop.end())  # "said Dr. Leila Haddad."
        tail = tail[:stop.start()] if stop else tail
        m = self._speech_verb.search(tail)
        if m:
            after_verb = tail[m.end():]
            before_verb = tail[:m.start()].strip(" ,")
            if before_verb:
                speaker = self._speaker(before_verb, state, "ATTR-QUOTE", q_end)
                if speaker:
                    return speaker
            if after_verb.strip():
                phrase = after_verb.split(",")[0]
                speaker = self._speaker(phrase, state, "ATTR-QUOTE", q_end)
                if speaker:
                    return speaker
        head = text[max(0, q_start - 121):q_start - 1]
        cut = max(head.rfind("."), head.rfind("\n"), head.rfind("\u201d"))
        head = head[cut + 1:]
        m = None
        for m in self._speech_verb.finditer(head):
            pass
        if m and not head[m.end():].strip(" :,\u2014-"):
            return self._speaker(head[:m.start()].split(",")[-1], state, "ATTR-QUOTE", q_start)
        return None


def _rules_of(cue: Cue) -> list[str]:
    ids = [cue.rule_id]
    if cue.speaker is not None and cue.speaker.rule_id not in ids:
        ids.append(cue.speaker.rule_id)
    return ids


def _bounds(qualifier: str, fig: numbers.Figure) -> tuple[float | None, float | None, float | None]:
    v = fig.value
    if qualifier == "several":
        return None, fig.low, fig.high
    if qualifier == "range":
        return v, fig.low, fig.high
    if qualifier == "exact":
        return v, v, v
    if qualifier == "about":
        return v, None, None
    if qualifier in ("nearly", "up_to", "at_most", "under"):
        return v, None, v
    if qualifier in ("over", "at_least"):
        return v, v, None
    return v, fig.low, fig.high


def _document_noun(phrase: str) -> str:
    """The noun that keys a document in ``ArticleState.documents``: its phrase's last word,
    lowered ("data" of "The data")."""
    return phrase.split()[-1].lower()


def _bare_word(token: str) -> str:
    """A word without the brackets and quotation marks around it or a possessive after it:
    "(ministry's)" gives "ministry", "authorities" stays whole.

    >>> [_bare_word(t) for t in ["(ministry's)", "authorities", "agency\u2019s", "'sources'"]]
    ['ministry', 'authorities', 'agency', 'sources']
    """
    token = token.strip("()\"\u201c\u201d")
    if token.endswith(("'s", "\u2019s")):
        token = token[:-2]
    return token.strip("'\u2019\u2018")


_ASCII_DIGITS = frozenset("0123456789")


def _exclusion_takes(digits_only: bool, words_only: bool, words: bool) -> bool:
    """Whether an exclusion rule (``digits_only``, ``words_only``) applies to a number
    written in words (``words``) or in digits."""
    return not (digits_only and words) and not (words_only and not words)


def _short_lines_with_digits(text: str, begin: int, candidates: list[int]) -> list[tuple[int, str]]:
    """The lines from ``begin`` on that may be headings, no longer than _MAX_HEADING and
    with a digit, each with where it starts; ``candidates`` are where figures may start
    from ``begin`` on (``Grammar.candidates``)."""
    found = []
    if text.isascii():
        # Every ASCII digit belongs to a run of digits, and each run's start is a candidate:
        # only the lines of those are read, rather than splitting the article into lines.
        next_line = begin
        for pos in candidates:
            if pos < next_line or text[pos] not in _ASCII_DIGITS:
                continue
            line_start = text.rfind("\n", begin, pos) + 1 or begin
            line_end = text.find("\n", pos)
            if line_end < 0:
                line_end = len(text)
            next_line = line_end + 1
            if line_end - line_start <= _MAX_HEADING:
                found.append((line_start, text[line_start:line_end]))
        return found
    line_start = begin
    for line in text[begin:].split("\n"):
        if len(line) <= _MAX_HEADING and _has_digit(line):
            found.append((line_start, line))
        line_start += len(line) + 1
    return found


def _has_digit(line: str) -> bool:
    if line.isascii():
        # One set operation in C, rather than a Python step per character or per digit.
        return not _ASCII_DIGITS.isdisjoint(line)
    return any(ch.isdigit() for ch in line)


def _claim_id(doc: str, start: int, end: int, surface: str) -> str:
    digest = hashlib.sha1(f"{doc}\0{start}\0{end}\0{surface}".encode("utf-8")).hexdigest()
    return digest[:16]


def _is_initial(word: str) -> bool:
    """``J.`` or ``U.S.``-like tokens made of single letters and dots."""
    stripped = word.strip("\"'(\u201c")
    size = len(stripped)
    # Letters at the even places, dots at the odd ones: two slices, not a loop of characters.
    return size >= 2 and size % 2 == 0 and stripped[::2].isalpha() and stripped[1::2] == "." * (size // 2)


def _is_regex_space(ch: str) -> bool:
    # (beyond ASCII, str.isspace() and \s agree on every character: a test checks them all)
    return ch.isspace() and ch not in rules.ASCII_SPACES_NOT_REGEX


def _past_closers(text: str, end: int, endpos: int) -> tuple[int, bool]:
    """Where the closing quotes and brackets from ``end`` stop (before ``endpos``), and
    whether a space follows them there."""
    while end < endpos and text[end] in _SENTENCE_CLOSERS:
        end += 1
    return end, end < endpos and _is_regex_space(text[end])


def _next_visible(text: str, pos: int) -> str:
    return text[pos:pos + 8].lstrip()[:1]


def _without_full_stop(text: str, end: int) -> int:
    return end - 1 if text[end - 1:end] == "." else end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_ENGINES: dict[str, Engine] = {}


def engine(rule_dirs: Iterable[str] = ()) -> Engine:
    """The engine for the package's rules plus those in ``rule_dirs``, built once per
    version of the rules."""
    book = rules.load(tuple(rule_dirs))
    if book.version not in _ENGINES:
        _ENGINES[book.version] = Engine(book)
    return _ENGINES[book.version]


def extract_articles(articles: Iterable[Article], *, rule_dirs: Iterable[str] = (),
                     on_error=None) -> pd.DataFrame:
    """The claims table of the given articles, conformed to :data:`schema.CLAIMS`.

    ``rule_dirs`` are folders of a user's own rule files, read after the package's. An
    article whose text makes a rule time out is left out; ``on_error(article, exc)`` is
    called for it when given, so the caller can report it.
    """
    eng = engine(rule_dirs)
    rows: list[dict[str, Any]] = []
    with limits.hold():
        for article in articles:
            try:
                rows.extend(eng.extract(article))
            except ArticleTimeout as exc:
                if on_error is None:
                    raise
                on_error(article, exc)
    pattern_store.store.save()  # (the patterns this run compiled, for the next run)
    return schema.from_records(rows, schema.CLAIMS)


def explain(text: str, published: str | None = None, rule_dirs: Iterable[str] = ()) -> set[str]:
    """Ids of the rules that fire on ``text``: those that made rows and those that excluded numbers."""
    article = Article(doc="example", text=text,
                      published=dt.date.fromisoformat(published) if published else None)
    debug: list = []
    rows = engine(rule_dirs).extract(article, debug)
    fired = set()
    for row in rows:
        fired.update(row["rule_ids"].split())
    fired.update(rule_id for rule_id, _ in debug)
    return fired
