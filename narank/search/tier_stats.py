"""Per-tier statistics of the cells a ranker puts in each tier, and the sampler they drive.

The statistics are a JSON-able dict (stored as `manifest["tier_stats"]` in checkpoints):
histograms of FLOPs and params (1-D, and joint FLOPs x params) and of the space's own
per-cell counts (`SearchSpace.cell_features`), one histogram per predicted tier, plus the KL divergence
of the top tier from the others. `TierSampler` draws FLOPs/params targets from the top tier's
joint histogram and samples cells that fit them by bounded rejection when that KL is over a
threshold, else uniformly, and always mixes in a fraction of purely random cells.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from narank.errors import NarankError
from narank.spaces import SearchSpace, get_space, space_of

STATS_VERSION = 1
COST_FEATURES = ("flops_M", "params_M")
EPS = 1e-3


# ------------------------------------------------------------------------- cell features


def cell_features(space: str | SearchSpace, cells: Sequence, dataset: str) -> dict[str, np.ndarray]:
    """Per-cell features of `space` (flops_M, params_M and its counts; see `SearchSpace.cell_features`)."""
    return get_space(space).cell_features(cells, dataset)


def space_features(space: str | SearchSpace, dataset: str) -> dict[str, np.ndarray]:
    """`cell_features` of every cell of an enumerable space, in its enumeration order (cached)."""
    return _space_features(get_space(space).name, dataset)


@lru_cache(maxsize=8)
def _space_features(name: str, dataset: str) -> dict[str, np.ndarray]:
    space = get_space(name)
    return space.cell_features(space.enumerate(), dataset)


def _count_edges(values: np.ndarray) -> list[float]:
    """Integer-centred bin edges for a count feature, 0 up to its largest value."""
    top = int(np.max(values)) if len(values) else 0
    return [k - 0.5 for k in range(top + 2)]


def _cost_edges(values: np.ndarray, bins: int) -> list[float]:
    """Equal-width edges spanning the values, slightly widened so the extremes fall inside."""
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = max(1e-6, 1e-3 * (hi - lo))
    return np.linspace(lo - pad, hi + pad, bins + 1).tolist()


def bin_index(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Bin of each value under `edges` (values outside are clipped to the end bins)."""
    e = np.asarray(edges, dtype=float)
    return np.clip(np.searchsorted(e, np.asarray(values, dtype=float), side="right") - 1, 0, len(e) - 2)


def kl_divergence(p: np.ndarray, q: np.ndarray, eps: float = EPS) -> float:
    """KL(p || q) of two histograms (counts or probabilities), smoothed by `eps`."""
    p = np.asarray(p, dtype=float).ravel() + eps
    q = np.asarray(q, dtype=float).ravel() + eps
    p, q = p / p.sum(), q / q.sum()
    return float(np.sum(p * np.log(p / q)))


# ------------------------------------------------------------------------------ statistics


def tier_stats_from(space: str, dataset: str, features: dict[str, np.ndarray], tiers: np.ndarray,
                    k: int, bins: int = 16, edges: dict[str, list[float]] | None = None) -> dict[str, Any]:
    """Statistics dict from per-cell features and predicted tiers (1 = best .. k)."""
    tiers = np.asarray(tiers, dtype=int)
    if len(tiers) == 0:
        raise NarankError("no cells to compute tier statistics from")
    edges = dict(edges or {})
    hist: dict[str, Any] = {}
    for name, values in features.items():
        if name not in edges:
            edges[name] = _cost_edges(values, bins) if name in COST_FEATURES else _count_edges(values)
        idx = bin_index(values, edges[name])
        n_bins = len(edges[name]) - 1
        hist[name] = [np.bincount(idx[tiers == t], minlength=n_bins).tolist() for t in range(1, k + 1)]
    fi = bin_index(features["flops_M"], edges["flops_M"])
    pi = bin_index(features["params_M"], edges["params_M"])
    nf, np_ = len(edges["flops_M"]) - 1, len(edges["params_M"]) - 1
    joint = fi * np_ + pi
    joint_hist = [np.bincount(joint[tiers == t], minlength=nf * np_).tolist() for t in range(1, k + 1)]
    top = np.asarray(joint_hist[0])
    rest = np.asarray(joint_hist[1:]).sum(axis=0)
    kl = {name: kl_divergence(h[0], np.asarray(h[1:]).sum(axis=0)) for name, h in hist.items()}
    return {
        "version": STATS_VERSION,
        "space": get_space(space).name,
        "dataset": dataset,
        "tiers": k,
        "n_samples": int(len(tiers)),
        "counts": np.bincount(tiers - 1, minlength=k).tolist(),
        "edges": edges,
        "hist": hist,
        "joint": {"x": "flops_M", "y": "params_M", "hist": joint_hist},
        "kl": kl,
        "kl_top_bottom": kl_divergence(top, rest) if top.sum() and rest.sum() else 0.0,
    }


