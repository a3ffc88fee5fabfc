"""Property-based tests of the extractor over any text: it never raises, and every row it
makes keeps the claims table's invariants.

- ``article[start:end] == text`` for every row;
- ``low <= value <= high`` wherever they are set (and ``low <= high``);
- ``claim_id`` is unique within the article.

Two kinds of text: arbitrary Unicode, and text built from number-like pieces (figures with
every separator and dash, qualifiers, units, brackets, quotes, markup), which reaches far more
of the engine than random characters do.

The normal test run tries 1,000 examples of each; ``FIGCHECK_FUZZ_EXAMPLES=100000`` (as
``bench/fuzz_extract.py`` sets it) runs more. Examples are checked on the engine's rows,
the same rows ``claims.extract_articles`` turns into the table, so that a thousand of them
take a second or two; a smaller run goes through ``figcheck.extract_text`` end to end.
"""
from __future__ import annotations

import datetime as dt
import math
import os

import pytest
import regex
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import figcheck
from figcheck import claims
from figcheck.article import Article

EXAMPLES = int(os.environ.get("FIGCHECK_FUZZ_EXAMPLES", "1000"))
#: How many examples each property has run in this process (bench/fuzz_extract.py prints it).
RUNS: dict[str, int] = {}

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 1000,
                suppress_health_check=list(HealthCheck), database=None)

# Pieces a newsroom's figures are made of, and the punctuation and markup around them.
NUMBER_PIECES = [
    "0", "1", "7", "11", "000", "11,000", "1,000,000", "10,000", "12,000", "2,600", "1.5",
    ".5", "3.", "0.001", "1e6", "11\u00a0000", "11\u2009000", "11\u202f000", "11 000",
    "11.000", "11'000", "11\u2019000", "\uff11\uff11", "\u0661\u0662", "\u00bd", "2\u00bd",
    "10,000\u201312,000", "10,000-12,000", "10\u00a0000\u201412\u00a0000", "$30-$35",
    "1,1,1,1", ",,", "..", "9" * 40, "1" + ",000" * 12, "10\u00b2", "\u2460", "\u2167",
]
WORD_PIECES = [
    "about", "around", "nearly", "almost", "up to", "at least", "at most", "more than", "over",
    "under", "fewer than", "between", "and", "to", "from", "some", "an estimated", "~",
    "several", "a few", "dozen", "hundreds of", "thousand", "ten", "million", "billion",
    "percent", "%", "$", "\u20ac", "\u00a3", "USD", "soldiers", "troops", "North Korean",
    "killed", "wounded", "people", "civilians", "missiles", "each", "of", "the", "first unit",
    "another", "said", "Zelensky", "according to", "the report said", "On October 17,",
    "Friday", "2024", "2024-10-22", "in Kursk", "brigades", "could", "unconfirmed",
]
MARK_PIECES = [
    " ", " ", " ", "\u00a0", "\u2009", "\n", "\n\n", "\t", "\r\n", ".", ",", ";", ":", "-",
    "\u2013", "\u2014", "\u2212", "(", ")", "[", "]", '"', "\u201c", "\u201d", "'", "\u2019",
    "|", "`", "#", "## ", "<script>", "*", "\u2026", "\u200b", "\ufeff", "\u2028", "\x00",
]
PIECES = NUMBER_PIECES + WORD_PIECES + MARK_PIECES
SEPARATORS = [",", ".", " ", "\u00a0", "\u2009", "'", ""]
TAILS = ["", " troops", " people were killed", "%", " million", "\u2013", "-12"]


def number_text_of(data: bytes, number: int, style: int) -> str:
    """Text made of the pieces the bytes of ``data`` pick, with ``number`` written with one of
    the thousands separators and followed by a unit, a dash or nothing, among them.

    Drawn from bytes rather than from lists of pieces: Hypothesis makes (and shrinks) bytes
    several times faster, which keeps a thousand examples within a second or two.
    """
    words = [PIECES[byte % len(PIECES)] for byte in data]
    written = f"{number:,}".replace(",", SEPARATORS[style % len(SEPARATORS)])
    words.insert(data[0] % (len(words) + 1) if data else 0,
                 f" {written}{TAILS[style // len(SEPARATORS) % len(TAILS)]} ")
    return "".join(words)


number_text = st.builds(number_text_of, st.binary(max_size=50),
                        st.integers(min_value=0, max_value=10**15), st.integers(0, 48))

PUBLISHED = dt.date(2024, 10, 22)


def check_rows(text: str, rows: list[dict]) -> None:
    """The claims table's invariants on the rows extracted from ``text``."""
    ids = [row["claim_id"] for row in rows]
    assert len(ids) == len(set(ids)), f"claim_id repeated: {ids}"
    for row in rows:
        start, end = row["start"], row["end"]
        assert 0 <= start < end <= len(text), (start, end, len(text))
        assert text[start:end] == row["text"], (text[start:end], row["text"])
        value, low, high = (_number(row[k]) for k in ("value", "low", "high"))
        if value is not None and low is not None:
            assert low <= value, (low, value, row["text"])
        if value is not None and high is not None:
            assert value <= high, (value, high, row["text"])
        if low is not None and high is not None:
            assert low <= high, (low, high, row["text"])


def _number(value) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def test_a_digit_newer_than_pythons_unicode_data():
    """regex's \\d knows digits (Ol Onal, Unicode 16) that Python's float() does not: no row,
    no exception."""
    check_rows("\U0001e5f7 troops", extract_rows("\U0001e5f7 troops"))


def extract_rows(text: str) -> list[dict]:
    article = Article(doc="fuzz.txt", text=text, published=PUBLISHED)
    return claims.engine(()).extract(article)


# Any character, and text drawn mostly from digits of every script, spaces, dashes, brackets
# and letters, where a figure can start.
FIGURE_CHARACTERS = st.characters(categories=["Nd", "No", "Nl", "Zs", "Pd", "Ps", "Pe", "Po",
                                              "Sc", "Lu", "Ll"])
unicode_text = st.one_of(st.text(max_size=200), st.text(FIGURE_CHARACTERS, max_size=60))


@FUZZ
@given(unicode_text)
def test_any_unicode_text(text):
    RUNS["unicode"] = RUNS.get("unicode", 0) + 1
    check_rows(text, extract_rows(text))


@FUZZ
@given(number_text)
def test_text_made_of_number_like_pieces(text):
    RUNS["number-like"] = RUNS.get("number-like", 0) + 1
    check_rows(text, extract_rows(text))


@settings(max_examples=max(50, EXAMPLES // 20), deadline=None, derandomize=EXAMPLES <= 1000,
          suppress_health_check=list(HealthCheck), database=None)
@given(st.one_of(number_text, st.text(max_size=120)))
def test_through_extract_text(text):
    """The public function, with quantity keys: the table keeps the same invariants."""
    RUNS["extract_text"] = RUNS.get("extract_text", 0) + 1
    frame = figcheck.extract_text(text, published=PUBLISHED)
    rows = [{k: (None if v is None or v != v else v) for k, v in row.items()}
            for row in frame.astype(object).to_dict("records")]
    for row in rows:
        row["text"] = row["text"] or ""  # the table stores "" as missing
    check_rows(text, rows)
    assert frame["quantity"].notna().all()
