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
DESCRIPTION = (
    HELP + ". Works without data (accuracies are added when the space's table is found). With "
    "--file, every line is answered in order; each bad line is reported on stderr as FILE:LINE: "
    "reason, and the exit code is 2 if any line was bad."
)


def add_parser(subparsers: Any) -> None:
    """Register the `describe` subcommand."""
    p = subparsers.add_parser("describe", help=HELP, description=DESCRIPTION)
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


def _read_lines(path: str) -> Iterator[tuple[int, bytes]]:
    """(line number, raw bytes) of every line of a file, or of stdin for '-'.

    Bytes, not text: a line that is not UTF-8 is one bad line, not the end of the file.
    """
    if path == "-":
        buffer = getattr(sys.stdin, "buffer", None)  # a replaced sys.stdin may be text only
        lines = buffer if buffer is not None else (line.encode("utf-8", "surrogateescape")
                                                   for line in sys.stdin)
        yield from enumerate(lines, start=1)
        return
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below; errors while opening are the user's
    except OSError as exc:
        raise NarankError(f"{path}: cannot read ({exc.strerror}); check the --file path") from exc
    with f:
        yield from enumerate(f, start=1)


def _line_item(raw: bytes) -> Any:
    """The JSON value of one input line, or NarankError saying why it is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NarankError(f"not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise NarankError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None


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
    name = "<stdin>" if args.file == "-" else args.file
    bad = total = 0
    for lineno, raw in _read_lines(args.file):
        if not raw.strip():
            continue
        total += 1
        try:
            info = describer.describe(describer.parse(_line_item(raw)))
        except (NarankError, ValueError, TypeError, KeyError) as exc:
            bad += 1
            out.flush()
            print(f"{name}:{lineno}: {exc}", file=sys.stderr, flush=True)
            continue
        out.write((json.dumps(info) if args.json else _one_line(info)) + "\n")
    if bad:
        out.flush()
        raise NarankError(f"{bad} of {total} lines of {name} could not be described (listed above as "
                          f"{name}:LINE); the other {total - bad} are answered in order")
    return 0