def sample_space(space: str | SearchSpace, n: int, rng: np.random.Generator) -> list:
    """`n` uniform cells of the whole space (distinct when the space can be listed and n fits)."""
    space = get_space(space)
    cells = space.enumerate()
    if cells is None:
        return space.sample(n, rng)
    return [cells[i] for i in rng.choice(len(cells), min(n, len(cells)), replace=False).tolist()]


def compute_tier_stats(ranker: Any, n_samples: int = 10_000, seed: int = 0, bins: int = 16,
                       cells: Sequence | None = None) -> dict[str, Any]:
    """Tier statistics of `ranker` over `n_samples` uniform cells of its space (or `cells`)."""
    rng = np.random.default_rng(seed)
    if cells is None:
        cells = sample_space(ranker.space, n_samples, rng)
    _, tiers = ranker.rank(cells)
    feats = cell_features(ranker.space, cells, ranker.dataset)
    stats = tier_stats_from(ranker.space, ranker.dataset, feats, tiers, ranker.tiers, bins)
    stats["seed"] = int(seed)
    return stats


def check_stats(stats: Any) -> dict[str, Any]:
    """Validate a stored statistics dict (e.g. from a manifest) or raise a clear error."""
    keys = ("version", "space", "tiers", "edges", "joint", "kl_top_bottom")
    if not isinstance(stats, dict) or any(k not in stats for k in keys):
        raise NarankError("tier statistics are missing or malformed (expected keys "
                          f"{', '.join(keys)}); recompute them with compute_tier_stats")
    if stats["version"] != STATS_VERSION:
        raise NarankError(f"tier statistics version {stats['version']} is not supported "
                          f"(this narank reads version {STATS_VERSION})")
    return stats


# --------------------------------------------------------------------------------- pools


@dataclass
class CellPool:
    """Where candidates come from: a finite list of cells, or a generator of the whole space.

    `cells` + `features` (flops_M, params_M arrays aligned with `cells`) for a finite pool;
    otherwise `draw(m, rng)` produces random valid cells whose features are computed on demand.
    """

    space: SearchSpace
    dataset: str
    cells: Sequence | None = None
    features: dict[str, np.ndarray] | None = None
    draw: Callable[[int, np.random.Generator], list] | None = None
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def random(self, m: int, rng: np.random.Generator) -> tuple[list, np.ndarray, np.ndarray]:
        """`m` uniform draws: (cells, flops_M, params_M)."""
        if self.cells is not None and self.features is not None:
            idx = rng.integers(0, len(self.cells), size=m)
            return ([self.cells[i] for i in idx.tolist()], self.features["flops_M"][idx],
                    self.features["params_M"][idx])
        if self.draw is None:
            raise NarankError("a CellPool needs cells with features, or a draw function")
        cells = self.draw(m, rng)
        if not cells:
            return [], np.zeros(0), np.zeros(0)
        feats = cell_features(self.space, cells, self.dataset)
        return cells, feats["flops_M"], feats["params_M"]


def space_pool(space: str | SearchSpace, dataset: str) -> CellPool:
    """The whole search space: a finite list where it can be listed, else its random generator."""
    space = get_space(space)
    cells = space.enumerate()
    if cells is not None:
        return CellPool(space, dataset, cells, space_features(space, dataset))
    return CellPool(space, dataset, draw=space.sample)


