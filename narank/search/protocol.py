"""The one lookup protocol every search method follows: the pool, duplicates, the initial cells.

Every method draws from the same pool (the whole space where it can be listed, else the cells
with ground truth: NB101's 30,001), never looks up a cell computing the same function as one it
has already looked up (the `Oracle` refuses such a lookup), and starts from the same initial
cells for a given seed: a prefix of one seeded random order of the pool (`initial_order`).
Random search is that order continued. A mutation or sample that leaves the pool, or is a
duplicate, is redrawn (`fresh_mutation`, `fresh_random`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from narank.benchmarks import BenchmarkTable
from narank.errors import NarankError
from narank.search.oracle import Oracle, OracleTable
from narank.search.tier_stats import CellPool, cell_features, cell_key, space_pool

PROTOCOL = (
    "**Protocol (the same for every method, `narank/search/protocol.py`).** Pool: every method "
    "draws cells from the same pool, the whole space where it can be listed (NB201: 15,625 cells) "
    "else the cells with ground truth (NB101: the 30,001 cells of `nb101.csv`); a mutation or "
    "sample that leaves the pool is redrawn and costs nothing. Duplicates: a cell computing the "
    "same function as a cell already looked up (same isomorphism key; NB201: 6,466 classes) is "
    "never looked up, by any method (the oracle refuses it; methods redraw). Initial cells: for a "
    "given seed every method that starts from random cells takes a prefix of the same seeded "
    "random order of the pool (REA: its population of 10; the model-guided methods: 10 cells); "
    "random search is that order continued. Every lookup counts, the initial ones included; a "
    "method sees only the validation accuracy of what it looks up, and picks the looked-up cell "
    "with the best validation accuracy. No method knows its budget, so a smaller budget is a "
    "prefix of the same run (checked in `tests/test_search.py`)."
)

INIT_STREAM = 7919  # the initial order's random stream: independent of any method's own draws


@lru_cache(maxsize=4)
def table_pool(table: BenchmarkTable, dataset: str) -> CellPool:
    """The cells of a table (with their features) as a finite pool; for NB101, the searchable set."""
    cells = table.cells()
    return CellPool(table.space, dataset, cells, cell_features(table.space, cells, dataset))


def search_pool(otable: OracleTable) -> CellPool:
    """Where every method draws cells: the whole space where it can be listed, else the table's
    cells (NB101: the cells with ground truth)."""
    if otable.space.enumerate() is not None:
        return space_pool(otable.space, otable.dataset)
    return table_pool(otable.table, otable.dataset)


def pool_cells(otable: OracleTable) -> Sequence:
    """The cells of `search_pool` (same order), without computing their features."""
    cells = otable.space.enumerate()
    return cells if cells is not None else otable.table.cells()


def initial_order(otable: OracleTable, seed: int) -> Iterator[Any]:
    """The seed's random order of the pool, one cell per function, cells with ground truth only."""
    cells = pool_cells(otable)
    rng = np.random.default_rng([seed, INIT_STREAM])
    keys: set = set()
    for i in rng.permutation(len(cells)).tolist():
        cell = cells[i]
        key = cell_key(cell)
        if key not in keys and otable.has(cell):
            keys.add(key)
            yield cell


def initial_cells(otable: OracleTable, seed: int, n: int) -> list:
    """The first `n` cells of `initial_order`: the shared initial set."""
    return list(itertools.islice(initial_order(otable, seed), n))


def fresh_random(oracle: Oracle, pool: CellPool, rng: np.random.Generator, tries: int = 10_000) -> Any:
    """A uniform pool cell the oracle would accept (ground truth, not a duplicate)."""
    for _ in range(tries // 64 + 1):
        for cell in pool.random(64, rng)[0]:
            if oracle.fresh(cell):
                return cell
    raise NarankError("could not draw an unseen cell with ground truth; the pool is exhausted")


def fresh_mutation(oracle: Oracle, parent: Any, pool: CellPool | None, rng: np.random.Generator,
                   tries: int = 100) -> Any:
    """A mutation of `parent` the oracle would accept; mutations that leave the pool or repeat a
    looked-up function are redrawn, up to `tries` times, then a random fresh cell of `pool`
    (default: `search_pool`) is taken."""
    mutate = oracle.table.space.mutate
    for _ in range(tries):
        child = mutate(parent, rng)
        if oracle.fresh(child):
            return child
    return fresh_random(oracle, pool or search_pool(oracle.table), rng)


def fresh_neighbours(oracle: Oracle, parents: list, rng: np.random.Generator, exclude: set) -> list:
    """Single-edit neighbours of `parents` the oracle would accept, each function once and none
    whose key is in `exclude` (which is updated)."""
    space = oracle.table.space
    out = []
    for parent in parents:
        for cell in space.neighbours(parent, rng):
            key = cell_key(cell)
            if key not in exclude and oracle.fresh(cell):
                exclude.add(key)
                out.append(cell)
    return out
