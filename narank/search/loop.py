"""The budgeted NAR search loop: label a few cells, train, sample by tier statistics, query, repeat."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from narank.errors import NarankError
from narank.search.oracle import Oracle, OracleTable, Query
from narank.search.protocol import (
    fresh_neighbours,
    fresh_random,
    initial_cells,
    search_pool,
)
from narank.search.tier_stats import (
    CellPool,
    JointTierSampler,
    TierSampler,
    cell_key,
    known_prior,
    pool_prior_top,
    tier_stats_from,
    uniform_candidates,
)
from narank.spaces import SearchSpace, get_space, space_of

SAMPLERS = ("joint", "nar", "uniform")
#: free per-cell scores the joint sampler can be narrowed by (one-column graph features)
PRIORS = ("sed", "params", "flops")
#: the ranker inside search: the GNN alone, or Ranker()'s recipe (graph features + XGBoost blend)
RECIPES = ("gnn", "blend")


@dataclass
class SearchConfig:
    """Settings of the ranker-driven search (small, fast ranker; warm-started between rounds).

    `sampler` picks where the uniform-looking part of the candidates comes from: "joint" (the
    ranker's tier-1 rate per joint bin of all cell features, `JointTierSampler`), "nar" (NAR's
    FLOPs x params histogram of the top tier, KL-gated, with a random share: `nar_config()`) or
    "uniform" (the ablation). Neighbours of the best cells are always added.

    `recipe` is the ranker's: "gnn" (the GNN alone, warm-started between rounds: what search.md
    measures) or "blend" (`Ranker()`'s recipe at this network size: graph-level features in the
    GNN, blended with XGBoost on them; refitted each round, as boosted trees do not warm-start
    well on a growing label set).

    `prior` names a free per-cell score (a one-column graph feature: `sed`, `params`, `flops`;
    None = off). In every round where it orders the labelled cells as their accuracies do
    (one-sided Kendall test on them, p < `prior_alpha`), the joint sampler draws from the
    `prior_top` best-scored share of the pool only, and candidates are looked up by the weighted
    mean of the ranker's rank and the prior's rank (`prior_weight`; `selection_order`).
    """

    init: int = 10
    k: int = 10
    candidates: int = 256
    mutate_top: int = 5
    sampler: str = "joint"
    random_frac: float = 0.0
    power: float = 1.0
    kl_threshold: float = 0.05
    max_tries: int = 200
    stats_samples: int = 2000
    encoder: str = "gin"
    dim: int = 32
    layers: int = 2
    tiers: int = 5
    epochs: int = 40
    update_epochs: int = 15
    lr: float = 3e-3
    batch_size: int = 32
    lam: float | None = None
    prior: str | None = "sed"
    prior_top: float = 0.1
    prior_alpha: float = 0.05
    prior_weight: float = 0.5
    recipe: str = "gnn"

    def __post_init__(self) -> None:
        if self.recipe not in RECIPES:
            raise NarankError(f"unknown recipe {self.recipe!r}; choose from {', '.join(RECIPES)}")
        if self.sampler not in SAMPLERS:
            raise NarankError(f"unknown sampler {self.sampler!r}; choose from {', '.join(SAMPLERS)}")
        if self.prior is not None and self.prior not in PRIORS:
            raise NarankError(f"unknown prior {self.prior!r}; choose from {', '.join(PRIORS)} or None")
        if not 0.0 < self.prior_top <= 1.0:
            raise NarankError(f"prior_top must be in (0, 1], got {self.prior_top}")
        if not 0.0 <= self.prior_weight <= 1.0:
            raise NarankError(f"prior_weight must be in [0, 1], got {self.prior_weight}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def nar_config(**kw: Any) -> SearchConfig:
    """NAR's original sampler: FLOPs/params targets from the top tier, KL gate 0.05, 20% random;
    no zero-cost prior."""
    return SearchConfig(**{"sampler": "nar", "random_frac": 0.2, "kl_threshold": 0.05, "prior": None, **kw})


@dataclass
class SearchRun:
    """One search run: its lookups in order, and the cell it picks (best validation accuracy)."""

    method: str
    seed: int
    budget: int
    history: list[Query]
    chosen: Query | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def queries(self) -> int:
        """Ground-truth lookups made."""
        return len(self.history)

    def pick(self, upto: int | None = None) -> Query | None:
        """The cell with the best validation accuracy among the first `upto` lookups."""
        if self.chosen is not None:
            return self.chosen
        hist = self.history if upto is None else self.history[:upto]
        if not hist:
            return None
        return hist[int(np.argmax([q.valid_acc for q in hist]))]

    def curve(self) -> list[float | None]:
        """Test accuracy of the best-so-far pick (by validation) after each lookup."""
        out: list[float | None] = []
        best: Query | None = None
        for q in self.history:
            if best is None or q.valid_acc > best.valid_acc:
                best = q
            out.append(best.test_acc if best.test_acc is not None else best.valid_acc)
        return out

    def truncated(self, budget: int) -> SearchRun:
        """The same run cut at `budget` lookups (equal to a run with that budget: no look-ahead)."""
        return replace(self, budget=budget, history=self.history[:budget])


def query_dict(q: Query) -> dict[str, Any]:
    """JSON-ready description of one lookup."""
    out: dict[str, Any] = {"arch": space_of(q.cell).label(q.cell), "id": q.id, "valid_acc": q.valid_acc}
    if q.test_acc is not None:
        out["test_acc"] = q.test_acc
    return out


def make_ranker(space: str | SearchSpace, dataset: str, cfg: SearchConfig, seed: int):
    """A small ranker for search (`cfg`'s network and training settings) with `cfg.recipe`'s inputs:
    "gnn": no node or graph-level features and no tabular half; "blend": `Ranker()`'s defaults."""
    from narank.predictor import Ranker

    inputs = {"node_features": (), "graph_features": (), "tabular": None} if cfg.recipe == "gnn" else {}
    return Ranker(get_space(space).name, dataset, **inputs, encoder=cfg.encoder, dim=cfg.dim,
                  layers=cfg.layers, tiers=cfg.tiers, epochs=cfg.epochs, lr=cfg.lr,
                  batch_size=cfg.batch_size, lam=cfg.lam, random_state=seed)


def prior_region(cfg: SearchConfig, pool: CellPool, labelled: list, accs: list[float]
                 ) -> tuple[np.ndarray | None, dict[str, Any]]:
    """The pool mask the prior narrows sampling to this round (None = whole pool), and why.

    The prior is trusted only while it orders the labelled cells as their accuracies do: Kendall
    tau > 0 with one-sided p < `cfg.prior_alpha` (labels already paid for; no extra lookup)."""
    if cfg.prior is None:
        return None, {}
    from scipy.stats import kendalltau

    tau, p = kendalltau(prior_scores(cfg, pool, labelled), accs, alternative="greater")
    on = bool(np.isfinite(p) and p < cfg.prior_alpha)
    info = {"prior_tau": round(float(tau), 4) if np.isfinite(tau) else None, "prior_on": on}
    if not on:
        return None, info
    return pool_prior_top(pool, cfg.prior, cfg.prior_top), info


def prior_scores(cfg: SearchConfig, pool: CellPool, cells: list) -> np.ndarray:
    """The prior's score of each cell (higher = better): looked up once the whole pool's scores are
    known (`pool_prior`), computed otherwise (also for cells the pool does not hold)."""
    from narank.graph_features import graph_features

    known = known_prior(pool, cfg.prior, cells)
    return known if known is not None else graph_features(pool.space, cells, pool.dataset, [cfg.prior])[:, 0]


def selection_order(scores: np.ndarray, tiers: np.ndarray, prior: np.ndarray | None = None,
                    weight: float = 0.0) -> np.ndarray:
    """Candidate indices, best first: predicted tier-1 cells by score, then the others by score;
    with a prior, by `(1 - weight) * that rank + weight * the prior's rank` (ties: the ranker's)."""
    order = np.lexsort((-np.asarray(scores), np.asarray(tiers) != 1))
    if prior is None or weight <= 0:
        return order
    from scipy.stats import rankdata

    model_rank = np.empty(len(order))
    model_rank[order] = np.arange(len(order))
    prior_rank = rankdata(-np.asarray(prior, dtype=float)) - 1
    return np.lexsort((model_rank, (1 - weight) * model_rank + weight * prior_rank))


def draw_candidates(cfg: SearchConfig, ranker: Any, fitted: bool, pool: CellPool, oracle: Oracle,
                    rng: np.random.Generator, allowed: np.ndarray | None = None
                    ) -> tuple[list, dict[str, Any]]:
    """The sampled part of a round's candidates (fresh cells only) and what the sampler did; the
    joint sampler draws from the `allowed` part of the pool (None = all of it)."""
    otable = oracle.table
    exclude = oracle.keys
    if cfg.sampler == "uniform" or not fitted:
        drawn = uniform_candidates(cfg.candidates, rng, pool, exclude=exclude)
        info: dict[str, Any] = {"active": False, "misses": 0}
    elif cfg.sampler == "nar":
        stat_cells, fl, pa = pool.random(cfg.stats_samples, rng)
        _, tiers = ranker.rank(stat_cells)
        stats = tier_stats_from(otable.space, otable.dataset, {"flops_M": fl, "params_M": pa},
                                tiers, cfg.tiers)
        sampler = TierSampler(stats, cfg.kl_threshold, cfg.random_frac, cfg.max_tries)
        drawn = sampler.sample(cfg.candidates, rng, pool, exclude=exclude)
        info = {"kl": round(stats["kl_top_bottom"], 4), "active": drawn.active, "misses": drawn.misses}
    else:
        joint = JointTierSampler.for_pool(pool, ranker, cfg.stats_samples, rng, allowed=allowed,
                                          random_frac=cfg.random_frac, power=cfg.power)
        drawn = joint.sample(cfg.candidates, rng, exclude=exclude)
        info = {"active": drawn.active, "misses": drawn.misses}
    return [c for c in drawn.cells if oracle.fresh(c)], info


@dataclass
class Round:
    """What a round's sampler and selector see: the lookups so far (updated in place), the
    oracle, the pool and the run's random generator."""

    labelled: list
    accs: list[float]
    oracle: Oracle
    pool: CellPool
    rng: np.random.Generator


#: propose(round) -> (sampled fresh cells, what the sampler did)
Propose = Callable[[Round], tuple[list, dict[str, Any]]]
#: select(round, candidates, what the sampler did) -> (candidate indices best first, what it saw)
Select = Callable[[Round, list, dict[str, Any]], tuple[np.ndarray, dict[str, Any]]]


def round_loop(otable: OracleTable, budget: int, seed: int, init: int, k: int, mutate_top: int,
               propose: Propose, select: Select, method: str, config: dict[str, Any]) -> SearchRun:
    """The batch loop every model-guided method shares, under the search protocol: the shared
    initial cells, then rounds of propose -> add every new single-edit neighbour of the
    `mutate_top` best cells so far -> look up the `k` best candidates by `select`."""
    start = time.perf_counter()
    oracle = Oracle(otable, budget)
    state = Round([], [], oracle, search_pool(otable), np.random.default_rng(seed))
    labelled, accs, rng = state.labelled, state.accs, state.rng

    def ask(cells: list) -> None:
        for cell, acc in zip(cells, oracle.query_many(cells)):
            if acc is not None:  # a failed evaluation teaches nothing
                accs.append(acc)
                labelled.append(cell)

    ask(initial_cells(otable, seed, min(init, budget)))
    rounds: list[dict[str, Any]] = []
    while oracle.remaining > 0:
        sampled, info = propose(state)
        keys = {cell_key(c) for c in sampled}
        best = [labelled[j] for j in np.argsort(-np.asarray(accs))[:mutate_top].tolist()]
        cands = sampled + fresh_neighbours(oracle, best, rng, keys)
        if not cands:
            cands = [fresh_random(oracle, state.pool, rng)]
        order, seen = select(state, cands, info)
        order = np.asarray(order)[:min(k, oracle.remaining)].tolist()
        ask([cands[i] for i in order])
        rounds.append({**info, **seen, "candidates": len(cands),
                       "from_sampler": sum(i < len(sampled) for i in order),
                       "queries": oracle.used, "seconds": round(time.perf_counter() - start, 3)})
    return SearchRun(method, seed, budget, oracle.history, info={"config": config, "rounds": rounds})


def ranker_search(otable: OracleTable, budget: int, seed: int, cfg: SearchConfig | None = None,
                  method: str = "narank") -> SearchRun:
    """NAR search in `round_loop`: each round fits the ranker on the labelled cells, draws
    `cfg.candidates` cells from the sampler (`cfg.sampler`, narrowed by a trusted prior) and looks
    up the best `k` of them and the neighbours by `selection_order` (tier, score and, while
    trusted, the zero-cost prior). The search protocol (`narank.search.protocol`) applies: no
    duplicate function is looked up.
    """
    cfg = cfg or SearchConfig()
    ranker = make_ranker(otable.space, otable.dataset, cfg, seed)

    def fitted(r: Round) -> bool:  # the ranker is (re)fit every round once there are enough labels
        return len(r.labelled) >= cfg.tiers

    def propose(r: Round) -> tuple[list, dict[str, Any]]:
        if fitted(r):
            ranker.fit(r.labelled, r.accs)
            if cfg.recipe == "gnn":
                ranker.set_params(warm_start=True, epochs=cfg.update_epochs)
        allowed, prior_info = prior_region(cfg, r.pool, r.labelled, r.accs) if fitted(r) else (None, {})
        sampled, info = draw_candidates(cfg, ranker, fitted(r), r.pool, r.oracle, r.rng, allowed)
        return sampled, {**prior_info, **info}

    def select(r: Round, cands: list, info: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        if fitted(r):
            scores, ctiers = ranker.rank(cands)
        else:
            scores, ctiers = r.rng.random(len(cands)), np.ones(len(cands))
        prior = prior_scores(cfg, r.pool, cands) if info.get("prior_on") else None
        return selection_order(scores, ctiers, prior, cfg.prior_weight), {"tier1": int((ctiers == 1).sum())}

    return round_loop(otable, budget, seed, cfg.init, cfg.k, cfg.mutate_top, propose, select, method,
                      cfg.to_dict())
