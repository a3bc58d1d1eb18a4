"""`narank rank`: score every cell of a search space with a ranker and print the best."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from narank.cli import args as num
from narank.cli.device import add_device_argument
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
    p.add_argument("--space", help=f"search space: {', '.join(space_names())} (default: the ranker's; "
                   "another space is refused)")
    p.add_argument("--dataset", help="dataset (default: the ranker's; another dataset is refused)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--pretrained", help="shipped ranker name, e.g. nb101")
    src.add_argument("--checkpoint", help="path of a ranker checkpoint saved by narank train")
    p.add_argument("--top", type=num.int_in(None, num.MAX_CELLS), default=10,
                   help="number of best cells to print (default 10)")
    p.add_argument("--out", help="write id, score, tier of every cell to this file: .csv, .parquet or .json "
                   "(the format follows the extension; written atomically)")
    p.add_argument("--workers", type=num.int_in(None, num.MAX_WORKERS), default=1,
                   help="worker processes on this machine (a Dask LocalCluster); 1 = in this process")
    p.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--json", action="store_true", help="print the top cells as JSON")
    add_threads_argument(p)
    add_device_argument(p)
    p.set_defaults(func=run)


def _label(space: Any, cid: str) -> str:
    """A readable form of a cell id (NB201 arch string, NATS-SSS widths); ids that do not parse
    back into a cell (NB101 hashes) are shown as they are."""
    from narank.errors import InvalidCellError

    try:
        return space.label(space.parse(cid))
    except InvalidCellError:
        return cid


def _check_match(own: tuple[str, str], name: str, space: str | None, dataset: str | None) -> None:
    """Refuse a --space or --dataset that contradicts the ranker's own (space, dataset), one line."""
    from narank.spaces import get_space

    if space is not None and get_space(space).name != own[0]:
        raise NarankError(f"--space {space} contradicts {name}, which ranks {own[0]}/{own[1]} cells; drop "
                          f"--space (it defaults to the ranker's) or give a {space} ranker")
    if dataset is not None and get_space(own[0]).dataset(dataset) != own[1]:
        raise NarankError(f"--dataset {dataset} contradicts {name}, which ranks {own[0]}/{own[1]} cells; "
                          "drop --dataset (it defaults to the ranker's) or give another ranker")


def run(args: argparse.Namespace) -> int:
    """Rank the whole space (the ranker's, unless --space says so), write --out, print the top cells."""
    from narank.cli.device import check_device
    from narank.cli.output import check_table_path, write_columns
    from narank.cli.rankers import load_ranker, shipped
    from narank.engine import check_scheduler, check_workers
    from narank.rank import rank_space
    from narank.spaces import get_space
    from narank.threads import set_threads

    if args.space is not None:
        get_space(args.space)  # an unknown name is refused before any work
    if args.top < 0:
        raise NarankError(f"--top must be >= 0, got {args.top}")
    check_workers(args.workers)
    check_scheduler(args.scheduler)
    if args.out is not None:
        check_table_path(args.out, "ranking")
    check_device(args.device, "rank")
    name = args.pretrained or args.checkpoint
    info = shipped().get(args.pretrained or "")
    if info is not None:  # a shipped ranker is checked before torch loads
        _check_match((info["space"], info["dataset"]), name, args.space, args.dataset)
    set_threads(args.threads)
    ranker = load_ranker(args.pretrained, args.checkpoint).set_params(device=args.device)
    _check_match((ranker.space, ranker.dataset), name, args.space, args.dataset)
    space = get_space(ranker.space)
    ranking = rank_space(space, ranker, workers=args.workers, scheduler=args.scheduler,
                         progress=not args.json)
    if args.out is not None:
        write_columns(args.out, {"id": ranking.ids, "score": ranking.scores, "tier": ranking.tiers})
        print(f"wrote {len(ranking.ids)} scores to {args.out}", file=sys.stderr)
    rows = [{"rank": r + 1, space.id_name: str(ranking.ids[i]), "label": _label(space, str(ranking.ids[i])),
             "score": float(ranking.scores[i]), "tier": int(ranking.tiers[i])}
            for r, i in enumerate(ranking.top(args.top))]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{space.name}/{ranker.dataset}: {len(ranking.ids)} cells ranked by {name}; "
          "score: higher = better predicted accuracy (not an accuracy); tier 1 = best")
    for row in rows:
        label = "" if row["label"] == row[space.id_name] else f"  {row['label']}"
        print(f"{row['rank']:>4}  {row[space.id_name]}{label}  score {row['score']:.4f}  tier {row['tier']}")
    return 0
