"""EZNAS evolution: DEAP strongly-typed GP whose fitness is Kendall tau on an evolution pool.

Fitness of a program = mean Kendall tau between its scores and accuracy over a few random subsets
of the evolution pool (fresh subsets every generation, the same for the whole population). Scores
on the whole pool are computed once per distinct formula in worker processes
(`narank.engine.map_items`) and cached, so a formula's fitness on new subsets costs nothing.
NaN scores or numerical errors give the worst fitness (-1) and are counted; so are constant
programs. Each program is also scored on random tensors of the statistics' shapes (the control,
on part of the pool): whatever |tau| it keeps there beyond `control_max` measures the
architecture's shape, not the network, and is subtracted from its fitness. The population may be
split into islands that evolve apart and exchange their best programs every few generations (DEAP's
ring migration), so that one early lineage does not take over. The final program is chosen among
the best *distinct* formulas of the evolution pool (programs ordering the pool alike count once) by
Kendall tau on a separate *validation pool*, preferring programs that fail the random-tensor
control. A checkpoint after every
generation (population, RNG states, fitness caches, log) makes a killed run resume where it
stopped.
"""

from __future__ import annotations

import json
import math
import operator
import os
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from narank.atomic import atomic_write_bytes
from narank.caches import Cache
from narank.errors import NarankError
from narank.eznas.program import Program, parse_tree, pset
from narank.eznas.state import (
    load_checkpoint,
    load_pool_file,
    read_pool_header,
    refuse_pickles,
    save_checkpoint,
    save_pool_file,
)
from narank.eznas.stats import NetworkStats, StatsSettings, collect_stats, random_like

WORST = -1.0
CHECKPOINT = "checkpoint.pt"
LEGACY_CHECKPOINT = "checkpoint.npz"  # written by narank before the common state format: still resumed


@dataclass
class EvolveConfig:
    """Settings of one evolution run (all of them enter the checkpoint's identity)."""

    population: int = 50
    generations: int = 15
    seed: int = 0
    subsets: int = 3
    subset_size: int = 100
    tournament: int = 3
    crossover: float = 0.5
    mutation: float = 0.3
    max_height: int = 8
    elite: int = 2
    candidates: int = 10
    control_max: float = 0.2
    control_cells: int = 100  # pool networks whose random-tensor twins check each program; 0 = no check
    islands: int = 1  # sub-populations evolving apart (DEAP's ring migration), against early convergence
    migration_every: int = 5
    migrants: int = 2
    same_phenotype: float = 0.99  # Spearman rho above which two candidates count as one program

    def check(self) -> EvolveConfig:
        if self.population < 4:
            raise NarankError(f"--population must be at least 4, got {self.population}")
        if self.generations < 1:
            raise NarankError(f"--generations must be at least 1, got {self.generations}")
        if self.seed < 0:
            raise NarankError(f"--seed must be >= 0, got {self.seed}")
        if self.islands < 1 or self.population < 4 * self.islands:
            raise NarankError(
                f"--islands must be at least 1 with at least 4 programs each, got {self.islands} "
                f"islands for a population of {self.population}"
            )
        return self

    def island_sizes(self) -> list[int]:
        """Programs per island; the population split as evenly as it goes."""
        base, extra = divmod(self.population, self.islands)
        return [base + (i < extra) for i in range(self.islands)]


@dataclass
class EvolveResult:
    """The chosen program, the candidates it was chosen from, and the per-generation log."""

    program: Program
    candidates: list[dict[str, Any]]
    log: list[dict[str, Any]]
    seconds: float
    stats: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- pools on disk

_POOLS: Cache[str, list[NetworkStats]] = Cache("EZNAS statistics pools", 4)


def _meta_path(path: str | os.PathLike) -> Path:
    return Path(path).with_suffix(".meta.json")


