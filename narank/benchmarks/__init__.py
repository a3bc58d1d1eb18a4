"""Benchmark tables: ground-truth accuracies and costs of NB101/NB201 cells."""

from narank.benchmarks.loader import converted_path, find_table_file, load_table, read_table_file
from narank.benchmarks.table import BenchmarkTable, NotInTableError

__all__ = [
    "BenchmarkTable",
    "NotInTableError",
    "converted_path",
    "find_table_file",
    "load_table",
    "read_table_file",
]
