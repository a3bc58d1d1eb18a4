"""`narank convert`: turn an official benchmark file into a canonical CSV (fast to load later)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from narank.errors import DataFileError, NarankError

HELP = "convert the official NB101 .tfrecord or NB201 .pth file to a canonical CSV"
DESCRIPTION = (HELP + ". The CSV is written once, atomically, where later commands look first "
               "(<data>/<space>/<space>_official.csv). A tfrecord must be complete (every cell with all "
               "its runs, all 423,624 cells) unless --allow-partial; see data/README.md.")


def add_parser(subparsers: Any) -> None:
    """Register the `convert` subcommand."""
    p = subparsers.add_parser("convert", help=HELP, description=DESCRIPTION)
    p.add_argument("--space", required=True, help="nb101 (with --tfrecord) or nb201 (with --pth)")
    p.add_argument("--tfrecord", help="official nasbench_only108.tfrecord (or nasbench_full)")
    p.add_argument("--pth", help="official NAS-Bench-201-v1_1-096897.pth (needs narank[nb201])")
    p.add_argument("--out", help="output CSV (default <data>/<space>/<space>_official.csv)")
    p.add_argument("--data", help="data folder for the default output (default $NARANK_DATA, ./data)")
    p.add_argument("--allow-partial", action="store_true",
                   help="write a tfrecord that lacks cells or runs anyway (default: refuse it); later "
                        "loads say it is partial")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read the official file, write the canonical CSV atomically, and check it reads back."""
    from narank.benchmarks import converted_path, read_table_file
    from narank.benchmarks.csv_tables import write_csv_atomic
    from narank.checkpoint import check_output_path
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
    out_path = Path(args.out) if args.out else converted_path(space, args.data)
    check_output_path(out_path, "converted table")
    start = time.perf_counter()
    frame = space.read_table(source).metrics  # a file of another space is refused here, by its reader
    problems = []
    if "min_runs" in frame.columns:  # a tfrecord: counts of runs per cell show a file cut short
        from narank.benchmarks.tfrecord import completeness_problems

        problems = completeness_problems(frame)
        if problems and not args.allow_partial:
            raise DataFileError(f"{source}: incomplete NB101 file: {'; '.join(problems)}; it was probably "
                                "cut short while downloading: download it again (or pass --allow-partial "
                                "to convert what is there)")
        frame = frame.drop(columns=["min_runs"])
    out = write_csv_atomic(frame, out_path)
    table = read_table_file(space, out)
    seconds = time.perf_counter() - start
    print(f"wrote {len(table):,} {space.name} cells to {out} in {seconds:.1f} s", file=sys.stdout)
    if problems:
        print(f"narank convert: warning: partial table ({'; '.join(problems)}); commands will use it "
              f"instead of {space.canonical_table} until you delete {out}", file=sys.stderr)
    return 0
