"""`narank evaluate`: held-out ranking metrics of a checkpoint or a shipped ranker.

Only argument parsing and printing live here; the work is `narank.evaluate.evaluate_saved`.
"""

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
    from narank.cli.train import format_metrics
    from narank.evaluate import evaluate_saved

    _, out = evaluate_saved(args.checkpoint, args.pretrained, args.space, args.dataset, args.data)
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{out['space']}/{out['dataset']} ranker")
        print(format_metrics(out))
    return 0
