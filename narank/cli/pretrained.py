"""`narank pretrained`: the shipped rankers, their space and dataset, and their held-out metrics."""

from __future__ import annotations

import argparse
import json
from typing import Any

HELP = "list the shipped rankers (usable as --pretrained NAME) with their held-out metrics"
DESCRIPTION = (
    HELP + ". The metrics were measured on every cell of the space's table that the ranker was not "
    "trained on, when it was trained (narank/checkpoints/manifest.json); no data is needed."
)
METRICS = ("kendall_tau", "spearman_rho", "tier_accuracy", "precision_at_5pct")


def add_parser(subparsers: Any) -> None:
    """Register the `pretrained` subcommand."""
    p = subparsers.add_parser("pretrained", help=HELP, description=DESCRIPTION)
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(func=run)


def rows() -> list[dict[str, Any]]:
    """One JSON-ready row per shipped ranker, by name."""
    from narank.pretrained import available, list_pretrained

    info = available()
    keys = ("space", "dataset", "n_train", "n_test", *METRICS)
    return [{"name": name, **{k: info[name][k] for k in keys if k in info[name]}}
            for name in list_pretrained()]


def run(args: argparse.Namespace) -> int:
    """Print the shipped rankers as a table, or as JSON with --json."""
    found = rows()
    if args.json:
        print(json.dumps(found, indent=1))
        return 0
    if not found:
        print("no shipped rankers found in narank/checkpoints (run benchmarks/train_shipped.py)")
        return 0
    print(f"{'name':<22} {'space':<7} {'dataset':<15} {'train':>6} {'held-out':>8} {'tau':>6} {'rho':>6} "
          f"{'tier acc':>8} {'P@5%':>6}")
    for r in found:
        tau, rho, tier, p5 = (f"{r[k]:.3f}" if k in r else "-" for k in METRICS)
        print(f"{r['name']:<22} {r['space']:<7} {r['dataset']:<15} {r.get('n_train', '-'):>6} "
              f"{r.get('n_test', '-'):>8} {tau:>6} {rho:>6} {tier:>8} {p5:>6}")
    print("metrics on the held-out cells of each space's table; use a name with --pretrained")
    return 0
