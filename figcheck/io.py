"""Write and read figcheck tables as ``.csv``, ``.jsonl``, ``.json`` (records) or ``.parquet``.

Output is deterministic: the same frame gives the same bytes, rows stay in the given order,
dates are written ``YYYY-MM-DD``, whole floats as integers (``11000``) and other floats in
their shortest exact form (``1.5``), booleans as ``true``/``false``, missing values as an
empty CSV field or JSON ``null``. Files are written atomically: to a temporary file in the
same folder, then renamed over the target, so a reader never sees half a table.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from figcheck import schema

TEXT_FORMATS = (".csv", ".jsonl", ".json")
FORMATS = TEXT_FORMATS + (".parquet",)


def table_format(path: str | os.PathLike) -> str:
    """The format of ``path`` from its extension, or ``ValueError`` naming the ones known.

    >>> table_format("reports/claims.CSV")
    '.csv'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot tell the table format of {os.fspath(path)!r}: "
                         f"use one of {', '.join(FORMATS)}")
    return suffix


def write_table(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``frame`` to ``path`` in the format its extension names, atomically.

    Missing parent folders are created. A CSV is written a slice of rows at a time, so
    that writing it holds no more than a slice's text beside the table.
    """
    with staged_table(frame, path) as staged:
        staged.commit()


class StagedFile:
    """A file written in full under a temporary name beside ``path``, put in its place by
    :meth:`commit`; left uncommitted (an error on the way), the temporary file is removed
    when the ``with`` block ends.

    Writing and committing are apart so that a file can be made in one thread while
    another makes the files to be written before it.
    """

    def __init__(self, path: Path, pieces: Iterable[bytes]):
        self.path = path
        self._temporary: str | None = _write_temporary(path, pieces)

    def commit(self) -> None:
        if self._temporary is None:
            raise RuntimeError(f"{self.path}: already committed or discarded")
        temporary, self._temporary = self._temporary, None
        try:
            os.replace(temporary, self.path)
        except BaseException:
            _remove(temporary)
            raise

    def discard(self) -> None:
        if self._temporary is not None:
            _remove(self._temporary)
            self._temporary = None

    def __enter__(self) -> "StagedFile":
        return self

    def __exit__(self, *exc_info) -> None:
        self.discard()


def staged_table(frame: pd.DataFrame, path: str | os.PathLike) -> StagedFile:
    """``frame`` written as :func:`write_table` writes it, not yet in ``path``'s place."""
    fmt = table_format(path)
    pieces = _csv_pieces(frame) if fmt == ".csv" else [table_bytes(frame, fmt)]
    return StagedFile(Path(path), pieces)


def table_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    """What :func:`write_table` writes of ``frame`` in the format ``fmt`` (``.csv``...)."""
    if fmt == ".parquet":
        return _parquet_bytes(frame)
    if fmt == ".csv":
        return _csv_bytes(frame)
    return to_text(frame, fmt).encode("utf-8")


def write_file(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, as :func:`write_table` does; parents are created."""
    _write_atomically(Path(path), data)


def to_text(frame: pd.DataFrame, fmt: str = ".csv") -> str:
    """The table as ``.csv``, ``.jsonl`` or ``.json`` text, as :func:`write_table` writes it.

    >>> frame = pd.DataFrame({"value": [11000.0, 1.5, None], "hedged": [True, False, True]})
    >>> print(to_text(frame, ".csv"), end="")
    value,hedged
    11000,true
    1.5,false
    ,true
    """
    fmt = fmt if fmt.startswith(".") else "." + fmt
    if fmt == ".csv":
        return _csv_bytes(frame).decode("utf-8")
    columns = [str(name) for name in frame.columns]
    series = [frame.iloc[:, position] for position in range(len(columns))]
    converted = [_values(column) for column in series]
    rows = [list(row) for row in zip(*converted)] if columns else [[] for _ in range(len(frame))]
    if fmt in (".jsonl", ".json"):
        records = [json.dumps(dict(zip(columns, row)), ensure_ascii=False) for row in rows]
        if fmt == ".jsonl":
            return "".join(record + "\n" for record in records)
        return "[\n" + ",\n".join(records) + "\n]\n" if records else "[]\n"
    raise ValueError(f"not a text table format: {fmt!r} (use one of {', '.join(TEXT_FORMATS)})")


def read_table(path: str | os.PathLike,
               columns: tuple[schema.Column, ...] = schema.CLAIMS) -> pd.DataFrame:
    """Read a table that :func:`write_table` (or another tool) wrote, conformed to ``columns``.

    ``columns`` is :data:`figcheck.schema.CLAIMS` by default; pass
    :data:`figcheck.schema.DISCREPANCIES` for a discrepancies table. Columns beyond the
    declared ones are kept, as text.
    """
    suffix = table_format(path)
    if suffix == ".parquet":
        frame = pd.read_parquet(path, engine=_pyarrow_engine("read"))
    elif suffix == ".csv":
        # Everything as text first, so that conform, not CSV type guessing, sets the dtypes.
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    else:
        with open(path, encoding="utf-8") as handle:
            if suffix == ".jsonl":
                records = [json.loads(line) for line in handle if line.strip()]
            else:
                loaded = json.load(handle)
                records = loaded if isinstance(loaded, list) else (
                    loaded.get("claims") or loaded.get("records") or [])
        frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    return schema.conform(frame, columns)


# --- values --------------------------------------------------------------------------------

def _values(series: pd.Series, convert: Callable[[Any], Any] | None = None) -> list[Any]:
    """One column's values as plain str, int, float, bool or None (see :func:`_converter`;
    ``convert`` is what it gives for the whole column, when ``series`` is a slice of it).

    The declared dtypes take a fast path, one comprehension per column; the values are
    those :func:`_converter` gives, so the bytes written do not depend on the path.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        return [value if isinstance(value, str) else None for value in series.tolist()]
    if dtype == "bool" or (dtype.kind in "iu" and not isinstance(dtype, pd.api.extensions.ExtensionDtype)):
        return series.tolist()
    if dtype == "float64":
        return [None if value != value else int(value) if value.is_integer() else value
                for value in series.tolist()]
    convert = convert or _converter(series)
    if convert is _date_text:
        days = np.datetime_as_string(series.to_numpy(dtype="datetime64[D]"), unit="D").tolist()
        return [None if day == "NaT" else day for day in days]
    return [convert(value) for value in series.tolist()]


def _converter(series: pd.Series) -> Callable[[Any], Any]:
    """How to write one column's values: plain str, int, float, bool or None."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = series.dropna()
        dates_only = bool((stamps == stamps.dt.normalize()).all())
        return _date_text if dates_only else _timestamp_text
    return _plain_value


def _date_text(value: Any) -> str | None:
    return None if pd.isna(value) else value.strftime("%Y-%m-%d")


def _timestamp_text(value: Any) -> str | None:
    return None if pd.isna(value) else value.isoformat()


def _plain_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalars to Python ones
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isfinite(value) and value.is_integer():
            return int(value)
        return value
    if isinstance(value, (int, str, bool)):
        return value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()  # datetime.date in an object column
    return str(value)


def _csv_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # shortest text that reads back as the same float
    return str(value)


def _csv_fields(series: pd.Series, values: list[Any]) -> list[Any]:
    """A column's values as the CSV writes them: csv writes str, int and None ("") as
    :func:`_csv_field` would, so only bools and floats are turned into text first."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype) or (dtype.kind in "iuM" and not isinstance(
            dtype, pd.api.extensions.ExtensionDtype)):
        return values
    if dtype == "bool":
        return ["true" if value else "false" for value in values]
    return [_csv_field(value) for value in values]


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV text of ``frame``, UTF-8 (:func:`_csv_pieces` joined)."""
    return b"".join(_csv_pieces(frame))


#: Rows of a table made into CSV text at a time: a few megabytes of text.
CSV_SLICE_ROWS = 8_192


def _csv_pieces(frame: pd.DataFrame) -> Iterator[bytes]:
    """The CSV text of ``frame``, UTF-8, in pieces: the header, then slices of
    :data:`CSV_SLICE_ROWS` rows, each made by Arrow when every column has a dtype it can
    write as :mod:`csv` does (:func:`_arrow_csv`), else by :mod:`csv` itself."""
    columns = [str(name) for name in frame.columns]
    yield _csv_text(columns, [], 0).encode("utf-8")
    # How a column is written (a date column as dates, or as times when one value has a
    # time of day) is decided by the whole column, not by each slice.
    converters = [_converter(frame.iloc[:, position]) for position in range(len(columns))]
    for begin in range(0, len(frame), CSV_SLICE_ROWS):
        part = frame.iloc[begin:begin + CSV_SLICE_ROWS]
        piece = _arrow_csv(part, converters)
        if piece is None:
            fields = [_csv_fields(part.iloc[:, position], _values(part.iloc[:, position], convert))
                      for position, convert in enumerate(converters)]
            piece = _csv_text(columns, fields, len(part), header=False).encode("utf-8")
        yield piece


def _csv_text(columns: list[str], fields: list[list[Any]], n_rows: int, *,
              header: bool = True) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(columns)
    if columns:
        writer.writerows(zip(*fields))
    else:
        writer.writerows([] for _ in range(n_rows))
    return buffer.getvalue()


# --- CSV by Arrow -------------------------------------------------------------------------

#: Rows of a table above which the CSV is made by Arrow (below it, :mod:`csv` is as quick).
ARROW_CSV_ROWS = 2_000


def _arrow_csv(frame: pd.DataFrame,
               converters: list[Callable[[Any], Any]] | None = None) -> bytes | None:
    """The bytes :mod:`csv` writes for the rows of ``frame`` (through :func:`_values`, with
    ``converters`` when given; the header not included), made column by column by Arrow's
    compute functions, or None when a column's dtype is not one of those handled here:
    Arrow-backed strings, int64, float64, bool and datetime64 holding dates only (of years
    1000 to 9999). A table of one column (where csv quotes an empty row) or of few rows
    takes the csv path too.

    Strings are quoted as csv's ``QUOTE_MINIMAL`` quotes them, which this Python's csv
    module is asked once (:func:`_csv_quoted_characters`); floats are written by Python
    (whole ones as integers, others by ``repr``), as :func:`_csv_field` writes them.
    """
    if len(frame) < ARROW_CSV_ROWS or frame.shape[1] < 2:
        return None
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return None
    fields = []
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        convert = converters[position] if converters else _converter(series)
        field = _arrow_field(series, pa, pc, convert)
        if field is None:
            return None
        fields.append(field)
    def text(value: str):
        return pa.scalar(value, pa.large_string())

    rows = pc.binary_join_element_wise(*fields, text(","))
    del fields
    rows = pc.binary_join_element_wise(rows, text(""), text("\n"))  # each row and its line end
    pieces = []
    for chunk in (rows.chunks if isinstance(rows, pa.ChunkedArray) else [rows]):
        if not len(chunk):
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)
        start, end = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
        pieces.append(memoryview(chunk.buffers()[2])[start:end])
    return b"".join(pieces)


def _arrow_field(series: pd.Series, pa, pc, convert: Callable[[Any], Any]):
    """One column as csv writes its fields (``convert``: how :func:`_values` writes its
    values), an Arrow ``large_string`` array; None when its dtype is not handled."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        values = pc.fill_null(pc.cast(series.array.__arrow_array__(), pa.large_string()), "")
        special = _csv_quoted_characters()
        needs = pc.match_substring_regex(values, "[" + "".join(_RE2_CLASS[c] for c in special) + "]")
        if not pc.any(needs).as_py():
            return values
        # Only the fields that need it are quoted, their quotes doubled.
        quote, nothing = pa.scalar('"', pa.large_string()), pa.scalar("", pa.large_string())
        quoted = pc.binary_join_element_wise(
            quote, pc.replace_substring(pc.filter(values, needs), '"', '""'), quote, nothing)
        return pc.replace_with_mask(values.combine_chunks(), needs.combine_chunks(),
                                    quoted.combine_chunks())
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return None
    if dtype == "bool":
        return pc.if_else(pa.array(series.to_numpy()), pa.scalar("true", pa.large_string()),
                          pa.scalar("false", pa.large_string()))
    if dtype == "int64":
        return pc.cast(pa.array(series.to_numpy()), pa.large_string())
    if dtype == "float64":
        values = series.to_numpy()
        # Whole floats that int64 holds exactly are written as integers by Arrow; the
        # others (and NaN, written empty) by Python, as _values and _csv_field write them.
        whole = np.isfinite(values) & (np.abs(values) < 2.0**53) & (values == np.trunc(values))
        text = pc.cast(pa.array(np.where(whole, values, 0).astype(np.int64)), pa.large_string())
        if whole.all():
            return text
        rest = [_csv_field(None if value != value else int(value) if value.is_integer() else value)
                for value in values[~whole].tolist()]
        return pc.replace_with_mask(text, pa.array(~whole), pa.array(rest, type=pa.large_string()))
    if dtype.kind == "M" and convert is _date_text:
        days = series.to_numpy(dtype="datetime64[D]")
        known = days[~np.isnat(days)]
        if len(known) and not (np.datetime64("1000-01-01") <= known.min()
                               and known.max() <= np.datetime64("9999-12-31")):
            return None
        text = pc.cast(pa.array(days, type=pa.date32()), pa.large_string())
        return pc.fill_null(text, "")
    return None


