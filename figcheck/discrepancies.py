"""Claims of one quantity that disagree, and a summary row per quantity.

Two figures agree when their intervals overlap (claims-table.md, "Intervals"):

>>> tol = Tolerances()
>>> [round(x) for x in interval("exact", 10000.0, 10000.0, 10000.0, tol)]
[9950, 10050]
>>> [round(x) for x in interval("about", 11000.0, None, None, tol)]
[10450, 11550]
>>> interval("over", 600000.0, 600000.0, None, tol)
(600000.0, inf)
>>> interval("several", None, 2000.0, 9999.0, tol)
(2000.0, 9999.0)

**Copies.** The same claim republished (wire copy: the same sentence, figure and claimant in
several articles) is one *statement* seen several times. Statements, not rows, are compared,
so copies corroborate each other instead of multiplying the pairs: each flagged pair names the
earliest copy of either side and says how many copies each has (``copies_a``, ``copies_b``).

**Scaling.** Per quantity, the statements are sorted by the lower end of their interval; for
each statement, those that start above its upper end are found by binary search, and they are
exactly the ones it disagrees with on that side. Time is O(n log n + k) and memory O(n + k)
for n statements and k flagged pairs: nothing is built for the pairs that agree.
"""
from __future__ import annotations

import datetime as dt
import itertools
import math
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable

import numpy as np
import pandas as pd

from figcheck import schema
from figcheck.config import Config, Tolerances
from figcheck.quantities import ensure

KINDS = ("between_sources", "over_time", "within_source")


def interval(qualifier: str, value: float | None, low: float | None, high: float | None,
             tol: Tolerances) -> tuple[float, float] | None:
    """The interval a figure's wording allows, or None when it gives no number at all."""
    q = (qualifier or "exact").lower()
    if q == "exact" and value is not None:
        return value * (1 - tol.exact), value * (1 + tol.exact)
    if q == "about" and value is not None:
        return value * (1 - tol.about), value * (1 + tol.about)
    if q == "nearly" and value is not None:
        return value * (1 - tol.nearly), value
    if q in ("up_to", "at_most", "under") and (value is not None or high is not None):
        return 0.0, value if value is not None else high
    if q in ("over", "at_least") and (value is not None or low is not None):
        return (value if value is not None else low), math.inf
    if low is not None or high is not None:
        return (low if low is not None else 0.0), (high if high is not None else math.inf)
    if value is not None:  # an unknown qualifier: read as exact
        return value * (1 - tol.exact), value * (1 + tol.exact)
    return None


def gap(a: "_Statement", b: "_Statement") -> float:
    """Relative distance from the lower statement's stated top to the higher one's stated bottom.

    10,000 against 11,000 gives 0.1, whatever the qualifiers' tolerances.
    """
    lower, upper = (a, b) if a.lo <= b.lo else (b, a)
    top, bottom = lower.stated_high, upper.stated_low
    return (bottom - top) / abs(top) if top else math.inf


@dataclass
class _Statement:
    """One claim and its copies; ``first`` is what the discrepancies table shows of the
    earliest copy (its id, document, text, figure, claimant, outlet and hedging)."""

    rows: list[int]
    lo: float
    hi: float
    stated_low: float
    stated_high: float
    central: float
    claimant: str
    as_of: object
    order: tuple
    first: dict


class _Table:
    """The claims table, and the date each claim refers to."""

    def __init__(self, claims: pd.DataFrame):
        self.frame = claims
        self.n = len(claims)

    @cached_property
    def as_of_series(self) -> pd.Series:
        """The date a claim refers to, else its article's publication date."""
        as_of = self.frame["as_of"]
        return as_of.where(as_of.notna(), self.frame["published"])


_FIGURES = ("value", "low", "high")
# The columns that group rows into claims, order their copies, or show the earliest copy.
_TEXTS = ("quantity", "claim_id", "doc", "source", "text", "sentence", "qualifier", "attributed_to")
_GROUPED = (*_TEXTS, *_FIGURES, "start", "hedged")


def statements(claims: pd.DataFrame, tol: Tolerances | None = None) -> dict[str, list[_Statement]]:
    """Per quantity, its statements (claims with their copies), in a stable order."""
    return _statements(_Table(claims), tol or Tolerances())


