"""Find and load a space's benchmark table: explicit path, else $NARANK_DATA, else ./data."""

from __future__ import annotations

import os
from pathlib import Path

from narank.benchmarks.table import BenchmarkTable
from narank.errors import DataFileError
from narank.paths import ENV_VAR, data_dir
from narank.spaces import check_space

CANONICAL = {"nb201": "nb201/nb201.csv", "nb101": "nb101/nb101.csv"}
# Written by `narank convert` from the official files; preferred when present.
CONVERTED = {"nb201": "nb201/nb201_official.csv", "nb101": "nb101/nb101_official.csv"}
NB101_EXTRA = "nb101/nb101_naslib292.csv"

_CACHE: dict[tuple, BenchmarkTable] = {}


def converted_path(space: str, path: str | os.PathLike | None = None) -> Path:
    """Where `narank convert` writes the table converted from the official file."""
    return data_dir(path) / CONVERTED[check_space(space)]


def find_table_file(space: str, path: str | os.PathLike | None = None) -> Path | None:
    """The table file to use for `space`, or None when there is none."""
    check_space(space)
    if path is not None and Path(path).is_file():
        return Path(path)
    root = data_dir(path)
    for relative in (CONVERTED[space], CANONICAL[space]):
        if (root / relative).is_file():
            return root / relative
    return None


def read_table_file(space: str, file: str | os.PathLike, include_extra: bool = False):
    """Read one table file of `space` (CSV, NB101 .tfrecord or NB201 .pth) into a table."""
    from narank.benchmarks import csv_tables

    file = Path(file)
    suffix = file.suffix.lower()
    if suffix == ".tfrecord":
        if space != "nb101":
            raise DataFileError(f"{file}: a .tfrecord file is an NB101 benchmark, not {space}")
        from narank.benchmarks.tfrecord import read_nb101_tfrecord

        frame = read_nb101_tfrecord(file)
        frame.index = frame["hash"].to_numpy()
        frame.index.name = "id"
        return BenchmarkTable("nb101", frame, source=file)
    if suffix == ".pth":
        if space != "nb201":
            raise DataFileError(f"{file}: a .pth file is an NB201 benchmark, not {space}")
        from narank.benchmarks.nb201_pth import read_nb201_pth

        frame = read_nb201_pth(file)
        frame.index = frame["index"].astype(str).to_numpy()
        frame.index.name = "id"
        return BenchmarkTable("nb201", frame, source=file)
    if space == "nb201":
        return csv_tables.read_nb201_csv(file)
    extra = []
    if include_extra:
        candidate = file.parent.parent / NB101_EXTRA
        if candidate.is_file():
            extra.append(candidate)
    return csv_tables.read_nb101_csv(file, extra=extra)


def load_table(
    space: str, path: str | os.PathLike | None = None, include_extra: bool = False
) -> BenchmarkTable:
    """The benchmark table of `space`; `path` is a table file or a data folder (cached)."""
    file = find_table_file(space, path)
    if file is None:
        root = data_dir(path)
        raise DataFileError(
            f"no {space} benchmark table under {root}: put the canonical table at "
            f"<data>/{CANONICAL[space]} (or convert the official file with `narank convert`), "
            f"where <data> is the path you pass, else ${ENV_VAR}, else ./data"
        )
    stat = file.stat()
    key = (space, str(file.resolve()), stat.st_mtime_ns, stat.st_size, include_extra)
    if key not in _CACHE:
        _CACHE[key] = read_table_file(space, file, include_extra=include_extra)
    return _CACHE[key]
