"""Find and load a space's benchmark table: explicit path, else $NARANK_DATA, else ./data.

The space says which files it reads (`SearchSpace.table_files`, in order of preference) and
how (`SearchSpace.read_table`); this module only finds the file and caches the result.
"""

from __future__ import annotations

import os
from pathlib import Path

from narank.benchmarks.table import BenchmarkTable
from narank.errors import DataFileError
from narank.paths import ENV_VAR, data_dir
from narank.spaces import SearchSpace, get_space

_CACHE: dict[tuple, BenchmarkTable] = {}


def converted_path(space: str | SearchSpace, path: str | os.PathLike | None = None) -> Path:
    """Where `narank convert` writes the table converted from the official file."""
    return data_dir(path) / get_space(space).table_files[0]


def find_table_file(space: str | SearchSpace, path: str | os.PathLike | None = None) -> Path | None:
    """The table file to use for `space`, or None when there is none."""
    space = get_space(space)
    if path is not None and Path(path).is_file():
        return Path(path)
    root = data_dir(path)
    for relative in space.table_files:
        if (root / relative).is_file():
            return root / relative
    return None


def read_table_file(space: str | SearchSpace, file: str | os.PathLike) -> BenchmarkTable:
    """Read one table file of `space` (its CSV or an official file format) into a table."""
    return get_space(space).read_table(Path(file))


def load_table(space: str | SearchSpace, path: str | os.PathLike | None = None) -> BenchmarkTable:
    """The benchmark table of `space`; `path` is a table file or a data folder (cached)."""
    space = get_space(space)
    file = find_table_file(space, path)
    if file is None:
        root = data_dir(path)
        raise DataFileError(
            f"no {space.name} benchmark table under {root}: put the canonical table at "
            f"<data>/{space.canonical_table} (or convert the official file with `narank convert`), "
            f"where <data> is the path you pass, else ${ENV_VAR}, else ./data"
        )
    stat = file.stat()
    key = (space.name, str(file.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _CACHE:
        _CACHE[key] = read_table_file(space, file)
    return _CACHE[key]