def save_pool(path: Path, stats: list[NetworkStats], meta: dict[str, Any]) -> Path:
    """Write a pool's statistics (`.npz`, atomically) and its metadata beside it (JSON, small: read
    without loading hundreds of MB); workers read the statistics by path. The old sidecar goes
    first, so a kill between the two writes leaves no sidecar that describes other statistics."""
    _meta_path(path).unlink(missing_ok=True)
    save_pool_file(path, stats, meta)
    atomic_write_bytes(_meta_path(path), json.dumps(meta).encode())
    return path


def load_pool(path: str | os.PathLike, control: bool = False, limit: int | None = None) -> list[NetworkStats]:
    """A pool's statistics (cached per process); `control` gives the random-tensor twins of the first
    `limit` networks (all when None)."""
    key = f"{os.fspath(path)}|{os.path.getmtime(path)}|{control}|{limit}"
    if key not in _POOLS:
        stats = load_pool_file(path)[0][:limit]
        if control:
            stats = [random_like(s, 10_007 + i) for i, s in enumerate(stats)]
        _POOLS[key] = stats
    return _POOLS[key]


def pool_meta(path: str | os.PathLike) -> dict[str, Any]:
    """A saved pool's metadata (ids, settings, classes), from its JSON sidecar or the pool's header."""
    if _meta_path(path).exists():
        return json.loads(_meta_path(path).read_text())
    return read_pool_header(path)["meta"]


@dataclass(frozen=True)
class _Job:
    """What every task of one engine call shares. One object with a token unique to the call:
    Dask scatters sequences item by item and equal values under one key, and a key released by
    the previous call would be lost to the next."""

    value: Any
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


def _stats_task(cell: Any, job: _Job) -> NetworkStats:
    settings, num_classes = job.value
    return collect_stats(cell, settings, num_classes)


def compute_pool(
    cells: Sequence[Any],
    settings: StatsSettings,
    num_classes: int,
    path: Path,
    client: Any = None,
    progress: bool = True,
    desc: str = "statistics",
    ids: Sequence[str] | None = None,
) -> Path:
    """Collect the statistics of `cells` in workers and save them at `path` (kept if present, i.e.
    same cells by `ids`, their canonical ids, computed here when not given)."""
    from narank.engine import map_items
    from narank.spaces import space_of

    ids = list(ids) if ids is not None else [space_of(c).canonical_id(c) for c in cells]
    meta = {"ids": ids, "settings": settings.key(), "num_classes": num_classes}
    if path.exists() and pool_meta(path) == meta:
        return path
    out: list[NetworkStats | None] = [None] * len(cells)
    for i, stats in map_items(
        _stats_task,
        list(cells),
        client=client,
        progress=progress,
        desc=desc,
        shared={"job": _Job((settings, num_classes))},
    ):
        out[i] = stats
    return save_pool(path, out, meta)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- scoring programs


def _formula_scores(formula: str, job: _Job) -> np.ndarray:
    """Engine task: a formula's score on every network of a pool (NaN where it fails)."""
    path, control, limit = job.value
    program = Program(formula)
    return np.array([program.score_stats(s) for s in load_pool(path, control, limit)], dtype=np.float64)


def pool_scores(
    formulas: Sequence[str],
    path: Path,
    client: Any = None,
    control: bool = False,
    progress: bool = False,
    desc: str = "programs",
    limit: int | None = None,
) -> dict[str, np.ndarray]:
    """Scores of several formulas on one pool (its first `limit` networks; their random-tensor twins
    when `control`), computed through the engine."""
    from narank.engine import map_items

    formulas = list(dict.fromkeys(formulas))
    out: dict[str, np.ndarray] = {}
    for i, scores in map_items(
        _formula_scores,
        formulas,
        client=client,
        progress=progress,
        desc=desc,
        unit="program",
        shared={"job": _Job((os.fspath(path), control, limit))},
    ):
        out[formulas[i]] = scores
    return out


