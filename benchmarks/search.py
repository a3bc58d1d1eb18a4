"""Search benchmark: narank vs REA, random search and uniform sampling on NB201 (C10/C100/IN16).

Each (method, dataset, seed) is run once at the largest budget; smaller budgets are the same
run cut at that many lookups, which equals a run with that budget because no method looks
ahead at its budget (checked in tests/test_search.py). Writes benchmarks/results/search.md,
search.json and search_<dataset>.png (best-so-far test accuracy of the pick against lookups).

    NARANK_DATA=/work/shared/data .venv/bin/python benchmarks/search.py --seeds 10 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from narank.spaces.nb201 import DATASETS

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "results"
SHORT = {"cifar10": "C10", "cifar100": "C100", "imagenet16_120": "IN16"}
TARGETS = {"cifar10": 94.25, "cifar100": 73.20, "imagenet16_120": 46.70}
PAPER = {  # REFERENCE.md §6 (their protocols; for context only)
    "cifar10": "REA 93.92, random 93.70, NPENAS 94.31",
    "cifar100": "REA 71.84, random 71.04, NPENAS 73.46",
    "imagenet16_120": "REA 45.54, random 44.57, NPENAS 46.48",
}


def _job(task: tuple[str, str, int, int, str | None]) -> dict[str, Any]:
    """Run one (method, dataset, seed) at `budget` in a worker (one torch thread)."""
    import torch

    torch.set_num_threads(1)
    from narank.benchmarks import load_table
    from narank.search.harness import run_method
    from narank.search.oracle import oracle_table

    method, dataset, seed, budget, data = task
    otable = oracle_table(load_table("nb201", data), dataset)
    run = run_method(method, otable, budget, seed)
    return {"method": method, "dataset": dataset, "seed": seed, "budget": budget,
            "ids": [q.id for q in run.history], "chosen": None if run.chosen is None else run.chosen.id,
            "seconds": run.info["seconds"], "rounds": run.info.get("rounds", [])}


def _rebuild(record: dict[str, Any], otable) -> Any:
    """A SearchRun from a stored record (ids -> lookups)."""
    from narank.search.loop import SearchRun
    from narank.search.oracle import Query
    from narank.spaces import nb201

    def q(cid: str) -> Query:
        cell = nb201.NB201Cell.from_index(int(cid))
        _, valid, test = otable.lookup(cell)
        return Query(cell, cid, valid, test)

    run = SearchRun(record["method"], record["seed"], record["budget"], [q(i) for i in record["ids"]],
                    chosen=None if record["chosen"] is None else q(record["chosen"]))
    run.info["seconds"] = record["seconds"]
    return run


def _seconds_at(record: dict[str, Any], queries: int) -> float | None:
    """Wall time a ranker run took to reach `queries` lookups (from its round log)."""
    for r in record.get("rounds", []):
        if r["queries"] >= queries:
            return r["seconds"]
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budgets", default="50,100,200")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--methods", default="narank,uniform,rea,random,sed,tenas")
    parser.add_argument("--zero-shot-seeds", type=int, default=3,
                        help="seeds for the zero-shot methods (TE-NAS takes minutes per run)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--replot", action="store_true",
                        help="rebuild the report and plots from <out>/search_runs.json")
    args = parser.parse_args()

    from narank.benchmarks import load_table
    from narank.search.harness import ZERO_SHOT, _zero_shot_fn, plot_curves, summarise
    from narank.search.oracle import oracle_table

    budgets = sorted(int(b) for b in args.budgets.split(","))
    datasets = [d for d in args.datasets.split(",") if d]
    methods, skipped = [], {}
    for m in args.methods.split(","):
        if m in ZERO_SHOT:
            try:
                _zero_shot_fn(m)
            except Exception as exc:  # noqa: BLE001 - report why a method is left out
                skipped[m] = str(exc)
                continue
        methods.append(m)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tasks = [(m, d, s, 0 if m in ZERO_SHOT else budgets[-1], args.data)
             for d in datasets for m in methods
             for s in range(min(args.seeds, args.zero_shot_seeds) if m in ZERO_SHOT else args.seeds)]
    # longest jobs first so the pool stays busy
    tasks.sort(key=lambda t: (t[0] != "tenas", t[0] not in ("narank", "uniform")))
    runs_file = out / "search_runs.json"
    start = time.time()
    records = []
    if args.replot:
        saved = json.loads(runs_file.read_text())
        records, wall = saved["records"], saved["wall_seconds"]
    else:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for i, rec in enumerate(pool.map(_job, tasks), start=1):
                records.append(rec)
                print(f"[{i}/{len(tasks)}] {rec['method']} {rec['dataset']} seed {rec['seed']}: "
                      f"{rec['seconds']:.1f}s", file=sys.stderr, flush=True)
        wall = time.time() - start
        runs_file.write_text(json.dumps({"wall_seconds": wall, "records": records}))

    results: dict[str, Any] = {"seeds": args.seeds, "budgets": budgets, "methods": methods,
                               "skipped_methods": skipped, "wall_seconds": wall,
                               "cpu_cores": os.cpu_count(), "datasets": {}}
    md = ["# Search on NAS-Bench-201: narank vs REA, random search, uniform sampling", "",
          f"{args.seeds} seeds (0..{args.seeds - 1}) per method, dataset and budget (zero-shot "
          f"methods: {min(args.seeds, args.zero_shot_seeds)} seeds); the pick is the "
          "looked-up cell with the best validation accuracy (`<dataset>_valid_acc`), its test "
          "accuracy (`<dataset>_test_acc`) is reported. Every lookup counts, the initial ones "
          "included. Budgets below the largest are prefixes of the same runs (identical to runs "
          "with that budget: no method looks ahead at its budget). Produced by "
          "`benchmarks/search.py`.", ""]
    if skipped:
        md += [f"Not run: {', '.join(f'`{k}` ({v})' for k, v in skipped.items())}.", ""]
    for d in datasets:
        otable = oracle_table(load_table("nb201", args.data), d)
        recs = [r for r in records if r["dataset"] == d]
        runs = {m: [_rebuild(r, otable) for r in recs if r["method"] == m] for m in methods}
        best_valid_test = float(otable.test[int(np.nanargmax(otable.valid))])
        entry: dict[str, Any] = {"optimum_test": otable.best_test, "best_valid": otable.best_valid,
                                 "test_of_best_valid_cell": best_valid_test, "budgets": {}}
        md += [f"## {SHORT[d]} ({d})", "",
               f"Optimum test accuracy {otable.best_test:.2f}; the cell with the best validation "
               f"accuracy ({otable.best_valid:.2f}) has test accuracy {best_valid_test:.2f}. "
               f"Target at 100 lookups: ≥ {TARGETS[d]:.2f} and above REA. Published (other "
               f"protocols): {PAPER[d]}.", "",
               "| budget | method | test acc of pick (mean ± std) | optimum picked | best-valid cell "
               "picked | optimum looked up | s/run |", "|---|---|---|---|---|---|---|"]
        for b in budgets:
            summary = summarise(runs, otable, b)
            last = b == budgets[-1]
            for m in sorted(methods, key=lambda name: name in ZERO_SHOT):
                if m in ZERO_SHOT and not last:
                    continue
                s = summary["methods"][m]
                n = len(s["runs"])
                if m in ("narank", "uniform"):
                    secs = [_seconds_at(r, b) for r in recs if r["method"] == m]
                    secs = [x for x in secs if x is not None]
                    s["seconds_to_budget_mean"] = float(np.mean(secs)) if secs else None
                    tsec = f"{s['seconds_to_budget_mean']:.1f}" if secs else "-"
                else:
                    tsec = f"{s['seconds_mean']:.2f}"
                label = f"{b}" if m not in ZERO_SHOT else "0"
                md.append(f"| {label} | {m} | {s['test_acc_mean']:.2f} ± {s['test_acc_std']:.2f} | "
                          f"{s['optimum_rate'] * n:.0f}/{n} | {s['valid_optimum_rate'] * n:.0f}/{n} | "
                          f"{s['queried_optimum_rate'] * n:.0f}/{n} | {tsec} |")
            entry["budgets"][str(b)] = summary
        md.append("")
        png = out / f"search_{d}.png"
        plot_curves(runs, budgets[-1], str(png), f"NB201 {SHORT[d]}: best-so-far pick, "
                    f"{args.seeds} seeds", otable.best_test)
        md += [f"![{d}](search_{d}.png)", ""]
        results["datasets"][d] = entry
    md += ["Columns: *optimum picked* = runs whose pick has the best test accuracy in the table; "
           "*best-valid cell picked* = runs whose pick has the best validation accuracy; *optimum "
           "looked up* = runs that looked the optimum up at some point (it may lose on "
           "validation accuracy); *s/run* = wall seconds to reach the budget (ranker methods, "
           "1 torch thread, machine shared with other jobs).", "",
           f"Total wall time {wall / 60:.1f} min with {args.jobs} worker process(es)."]
    (out / "search.json").write_text(json.dumps(results, indent=1))
    (out / "search.md").write_text("\n".join(md) + "\n")
    print((out / "search.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
