"""The columns of every table figcheck produces, their dtypes and meaning, declared once.

Every output passes through :func:`conform`, so a claims table read from a CSV, built by
the extractor or filtered in a notebook has the same columns in the same order with the
same dtypes. The meaning of each column follows ``claims-table.md`` (the contract).
"""
from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    doc: str


DATE = "datetime64[s]"

CLAIMS: tuple[Column, ...] = (
    Column("claim_id", "string", "stable id from the document and the span, never from row order"),
    Column("doc", "string", "the article's id: its path inside the batch, or the JSONL id"),
    Column("source", "string", "the outlet that published the article"),
    Column("published", DATE, "the article's publication date"),
    Column("published_inferred", "bool", "the publication date was inferred from the text or batch"),
    Column("text", "string", "surface span of the figure with its qualifier and counted noun"),
    Column("start", "int64", "offset of text in the article (article[start:end] == text)"),
    Column("end", "int64", "end offset of text in the article"),
    Column("sentence", "string", "the sentence the figure stands in"),
    Column("value", "float64", "the figure; a range's midpoint; empty for vague counts"),
    Column("low", "float64", "lower bound the wording states"),
    Column("high", "float64", "upper bound the wording states"),
    Column("qualifier", "string", "exact, about, nearly, up_to, at_most, under, over, at_least, range, several"),
    Column("unit", "string", "what is counted, a canonical plural noun (soldiers, killed, usd, percent...)"),
    Column("entity", "string", "whose figure: a lower-case demonym or name"),
    Column("attributed_to", "string", "canonical name of who claims it; empty when unattributed"),
    Column("as_of", DATE, "the date the claim refers to or was made"),
    Column("as_of_from", "string", "text (the sentence names the date) or published"),
    Column("hedged", "bool", "reported as possible or unconfirmed"),
    Column("quantity", "string", "key of the quantity measured; equal keys should agree"),
    Column("quantity_reason", "string", "why the claim has that quantity key"),
    Column("rule_ids", "string", "ids of the rules that made the row, space separated"),
    Column("url", "string", "the article's address, when known"),
    Column("title", "string", "the article's title, when known"),
)

DISCREPANCIES: tuple[Column, ...] = (
    Column("quantity", "string", "the shared quantity key"),
    Column("claim_a", "string", "claim_id of the earlier claim"),
    Column("claim_b", "string", "claim_id of the later claim"),
    Column("kind", "string", "between_sources, over_time or within_source"),
    Column("gap", "float64", "relative distance between the two intervals"),
    Column("value_a", "float64", "value of claim a (low when it has none)"),
    Column("value_b", "float64", "value of claim b (low when it has none)"),
    Column("text_a", "string", "surface text of claim a"),
    Column("text_b", "string", "surface text of claim b"),
    Column("attributed_to_a", "string", "who claims a"),
    Column("attributed_to_b", "string", "who claims b"),
    Column("source_a", "string", "outlet of a"),
    Column("source_b", "string", "outlet of b"),
    Column("as_of_a", DATE, "date of a"),
    Column("as_of_b", DATE, "date of b"),
    Column("doc_a", "string", "article of a"),
    Column("doc_b", "string", "article of b"),
    Column("hedged", "bool", "either claim is hedged"),
    Column("copies_a", "int64", "how many claims repeat a (the same sentence, figure and claimant), a included"),
    Column("copies_b", "int64", "how many claims repeat b, b included"),
)

QUANTITIES: tuple[Column, ...] = (
    Column("quantity", "string", "the quantity key"),
    Column("unit", "string", "what is counted"),
    Column("entity", "string", "whose: the entity most of its claims state (empty when they state none)"),
    Column("claims", "int64", "number of claims"),
    Column("distinct", "int64", "number of distinct claims once copies (wire copy) are counted once"),
    Column("sources", "int64", "number of independent sources (distinct attributed_to, else outlet)"),
    Column("low", "float64", "lowest figure stated by any claim (its lower bound where it states one)"),
    Column("best", "float64", "median of the sources' latest central figures (a range's middle)"),
    Column("high", "float64", "highest figure stated by any claim (its upper bound where it states one)"),
    Column("first", DATE, "earliest as_of"),
    Column("last", DATE, "latest as_of"),
    Column("trend", "string", "rising, falling, stable or single"),
    Column("discrepancies", "int64", "number of flagged pairs"),
    Column("hedged", "int64", "number of hedged claims"),
)


