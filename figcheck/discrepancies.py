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

import math
from bisect import bisect_right
from dataclasses import dataclass
from statistics import median
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
    """One claim and its copies."""

    rows: list[int]
    lo: float
    hi: float
    stated_low: float
    stated_high: float
    central: float
    claimant: str
    as_of: object
    order: tuple


class _Table:
    """The claims table as plain Python lists, read once."""

    def __init__(self, claims: pd.DataFrame):
        self.n = len(claims)
        col = claims.__getitem__
        self.claim_id = _strs(col("claim_id"))
        self.doc = _strs(col("doc"))
        self.source = _strs(col("source"))
        self.text = _strs(col("text"))
        self.sentence = _strs(col("sentence"))
        self.qualifier = _strs(col("qualifier"))
        self.unit = _strs(col("unit"))
        self.entity = _strs(col("entity"))
        self.attributed_to = _strs(col("attributed_to"))
        self.quantity = _strs(col("quantity"))
        self.value = _floats(col("value"))
        self.low = _floats(col("low"))
        self.high = _floats(col("high"))
        self.start = claims["start"].tolist()
        self.hedged = claims["hedged"].tolist()
        as_of = claims["as_of"]
        published = claims["published"]
        self.as_of = as_of.where(as_of.notna(), published).tolist()
        self.as_of_key = [_date_key(d) for d in self.as_of]

    def claimant(self, i: int) -> str:
        """Who stands behind a figure: its attributed source, else the outlet's own voice."""
        if self.attributed_to[i]:
            return self.attributed_to[i].casefold()
        return "outlet: " + (self.source[i] or self.doc[i]).casefold()


def statements(claims: pd.DataFrame, tol: Tolerances | None = None) -> dict[str, list[_Statement]]:
    """Per quantity, its statements (claims with their copies), in a stable order."""
    return _statements(_Table(claims), tol or Tolerances())


def _statements(t: _Table, tol: Tolerances) -> dict[str, list[_Statement]]:
    groups: dict[tuple, list[int]] = {}
    for i in range(t.n):
        if not t.quantity[i]:
            continue
        copy_key = (t.quantity[i], " ".join(t.sentence[i].split()), " ".join(t.text[i].split()),
                    t.qualifier[i], t.value[i], t.low[i], t.high[i], t.claimant(i))
        groups.setdefault(copy_key, []).append(i)
    out: dict[str, list[_Statement]] = {}
    for rows in groups.values():
        rows.sort(key=lambda i: (t.as_of_key[i], t.doc[i], _num(t.start[i]), t.claim_id[i]))
        i = rows[0]
        span = interval(t.qualifier[i], t.value[i], t.low[i], t.high[i], tol)
        if span is None:
            continue
        v, lo, hi = t.value[i], t.low[i], t.high[i]
        stated_low = lo if lo is not None else (v if v is not None else span[0])
        stated_high = hi if hi is not None else (v if v is not None else span[1])
        central = v if v is not None else (
            (lo + hi) / 2 if lo is not None and hi is not None else stated_low)
        out.setdefault(t.quantity[i], []).append(_Statement(
            rows=rows, lo=span[0], hi=span[1], stated_low=stated_low, stated_high=stated_high,
            central=central, claimant=t.claimant(i), as_of=t.as_of[i],
            order=(t.as_of_key[i], t.doc[i], _num(t.start[i]), t.claim_id[i])))
    for group in out.values():
        group.sort(key=lambda s: s.order)
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
            self._discrepancies = _find(self.table, self.statements)
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


def _find(t: _Table, per_quantity: dict[str, list[_Statement]]) -> pd.DataFrame:
    records = []
    for quantity in sorted(per_quantity):
        rows = []
        for a, b in disagreeing_pairs(per_quantity[quantity]):
            rows.append((a.order, b.order, a, b))
        rows.sort(key=lambda r: (r[0], r[1]))
        for _, _, a, b in rows:
            records.append(_record(t, quantity, a, b))
    return schema.from_records(records, schema.DISCREPANCIES)


def _record(t: _Table, quantity: str, a: _Statement, b: _Statement) -> dict:
    i, j = a.rows[0], b.rows[0]
    if a.claimant != b.claimant:
        kind = "between_sources"
    elif t.as_of_key[i] != t.as_of_key[j]:
        kind = "over_time"
    else:
        kind = "within_source"
    return {
        "quantity": quantity, "claim_a": t.claim_id[i], "claim_b": t.claim_id[j], "kind": kind,
        "gap": round(gap(a, b), 6),
        "value_a": t.value[i] if t.value[i] is not None else t.low[i],
        "value_b": t.value[j] if t.value[j] is not None else t.low[j],
        "text_a": t.text[i], "text_b": t.text[j],
        "attributed_to_a": t.attributed_to[i], "attributed_to_b": t.attributed_to[j],
        "source_a": t.source[i], "source_b": t.source[j],
        "as_of_a": as_date(t.as_of[i]), "as_of_b": as_date(t.as_of[j]),
        "doc_a": t.doc[i], "doc_b": t.doc[j],
        "hedged": bool(t.hedged[i]) or bool(t.hedged[j]),
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
    flagged = discrepancies["quantity"].value_counts().to_dict() if len(discrepancies) else {}
    records = []
    for quantity, group in per_quantity.items():
        rows = [i for s in group for i in s.rows]
        lows = [t.low[i] if t.low[i] is not None else t.value[i] for i in rows]
        highs = [t.high[i] if t.high[i] is not None else t.value[i] for i in rows]
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
        as_ofs = [t.as_of[i] for i in rows if t.as_of_key[i] != (1,)]
        records.append({
            "quantity": quantity,
            "unit": _most_common(t.unit[i] for i in rows),
            "entity": _most_common(t.entity[i] for i in rows),
            "claims": len(rows),
            "distinct": len(group),
            "sources": len(latest),
            "low": min((v for v in lows if v is not None), default=None),
            "best": median(s.central for s in latest.values()),
            "high": max((v for v in highs if v is not None), default=None),
            "first": as_date(min(as_ofs)) if as_ofs else None,
            "last": as_date(max(as_ofs)) if as_ofs else None,
            "trend": trend,
            "discrepancies": int(flagged.get(quantity, 0)),
            "hedged": sum(bool(t.hedged[i]) for i in rows),
        })
    records.sort(key=lambda r: (-r["discrepancies"], -r["claims"], r["quantity"]))
    return schema.from_records(records, schema.QUANTITIES)


# -- helpers ------------------------------------------------------------------------------

def _strs(series: pd.Series) -> list[str]:
    return ["" if v is None or v is pd.NA else str(v) for v in series.tolist()]


def _floats(series: pd.Series) -> list[float | None]:
    return [None if v != v else float(v) for v in series.to_numpy(dtype="float64", na_value=np.nan).tolist()]


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
    if _date_key(value) == (1,):
        return None
    return pd.Timestamp(value).date()


def _most_common(values: Iterable[str]) -> str | None:
    counts: dict[str, int] = {}
    for v in values:
        if v:
            counts[v] = counts.get(v, 0) + 1
    return min(counts, key=lambda v: (-counts[v], v)) if counts else None
