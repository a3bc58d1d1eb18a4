"""`narank rank`: score every cell of a search space with a ranker and print the best."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from narank.cli import args as num
from narank.errors import NarankError
from narank.spaces import space_names
from narank.threads import add_threads_argument

HELP = "score every cell of a search space with a (pretrained) ranker; print the top K"
DESCRIPTION = (
    HELP + ". NB101's 423,624 cells are scored in bulk from the enumeration (built once, about a "
    "minute). The rank score only orders cells (higher = better predicted accuracy); the tier is "
    "the predicted quality tier (1 = best). --workers N runs a Dask LocalCluster of N processes, "
    "--scheduler ADDRESS an existing Dask cluster (see narank/engine.py for a two-machine recipe)."
)


def add_parser(subparsers: Any) -> None:
    """Register the `rank` subcommand."""
    p = subparsers.add_parser("rank", help=HELP, description=DESCRIPTION)
    p.add_argument("--space", required=True, help=f"search space: {', '.join(space_names())}")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--pretrained", help="shipped ranker name, e.g. nb101")
    src.add_argument("--checkpoint", help="path of a ranker checkpoint saved by narank train")
    p.add_argument("--top", type=num.int_in(None, num.MAX_CELLS), default=10,
                   help="number of best cells to print (default 10)")
    p.add_argument("--out", help="write id, score, tier of every cell to this Parquet file")
    p.add_argument("--workers", type=num.int_in(None, num.MAX_WORKERS), default=1,
                   help="worker processes on this machine (a Dask LocalCluster); 1 = in this process")
    p.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--json", action="store_true", help="print the top cells as JSON")
    add_threads_argument(p)
    p.set_defaults(func=run)


def _label(space: Any, cid: str) -> str:
    """A readable form of a cell id (NB201 arch string, NATS-SSS widths); ids that do not parse
    back into a cell (NB101 hashes) are shown as they are."""
    from narank.errors import InvalidCellError

    try:
        return space.label(space.parse(cid))
    except InvalidCellError:
        return cid


def run(args: argparse.Namespace) -> int:
    """Rank the whole space, write --out, print the top cells."""
    from narank.checkpoint import check_output_path
    from narank.engine import check_scheduler, check_workers
    from narank.predictor import Ranker
    from narank.pretrained import load_pretrained
    from narank.rank import rank_space, write_ranking
    from narank.spaces import get_space
    from narank.threads import set_threads

    space = get_space(args.space)
    if args.top < 0:
        raise NarankError(f"--top must be >= 0, got {args.top}")
    check_workers(args.workers)
    check_scheduler(args.scheduler)
    if args.out is not None:
        check_output_path(args.out, "ranking")
    set_threads(args.threads)
    ranker = load_pretrained(args.pretrained) if args.pretrained else Ranker.load(args.checkpoint)
    ranking = rank_space(space, ranker, workers=args.workers, scheduler=args.scheduler,
                         progress=not args.json)
    if args.out is not None:
        write_ranking(ranking, args.out)
        print(f"wrote {len(ranking.ids)} scores to {args.out}", file=sys.stderr)
    rows = [{"rank": r + 1, space.id_name: str(ranking.ids[i]), "label": _label(space, str(ranking.ids[i])),
             "score": float(ranking.scores[i]), "tier": int(ranking.tiers[i])}
            for r, i in enumerate(ranking.top(args.top))]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{space.name}: {len(ranking.ids)} cells ranked by {args.pretrained or args.checkpoint}; "
          "score: higher = better predicted accuracy (not an accuracy); tier 1 = best")
    for row in rows:
        label = "" if row["label"] == row[space.id_name] else f"  {row['label']}"
        print(f"{row['rank']:>4}  {row[space.id_name]}{label}  score {row['score']:.4f}  tier {row['tier']}")
    return 0
