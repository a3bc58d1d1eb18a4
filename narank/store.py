"""Columnar result store: one Parquet dataset (a folder of part files) per space/proxy/settings.

Rows are keyed by the space's canonical id. Each `append` writes one new part file (temp file,
fsync, rename), so a killed writer loses only its unwritten rows and two writers never touch
the same file; readers see whole parts only and keep the first row of a repeated id.
`compact` merges parts into one without ever deleting a row before it is stored again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from narank.atomic import atomic_write, atomic_write_bytes
from narank.errors import DataFileError, NarankError
from narank.paths import cache_dir

PART_GLOB = "part-*.parquet"
COMPACT_AT = 32  # parts; `maybe_compact` merges beyond this


class StoreError(DataFileError):
    """A store folder or part file that cannot be written or read."""


def settings_digest(settings: dict[str, Any]) -> str:
    """Short stable digest of a settings dict (order-independent)."""
    blob = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


class ResultStore:
    """Per-cell results of one computation (e.g. NTK κ with given settings), keyed by canonical id."""

    def __init__(self, path: str | os.PathLike, meta: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.meta = dict(meta or {})
        self._memo: tuple[tuple[str, ...], dict[str, Any]] | None = None

    @classmethod
    def for_settings(cls, space: str, name: str, settings: dict[str, Any],
                     root: str | os.PathLike | None = None) -> ResultStore:
        """The store of `name` (a proxy, a ranker) on `space` with these settings, under the cache dir."""
        folder = cache_dir(root) / "store" / space / name / settings_digest(settings)
        return cls(folder, {"space": space, "name": name, "settings": settings})

    # ------------------------------------------------------------------ writing

    def _prepare(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            meta_file = self.path / "meta.json"
            if self.meta and not meta_file.exists():
                atomic_write_bytes(meta_file, json.dumps(self.meta, sort_keys=True, default=str).encode())
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot write the result store ({exc}); set NARANK_CACHE "
                             "to a writable folder") from exc

    def append(self, ids: Sequence[str], **columns: Sequence[Any]) -> Path | None:
        """Write one part with these rows (atomically); returns its path, None when empty."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if len(ids) == 0:
            return None
        for key, col in columns.items():
            if len(col) != len(ids):
                raise NarankError(f"column {key!r} has {len(col)} rows for {len(ids)} ids")
        self._prepare()
        table = pa.table({"id": pa.array([str(i) for i in ids], pa.string()),
                          **{k: pa.array(np.asarray(v)) for k, v in columns.items()}})
        name = f"part-{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}.parquet"
        try:
            return atomic_write(self.path / name, lambda fh: pq.write_table(table, fh, compression="zstd"))
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot write a result part ({exc})") from exc

    # ------------------------------------------------------------------ reading

    def parts(self) -> list[Path]:
        """Part files, oldest first (names start with a timestamp)."""
        if not self.path.is_dir():
            return []
        return sorted(self.path.glob(PART_GLOB))

    def _read_parts(self, parts: list[Path]):
        import pyarrow as pa
        import pyarrow.parquet as pq

        tables = []
        for part in parts:
            try:
                table = pq.read_table(part)
            except FileNotFoundError:
                raise
            except (OSError, pa.ArrowException) as exc:
                raise StoreError(f"{part}: unreadable result part ({exc}); delete the file to "
                                 "recompute its rows") from exc
            _check_schema(part, table.schema, tables[0].schema if tables else None)
            tables.append(table)
        try:
            return pa.concat_tables(tables, promote_options="default") if tables else None
        except pa.ArrowException as exc:  # not expected after the checks above
            raise StoreError(f"{self.path}: result parts do not fit together ({exc}); delete the "
                             "folder to recompute its rows") from exc

    def read(self) -> dict[str, np.ndarray]:
        """All rows as numpy columns ('id' plus the value columns), one row per id (the first)."""
        names = tuple(p.name for p in self.parts())
        if self._memo is not None and self._memo[0] == names:
            return self._memo[1]
        for _ in range(5):  # a concurrent compaction may remove a part between listing and reading
            try:
                table = self._read_parts([self.path / n for n in names])
                break
            except FileNotFoundError:
                names = tuple(p.name for p in self.parts())
        else:
            raise StoreError(f"{self.path}: parts keep disappearing while reading; retry")
        if table is None:
            out: dict[str, np.ndarray] = {"id": np.zeros(0, dtype=object)}
        else:
            ids = table.column("id").to_numpy(zero_copy_only=False)
            _, first = np.unique(ids, return_index=True)
            keep = np.sort(first) if len(first) != len(ids) else slice(None)
            out = {name: table.column(name).to_numpy(zero_copy_only=False)[keep]
                   for name in table.column_names}
        self._memo = (names, out)
        return out

    def lookup(self, ids: Sequence[str], column: str = "value") -> tuple[np.ndarray, np.ndarray]:
        """(values, found) for `ids`: values of `column` where stored, NaN elsewhere."""
        import pandas as pd

        data = self.read()
        values = np.full(len(ids), np.nan)
        if len(data["id"]) == 0:
            return values, np.zeros(len(ids), dtype=bool)
        if column not in data or not np.issubdtype(np.asarray(data[column]).dtype, np.number):
            raise StoreError(f"{self._part_without(column)}: result part without a numeric {column!r} "
                             "column (written by another program or version); delete the file to "
                             "recompute its rows")
        pos = pd.Index(data["id"]).get_indexer(list(ids))
        found = pos >= 0
        values[found] = data[column][pos[found]]
        return values, found

    def _part_without(self, column: str) -> Path:
        """The first part whose `column` is missing or not numeric (the store folder if none is)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        for part in self.parts():
            schema = pq.read_schema(part)
            if column not in schema.names or not (pa.types.is_integer(schema.field(column).type)
                                                  or pa.types.is_floating(schema.field(column).type)):
                return part
        return self.path

    def __len__(self) -> int:
        return len(self.read()["id"])

    # ------------------------------------------------------------------ upkeep

    def compact(self) -> int:
        """Merge all parts into one (unique ids); returns the number of parts merged.

        Concurrent writers keep appending new parts; only the parts read here are removed,
        and only after the merged part is on disk.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        parts = self.parts()
        if len(parts) < 2:
            return 0
        try:
            table = self._read_parts(parts)
        except FileNotFoundError:
            return 0  # another process is compacting
        ids = table.column("id").to_numpy(zero_copy_only=False)
        _, first = np.unique(ids, return_index=True)
        table = table.take(pa.array(np.sort(first)))
        # named with the oldest part's timestamp so that "first row wins" keeps its meaning
        stamp = parts[0].name.split("-")[1]
        name = f"part-{stamp}-{os.getpid()}-{uuid.uuid4().hex[:8]}c.parquet"
        atomic_write(self.path / name, lambda fh: pq.write_table(table, fh, compression="zstd"))
        for part in parts:
            part.unlink(missing_ok=True)
        return len(parts)

    def maybe_compact(self, limit: int = COMPACT_AT) -> int:
        """Compact when more than `limit` parts have piled up."""
        return self.compact() if len(self.parts()) > limit else 0


