"""`narank sample`: top cells of a trained ranker, sampled by its stored tier statistics (no data needed)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from narank.cli import args as num
from narank.errors import NarankError
from narank.threads import add_threads_argument

HELP = "sample and rank cells with a (pretrained) ranker's tier statistics; no benchmark data needed"
DESCRIPTION = (
    HELP + ". Candidates are drawn to match the costs of the ranker's predicted top tier, ranked, "
    "and the best printed with their predicted tier (1 = best) and rank score. The rank score "
    "only orders cells (higher = better predicted accuracy); it is not an accuracy. True "
    "accuracies are added when the space's table is found."
)


def add_parser(subparsers: Any) -> None:
    """Register the `sample` subcommand."""
    p = subparsers.add_parser("sample", help=HELP, description=DESCRIPTION)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--pretrained", help="shipped ranker name, e.g. nb201-imagenet16_120")
    src.add_argument("--checkpoint", help="path of a ranker checkpoint saved by narank train")
    p.add_argument("--top", type=num.int_in(None, num.MAX_CELLS), default=10,
                   help="number of cells to print (default 10)")
    p.add_argument("--candidates", type=num.int_in(None, num.MAX_CELLS), default=2000,
                   help="cells sampled before ranking (default 2000)")
    p.add_argument("--seed", type=num.seed_value, default=0, help="sampling seed (default 0)")
    p.add_argument("--data", help="benchmark table file or data folder, for true accuracies "
                   "(default $NARANK_DATA, ./data; optional)")
    p.add_argument("--json", action="store_true", help="print a JSON list ('score' is the rank score, "
                   "not an accuracy)")
    add_threads_argument(p)
    p.set_defaults(func=run)


ACCURACIES = ("valid_acc", "test_acc")


def _load(args: argparse.Namespace):
    from narank.cli.rankers import load_ranker

    return load_ranker(args.pretrained, args.checkpoint)


def name_by_columns(rows: list[dict[str, Any]], space: str, dataset: str) -> list[dict[str, Any]]:
    """Rows whose accuracies are keyed by the column they come from: a table with one accuracy
    column (NATS-SSS: test accuracy only) gives it as `test_acc`, not as `valid_acc`."""
    from narank.spaces import get_space

    cols = get_space(space).columns(dataset)
    if cols.has_test:
        return rows
    key = cols.train.removeprefix(f"{dataset}_")
    return [{(key if k == "valid_acc" else k): v for k, v in row.items()} for row in rows]


def run(args: argparse.Namespace) -> int:
    """Print the top cells, with their true accuracies when a benchmark table is present."""
    if args.top < 1 or args.candidates < 1:
        raise NarankError(f"--top and --candidates must be at least 1, got {args.top} and {args.candidates}")
    if args.seed < 0:
        raise NarankError(f"--seed must be >= 0, got {args.seed}")
    from narank.search.sampling import top_cells, with_truth
    from narank.threads import set_threads

    set_threads(args.threads)
    ranker = _load(args)
    pairs, info = top_cells(ranker, args.top, args.candidates, args.seed)
    rows, found = with_truth(pairs, ranker.space, ranker.dataset, args.data)
    rows = name_by_columns(rows, ranker.space, ranker.dataset)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    name = args.pretrained or args.checkpoint
    print(f"{ranker.space} {ranker.dataset}, ranker {name}: top {len(rows)} of {info['candidates']} "
          f"sampled cells (tier statistics {info['tier_stats']}, KL top/bottom "
          f"{info['kl_top_bottom']:.3f}, {'targeted' if info['targeted'] else 'uniform'} sampling); "
          "rank score: higher = better predicted accuracy, not an accuracy")
    if not found:
        print("no benchmark table found: true accuracies not shown", file=sys.stderr)
    for k, row in enumerate(rows, start=1):
        acc = "".join(f"  {c.removesuffix('_acc')} {row[c]:.2f}" for c in ACCURACIES if c in row)
        if not acc and "ground_truth" in row:
            acc = "  (no ground truth)"
        print(f"{k:>3}. rank score {row['score']:+.3f}  tier {row['tier']}{acc}  {row['label']}")
    return 0