def cell_key(cell: Any) -> Hashable:
    """Identity used to avoid duplicates: the isomorphism key (cells computing the same function)."""
    return space_of(cell).iso_key(cell)


# ------------------------------------------------------------------------------- sampler


@dataclass
class SampleResult:
    """Sampled cells, which of them were drawn to a target, and whether targets were used."""

    cells: list
    targeted: np.ndarray
    active: bool
    misses: int


class TierSampler:
    """Sample candidates from the top tier's FLOPs/params histogram (KL-gated) or uniformly."""

    def __init__(self, stats: dict[str, Any], threshold: float = 0.05, random_frac: float = 0.2,
                 max_tries: int = 200, uniform: bool = False):
        self.stats = check_stats(stats)
        if not 0.0 <= random_frac <= 1.0:
            raise NarankError(f"random_frac must be in [0, 1], got {random_frac}")
        self.threshold = threshold
        self.random_frac = random_frac
        self.max_tries = max_tries
        self.uniform = uniform
        self.fx = self.stats["edges"]["flops_M"]
        self.px = self.stats["edges"]["params_M"]
        top = np.asarray(self.stats["joint"]["hist"][0], dtype=float)
        self.top = top / top.sum() if top.sum() > 0 else None

    @property
    def active(self) -> bool:
        """True when targets come from the top tier (KL over threshold and a non-empty top tier)."""
        return (not self.uniform and self.top is not None
                and float(self.stats["kl_top_bottom"]) > self.threshold)

    def joint_bin(self, flops: np.ndarray, params: np.ndarray) -> np.ndarray:
        """Joint FLOPs x params bin of each cell."""
        return bin_index(flops, self.fx) * (len(self.px) - 1) + bin_index(params, self.px)

    def sample(self, n: int, rng: np.random.Generator, pool: CellPool,
               exclude: set | None = None) -> SampleResult:
        """`n` distinct candidates (by `cell_key`), none in `exclude`."""
        exclude = set() if exclude is None else exclude
        seen: set = set()
        out: list = []
        targeted: list[bool] = []

        def take(cell: Any, is_target: bool) -> bool:
            key = cell_key(cell)
            if key in exclude or key in seen:
                return False
            seen.add(key)
            out.append(cell)
            targeted.append(is_target)
            return True

        n_target = int(round(n * (1.0 - self.random_frac))) if self.active else 0
        misses = 0
        if n_target:
            wanted = np.bincount(rng.choice(len(self.top), size=n_target, p=self.top),
                                 minlength=len(self.top))
            tries, chunk = 0, max(256, 4 * n_target)
            while wanted.sum() > 0 and tries < self.max_tries * n_target:
                cells, fl, pa = pool.random(chunk, rng)
                tries += len(cells)
                for cell, b in zip(cells, self.joint_bin(fl, pa).tolist()):
                    if wanted[b] > 0 and take(cell, True):
                        wanted[b] -= 1
            misses = int(wanted.sum())
        stall = 0
        while len(out) < n and stall < 50:
            cells, _, _ = pool.random(max(64, n - len(out)), rng)
            before = len(out)
            for cell in cells:
                if len(out) >= n:
                    break
                take(cell, False)
            stall = stall + 1 if len(out) == before else 0
        return SampleResult(out, np.asarray(targeted, dtype=bool), self.active, misses)


def uniform_stats(space: str, dataset: str, k: int = 5) -> dict[str, Any]:
    """A placeholder statistics dict with zero KL: the sampler then draws uniformly."""
    feats = {"flops_M": np.array([0.0, 1.0]), "params_M": np.array([0.0, 1.0])}
    return tier_stats_from(space, dataset, feats, np.array([1, 2]), k, bins=1)


@lru_cache(maxsize=16)
def _uniform_sampler(space: str, dataset: str) -> TierSampler:
    return TierSampler(uniform_stats(space, dataset), uniform=True)


def uniform_candidates(n: int, rng: np.random.Generator, pool: CellPool,
                       exclude: set | None = None) -> SampleResult:
    """`n` distinct uniform cells of `pool` (by `cell_key`), none in `exclude`."""
    return _uniform_sampler(pool.space.name, pool.dataset).sample(n, rng, pool, exclude=exclude)


