"""Discrepancies: which pairs of figures a user sees flagged, of what kind, and how far apart.

Most tests build small claims tables by hand (the columns the discrepancy step reads), so
that they are about the comparison and not the extractor; a few run sentences written here.
"""
from __future__ import annotations

import doctest
import importlib
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import figcheck
from figcheck import schema
from figcheck.config import Config, Tolerances

discrepancies = importlib.import_module("figcheck.discrepancies")

QUANTITY = "north korean soldiers"


def claim(claim_id, value=None, qualifier="exact", *, low=None, high=None, who="Budanov",
          as_of="2024-10-20", doc=None, source="Outlet", sentence=None, hedged=False,
          quantity=QUANTITY, text=None):
    if qualifier == "exact" and value is not None:
        low = high = value
    if qualifier in ("over", "at_least") and value is not None:
        low = value
    if qualifier in ("nearly", "up_to", "at_most", "under") and value is not None:
        high = value
    return {"claim_id": claim_id, "doc": doc or f"{claim_id}.txt", "source": source,
            "published": as_of, "text": text or f"{qualifier} {value}", "start": 0, "end": 1,
            "sentence": sentence or f"{who} spoke of {value} ({claim_id}).", "value": value,
            "low": low, "high": high, "qualifier": qualifier, "unit": "soldiers",
            "entity": "north korean", "attributed_to": who, "as_of": as_of, "hedged": hedged,
            "quantity": quantity}


def table(*rows) -> pd.DataFrame:
    return schema.conform(pd.DataFrame(list(rows)))


def pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["claim_a"], frame["claim_b"]))


def test_module_doctests():
    assert doctest.testmod(discrepancies).failed == 0


def test_ten_thousand_against_eleven_thousand():
    found = figcheck.discrepancies(table(claim("b", 11000, who="Budanov", as_of="2024-10-22"),
                                         claim("a", 10000, who="Zelensky", as_of="2024-10-17")))
    assert len(found) == 1
    row = found.iloc[0]
    assert (row.claim_a, row.claim_b) == ("a", "b"), "the earlier claim comes first"
    assert row.kind == "between_sources"
    assert row.gap == pytest.approx(0.1)
    assert (row.value_a, row.value_b, row.attributed_to_a, row.attributed_to_b) == (10000, 11000, "Zelensky", "Budanov")
    assert list(found.columns[:len(schema.DISCREPANCIES)]) == schema.names(schema.DISCREPANCIES)


@pytest.mark.parametrize("a, b", [
    (claim("a", 11000, "about"), claim("b", 11000)),
    (claim("a", 11000, "nearly"), claim("b", 10500)),
    (claim("a", 10000, "up_to"), claim("b", 2600)),
    (claim("a", 600000, "over"), claim("b", 700000)),
    (claim("a", None, "several", low=2000, high=9999), claim("b", 5000)),
    (claim("a", 11500, "range", low=11000, high=12000), claim("b", 12000)),
    (claim("a", 10000), claim("b", 10040)),
])
def test_figures_whose_intervals_overlap_agree(a, b):
    assert figcheck.discrepancies(table(a, b)).empty


@pytest.mark.parametrize("a, b", [
    (claim("a", 11000, "nearly"), claim("b", 10000)),
    (claim("a", 10000, "up_to"), claim("b", 12000)),
    (claim("a", 600000, "over"), claim("b", 500000, "about")),
    (claim("a", None, "several", low=2000, high=9999), claim("b", 11000)),
    (claim("a", 10000), claim("b", 10200)),
])
def test_figures_whose_intervals_do_not_overlap_are_flagged(a, b):
    assert len(figcheck.discrepancies(table(a, b))) == 1


