"""What every spec space shares, whatever its family: it pickles as its spec file (workers load
the file again) and reads its table (a user's CSV) as the spec's `table:` key says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from narank.spaces import SearchSpace, TableColumns


class SpecSpaceBase(SearchSpace):
    """Base of the spec families: `source` is the spec file, `table_spec` its `table:` mapping."""

    source: str | None = None
    table_spec: dict[str, Any] = {}

    def _spec(self, source: str | Path | None, table: dict[str, Any] | None) -> None:
        self.source = None if source is None else str(source)
        self.table_spec = dict(table or {})

    def __reduce__(self) -> tuple:  # workers rebuild the space from its spec file
        if self.source is None:
            return super().__reduce__()
        from narank.specs.spec import from_spec

        return (from_spec, (self.source,))

    def columns(self, dataset: str | None = None, target: str = "valid") -> TableColumns:
        self.dataset(dataset)
        spec = self.table_spec
        label = spec.get("label_column", "accuracy")
        return TableColumns(label, spec.get("test_column", label), "params_M", "flops_M")

    def read_table(self, file: Any, **options: Any) -> Any:
        from narank.benchmarks.user_table import read_user_csv

        spec = self.table_spec
        labels = [spec.get("label_column", "accuracy")]
        if spec.get("test_column"):
            labels.append(spec["test_column"])
        return read_user_csv(self, file, spec.get("arch_column", "arch"), labels, costs=True)

    def table_cells(self, metrics: Any) -> list[Any]:
        return [self.parse(i) for i in metrics.index]