# ------------------------------------------------------------------- joint-feature sampler


def feature_keys(features: dict[str, np.ndarray], cost_bins: int = 4) -> np.ndarray:
    """One integer per cell naming its joint feature bin: every count feature exactly, cost
    features (FLOPs, params) in `cost_bins` quantile bins. Equal keys = same op composition
    (NB201: op counts, which fix FLOPs and params) or same counts and cost class (NB101)."""
    cols = []
    for name, values in features.items():
        v = np.asarray(values, dtype=float)
        if name in COST_FEATURES:
            edges = np.unique(np.quantile(v, np.linspace(0, 1, cost_bins + 1)[1:-1]))
            cols.append(np.searchsorted(edges, v, side="right"))
        else:
            cols.append(np.round(v).astype(np.int64))
    rows = np.stack(cols, axis=1) if cols else np.zeros((0, 0), dtype=np.int64)
    return np.unique(rows, axis=0, return_inverse=True)[1].ravel()


class JointTierSampler:
    """Sample candidates by the ranker's tier-1 probability of each joint feature bin.

    NAR's sampler looks at FLOPs and params only. This one bins a pool by *all* of its space's
    `cell_features` jointly (`feature_keys`), counts how often the ranker puts cells of each bin in
    tier 1 among a uniform sample, and draws candidates so that a cell's chance is proportional to
    P(tier 1 | its bin) (drawing a bin from the tier-1 histogram, then a uniform pool cell of that
    bin, which has no rejection misses). `power` > 1 sharpens towards the best bins. `allowed`
    (a mask over the pool) restricts every draw, targeted or random, to those cells.
    """

    def __init__(self, pool: CellPool, keys: np.ndarray, sample_idx: np.ndarray, tiers: np.ndarray,
                 random_frac: float = 0.0, power: float = 1.0, alpha: float = 0.05,
                 allowed: np.ndarray | None = None):
        if pool.cells is None:
            raise NarankError("the joint-feature sampler needs a finite pool of cells")
        if not 0.0 <= random_frac <= 1.0:
            raise NarankError(f"random_frac must be in [0, 1], got {random_frac}")
        self.pool = pool
        self.keys = np.asarray(keys)
        self.allowed = np.flatnonzero(np.ones(len(self.keys), bool) if allowed is None else allowed)
        if len(self.allowed) == 0:
            raise NarankError("the joint-feature sampler was allowed no cell of its pool")
        n_keys = int(self.keys.max()) + 1
        sample_keys = self.keys[np.asarray(sample_idx)]
        top = np.bincount(sample_keys[np.asarray(tiers) == 1], minlength=n_keys).astype(float)
        seen = np.bincount(sample_keys, minlength=n_keys).astype(float)
        size = np.bincount(self.keys[self.allowed], minlength=n_keys).astype(float)
        # P(tier 1 | bin) from the sample (bins never sampled get the overall rate), times the
        # bin's share of the pool: the distribution of the tier-1 cells over bins
        rate = top.sum() / max(seen.sum(), 1.0)
        p_top = np.where(seen > 0, (top + alpha * rate) / (seen + alpha), rate)
        weight = size * p_top ** power
        self.p = weight / weight.sum() if weight.sum() > 0 else size / size.sum()
        self.random_frac = random_frac
        order = self.allowed[np.argsort(self.keys[self.allowed], kind="stable")]
        bounds = np.searchsorted(self.keys[order], np.arange(n_keys + 1))
        self.members = [order[bounds[k]:bounds[k + 1]] for k in range(n_keys)]
        self.active = bool(top.sum() > 0)

    @classmethod
    def for_pool(cls, pool: CellPool, ranker: Any, n_stats: int, rng: np.random.Generator,
                 allowed: np.ndarray | None = None, **kw: Any) -> JointTierSampler:
        """Rank `n_stats` uniform cells of the pool (of its `allowed` part) with `ranker` and build
        the sampler from their tiers."""
        where = np.flatnonzero(allowed) if allowed is not None else np.arange(len(pool.cells))
        idx = where[rng.integers(0, len(where), size=n_stats)]
        _, tiers = ranker.rank([pool.cells[i] for i in idx.tolist()])
        return cls(pool, pool_keys(pool), idx, tiers, allowed=allowed, **kw)

    def sample(self, n: int, rng: np.random.Generator, exclude: set | None = None) -> SampleResult:
        """`n` distinct candidates (by `cell_key`), none in `exclude`; a share `random_frac`
        uniform."""
        exclude = set() if exclude is None else exclude
        seen: set = set()
        out: list = []
        targeted: list[bool] = []
        n_target = int(round(n * (1.0 - self.random_frac))) if self.active else 0
        misses = 0
        bins = rng.choice(len(self.p), size=4 * n_target, p=self.p) if n_target else []
        for b in bins:
            if len(out) >= n_target:
                break
            group = self.members[int(b)]
            cell = self.pool.cells[int(group[rng.integers(len(group))])]
            key = cell_key(cell)
            if key in exclude or key in seen:
                misses += 1
                continue
            seen.add(key)
            out.append(cell)
            targeted.append(True)
        stall = 0
        while len(out) < n and stall < 50:
            before = len(out)
            draws = self.allowed[rng.integers(0, len(self.allowed), size=max(64, n - len(out)))]
            for cell in (self.pool.cells[i] for i in draws.tolist()):
                key = cell_key(cell)
                if len(out) >= n or key in exclude or key in seen:
                    continue
                seen.add(key)
                out.append(cell)
                targeted.append(False)
            stall = stall + 1 if len(out) == before else 0
        return SampleResult(out, np.asarray(targeted, dtype=bool), self.active, misses)


