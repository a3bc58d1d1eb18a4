"""BenchmarkTable: ground-truth metrics of one search space, indexed by canonical cell id."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from narank.errors import InvalidCellError, NarankError
from narank.spaces import canonical_id, check_space, parse_cell

_HASH_RE = re.compile(r"^[0-9a-f]{32}$")
# Columns that describe the cell rather than measure it.
DESCRIPTIVE_COLUMNS = ("index", "arch_str", "hash", "adjacency", "ops", "official_vertex_order")


class NotInTableError(NarankError, KeyError):
    """A cell (or id) that has no row in a BenchmarkTable."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not in this table"


class BenchmarkTable:
    """Metrics of one space: a DataFrame indexed by canonical id (NB201 index, NB101 hash)."""

    def __init__(self, space: str, metrics: pd.DataFrame, source: str | Path | None = None):
        self.space = check_space(space)
        self.metrics = metrics
        self.source = None if source is None else Path(source)
        self._cells: list | None = None

    @property
    def ids(self) -> list[str]:
        """Canonical ids of the rows, in table order."""
        return list(self.metrics.index)

    @property
    def columns(self) -> list[str]:
        """Numeric metric columns (accuracies, params, FLOPs, times)."""
        return [
            c
            for c in self.metrics.columns
            if c not in DESCRIPTIVE_COLUMNS and pd.api.types.is_numeric_dtype(self.metrics[c])
        ]

    def __len__(self) -> int:
        return len(self.metrics)

    def __contains__(self, key: object) -> bool:
        try:
            return self.resolve_id(key) in self.metrics.index
        except NarankError:
            return False

    def __repr__(self) -> str:
        return f"BenchmarkTable({self.space!r}, {len(self)} cells, source={self.source})"

    def _where(self) -> str:
        return f" ({self.source})" if self.source else ""

    def resolve_id(self, key: Any) -> str:
        """Canonical id for a cell, canonical id, arch string, NB201 index or NB101 hash."""
        if isinstance(key, str):
            text = key.strip()
            if text in self.metrics.index:
                return text
            if self.space == "nb101" and _HASH_RE.match(text):
                return text
            if self.space == "nb201" and not text.startswith("|") and not text.isdigit():
                raise InvalidCellError(
                    f"{key!r} is neither an NB201 arch string nor an index 0..15624"
                )
        elif self.space == "nb201" and isinstance(key, (int, np.integer)):
            if isinstance(key, bool):
                raise InvalidCellError(f"not an NB201 index: {key!r}")
            return canonical_id(parse_cell("nb201", int(key)))
        return canonical_id(parse_cell(self.space, key))

    def _row_position(self, key: Any) -> tuple[str, int]:
        cid = self.resolve_id(key)
        pos = self.metrics.index.get_indexer([cid])[0]
        if pos < 0:
            raise NotInTableError(
                f"{self.space} cell {cid} is not in this table{self._where()}: it has no ground "
                f"truth here (the table holds {len(self):,} cells)"
            )
        return cid, int(pos)

    def query(self, key: Any) -> dict[str, Any]:
        """All stored values of one cell, plus its canonical id and description."""
        cid, pos = self._row_position(key)
        row = self.metrics.iloc[pos]
        out: dict[str, Any] = {"space": self.space, "id": cid}
        for col, value in row.items():
            if col in ("adjacency", "ops") and isinstance(value, str):
                value = json.loads(value)
            elif isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, float) and np.isnan(value):
                continue
            out[str(col)] = value
        if self.space == "nb201":
            out["index"] = int(cid)
        else:
            out["hash"] = cid
        return out

    def cells(self) -> list:
        """Cell objects of all rows, in table order (cached)."""
        if self._cells is None:
            if self.space == "nb201":
                from narank.spaces.nb201 import all_cells

                everything = all_cells()
                self._cells = [everything[int(i)] for i in self.metrics.index]
            else:
                from narank.spaces.nb101 import NB101Cell

                self._cells = [
                    NB101Cell.from_spec(json.loads(adj), json.loads(ops))
                    for adj, ops in zip(self.metrics["adjacency"], self.metrics["ops"])
                ]
        return self._cells

    def _column(self, column: str) -> pd.Series:
        if column not in self.metrics.columns:
            raise NarankError(
                f"no column {column!r} in the {self.space} table{self._where()}; available: "
                f"{', '.join(self.columns)}"
            )
        return self.metrics[column]

    def targets(self, column: str, ids: Iterable[Any] | None = None) -> np.ndarray:
        """Values of `column` (float array) for all rows, or for the given cells/ids in order."""
        series = self._column(column)
        if ids is None:
            return series.to_numpy(dtype=np.float64)
        keys = [self.resolve_id(i) for i in ids]
        pos = self.metrics.index.get_indexer(keys)
        if (pos < 0).any():
            missing = keys[int(np.flatnonzero(pos < 0)[0])]
            raise NotInTableError(
                f"{self.space} cell {missing} is not in this table{self._where()}: it has no "
                f"ground truth here ({int((pos < 0).sum())} of {len(keys)} requested ids missing)"
            )
        return series.to_numpy(dtype=np.float64)[pos]

    def export(self, column: str) -> tuple[list, np.ndarray]:
        """(cells, values) of every row with a value in `column`, for training."""
        values = self.targets(column)
        keep = ~np.isnan(values)
        cells = self.cells()
        return [c for c, k in zip(cells, keep) if k], values[keep]