def test_kinds_between_sources_over_time_within_source():
    found = figcheck.discrepancies(table(
        claim("z1", 10000, who="Zelensky", as_of="2024-10-17"),
        claim("z2", 12000, who="Zelensky", as_of="2024-10-22"),
        claim("z3", 14000, who="Zelensky", as_of="2024-10-22"),
        claim("b1", 11000, who="Budanov", as_of="2024-10-21"),
    ))
    kind = {(r.claim_a, r.claim_b): r.kind for r in found.itertuples()}
    assert kind[("z1", "z2")] == "over_time"
    assert kind[("z2", "z3")] == "within_source"
    assert kind[("z1", "b1")] == "between_sources"


def test_unattributed_figures_of_two_outlets_are_two_sources():
    found = figcheck.discrepancies(table(claim("a", 100, who=None, source="Daily A"),
                                         claim("b", 200, who=None, source="Daily B")))
    assert found["kind"].tolist() == ["between_sources"]


def test_hedged_claims_are_kept_and_marked():
    found = figcheck.discrepancies(table(claim("a", 10000), claim("b", 12000, hedged=True, who="Zelensky")))
    assert found["hedged"].tolist() == [True]


def test_only_claims_of_one_quantity_are_compared():
    assert figcheck.discrepancies(table(claim("a", 10000), claim("b", 50000, quantity="other"))).empty


def test_tolerances_come_from_the_settings():
    rows = table(claim("a", 10000), claim("b", 11000, "about"))
    assert len(figcheck.discrepancies(rows)) == 1
    wide = Config(tolerances=Tolerances(about=0.1))
    assert figcheck.discrepancies(rows, config=wide).empty


def test_copies_of_one_claim_corroborate_and_are_counted_once():
    """Wire copy: the same sentence, figure and claimant in 50 articles is one claim seen 50 times."""
    sentence = "The agency said 10,000 North Korean soldiers were in Russia."
    copies = [claim(f"copy{i:02d}", 10000, who="NIS", sentence=sentence, as_of=f"2024-10-{10 + i % 5}",
                    doc=f"outlet{i:02d}.txt") for i in range(50)]
    other = claim("budanov", 11000, who="Budanov", as_of="2024-10-25")
    found = figcheck.discrepancies(table(*copies, other))
    assert len(found) == 1, "copies neither conflict with each other nor multiply the pairs"
    row = found.iloc[0]
    assert row.copies_a == 50 and row.copies_b == 1
    assert row.claim_a == "copy00", "the earliest copy stands for the others"
    summary = figcheck.quantities(table(*copies, other))
    assert summary.loc[0, "claims"] == 51 and summary.loc[0, "distinct"] == 2 and summary.loc[0, "sources"] == 2


def test_copies_differ_only_in_white_space_and_the_case_of_their_claimant():
    """A copy re-flowed by another outlet's system (line breaks, double spaces) or naming the
    claimant in capitals is still the same claim; its earliest copy is the earliest date,
    then the first document."""
    copies = [claim("late", 10000, who="NIS", sentence="NIS said 10,000  soldiers.", text="10,000  soldiers",
                    as_of="2024-10-12", doc="a.txt"),
              claim("second", 10000, who="nis", sentence="NIS said\n10,000 soldiers.", text="10,000\nsoldiers",
                    as_of="2024-10-10", doc="c.txt"),
              claim("first", 10000, who="NIS", sentence=" NIS said 10,000 soldiers. ", text="10,000 soldiers",
                    as_of="2024-10-10", doc="b.txt")]
    other = claim("budanov", 12000, who="Budanov", as_of="2024-10-25")
    found = figcheck.discrepancies(table(*copies, other))
    assert list(zip(found.claim_a, found.copies_a, found.claim_b, found.copies_b)) == [("first", 3, "budanov", 1)]


def test_the_same_figure_in_different_words_is_two_claims():
    found = figcheck.discrepancies(table(
        claim("a1", 10000, who="Zelensky", sentence="Zelensky said ten thousand."),
        claim("a2", 10000, who="Zelensky", sentence="Zelensky spoke of 10,000 troops."),
        claim("b", 11000, who="Budanov")))
    assert pairs(found) == {("a1", "b"), ("a2", "b")}