def names(columns: tuple[Column, ...]) -> list[str]:
    return [c.name for c in columns]


def empty(columns: tuple[Column, ...]) -> pd.DataFrame:
    return conform(pd.DataFrame(), columns)


def conform(frame: pd.DataFrame, columns: tuple[Column, ...] = CLAIMS) -> pd.DataFrame:
    """Return ``frame`` with exactly the declared columns, in order, with their dtypes.

    Missing columns are added empty; extra columns are kept after the declared ones so
    that a user's own columns survive a round trip.
    """
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        if column.name in frame.columns:
            series = frame[column.name]
        else:
            series = pd.Series([None] * len(frame), index=frame.index, dtype="object")
        out[column.name] = _cast(series, column.dtype)
    declared = {c.name for c in columns}
    for extra in frame.columns:
        if extra not in declared:
            out[extra] = frame[extra]
    return out.reset_index(drop=True)


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
#: The integer that NumPy reads as NaT in a datetime64 array.
_NAT_DAYS = np.datetime64("NaT", "D").astype("int64")


def from_records(records: list[dict], columns: tuple[Column, ...] = CLAIMS) -> pd.DataFrame:
    """A conformed frame built column by column from records whose values already have
    their Python types (str or None, float or None, datetime.date or None, bool, int).

    The same result as ``conform(pd.DataFrame(records))``, without per-cell conversions:
    the extractor builds large tables this way.
    """
    data = {}
    for column, values in zip(columns, _columns_of(records, names(columns))):
        if column.dtype == "string":
            data[column.name] = pd.array([v if v != "" else None for v in values], dtype="string")
        elif column.dtype == "float64":
            data[column.name] = np.array([np.nan if v is None else v for v in values], dtype="float64")
        elif column.dtype == DATE:
            # Days since 1970 as integers, viewed as dates: a tenth of the time of making
            # a datetime64 of each date.
            days = np.array([_NAT_DAYS if v is None else v.toordinal() - _EPOCH_ORDINAL
                             for v in values], dtype="int64")
            data[column.name] = days.view("datetime64[D]").astype(DATE)
        elif column.dtype == "bool":
            data[column.name] = np.array([bool(v) for v in values], dtype="bool")
        elif column.dtype == "int64":
            data[column.name] = np.array([0 if v is None else v for v in values], dtype="int64")
        else:
            data[column.name] = pd.Series(values).astype(column.dtype)
    return pd.DataFrame(data, columns=names(columns))


def _columns_of(records: list[dict], keys: list[str]) -> Iterator[list]:
    """The values of each key in ``records``, None where a record lacks it; one column at
    a time, so that a large table's cells are not all held twice."""
    for key in keys:
        try:
            # One C call a column where every record has the key (as the extractor's
            # rows have every column): half the time of a dict lookup per cell.
            yield list(map(operator.itemgetter(key), records))
        except KeyError:
            yield [record.get(key) for record in records]


def _cast(series: pd.Series, dtype: str) -> pd.Series:
    if dtype == DATE:
        return pd.to_datetime(series, errors="coerce").astype(DATE)
    if dtype == "bool":
        return series.map(_truthy).astype("bool")
    if dtype == "int64":
        return pd.to_numeric(series, errors="coerce").fillna(0).astype("int64")
    if dtype == "float64":
        return pd.to_numeric(series, errors="coerce").astype("float64")
    if dtype == "string":
        cleaned = series.astype("object").where(series.notna(), None)
        cleaned = cleaned.map(lambda v: None if v is None or v == "" else str(v))
        return cleaned.astype("string")
    return series.astype(dtype)


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    if value is None:
        return False
    try:
        if pd.isna(value):
            return False
    except (TypeError, ValueError):
        pass
    return bool(value)
