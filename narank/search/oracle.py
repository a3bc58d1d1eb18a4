"""The query-counting oracle every search method shares: ground-truth lookups under a budget."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from narank.benchmarks import BenchmarkTable, NotInTableError
from narank.errors import NarankError


class BudgetExhausted(NarankError):
    """A lookup was attempted after the query budget was spent."""


class DuplicateLookup(NarankError):
    """A lookup of a cell computing the same function as one already looked up (the protocol
    forbids it: see `narank.search.protocol`)."""


class EvaluationFailed(NarankError):
    """An evaluation that gave no accuracy (an exception, a timeout, NaN): the search records it,
    never looks the cell (or its function) up again, and goes on."""


@dataclass
class Query:
    """One ground-truth lookup: the cell, its search metric (validation) and test accuracy."""

    cell: Any
    id: str
    valid_acc: float
    test_acc: float | None


class OracleTable:
    """Fast per-id access to the searched ("valid") and reported ("test") accuracy of one dataset.

    The space names the columns (`SearchSpace.columns`); a table with one accuracy column has
    no separate test accuracy (`test` is None) and reports the searched one.
    """

    def __init__(self, table: BenchmarkTable, dataset: str, columns: Any = None):
        self.table = table
        self.space = table.space
        self.dataset = self.space.dataset(dataset)
        self.columns = columns or self.space.columns(self.dataset)  # a user's table names its own
        self.pos = table.positions
        self.valid = table.targets(self.columns.train)
        has_test = self.columns.has_test and self.columns.evaluate in table.metrics.columns
        self.test = table.targets(self.columns.evaluate) if has_test else None

    def has(self, cell: Any) -> bool:
        """Whether the table holds ground truth for this cell (free: no accuracy is revealed)."""
        pos = self.pos.get(self.space.canonical_id(cell))
        return pos is not None and bool(np.isfinite(self.valid[pos]))

    def lookup(self, cell: Any) -> tuple[str, float, float | None]:
        """(id, valid_acc, test_acc) of a cell, or NotInTableError ("no ground truth")."""
        cid = self.space.canonical_id(cell)
        pos = self.pos.get(cid)
        if pos is None or not np.isfinite(self.valid[pos]):
            raise NotInTableError(f"{self.space} cell {cid} has no ground truth in this table "
                                  f"({len(self.pos):,} cells); not guessing its accuracy")
        test = None if self.test is None or not np.isfinite(self.test[pos]) else float(self.test[pos])
        return cid, float(self.valid[pos]), test

    @property
    def best_test(self) -> float | None:
        """Highest test accuracy in the table (the optimum), if the table has test accuracies."""
        return None if self.test is None else float(np.nanmax(self.test))

    @property
    def best_valid(self) -> float:
        """Highest validation accuracy in the table."""
        return float(np.nanmax(self.valid))


@lru_cache(maxsize=8)
def oracle_table(table: BenchmarkTable, dataset: str) -> OracleTable:
    """Cached OracleTable for a (table, dataset) pair."""
    return OracleTable(table, dataset)


class Oracle:
    """Counts every lookup and refuses any beyond `budget`; methods see only validation accuracy.

    It enforces the duplicate rule of the search protocol for every method: a cell isomorphic
    to one already looked up (same `iso_key`) is refused, so no method spends a lookup on it.
    """

    def __init__(self, table: OracleTable, budget: int):
        if budget < 1:
            raise NarankError(f"the query budget must be at least 1, got {budget}")
        self.table = table
        self.budget = int(budget)
        self.history: list[Query] = []
        self.failures: list[tuple[Any, str]] = []
        self._keys: set = set()

    @property
    def used(self) -> int:
        """Lookups made so far (failed evaluations count: they were spent)."""
        return len(self.history) + len(self.failures)

    @property
    def remaining(self) -> int:
        """Lookups still allowed."""
        return self.budget - self.used

    def seen(self, cell: Any) -> bool:
        """Whether this cell, or one computing the same function (`iso_key`), was looked up."""
        return self.table.space.iso_key(cell) in self._keys

    @property
    def keys(self) -> set:
        """Isomorphism keys of the cells looked up so far (read-only use)."""
        return self._keys

    def fresh(self, cell: Any) -> bool:
        """Whether a lookup of this cell is allowed: it has ground truth and is not a duplicate."""
        return self.table.has(cell) and not self.seen(cell)

    def has(self, cell: Any) -> bool:
        """Whether a lookup of this cell would find ground truth (free)."""
        return self.table.has(cell)

    def _check(self, cells: list) -> None:
        if len(cells) > self.remaining:
            raise BudgetExhausted(f"query budget of {self.budget} lookups is spent")
        keys = set()
        for cell in cells:
            key = self.table.space.iso_key(cell)
            if key in self._keys or key in keys:
                raise DuplicateLookup(f"{self.table.space.label(cell)} computes the same function as a "
                                      "cell already looked up; the search protocol skips duplicates")
            keys.add(key)

    def _record(self, cell: Any, result: tuple[str, float, float | None] | EvaluationFailed) -> float | None:
        self._keys.add(self.table.space.iso_key(cell))
        if isinstance(result, EvaluationFailed):
            self.failures.append((cell, str(result)))
            return None
        cid, valid, test = result
        self.history.append(Query(cell, cid, valid, test))
        return valid

    def query(self, cell: Any) -> float:
        """Validation accuracy of `cell`; counts one lookup (cells without ground truth raise first;
        a failed evaluation is recorded, counted and raised as EvaluationFailed)."""
        self._check([cell])
        try:
            result = self.table.lookup(cell)
        except EvaluationFailed as exc:
            self._record(cell, exc)
            raise
        return self._record(cell, result)  # type: ignore[return-value]

    def query_many(self, cells: list) -> list[float | None]:
        """`query` of several cells at once (an evaluator may run them in parallel); None where an
        evaluation failed (recorded, counted, never asked again)."""
        cells = list(cells)
        self._check(cells)
        many = getattr(self.table, "lookup_many", None)
        if many is not None:
            results = many(cells)
        else:
            results = [self.table.lookup(cell) for cell in cells]
        return [self._record(cell, result) for cell, result in zip(cells, results)]
