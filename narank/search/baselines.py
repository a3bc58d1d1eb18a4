"""Baselines in the same harness: random search, regularized evolution, ranker + uniform sampling."""

from __future__ import annotations

from collections import deque
from dataclasses import replace

import numpy as np

from narank.search.loop import SearchConfig, SearchRun, random_unseen, ranker_search, search_pool
from narank.search.oracle import Oracle, OracleTable
from narank.search.tier_stats import cell_key
from narank.spaces import canonical_id


def random_search(otable: OracleTable, budget: int, seed: int) -> SearchRun:
    """Look up `budget` distinct cells drawn uniformly (NB101: from the cells with ground truth)."""
    rng = np.random.default_rng(seed)
    oracle = Oracle(otable, budget)
    pool = search_pool(otable)
    cells = pool.cells
    assert cells is not None
    for i in rng.permutation(len(cells)).tolist():
        if oracle.remaining <= 0:
            break
        if oracle.has(cells[i]):
            oracle.query(cells[i])
    return SearchRun("random", seed, budget, oracle.history)


def rea(otable: OracleTable, budget: int, seed: int, population: int = 10,
        sample_size: int = 3, max_tries: int = 100) -> SearchRun:
    """Regularized evolution (Real et al. 2019): tournament selection, mutate, drop the oldest.

    A child already looked up (same canonical id) or without ground truth is re-drawn (up to
    `max_tries` mutations, then a random unseen cell), so no lookup is wasted on a repeat.
    """
    mutate = otable.space.mutate
    rng = np.random.default_rng(seed)
    oracle = Oracle(otable, budget)
    pool = search_pool(otable)
    seen: set = set()
    keys: set = set()
    pop: deque = deque()

    def ask(cell) -> None:
        pop.append((cell, oracle.query(cell)))
        seen.add(canonical_id(cell))
        keys.add(cell_key(cell))
        if len(pop) > population:
            pop.popleft()

    while oracle.remaining > 0 and oracle.used < population:
        ask(random_unseen(oracle, pool, rng, keys))
    while oracle.remaining > 0:
        idx = rng.choice(len(pop), size=min(sample_size, len(pop)), replace=False)
        parent = max((pop[i] for i in idx.tolist()), key=lambda p: p[1])[0]
        child = None
        for _ in range(max_tries):
            cand = mutate(parent, rng)
            if canonical_id(cand) not in seen and oracle.has(cand):
                child = cand
                break
        if child is None:
            child = random_unseen(oracle, pool, rng, keys)
        ask(child)
    return SearchRun("rea", seed, budget, oracle.history,
                     info={"population": population, "sample_size": sample_size})


def uniform_search(otable: OracleTable, budget: int, seed: int,
                   cfg: SearchConfig | None = None) -> SearchRun:
    """The ranker loop with uniform candidate sampling (ablation of the tier statistics)."""
    cfg = replace(cfg or SearchConfig(), uniform=True)
    return ranker_search(otable, budget, seed, cfg, method="uniform")