def test_output_does_not_depend_on_row_order():
    rows = [claim("a", 10000, as_of="2024-10-01"), claim("b", 11000, "about", as_of="2024-10-02", who="X"),
            claim("c", 2600, as_of="2024-10-03", who="Y"), claim("d", 600000, "over", who="Z")]
    first = figcheck.discrepancies(table(*rows))
    for order in itertools.permutations(rows):
        assert figcheck.discrepancies(table(*order)).equals(first)


intervals = st.tuples(st.sampled_from(["exact", "about", "nearly", "up_to", "over", "range"]),
                      st.integers(1, 60), st.integers(0, 20))


@settings(max_examples=60, deadline=None)
@given(st.lists(intervals, min_size=0, max_size=40))
def test_the_sweep_flags_exactly_the_pairs_that_do_not_overlap(specs):
    """The sorted sweep finds what comparing every pair would, without building every pair."""
    rows = []
    for k, (qualifier, v, width) in enumerate(specs):
        value = v * 100.0
        if qualifier == "range":
            rows.append(claim(f"c{k:02d}", value + width * 50, "range", low=value, high=value + width * 100,
                              who=f"w{k}", as_of=f"2024-10-{1 + k % 28:02d}"))
        else:
            rows.append(claim(f"c{k:02d}", value, qualifier, who=f"w{k}", as_of=f"2024-10-{1 + k % 28:02d}"))
    tol = Tolerances()
    expected = set()
    for a, b in itertools.combinations(rows, 2):
        (alo, ahi) = discrepancies.interval(a["qualifier"], a["value"], a["low"], a["high"], tol)
        (blo, bhi) = discrepancies.interval(b["qualifier"], b["value"], b["low"], b["high"], tol)
        if ahi < blo or bhi < alo:
            expected.add(frozenset((a["claim_id"], b["claim_id"])))
    found = figcheck.discrepancies(table(*rows)) if rows else schema.empty(schema.DISCREPANCIES)
    assert {frozenset(p) for p in pairs(found)} == expected
    for row in found.itertuples():
        assert row.gap > 0


def test_pairs_are_generated_lazily():
    """The sweep is a generator: a caller can stop early, and nothing is kept for pairs that agree."""
    group = discrepancies.statements(table(*[claim(f"c{k}", 100.0 * (k + 1), who=f"w{k}") for k in range(500)]))
    lazy = discrepancies.disagreeing_pairs(group[QUANTITY])
    first = list(itertools.islice(lazy, 3))
    assert len(first) == 3 and all(a.order <= b.order for a, b in first)


def test_summary_low_best_high_sources_trend():
    rows = table(
        claim("a", 10000, who="Zelensky", as_of="2024-10-17"),
        claim("b", 11000, "about", who="Budanov", as_of="2024-10-21"),
        claim("c", 12000, who="Zelensky", as_of="2024-10-22"),
        claim("d", None, "several", low=2000, high=9999, who="Washington Post", as_of="2024-10-16"),
    )
    row = figcheck.quantities(rows).iloc[0]
    assert (row.low, row.high) == (2000, 12000)
    # each source's latest central figure: Zelensky 12,000, Budanov 11,000, the Post 5,999.5
    assert row.best == 11000
    assert row.sources == 3 and row.claims == 4
    assert str(row["first"])[:10] == "2024-10-16" and str(row["last"])[:10] == "2024-10-22"
    assert row.trend == "rising"
    assert row.discrepancies == len(figcheck.discrepancies(rows))


def test_summary_puts_contested_quantities_first():
    rows = table(claim("a", 5, quantity="calm"), claim("b", 5, quantity="calm", who="X"),
                 claim("c", 10000, quantity="contested"), claim("d", 20000, quantity="contested", who="X"))
    assert figcheck.quantities(rows)["quantity"].tolist() == ["contested", "calm"]