def kendall(scores: np.ndarray, acc: np.ndarray) -> float:
    """Kendall tau, NaN when any score is NaN or the scores are constant."""
    from scipy.stats import kendalltau

    if np.isnan(scores).any() or np.ptp(scores) == 0:
        return math.nan
    return float(kendalltau(scores, acc)[0])


def fitness(scores: np.ndarray, acc: np.ndarray, subsets: Sequence[np.ndarray]) -> tuple[float, str]:
    """(mean tau over the subsets, 'ok' | 'nan' | 'constant'); failures get WORST."""
    taus = []
    for idx in subsets:
        s = scores[idx]
        if np.isnan(s).any():
            return WORST, "nan"
        tau = kendall(s, acc[idx])
        if math.isnan(tau):
            return WORST, "constant"
        taus.append(tau)
    return float(np.mean(taus)), "ok"


def shape_excess(control_scores: np.ndarray, acc: np.ndarray, control_max: float) -> float:
    """How far |tau| on random tensors of the same shapes exceeds `control_max` (0 when it does not):
    the part of a program's ranking that comes from the architecture's shape alone, subtracted from
    its fitness so that the evolution prefers programs that fail the control."""
    tau = kendall(control_scores, acc)
    return 0.0 if math.isnan(tau) else max(0.0, abs(tau) - control_max)


def control_verdict(control_scores: np.ndarray, control_tau: float,
                    control_max: float) -> tuple[bool | None, str | None]:
    """(passes the random-tensor control?, why, when its tau is NaN).

    A NaN control tau has two causes that mean opposite things: scores that are constant on random
    tensors carry no ranking from the shapes alone (the control is passed, and the note says so);
    NaN scores on random tensors leave the control unchecked (None, not a pass).
    """
    if not math.isnan(control_tau):
        return abs(control_tau) <= control_max, None
    if np.isnan(control_scores).any():
        return None, "control not checked: the program gives NaN scores on random tensors"
    return True, ("control tau is undefined because the program's scores on random tensors are constant: "
                  "the shapes alone give it no ranking")


# ---------------------------------------------------------------------------- the GP loop


def _toolbox(config: EvolveConfig):
    from deap import base, creator, gp, tools

    if not hasattr(creator, "EznasFitness"):
        creator.create("EznasFitness", base.Fitness, weights=(1.0,))
        creator.create("EznasIndividual", gp.PrimitiveTree, fitness=creator.EznasFitness)
    ps = pset()
    tb = base.Toolbox()
    tb.register("expr", gp.genHalfAndHalf, pset=ps, min_=1, max_=4)
    tb.register("individual", tools.initIterate, creator.EznasIndividual, tb.expr)
    tb.register("population", tools.initRepeat, list, tb.individual)
    tb.register("select", tools.selTournament, tournsize=config.tournament)
    tb.register("mate", gp.cxOnePoint)
    tb.register("expr_mut", gp.genFull, min_=0, max_=2)
    tb.register("mutate", gp.mutUniform, expr=tb.expr_mut, pset=ps)
    limit = gp.staticLimit(key=operator.attrgetter("height"), max_value=config.max_height)
    tb.decorate("mate", limit)
    tb.decorate("mutate", limit)
    return tb, creator.EznasIndividual


