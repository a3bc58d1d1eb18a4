"""`narank convert`: turn an official benchmark file into a canonical CSV (fast to load later)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from narank.errors import NarankError

HELP = "convert the official NB101 .tfrecord or NB201 .pth file to a canonical CSV"


def add_parser(subparsers: Any) -> None:
    """Register the `convert` subcommand."""
    p = subparsers.add_parser("convert", help=HELP, description=HELP)
    p.add_argument("--space", required=True, help="nb101 (with --tfrecord) or nb201 (with --pth)")
    p.add_argument("--tfrecord", help="official nasbench_only108.tfrecord (or nasbench_full)")
    p.add_argument("--pth", help="official NAS-Bench-201-v1_1-096897.pth (needs narank[nb201])")
    p.add_argument("--out", help="output CSV (default <data>/<space>/<space>_official.csv)")
    p.add_argument("--data", help="data folder for the default output (default $NARANK_DATA, ./data)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read the official file, write the canonical CSV atomically, and check it reads back."""
    from narank.benchmarks import converted_path, read_table_file
    from narank.benchmarks.csv_tables import write_csv_atomic
    from narank.spaces import check_space

    space = check_space(args.space)
    start = time.perf_counter()
    if space == "nb101":
        if args.tfrecord is None or args.pth is not None:
            raise NarankError("--space nb101 converts a --tfrecord file (and takes no --pth)")
        from narank.benchmarks.tfrecord import read_nb101_tfrecord

        frame = read_nb101_tfrecord(args.tfrecord)
    else:
        if args.pth is None or args.tfrecord is not None:
            raise NarankError("--space nb201 converts a --pth file (and takes no --tfrecord)")
        from narank.benchmarks.nb201_pth import read_nb201_pth

        frame = read_nb201_pth(args.pth)
    out = write_csv_atomic(frame, args.out or converted_path(space, args.data))
    table = read_table_file(space, out)
    seconds = time.perf_counter() - start
    print(f"wrote {len(table):,} {space} cells to {out} in {seconds:.1f} s", file=sys.stdout)
    return 0
