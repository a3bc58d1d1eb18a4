"""`narank train`: train a NAR ranker on a benchmark table and judge it on the held-out cells."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from narank.errors import NarankError


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a NAR ranker (NB101 by default)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_training_arguments(p)
    p.set_defaults(func=run)


def add_training_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--space", default="nb101", choices=("nb101", "nb201"))
    p.add_argument("--dataset", default="cifar10", help="cifar10, cifar100, imagenet16_120 (NB201)")
    p.add_argument("--train-size", type=int, help="labelled training cells (default: NB101 4236, NB201 1563)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and of training")
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lam", type=float, help="weight of the ranking loss (default: NB101 9, NB201 1)")
    p.add_argument("--tiers", type=int, default=5)
    p.add_argument("--encoder", default="gin", choices=("gin", "gps", "transformer"))
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--node-features", default="flops,params",
                   help="comma-separated extra node features (flops, params, sed, ntk); '' for none")
    p.add_argument("--target", default="valid", choices=("valid", "test"),
                   help="NB201 accuracy to train on (evaluation is always on test accuracy)")
    p.add_argument("--out", help="checkpoint path (default runs/<space>-<dataset>-n<size>-s<seed>.pt)")
    p.add_argument("--resume", help="continue training from this checkpoint up to --epochs")
    p.add_argument("--data", help="benchmark table file or data folder (default $NARANK_DATA, ./data)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from narank.benchmarks import load_table
    from narank.evaluate import columns, evaluate_ranker, labelled, split
    from narank.graphs import node_dim
    from narank.model.ranker import RankerConfig
    from narank.predictor import Ranker, check_space_dataset
    from narank.train import NAR_LAMBDA, TrainConfig

    check_space_dataset(args.space, args.dataset)
    table = load_table(args.space, args.data)
    train_col, _, _, _ = columns(args.space, args.dataset, args.target)
    cells, acc, ids = labelled(table, train_col)
    t0 = time.time()
    if args.resume:
        ranker = Ranker.load(args.resume)
        if ranker.space != args.space or ranker.dataset != args.dataset:
            raise NarankError(f"{args.resume} is a {ranker.space}/{ranker.dataset} ranker, "
                              f"not {args.space}/{args.dataset}")
        done = ranker.trained_epochs
        if done is None:
            raise NarankError(f"{args.resume} has no training state to resume (shipped checkpoints "
                              "are saved without it); train a new ranker instead")
        if args.epochs <= done:
            raise NarankError(f"{args.resume} already trained {done} epochs; pass --epochs > {done}")
        position = {cid: i for i, cid in enumerate(ids)}
        train_pos = [position[c] for c in ranker.manifest["train_ids"] if c in position]
        ranker.train_config.epochs = args.epochs
        ranker.fit([cells[i] for i in train_pos], acc[train_pos], progress=not args.quiet,
                   resume=True)
    else:
        size = args.train_size or (4236 if args.space == "nb101" else 1563)
        train_pos, _ = split(len(cells), size, args.seed)
        feats = tuple(f.strip() for f in args.node_features.split(",") if f.strip())
        lam = args.lam if args.lam is not None else NAR_LAMBDA[args.space]
        try:
            config = RankerConfig(in_dim=node_dim(feats), dim=args.dim, layers=args.layers,
                                  encoder=args.encoder, tiers=args.tiers)
            train_config = TrainConfig(epochs=args.epochs, lr=args.lr, batch_size=args.batch_size,
                                       lam=lam, seed=args.seed)
        except ValueError as exc:
            raise NarankError(str(exc)) from exc
        ranker = Ranker(args.space, args.dataset, feats, config, train_config)
        ranker.fit([cells[i] for i in train_pos], acc[train_pos], progress=not args.quiet)
    fit_seconds = time.time() - t0
    metrics = evaluate_ranker(ranker, table, args.target)
    ranker.manifest["metrics"] = metrics
    ranker.manifest["target"] = args.target
    ranker.manifest["fit_seconds"] = round(fit_seconds, 2)
    out = Path(args.out or f"runs/{args.space}-{args.dataset}-n{len(ranker.manifest['train_ids'])}"
                           f"-s{args.seed}.pt")
    ranker.save(out)
    summary = {"checkpoint": str(out), "space": args.space, "dataset": args.dataset,
               "n_train": len(ranker.manifest["train_ids"]), "fit_seconds": round(fit_seconds, 2),
               **metrics}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"trained {args.space}/{args.dataset} ranker on {summary['n_train']} cells "
              f"in {fit_seconds:.1f} s -> {out}")
        print(format_metrics(metrics))
    return 0


def format_metrics(m: dict) -> str:
    """Readable one-block summary of held-out metrics."""
    return (f"held-out cells: {m['n_test']}\n"
            f"  Kendall tau       {m['kendall_tau']:.4f}\n"
            f"  Spearman rho      {m['spearman_rho']:.4f}\n"
            f"  tier accuracy     {m.get('tier_accuracy', float('nan')):.4f}\n"
            f"  precision@top-1%  {m['precision_at_1pct']:.4f}\n"
            f"  precision@top-5%  {m['precision_at_5pct']:.4f}")
