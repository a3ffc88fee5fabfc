"""Figures as written in news text -> numbers with bounds.

This module owns ``rules/numbers.toml``. It finds where figures may start (digits and
number words) and parses the figure at such a place: ``11,000``, ``ten thousand``,
``27-hundred``, ``half a million``, ``$2bn``, ``58%``, ``$30-$35 billion``,
``between 2 and 4.8 million``, ``several thousand``. What the figure counts, its
qualifier and whether it is a figure at all are decided by ``claims.py``.

>>> parse("ten thousand").value
10000.0
>>> parse("27-hundred").value
2700.0
>>> parse("half a million").value
500000.0
>>> parse("$30-$35 billion").low, parse("$30-$35 billion").high
(30000000000.0, 35000000000.0)
>>> parse("between 2 and 4.8 million").low
2000000.0
>>> m = parse("several thousand"); (m.value, m.low, m.high)
(None, 2000.0, 9999.0)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import regex

from figcheck import rules

# Thousands are grouped with commas, non-breaking or thin spaces, apostrophes (Swiss style,
# 11’000) or the Arabic thousands sign; a vulgar fraction may follow the digits (2½).
_NUMBER_TOKEN = r"\d+(?:[,\u00a0\u202f\u2009\u2019'\u066c]\d{3}(?!\d))*(?:[.\u066b]\d+)?[\u00bc-\u00be\u2150-\u215e]?"
_WORD_TOKEN = r"[^\W\d_]+"
_SIGN_TOKEN = r"[^\s\w]"
_TOKEN = rules.compile(
    rf"(?P<num>{_NUMBER_TOKEN})|(?P<word>{_WORD_TOKEN})|(?P<sym>{_SIGN_TOKEN})",
    skip=r"[\s_]",
)
#: How many tokens a figure's neighbourhood is read as.
_MAX_TOKENS = 12
#: The tokens of _TOKEN at a place, the first _MAX_TOKENS of them by one match, the kind of
#: each told by the number of its group. Every character but a skipped one starts a token,
#: so no lazy skip is tried between them, and the kinds need no map of where named groups
#: start: 3.6 M fewer instructions on 100 articles than _TOKEN.scan, which stays as the
#: plain way a test compares this with.
_TOKENS_AHEAD = rules.compile(
    rf"(?:[\s_]*+(?:({_NUMBER_TOKEN})|({_WORD_TOKEN})|({_SIGN_TOKEN}))){{0,{_MAX_TOKENS}}}")
_TOKEN_KINDS = ((1, "num"), (2, "word"), (3, "sym"))
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212")
_SEPARATORS = ",\u00a0\u202f\u2009\u2019'\u066c"
#: The separators deleted and the Arabic decimal sign made a point, by one translation (the
#: cheapest way for numbers of a few characters). A plain space groups thousands only where
#: NUM-SPACE-GROUPS says so (Grammar.number_end); once a number's end is known, it goes
#: with the other separators.
_PLAIN_DIGITS = {**{ord(sep): None for sep in _SEPARATORS + " "}, 0x066b: "."}
#: Vulgar fractions written after digits ("2\u00bd million").
_FRACTIONS = {"\u00bc": 0.25, "\u00bd": 0.5, "\u00be": 0.75, "\u2153": 1 / 3, "\u2154": 2 / 3,
              "\u215b": 0.125, "\u215c": 0.375, "\u215d": 0.625, "\u215e": 0.875}
#: How far after a candidate a figure may reach, in characters.
_WINDOW = 160
#: How far before a figure its currency mark may start ("US$", "USD ").
_CURRENCY_REACH = 4
#: What the regex module counts as white space (str.isspace also takes \x1c-\x1f).
_SPACES = frozenset(chr(c) for c in range(0x3001) if chr(c).isspace()) - frozenset("\x1c\x1d\x1e\x1f")
_MAX_DIGITS = 40


@dataclass(slots=True)
class Figure:
    """A parsed figure: ``text[start:end]`` is its surface."""

    start: int
    end: int
    value: float | None
    low: float | None
    high: float | None
    is_range: bool = False
    vague: bool = False
    currency: str | None = None
    percent: bool = False
    written_in_words: bool = False
    has_scale: bool = False
    rule_ids: list[str] = field(default_factory=list)
    #: Offsets of the first number token (after any currency sign or vague word).
    core_start: int = 0
    core_end: int = 0
    #: For a range, where its second figure ends (exclusion checks look after it).
    opener: str | None = None
    #: The value of the first number alone (``27`` of ``October 27-28``).
    core_value: float | None = None
    #: Where the second of two numbers in digits joined by a dash ends, when it is not
    #: larger than the first ("68-32", "3-1": a tally or a score, no range); else 0.
    falling_pair_end: int = 0


class _Tok:
    """One token of a figure's neighbourhood: a digit group, a word or a sign."""

    __slots__ = ("kind", "text", "start", "end", "low")

    def __init__(self, kind: str, text: str, start: int, end: int):
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end
        self.low = text.lower()


