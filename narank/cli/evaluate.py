"""`narank evaluate`: held-out ranking metrics of a checkpoint or a shipped ranker.

Only argument parsing and printing live here; the work is `narank.evaluate.evaluate_saved`.
"""

from __future__ import annotations

import argparse
import json

from narank.cli.device import add_device_argument
from narank.cli.rankers import shipped as _shipped
from narank.threads import add_threads_argument

HELP = "ranking metrics of a ranker on the cells it never saw"
DESCRIPTION = (
    "Judge a trained ranker (a checkpoint file or a shipped name) on every cell of its space's "
    "benchmark table that it was not trained on: Kendall tau, Spearman rho, tier accuracy and "
    "precision at the top 1% / 5% of the true ranking. Needs the space's table (see "
    "data/README.md)."
)


def add_parser(sub) -> None:
    p = sub.add_parser("evaluate", help=HELP, description=DESCRIPTION)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="a checkpoint file written by `narank train`")
    src.add_argument("--pretrained", help="a shipped ranker name: " + _shipped_names())
    p.add_argument("--space", help="check that the ranker is for this space (default: the ranker's)")
    p.add_argument("--dataset", help="check that the ranker is for this dataset (default: the ranker's)")
    p.add_argument("--data", help="benchmark table file or data folder (default $NARANK_DATA, ./data)")
    p.add_argument("--table", help="judge on your own CSV of architectures and accuracies (with "
                   "--arch-column and --label-column); cells the ranker trained on are left out")
    p.add_argument("--arch-column", default="arch", help="--table's architecture column (default arch)")
    p.add_argument("--label-column", default="accuracy", help="--table's accuracy column (default accuracy)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    add_threads_argument(p)
    add_device_argument(p)
    p.set_defaults(func=run)


def _shipped_names() -> str:
    return ", ".join(sorted(_shipped())) or "none shipped"


def run(args: argparse.Namespace) -> int:
    from narank.benchmarks import require_table_file
    from narank.cli.device import check_device
    from narank.cli.rankers import check_width
    from narank.errors import CheckpointError

    check_device(args.device, "evaluate")
    space = args.space
    if args.pretrained is not None:
        shipped = _shipped()
        if args.pretrained not in shipped:
            raise CheckpointError(f"no pretrained ranker named {args.pretrained!r}; available: "
                                  f"{', '.join(sorted(shipped)) or 'none'}")
        space = space or shipped[args.pretrained]["space"]
    table = None
    if args.table is not None:
        from narank.benchmarks.user_table import read_user_csv
        from narank.checkpoint import load_checkpoint
        from narank.spaces import get_space

        table_space = get_space(space or load_checkpoint(args.checkpoint)["manifest"]["space"])
        table = read_user_csv(table_space, args.table, args.arch_column, (args.label_column,))
    elif space is not None:
        require_table_file(space, args.data)  # before any model loads: errors in a second
    from narank.cli.train import format_metrics
    from narank.evaluate import evaluate_saved
    from narank.threads import set_threads

    set_threads(args.threads)
    if args.checkpoint is not None:
        check_width(args.checkpoint)
    _, out = evaluate_saved(args.checkpoint, args.pretrained, args.space, args.dataset, args.data,
                            table, args.label_column if table is not None else None, device=args.device)
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{out['space']}/{out['dataset']} ranker")
        print(format_metrics(out))
    return 0
