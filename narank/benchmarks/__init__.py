"""Benchmark tables: ground-truth accuracies and costs of NB101/NB201 cells.

Finding a table file is cheap; the table classes (pandas) are imported on first use, so a
missing table is reported before anything heavy loads.
"""

from typing import Any

from narank.benchmarks.loader import (
    converted_path,
    find_table_file,
    load_table,
    read_table_file,
    require_table_file,
)


def __getattr__(name: str) -> Any:
    if name in ("BenchmarkTable", "NotInTableError"):
        from narank.benchmarks import table

        return getattr(table, name)
    raise AttributeError(f"module 'narank.benchmarks' has no attribute {name!r}")


__all__ = [
    "BenchmarkTable",
    "NotInTableError",
    "converted_path",
    "find_table_file",
    "load_table",
    "read_table_file",
    "require_table_file",
]