@dataclass(slots=True)
class _Atom:
    value: float
    first: int  # token index
    last: int   # token index, inclusive
    words: bool
    scale: float | None
    vague: tuple[float, float] | None = None
    #: Whether plain spaces group its digits ("11 000").
    spaced: bool = False


class Grammar:
    """The number words and signs of ``numbers.toml``, ready for parsing."""

    def __init__(self, book: rules.RuleBook):
        values = book.table("numbers", "values")
        self.small: dict[str, float] = {}
        for table in ("ones", "teens", "tens"):
            self.small.update({k.lower(): float(v) for k, v in values[table].items()})
        self.tens = {k.lower() for k in values["tens"]}
        self.ones = {k.lower() for k in values["ones"]}
        self.scale_words = {k.lower(): float(v) for k, v in values["scale_word"].items()}
        self.scale_suffixes = {k: float(v) for k, v in values["scale_suffix"].items()}
        self.vague = {tuple(k.lower().split()): (float(v[0]), float(v[1]))
                      for k, v in values["vague_word"].items()}
        self.articles = {k.lower(): float(v) for k, v in values["article"].items()}
        self.currencies = dict(values["currency"])
        self.percent_words = [tuple(w.lower().split()) for w in book.lists["percent_word"]]
        self.range_words = {k.lower(): v.lower() for k, v in values["range_word"].items()}
        self.small_word_ranges = {k.lower(): float(v) for k, v in values["small_word_range"].items()}
        self.range_openers = {w.lower() for w in book.lists["range_opener"]}
        self.candidate_words = sorted(set(self.small) | set(self.scale_words))
        # Marks are looked up by length, longest first, so that "US$" wins over "$"; a
        # mark that starts with a letter ("USD", "Rs.") may stand one space before the figure.
        self._currency_sizes = tuple(sorted({len(c) for c in self.currencies}, reverse=True))
        self._currency_word_marks = frozenset(c for c in self.currencies if c[:1].isalpha())
        self._currency_word_sizes = tuple(sorted({len(c) for c in self._currency_word_marks}, reverse=True))
        # A mark can end a window only on one of these characters: most figures have none
        # before them, and are passed without trying every mark.
        self._currency_last = frozenset(c[-1] for c in self.currencies)
        self._currency_word_last = frozenset(c[-1] for c in self.currencies if c[:1].isalpha())
        # Number words grouped under the shortest word each begins with ("six": "sixteen",
        # "sixty"), so that one substring search serves a whole family.
        self._candidate_families = tuple(
            (root, tuple(sorted((w for w in self.candidate_words if w.startswith(root)),
                                key=len, reverse=True)))
            for root in self.candidate_words
            if not any(other != root and root.startswith(other) for other in self.candidate_words))
        # The same, searched for in the article as bytes (see candidates): a letter
        # beyond ASCII stands as "?" there, and a word with one is compared as text too.
        self._byte_families = tuple(
            (root.encode("ascii", "replace"),
             tuple((word.encode("ascii", "replace"), None if word.isascii() else word)
                   for word in family))
            for root, family in self._candidate_families)
        self._any_word = rules.compile(
            r"(?i)(?<![\w])(?:" + "|".join(self.candidate_words) + r")(?![\w])")
        self._digit_run = rules.compile(r"\d+", skip=r"\D")
        # Digits, white space, then a word that is no scale, range, percent or suffix word.
        special = sorted({w.lower() for w in self.scale_words} | set(self.range_words)
                         | {words[0] for words in self.percent_words}
                         | {w.lower() for w in self.scale_suffixes}, key=len, reverse=True)
        self._special_after = frozenset(special)
        spaced = next(rule for rule in book.of("numbers") if rule.id == "NUM-SPACE-GROUPS")
        self._space_groups = rules.compile(spaced.pattern)

    # -- where figures may start -------------------------------------------------------

    def candidates(self, text: str, start: int = 0, end: int | None = None) -> list[int]:
        """Sorted offsets where a figure may begin: digit runs and number words."""
        end = len(text) if end is None else end
        # Only the stretch is read (with the characters on either side, which tell where
        # words begin and end): callers ask about a few words after a figure too.
        base = max(0, start - 1)
        window = text[base:end + 1]
        first, last = start - base, end - base
        # The stretch as bytes, one a character, lowered, any character beyond ASCII a "?":
        # C loops over bytes classify characters far faster than a pattern or str.lower.
        beyond = "" if window.isascii() else _beyond_ascii(window)
        lowered_beyond = beyond.lower()
        if len(lowered_beyond) == len(beyond) and _beyond_ascii(lowered_beyond) == lowered_beyond:
            data = window.encode("ascii", "replace").lower()
        else:
            # A character that lowers to ASCII (the Kelvin sign) or to more than one.
            lowered = window.lower()
            if len(lowered) != len(window):
                # Offsets must stay those of the original text: a slower scan.
                found = [at for at, _end, _group in self._digit_run.scan(text, start, end)]
                found.extend(m.start() for m in self._any_word.finditer(text, start, end))
                return sorted(set(found))
            data = lowered.encode("ascii", "replace")
        if beyond and self._digit_run.search(beyond):
            found = [at for at, _end, _group in self._digit_run.scan(text, start, end)]
        else:
            found = _ascii_digit_runs(data, first, last, base)
        size = len(data)
        for root, family in self._byte_families:
            at = data.find(root, first, last)
            while at >= 0:
                # A word starting right after a letter is no word; nor can one start inside
                # the root just found (its letters precede it), so the search moves past it.
                if at == 0 or not _word_char(data, window, at - 1):
                    for word, spelled in family:
                        stop = at + len(word)
                        if stop <= last and data.startswith(word, at) and (
                                stop >= size or not _word_char(data, window, stop)) and (
                                spelled is None or window[at:stop].lower() == spelled):
                            found.append(base + at)
                            break
                at = data.find(root, at + len(root), last)
        found.sort()
        return found

    # -- where a number in digits ends -----------------------------------------------

    def number_end(self, text: str, pos: int) -> int:
        """End of the number written in digits at ``pos``: ``digits_end``, and the groups
        that plain spaces join to it where NUM-SPACE-GROUPS takes them ("11 000").

        >>> g = grammar()
        >>> g.number_end("about 11 000 troops", 6), g.number_end("On October 17 200 troops", 11)
        (12, 13)
        """
        return self.space_groups_end(text, pos, digits_end(text, pos))

    def space_groups_end(self, text: str, pos: int, end: int) -> int:
        """Where the number at ``pos`` ends with the groups plain spaces join to it, given
        ``end``, where ``digits_end`` ends it; ``end`` itself where a space parts numbers."""
        # Only a run of up to three digits before a space and a digit can begin a group;
        # nearly every number fails here, before the pattern is tried.
        if end - pos > 3 or text[end:end + 1] != " " or not text[end + 1:end + 2].isdecimal():
            return end
        m = self._space_groups.match(text, pos)
        return m.end() if m is not None else end

    def _joined_groups(self, text: str, toks: list[_Tok], i: int) -> _Tok:
        """Token ``i``, a run of digits, joined in ``toks`` with the groups plain spaces
        join to it ("11", "000" -> "11 000"): tokens part at every space."""
        tok = toks[i]
        end = self.space_groups_end(text, tok.start, tok.end)
        if end == tok.end:
            return tok
        last = i + 1
        while last < len(toks) and toks[last].end < end:
            last += 1
        if last == len(toks) or toks[last].end != end:
            return tok  # the groups end inside a token: read as the tokens stand
        joined = _Tok("num", text[tok.start:end], tok.start, end)
        toks[i:last + 1] = [joined]
        return joined

    # -- parsing ------------------------------------------------------------------------

    def parse_at(self, text: str, pos: int, digits: tuple[int, float] | None = None) -> Figure | None:
        """The figure starting at ``pos`` (a candidate), or None. A caller that has read
        the number in digits at ``pos`` gives ``digits``, where it ends (``digits_end``)
        and its value, so that they are not read again."""
        if digits is not None:
            simple = self._plain_figure(text, pos, *digits)
        elif text[pos].isdecimal():
            simple = self._plain_figure(text, pos, self.number_end(text, pos))
        else:
            simple = None
        if simple is not None:
            return simple
        # A figure and its range, percent or scale words fit in a dozen tokens.
        toks = _tokens_ahead(text, pos)
        if not toks:
            return None
        first = self._atom(text, toks, 0)
        if first is None:
            return None
        figure_rules = []
        start = toks[first.first].start
        core_start = start
        # Vague words and articles sit before a scale word that was the candidate.
        vague = None
        if first.words and toks[first.first].low in self.scale_words:
            left = _left_words(text, start, 3)
            for size in (3, 2, 1):
                key = tuple(w.lower() for w, _ in left[-size:]) if len(left) >= size else None
                if key and key in self.vague:
                    vague = self.vague[key]
                    start = left[-size][1]
                    break
                if key and size == 2 and key[0] == "half" and key[1] in self.articles:
                    first.value *= 0.5
                    start = left[-2][1]
                    break
                if key and size == 1 and key[0] in self.articles:
                    first.value *= self.articles[key[0]]
                    start = left[-1][1]
                    break
        currency = None
        mark = self._currency_before(text, start)
        if mark:
            currency = self.currencies[mark[0]]
            start = mark[1]
        last_tok = first.last
        percent, last_tok = self._percent(toks, last_tok)
        value, low, high = first.value, first.value, first.value
        is_range = False
        opener = None
        falling_pair_end = 0
        if vague:
            value, low, high = None, first.value * vague[0], first.value * vague[1] - 1
            figure_rules.append("NUM-VAGUE")
        else:
            second = self._range_second(text, toks, last_tok, first, None)
            if second is not None:
                atom2, range_end, opener = second
                if atom2.scale and not first.scale and first.value * atom2.scale <= atom2.value:
                    low = first.value * atom2.scale
                else:
                    low = first.value
                high = atom2.value
                p2, p2_end = self._percent(toks, range_end)
                # "fell 4.5% to $28.3bn", "cut 10% to 2,000 jobs": a change and the level it
                # reached, two figures of different kinds, no range.
                if (percent and not p2) or (currency is None and toks[atom2.first - 1].text in self.currencies):
                    second, opener = None, None
                    low = high = first.value
            if second is not None:
                if low < high:
                    is_range = True
                    value = (low + high) / 2
                    last_tok = p2_end
                    percent = percent or p2
                    figure_rules.append("NUM-RANGE")
                    if opener:
                        start = _left_words(text, start, 1)[-1][1]
                else:
                    low = high = first.value
                    opener = None
                    joint = toks[last_tok].end
                    second_tok = toks[atom2.first]
                    if not first.words and second_tok.kind == "num" \
                            and text[joint:joint + 1] in _DASHES and second_tok.start == joint + 1:
                        falling_pair_end = second_tok.end
        figure_rules.insert(0, "NUM-WORDS" if first.words else "NUM-DIGITS")
        if first.spaced or (is_range and atom2.spaced):
            figure_rules.insert(1, "NUM-SPACE-GROUPS")
        if first.scale and not first.words:
            figure_rules.append("NUM-SCALE")
        if percent:
            figure_rules.append("NUM-PERCENT")
        if currency:
            figure_rules.append("NUM-CURRENCY")
        return Figure(start=start, end=toks[last_tok].end, value=value, low=low, high=high,
                      is_range=is_range, vague=vague is not None, currency=currency,
                      percent=percent, written_in_words=first.words,
                      has_scale=first.scale is not None, rule_ids=figure_rules,
                      core_start=core_start, core_end=toks[first.last].end, opener=opener,
                      core_value=first.value, falling_pair_end=falling_pair_end)

    def _plain_figure(self, text: str, pos: int, end: int, value: float | None = None) -> Figure | None:
        """Most figures are bare digits followed by an ordinary word ("11,000 soldiers"):
        read those without tokenizing, when nothing around them can change the figure.
        ``text[pos:end]`` is the number in digits, ``value`` its value if already read."""
        size = len(text)
        if end >= size or text[end] not in " \t":
            return None
        word_start = end
        while word_start < size and text[word_start] in " \t":
            word_start += 1
        if word_start >= size or not text[word_start].isalpha():
            return None
        word_end = word_start
        while word_end < size and (text[word_end].isalnum() or text[word_end] == "_"):
            word_end += 1
        if text[word_start:word_end].lower() in self._special_after:
            return None
        if self._currency_before(text, pos):
            return None
        if value is None:
            value = float(strip_separators(text[pos:end]))
        # The shortest number a plain space groups is five characters ("1 000").
        rule_ids = ["NUM-DIGITS", "NUM-SPACE-GROUPS"] if end - pos > 4 and " " in text[pos:end] \
            else ["NUM-DIGITS"]
        return Figure(start=pos, end=end, value=value, low=value, high=value,
                      rule_ids=rule_ids, core_start=pos, core_end=end, core_value=value)

    def _currency_before(self, text: str, pos: int) -> tuple[str, int] | None:
        """The currency mark ending at ``pos`` (within four characters) and where it starts."""
        window = text[max(0, pos - _CURRENCY_REACH):pos]
        if window[-1:] in _SPACES:
            if window[-2:-1] not in self._currency_word_last:
                return None
            for size in self._currency_word_sizes:
                mark = window[-1 - size:-1]
                if len(mark) == size and mark in self._currency_word_marks:
                    return mark, pos - size - 1
            return None
        if window[-1:] not in self._currency_last:
            return None
        for size in self._currency_sizes:
            mark = window[-size:]
            if len(mark) == size and mark in self.currencies:
                return mark, pos - size
        return None

    def _percent(self, toks: list[_Tok], last: int) -> tuple[bool, int]:
        for words in self.percent_words:
            idx = last + 1
            ok = True
            for w in words:
                if idx >= len(toks) or toks[idx].low != w or not _close(toks[idx - 1], toks[idx], 1):
                    ok = False
                    break
                idx += 1
            if ok:
                return True, idx - 1
        return False, last

    def _range_second(self, text: str, toks: list[_Tok], last: int, first: _Atom,
                      left: list[tuple[str, int]] | None):
        idx = last + 1
        if idx >= len(toks):
            return None
        sep = toks[idx]
        if sep.kind == "sym" and sep.text in _DASHES and _close(toks[last], sep, 1):
            idx += 1
        elif sep.kind == "word" and sep.low in self.range_words and _close(toks[last], sep, 1):
            needs_opener = self.range_words[sep.low]
            if needs_opener:
                left = _left_words(text, toks[first.first].start, 1)
                if not left or left[-1][0].lower() != needs_opener:
                    return None
            # Figures in words join only while small ("two or three", not "a hundred or
            # a thousand"); figures in digits at any size ("30 or 40 men").
            if first.words and sep.low in self.small_word_ranges \
                    and first.value > self.small_word_ranges[sep.low]:
                return None
            idx += 1
        else:
            return None
        left = _left_words(text, toks[first.first].start, 1)
        opener = left[-1][0].lower() if left else None
        if idx < len(toks) and toks[idx].kind == "sym" and toks[idx].text in self.currencies:
            idx += 1
        if idx >= len(toks) or not _close(toks[idx - 1], toks[idx], 2):
            return None
        atom2 = self._atom(text, toks, idx)
        if atom2 is None:
            return None
        return atom2, atom2.last, opener if opener in self.range_openers else None

    def _atom(self, text: str, toks: list[_Tok], i: int) -> _Atom | None:
        tok = toks[i]
        if tok.kind == "num":
            spaced = False
            if i + 1 < len(toks) and toks[i + 1].start == tok.end + 1 and toks[i + 1].kind == "num":
                tok = self._joined_groups(text, toks, i)
                spaced = " " in tok.text
            value = digits_value(tok.text)
            if value is None:
                return None
            last, scale = i, None
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is not None and nxt.kind == "word" and nxt.start == tok.end and nxt.text in self.scale_suffixes:
                scale = self.scale_suffixes[nxt.text]
                last = i + 1
            else:
                j = i + 1
                if j < len(toks) and toks[j].text in _DASHES and toks[j].start == tok.end:
                    j += 1
                while j < len(toks) and toks[j].low in self.scale_words and _close(toks[j - 1], toks[j], 1):
                    scale = (scale or 1.0) * self.scale_words[toks[j].low]
                    last = j
                    j += 1
            if scale:
                value *= scale
            return _Atom(value, i, last, False, scale, spaced=spaced)
        if tok.kind != "word":
            return None
        return self._word_atom(toks, i)

    def _word_atom(self, toks: list[_Tok], i: int) -> _Atom | None:
        total = 0.0
        current = 0.0
        last = None
        scale_total: float | None = None
        prev_kind = None  # "small", "tens", "scale"
        j = i
        while j < len(toks):
            tok = toks[j]
            word = tok.low
            if j > i:
                gap_ok = _close(toks[j - 1], tok, 1) or (toks[j - 1].text in _DASHES)
                if not gap_ok:
                    break
            if tok.kind == "sym" and tok.text in _DASHES and j > i and j + 1 < len(toks) \
                    and toks[j + 1].start == tok.end and (toks[j + 1].low in self.small or toks[j + 1].low in self.scale_words) \
                    and tok.start == toks[j - 1].end:
                j += 1
                continue
            if word in self.small and tok.kind == "word":
                if prev_kind == "small" or (prev_kind == "tens" and word not in self.ones):
                    break
                current += self.small[word]
                prev_kind = "tens" if word in self.tens else "small"
                last = j
            elif word in self.scale_words and tok.kind == "word":
                scale = self.scale_words[word]
                if scale == 100 or scale == 12:
                    current = (current or 1.0) * scale
                else:
                    total += (current or 1.0) * scale
                    current = 0.0
                scale_total = (scale_total or 1.0) * scale
                prev_kind = "scale"
                last = j
            elif word == "and" and last is not None and j + 1 < len(toks):
                nxt = toks[j + 1].low
                if prev_kind == "scale" and nxt in self.small:
                    j += 1
                    continue
                if nxt in self.articles and j + 2 < len(toks) and toks[j + 2].low == "half" \
                        and prev_kind in ("small", "tens"):
                    current += 0.5
                    last = j + 2
                    prev_kind = "half"
                    j += 3
                    continue
                break
            else:
                break
            j += 1
        if last is None:
            return None
        # Trailing dashes or "and" are not part of the figure.
        while toks[last].kind == "sym":
            last -= 1
        return _Atom(total + current, i, last, True, scale_total)


