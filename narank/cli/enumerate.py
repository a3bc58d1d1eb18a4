"""`narank enumerate`: count or list every cell of a search space (NB101 hashes, NB201 arch
strings)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from narank.errors import DataFileError

SPACES = ("nb101", "nb201")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the `enumerate` subcommand."""
    parser = subparsers.add_parser(
        "enumerate",
        help="count or list every cell of a search space",
        description="Count or list every cell of a search space: NB101 official hashes "
        "(enumerated once, about a minute on 2 cores, then cached) or NB201 arch strings. "
        "Without --count or --out, prints one id per line.",
    )
    parser.add_argument("--space", choices=SPACES, default="nb101", help="search space")
    parser.add_argument("--count", action="store_true", help="print only the number of cells")
    parser.add_argument("--out", type=Path, help="write one id per line to this file")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="cache folder for the NB101 enumeration (default $NARANK_CACHE or ~/.cache/narank)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes for a first NB101 enumeration (default: all cores)",
    )
    parser.set_defaults(func=run)
    return parser


def _nb101_ids(args: argparse.Namespace) -> list[str]:
    """All NB101 hashes, sorted, from the (possibly freshly built) cache."""
    from narank.spaces import nb101_enumerate

    return nb101_enumerate.load_space(args.cache_dir, n_jobs=args.jobs).hashes.tolist()


def _nb201_ids() -> list[str]:
    """All NB201 arch strings in the official index order."""
    from narank.spaces import nb201

    return [cell.arch_str for cell in nb201.all_cells()]


def _write(path: Path, ids: list[str]) -> None:
    """Write one id per line, or raise a DataFileError naming the path."""
    try:
        path.write_text("\n".join(ids) + "\n", encoding="utf-8")
    except OSError as exc:
        raise DataFileError(f"{path}: cannot write ({exc}); choose a writable --out path") from exc
    print(f"wrote {len(ids)} ids to {path}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Print the count, write the ids to --out, or print the ids."""
    if args.count and args.out is None and args.space == "nb201":
        from narank.spaces import nb201

        print(nb201.NUM_CELLS)
        return 0
    ids = _nb101_ids(args) if args.space == "nb101" else _nb201_ids()
    if args.out is not None:
        _write(args.out, ids)
    if args.count:
        print(len(ids))
    elif args.out is None:
        sys.stdout.write("\n".join(ids) + "\n")
    return 0