def _statements(t: _Table, tol: Tolerances) -> dict[str, list[_Statement]]:
    """The copies of a claim are the rows that share its quantity, sentence and text (white
    space collapsed), qualifier, figures and claimant. Rows are grouped by integer codes of
    those columns, each column's distinct values read once, so a table of many copies
    costs little more than its distinct claims; only the earliest copy of each claim (by
    date, document, offset and id) is read into Python."""
    frame = t.frame
    quantity = _Texts(frame["quantity"])
    kept = np.flatnonzero(quantity.nonempty())
    if not len(kept):
        return {}
    part = frame  # (selecting the columns would copy them)
    if len(kept) < t.n:
        part = frame[list(_GROUPED)].take(kept)
        quantity = _Texts(part["quantity"])
    col = {name: quantity if name == "quantity" else _Texts(part[name]) for name in _TEXTS}
    figures = {name: _float_array(part[name]) for name in _FIGURES}
    claimant_codes, claimant_names = _claimants(col)
    group = _packed((col["quantity"].codes(), col["sentence"].codes(_collapse),
                     col["text"].codes(_collapse), col["qualifier"].codes(),
                     *(_codes(figures[name]) for name in _FIGURES), claimant_codes))
    as_of = t.as_of_series.take(kept)
    date_codes, dates = pd.factorize(as_of)
    date_keys = [_date_key(day) for day in dates] + [_date_key(None)]  # code -1: no date
    starts = _start_numbers(part["start"])
    # Rows by claim, each claim's rows by (date, document, offset, id); a stable sort, so
    # equal keys keep the table's order.
    by_claim = _sort_breaking_ties((starts, col["doc"].ranks(), _ranks(date_keys)[date_codes],
                                    group), col["claim_id"])
    bounds = np.flatnonzero(np.diff(group[by_claim])) + 1
    begins = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(by_claim)]))
    firsts = by_claim[begins]
    # Claims in the order their first row comes in the table (the order a dict keyed by
    # claim would have), then sorted by date per quantity below.
    in_table_order = np.argsort(np.minimum.reduceat(by_claim, begins), kind="stable")

    quantities, qualifiers, claim_ids, docs, texts, named, outlets = (
        col[name].at(firsts) for name in
        ("quantity", "qualifier", "claim_id", "doc", "text", "attributed_to", "source"))
    values, lows, highs = (_floats_of(figures[name][firsts]) for name in _FIGURES)
    first_claimants = [claimant_names[code] for code in claimant_codes[firsts].tolist()]
    as_ofs = as_of.take(firsts).to_numpy(dtype="datetime64[D]").tolist()  # days, None: NaT
    keys = [date_keys[code] for code in date_codes[firsts].tolist()]
    first_starts = starts[firsts].tolist()
    hedged = part["hedged"].take(firsts).tolist()
    row_numbers = kept[by_claim].tolist()
    begins, ends = begins.tolist(), ends.tolist()

    out: dict[str, list[_Statement]] = {}
    for k in in_table_order.tolist():
        v, lo, hi = values[k], lows[k], highs[k]
        span = interval(qualifiers[k], v, lo, hi, tol)
        if span is None:
            continue
        stated_low = lo if lo is not None else (v if v is not None else span[0])
        stated_high = hi if hi is not None else (v if v is not None else span[1])
        central = v if v is not None else (
            (lo + hi) / 2 if lo is not None and hi is not None else stated_low)
        claim_id, doc = claim_ids[k], docs[k]
        # (by position, in the order of _Statement's fields: under half the time by keyword)
        statement = _Statement(
            row_numbers[begins[k]:ends[k]], span[0], span[1], stated_low, stated_high, central,
            first_claimants[k], as_ofs[k], (keys[k], doc, first_starts[k], claim_id),
            {"claim_id": claim_id, "doc": doc, "text": texts[k], "value": v, "low": lo,
             "attributed_to": named[k], "source": outlets[k], "hedged": hedged[k]})
        group_statements = out.get(quantities[k])
        if group_statements is None:
            out[quantities[k]] = group_statements = []
        group_statements.append(statement)
    for group_statements in out.values():
        group_statements.sort(key=lambda s: s.order)
    return out


