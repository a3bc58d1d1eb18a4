"""The `narank` command: one module per subcommand, each with `add_parser` and `run`."""

from __future__ import annotations

import argparse
import importlib
import sys

from narank.errors import NarankError

COMMANDS = ("describe", "enumerate", "convert", "train", "evaluate", "search", "sample", "proxies")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="narank", description=__doc__)
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
