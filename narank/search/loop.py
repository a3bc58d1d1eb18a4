"""The budgeted NAR search loop: label a few cells, train, sample by tier statistics, query, repeat."""

from __future__ import annotations

import time
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
    tier_stats_from,
    uniform_stats,
)
from narank.spaces import SearchSpace, get_space, space_of

SAMPLERS = ("joint", "nar", "uniform")


@dataclass
class SearchConfig:
    """Settings of the ranker-driven search (small, fast ranker; warm-started between rounds).

    `sampler` picks where the uniform-looking part of the candidates comes from: "joint" (the
    ranker's tier-1 rate per joint bin of all cell features, `JointTierSampler`), "nar" (NAR's
    FLOPs x params histogram of the top tier, KL-gated, with a random share: `nar_config()`) or
    "uniform" (the ablation). Neighbours of the best cells are always added.
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

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise NarankError(f"unknown sampler {self.sampler!r}; choose from {', '.join(SAMPLERS)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def nar_config(**kw: Any) -> SearchConfig:
    """NAR's original sampler: FLOPs/params targets from the top tier, KL gate 0.05, 20% random."""
    return SearchConfig(**{"sampler": "nar", "random_frac": 0.2, "kl_threshold": 0.05, **kw})


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
    """A small ranker for search."""
    from narank.predictor import Ranker

    return Ranker(get_space(space).name, dataset, node_features=(), encoder=cfg.encoder, dim=cfg.dim,
                  layers=cfg.layers, tiers=cfg.tiers, epochs=cfg.epochs, lr=cfg.lr,
                  batch_size=cfg.batch_size, lam=cfg.lam, random_state=seed)


def draw_candidates(cfg: SearchConfig, ranker: Any, fitted: bool, pool: CellPool, oracle: Oracle,
                    rng: np.random.Generator) -> tuple[list, dict[str, Any]]:
    """The sampled part of a round's candidates (fresh cells only) and what the sampler did."""
    otable = oracle.table
    exclude = oracle.keys
    if cfg.sampler == "uniform" or not fitted:
        drawn = TierSampler(uniform_stats(otable.space.name, otable.dataset), uniform=True).sample(
            cfg.candidates, rng, pool, exclude=exclude)
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
        joint = JointTierSampler.for_pool(pool, ranker, cfg.stats_samples, rng,
                                          random_frac=cfg.random_frac, power=cfg.power)
        drawn = joint.sample(cfg.candidates, rng, exclude=exclude)
        info = {"active": drawn.active, "misses": drawn.misses}
    return [c for c in drawn.cells if oracle.fresh(c)], info


def ranker_search(otable: OracleTable, budget: int, seed: int, cfg: SearchConfig | None = None,
                  method: str = "narank") -> SearchRun:
    """NAR search: the shared initial cells, then rounds of train -> sample -> rank -> query top k.

    Candidates: `cfg.candidates` cells from the sampler (`cfg.sampler`) plus every new
    single-edit neighbour of the `cfg.mutate_top` best cells so far; among them, cells predicted
    in tier 1 are ordered by score (then the others) and the best `k` are looked up. The search
    protocol (`narank.search.protocol`) applies: no duplicate function is looked up.
    """
    cfg = cfg or SearchConfig()
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    oracle = Oracle(otable, budget)
    pool = search_pool(otable)
    labelled: list = []
    accs: list[float] = []

    def ask(cell: Any) -> None:
        accs.append(oracle.query(cell))
        labelled.append(cell)

    for cell in initial_cells(otable, seed, min(cfg.init, budget)):
        ask(cell)
    ranker = make_ranker(otable.space, otable.dataset, cfg, seed)
    rounds: list[dict[str, Any]] = []
    fitted = False
    while oracle.remaining > 0:
        if len(labelled) >= cfg.tiers:
            ranker.fit(labelled, accs)
            ranker.set_params(warm_start=True, epochs=cfg.update_epochs)
            fitted = True
        sampled, info = draw_candidates(cfg, ranker, fitted, pool, oracle, rng)
        keys = {cell_key(c) for c in sampled}
        best = [labelled[j] for j in np.argsort(-np.asarray(accs))[:cfg.mutate_top].tolist()]
        cands = sampled + fresh_neighbours(oracle, best, rng, keys)
        if not cands:
            cands = [fresh_random(oracle, pool, rng)]
        scores, ctiers = ranker.rank(cands) if fitted else (rng.random(len(cands)), np.ones(len(cands)))
        order = np.lexsort((-scores, ctiers != 1))[:min(cfg.k, oracle.remaining)].tolist()
        for i in order:
            ask(cands[i])
        rounds.append({**info, "tier1": int((ctiers == 1).sum()), "candidates": len(cands),
                       "from_sampler": sum(i < len(sampled) for i in order),
                       "queries": oracle.used, "seconds": round(time.perf_counter() - start, 3)})
    return SearchRun(method, seed, budget, oracle.history,
                     info={"config": cfg.to_dict(), "rounds": rounds})