_QUOTED: str | None = None
#: Each character csv may quote for, as it stands in a character class of RE2 (Arrow's).
_RE2_CLASS = {",": ",", '"': '"', "\n": "\\n", "\r": "\\r"}


def _csv_quoted_characters() -> str:
    """The characters for which this Python's csv writer (``QUOTE_MINIMAL``, line end
    ``\\n``) quotes a field: the comma, the quote and the line end, and the carriage
    return in the Pythons that quote it too."""
    global _QUOTED
    if _QUOTED is None:
        found = ""
        for character in ',"\n\r':
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerow(["a" + character, "b"])
            if buffer.getvalue().startswith('"'):
                found += character
        _QUOTED = found
    return _QUOTED


# --- parquet -------------------------------------------------------------------------------

def _pyarrow_engine(action: str) -> str:
    try:
        import pyarrow  # noqa: F401  (only checks that it is there)
    except ImportError:
        raise ImportError(f"to {action} .parquet tables, install pyarrow: "
                          "pip install 'figcheck[parquet]'") from None
    return "pyarrow"


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    _pyarrow_engine("write")
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    # Date columns as Parquet dates, as the text formats write them without a time.
    for position, name in enumerate(frame.columns):
        if _converter(frame.iloc[:, position]) is _date_text:
            table = table.set_column(position, str(name), table.column(position).cast(pa.date32()))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


# --- files ---------------------------------------------------------------------------------

def _write_atomically(path: Path, data: bytes) -> None:
    with StagedFile(path, [data]) as staged:
        staged.commit()


def _write_temporary(path: Path, pieces: Iterable[bytes]) -> str:
    """``pieces`` written to a new temporary file beside ``path``; its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            for piece in pieces:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private; give it the mode a plain open() would.
        os.chmod(temporary, 0o666 & ~_umask())
    except BaseException:
        _remove(temporary)
        raise
    return temporary


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