#: Whether an ASCII byte is a letter or digit (str.isalnum); None for "?", which may
#: stand for a character beyond ASCII (see _word_char).
_BYTE_IS_ALNUM = tuple(None if c == 63 else chr(c).isalnum() for c in range(128))
#: ASCII digits as "0", every other byte a space (single bytes are searched for fastest).
_DIGIT_MARKS = bytes(48 if chr(c).isdecimal() else 32 for c in range(128)) + b" " * 128
#: The ASCII bytes, deleted from UTF-8 to keep the other characters.
_ASCII_BYTES = bytes(range(128))


def _beyond_ascii(text: str) -> str:
    """The characters of ``text`` that are not ASCII, in order."""
    return text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES).decode(
        "utf-8", "surrogatepass")


def _word_char(data: bytes, text: str, at: int) -> bool:
    """Whether the character at ``at`` is a letter or digit once lowered, ``data`` being
    ``text`` lowered as bytes ("?" for a character beyond ASCII)."""
    alnum = _BYTE_IS_ALNUM[data[at]]
    return text[at].lower().isalnum() if alnum is None else alnum


def _ascii_digit_runs(data: bytes, first: int, last: int, base: int) -> list[int]:
    """Where runs of ASCII digits start in ``data[first:last]`` (a run cut at ``first``
    starts there), as offsets from ``base``."""
    marks = data.translate(_DIGIT_MARKS)
    found = []
    at = marks.find(b"0", first, last)
    while at >= 0:
        found.append(base + at)
        stop = marks.find(b" ", at, last)
        if stop < 0:
            break
        at = marks.find(b"0", stop, last)
    return found


