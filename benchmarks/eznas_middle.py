"""EZNAS evolved on statistics of middle-size networks: does the larger network lift held-out tau?

`benchmarks/eznas.py` evolves on small networks (C=8, one cell per stage, 8x8 digits, batch 8) and
its programs stay near Kendall tau 0.61 on held-out NB201 cells; `eznas_size.py` shows that the
published formula gains with network size while those programs do not. This script evolves one
seed on statistics of middle-size networks (C=16, one cell per stage, 16x16 digits, batch 16), with
a smaller budget than eznas.py because each network's statistics are ~12x larger (population,
islands, generations and pools below), and scores the chosen program, its random-tensor control and
the published formula on the same 1,000 held-out cells as eznas.py, at the same middle size.
Writes benchmarks/results/eznas_middle.md and eznas_middle.json; the run resumes from its
checkpoint (narank cache dir) if killed.

    NARANK_DATA=../shared/data .venv/bin/python -m benchmarks run eznas_middle   # --seed 0 --workers 1
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.eznas import Scorer, correlations, held_out_cells, load_avg, peak_rss_mb, score_cells

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
MIDDLE = {"channels": 16, "cells": 1, "resolution": 16, "batch": 16}
DATASETS = ("cifar10", "cifar100", "imagenet16_120")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--islands", type=int, default=2)
    parser.add_argument("--generations", type=int, default=20)
    parser.add_argument("--pool", type=int, default=200)
    parser.add_argument("--val-pool", type=int, default=200)
    parser.add_argument("--held-out", type=int, default=1000)
    parser.add_argument("--results", type=Path, default=RESULTS, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    results: Path = args.results

    from narank.benchmarks import load_table
    from narank.engine import dask_client
    from narank.eznas.evolve import EvolveConfig, evolve
    from narank.eznas.program import PUBLISHED
    from narank.eznas.stats import StatsSettings
    from narank.paths import cache_dir, data_dir
    from narank.spaces import get_space

    data = data_dir()
    work = cache_dir() / "eznas_benchmark"
    space = get_space("nb201")
    table = load_table(space, data)
    held, _ = held_out_cells(space, table, data, args.held_out, 0)
    settings = StatsSettings(**MIDDLE)
    config = EvolveConfig(population=args.population, generations=args.generations, seed=args.seed,
                          islands=args.islands)
    load_start, started = load_avg(), time.perf_counter()
    with dask_client(args.workers) as client:
        result = evolve(space, table, "cifar10", config, args.pool, work / f"middle_seed{args.seed}",
                        settings, val_pool=args.val_pool, exclude=held, progress=True, client=client)
        evolve_seconds = time.perf_counter() - started
        name = f"eznas middle seed {args.seed}"
        formulas = {name: result.program.formula, "eznas-published": PUBLISHED}
        rows = score_cells(held, Scorer(formulas, settings, suite=()), client,
                           work / f"heldout_middle_seed{args.seed}.json", "held-out NB201 (middle size)")
    ids = [space.canonical_id(c) for c in held]
    heldout: dict[str, dict[str, Any]] = {}
    for proxy in (*formulas, *(f"{f} (control)" for f in formulas)):
        scores = np.array([r[proxy] for r in rows], float)
        heldout[proxy] = {d: correlations(scores, table.targets(space.columns(d).evaluate, ids))
                          for d in DATASETS}
    small = json.loads((results / "eznas.json").read_text()) if (results / "eznas.json").exists() else None
    out = {
        "args": vars(args), "settings": settings.key(), "formula": result.program.formula,
        "meta": {k: result.program.meta[k] for k in ("evo_tau", "val_tau", "control_tau", "passes_control")},
        "evolution_seconds": result.seconds, "statistics_seconds": result.stats["statistics_seconds"],
        "run_seconds": evolve_seconds, "total_seconds": time.perf_counter() - started,
        "heldout": heldout, "log": result.log, "peak_rss_mb": peak_rss_mb(),
        "load_start": load_start, "load_end": load_avg(),
        "small": _small_rows(small) if small else None,
    }
    results.mkdir(parents=True, exist_ok=True)
    (results / "eznas_middle.json").write_text(json.dumps(out, indent=1, default=float))
    (results / "eznas_middle.md").write_text(render(out))
    print(render(out))
    return 0


def _small_rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """eznas.py's held-out rows of the small-size programs, for the comparison table."""
    return {k: v for k, v in report.get("correlations", {}).items()
            if k.startswith("eznas") and "control" not in k}


def render(out: dict[str, Any]) -> str:
    def line(name: str, size: str, row: dict[str, Any]) -> str:
        taus = [row.get(d, {}).get("tau") for d in DATASETS]
        return f"| {name} | {size} | " + " | ".join("–" if v is None else f"{v:.3f}" for v in taus) + " |"

    a, m = out["args"], out["meta"]
    lines = [
        "# EZNAS evolved at a middle network size (generated by `benchmarks/eznas_middle.py`; do not edit)",
        "",
        f"One seed ({a['seed']}): statistics of NB201 networks at C={out['settings']['channels']}, "
        f"{out['settings']['cells']} cell per stage, batch {out['settings']['batch']} of digits at "
        f"{out['settings']['resolution']}x{out['settings']['resolution']}; population {a['population']} in "
        f"{a['islands']} islands, {a['generations']} generations, evolution pool {a['pool']}, validation "
        f"pool {a['val_pool']} (`eznas.py`: population 200 in 4 islands, 30 generations, pools 300/300, "
        "at C=8, 8x8, batch 8). Same held-out cells as `eznas.py` (none in either pool); the programs are "
        "scored at the size they were evolved at.",
        "",
        f"Chosen program: `{out['formula']}` (pool τ {m['evo_tau']:.3f}, validation τ {m['val_tau']:.3f}, "
        f"control τ on validation {m['control_tau']:.3f}).",
        "",
        "| proxy | size | τ C10 | τ C100 | τ IN16 |",
        "|---|---|---|---|---|",
    ]
    lines += [line(name, "middle", row) for name, row in out["heldout"].items()]
    lines += [line(f"{name} (eznas.py)", "small", row) for name, row in (out.get("small") or {}).items()]
    lines += [
        "",
        f"Cost: statistics of both pools {out['statistics_seconds'] / 60:.1f} min, evolution "
        f"{out['evolution_seconds'] / 60:.1f} min, whole run {out['total_seconds'] / 60:.1f} min with "
        f"{a['workers']} worker(s); peak RSS of the main process {out['peak_rss_mb']:.0f} MB. Load at start "
        f"`{out['load_start']}`, at end `{out['load_end']}` (2 cores, shared with other benchmarks).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
