"""`narank describe`: identity, costs and (when data is present) accuracy of cells."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from narank.errors import NarankError
from narank.spaces import space_names

HELP = "describe cells: id, canonical form, params/FLOPs and benchmark accuracy"


def add_parser(subparsers: Any) -> None:
    """Register the `describe` subcommand."""
    p = subparsers.add_parser("describe", help=HELP, description=HELP)
    p.add_argument("--space", required=True, help=f"search space: {', '.join(space_names())}")
    p.add_argument("--arch", help="arch string: NB201 '|op~0|+...', NATS-SSS '8:16:24:32:40'")
    p.add_argument("--index", type=int, help="official index (NB201, NATS-SSS)")
    p.add_argument("--adjacency", help="NB101 adjacency matrix as JSON, e.g. '[[0,1],[0,0]]'")
    p.add_argument("--ops", help='NB101 ops as JSON, e.g. \'["input","output"]\'')
    p.add_argument("--hash", dest="cell_hash", help="NB101 module hash (looked up in the table)")
    p.add_argument(
        "--file", help='JSONL file of cells ({"arch": ...} or {"adjacency": ..., "ops": ...}); - = stdin'
    )
    p.add_argument("--dataset", help="dataset of the space (default: its first, cifar10)")
    p.add_argument("--data", help="benchmark table file or data folder (default $NARANK_DATA, ./data)")
    p.add_argument("--json", action="store_true", help="print JSON (one object per cell)")
    p.set_defaults(func=run)


def _single_input(args: argparse.Namespace) -> Any:
    given = [
        name
        for name in ("arch", "index", "adjacency", "cell_hash", "file")
        if getattr(args, name) is not None
    ]
    if args.ops is not None and "adjacency" not in given:
        raise NarankError("--ops needs --adjacency (NB101 cells)")
    if len(given) != 1:
        raise NarankError(
            "give exactly one of --arch, --index, --adjacency with --ops, --hash (NB101), "
            f"or --file; got {', '.join('--' + g.replace('cell_', '') for g in given) or 'none'}"
        )
    if args.adjacency is not None:
        if args.ops is None:
            raise NarankError("--adjacency needs --ops (a JSON list of op names)")
        return {"adjacency": args.adjacency, "ops": args.ops}
    if args.cell_hash is not None:
        return {"hash": args.cell_hash}
    return args.arch if args.arch is not None else args.index


def _read_lines(path: str) -> Iterator[tuple[int, str]]:
    if path == "-":
        yield from enumerate(sys.stdin, start=1)
        return
    try:
        with open(path, encoding="utf-8") as f:
            yield from enumerate(f, start=1)
    except OSError as exc:
        raise NarankError(f"{path}: cannot read ({exc.strerror})") from exc


def _summary(info: dict[str, Any]) -> str:
    width = max(len(k) for k in info)
    lines = []
    for key, value in info.items():
        text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
        lines.append(f"{key:<{width}} : {text}")
    return "\n".join(lines)


def _one_line(info: dict[str, Any]) -> str:
    keys = [k for k in info if k not in ("space", "adjacency", "ops")]
    return "  ".join(f"{k}={info[k]}" for k in keys)


def run(args: argparse.Namespace) -> int:
    """Describe one cell, or every line of a JSONL file, in input order."""
    obj = _single_input(args)
    from narank.describe import Describer

    describer = Describer(args.space, args.dataset, args.data)
    out = sys.stdout
    if args.file is None:
        info = describer.describe(describer.parse(obj))
        out.write((json.dumps(info) if args.json else _summary(info)) + "\n")
        return 0
    for lineno, line in _read_lines(args.file):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            info = describer.describe(describer.parse(item))
        except json.JSONDecodeError as exc:
            raise NarankError(f"{args.file}:{lineno}: not valid JSON ({exc.msg})") from exc
        except NarankError as exc:
            raise NarankError(f"{args.file}:{lineno}: {exc}") from exc
        out.write((json.dumps(info) if args.json else _one_line(info)) + "\n")
    return 0
