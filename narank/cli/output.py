"""Result tables of `narank rank --out` and `narank search --out`: CSV, Parquet or JSON by the file's
extension, written atomically (a killed write leaves the old file or none, never half of one)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from narank.errors import DataFileError, NarankError

FORMATS = (".csv", ".parquet", ".json")


def check_table_path(path: str, what: str, flag: str = "--out") -> str:
    """The output format ('.csv', '.parquet', '.json') of `path`; refuses any other extension and an
    unwritable path before the work starts."""
    from narank.checkpoint import check_output_path

    check_output_path(path, what, flag)  # first: a folder is refused as a folder
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise NarankError(f"{flag} {path}: cannot tell the format from {suffix or 'no extension'!r}; "
                          "end the file name with .csv, .parquet or .json")
    return suffix


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: numpy scalars as Python ones, NaN and inf as None."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and not math.isfinite(value) else value


def write_columns(path: str, columns: dict[str, Sequence[Any]]) -> Path:
    """Write equal-length columns as one table in the format of `path`'s extension, atomically."""
    import numpy as np

    from narank.atomic import atomic_write_bytes
    from narank.store import write_table

    suffix = check_table_path(path, "table")
    if suffix == ".parquet":
        return write_table(path, **columns)
    names = list(columns)
    rows = zip(*(np.asarray(columns[k], dtype=object) for k in names))
    if suffix == ".csv":
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerow(names)
        writer.writerows([_plain(v) for v in row] for row in rows)  # None is written as an empty cell
        data = text.getvalue().encode()
    else:
        records = [dict(zip(names, (_plain(v) for v in row))) for row in rows]
        data = (json.dumps(records, allow_nan=False) + "\n").encode()
    try:
        return atomic_write_bytes(path, data)
    except OSError as exc:
        raise DataFileError(f"{path}: cannot write ({exc.strerror or exc}); "
                            "choose another --out path") from exc
