"""Find and load a space's benchmark table: explicit path, else $NARANK_DATA, else ./data.

The space says which files it reads (`SearchSpace.table_files`, in order of preference) and
how (`SearchSpace.read_table`); this module only finds the file and caches the result.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from narank.caches import Cache
from narank.errors import DataFileError
from narank.paths import ENV_VAR, data_dir
from narank.spaces import SearchSpace, get_space

if TYPE_CHECKING:  # pragma: no cover - typing only (pandas is slow to import)
    from narank.benchmarks.table import BenchmarkTable

_CACHE: Cache[tuple, BenchmarkTable] = Cache("benchmark tables", 8)
_ANNOUNCED: set[str] = set()


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


def require_table_file(space: str | SearchSpace, path: str | os.PathLike | None = None) -> Path:
    """The table file `load_table` would read, or the DataFileError saying where to put one.

    Cheap (no file is read), so commands call it before loading models or building networks.
    """
    space = get_space(space)
    file = find_table_file(space, path)
    if file is None:
        root = data_dir(path)
        where = f"no {space.name} benchmark table under {root}"
        if path is not None and not Path(path).exists():
            where += f" ({path} does not exist)"
        raise DataFileError(
            f"{where}: put the canonical table at <data>/{space.canonical_table} (or convert the "
            f"official file with `narank convert`), where <data> is the path you pass, else "
            f"${ENV_VAR}, else ./data (see data/README.md)"
        )
    return file


def _announce(space: SearchSpace, file: Path, table: BenchmarkTable) -> None:
    """Say on stderr, once per file and process, which table file is used (and if it is partial)."""
    key = str(file.resolve())
    if key in _ANNOUNCED or os.environ.get("NARANK_QUIET_TABLES"):
        return
    _ANNOUNCED.add(key)
    note = ""
    if space.size and len(table) < space.size and file.name.endswith("_official.csv"):
        note = (f"; partial: {len(table):,} of {space.size:,} cells (converted with --allow-partial); "
                f"delete it to use {space.canonical_table}")
    others = [f.name for f in getattr(table, "read_from", ()) if f.name != file.name]
    if others:  # one file per dataset, read together (NATS-SSS from MONET): name them all
        note += f"; with {', '.join(others)} beside it"
    print(f"narank: {space.name} table {file} ({len(table):,} cells{note})", file=sys.stderr)


def load_table(space: str | SearchSpace, path: str | os.PathLike | None = None) -> BenchmarkTable:
    """The benchmark table of `space`; `path` is a table file or a data folder (cached).

    The first load of a file says on stderr which file it is (set NARANK_QUIET_TABLES=1 to silence).
    """
    space = get_space(space)
    file = require_table_file(space, path)
    stat = file.stat()
    key = (space.name, str(file.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _CACHE:
        _CACHE[key] = read_table_file(space, file)
    _announce(space, file, _CACHE[key])
    return _CACHE[key]
