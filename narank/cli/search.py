"""`narank search`: budgeted search with the NAR ranker against its peers under one protocol."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from narank.cli import args as num
from narank.cli.device import add_device_argument
from narank.errors import NarankError
from narank.spaces import space_names
from narank.threads import add_threads_argument

HELP = "search a space under a lookup budget: narank vs BANANAS, XGBoost-on-GRAF, REA, random"
DESCRIPTION = (
    HELP + ". Each method may look up at most --budget ground-truth accuracies per seed, under one "
    "protocol: the same pool and initial cells, and no cell computing the same function as one "
    "already looked up. The summary reports the accuracy of the cell each method picks. Prints "
    "only; a plot is written only where --plot says. Needs the space's table (see data/README.md)."
)


def add_parser(subparsers: Any) -> None:
    """Register the `search` subcommand."""
    p = subparsers.add_parser("search", help=HELP, description=DESCRIPTION)
    p.add_argument("--space", default="nb201", choices=space_names(), help="search space (default nb201)")
    p.add_argument("--dataset", help="dataset of the space (default: its first, cifar10)")
    p.add_argument("--budget", type=num.int_in(None, num.MAX_BUDGET), default=100,
                   help="ground-truth lookups per run (default 100)")
    p.add_argument("--seeds", type=num.int_in(None, num.MAX_SEEDS), default=10,
                   help="number of seeds (default 10)")
    p.add_argument("--first-seed", type=num.seed_value, default=0, help="first seed (default 0)")
    p.add_argument("--methods", default="narank,rea,random,uniform",
                   help="comma list of narank (joint tier sampler narrowed by the SED prior), "
                        "narank-joint (no prior), narank-nar (NAR's original sampler), uniform "
                        "(uniform candidates), bananas, xgb-graf, rea, random, sed, tenas (default "
                        "narank,rea,random,uniform)")
    p.add_argument("--data", help="benchmark table file or data folder (default $NARANK_DATA, ./data)")
    p.add_argument("--plot", metavar="PNG", help="write the best-so-far plot to this PNG file "
                   "(default: no plot, no file written)")
    p.add_argument("--no-plot", action="store_true", help="no plot (the default; kept for old scripts)")
    p.add_argument("--out", help="write the cell each run picks (method, seed, id, accuracies, lookups) to "
                   "this file: .csv, .parquet or .json by the extension (default: none)")
    add_threads_argument(p)
    add_device_argument(p, used=False)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def name_by_columns(summary: dict[str, Any], cols: Any) -> dict[str, Any]:
    """The summary with its accuracies keyed by the column actually used: a table with one accuracy
    column (NATS-SSS: test accuracy only) is searched and reported on it, so its values are
    `test_acc`, never `valid_acc`."""
    if cols.has_test:
        return summary
    key = cols.train.removeprefix(f"{summary['dataset']}_")
    out = {**summary, "metric": key, "optimum": {key: summary["optimum"]["valid_acc"]}}
    out["methods"] = {}
    for name, m in summary["methods"].items():
        runs = [{**{k: v for k, v in r.items() if k not in ("valid_acc", "test_acc")}, key: r["valid_acc"]}
                for r in m["runs"]]
        values = [r[key] for r in runs]
        m = {k: v for k, v in m.items() if not k.startswith(("valid_", "test_acc_"))}  # valid = test here
        out["methods"][name] = {f"{key}_mean": float(np.mean(values)) if values else None,
                                f"{key}_std": float(np.std(values)) if values else None, **m, "runs": runs}
    return out


def format_text(summary: dict[str, Any], cols: Any) -> str:
    """The harness's text table of a `summarise` result, with the column names of a one-accuracy
    table (see name_by_columns): its `valid_acc` header and best-valid column name the column used."""
    from narank.search.harness import format_summary

    text = format_summary(summary)
    if cols.has_test:
        return text
    key = cols.train.removeprefix(f"{summary['dataset']}_")
    header = f"{key} mean ± std"
    return text.replace(f"{'valid_acc mean ± std':>22}", f"{header:>22}", 1).replace(
        " best-valid", f"{'best-' + key.removesuffix('_acc'):>11}", 1).replace(
        "; best-valid =", f"; best-{key.removesuffix('_acc')} =")


def _rows(summary: dict[str, Any]) -> dict[str, list]:
    """One row per run (the cell it picked, its accuracies, its lookups), as columns for `write_columns`."""
    runs = [(method, r) for method, m in summary["methods"].items() for r in m["runs"]]
    accuracies = [k for k in ("valid_acc", "test_acc") if any(r.get(k) is not None for _, r in runs)]
    columns: dict[str, list] = {"method": [method for method, _ in runs]}
    for key in ("seed", "id", "arch", *accuracies, "queries"):
        columns[key] = [r.get(key) for _, r in runs]
    return columns


def run(args: argparse.Namespace) -> int:
    """Run every method for every seed, print the summary, write the plot and --out if asked."""
    from narank.benchmarks import require_table_file
    from narank.checkpoint import check_output_path
    from narank.cli.device import check_device
    from narank.cli.output import check_table_path, write_columns
    from narank.search.harness import parse_methods
    from narank.search.loop import SearchConfig
    from narank.spaces import get_space

    space = get_space(args.space)
    dataset = space.dataset(args.dataset)
    methods = parse_methods(args.methods)
    if args.budget < 1:
        raise NarankError(f"--budget must be at least 1, got {args.budget}")
    if args.seeds < 1:
        raise NarankError(f"--seeds must be at least 1, got {args.seeds}")
    if args.first_seed < 0:
        raise NarankError(f"--first-seed must be >= 0, got {args.first_seed}")
    if args.first_seed + args.seeds - 1 > num.SEED_MAX:
        raise NarankError(f"--first-seed {args.first_seed} with --seeds {args.seeds} runs past the largest "
                          f"seed {num.SEED_MAX}; lower --first-seed")
    plot = None if args.no_plot else args.plot
    if plot is not None:
        check_output_path(plot, "plot", "--plot")
    if args.out is not None:
        check_table_path(args.out, "search results")
    check_device(args.device, "search", used=False)
    require_table_file(space, args.data)  # before torch loads: a missing table is reported at once
    cols = space.columns(dataset)
    initial = SearchConfig().init
    if args.budget <= initial:
        print(f"narank search: warning: --budget {args.budget} is at most the {initial} initial random cells "
              "every method starts from, so every method looks up the same cells here; give --budget > "
              f"{initial} to compare them", file=sys.stderr)
    if not cols.has_test:
        print(f"narank search: note: {space.name} tables have no validation accuracy: cells are selected by "
              f"test accuracy ({cols.train}), the same accuracy that is reported", file=sys.stderr)

    from tqdm.auto import tqdm

    from narank.benchmarks import load_table
    from narank.search.harness import plot_curves, run_method, summarise
    from narank.search.oracle import oracle_table
    from narank.threads import set_threads

    set_threads(args.threads)
    otable = oracle_table(load_table(space, args.data), dataset)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    runs: dict[str, list] = {m: [] for m in methods}
    bar = tqdm(total=len(methods) * len(seeds), desc="search", unit="run", file=sys.stderr,
               disable=args.json or not sys.stderr.isatty(), leave=False)
    for method in methods:
        for seed in seeds:
            bar.set_postfix(method=method, seed=seed)
            runs[method].append(run_method(method, otable, args.budget, seed))
            bar.update()
    bar.close()
    raw = summarise(runs, otable, args.budget)
    summary = name_by_columns(raw, cols)
    if plot is not None:
        from pathlib import Path

        Path(plot).parent.mkdir(parents=True, exist_ok=True)
        opt = summary["optimum"][summary["metric"]]
        plot_curves(runs, args.budget, plot, f"{space} {dataset}: best-so-far pick, "
                    f"{len(seeds)} seeds", opt, ylabel=f"{summary['metric']} of pick (%)")
        summary["plot"] = plot
    if args.out is not None:
        write_columns(args.out, _rows(summary))
        summary["out"] = args.out
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(format_text(raw, cols))
        for key in ("plot", "out"):
            if key in summary:
                print(f"{key}: {summary[key]}")
    return 0
