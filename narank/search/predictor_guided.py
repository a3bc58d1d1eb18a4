"""Predictor-guided search with a cheap surrogate, in the same loop as narank.

`guided_search` is narank's loop with the GNN ranker swapped for any surrogate: the shared
initial cells, then rounds of fit -> score candidates (uniform pool cells + every new
neighbour of the best cells, as narank's uniform ablation draws them) -> look up the `k` best by
the acquisition. `xgb_search` plugs in XGBoost on GRAF features (`narank.graf`): what a strong
tabular predictor does with the same lookups.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from narank.search.loop import SearchRun
from narank.search.oracle import Oracle, OracleTable
from narank.search.protocol import fresh_neighbours, fresh_random, initial_cells, search_pool
from narank.search.tier_stats import TierSampler, cell_key, uniform_stats
from narank.spaces import space_of

#: acquisition(labelled cells, their accuracies, candidates, rng) -> one score per candidate
Acquisition = Callable[[list, np.ndarray, list, np.random.Generator], np.ndarray]


@dataclass
class GuidedConfig:
    """Loop settings shared with narank's (`SearchConfig`): initial cells, batch, candidates."""

    init: int = 10
    k: int = 10
    candidates: int = 256
    mutate_top: int = 5


def guided_search(otable: OracleTable, budget: int, seed: int, acquisition: Acquisition,
                  method: str, cfg: GuidedConfig | None = None) -> SearchRun:
    """Surrogate-guided search under the search protocol (`narank.search.protocol`)."""
    cfg = cfg or GuidedConfig()
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    oracle = Oracle(otable, budget)
    pool = search_pool(otable)
    uniform = TierSampler(uniform_stats(otable.space.name, otable.dataset), uniform=True)
    labelled: list = []
    accs: list[float] = []

    def ask(cell: Any) -> None:
        accs.append(oracle.query(cell))
        labelled.append(cell)

    for cell in initial_cells(otable, seed, min(cfg.init, budget)):
        ask(cell)
    rounds: list[dict[str, Any]] = []
    while oracle.remaining > 0:
        sampled = [c for c in uniform.sample(cfg.candidates, rng, pool, exclude=oracle.keys).cells
                   if oracle.fresh(c)]
        keys = {cell_key(c) for c in sampled}
        best = [labelled[j] for j in np.argsort(-np.asarray(accs))[:cfg.mutate_top].tolist()]
        cands = sampled + fresh_neighbours(oracle, best, rng, keys)
        if not cands:
            cands = [fresh_random(oracle, pool, rng)]
        scores = np.asarray(acquisition(labelled, np.asarray(accs), cands, rng), dtype=float)
        order = np.argsort(-scores, kind="stable")[:min(cfg.k, oracle.remaining)].tolist()
        for i in order:
            ask(cands[i])
        rounds.append({"candidates": len(cands), "from_sampler": sum(i < len(sampled) for i in order),
                       "queries": oracle.used, "seconds": round(time.perf_counter() - start, 3)})
    return SearchRun(method, seed, budget, oracle.history,
                     info={"config": asdict(cfg), "rounds": rounds})


def xgb_acquisition(seed: int, n_estimators: int = 200) -> Acquisition:
    """Greedy acquisition: XGBoost's predicted accuracy from GRAF features (CPU, 1 thread)."""
    from xgboost import XGBRegressor

    from narank.graf import graf_features

    def acquire(cells: list, accs: np.ndarray, cands: list, rng: np.random.Generator) -> np.ndarray:
        space = space_of(cells[0])
        model = XGBRegressor(n_estimators=n_estimators, max_depth=4, learning_rate=0.1,
                             subsample=0.9, colsample_bytree=0.9, n_jobs=1, tree_method="hist",
                             random_state=seed)
        model.fit(graf_features(space, cells), accs)
        return model.predict(graf_features(space, cands))

    return acquire


def xgb_search(otable: OracleTable, budget: int, seed: int, cfg: GuidedConfig | None = None) -> SearchRun:
    """XGBoost-on-GRAF predictor-guided search (greedy on the predicted accuracy)."""
    return guided_search(otable, budget, seed, xgb_acquisition(seed), "xgb-graf", cfg)
