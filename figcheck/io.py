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
from typing import Any, Callable

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

    Missing parent folders are created.
    """
    suffix = table_format(path)
    data = _parquet_bytes(frame) if suffix == ".parquet" else to_text(frame, suffix).encode("utf-8")
    _write_atomically(Path(path), data)


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
    columns = [str(name) for name in frame.columns]
    series = [frame.iloc[:, position] for position in range(len(columns))]
    converted = [_values(column) for column in series]
    if fmt == ".csv":
        return _csv_text(columns, [_csv_fields(column, values)
                                   for column, values in zip(series, converted)], len(frame))
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

def _values(series: pd.Series) -> list[Any]:
    """One column's values as plain str, int, float, bool or None (see :func:`_converter`).

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
    convert = _converter(series)
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


def _csv_text(columns: list[str], fields: list[list[Any]], n_rows: int) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    if columns:
        writer.writerows(zip(*fields))
    else:
        writer.writerows([] for _ in range(n_rows))
    return buffer.getvalue()


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
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private; give it the mode a plain open() would.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
