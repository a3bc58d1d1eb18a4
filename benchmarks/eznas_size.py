"""Do EZNAS programs rank NB201 cells better when their statistics come from larger networks?

`benchmarks/eznas.py` evolves and scores programs on statistics of small networks (C=8, one cell
per stage, 8x8 digits, batch 8). The published formula was found at NB201's full size. This script
scores the published formula and the three evolved programs (`results/eznas_seed*.json`), unchanged,
on the same cells with statistics at four sizes, up to the full one, to tell whether the small size
limits them. Cells: NB201 cells (one per isomorphism class) in neither the held-out set of
`eznas.py` nor any evolution or validation pool of its runs; labels: CIFAR-10 validation accuracy
(no held-out label is read). Writes benchmarks/results/eznas_size.md and eznas_size.json.

    NARANK_DATA=../shared/data .venv/bin/python -m benchmarks run eznas_size   # --cells 300 --workers 1
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.eznas import held_out_cells

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
SIZES = {  # label -> StatsSettings fields
    "small (eznas.py): C=8, N=1, 8x8, batch 8": {"channels": 8, "cells": 1, "resolution": 8, "batch": 8},
    "middle: C=16, N=1, 16x16, batch 16": {"channels": 16, "cells": 1, "resolution": 16, "batch": 16},
    "C=16, N=1, 32x32, batch 16": {"channels": 16, "cells": 1, "resolution": 32, "batch": 16},
    "full (published EZNAS): C=16, N=5, 32x32, batch 16": {"channels": 16, "cells": 5, "resolution": 32,
                                                           "batch": 16},
}


def _scores(cell: Any, formulas: dict[str, str], settings: Any) -> dict[str, float]:
    """Every formula on one cell's statistics (one torch thread); only numbers leave the worker."""
    import torch

    torch.set_num_threads(1)
    from narank.eznas.program import compiled_program
    from narank.eznas.stats import collect_stats

    start = time.perf_counter()
    stats = collect_stats(cell, settings, 10)
    out = {name: compiled_program(f, settings).score_stats(stats) for name, f in formulas.items()}
    return {**out, "_seconds": time.perf_counter() - start}


def free_cells(space: Any, table: Any, held: list, programs: dict, n: int) -> list:
    """`n` seeded cells, one per isomorphism class, in neither `held` nor any program's pools."""
    used = {space.iso_key(c) for c in held}
    for p in programs.values():
        used |= {space.iso_key(space.parse(i)) for i in p.meta["evolution_ids"] + p.meta["validation_ids"]}
    free, seen = [], set()
    for cell in table.cells():
        key = space.iso_key(cell)
        if key not in used and key not in seen:
            seen.add(key)
            free.append(cell)
    pick = np.sort(np.random.default_rng(0).choice(len(free), n, replace=False))
    return [free[int(i)] for i in pick]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--held-out", type=int, default=1000, help="eznas.py's held-out cells to avoid")
    parser.add_argument("--on-held-out", action="store_true",
                        help="score the first --cells of eznas.py's held-out cells instead, against test "
                        "accuracy, at the small and the published size only (-> eznas_size_heldout.md)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)

    from scipy.stats import kendalltau

    from narank.benchmarks import load_table
    from narank.engine import map_items
    from narank.eznas.program import PUBLISHED, Program
    from narank.eznas.stats import StatsSettings
    from narank.paths import data_dir
    from narank.spaces import get_space

    data = data_dir()
    space = get_space("nb201")
    table = load_table(space, data)
    held, _ = held_out_cells(space, table, data, args.held_out, 0)
    programs = {s: Program.load(args.results / f"eznas_seed{s}.json") for s in range(3)}
    if args.on_held_out:  # nothing is chosen here, so the held-out labels only judge
        cells, column = held[:args.cells], space.columns("cifar10").evaluate
        sizes = {k: v for k, v in SIZES.items() if k.startswith(("small", "full"))}
    else:
        cells, column, sizes = free_cells(space, table, held, programs, args.cells), \
            space.columns("cifar10").train, SIZES
    acc = table.targets(column, [space.canonical_id(c) for c in cells])
    formulas = {"eznas-published": PUBLISHED, **{f"eznas seed {s}": p.formula for s, p in programs.items()}}

    load_start = os.getloadavg()
    out: dict[str, Any] = {"cells": args.cells, "workers": args.workers, "sizes": sizes, "results": {},
                           "on_held_out": args.on_held_out}
    for label, size in sizes.items():
        settings = StatsSettings(**size)
        values: list[dict[str, float]] = [{}] * len(cells)
        for i, v in map_items(_scores, cells, workers=args.workers, shared={"formulas": formulas,
                              "settings": settings}, desc=label):
            values[i] = v
        res: dict[str, Any] = {"seconds_per_cell": float(np.mean([v["_seconds"] for v in values]))}
        for name in formulas:
            s = np.array([v[name] for v in values], float)
            ok = np.isfinite(s) & np.isfinite(acc)
            res[name] = {"tau": float(kendalltau(s[ok], acc[ok])[0]), "n": int(ok.sum())}
        out["results"][label] = res
        print(label, {k: round(v["tau"], 3) for k, v in res.items() if isinstance(v, dict)}, flush=True)
    out["load"] = {"start": load_start, "end": os.getloadavg()}
    stem = "eznas_size_heldout" if args.on_held_out else "eznas_size"
    (args.results / f"{stem}.json").write_text(json.dumps(out, indent=1))
    (args.results / f"{stem}.md").write_text(report(out, list(formulas)))
    return 0


def report(out: dict[str, Any], names: list[str]) -> str:
    load = out["load"]
    where = (f"The first {out['cells']} of `eznas.py`'s held-out NB201 cells; Kendall τ against CIFAR-10 "
             "test accuracy (as in eznas.md)" if out.get("on_held_out") else
             f"{out['cells']} NB201 cells (one per isomorphism class) in neither `eznas.py`'s held-out set "
             "nor any of its runs' evolution or validation pools; Kendall τ against CIFAR-10 validation "
             "accuracy")
    lines = [
        f"# EZNAS programs at {len(out['results'])} network sizes (generated by `benchmarks/eznas_size.py`; "
        "do not edit)",
        "",
        f"{where}. The "
        "programs are unchanged (evolved at the small size); only the networks their statistics come from "
        "change. Images: scikit-learn's digits resized to the stated resolution, seed 0. "
        f"Load average at start {'/'.join(f'{x:.1f}' for x in load['start'])}, at end "
        f"{'/'.join(f'{x:.1f}' for x in load['end'])} (2 cores, {out['workers']} worker(s)).",
        "",
        "| statistics from | " + " | ".join(names) + " | s/cell |",
        "|---" * (len(names) + 2) + "|",
    ]
    for label, res in out["results"].items():
        lines.append(f"| {label} | " + " | ".join(f"{res[n]['tau']:.3f}" for n in names)
                     + f" | {res['seconds_per_cell']:.2f} |")
    first, last = list(out["results"].values())[0], list(out["results"].values())[-1]
    gains = {n: last[n]["tau"] - first[n]["tau"] for n in names}
    lines += ["", "Reading: from the small to the full size, τ changes by "
              + ", ".join(f"{n} {g:+.3f}" for n, g in gains.items()) + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