def _check_schema(part: Path, schema: Any, first: Any) -> None:
    """Refuse a part whose columns differ from a store part's: a string `id`, and the same columns
    and types as the first part (every part of a store is written by the same code)."""
    import pyarrow as pa

    fix = "delete the file to recompute its rows"
    if "id" not in schema.names or not (pa.types.is_string(schema.field("id").type)
                                        or pa.types.is_large_string(schema.field("id").type)):
        found = ", ".join(f"{f.name}: {f.type}" for f in schema) or "none"
        raise StoreError(f"{part}: not a result part of this store (needs a string 'id' column; has "
                         f"{found}); {fix}")
    if first is None:
        return
    mine = {f.name: f.type for f in schema}
    theirs = {f.name: f.type for f in first}
    if mine != theirs:
        wrong = sorted(set(mine) ^ set(theirs)) or sorted(k for k in mine if mine[k] != theirs[k])
        raise StoreError(f"{part}: its columns differ from the store's other parts (column "
                         f"{wrong[0]!r}: {mine.get(wrong[0], 'missing')} here, "
                         f"{theirs.get(wrong[0], 'missing')} there); {fix}")


def write_table(path: str | os.PathLike, **columns: Sequence[Any]) -> Path:
    """Write columns to one Parquet file atomically (e.g. `narank rank --out`), or a clear error."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    table = pa.table({k: pa.array(np.asarray(v)) for k, v in columns.items()})
    try:
        atomic_write(path, lambda fh: pq.write_table(table, fh, compression="zstd"))
    except OSError as exc:
        raise StoreError(f"{path}: cannot write ({exc}); choose a writable --out path") from exc
    return path
