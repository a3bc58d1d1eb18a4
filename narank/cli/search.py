"""`narank search`: budgeted search with the NAR ranker against random search and REA."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from narank.errors import NarankError
from narank.spaces import space_names

HELP = "search a space under a lookup budget: narank vs REA, random and uniform sampling"


def add_parser(subparsers: Any) -> None:
    """Register the `search` subcommand."""
    p = subparsers.add_parser("search", help=HELP, description=HELP)
    p.add_argument("--space", default="nb201", choices=space_names(), help="search space (default nb201)")
    p.add_argument("--dataset", help="dataset of the space (default: its first, cifar10)")
    p.add_argument("--budget", type=int, default=100, help="ground-truth lookups per run (default 100)")
    p.add_argument("--seeds", type=int, default=10, help="number of seeds (default 10)")
    p.add_argument("--first-seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--methods", default="narank,rea,random,uniform",
                   help="comma list of narank, rea, random, uniform, sed, tenas")
    p.add_argument("--data", help="benchmark table file or data folder (default $NARANK_DATA, ./data)")
    p.add_argument("--plot", help="PNG path of the best-so-far plot "
                   "(default narank-search-<space>-<dataset>-<budget>.png)")
    p.add_argument("--no-plot", action="store_true", help="do not write the plot")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run every method for every seed, print the summary, write the plot."""
    import torch
    from tqdm.auto import tqdm

    from narank.benchmarks import load_table
    from narank.search.harness import format_summary, parse_methods, plot_curves, run_method, summarise
    from narank.search.oracle import oracle_table
    from narank.spaces import get_space

    space = get_space(args.space)
    dataset = space.dataset(args.dataset)
    methods = parse_methods(args.methods)
    if args.budget < 1:
        raise NarankError(f"--budget must be at least 1, got {args.budget}")
    if args.seeds < 1:
        raise NarankError(f"--seeds must be at least 1, got {args.seeds}")
    torch.set_num_threads(max(1, args.threads))
    otable = oracle_table(load_table(space, args.data), dataset)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    runs: dict[str, list] = {m: [] for m in methods}
    bar = tqdm(total=len(methods) * len(seeds), desc="search", file=sys.stderr,
               disable=not sys.stderr.isatty(), leave=False)
    for method in methods:
        for seed in seeds:
            bar.set_postfix(method=method, seed=seed)
            runs[method].append(run_method(method, otable, args.budget, seed))
            bar.update()
    bar.close()
    summary = summarise(runs, otable, args.budget)
    if not args.no_plot:
        path = args.plot or f"narank-search-{space.name}-{dataset}-{args.budget}.png"
        opt = summary["optimum"][summary["metric"]]
        plot_curves(runs, args.budget, path, f"{space} {dataset}: best-so-far pick, "
                    f"{len(seeds)} seeds", opt, ylabel=f"{summary['metric']} of pick (%)")
        summary["plot"] = path
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(format_summary(summary))
        if "plot" in summary:
            print(f"plot: {summary['plot']}")
    return 0