def _tokens_ahead(text: str, pos: int) -> list[_Tok]:
    """The first tokens from ``pos`` on, those ``_TOKEN.scan`` finds within _WINDOW.

    >>> [(t.kind, t.text) for t in _tokens_ahead("about $2,500 troops", 6)]
    [('sym', '$'), ('num', '2,500'), ('word', 'troops')]
    """
    end = min(len(text), pos + _WINDOW)
    chunk = text[pos:end]
    if chunk.isascii() and not any(space in chunk for space in rules.ASCII_SPACES_NOT_REGEX):
        return _ascii_tokens(chunk, pos)
    m = _TOKENS_AHEAD.match(text, pos, end)
    toks = [_Tok(kind, text[start:end], start, end)
            for group, kind in _TOKEN_KINDS
            for start, end in zip(m.starts(group), m.ends(group))]
    toks.sort(key=_token_start)
    return toks


#: The token pattern's classes, read off the pattern engine itself for ASCII: reading ASCII
#: text with string methods (nearly every figure's) took 5 % off the instructions of the
#: whole extraction, the pattern's repeated captures costing some 4,000 instructions a token.
_ASCII = [chr(c) for c in range(128)]
_ASCII_SKIPPED = rules.ascii_class(r"[\s_]")
_ASCII_DIGITS = rules.ascii_class(r"\d")
_ASCII_LETTERS = rules.ascii_class(_WORD_TOKEN)
_ASCII_SEPARATORS = frozenset(c for c in _ASCII if c not in _ASCII_DIGITS
                              and regex.fullmatch(_NUMBER_TOKEN, f"1{c}000{c}000"))
