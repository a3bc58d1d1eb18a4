"""Search benchmark: narank vs REA, random search and uniform sampling, per space and dataset.

Each (space, method, dataset, seed) is run once at the largest budget; smaller budgets are the
same run cut at that many lookups, which equals a run with that budget because no method looks
ahead at its budget (checked in tests/test_search.py). Runs are kept in search_runs.json and
reused, so a re-run (or a run for another space) computes only what is missing. Writes
benchmarks/results/search.md, search.json and search_<space>_<dataset>.png (best-so-far
accuracy of the pick against lookups; NB201 plots keep their old name search_<dataset>.png).

    NARANK_DATA=/work/shared/data .venv/bin/python benchmarks/search.py --seeds 10 --jobs 2
    NARANK_DATA=/work/shared/data .venv/bin/python benchmarks/search.py --spaces natsss \
        --methods narank,uniform,rea,random,sed
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

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "results"
SHORT = {"cifar10": "C10", "cifar100": "C100", "imagenet16_120": "IN16"}
TARGETS = {("nb201", "cifar10"): 94.25, ("nb201", "cifar100"): 73.20, ("nb201", "imagenet16_120"): 46.70}
PAPER = {  # REFERENCE.md §6 (their protocols; for context only)
    ("nb201", "cifar10"): "REA 93.92, random 93.70, NPENAS 94.31",
    ("nb201", "cifar100"): "REA 71.84, random 71.04, NPENAS 73.46",
    ("nb201", "imagenet16_120"): "REA 45.54, random 44.57, NPENAS 46.48",
}
Task = tuple[str, str, str, int, int, str | None]


def _job(task: Task) -> dict[str, Any]:
    """Run one (space, method, dataset, seed) at `budget` in a worker (one torch thread)."""
    import torch

    torch.set_num_threads(1)
    from narank.benchmarks import load_table
    from narank.search.harness import run_method
    from narank.search.oracle import oracle_table

    space, method, dataset, seed, budget, data = task
    otable = oracle_table(load_table(space, data), dataset)
    run = run_method(method, otable, budget, seed)
    return {"space": space, "method": method, "dataset": dataset, "seed": seed, "budget": budget,
            "ids": [q.id for q in run.history], "chosen": None if run.chosen is None else run.chosen.id,
            "seconds": run.info["seconds"], "rounds": run.info.get("rounds", [])}


def _key(record: dict[str, Any]) -> tuple:
    return (record.get("space", "nb201"), record["method"], record["dataset"], record["seed"],
            record["budget"])


def _rebuild(record: dict[str, Any], otable) -> Any:
    """A SearchRun from a stored record (ids -> lookups)."""
    from narank.search.loop import SearchRun
    from narank.search.oracle import Query

    cells = dict(zip(otable.table.ids, otable.table.cells(), strict=True))

    def q(cid: str) -> Query:
        cell = cells[cid]
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
    parser.add_argument("--spaces", default="nb201", help="comma list of search spaces")
    parser.add_argument("--datasets", default=None, help="comma list (default: every dataset of each space)")
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
    from narank.spaces import get_space

    budgets = sorted(int(b) for b in args.budgets.split(","))
    spaces = [get_space(s) for s in args.spaces.split(",") if s]
    groups = [(sp.name, sp.dataset(d)) for sp in spaces
              for d in (args.datasets.split(",") if args.datasets else sp.datasets)]
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
    tasks: list[Task] = [(sp, m, d, s, 0 if m in ZERO_SHOT else budgets[-1], args.data)
                         for sp, d in groups for m in methods
                         for s in range(min(args.seeds, args.zero_shot_seeds) if m in ZERO_SHOT
                                        else args.seeds)]
    runs_file = out / "search_runs.json"
    saved = json.loads(runs_file.read_text()) if runs_file.exists() else {"records": []}
    records = saved["records"]
    walls = saved.get("wall_seconds_by_space", {"nb201": saved.get("wall_seconds", 0.0)})
    done = {_key(r) for r in records}
    tasks = [t for t in tasks if (t[0], t[1], t[2], t[3], t[4]) not in done]
    # longest jobs first so the pool stays busy
    tasks.sort(key=lambda t: (t[1] != "tenas", t[1] not in ("narank", "uniform")))
    if tasks and not args.replot:
        start = time.time()
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for i, rec in enumerate(pool.map(_job, tasks), start=1):
                records.append(rec)
                print(f"[{i}/{len(tasks)}] {rec['space']} {rec['method']} {rec['dataset']} seed "
                      f"{rec['seed']}: {rec['seconds']:.1f}s", file=sys.stderr, flush=True)
                if i % 10 == 0 or i == len(tasks):  # keep what is done if the run is stopped
                    runs_file.write_text(json.dumps({"wall_seconds_by_space": walls, "records": records}))
        for sp in {t[0] for t in tasks}:
            walls[sp] = walls.get(sp, 0.0) + time.time() - start
        runs_file.write_text(json.dumps({"wall_seconds_by_space": walls, "records": records}))
    order = {name: i for i, name in enumerate(("nb201", "natsss", "nb101"))}
    groups = sorted({(r.get("space", "nb201"), r["dataset"]) for r in records} | set(groups),
                    key=lambda g: (order.get(g[0], 9), g[0], get_space(g[0]).datasets.index(g[1])))
    wall = sum(walls.get(name, 0.0) for name in {g[0] for g in groups})

    results: dict[str, Any] = {"seeds": args.seeds, "budgets": budgets, "methods": methods,
                               "skipped_methods": skipped, "wall_seconds": wall,
                               "cpu_cores": os.cpu_count(), "datasets": {}}
    md = ["# Search: narank vs REA, random search, uniform sampling", "",
          f"{args.seeds} seeds (0..{args.seeds - 1}) per method, dataset and budget (zero-shot "
          f"methods: {min(args.seeds, args.zero_shot_seeds)} seeds); the pick is the "
          "looked-up cell with the best searched accuracy (NB201: `<dataset>_valid_acc`), and its "
          "reported accuracy (NB201: `<dataset>_test_acc`) is shown. NATS-SSS has one accuracy "
          "(90-epoch test): it is both searched and reported. Every lookup counts, the initial "
          "ones included. Budgets below the largest are prefixes of the same runs (identical to "
          "runs with that budget: no method looks ahead at its budget). Produced by "
          "`benchmarks/search.py`; runs are stored in `search_runs.json` (the NB201 runs date "
          "from before the search-space redesign and are reused as they are).", ""]
    if skipped:
        md += [f"Not run: {', '.join(f'`{k}` ({v})' for k, v in skipped.items())}.", ""]
    for space_name, d in groups:
        space = get_space(space_name)
        otable = oracle_table(load_table(space, args.data), d)
        recs = [r for r in records if r.get("space", "nb201") == space_name and r["dataset"] == d]
        group_methods = list(dict.fromkeys([*methods, *(r["method"] for r in recs)]))
        runs = {m: [_rebuild(r, otable) for r in recs if r["method"] == m] for m in group_methods}
        runs = {m: v for m, v in runs.items() if v}
        reported = otable.test if otable.test is not None else otable.valid
        best_valid_test = float(reported[int(np.nanargmax(otable.valid))])
        optimum = float(np.nanmax(reported))
        entry: dict[str, Any] = {"optimum_test": optimum, "best_valid": otable.best_valid,
                                 "test_of_best_valid_cell": best_valid_test, "budgets": {}}
        context = []
        if (space_name, d) in TARGETS:
            context.append(f"Target at 100 lookups: ≥ {TARGETS[space_name, d]:.2f} and above REA.")
        if (space_name, d) in PAPER:
            context.append(f"Published (other protocols): {PAPER[space_name, d]}.")
        searched = ("" if otable.test is None else f"; the cell with the best validation accuracy "
                    f"({otable.best_valid:.2f}) has test accuracy {best_valid_test:.2f}")
        md += [f"## {space.title} {SHORT.get(d, d)} ({space_name}, {d})", "",
               f"Optimum reported accuracy {optimum:.2f}{searched}. " + " ".join(context), "",
               "| budget | method | accuracy of pick (mean ± std) | optimum picked | best-valid cell "
               "picked | optimum looked up | s/run |", "|---|---|---|---|---|---|---|"]
        for b in budgets:
            summary = summarise(runs, otable, b)
            last = b == budgets[-1]
            for m in sorted(runs, key=lambda name: name in ZERO_SHOT):
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
                mean, std = ((s["test_acc_mean"], s["test_acc_std"]) if s["test_acc_mean"] is not None
                             else (s["valid_acc_mean"], float(np.std([r["valid_acc"] for r in s["runs"]]))))
                md.append(f"| {label} | {m} | {mean:.2f} ± {std:.2f} | "
                          f"{s['optimum_rate'] * n:.0f}/{n} | {s['valid_optimum_rate'] * n:.0f}/{n} | "
                          f"{s['queried_optimum_rate'] * n:.0f}/{n} | {tsec} |")
            entry["budgets"][str(b)] = summary
        md.append("")
        png_name = f"search_{d}.png" if space_name == "nb201" else f"search_{space_name}_{d}.png"
        plot_curves(runs, budgets[-1], str(out / png_name), f"{space.title} {SHORT.get(d, d)}: "
                    f"best-so-far pick, {args.seeds} seeds", optimum)
        md += [f"![{space_name} {d}]({png_name})", ""]
        results["datasets"][f"{space_name}/{d}"] = entry
    md += ["Columns: *optimum picked* = runs whose pick has the best test accuracy in the table; "
           "*best-valid cell picked* = runs whose pick has the best validation accuracy; *optimum "
           "looked up* = runs that looked the optimum up at some point (it may lose on "
           "validation accuracy); *s/run* = wall seconds to reach the budget (ranker methods, "
           "1 torch thread, machine shared with other jobs).", "",
           f"Total wall time {wall / 60:.1f} min with {args.jobs} worker process(es) "
           f"({', '.join(f'{k} {v / 60:.1f} min' for k, v in walls.items())})."]
    (out / "search.json").write_text(json.dumps(results, indent=1))
    (out / "search.md").write_text("\n".join(md) + "\n")
    print((out / "search.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
