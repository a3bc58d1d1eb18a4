"""`narank enumerate`: count or list every cell of a search space (as users write them)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from narank.cli import args as num
from narank.errors import DataFileError
from narank.spaces import get_space, space_names


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the `enumerate` subcommand."""
    parser = subparsers.add_parser(
        "enumerate",
        help="count or list every cell of a search space",
        description="Count or list every cell of a search space: NB101 official hashes "
        "(enumerated once, about a minute on 2 cores, then cached), NB201 arch strings, NATS-SSS "
        "channel configurations. "
        "Without --count or --out, prints one id per line.",
    )
    parser.add_argument("--space", choices=space_names(), default="nb101",
                        help="search space (default nb101)")
    parser.add_argument("--count", action="store_true", help="print only the number of cells")
    parser.add_argument("--out", help="write one id per line to this file (default: print them)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="cache folder for the NB101 enumeration (default $NARANK_CACHE or ~/.cache/narank)",
    )
    parser.add_argument(
        "--jobs",
        type=num.int_in(1, num.MAX_WORKERS),
        default=None,
        help="worker processes for a first NB101 enumeration (default: all cores)",
    )
    parser.set_defaults(func=run)
    return parser


def _write(path: Path, ids: list[str]) -> None:
    """Write one id per line, or raise a DataFileError naming the path."""
    from narank.atomic import atomic_write_bytes

    try:
        atomic_write_bytes(path, ("\n".join(ids) + "\n").encode("utf-8"))  # no half-written list
    except OSError as exc:
        raise DataFileError(f"{path}: cannot write ({exc}); choose a writable --out path") from exc
    print(f"wrote {len(ids)} ids to {path}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Print the count, write the ids to --out, or print the ids."""
    space = get_space(args.space)
    from narank.checkpoint import check_output_dir, check_output_path

    if args.out is not None:
        check_output_path(args.out, "id list")  # before a first NB101 enumeration (minutes)
    if args.cache_dir is not None:
        check_output_dir(args.cache_dir, "enumeration cache", "--cache-dir")
    if args.count and args.out is None and space.enumerate() is not None:
        print(len(space.enumerate()))
        return 0
    ids = space.list_cells(args.cache_dir, args.jobs)
    if args.out is not None:
        _write(Path(args.out), ids)
    if args.count:
        print(len(ids))
    elif args.out is None:
        sys.stdout.write("\n".join(ids) + "\n")
    return 0
