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
    from narank.spaces import get_space

    space = get_space(args.space)
    given = [(flag, f) for flag, f in (("--tfrecord", args.tfrecord), ("--pth", args.pth)) if f]
    if len(given) != 1:
        raise NarankError("give exactly one official file: --tfrecord (NB101) or --pth (NB201)")
    flag, source = given[0]
    expected = {".tfrecord": "--tfrecord", ".pth": "--pth"}
    for suffix, wanted in expected.items():
        if str(source).lower().endswith(suffix) and wanted != flag:
            raise NarankError(f"{source} is a {suffix} file: pass it with {wanted}")
    start = time.perf_counter()
    frame = space.read_table(source).metrics
    out = write_csv_atomic(frame, args.out or converted_path(space, args.data))
    table = read_table_file(space, out)
    seconds = time.perf_counter() - start
    print(f"wrote {len(table):,} {space.name} cells to {out} in {seconds:.1f} s", file=sys.stdout)
    return 0