def split_islands(pop: list, sizes: Sequence[int]) -> list[list]:
    """The flat population (island after island, as checkpointed) cut into its islands."""
    bounds = np.cumsum([0, *sizes])
    return [pop[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def _next_generation(deme: list, tb: Any, config: EvolveConfig) -> list:
    """One island's offspring: its elite unchanged, the rest by tournament, crossover and mutation."""
    from deap import algorithms

    best = sorted(deme, key=lambda i: i.fitness.values[0], reverse=True)[: config.elite]
    elite = [tb.clone(ind) for ind in best]
    chosen = tb.select(deme, len(deme) - len(elite))
    return elite + algorithms.varAnd(chosen, tb, config.crossover, config.mutation)


def evolve_on_pool(
    evo_path: Path,
    evo_acc: np.ndarray,
    config: EvolveConfig,
    run_dir: Path,
    client: Any = None,
    progress: bool = True,
    identity: dict[str, Any] | None = None,
) -> tuple[dict[str, np.ndarray], list[dict[str, Any]], float, dict[str, np.ndarray]]:
    """Run (or resume) the GP on a saved pool; returns (pool scores per formula, log, wall seconds,
    control scores per formula on the first `control_cells` networks' random twins).

    The checkpoint is tied to `identity` (config, pool, settings): a different run in the same
    folder is refused rather than silently mixed.
    """
    from deap import tools
    from tqdm.auto import tqdm

    config.check()
    evo_acc = np.asarray(evo_acc, dtype=np.float64)
    n = len(evo_acc)
    size = min(config.subset_size, n)
    tb, individual = _toolbox(config)
    # Everything but the number of generations: a finished run can be extended by asking for more.
    ident = {
        "config": {k: v for k, v in asdict(config).items() if k != "generations"},
        **(identity or {}),
        "pool": len(evo_acc),
    }
    ckpt = run_dir / CHECKPOINT
    refuse_pickles(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    legacy = run_dir / LEGACY_CHECKPOINT
    if ckpt.exists() or legacy.exists():
        state, caches = load_checkpoint(ckpt if ckpt.exists() else legacy)
        saved = dict(state["identity"])
        saved["config"] = {k: v for k, v in saved["config"].items() if k != "generations"}
        if saved != ident:
            raise NarankError(
                f"{run_dir} holds a checkpoint of a different evolution run; use another "
                "--run-dir or delete that folder"
            )
        version, internal, gauss = state["py_random"]
        random.setstate((version, tuple(internal), gauss))
        rng = np.random.default_rng()
        rng.bit_generator.state = state["np_random"]
        pop = [individual(parse_tree(f)) for f in state["population"]]
        for ind, value in zip(pop, state["fitness"]):
            ind.fitness.values = (value,)
        cache, log, elapsed, gen0 = caches["cache"], state["log"], state["seconds"], state["generation"]
        control_cache = caches["control"]
    else:
        random.seed(config.seed)
        rng = np.random.default_rng(config.seed)
        pop, cache, log, elapsed, gen0 = tb.population(config.population), {}, [], 0.0, 0
        control_cache = {}
    n_control = min(config.control_cells, n)
    bar = tqdm(total=config.generations, initial=gen0, desc="evolve", unit="gen", disable=not progress)
    try:
        for gen in range(gen0, config.generations):
            start = time.perf_counter()
            if gen > 0:
                demes = split_islands(pop, config.island_sizes())
                if len(demes) > 1 and gen % config.migration_every == 0:
                    tools.migRing(demes, config.migrants, tools.selBest, replacement=tools.selWorst)
                pop = [child for deme in demes for child in _next_generation(deme, tb, config)]
            formulas = [str(ind) for ind in pop]
            new = [f for f in dict.fromkeys(formulas) if f not in cache]
            cache.update(pool_scores(new, evo_path, client))
            if n_control:
                control_cache.update(pool_scores(new, evo_path, client, control=True, limit=n_control))
            subsets = [np.sort(rng.choice(n, size, replace=False)) for _ in range(config.subsets)]
            kinds = {"ok": 0, "nan": 0, "constant": 0, "shape": 0}
            values = []
            for ind, f in zip(pop, formulas):
                value, kind = fitness(cache[f], evo_acc, subsets)
                kinds[kind] += 1
                if kind == "ok" and n_control:
                    excess = shape_excess(control_cache[f], evo_acc[:n_control], config.control_max)
                    kinds["shape"] += excess > 0
                    value -= excess
                ind.fitness.values = (value,)
                values.append(value)
            elapsed += time.perf_counter() - start
            best = int(np.argmax(values))
            log.append(
                {
                    "generation": gen,
                    "best": float(values[best]),
                    "median": float(np.median(values)),
                    "best_formula": formulas[best],
                    "new_programs": len(new),
                    "invalid_nan": kinds["nan"],
                    "invalid_constant": kinds["constant"],
                    "shape_penalized": kinds["shape"],
                    "seconds": elapsed,
                }
            )
            save_checkpoint(
                ckpt,
                {
                    "identity": ident,
                    "generation": gen + 1,
                    "population": formulas,
                    "fitness": values,
                    "py_random": random.getstate(),
                    "np_random": rng.bit_generator.state,
                    "log": log,
                    "seconds": elapsed,
                },
                {"cache": cache, "control": control_cache},
            )
            legacy.unlink(missing_ok=True)  # superseded by the checkpoint just written
            bar.set_postfix(best=f"{values[best]:.3f}", median=f"{np.median(values):.3f}")
            bar.update(1)
    finally:
        bar.close()
    return cache, log, elapsed, control_cache


def distinct_programs(
    ranked: Sequence[str], cache: dict[str, np.ndarray], k: int, same: float
) -> list[str]:
    """The first `k` formulas of `ranked` that order the evolution pool differently from every one
    kept before them (Spearman rho below `same`): near-copies of one lineage would leave the
    validation pool no real choice."""
    from scipy.stats import rankdata

    kept: list[str] = []
    ranks: list[np.ndarray] = []
    for f in ranked:
        r = rankdata(cache[f])
        r = (r - r.mean()) / (np.linalg.norm(r - r.mean()) or 1.0)
        if all(float(r @ other) < same for other in ranks):
            kept.append(f)
            ranks.append(r)
            if len(kept) == k:
                break
    return kept


def choose_program(
    cache: dict[str, np.ndarray],
    evo_acc: np.ndarray,
    val_path: Path,
    val_acc: np.ndarray,
    config: EvolveConfig,
    client: Any = None,
    control_cache: dict[str, np.ndarray] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """The final formula: best validation tau among the top distinct evolution-pool formulas (ranked
    by tau minus their shape excess when `control_cache` is given), preferring those whose tau on random
    tensors of the same shapes (the control) stays below `control_max`."""

    def merit(f: str) -> float:
        tau = kendall(cache[f], evo_acc)
        if control_cache and f in control_cache:
            n = len(control_cache[f])
            tau -= shape_excess(control_cache[f], evo_acc[:n], config.control_max)
        return tau

    ranked = sorted(((merit(f), f) for f in cache), key=lambda t: -np.nan_to_num(t[0], nan=-2))
    top = distinct_programs(
        [f for tau, f in ranked if not math.isnan(tau)], cache, config.candidates, config.same_phenotype
    )
    if not top:
        raise NarankError(
            "no program gave finite, non-constant scores; run more generations or a larger population"
        )
    val = pool_scores(top, val_path, client)
    ctrl = pool_scores(top, val_path, client, control=True)
    rows = []
    for f in top:
        rows.append(
            {
                "formula": f,
                "evo_tau": kendall(cache[f], evo_acc),
                "val_tau": kendall(val[f], val_acc),
                "control_tau": kendall(ctrl[f], val_acc),
            }
        )
    for r in rows:
        r["passes_control"], note = control_verdict(ctrl[r["formula"]], r["control_tau"], config.control_max)
        if note:
            r["control_note"] = note
    usable = [r for r in rows if not math.isnan(r["val_tau"])] or rows
    preferred = [r for r in usable if r["passes_control"] is True] or usable
    best = max(preferred, key=lambda r: np.nan_to_num(r["val_tau"], nan=-2))
    return best["formula"], rows


# ---------------------------------------------------------------------------- cells -> program


def choose_pools(
    space: Any, table: Any, pool: int, val_pool: int, seed: int, exclude: Sequence[Any] = ()
) -> tuple[list, list]:
    """Two disjoint seeded pools of cells from the table, one per isomorphism class, none of which is
    isomorphic to a cell in `exclude` (e.g. held-out cells)."""
    excluded = {space.iso_key(c) for c in exclude}
    cells = table.cells()
    order = np.random.default_rng(seed + 1_000_003).permutation(len(cells))
    picked, seen = [], set(excluded)
    for i in order:
        key = space.iso_key(cells[int(i)])
        if key in seen:
            continue
        seen.add(key)
        picked.append(cells[int(i)])
        if len(picked) == pool + val_pool:
            break
    if len(picked) < pool + val_pool:
        raise NarankError(f"the table has only {len(picked)} usable cells for pools of {pool} + {val_pool}")
    return picked[:pool], picked[pool:]


def evolve(
    space: Any,
    table: Any,
    dataset: str,
    config: EvolveConfig,
    pool: int,
    run_dir: Path,
    settings: StatsSettings | None = None,
    val_pool: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    exclude: Sequence[Any] = (),
    progress: bool = True,
    client: Any = None,
) -> EvolveResult:
    """Evolve a program on `pool` labelled cells of `space` and choose it on a validation pool.

    Fitness uses the space's search column (validation accuracy where there is one); nothing here
    reads the cells in `exclude`, so they stay held out for reporting.
    """
    from narank.engine import dask_client
    from narank.spaces.nb201 import NUM_CLASSES

    config.check()
    settings = settings or StatsSettings()
    if pool < 10:
        raise NarankError(f"--pool must be at least 10 cells, got {pool}")
    val_pool = val_pool or max(10, pool // 2)
    column = space.columns(dataset).train
    num_classes = NUM_CLASSES.get(dataset, 10)
    evo_cells, val_cells = choose_pools(space, table, pool, val_pool, config.seed, exclude)
    evo_ids = [space.canonical_id(c) for c in evo_cells]
    val_ids = [space.canonical_id(c) for c in val_cells]
    evo_acc, val_acc = table.targets(column, evo_ids), table.targets(column, val_ids)
    refuse_pickles(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with dask_client(workers, scheduler, client) as client:
        evo_path = compute_pool(
            evo_cells,
            settings,
            num_classes,
            run_dir / "pool_evolution.npz",
            client,
            progress,
            "statistics (evolution pool)",
            evo_ids,
        )
        val_path = compute_pool(
            val_cells,
            settings,
            num_classes,
            run_dir / "pool_validation.npz",
            client,
            progress,
            "statistics (validation pool)",
            val_ids,
        )
        stats_seconds = time.perf_counter() - started
        identity = {
            "space": space.name,
            "dataset": dataset,
            "settings": settings.key(),
            "evo_ids": evo_ids,
        }
        cache, log, seconds, control = evolve_on_pool(
            evo_path, evo_acc, config, run_dir, client, progress, identity
        )
        formula, rows = choose_program(cache, evo_acc, val_path, val_acc, config, client, control)
    chosen = next(r for r in rows if r["formula"] == formula)
    meta = {
        "space": space.name,
        "dataset": dataset,
        "fitness_column": column,
        "config": asdict(config),
        "pool": pool,
        "val_pool": val_pool,
        "evolution_seconds": seconds,
        "statistics_seconds": stats_seconds,
        "total_seconds": time.perf_counter() - started,
        **{k: chosen[k] for k in ("evo_tau", "val_tau", "control_tau", "passes_control", "control_note")
           if k in chosen},
        "evolution_ids": evo_ids,
        "validation_ids": val_ids,
    }
    program = Program(formula, settings, meta)
    (run_dir / "log.json").write_text(json.dumps({"log": log, "candidates": rows}, indent=1, default=float))
    return EvolveResult(program, rows, log, seconds, {"statistics_seconds": stats_seconds})
