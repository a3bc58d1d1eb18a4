"""`narank proxies`: zero-cost proxy scores per cell, and their rank correlation with accuracy."""

from __future__ import annotations

import argparse
import csv
import json
import time
from typing import Any

import numpy as np

from narank.errors import NarankError

HELP = "score cells with a zero-cost proxy (sed, ntk, lr); rank correlation when data is present"


def add_parser(subparsers: Any) -> None:
    """Register the `proxies` subcommand."""
    p = subparsers.add_parser("proxies", help=HELP, description=HELP)
    p.add_argument("--space", required=True, help="search space: nb101 or nb201")
    p.add_argument("--proxy", required=True, help="sed (topology), ntk (NTK κ), lr (regions)")
    p.add_argument("--dataset", default="cifar10", help="NB201: cifar10, cifar100, imagenet16_120")
    p.add_argument("--limit", type=int, help="score a seeded random sample of N cells")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample and the proxy inits")
    p.add_argument("--workers", type=int, default=1, help="parallel worker processes (joblib)")
    p.add_argument("--no-cache", action="store_true", help="ignore and do not write the cache")
    p.add_argument("--data", help="benchmark table file or data folder (default $NARANK_DATA)")
    p.add_argument("--out", help="write a CSV with the canonical id and score of each cell")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def _cells_and_table(space: str, data: str | None) -> tuple[list, Any]:
    from narank.benchmarks import find_table_file, load_table

    table = None
    if data is not None or find_table_file(space) is not None:
        table = load_table(space, data)
    if space == "nb201":
        from narank.spaces.nb201 import all_cells

        return list(all_cells()), table
    if table is None:
        raise NarankError(
            "nb101 needs its benchmark table to list cells: set NARANK_DATA or pass --data"
        )
    return list(table.cells()), table


def run(args: argparse.Namespace) -> int:
    """Score the cells, write the CSV, print ρ/τ and seconds per cell."""
    from scipy.stats import kendalltau, spearmanr

    from narank.proxies.cache import check_proxy, compute_scores
    from narank.spaces import canonical_id, check_space

    space = check_space(args.space)
    proxy = check_proxy(args.proxy)
    if space == "nb201":
        from narank.spaces.nb201 import dataset_name

        dataset = dataset_name(args.dataset)
    elif args.dataset != "cifar10":
        raise NarankError(f"NB101 has only the cifar10 dataset, not {args.dataset!r}")
    else:
        dataset = "cifar10"
    if args.limit is not None and args.limit < 1:
        raise NarankError(f"--limit must be a positive number of cells, got {args.limit}")
    if args.workers < 1:
        raise NarankError(f"--workers must be at least 1, got {args.workers}")

    cells, table = _cells_and_table(space, args.data)
    if args.limit is not None and args.limit < len(cells):
        pick = np.sort(np.random.default_rng(args.seed).choice(len(cells), args.limit, False))
        cells = [cells[int(i)] for i in pick]
    start = time.perf_counter()
    scores = compute_scores(
        proxy, cells, dataset=dataset, seed=args.seed, workers=args.workers,
        use_cache=not args.no_cache, progress=not args.json,
    )
    seconds = (time.perf_counter() - start) / len(cells)
    ids = [canonical_id(c) for c in cells]

    if args.out:
        with open(args.out, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["index" if space == "nb201" else "hash", "score"])
            writer.writerows(zip(ids, (float(s) for s in scores)))

    summary: dict[str, Any] = {
        "space": space, "proxy": proxy, "dataset": dataset, "n": len(cells),
        "seconds_per_cell": seconds, "spearman_rho": None, "kendall_tau": None,
    }
    if table is not None:
        column = f"{dataset}_test_acc" if space == "nb201" else "cifar10_valid_acc"
        acc = table.targets(column, ids)
        oriented = -scores if proxy == "ntk" else scores
        ok = ~np.isnan(oriented) & ~np.isnan(acc)
        if ok.sum() >= 2:
            summary["spearman_rho"] = float(spearmanr(oriented[ok], acc[ok])[0])
            summary["kendall_tau"] = float(kendalltau(oriented[ok], acc[ok])[0])
        summary["target"] = column
        summary["orientation"] = "-kappa (low κ = good)" if proxy == "ntk" else "score"
        summary["n_nan"] = int((~ok).sum())
    if args.json:
        print(json.dumps(summary))
    else:
        for key, value in summary.items():
            print(f"{key}: {value}")
    return 0
