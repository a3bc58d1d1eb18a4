"""BenchmarkTable: ground-truth metrics of one search space, indexed by canonical cell id."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from narank.errors import NarankError
from narank.spaces import SearchSpace, get_space

# Columns that describe the cell rather than measure it.
DESCRIPTIVE_COLUMNS = ("index", "arch_str", "hash", "adjacency", "ops", "official_vertex_order")
ACCURACY_RANGE = (0.0, 100.0)  # accuracies are stored in percent


def is_accuracy_column(name: object) -> bool:
    """Whether a column holds accuracies in percent (`cifar10_valid_acc`, `..._acc_12ep`, ...)."""
    return "acc" in str(name).lower()


def first_bad_accuracy(values: pd.Series | np.ndarray) -> int | None:
    """Position of the first value outside [0, 100] (missing values are allowed), else None.

    Such a value (a damaged file, a table in another unit) would otherwise train and rank silently wrong.
    """
    array = np.asarray(values, dtype=np.float64)
    low, high = ACCURACY_RANGE
    bad = (array < low) | (array > high)  # NaN compares False: a missing value is fine
    return int(np.flatnonzero(bad)[0]) if bad.any() else None


class NotInTableError(NarankError, KeyError):
    """A cell (or id) that has no row in a BenchmarkTable."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not in this table"


class BenchmarkTable:
    """Metrics of one space: a DataFrame indexed by the space's canonical ids."""

    def __init__(self, space: str | SearchSpace, metrics: pd.DataFrame,
                 source: str | Path | None = None):
        self.space = get_space(space)
        self.metrics = metrics
        self.source = None if source is None else Path(source)
        #: every file the table was read from (the source, or several for one file per dataset)
        self.read_from: list[Path] = [] if source is None else [Path(source)]
        if self.source is not None:  # read from a file: refuse accuracies that are not percentages
            self._check_accuracies()
        self._cells: list | None = None
        self._positions: dict[str, int] | None = None

    @property
    def positions(self) -> dict[str, int]:
        """Canonical id -> row position (built once; for lookups of many cells one by one)."""
        if self._positions is None:
            self._positions = {cid: i for i, cid in enumerate(self.metrics.index)}
        return self._positions

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

    def _check_accuracies(self) -> None:
        """A DataFileError naming the file, column and first row of an accuracy outside [0, 100]."""
        from narank.errors import DataFileError

        for col in self.metrics.columns:
            series = self.metrics[col]
            if not is_accuracy_column(col) or not pd.api.types.is_numeric_dtype(series) \
                    or pd.api.types.is_bool_dtype(series):
                continue
            pos = first_bad_accuracy(series.to_numpy(dtype=np.float64, na_value=np.nan))
            if pos is not None:
                raise DataFileError(
                    f"{self.source}: column {col!r}, row {pos + 1} (id {self.metrics.index[pos]}): "
                    f"{series.iloc[pos]} is not an accuracy in percent (0..100); re-download the file, "
                    "or re-create it with `narank convert`")

    def __contains__(self, key: object) -> bool:
        try:
            return self.resolve_id(key) in self.metrics.index
        except NarankError:
            return False

    def __repr__(self) -> str:
        return f"BenchmarkTable({self.space.name!r}, {len(self)} cells, source={self.source})"

    def _where(self) -> str:
        return f" ({self.source})" if self.source else ""

    def resolve_id(self, key: Any) -> str:
        """Canonical id for a cell, a canonical id, or anything the space's parser accepts."""
        if isinstance(key, str) and key.strip() in self.metrics.index:
            return key.strip()
        return self.space.resolve_id(key)

    def _row_position(self, key: Any) -> tuple[str, int]:
        cid = self.resolve_id(key)
        pos = self.positions.get(cid, -1)
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
        out: dict[str, Any] = {"space": self.space.name, "id": cid}
        for col, value in row.items():
            if col in ("adjacency", "ops") and isinstance(value, str):
                value = json.loads(value)
            elif isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, float) and np.isnan(value):
                continue
            out[str(col)] = value
        return out

    def cells(self) -> list:
        """Cell objects of all rows, in table order (cached)."""
        if self._cells is None:
            try:
                self._cells = self.space.table_cells(self.metrics)
            except (NarankError, ValueError, TypeError) as exc:
                raise self._bad_row(exc) from None
        return self._cells

    def _bad_row(self, exc: Exception) -> NarankError:
        """A DataFileError naming the file, line and reason of the first row that is not a cell."""
        from narank.errors import DataFileError

        for pos in range(len(self.metrics)):
            try:
                self.space.table_cells(self.metrics.iloc[pos:pos + 1])
            except (NarankError, ValueError, TypeError) as row_exc:
                where = f"{self.source}: line {pos + 2}" if self.source else f"row {pos}"
                return DataFileError(f"{where} (id {self.metrics.index[pos]}): not a valid {self.space.name} "
                                     f"cell ({row_exc}); re-download the file, or re-create it with "
                                     "`narank convert`")
        return DataFileError(f"{self.source or 'table'}: cells cannot be built ({exc})")

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
