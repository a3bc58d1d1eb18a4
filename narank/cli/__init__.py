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
import re
import sys
from pathlib import Path
from typing import NoReturn

from narank.errors import NarankError

COMMANDS = ("describe", "enumerate", "convert", "train", "tune", "evaluate", "search", "sample", "proxies",
            "rank", "pretrained", "oneshot", "evolve")


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are one line `narank <command>: error: ...` (no usage block), exit 2,
    like every other refusal of the CLI; its subcommand parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        text = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {text}; see `{self.prog} --help`\n")


def version() -> str:
    """The installed narank's version; from pyproject.toml (then narank.__version__) when not installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("narank")
    except PackageNotFoundError:
        pass
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        found = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(), re.MULTILINE)
    except OSError:
        found = None
    if found:
        return found.group(1)
    from narank import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="narank", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"narank {version()}",
                        help="print narank's version and exit")
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
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a refused argument (already printed)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
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