def test_from_sentences_to_a_flagged_pair():
    claims = pd.concat([
        figcheck.extract_text("Zelensky said 10,000 North Korean soldiers are in Russia.", "2024-10-17", doc="a.txt"),
        figcheck.extract_text("Budanov said about 12,000 North Korean soldiers are in Russia.", "2024-10-21", doc="b.txt"),
    ], ignore_index=True)
    found = claims.figcheck.discrepancies()
    assert len(found) == 1 and found.loc[0, "gap"] == pytest.approx(0.2)
    assert not math.isnan(found.loc[0, "value_b"])


summary_rows = st.lists(st.tuples(
    st.sampled_from(["q1", "q2", "q3"]),                      # quantity
    st.sampled_from(["exact", "about", "over", "range", "several"]),
    st.sampled_from([None, 0.0, -0.0, 5.0, 7.5, 1e9]),         # value
    st.sampled_from([None, 1.0, 6.0]),                          # low
    st.sampled_from([None, 9.0, math.inf]),                     # high
    st.sampled_from(["", "soldiers", "people", "Soldiers", "é"]),  # unit
    st.sampled_from(["", "north korean", "russian", "b", "a"]),  # entity
    st.sampled_from([None, "2024-10-17", "2023-01-02", "2024-10-17 13:00"]),  # as_of
    st.booleans()), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(summary_rows)
def test_the_summary_counts_each_quantity_as_its_rows_say(specs):
    """Claims, low, high, first and last date, most common unit and entity (the first in
    Python's order on a tie, none when all are empty) and hedged rows, as counted row by
    row over the rows of each quantity's statements."""
    rows = [dict(claim(f"c{k:02d}", value, qualifier, low=low, high=high, who=f"w{k % 3}",
                       as_of=as_of, quantity=quantity, hedged=hedged),
                 unit=unit, entity=entity, low=low, high=high)
            for k, (quantity, qualifier, value, low, high, unit, entity, as_of, hedged)
            in enumerate(specs)]
    frame = table(*rows)
    summary = figcheck.quantities(frame).set_index("quantity")
    per_quantity = discrepancies.statements(frame)
    assert set(summary.index) == set(per_quantity)

    def most_common(values):
        counts = {}
        for v in values:
            if v:
                counts[v] = counts.get(v, 0) + 1
        return min(counts, key=lambda v: (-counts[v], v)) if counts else None

    def number(value):
        return None if value is None or pd.isna(value) else float(value)

    for quantity, group in per_quantity.items():
        members = [i for s in group for i in s.rows]
        got = summary.loc[quantity]
        lows = [number(frame["low"][i]) if number(frame["low"][i]) is not None
                else number(frame["value"][i]) for i in members]
        highs = [number(frame["high"][i]) if number(frame["high"][i]) is not None
                 else number(frame["value"][i]) for i in members]
        days = [frame["as_of"][i].date() for i in members if not pd.isna(frame["as_of"][i])]
        assert got.claims == len(members)
        assert number(got.low) == min((v for v in lows if v is not None), default=None)
        assert number(got.high) == max((v for v in highs if v is not None), default=None)
        assert (None if pd.isna(got["first"]) else got["first"].date()) == min(days, default=None)
        assert (None if pd.isna(got["last"]) else got["last"].date()) == max(days, default=None)
        assert (None if pd.isna(got.unit) else got.unit) == most_common(
            frame["unit"].fillna("")[i] for i in members)
        assert (None if pd.isna(got.entity) else got.entity) == most_common(
            frame["entity"].fillna("")[i] for i in members)
        assert got.hedged == sum(bool(frame["hedged"][i]) for i in members)


# -- statements and pairs against a row-by-row reading --------------------------------------

def _text(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def _figure(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _statements_row_by_row(frame: pd.DataFrame, tol: Tolerances) -> dict:
    """The statements as the module's docstrings describe them, read one row at a time."""
    frame = {name: frame[name].tolist() for name in frame.columns}
    def voice(i):
        if _text(frame["attributed_to"][i]):
            return _text(frame["attributed_to"][i]).casefold()
        if _text(frame["source"][i]):
            return "outlet: " + _text(frame["source"][i]).casefold()
        return "outlet: " + _text(frame["doc"][i]).casefold()

    def day(i):
        as_of = frame["as_of"][i]
        return frame["published"][i] if pd.isna(as_of) else as_of

    def order(i):
        date = (1,) if pd.isna(day(i)) else (0, str(day(i))[:10])
        return (date, _text(frame["doc"][i]), int(frame["start"][i]), _text(frame["claim_id"][i]))

    claims: dict[tuple, list[int]] = {}
    for i in range(len(frame["quantity"])):
        if not _text(frame["quantity"][i]):
            continue
        key = (_text(frame["quantity"][i]), " ".join(_text(frame["sentence"][i]).split()),
               " ".join(_text(frame["text"][i]).split()), _text(frame["qualifier"][i]),
               *(_figure(frame[name][i]) for name in ("value", "low", "high")), voice(i))
        claims.setdefault(key, []).append(i)
    out: dict = {}
    for rows in claims.values():
        rows = sorted(rows, key=order)
        i = rows[0]
        v, lo, hi = (_figure(frame[name][i]) for name in ("value", "low", "high"))
        span = discrepancies.interval(_text(frame["qualifier"][i]), v, lo, hi, tol)
        if span is None:
            continue
        stated_low = lo if lo is not None else (v if v is not None else span[0])
        stated_high = hi if hi is not None else (v if v is not None else span[1])
        central = v if v is not None else (
            (lo + hi) / 2 if lo is not None and hi is not None else stated_low)
        texts = {name: _text(frame[name][i]) for name in
                 ("claim_id", "doc", "text", "attributed_to", "source")}
        out.setdefault(_text(frame["quantity"][i]), []).append(discrepancies._Statement(
            rows=rows, lo=span[0], hi=span[1], stated_low=stated_low, stated_high=stated_high,
            central=central, claimant=voice(i), as_of=None if pd.isna(day(i)) else day(i).date(),
            order=order(i),
            first={"claim_id": texts["claim_id"], "doc": texts["doc"], "text": texts["text"],
                   "value": v, "low": lo, "attributed_to": texts["attributed_to"],
                   "source": texts["source"], "hedged": bool(frame["hedged"][i])}))
    for group in out.values():
        group.sort(key=lambda s: s.order)
    return out


def _pairs_compared_one_by_one(per_quantity: dict) -> list[tuple]:
    """Every pair of statements of a quantity whose intervals do not overlap, found by
    comparing each statement with every other (and itself, which a reversed interval
    contradicts), in the order the discrepancies table lists them."""
    out = []
    for quantity in sorted(per_quantity):
        group = per_quantity[quantity]
        found = []
        for s in group:
            for other in sorted(group, key=lambda s: (s.lo, s.order)):
                if other.lo > s.hi:
                    found.append((s, other) if s.order <= other.order else (other, s))
        found.sort(key=lambda pair: (pair[0].order, pair[1].order))
        out += [(quantity, a.first["claim_id"], b.first["claim_id"], a.first["doc"], b.first["doc"],
                 len(a.rows), len(b.rows),
                 "between_sources" if a.claimant != b.claimant else
                 "over_time" if a.order[0] != b.order[0] else "within_source")
                for a, b in found]
    return out


said = st.tuples(  # what a claim says: copies repeat it, their white space aside
    st.sampled_from(["q1", "q2", "", None]),                            # quantity
    st.sampled_from(["S said 5.", "T said 5."]),                        # sentence
    st.sampled_from(["5 soldiers", "five soldiers"]),                    # text
    st.sampled_from(["exact", "about", "over", "up_to", "several", "odd", None]),
    st.sampled_from([None, 0.0, -0.0, 5.0, -5.0, 5.1, math.inf]),       # value
    st.sampled_from([None, -1.0, 1.0, 6.0]),                             # low
    st.sampled_from([None, 5.0, 9.0, math.inf]))                         # high
copies = st.lists(st.tuples(
    st.none() | st.integers(0, 13),  # a copy with an earlier one's claim, date, doc and offset
    st.integers(0, 3),                                                   # which claim
    st.sampled_from([" ", "  ", "\n"]),                                 # its white space
    st.sampled_from(["a", "b", "B", "\u00e9", ""]),                     # claim_id
    st.sampled_from(["d1.txt", "d2.txt", "D1.txt", "\u00e9.txt", ""]), # doc
    st.sampled_from([None, "", "Reuters", "REUTERS", "d1.txt"]),        # source
    st.sampled_from([None, "", "Budanov", "budanov", "outlet: reuters", "outlet: d1.txt"]),
    st.sampled_from([None, "2024-10-17", "2024-10-17 13:00", "2023-01-02"]),  # as_of
    st.sampled_from([None, "2024-10-17", "2022-05-05"]),                # published
    st.sampled_from([0, 3, 3, 7]),                                       # start
    st.booleans()), max_size=14)
tables = st.tuples(st.lists(said, min_size=4, max_size=4), copies)


def _frame_of(claims, rows) -> pd.DataFrame:
    out, drawn = [], []
    for (twin, *row) in rows:
        if twin is not None and twin < len(drawn):
            row[3:9] = drawn[twin][3:9]  # all but the white space, the id and hedging
            row[0] = drawn[twin][0]
        drawn.append(row)
        (which, space, claim_id, doc, source, who, as_of, published, start, hedged) = row
        quantity, sentence, text, qualifier, value, low, high = claims[which]
        out.append(dict(
            claim(claim_id, value, qualifier, who=who, as_of=as_of, doc=doc, source=source,
                  sentence=sentence.replace(" ", space), hedged=hedged, quantity=quantity,
                  text=text.replace(" ", space)),
            low=low, high=high, qualifier=qualifier, doc=doc, published=published, start=start))
    frame = table(*out)
    frame["drawn_without_key"] = pd.Series([row["quantity"] is None for row in out], dtype=bool)
    return frame


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(tables)
def test_statements_and_pairs_are_those_a_row_by_row_reading_finds(claims_and_copies):
    """Copies grouped, the earliest one chosen (ties in date, document and offset broken by
    id, then by table order) and pairs found as reading the rows one at a time finds them,
    whether the text columns are kept in Arrow (in one piece or several) or in Python objects."""
    frame = discrepancies.ensure(_frame_of(*claims_and_copies))  # (as find does: keys where none is given)
    # Claims drawn without a quantity key have none in the statements' table, which is not
    # given keys: they are not compared.
    keyless = frame.copy()
    keyless.loc[keyless.pop("drawn_without_key"), "quantity"] = None
    frame = frame.drop(columns="drawn_without_key")
    expected = _statements_row_by_row(keyless, Tolerances())
    texts = [c for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)]
    half = len(frame) // 2
    in_chunks = pd.concat([keyless.iloc[:half], keyless.iloc[half:]], ignore_index=True)
    for version in (keyless, in_chunks, keyless.astype({c: object for c in texts})):
        got = discrepancies.statements(version)
        assert repr(got) == repr(expected)
    expected = _statements_row_by_row(frame, Tolerances())
    assert repr(discrepancies.statements(frame)) == repr(expected)
    found = figcheck.discrepancies(frame)
    assert [tuple("" if pd.isna(v) else v for v in row) for row in zip(
        found.quantity, found.claim_a, found.claim_b, found.doc_a, found.doc_b, found.copies_a,
        found.copies_b, found.kind)] == _pairs_compared_one_by_one(expected)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.integers(1, 8).flatmap(lambda n: st.lists(
    st.lists(st.sampled_from([-1, 0, 1, 7, 2**20, 2**40 - 1]), min_size=n, max_size=n),
    min_size=1, max_size=6)))
def test_rows_packed_into_one_key_are_equal_when_all_their_codes_are(columns):
    """Rows share a claim exactly when they share every column's code, also when the codes
    packed together would not fit in one 64-bit integer."""
    import numpy as np

    key = discrepancies._packed([np.array(codes, dtype=np.int64) for codes in columns]).tolist()
    rows = list(zip(*columns))
    assert [[key[i] == key[j] for j in range(len(rows))] for i in range(len(rows))] == \
        [[rows[i] == rows[j] for j in range(len(rows))] for i in range(len(rows))]


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(st.integers(1, 8).flatmap(lambda n: st.lists(
    st.lists(st.sampled_from([-2**63, -5, 0, 3, 2**31, 2**62, 2**63 - 1]), min_size=n, max_size=n),
    min_size=1, max_size=5)))
def test_sort_keys_merged_into_fewer_sort_and_tie_as_they_did(keys):
    """Copies are ordered by date, document and offset merged into fewer keys where their
    ranges allow: the same order and the same ties, whatever the ranges."""
    import numpy as np

    keys = tuple(np.array(key, dtype=np.int64) for key in keys)
    merged = discrepancies._merged(keys)
    assert np.lexsort(merged).tolist() == np.lexsort(keys).tolist()
    rows = list(zip(*(key.tolist() for key in keys)))
    merged_rows = list(zip(*(key.tolist() for key in merged)))
    assert [[merged_rows[i] == merged_rows[j] for j in range(len(rows))] for i in range(len(rows))] == \
        [[rows[i] == rows[j] for j in range(len(rows))] for i in range(len(rows))]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.sampled_from(["", "a", "B", "é", "a b", "ab"])),
                         max_size=6), min_size=1, max_size=4),
       st.randoms(use_true_random=False))
