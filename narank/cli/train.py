"""`narank train`: train a NAR ranker on a benchmark table and judge it on the held-out cells.

Only argument parsing and printing live here: the recipe is `narank.train.train_ranker`, and
every unset option takes the default of `Ranker` / `narank.train.default_train_config`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from narank import training_data as defaults

# Ranker parameters the CLI exposes: option dest -> Ranker parameter name.
RANKER_OPTIONS = ("epochs", "lr", "weight_decay", "batch_size", "lam", "tiers", "encoder", "dim",
                  "layers", "heads", "dropout", "node_features")


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a NAR ranker (NB101 by default)")
    add_training_arguments(p)
    p.set_defaults(func=run)


def add_training_arguments(p: argparse.ArgumentParser) -> None:
    from narank.spaces import get_space, space_names

    names = space_names()
    auto = defaults.describe_defaults()
    p.add_argument("--space", default="nb101", choices=names, help="search space (default nb101)")
    p.add_argument("--dataset", help="dataset (default: the space's first): " + "; ".join(
        f"{s}: {', '.join(get_space(s).datasets)}" for s in names))
    p.add_argument("--train-size", type=int, help="labelled training cells (default: " + ", ".join(
        f"{s} {get_space(s).default_train_size}" for s in names) + ")")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and of training (default 0)")
    p.add_argument("--epochs", type=int, help=f"training epochs (default: {auto['epochs']})")
    p.add_argument("--lr", type=float, help=f"learning rate (default {defaults.DEFAULT_LR:g})")
    p.add_argument("--weight-decay", type=float,
                   help=f"AdamW weight decay (default {defaults.DEFAULT_WEIGHT_DECAY:g})")
    p.add_argument("--batch-size", type=int, help=f"batch size (default: {auto['batch_size']})")
    p.add_argument("--lam", type=float, help=f"weight of the ranking loss (default: {auto['lam']})")
    p.add_argument("--tiers", type=int, help=f"quality tiers (default {defaults.DEFAULT_TIERS})")
    p.add_argument("--encoder", choices=defaults.ENCODERS,
                   help=f"graph encoder (default {defaults.DEFAULT_ENCODER})")
    p.add_argument("--dim", type=int, help=f"hidden width (default {defaults.DEFAULT_DIM})")
    p.add_argument("--layers", type=int, help=f"encoder layers (default {defaults.DEFAULT_LAYERS})")
    p.add_argument("--heads", type=int, help=f"attention heads (default {defaults.DEFAULT_HEADS})")
    p.add_argument("--dropout", type=float, help=f"dropout (default {defaults.DEFAULT_DROPOUT:g})")
    p.add_argument("--node-features", help="comma-separated extra node features (flops, params, sed, ntk); "
                   f"'' for none (default {','.join(defaults.DEFAULT_NODE_FEATURES)})")
    p.add_argument("--target", default="valid", choices=("valid", "test"),
                   help="accuracy to train on where the benchmark has both (evaluation is on test "
                        "accuracy where there is one; default valid)")
    p.add_argument("--out", help=f"checkpoint path (default {defaults.DEFAULT_OUT})")
    p.add_argument("--resume", help="continue training from this checkpoint up to --epochs")
    p.add_argument("--data", help="benchmark table file or data folder (default $NARANK_DATA, ./data)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def ranker_params(args: argparse.Namespace) -> dict[str, Any]:
    """The Ranker parameters given on the command line (unset ones are left to the defaults)."""
    params = {k: getattr(args, k) for k in RANKER_OPTIONS if getattr(args, k, None) is not None}
    if "node_features" in params:
        params["node_features"] = tuple(f.strip() for f in params["node_features"].split(",") if f.strip())
    return params


def run(args: argparse.Namespace) -> int:
    from narank.train import train_ranker

    _, summary = train_ranker(args.space, args.dataset, train_size=args.train_size, seed=args.seed,
                              target=args.target, data=args.data, out=args.out or defaults.DEFAULT_OUT,
                              resume=args.resume, verbose=not args.quiet, **ranker_params(args))
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"trained {summary['space']}/{summary['dataset']} ranker on {summary['n_train']} cells "
              f"({summary['epochs']} epochs) in {summary['fit_seconds']:.1f} s -> {summary['checkpoint']}")
        print(format_metrics(summary))
    return 0


def format_metrics(m: dict) -> str:
    """Readable one-block summary of held-out metrics."""
    return (f"held-out cells: {m['n_test']}\n"
            f"  Kendall tau       {m['kendall_tau']:.4f}\n"
            f"  Spearman rho      {m['spearman_rho']:.4f}\n"
            f"  tier accuracy     {m.get('tier_accuracy', float('nan')):.4f}\n"
            f"  precision@top-1%  {m['precision_at_1pct']:.4f}\n"
            f"  precision@top-5%  {m['precision_at_5pct']:.4f}")