def disagreeing_pairs(group: list[_Statement]) -> Iterable[tuple[_Statement, _Statement]]:
    """The pairs of statements whose intervals do not overlap, by sorting and binary search.

    Yields each pair once, the earlier statement first; nothing is built for pairs that agree.
    """
    by_low = sorted(group, key=lambda s: (s.lo, s.order))
    lows = [s.lo for s in by_low]
    for s in group:
        for other in by_low[bisect_right(lows, s.hi):]:
            yield (s, other) if s.order <= other.order else (other, s)


class Analysis:
    """A claims table read once, for its discrepancies, its summary and the report.

    Claims without a ``quantity`` key get one first (:func:`figcheck.quantities.ensure`).
    """

    def __init__(self, claims: pd.DataFrame, config: Config | None = None):
        self.config = config or Config()
        self.claims = ensure(claims, config=self.config)
        self.table = _Table(self.claims)
        self.statements = _statements(self.table, self.config.tolerances)
        self._discrepancies: pd.DataFrame | None = None

    def discrepancies(self) -> pd.DataFrame:
        if self._discrepancies is None:
            self._discrepancies = _find(self.statements)
        return self._discrepancies

    def summary(self, discrepancies: pd.DataFrame | None = None) -> pd.DataFrame:
        return _summarize(self.table, self.statements, self.config,
                          self.discrepancies() if discrepancies is None else discrepancies)


def find(claims: pd.DataFrame, *, config: Config | None = None) -> pd.DataFrame:
    """The discrepancies table: one row per pair of statements of one quantity that disagree.

    Claims without a ``quantity`` key get one first (:func:`figcheck.quantities.ensure`).
    Rows are ordered by quantity, then by the dates and ids of the two claims.
    """
    return Analysis(claims, config).discrepancies()


def _find(per_quantity: dict[str, list[_Statement]]) -> pd.DataFrame:
    records = []
    for quantity in sorted(per_quantity):
        group = per_quantity[quantity]
        if len(group) == 1:
            # Most quantities are stated once, and setting up the sweep costs more than the
            # answer: a statement disagrees only with itself, when its interval is reversed
            # (a negative figure's), as disagreeing_pairs finds it.
            only = group[0]
            pairs = [(only, only)] if only.hi < only.lo else []
        else:
            pairs = sorted(disagreeing_pairs(group),
                           key=lambda pair: (pair[0].order, pair[1].order))
        records += [_record(quantity, a, b) for a, b in pairs]
    return schema.from_records(records, schema.DISCREPANCIES)


def _record(quantity: str, a: _Statement, b: _Statement) -> dict:
    first_a, first_b = a.first, b.first
    if a.claimant != b.claimant:
        kind = "between_sources"
    elif a.order[0] != b.order[0]:
        kind = "over_time"
    else:
        kind = "within_source"
    return {
        "quantity": quantity, "claim_a": first_a["claim_id"], "claim_b": first_b["claim_id"],
        "kind": kind, "gap": round(gap(a, b), 6),
        "value_a": first_a["value"] if first_a["value"] is not None else first_a["low"],
        "value_b": first_b["value"] if first_b["value"] is not None else first_b["low"],
        "text_a": first_a["text"], "text_b": first_b["text"],
        "attributed_to_a": first_a["attributed_to"], "attributed_to_b": first_b["attributed_to"],
        "source_a": first_a["source"], "source_b": first_b["source"],
        "as_of_a": as_date(a.as_of), "as_of_b": as_date(b.as_of),
        "doc_a": first_a["doc"], "doc_b": first_b["doc"],
        "hedged": bool(first_a["hedged"]) or bool(first_b["hedged"]),
        "copies_a": len(a.rows), "copies_b": len(b.rows),
    }


