"""The budgeted NAR search loop: label a few cells, train, sample by tier statistics, query, repeat."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from narank.benchmarks import BenchmarkTable
from narank.errors import NarankError
from narank.search.oracle import Oracle, OracleTable, Query
from narank.search.tier_stats import (
    CellPool,
    TierSampler,
    cell_features,
    cell_key,
    space_pool,
    tier_stats_from,
)
from narank.spaces import SearchSpace, get_space, space_of


@dataclass
class SearchConfig:
    """Settings of the ranker-driven search (small, fast ranker; warm-started between rounds)."""

    init: int = 20
    k: int = 10
    candidates: int = 256
    mutate_top: int = 5
    random_frac: float = 0.2
    kl_threshold: float = 0.05
    max_tries: int = 200
    stats_samples: int = 2000
    uniform: bool = False
    encoder: str = "gin"
    dim: int = 32
    layers: int = 2
    tiers: int = 5
    epochs: int = 40
    update_epochs: int = 15
    lr: float = 3e-3
    batch_size: int = 32
    lam: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


@lru_cache(maxsize=4)
def table_pool(table: BenchmarkTable, dataset: str) -> CellPool:
    """The cells of a table (with their features) as a finite pool; for NB101, the searchable set."""
    cells = table.cells()
    return CellPool(table.space, dataset, cells, cell_features(table.space, dataset, cells))


def search_pool(otable: OracleTable) -> CellPool:
    """Where a search draws cells: the whole space where it can be listed, else the table's cells
    (NB101: the cells with ground truth)."""
    if otable.space.enumerate() is not None:
        return space_pool(otable.space, otable.dataset)
    return table_pool(otable.table, otable.dataset)


def neighbours(cell: Any, rng: np.random.Generator) -> list:
    """Single-edit neighbours of a cell, as its space defines them."""
    return space_of(cell).neighbours(cell, rng)


def random_unseen(oracle: Oracle, pool: CellPool, rng: np.random.Generator, exclude: set,
                  tries: int = 10_000) -> Any:
    """A uniform pool cell with ground truth whose key is not in `exclude`."""
    for _ in range(tries // 64 + 1):
        for cell in pool.random(64, rng)[0]:
            if cell_key(cell) not in exclude and oracle.has(cell):
                return cell
    raise NarankError("could not draw an unseen cell with ground truth; the pool is exhausted")


def make_ranker(space: str | SearchSpace, dataset: str, cfg: SearchConfig, seed: int):
    """A small ranker for search."""
    from narank.predictor import Ranker

    return Ranker(get_space(space).name, dataset, node_features=(), encoder=cfg.encoder, dim=cfg.dim,
                  layers=cfg.layers, tiers=cfg.tiers, epochs=cfg.epochs, lr=cfg.lr,
                  batch_size=cfg.batch_size, lam=cfg.lam, random_state=seed)


def ranker_search(otable: OracleTable, budget: int, seed: int, cfg: SearchConfig | None = None,
                  method: str = "narank") -> SearchRun:
    """NAR search: `cfg.init` random lookups, then rounds of train -> sample -> rank -> query top k.

    Candidates come from the tier-statistics sampler (uniform when `cfg.uniform`, the ablation)
    plus all single-edit neighbours of the `cfg.mutate_top` best cells found so far; among them,
    cells predicted in tier 1 are ordered by score (then the others) and the best `k` not yet
    queried (NB201: no cell computing the same function as a queried one) are looked up.
    """
    cfg = cfg or SearchConfig()
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    oracle = Oracle(otable, budget)
    pool = search_pool(otable)
    queried: set = set()
    labelled: list = []
    accs: list[float] = []

    def ask(cell: Any) -> None:
        accs.append(oracle.query(cell))
        labelled.append(cell)
        queried.add(cell_key(cell))

    for _ in range(min(cfg.init, budget)):
        ask(random_unseen(oracle, pool, rng, queried))
    ranker = make_ranker(otable.space, otable.dataset, cfg, seed)
    rounds: list[dict[str, Any]] = []
    while oracle.remaining > 0:
        if len(labelled) >= cfg.tiers:
            ranker.fit(labelled, accs)
            ranker.set_params(warm_start=True, epochs=cfg.update_epochs)
        stat_cells, fl, pa = pool.random(cfg.stats_samples, rng)
        _, tiers = ranker.rank(stat_cells)
        stats = tier_stats_from(otable.space, otable.dataset, {"flops_M": fl, "params_M": pa},
                                tiers, cfg.tiers)
        sampler = TierSampler(stats, cfg.kl_threshold, cfg.random_frac, cfg.max_tries, cfg.uniform)
        drawn = sampler.sample(cfg.candidates, rng, pool, exclude=queried)
        cands = [c for c in drawn.cells if oracle.has(c)]
        keys = {cell_key(c) for c in cands}
        for j in np.argsort(-np.asarray(accs))[:cfg.mutate_top].tolist():
            for c in neighbours(labelled[j], rng):
                key = cell_key(c)
                if key not in keys and key not in queried and oracle.has(c):
                    keys.add(key)
                    cands.append(c)
        if not cands:
            cands = [random_unseen(oracle, pool, rng, queried)]
        scores, ctiers = ranker.rank(cands)
        order = np.lexsort((-scores, ctiers != 1))
        picked = 0
        for i in order.tolist():
            if picked >= cfg.k or oracle.remaining <= 0:
                break
            if cell_key(cands[i]) in queried:
                continue
            ask(cands[i])
            picked += 1
        rounds.append({"kl": round(stats["kl_top_bottom"], 4), "active": drawn.active,
                       "misses": drawn.misses, "tier1": int((ctiers == 1).sum()),
                       "candidates": len(cands), "queries": oracle.used,
                       "seconds": round(time.perf_counter() - start, 3)})
    return SearchRun(method, seed, budget, oracle.history,
                     info={"config": cfg.to_dict(), "rounds": rounds})
