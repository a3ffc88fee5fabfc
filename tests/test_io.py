"""Writing and reading tables: formats, round trips, determinism and atomic writes."""
from __future__ import annotations

import datetime as dt
import doctest
import json
import os

import pandas as pd
import pytest

from figcheck import io, schema

TEXT_FORMATS = [".csv", ".jsonl", ".json"]
ALL_FORMATS = TEXT_FORMATS + [".parquet"]


def needs_pyarrow(fmt: str) -> None:
    if fmt == ".parquet":
        pytest.importorskip("pyarrow")


@pytest.fixture
def claims() -> pd.DataFrame:
    """A claims table whose rows are deliberately not in any sorted order."""
    return schema.conform(pd.DataFrame({
        "claim_id": ["c-9", "c-1", "c-5"],
        "doc": ["b.txt", "a.txt", "a.txt"],
        "source": ["Valley Radio", None, "Harbour Gazette"],
        "published": [dt.date(2024, 10, 22), None, dt.date(2023, 9, 18)],
        "published_inferred": [False, False, True],
        "text": ["nearly 11,000 soldiers", 'about 1.5 million "people"', "several thousand"],
        "start": [17, 0, 204],
        "end": [39, 26, 220],
        "sentence": ["Officials said nearly 11,000 soldiers,\nin two columns, arrived.", None, "x"],
        "value": [11000.0, 1500000.0, None],
        "low": [None, None, 2000.0],
        "high": [11000.0, None, 9999.0],
        "qualifier": ["nearly", "about", "several"],
        "unit": ["soldiers", "people", "soldiers"],
        "entity": ["north korean", None, "caf\u00e9 \u201cowners\u201d"],
        "as_of": [dt.date(2024, 10, 17), None, dt.date(2023, 9, 18)],
        "as_of_from": ["text", None, "published"],
        "hedged": [True, False, False],
        "quantity": ["dprk troops in russia", None, "troops"],
    }))


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_round_trip(tmp_path, claims, fmt):
    needs_pyarrow(fmt)
    path = tmp_path / f"claims{fmt}"
    io.write_table(claims, path)
    pd.testing.assert_frame_equal(io.read_table(path), claims)


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_round_trip_of_an_empty_table(tmp_path, fmt):
    needs_pyarrow(fmt)
    path = tmp_path / f"claims{fmt}"
    empty = schema.empty(schema.CLAIMS)
    io.write_table(empty, path)
    pd.testing.assert_frame_equal(io.read_table(path), empty)


@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_the_same_table_gives_the_same_bytes(tmp_path, claims, fmt):
    needs_pyarrow(fmt)
    first, second = tmp_path / f"one{fmt}", tmp_path / f"two{fmt}"
    io.write_table(claims, first)
    io.write_table(claims.copy(), second)
    assert first.read_bytes() == second.read_bytes()


def test_csv_text(claims):
    lines = io.to_text(claims[["claim_id", "published", "value", "low", "hedged", "text"]]).split("\n")
    assert lines[:4] == [
        "claim_id,published,value,low,hedged,text",
        'c-9,2024-10-22,11000,,true,"nearly 11,000 soldiers"',
        'c-1,,1500000,,false,"about 1.5 million ""people"""',
        "c-5,2023-09-18,,2000,false,several thousand",
    ]


def test_jsonl_text(claims):
    first = json.loads(io.to_text(claims, ".jsonl").splitlines()[0])
    assert first["published"] == "2024-10-22"
    assert first["value"] == 11000 and first["low"] is None
    assert first["hedged"] is True
    assert first["sentence"] == "Officials said nearly 11,000 soldiers,\nin two columns, arrived."


def test_floats_keep_their_shortest_exact_form():
    frame = pd.DataFrame({"value": [0.1, 2.5e-7, 1e21, 3.0, float("nan")], "n": range(5)})
    assert io.to_text(frame).splitlines()[1:] == [
        "0.1,0", "2.5e-07,1", "1000000000000000000000,2", "3,3", ",4"]


def test_a_column_with_times_keeps_them():
    frame = pd.DataFrame({"seen": pd.to_datetime(["2024-10-22 08:15:00", None]), "n": [1, 2]})
    assert io.to_text(frame).splitlines()[1:] == ["2024-10-22T08:15:00,1", ",2"]


def test_rows_stay_in_the_given_order(tmp_path, claims):
    path = tmp_path / "claims.csv"
    io.write_table(claims, path)
    assert list(io.read_table(path)["claim_id"]) == ["c-9", "c-1", "c-5"]


def test_a_write_leaves_no_temporary_file(tmp_path, claims):
    path = tmp_path / "out" / "claims.csv"
    io.write_table(claims, path)
    io.write_table(claims, path)
    assert os.listdir(tmp_path / "out") == ["claims.csv"]