def summarize(claims: pd.DataFrame, discrepancies: pd.DataFrame | None = None, *,
              config: Config | None = None) -> pd.DataFrame:
    """One row per quantity: how many claims and sources, low / best / high, dates, trend.

    - ``low``: the lowest figure any claim states (its lower bound where it gives one);
      ``high``: the highest (its upper bound where it gives one, else the figure);
    - ``best``: the median of each source's latest central figure (a range's middle);
    - ``sources``: distinct claimants (the attributed source, else the outlet);
    - ``trend``: the median figure of the last date against that of the first, rising or
      falling beyond the ``about`` tolerance, else stable; ``single`` with one date.

    Rows come with the most discrepancies first, then the most claims, then by key.
    """
    return Analysis(claims, config).summary(discrepancies)


def _summarize(t: _Table, per_quantity: dict[str, list[_Statement]], config: Config,
               discrepancies: pd.DataFrame) -> pd.DataFrame:
    from statistics import median  # (the summary only: not paid by every import of figcheck)

    flagged = discrepancies["quantity"].value_counts().to_dict() if len(discrepancies) else {}
    rows = _QuantityRows(t, per_quantity)
    records = []
    for k, (quantity, group) in enumerate(per_quantity.items()):
        latest: dict[str, _Statement] = {}
        for s in group:  # in date order: the last one of each claimant stays
            latest[s.claimant] = s
        by_date: dict[tuple, list[float]] = {}
        for s in group:
            by_date.setdefault(s.order[0], []).append(s.central)
        dates = sorted(by_date)
        trend = "single"
        if len(dates) > 1:
            first, last = median(by_date[dates[0]]), median(by_date[dates[-1]])
            change = (last - first) / abs(first) if first else math.inf * (last - first)
            trend = ("rising" if change > config.tolerances.about else
                     "falling" if change < -config.tolerances.about else "stable")
        records.append({
            "quantity": quantity,
            "unit": rows.unit[k],
            "entity": rows.entity[k],
            "claims": rows.claims[k],
            "distinct": len(group),
            "sources": len(latest),
            "low": rows.low[k],
            "best": median(s.central for s in latest.values()),
            "high": rows.high[k],
            "first": rows.first[k],
            "last": rows.last[k],
            "trend": trend,
            "discrepancies": int(flagged.get(quantity, 0)),
            "hedged": rows.hedged[k],
        })
    records.sort(key=lambda r: (-r["discrepancies"], -r["claims"], r["quantity"]))
    return schema.from_records(records, schema.QUANTITIES)


class _QuantityRows:
    """What the summary says of each quantity's rows (the rows of its statements), one
    list entry per quantity in the order of ``per_quantity``, computed over arrays of all
    the rows at once: their number, the lowest figure stated (a row's ``low``, else its
    ``value``) and the highest (``high``, else ``value``), the first and last date, the
    most common unit and entity (on a tie, the first in Python's order), and how many
    are hedged."""

    def __init__(self, t: _Table, per_quantity: dict[str, list[_Statement]]):
        frame = t.frame
        sizes = [sum(len(s.rows) for s in group) for group in per_quantity.values()]
        rows = np.fromiter(itertools.chain.from_iterable(
            s.rows for group in per_quantity.values() for s in group), dtype=np.int64,
            count=sum(sizes))
        self.claims = sizes
        if not sizes:
            self.low = self.high = self.first = self.last = self.unit = self.entity = []
            self.hedged = []
            return
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        value = _float_array(frame["value"])[rows]
        low = _float_array(frame["low"])[rows]
        high = _float_array(frame["high"])[rows]
        with np.errstate(invalid="ignore"):  # a quantity whose rows state no figure: NaN
            self.low = _floats_of(np.fmin.reduceat(np.where(np.isnan(low), value, low), starts))
            self.high = _floats_of(np.fmax.reduceat(np.where(np.isnan(high), value, high), starts))
        self.hedged = np.add.reduceat(frame["hedged"].to_numpy(dtype=bool)[rows].astype(np.int64),
                                      starts).tolist()
        days = t.as_of_series.to_numpy(dtype="datetime64[D]")[rows]
        missing = np.isnat(days)
        numbers = days.astype(np.int64)
        none = np.iinfo(np.int64).max
        first = np.minimum.reduceat(np.where(missing, none, numbers), starts)
        last = np.maximum.reduceat(np.where(missing, -none, numbers), starts)
        self.first = [None if d == none else day for d, day in
                      zip(first.tolist(), first.astype("datetime64[D]").tolist())]
        self.last = [None if d == -none else day for d, day in
                     zip(last.tolist(), last.astype("datetime64[D]").tolist())]
        group = np.repeat(np.arange(len(sizes)), sizes)
        self.unit = _most_common_per_group(_Texts(frame["unit"]), rows, group, len(sizes))
        self.entity = _most_common_per_group(_Texts(frame["entity"]), rows, group, len(sizes))


