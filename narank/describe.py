"""Describe cells of any space: identity, costs and, when its table is found, accuracies."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from narank.errors import InvalidCellError, NarankError
from narank.spaces import SearchSpace, get_space


class Describer:
    """Describes cells of one space, with accuracies from its benchmark table when one is found."""

    def __init__(self, space: str | SearchSpace, dataset: str | None = None,
                 data: str | os.PathLike | None = None):
        from narank.benchmarks import find_table_file, load_table

        self.space = get_space(space)
        self.dataset = self.space.dataset(dataset)
        self.table = None
        if data is not None or find_table_file(self.space) is not None:
            self.table = load_table(self.space, data)
        cols = self.space.columns(self.dataset)
        self._pos: dict[str, int] = {}
        self._values: dict[str, np.ndarray] = {}
        self._params: np.ndarray | None = None
        if self.table is not None:
            self._pos = self.table.positions
            for col in dict.fromkeys((cols.train, cols.evaluate)):
                if col in self.table.metrics.columns:
                    self._values[col.removeprefix(f"{self.dataset}_")] = self.table.targets(col)
            if cols.params in self.table.metrics.columns:
                self._params = self.table.targets(cols.params)

    def _from_table(self, cid: str, computed_params: float) -> dict[str, Any]:
        """Accuracies of a cell from the table's columns (`BenchmarkTable.targets`)."""
        if self.table is None:
            return {}
        pos = self._pos.get(cid)
        out: dict[str, Any] = {"in_table": pos is not None}
        if pos is None:
            return out
        for key, values in self._values.items():
            if not np.isnan(values[pos]):
                out[key] = float(values[pos])
        if self._params is not None and abs(self._params[pos] - computed_params) > 5e-7:
            # the table's official count (NB101 cells recovered in another vertex order differ)
            out["params_M_table"] = float(self._params[pos])
        return out

    def parse(self, obj: Any) -> Any:
        """A cell from user input; an id the space cannot rebuild alone is looked up in the table."""
        key = obj
        if isinstance(obj, dict) and len(obj) == 1 and set(obj) & {"id", "hash"}:
            key = str(next(iter(obj.values())))
            if "hash" in obj and self.space.id_name == "hash" and not self.space.is_id(key.strip()):
                raise InvalidCellError(f"{key.strip()!r} is not an NB101 module hash: a hash is 32 hex "
                                       "digits 0-9a-f (as `narank enumerate --space nb101` lists them)")
        if isinstance(key, str) and self.space.is_id(key.strip()):
            try:
                return self.space.parse(key)
            except InvalidCellError:
                return self.from_id(key.strip())
        return self.space.parse(obj)

    def from_id(self, cid: str) -> Any:
        """The cell with this canonical id, taken from the benchmark table."""
        if self.table is None:
            raise NarankError(f"cannot look up {self.space.name} id {cid}: no {self.space.name} "
                              "table found (pass --data)")
        self.table.query(cid)  # raises the table's "not in this table" error if absent
        pos = self.table.metrics.index.get_indexer([cid])[0]
        return self.space.table_cells(self.table.metrics.iloc[[pos]])[0]

    def describe(self, cell: Any) -> dict[str, Any]:
        """JSON-ready description of one cell: the space's own fields, costs and accuracies."""
        params = self.space.params_M(cell, self.dataset)
        out = {**self.space.describe(cell), "dataset": self.dataset, "params_M": params,
               "flops_M": round(self.space.flops_M(cell, self.dataset), 6)}
        out.update(self._from_table(self.space.canonical_id(cell), params))
        return out
