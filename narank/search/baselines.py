"""Baselines in the same harness: random search, regularized evolution, ranker + uniform sampling."""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import replace

import numpy as np

from narank.errors import NarankError
from narank.search.loop import SearchConfig, SearchRun, ranker_search
from narank.search.oracle import Oracle, OracleTable
from narank.search.protocol import fresh_mutation, initial_cells, initial_order


def random_search(otable: OracleTable, budget: int, seed: int) -> SearchRun:
    """Look up the seed's shared random order of the pool (one cell per function)."""
    oracle = Oracle(otable, budget)
    order = initial_order(otable, seed)
    while oracle.remaining > 0:
        batch = list(itertools.islice(order, oracle.remaining))  # known in advance: one batch
        if not batch:
            break
        oracle.query_many(batch)
    return SearchRun("random", seed, budget, oracle.history)


def rea(otable: OracleTable, budget: int, seed: int, population: int = 10,
        sample_size: int = 3, max_tries: int = 100) -> SearchRun:
    """Regularized evolution (Real et al. 2019): tournament selection, mutate, drop the oldest.

    The population starts as the shared initial cells; a child that leaves the pool or repeats a
    looked-up function is re-drawn (`fresh_mutation`), so no lookup is wasted on a repeat.
    """
    rng = np.random.default_rng(seed)
    oracle = Oracle(otable, budget)
    pop: deque = deque()

    def ask(cells: list) -> None:
        for cell, acc in zip(cells, oracle.query_many(cells)):
            if acc is None:  # failed: not in the population
                continue
            pop.append((cell, acc))
            if len(pop) > population:
                pop.popleft()

    ask(initial_cells(otable, seed, min(population, budget)))
    while oracle.remaining > 0:
        if not pop:
            raise NarankError("every evaluation of REA's initial population failed; check the evaluator")
        idx = rng.choice(len(pop), size=min(sample_size, len(pop)), replace=False)
        parent = max((pop[i] for i in idx.tolist()), key=lambda p: p[1])[0]
        ask([fresh_mutation(oracle, parent, None, rng, max_tries)])
    return SearchRun("rea", seed, budget, oracle.history,
                     info={"population": population, "sample_size": sample_size})


def uniform_search(otable: OracleTable, budget: int, seed: int,
                   cfg: SearchConfig | None = None, method: str = "uniform") -> SearchRun:
    """The ranker loop with uniform candidate sampling (ablation of the tier statistics); the
    selection rule, zero-cost prior included, is `cfg`'s."""
    cfg = replace(cfg or SearchConfig(), sampler="uniform")
    return ranker_search(otable, budget, seed, cfg, method=method)