def _most_common_per_group(texts: "_Texts", rows: np.ndarray, group: np.ndarray,
                           groups: int) -> list[str | None]:
    """Per group of ``rows``, its most common non-empty text, the first in Python's order
    on a tie (None when all are empty)."""
    codes, uniques = texts.encoded()
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[sorted(range(len(uniques)), key=uniques.__getitem__)] = np.arange(len(uniques))
    codes = codes[rows]
    nonempty = np.array([bool(u) for u in uniques], dtype=bool)[codes] if len(uniques) else \
        np.zeros(len(codes), dtype=bool)
    pairs = group[nonempty] * max(len(uniques), 1) + codes[nonempty]
    pairs, counts = np.unique(pairs, return_counts=True)
    pair_group, pair_code = pairs // max(len(uniques), 1), pairs % max(len(uniques), 1)
    # Per group: the most rows first, then the lowest rank (Python's order of the texts).
    order = np.lexsort((rank[pair_code], -counts, pair_group))
    out: list[str | None] = [None] * groups
    taken = np.ones(len(order), dtype=bool)
    taken[1:] = pair_group[order][1:] != pair_group[order][:-1]
    for g, code in zip(pair_group[order][taken].tolist(), pair_code[order][taken].tolist()):
        out[g] = uniques[code]
    return out


# -- helpers ------------------------------------------------------------------------------

def text_list(series: pd.Series) -> list[str]:
    """A text column as a list of ``str``, ``""`` where missing; a column that pandas keeps
    in Arrow is filled and converted by Arrow."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        import pyarrow.compute as pc

        return pc.fill_null(series.array.__arrow_array__(), "").to_pylist()
    return ["" if v is None or v is pd.NA else str(v) for v in series.tolist()]


def _texts(series: pd.Series) -> np.ndarray:
    """A column as an array of ``str``, ``""`` where missing (as :func:`text_list` reads it)."""
    if isinstance(series.dtype, pd.StringDtype):
        return series.to_numpy(dtype=object, na_value="")
    return np.array(text_list(series), dtype=object)


def _float_array(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype="float64", na_value=np.nan)


def _floats_of(values: np.ndarray) -> list[float | None]:
    return [None if v != v else float(v) for v in values.tolist()]


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _codes(values: np.ndarray, normalize=None) -> np.ndarray:
    """An integer per row, the same for rows whose values are equal (after ``normalize``,
    applied once per distinct value). Figures are compared as Python compares them: -0.0
    is 0.0, and every missing one (NaN) is the same."""
    if values.dtype.kind == "f":
        values = values + 0.0  # -0.0 + 0.0 is 0.0
    codes, uniques = pd.factorize(values)
    if normalize is not None:
        merged, _ = pd.factorize(np.array([normalize(u) for u in uniques], dtype=object))
        codes = merged[codes]
    return codes


def _packed(columns: Iterable[np.ndarray]) -> np.ndarray:
    """An integer per row, equal for rows equal in every one of ``columns`` (integer codes
    from -1 up). The codes are packed into one integer, a digit per column, and renumbered
    (hashed) only when the next digit would overflow it, not once per column."""
    key, size = None, 1  # the keys are below size
    for codes in columns:
        width = int(codes.max()) + 2
        if size * width > np.iinfo(np.int64).max:
            key, _ = pd.factorize(key)
            size = int(key.max()) + 1
        key = codes + 1 if key is None else key * width + (codes + 1)
        size *= width
    return key


def _merged(keys: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Integer ``keys`` (the primary one last, as ``np.lexsort`` takes them), neighbours
    merged into one integer while their ranges fit in one: they sort and tie as ``keys``
    do, in fewer passes of the sort."""
    runs: list[tuple[list, int]] = []  # neighbouring keys and the size of their range
    for key in reversed(keys):
        low = int(key.min())
        span = int(key.max()) - low + 1
        if runs and runs[-1][1] * span <= np.iinfo(np.int64).max:
            runs[-1] = (runs[-1][0] + [(key, low, span)], runs[-1][1] * span)
        else:
            runs.append(([(key, low, span)], span))
    out = []
    for run, _ in runs:
        if len(run) == 1:
            out.append(run[0][0])
            continue
        merged = np.zeros(len(run[0][0]), dtype=np.int64)
        for key, low, span in run:
            merged = merged * span + (key - low)
        out.append(merged)
    return tuple(reversed(out))