def test_a_failed_write_keeps_the_old_file_and_no_temporary_file(tmp_path, claims, monkeypatch):
    path = tmp_path / "claims.csv"
    path.write_text("old\n")

    def failing_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(io.os, "replace", failing_replace)
    with pytest.raises(OSError):
        io.write_table(claims, path)
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["claims.csv"]


def test_an_unknown_extension_is_refused(tmp_path, claims):
    with pytest.raises(ValueError, match=r"\.csv, \.jsonl, \.json, \.parquet"):
        io.write_table(claims, tmp_path / "claims.xlsx")
    assert os.listdir(tmp_path) == []


def test_a_discrepancies_table_reads_with_its_own_columns(tmp_path):
    frame = schema.conform(pd.DataFrame({
        "quantity": ["troops"], "claim_a": ["c-1"], "claim_b": ["c-2"], "kind": ["over_time"],
        "gap": [0.1], "as_of_a": [dt.date(2024, 10, 17)], "hedged": [False],
    }), schema.DISCREPANCIES)
    path = tmp_path / "discrepancies.csv"
    io.write_table(frame, path)
    pd.testing.assert_frame_equal(io.read_table(path, schema.DISCREPANCIES), frame)


def test_a_table_written_elsewhere_is_conformed(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text("doc,value,hedged,published,note\na.txt,11000.0,True,2024-10-22T00:00:00,mine\n")
    frame = io.read_table(path)
    assert list(frame.columns) == schema.names(schema.CLAIMS) + ["note"]
    assert frame.loc[0, "value"] == 11000.0
    assert bool(frame.loc[0, "hedged"]) is True
    assert frame.loc[0, "published"] == pd.Timestamp("2024-10-22")


def test_json_records_wrapped_in_an_object(tmp_path):
    path = tmp_path / "claims.json"
    path.write_text(json.dumps({"claims": [{"doc": "a.txt", "value": 5}]}))
    assert io.read_table(path).loc[0, "doc"] == "a.txt"


def test_doctests():
    assert doctest.testmod(io).failed == 0


def _csv_by_the_csv_module(frame: pd.DataFrame) -> bytes:
    """The CSV path that every frame can take: csv.writer over the plain values."""
    series = [frame.iloc[:, position] for position in range(frame.shape[1])]
    fields = [io._csv_fields(column, io._values(column)) for column in series]
    return io._csv_text([str(name) for name in frame.columns], fields, len(frame)).encode("utf-8")


def _varied_table(claims: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` rows of claims with texts, floats and dates of every kind csv writes apart."""
    import random

    rng = random.Random(6)
    pieces = ["a", ",", '"', '""', "\n", "\r", "\r\n", " ", "\t", "é", "\u2028", "\x85", "\x00",
              "'", "11,000", "–"]

    def text():
        if rng.random() < 0.1:
            return None
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 5)))

    floats = [float("nan"), 1.5, 1e21, 2.0**53, 2.0**53 + 2, -0.0, 3.0, 0.1 + 0.2, 2.5e-7,
              float("inf"), -float("inf"), -11000.0, 9007199254740993.0]
    days = ["2024-10-22", None, "1999-12-31", "1000-01-01", "9999-12-31"]
    frame = schema.conform(pd.concat([claims] * (n // len(claims) + 1), ignore_index=True).head(n))
    frame["text"] = pd.array([text() for _ in range(n)], dtype="string")
    frame["sentence"] = pd.array([text() for _ in range(n)], dtype="string")
    frame["value"] = [rng.choice(floats) for _ in range(n)]
    frame["high"] = [rng.choice(floats) for _ in range(n)]
    frame["start"] = [rng.randint(-10**15, 10**15) for _ in range(n)]
    frame["as_of"] = pd.to_datetime([rng.choice(days) for _ in range(n)]).astype("datetime64[s]")
    frame["hedged"] = [rng.random() < 0.5 for _ in range(n)]
    return pd.concat([frame.iloc[:n // 3], frame.iloc[n // 3:]], ignore_index=True)  # chunked


def test_a_large_table_is_written_by_arrow_as_the_csv_module_writes_it(claims):
    pytest.importorskip("pyarrow")
    frame = _varied_table(claims, io.ARROW_CSV_ROWS + 500)
    assert io._arrow_csv(frame) is not None  # the Arrow path is the one compared
    assert io._csv_bytes(frame) == _csv_by_the_csv_module(frame)
    assert io.to_text(frame) == _csv_by_the_csv_module(frame).decode("utf-8")


def test_a_table_written_in_slices_reads_as_one_written_whole(claims, tmp_path, monkeypatch):
    """Slices of rows made by Arrow, and a last one too short for it made by csv, join
    into the bytes csv writes of the whole table, in the file as in memory."""
    pytest.importorskip("pyarrow")
    monkeypatch.setattr(io, "CSV_SLICE_ROWS", io.ARROW_CSV_ROWS + 100)
    frame = _varied_table(claims, 2 * io.CSV_SLICE_ROWS + 7)
    pieces = list(io._csv_pieces(frame))
    assert len(pieces) == 1 + 3  # the header and three slices
    whole = _csv_by_the_csv_module(frame)
    assert b"".join(pieces) == whole
    io.write_table(frame, tmp_path / "claims.csv")
    assert (tmp_path / "claims.csv").read_bytes() == whole
    assert [p.name for p in tmp_path.iterdir()] == ["claims.csv"]  # no temporary file left


@pytest.mark.parametrize("columns", [["claim_id", "seen"], ["seen"]], ids=["arrow", "csv"])
def test_a_column_of_dates_with_one_time_of_day_is_written_as_times_in_every_slice(
        claims, monkeypatch, columns):
    """Whether a date column is written as days or as times is the whole column's choice:
    a time of day in the last slice alone makes every slice write times."""
    monkeypatch.setattr(io, "CSV_SLICE_ROWS", io.ARROW_CSV_ROWS + 100)
    n = 2 * io.CSV_SLICE_ROWS + 7
    large = pd.concat([claims] * (n // len(claims) + 1), ignore_index=True).head(n)
    seen = pd.Series(pd.Timestamp("2024-10-22"), index=large.index)
    seen.iloc[-1] = pd.Timestamp("2024-10-23 08:15:00")
    frame = large.assign(seen=seen)[columns]
    lines = io._csv_bytes(frame).decode("utf-8").splitlines()
    assert lines[1].endswith("2024-10-22T00:00:00") and lines[-1].endswith("2024-10-23T08:15:00")
    assert io._csv_bytes(frame) == _csv_by_the_csv_module(frame)


def test_a_table_that_fails_midway_leaves_no_file(claims, tmp_path, monkeypatch):
    def header_then_error(frame):
        yield b"claim_id\n"
        raise OSError("disk full")

    monkeypatch.setattr(io, "_csv_pieces", header_then_error)
    with pytest.raises(OSError, match="disk full"):
        io.write_table(claims, tmp_path / "claims.csv")
    assert not list(tmp_path.iterdir())


def test_a_staged_table_is_in_place_only_once_committed(claims, tmp_path):
    path = tmp_path / "claims.csv"
    path.write_bytes(b"the previous table\n")
    with io.staged_table(claims, path) as staged:
        assert path.read_bytes() == b"the previous table\n"
        staged.commit()
    assert path.read_bytes() == io._csv_bytes(claims)
    with pytest.raises(RuntimeError, match="on the way"):
        with io.staged_table(claims.head(1), path):
            raise RuntimeError("an error on the way: never committed")
    assert path.read_bytes() == io._csv_bytes(claims)
    assert [p.name for p in tmp_path.iterdir()] == ["claims.csv"]
    with pytest.raises(RuntimeError, match="already committed"):
        staged.commit()


def test_tables_arrow_does_not_write_take_the_csv_module(claims):
    n = io.ARROW_CSV_ROWS + 1
    large = pd.concat([claims] * (n // len(claims) + 1), ignore_index=True).head(n)
    times = large[["claim_id"]].assign(seen=pd.Timestamp("2024-10-22 08:15:00"))
    objects = large[["claim_id"]].assign(extra=[["a list"]] * n)
    for frame in (times, objects, large[["text"]], large.head(io.ARROW_CSV_ROWS - 1)):
        assert io._arrow_csv(frame) is None
        assert io._csv_bytes(frame) == _csv_by_the_csv_module(frame)


def test_records_become_the_frame_conform_makes_of_them():
    """The extractor's fast constructor agrees with conforming a plain frame, cell for cell,
    on every kind of value a record holds (dates at the ends of the calendar included)."""
    records = [
        {"claim_id": "a", "doc": "x.txt", "published": dt.date(2024, 10, 22), "value": 11000.0,
         "published_inferred": True, "start": 3, "as_of": dt.date(1, 1, 1), "hedged": False,
         "entity": ""},
        {"claim_id": "b", "doc": "y.txt", "published": None, "value": None, "start": None,
         "as_of": dt.date(9999, 12, 31), "hedged": True, "attributed_to": "NIS"},
        {"claim_id": "c", "doc": "z.txt", "published": dt.date(1969, 12, 31), "low": 1.5},
    ]
    fast = schema.from_records(records)
    pd.testing.assert_frame_equal(fast, schema.conform(pd.DataFrame(records)))
    assert fast["published"].isna().tolist() == [False, True, False]
    assert fast["as_of"].iloc[1] == pd.Timestamp("9999-12-31")
    # Records that have every column (as the extractor's rows do) take a faster path.
    complete = [{name: record.get(name) for name in schema.names(schema.CLAIMS)}
                for record in records]
    complete[0]["extra"] = "not a column"
    pd.testing.assert_frame_equal(schema.from_records(complete), fast)
    assert schema.from_records(complete[:1]).loc[0, "claim_id"] == "a"
    pd.testing.assert_frame_equal(schema.from_records([]), schema.conform(pd.DataFrame()))
