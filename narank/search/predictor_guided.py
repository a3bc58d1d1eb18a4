"""Predictor-guided search with a cheap surrogate, in the same loop as narank.

`guided_search` is narank's loop with the GNN ranker swapped for any surrogate: the shared
initial cells, then rounds of fit -> score candidates (uniform pool cells + every new
neighbour of the best cells, as narank's uniform ablation draws them) -> look up the `k` best by
the acquisition. `xgb_search` plugs in XGBoost on GRAF features (`narank.graf`): what a strong
tabular predictor does with the same lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from narank.search.loop import Round, SearchRun, round_loop
from narank.search.oracle import OracleTable
from narank.search.tier_stats import uniform_candidates
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
    """Surrogate-guided search in narank's `round_loop` (uniform candidates + neighbours; the `k`
    best by the acquisition), under the search protocol (`narank.search.protocol`)."""
    cfg = cfg or GuidedConfig()

    def propose(r: Round) -> tuple[list, dict[str, Any]]:
        drawn = uniform_candidates(cfg.candidates, r.rng, r.pool, exclude=r.oracle.keys)
        return [c for c in drawn.cells if r.oracle.fresh(c)], {}

    def select(r: Round, cands: list, info: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        scores = np.asarray(acquisition(r.labelled, np.asarray(r.accs), cands, r.rng), dtype=float)
        return np.argsort(-scores, kind="stable"), {}

    return round_loop(otable, budget, seed, cfg.init, cfg.k, cfg.mutate_top, propose, select, method,
                      asdict(cfg))


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
