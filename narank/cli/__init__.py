"""narank ranks neural architectures before training them.

A graph ranker (NAR) predicts the quality tier (1 = best) and a rank score of cells of
NAS-Bench-101, NAS-Bench-201 and the NATS-Bench size space; its tier statistics drive a
search that finds top cells with few accuracy lookups. Shipped rankers work without any data
(`narank sample`, `narank describe`); training, evaluation and search need a benchmark table
(see data/README.md). Bad input ends with one line `narank <command>: error: ...` and exit 2.
"""

# Code layout: one module per subcommand in narank/cli/, each with `add_parser` and `run`.

from __future__ import annotations

import argparse
import importlib
import sys

from narank.errors import NarankError

COMMANDS = ("describe", "enumerate", "convert", "train", "evaluate", "search", "sample", "proxies", "rank",
            "oneshot", "evolve")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="narank", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"narank.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"narank.cli.{name}":
                raise
            continue
        module.add_parser(sub)
    return parser




def main(argv: list[str] | None = None) -> int:
    """Entry point; bad input gives a one-line message on stderr and exit code 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except NarankError as exc:
        print(f"narank {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("narank: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