_ASCII_POINTS = frozenset(c for c in _ASCII if c not in _ASCII_DIGITS
                          and regex.fullmatch(_NUMBER_TOKEN, f"1{c}5"))


def _ascii_tokens(chunk: str, offset: int) -> list[_Tok]:
    """The first _MAX_TOKENS tokens of ASCII ``chunk`` (at ``offset`` in its text), as
    _TOKENS_AHEAD reads them: most pieces between spaces are one word or one run of digits."""
    toks: list[_Tok] = []
    at = 0
    for piece in chunk.split():
        at = chunk.find(piece, at)
        if piece.isalpha():
            toks.append(_Tok("word", piece, offset + at, offset + at + len(piece)))
        elif piece.isdigit():
            toks.append(_Tok("num", piece, offset + at, offset + at + len(piece)))
        else:
            _read_ascii_piece(piece, offset + at, toks)
        if len(toks) >= _MAX_TOKENS:
            return toks[:_MAX_TOKENS]
        at += len(piece)
    return toks


def _read_ascii_piece(piece: str, offset: int, toks: list[_Tok]) -> None:
    digits, letters = _ASCII_DIGITS, _ASCII_LETTERS
    size = len(piece)
    i = 0
    while i < size:
        ch = piece[i]
        if ch in _ASCII_SKIPPED:
            i += 1
            continue
        first = i
        i += 1
        if ch in letters:
            while i < size and piece[i] in letters:
                i += 1
            kind = "word"
        elif ch in digits:
            while i < size and piece[i] in digits:
                i += 1
            # Groups of exactly three digits after a separator; then a decimal part.
            while i + 3 < size and piece[i] in _ASCII_SEPARATORS and piece[i + 1] in digits \
                    and piece[i + 2] in digits and piece[i + 3] in digits \
                    and (i + 4 >= size or piece[i + 4] not in digits):
                i += 4
            if i + 1 < size and piece[i] in _ASCII_POINTS and piece[i + 1] in digits:
                i += 2
                while i < size and piece[i] in digits:
                    i += 1
            kind = "num"
        else:
            kind = "sym"
        toks.append(_Tok(kind, piece[first:i], offset + first, offset + i))


