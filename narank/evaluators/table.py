"""Evaluate by looking the cell up in a benchmark table (the searched column, and the reported one
where the table has it): the table-driven search, through the same loop as real evaluations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from narank.evaluators.base import Evaluation


@dataclass(frozen=True)
class TableEvaluator:
    """`table` is a table file or data folder (workers load it once per process)."""

    table: str
    dataset: str
    name: str = "table"

    def settings(self) -> dict[str, Any]:
        return {"kind": self.name, "table": self.table, "dataset": self.dataset}

    def __call__(self, space: Any, cell: Any) -> Evaluation:
        from narank.benchmarks import load_table

        table = load_table(space, self.table)
        columns = space.columns(self.dataset)
        cid = space.canonical_id(cell)
        (valid,) = table.targets(columns.train, [cid])  # NotInTableError names a missing cell
        test = table.targets(columns.evaluate, [cid])[0] if columns.has_test else None
        return Evaluation(float(valid), None if test is None else float(test))