def pool_keys(pool: CellPool) -> np.ndarray:
    """`feature_keys` of a finite pool's cells (computed once per pool)."""
    if "keys" not in pool.cache:
        if pool.features is None:
            raise NarankError("the joint-feature sampler needs a pool with features")
        pool.cache["keys"] = feature_keys(pool.features)
    return pool.cache["keys"]


def pool_positions(pool: CellPool) -> dict[Any, int]:
    """Exact cell -> its position in a finite pool (computed once per pool). Exact, not by
    isomorphism class: a free score may differ between cells that compute the same function."""
    if "positions" not in pool.cache:
        if pool.cells is None:
            raise NarankError("cell positions need a finite pool of cells")
        pool.cache["positions"] = {cell: i for i, cell in enumerate(pool.cells)}
    return pool.cache["positions"]


def _prior_key(name: str) -> str:
    return f"prior:{name}"


def pool_prior(pool: CellPool, name: str) -> np.ndarray:
    """A free per-cell score (a one-column graph feature such as `sed`) of every cell of a finite
    pool, higher = better (computed once per pool)."""
    from narank.graph_features import graph_features

    key = _prior_key(name)
    if key not in pool.cache:
        if pool.cells is None:
            raise NarankError("a zero-cost prior needs a finite pool of cells")
        values = graph_features(pool.space, pool.cells, pool.dataset, [name])
        if values.shape[1] != 1:
            raise NarankError(f"prior {name!r} is not a single score per cell")
        pool.cache[key] = values[:, 0]
    return pool.cache[key]


def known_prior(pool: CellPool, name: str, cells: Sequence) -> np.ndarray | None:
    """The prior scores of `cells` looked up by exact cell, if `pool_prior` has already computed the
    pool's and every cell is in the pool; None otherwise (nothing is computed here)."""
    if pool.cells is None or _prior_key(name) not in pool.cache:
        return None
    where = pool_positions(pool)
    idx = [where.get(c) for c in cells]
    return None if None in idx else pool.cache[_prior_key(name)][np.asarray(idx, dtype=int)]


def pool_prior_top(pool: CellPool, name: str, top: float) -> np.ndarray:
    """Mask of the pool's cells whose prior score is in its best `top` share (ties included;
    computed once per pool, prior and share)."""
    key = f"prior_top:{name}:{top}"
    if key not in pool.cache:
        values = pool_prior(pool, name)
        pool.cache[key] = values >= np.quantile(values, 1.0 - top)
    return pool.cache[key]