def _sort_breaking_ties(keys: tuple[np.ndarray, ...], last: "_Texts") -> np.ndarray:
    """The order ``np.lexsort((last.ranks(), *keys))`` gives (stable, the primary key last),
    but ``last`` is ranked only on the rows equal in every key: it breaks few ties, and
    ranking a whole text column is a full sort of its strings."""
    keys = _merged(keys)
    order = np.lexsort(keys)
    tied_with_next = np.ones(max(len(order) - 1, 0), dtype=bool)
    for key in keys:
        ordered = key[order]
        tied_with_next &= ordered[1:] == ordered[:-1]
    if not tied_with_next.any():
        return order
    tied = np.zeros(len(order), dtype=bool)
    tied[:-1] |= tied_with_next
    tied[1:] |= tied_with_next
    rows = np.sort(order[tied])
    tiebreak = np.zeros(len(order), dtype=np.int64)
    tiebreak[rows] = last.ranks_of(rows)
    return np.lexsort((tiebreak, *keys))


def _ranks(values: list) -> np.ndarray:
    """Integers that sort as ``values`` do in Python, equal for equal values."""
    distinct = {value: k for k, value in enumerate(sorted(set(values)))}
    return np.array([distinct[value] for value in values], dtype=np.int64)


class _Texts:
    """A text column as the grouping reads it, a missing value as ``""`` (as :func:`text_list`).

    When pandas keeps the column in Arrow (its strings, with pyarrow), Arrow encodes and
    sorts it; Arrow orders strings by their UTF-8 bytes, which is the order of their code
    points, the order Python sorts ``str`` in. Otherwise the column is read into Python.
    """

    def __init__(self, series: pd.Series):
        self.arrow = None
        if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
            # The column's strings where pandas keeps them, in its chunks, nulls and all: a
            # copy in one piece with nulls filled is made only to encode it (_dictionary),
            # and let go once encoded, so that the columns are not all copied at once.
            self.arrow = series.array.__arrow_array__()
        else:
            self.values = _texts(series)

    def _whole(self):
        """The column in one Arrow array, nulls as ``""`` (a copy unless it is already so)."""
        return _in_one_piece(self.arrow)

    def _taken(self, rows: np.ndarray):
        """The values at ``rows`` in one Arrow array, nulls as ``""``."""
        return _in_one_piece(self.arrow.take(rows))

    def nonempty(self) -> np.ndarray:
        if self.arrow is not None:
            import pyarrow.compute as pc

            return pc.fill_null(pc.not_equal(self.arrow, ""), False).to_numpy(zero_copy_only=False)
        return self.values != ""

    @cached_property
    def _dictionary(self) -> tuple[np.ndarray, object]:
        """An integer per row and the distinct values they stand for, in an Arrow array or
        a NumPy one (not read into Python: a caller may need only some). Shared by the
        callers, who must not change it."""
        if self.arrow is not None:
            import pyarrow.compute as pc

            encoded = pc.dictionary_encode(self._whole())
            return (encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
                    encoded.dictionary)
        codes, uniques = pd.factorize(self.values)
        return codes, uniques

    def encoded(self) -> tuple[np.ndarray, list[str]]:
        """An integer per row and the distinct values they stand for."""
        codes, distinct = self._dictionary
        return codes, self._distinct_at(distinct, None)

    def encoded_at(self, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """For ``rows`` only, an integer per row and the distinct values they stand for."""
        codes, distinct = self._dictionary
        used, codes_at = np.unique(codes[rows], return_inverse=True)
        return codes_at.reshape(-1), self._distinct_at(distinct, used)

    def _distinct_at(self, distinct, which: np.ndarray | None) -> list[str]:
        if self.arrow is not None:
            return (distinct if which is None else distinct.take(which)).to_pylist()
        return list(distinct if which is None else distinct[which])

    def codes(self, normalize=None) -> np.ndarray:
        """An integer per row, the same for rows whose values are equal (after
        ``normalize``, applied once per distinct value)."""
        codes, uniques = self.encoded()
        if normalize is not None:
            merged, _ = pd.factorize(np.array([normalize(u) for u in uniques], dtype=object))
            codes = merged[codes]
        return codes

    def ranks(self) -> np.ndarray:
        """Integers that sort as the values do, equal for equal values (from the distinct
        values, sorted once)."""
        codes, distinct = self._dictionary
        if self.arrow is not None:
            import pyarrow.compute as pc

            order = pc.sort_indices(distinct).to_numpy()
        else:
            order = sorted(range(len(distinct)), key=distinct.__getitem__)
        rank = np.empty(len(distinct), dtype=np.int64)
        rank[order] = np.arange(len(distinct))
        return rank[codes]

    def ranks_of(self, rows: np.ndarray) -> np.ndarray:
        """For ``rows`` only, integers that sort as their values do, equal for equal values."""
        if self.arrow is not None:
            import pyarrow.compute as pc

            return pc.rank(self._taken(rows), sort_keys="ascending",
                           tiebreaker="dense").to_numpy().astype(np.int64)
        return _ranks(self.values[rows].tolist())

    def at(self, rows: np.ndarray) -> list[str]:
        if self.arrow is not None:
            return self._taken(rows).to_pylist()
        return self.values[rows].tolist()


def _in_one_piece(chunks):
    """An Arrow chunked array of strings as one array, nulls as ``""``."""
    import pyarrow.compute as pc

    # (combining chunks copies them, even a single one; filling copies the column)
    arrow = chunks.chunk(0) if chunks.num_chunks == 1 else chunks.combine_chunks()
    return pc.fill_null(arrow, "") if arrow.null_count else arrow


def _claimants(col: dict[str, _Texts]) -> tuple[np.ndarray, list[str]]:
    """Who stands behind each figure: its attributed source, else the outlet's own voice
    (the article's ``doc`` when no outlet is known), case-folded; as an integer per row
    and the names they stand for."""
    named_codes, names = col["attributed_to"].encoded()
    outlet_codes, outlets = col["source"].encoded()
    voices = [None if not name else name.casefold() for name in names]
    outlet_voices = ["outlet: " + outlet.casefold() if outlet else None for outlet in outlets]
    # Only the documents of rows that name no one and no outlet are read into Python and
    # case-folded: a table can have nearly as many documents as rows.
    unnamed = np.array([v is None for v in voices], dtype=bool)[named_codes]
    no_outlet = np.array([v is None for v in outlet_voices], dtype=bool)[outlet_codes]
    by_doc_only = np.flatnonzero(unnamed & no_outlet)
    doc_codes, docs = col["doc"].encoded_at(by_doc_only)
    doc_voices = ["outlet: " + doc.casefold() for doc in docs]
    merged, claimants = pd.factorize(np.array(voices + outlet_voices + doc_voices, dtype=object))
    named = merged[named_codes]
    by_outlet = merged[len(names) + outlet_codes]
    # (pd.factorize gives None the code -1)
    codes = np.where(named >= 0, named, by_outlet)
    codes[by_doc_only] = merged[len(names) + len(outlets) + doc_codes]
    return codes, list(claimants)


def _start_numbers(series: pd.Series) -> np.ndarray:
    if series.dtype == np.int64:
        return series.to_numpy()
    return np.array([_num(v) for v in series.tolist()], dtype=np.int64)


def _num(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _date_key(value) -> tuple:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return (1,)
    try:
        if pd.isna(value):
            return (1,)
    except (TypeError, ValueError):
        pass
    return (0, str(value)[:10])


def as_date(value):
    if type(value) is dt.date:  # (not a datetime, which is a date too)
        return value
    if _date_key(value) == (1,):
        return None
    return pd.Timestamp(value).date()
