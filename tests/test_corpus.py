"""The sentence corpus in ``tests/corpus/*.jsonl`` is the extractor's test suite.

Each line is one case::

    {"text": "...", "published": "YYYY-MM-DD", "expect": [{"value": 11000, "qualifier": "nearly"}]}

``expect`` lists one dict per claim the text holds, with only the fields the case is about
(column names of ``figcheck.schema.CLAIMS``); ``"expect": []`` says the text holds no claim
(the negative corpus). ``null`` expects an empty cell, numbers compare with a relative
tolerance, dates are ``YYYY-MM-DD`` strings. Every case carries its publication date: no
test reads the clock.

A case passes when every expected row is matched by a distinct produced row that has all of
its listed fields, and the extractor produced no other row (false positives fail).
A case the extractor gets wrong today carries ``"xfail": "why"`` and runs as
``xfail(strict=True)``, so that a fix shows up as XPASS and the mark is removed.
``"note"`` is free text for the reader.

Invariants (``text[start:end] == row.text``, ``low <= value <= high``, unique claim ids)
are checked on every case, xfail or not, in a test of their own.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest

import figcheck
from figcheck import schema

CORPUS = Path(__file__).resolve().parent / "corpus"
COLUMNS = {c.name: c for c in schema.CLAIMS}
CASE_KEYS = {"text", "published", "expect", "xfail", "note"}
REL_TOL = 1e-6


def _load() -> list[tuple[str, dict]]:
    cases = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            cases.append((f"{path.name}:{lineno}", json.loads(line)))
    return cases


CASES = _load()


def _params(with_xfail: bool) -> list:
    params = []
    for case_id, case in CASES:
        marks = ()
        if with_xfail and case.get("xfail"):
            marks = (pytest.mark.xfail(reason=case["xfail"], strict=True),)
        params.append(pytest.param(case, id=case_id, marks=marks))
    return params


@lru_cache(maxsize=None)
def _extract(text: str, published: str) -> tuple[dict, ...]:
    frame = figcheck.extract_text(text, published=published)
    return tuple(frame.to_dict("records"))


def _rows(case: dict) -> tuple[dict, ...]:
    return _extract(case["text"], case["published"])


def _empty(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value == ""


def _field_matches(column: str, expected, produced) -> bool:
    if expected is None:
        return _empty(produced)
    if _empty(produced):
        return False
    dtype = COLUMNS[column].dtype
    if dtype == schema.DATE:
        return pd.Timestamp(produced).date().isoformat() == expected
    if dtype == "bool":
        return bool(produced) == expected
    if dtype in ("float64", "int64"):
        return math.isclose(float(produced), float(expected), rel_tol=REL_TOL, abs_tol=1e-9)
    return str(produced) == expected


def _row_matches(expected: dict, produced: dict) -> bool:
    return all(_field_matches(k, v, produced.get(k)) for k, v in expected.items())


def _assignment(expected: list[dict], produced: tuple[dict, ...]) -> dict[int, int]:
    """A maximum matching of expected rows to distinct produced rows (augmenting paths)."""
    fits = [[j for j, row in enumerate(produced) if _row_matches(exp, row)] for exp in expected]
    owner: dict[int, int] = {}  # produced index -> expected index

    def place(i: int, seen: set[int]) -> bool:
        for j in fits[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or place(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(expected)):
        place(i, set())
    return {i: j for j, i in owner.items()}


def _show(row: dict, fields: set[str]) -> str:
    shown = {}
    for key in ["text", *sorted(fields - {"text"})]:
        value = row.get(key)
        if _empty(value):
            value = None
        elif COLUMNS.get(key) is not None and COLUMNS[key].dtype == schema.DATE:
            value = pd.Timestamp(value).date().isoformat()
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        shown[key] = value
    return json.dumps(shown, ensure_ascii=False, default=str)


@pytest.mark.parametrize("case", _params(with_xfail=True))
def test_corpus_case(case):
    produced = _rows(case)
    expected = case["expect"]
    matched = _assignment(expected, produced)
    fields = {"value", "qualifier", "unit"}.union(*(e.keys() for e in expected))
    problems = []
    for i, exp in enumerate(expected):
        if i not in matched:
            problems.append(f"  missing:  {json.dumps(exp, ensure_ascii=False)}")
    used = set(matched.values())
    for j, row in enumerate(produced):
        if j not in used:
            problems.append(f"  extra:    {_show(row, fields)}")
    if problems:
        listing = "\n".join(f"  produced: {_show(row, fields)}" for row in produced) or "  produced: nothing"
        pytest.fail(f"{case['text']!r} (published {case['published']})\n"
                    + "\n".join(problems) + "\n" + listing, pytrace=False)


@pytest.mark.parametrize("case", _params(with_xfail=False))
def test_corpus_invariants(case):
    text = case["text"]
    rows = _rows(case)
    ids = [row["claim_id"] for row in rows]
    assert len(ids) == len(set(ids)), f"duplicate claim_id in {ids}"
    for row in rows:
        assert text[row["start"]:row["end"]] == row["text"], row
        value, low, high = row["value"], row["low"], row["high"]
        if not _empty(value) and not _empty(low):
            assert low <= value, row
        if not _empty(value) and not _empty(high):
            assert value <= high, row
        if not _empty(low) and not _empty(high):
            assert low <= high, row


def test_corpus_is_well_formed():
    """Typos in the corpus (an unknown column, a bad date) would make cases pass vacuously."""
    assert CASES, f"no corpus under {CORPUS}"
    problems = []
    seen = {}
    for case_id, case in CASES:
        unknown = set(case) - CASE_KEYS
        if unknown or not {"text", "published", "expect"} <= set(case):
            problems.append(f"{case_id}: keys {sorted(case)}")
            continue
        try:
            dt.date.fromisoformat(case["published"])
        except (TypeError, ValueError):
            problems.append(f"{case_id}: published {case['published']!r}")
        if not isinstance(case["expect"], list) or not all(isinstance(e, dict) and e for e in case["expect"]):
            problems.append(f"{case_id}: expect must be a list of non-empty objects")
            continue
        for exp in case["expect"]:
            for key, value in exp.items():
                if key not in COLUMNS:
                    problems.append(f"{case_id}: unknown column {key!r}")
                elif value is not None and COLUMNS[key].dtype == schema.DATE:
                    try:
                        dt.date.fromisoformat(value)
                    except (TypeError, ValueError):
                        problems.append(f"{case_id}: {key} {value!r} is not YYYY-MM-DD")
        if "xfail" in case and not (isinstance(case["xfail"], str) and case["xfail"].strip()):
            problems.append(f"{case_id}: xfail needs a reason")
        key = (case["text"], case["published"])
        if key in seen:
            problems.append(f"{case_id}: same text and date as {seen[key]}")
        seen[key] = case_id
    assert not problems, "\n".join(problems)
