"""Readers and writer for the canonical benchmark CSVs (nb201/nb201.csv, nb101/nb101.csv)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from narank.atomic import atomic_write_bytes
from narank.benchmarks.table import BenchmarkTable, first_bad_accuracy, is_accuracy_column
from narank.errors import DataFileError
from narank.spaces.nb201 import DATASETS

NB201_DATASETS = DATASETS
NB201_COLUMNS = ("index", "arch_str") + tuple(
    f"{d}_{m}" for d in NB201_DATASETS for m in ("valid_acc", "test_acc", "params_M", "flops_M")
)
NB101_COLUMNS = ("hash", "adjacency", "ops", "cifar10_valid_acc", "params_M")
NB201_ROWS = 15625
_STR_COLUMNS = {"arch_str": str, "hash": str, "adjacency": str, "ops": str}
_FIX = "re-download the file, or re-create it with `narank convert`"


def _read(path: Path, required: Iterable[str]) -> pd.DataFrame:
    """Read a CSV with pandas, turning parse failures and missing columns into DataFileError."""
    if not path.is_file():
        raise DataFileError(f"{path}: file not found")
    try:
        df = pd.read_csv(path, dtype=_STR_COLUMNS, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DataFileError(f"{path}: not a readable CSV ({msg}); {_FIX}") from exc
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataFileError(
            f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(df.columns)}); "
            f"{_FIX}"
        )
    return df


def _check_numeric(df: pd.DataFrame, path: Path, columns: Iterable[str], required: set) -> None:
    """Convert `columns` to numbers in place; name file, line and column of the first bad value."""
    for col in columns:
        raw = df[col]
        if pd.api.types.is_bool_dtype(raw):
            continue
        values = raw if pd.api.types.is_numeric_dtype(raw) else pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & raw.notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataFileError(
                f"{path}: line {i + 2}, column {col!r}: {raw.iloc[i]!r} is not a number; {_FIX}"
            )
        infinite = np.isinf(values.to_numpy(dtype=np.float64, na_value=np.nan))
        if infinite.any():
            i = int(np.flatnonzero(infinite)[0])
            raise DataFileError(
                f"{path}: line {i + 2}, column {col!r}: '{raw.iloc[i]}' is not a finite number "
                f"(a row with it would be dropped from training and evaluation); leave the cell "
                f"empty if the value is unknown, or {_FIX}"
            )
        if col in required and values.isna().any():
            i = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise DataFileError(
                f"{path}: line {i + 2}, column {col!r}: missing value (the file looks truncated "
                f"or damaged); {_FIX}"
            )
        if is_accuracy_column(col):
            bad_acc = first_bad_accuracy(values.to_numpy(dtype=np.float64, na_value=np.nan))
            if bad_acc is not None:
                raise DataFileError(
                    f"{path}: line {bad_acc + 2}, column {col!r}: {raw.iloc[bad_acc]} is not an accuracy "
                    f"in percent (0..100); {_FIX}"
                )
        df[col] = values.astype(np.float64) if col != "index" else values


def _check_strings(df: pd.DataFrame, path: Path, columns: Iterable[str]) -> None:
    for col in columns:
        missing = df[col].isna().to_numpy()
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise DataFileError(
                f"{path}: line {i + 2}, column {col!r}: missing value (the file looks truncated "
                f"or damaged); {_FIX}"
            )


def read_nb201_csv(path: str | os.PathLike) -> BenchmarkTable:
    """Read and validate an NB201 table (all 15,625 cells in official index order)."""
    from narank.spaces.nb201 import all_cells

    path = Path(path)
    df = _read(path, NB201_COLUMNS)
    _check_strings(df, path, ["arch_str"])
    numeric = [c for c in df.columns if c != "arch_str"]
    _check_numeric(df, path, numeric, set(NB201_COLUMNS))
    if len(df) != NB201_ROWS:
        raise DataFileError(
            f"{path}: has {len(df):,} data rows, expected {NB201_ROWS:,} (one per NB201 cell); "
            f"the file is truncated or incomplete; {_FIX}"
        )
    index = df["index"].to_numpy()
    if not np.array_equal(index, np.arange(NB201_ROWS)):
        i = int(np.flatnonzero(index != np.arange(NB201_ROWS))[0])
        raise DataFileError(
            f"{path}: line {i + 2}, column 'index': expected {i}, got {df['index'].iloc[i]} "
            f"(rows must be in official index order 0..{NB201_ROWS - 1}); {_FIX}"
        )
    official = np.array([c.arch_str for c in all_cells()], dtype=object)
    wrong = df["arch_str"].to_numpy(dtype=object) != official
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise DataFileError(
            f"{path}: line {i + 2}, column 'arch_str': {df['arch_str'].iloc[i]!r} is not the "
            f"cell with official index {i} ({official[i]}); {_FIX}"
        )
    df["index"] = df["index"].astype(np.int64)
    df.index = pd.Index([str(i) for i in range(NB201_ROWS)], name="id")
    return BenchmarkTable("nb201", df, source=path)


def _nb101_frame(path: Path) -> pd.DataFrame:
    df = _read(path, NB101_COLUMNS)
    _check_strings(df, path, ["hash", "adjacency", "ops"])
    bad = ~df["hash"].str.fullmatch(r"[0-9a-f]{32}")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFileError(
            f"{path}: line {i + 2}, column 'hash': {df['hash'].iloc[i]!r} is not a 32-hex "
            f"NB101 module hash; {_FIX}"
        )
    dup = df["hash"].duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise DataFileError(f"{path}: line {i + 2}: hash {df['hash'].iloc[i]} repeats; {_FIX}")
    numeric = [c for c in df.columns if c not in ("hash", "adjacency", "ops", "official_vertex_order")]
    _check_numeric(df, path, numeric, set(NB101_COLUMNS))
    if len(df) == 0:
        raise DataFileError(f"{path}: has no data rows; {_FIX}")
    df.index = pd.Index(df["hash"].to_numpy(), name="id")
    return df


def read_nb101_csv(
    path: str | os.PathLike, extra: Iterable[str | os.PathLike] = ()
) -> BenchmarkTable:
    """Read and validate an NB101 table; rows of `extra` tables are added for new hashes only."""
    path = Path(path)
    df = _nb101_frame(path)
    for other in extra:
        more = _nb101_frame(Path(other))
        df = pd.concat([df, more[~more.index.isin(df.index)]])
    return BenchmarkTable("nb101", df, source=path)


def write_csv_atomic(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write `df` (without its index) to `path` atomically: temp file, then rename."""
    path = Path(path)
    text = df.to_csv(index=False).encode()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, text)
    except OSError as exc:
        raise DataFileError(
            f"{path}: cannot write here ({exc.strerror}); choose another place with --out"
        ) from exc
    return path