def _token_start(tok: _Tok) -> int:
    return tok.start


def _close(a: _Tok, b: _Tok, max_gap: int) -> bool:
    """Whether ``b`` follows ``a`` after at most ``max_gap`` characters of white space."""
    return 0 <= b.start - a.end <= max_gap


def digits_end(text: str, pos: int) -> int:
    """End of the number written in digits at ``pos``: ``11,000``, ``11\u00a0000``, ``1.5``.

    >>> digits_end("about 11,000 soldiers", 6)
    12
    """
    end = pos
    # No figure is written with more digits than this; a longer run is read in pieces,
    # so that a run of digits costs no more than its length in all.
    size = min(len(text), pos + _MAX_DIGITS)
    while end < size and text[end].isdecimal():
        end += 1
    # Thousands separators: a separator followed by exactly three digits.
    while end + 3 < size + 1 and end < size and text[end] in _SEPARATORS \
            and text[end + 1:end + 4].isdecimal() and len(text[end + 1:end + 4]) == 3 \
            and not text[end + 4:end + 5].isdecimal():
        end += 4
    if end + 1 < size and text[end] == "." and text[end + 1].isdecimal():
        end += 1
        while end < size and text[end].isdecimal():
            end += 1
    return end


def strip_separators(digits: str) -> str:
    """The digits of a number without its thousands separators, plain spaces included
    (``Grammar.number_end`` says where those group a number).

    >>> strip_separators("1 250 000"), strip_separators("11\u00a0000.5")
    ('1250000', '11000.5')
    """
    return digits.translate(_PLAIN_DIGITS)