def test_a_text_column_in_arrow_chunks_reads_as_the_same_values_in_python(chunks, rng):
    """The grouping reads a column that pandas keeps in Arrow, in chunks and with nulls, as
    the plain Python list of its values, missing ones as "" (where its copy in one piece
    is made only to encode it)."""
    pa = pytest.importorskip("pyarrow")
    from figcheck.discrepancies import _Texts

    values = [v for chunk in chunks for v in chunk]
    if not values:
        return
    in_chunks = pd.Series(pd.arrays.ArrowStringArray(
        pa.chunked_array([pa.array(chunk, pa.large_string()) for chunk in chunks],
                         type=pa.large_string())))
    arrow, python = _Texts(in_chunks), _Texts(pd.Series(values, dtype=object))
    assert arrow.arrow is not None and python.arrow is None
    plain = ["" if v is None else v for v in values]
    rows = np.array(rng.sample(range(len(values)), rng.randint(1, len(values))), dtype=np.int64)
    assert arrow.nonempty().tolist() == python.nonempty().tolist() == [v != "" for v in plain]
    assert arrow.at(rows) == python.at(rows) == [plain[i] for i in rows]
    for texts in (arrow, python):
        codes, distinct = texts.encoded()
        assert [distinct[c] for c in codes] == plain
        ranks = texts.ranks().tolist()
        assert all((ranks[i] < ranks[j]) == (plain[i] < plain[j]) for i in range(len(plain))
                   for j in range(len(plain)))
        ranks_of = texts.ranks_of(rows).tolist()
        assert all((ranks_of[a] < ranks_of[b]) == (plain[i] < plain[j])
                   for a, i in enumerate(rows) for b, j in enumerate(rows))
