"""``rules.Pattern``: every call runs under the time limit, and ``scan`` finds exactly
what ``finditer`` finds, with one call instead of one clock reading per match."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from figcheck import claims, numbers, rules

ENGINE = claims.engine()
#: The patterns the extractor scans, and two that exercise flags, look-behind and names.
SCANNED = {
    "tokens": numbers._TOKEN,
    "noun phrase words": ENGINE._np_word.pattern,
    "digit runs": ENGINE.grammar._digit_run,
    "quotation marks": ENGINE._quote_mark,
    "parts of a date": ENGINE.dates._parts,
    "whole words, case-blind": rules.compile(r"(?i)(?<![\w])(?:one|two|thousand)(?![\w])",
                                             skip=r"[^otOT]"),
    "named alternatives": rules.compile(r"(?P<num>\d+(?:,\d{3})*)|(?P<word>[a-z]+)"),
}
#: Letters, digits, separators, white space, an underscore, a combining accent (a word
#: character that starts no match), quotation marks, dashes, a fraction.
ALPHABET = "aeo tTwhnusd019,.'\u2019\u00a0\n_\u0301\"\u201c\u201d-\u2013$%\u00bd"


def _finditer(pattern: rules.Pattern, text: str, pos: int, endpos: int, limit: int | None):
    found = [(m.start(), m.end(), m.lastgroup)
             for m in pattern.compiled.finditer(text, pos, endpos)]
    return found if limit is None else found[:limit]


@pytest.mark.parametrize("name", sorted(SCANNED))
@settings(max_examples=400, deadline=None, database=None, derandomize=True)
@given(text=st.text(alphabet=ALPHABET, max_size=60), data=st.data())
def test_scan_finds_what_finditer_finds(name, text, data):
    pattern = SCANNED[name]
    pos = data.draw(st.integers(0, len(text)))
    endpos = data.draw(st.integers(pos, len(text)))
    limit = data.draw(st.sampled_from([None, 1, 3, 12]))
    assert pattern.scan(text, pos, endpos, limit) == _finditer(pattern, text, pos, endpos, limit)


def test_scan_reads_a_whole_article():
    text = "Of 11,000 troops, 2,500 were hurt \u201cin 3 days\u201d.\n" * 200
    found = ENGINE.grammar._digit_run.scan(text)
    assert [text[start:end] for start, end, _ in found][:4] == ["11", "000", "2", "500"]
    assert len(found) == 5 * 200


def test_a_reverse_pattern_cannot_be_scanned():
    with pytest.raises(ValueError, match="reverse"):
        rules.compile(r"(?r)\d+").scan("12 34")


@pytest.mark.parametrize("call", [
    lambda p, s: p.match(s), lambda p, s: p.search(s), lambda p, s: p.fullmatch(s),
    lambda p, s: list(p.finditer(s)), lambda p, s: p.findall(s), lambda p, s: p.split(s),
    lambda p, s: p.sub("", s), lambda p, s: p.scan(s),
], ids=["match", "search", "fullmatch", "finditer", "findall", "split", "sub", "scan"])
def test_every_call_stops_at_the_time_limit(call):
    """The limit is handed to regex by position; a wrong position would drop it silently."""
    catastrophic = rules.compile(r"(a|aa)+$", timeout=0.05)
    with pytest.raises(TimeoutError):
        call(catastrophic, "a" * 40 + "!")