def digits_value(digits: str) -> float | None:
    """The value of a number written in digits, separators and a trailing vulgar fraction.

    >>> digits_value("11\u2019000"), digits_value("2\u00bd")
    (11000.0, 2.5)
    """
    fraction = _FRACTIONS.get(digits[-1:], 0.0)
    if fraction or digits[-1:] in "\u2150\u2151\u2152\u2155\u2156\u2157\u2158\u2159\u215a":
        digits = digits[:-1]
    plain = strip_separators(digits)
    if not plain.replace(".", "", 1).isdecimal():
        return None  # a digit newer than this Python's Unicode data (regex knows more)
    return float(plain) + fraction


_LEFT_WORD = rules.compile(r"(?r)([^\W\d_]+)[\s\p{Pd}]*")


def _left_words(text: str, pos: int, count: int) -> list[tuple[str, int]]:
    """Up to ``count`` words right before ``pos``, in text order, with their offsets."""
    words: list[tuple[str, int]] = []
    at = pos
    floor = max(0, pos - 60)
    while len(words) < count:
        m = _LEFT_WORD.match(text, floor, at)
        if not m:
            break
        words.append((m.group(1), m.start(1)))
        at = m.start()
    words.reverse()
    return words


@lru_cache(maxsize=1)
def grammar() -> Grammar:
    return Grammar(rules.load())


def parse(text: str, at: int | None = None) -> Figure | None:
    """The first figure in ``text`` (or the one starting at offset ``at``)."""
    g = grammar()
    if at is not None:
        return g.parse_at(text, at)
    for candidate in g.candidates(text):
        figure = g.parse_at(text, candidate)
        if figure is not None:
            return figure
    return None
