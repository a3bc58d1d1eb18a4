"""`narank proxies`: zero-cost proxy scores per cell, and their rank correlation with accuracy."""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from narank.cli import args as num
from narank.cli.device import add_device_argument
from narank.spaces import space_names
from narank.threads import add_threads_argument

HELP = ("score cells with a zero-cost proxy (sed, ntk, lr, the zero-cost suite, EZNAS programs); rank "
        "correlation when data is present")


def add_parser(subparsers: Any) -> None:
    """Register the `proxies` subcommand."""
    p = subparsers.add_parser("proxies", help=HELP, description=HELP)
    p.add_argument("--space", required=True, help=f"search space: {', '.join(space_names())}")
    p.add_argument("--proxy", required=True,
                   help="sed (topology), ntk (NTK κ), lr (regions); synflow, snip, grasp, grad_norm, fisher, "
                   "jacov, nwot, params, flops (the zero-cost suite); eznas-published (small networks), "
                   "eznas-published-full (at the paper's network size, ~20x slower), or eznas:PROGRAM.json "
                   "(a program written by `narank evolve`)")
    p.add_argument("--dataset", help="dataset of the space (default: its first, cifar10)")
    p.add_argument("--limit", type=num.int_in(1, num.MAX_CELLS),
                   help="score a seeded random sample of N cells")
    p.add_argument("--seed", type=num.seed_value, default=0, help="seed of the sample and the proxy inits")
    p.add_argument("--workers", type=num.int_in(None, num.MAX_WORKERS), default=1,
                   help="worker processes on this machine (a Dask LocalCluster); 1 = in this process")
    p.add_argument("--scheduler", help="address of a running Dask scheduler to use, e.g. tcp://host:8786")
    p.add_argument("--no-cache", action="store_true", help="ignore and do not write the cache")
    p.add_argument("--data", help="benchmark table file or data folder (default $NARANK_DATA)")
    p.add_argument("--out", help="write a CSV with the canonical id and score of each cell")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_threads_argument(p)
    add_device_argument(p, used=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Score the cells, write the CSV, print ρ/τ and seconds per cell."""
    from narank.checkpoint import check_output_path
    from narank.cli.device import check_device
    from narank.proxies.sweep import proxy_sweep
    from narank.spaces import get_space
    from narank.threads import set_threads

    space = get_space(args.space)
    if args.out is not None:
        check_output_path(args.out, "score table")  # before the sweep (minutes to hours)
    check_device(args.device, "proxies", used=False)
    set_threads(args.threads)
    result = proxy_sweep(space, args.proxy, args.dataset, args.limit, args.seed, args.workers,
                         use_cache=not args.no_cache, progress=not args.json, data=args.data,
                         scheduler=args.scheduler)
    if args.out is not None:
        _write_scores(args.out, space.id_name, result.ids, result.scores)
    if args.json:
        print(json.dumps(result.summary))
    else:
        for key, value in result.summary.items():
            print(f"{key}: {value}")
    return 0


def _write_scores(path: str, id_name: str, ids: Iterable[str], scores: Iterable[float]) -> None:
    """Write the id,score CSV atomically: a killed or failed write leaves no half file."""
    from narank.atomic import atomic_write_bytes
    from narank.errors import DataFileError

    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow([id_name, "score"])
    writer.writerows(zip(ids, (float(s) for s in scores)))
    try:
        atomic_write_bytes(path, text.getvalue().encode())
    except OSError as exc:
        raise DataFileError(f"{path}: cannot write ({exc.strerror or exc}); "
                            "choose another --out path") from exc
