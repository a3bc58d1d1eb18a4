"""`narank evaluate`: held-out ranking metrics of a checkpoint or a shipped ranker."""

from __future__ import annotations

import argparse
import json


def add_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="ranking metrics of a ranker on the cells it never saw")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="a checkpoint file written by `narank train`")
    src.add_argument("--pretrained", help="a shipped ranker name, e.g. nb201-cifar100")
    p.add_argument("--space", help="check that the ranker is for this space")
    p.add_argument("--dataset", help="check that the ranker is for this dataset")
    p.add_argument("--data", help="benchmark table file or data folder (default $NARANK_DATA, ./data)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from narank.benchmarks import load_table
    from narank.cli.train import format_metrics
    from narank.errors import NarankError
    from narank.evaluate import evaluate_ranker
    from narank.predictor import Ranker
    from narank.pretrained import load_pretrained

    ranker = load_pretrained(args.pretrained) if args.pretrained else Ranker.load(args.checkpoint)
    for what, want, have in (("space", args.space, ranker.space), ("dataset", args.dataset, ranker.dataset)):
        if want and want != have:
            raise NarankError(f"this ranker is for {what} {have!r}, not {want!r}")
    table = load_table(ranker.space, args.data)
    metrics = evaluate_ranker(ranker, table, ranker.manifest.get("target", "valid"))
    out = {"space": ranker.space, "dataset": ranker.dataset, **metrics}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{ranker.space}/{ranker.dataset} ranker")
        print(format_metrics(metrics))
    return 0
