"""`narank describe`: identity, costs and (when data is present) accuracy of cells."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import stat
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

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
    p.add_argument("--json", action="store_true", help="print JSON: one object per cell, one line each "
                   "(with --file: JSON lines, in input order)")
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


MAX_LINE = 1 << 20  # bytes per input line; a cell takes a few hundred
MAX_NESTING = 64  # JSON depth; a cell needs 3 (an NB101 adjacency matrix in an object)
MAX_SKIP = 256 << 20  # bytes read past an over-long line of a stream (not a file) before giving up


def _read_lines(path: str) -> Iterator[tuple[int, bytes | NarankError]]:
    """(line number, raw bytes) of every line of a file, or of stdin for '-'; a line longer than
    MAX_LINE comes as a NarankError instead (and is skipped), so that neither a huge line nor a
    file without line ends (/dev/zero) can exhaust memory or hide the lines after it.

    Bytes, not text: a line that is not UTF-8 is one bad line, not the end of the file.
    """
    if path == "-":
        buffer = getattr(sys.stdin, "buffer", None)  # a replaced sys.stdin may be text only
        if buffer is None:
            for lineno, line in enumerate(sys.stdin, start=1):
                raw = line.encode("utf-8", "surrogateescape")
                yield lineno, raw if len(raw) <= MAX_LINE else _too_long()
            return
        yield from _bounded_lines(buffer)
        return
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below; errors while opening are the user's
    except OSError as exc:
        raise NarankError(f"{path}: cannot read ({exc.strerror}); check the --file path") from exc
    with f:
        yield from _bounded_lines(f)


def _too_long() -> NarankError:
    return NarankError(f"line longer than {MAX_LINE:,} bytes (a cell takes a few hundred); skipped")


def _bounded_lines(fh: BinaryIO) -> Iterator[tuple[int, bytes | NarankError]]:
    """The lines of a binary stream, none held longer than MAX_LINE (see `_read_lines`)."""
    try:
        regular = stat.S_ISREG(os.fstat(fh.fileno()).st_mode)
    except (OSError, ValueError, io.UnsupportedOperation):
        regular = False
    lineno = 0
    while line := fh.readline(MAX_LINE + 1):
        lineno += 1
        if len(line) <= MAX_LINE or line.endswith(b"\n"):
            yield lineno, line
            continue
        skipped = len(line)
        while not line.endswith(b"\n"):  # skip the rest of the long line, a chunk at a time
            if not regular and skipped > MAX_SKIP:
                yield lineno, NarankError(f"no line end in the first {MAX_SKIP >> 20} MB (not a text "
                                          "file?); stopped reading")
                return
            line = fh.readline(MAX_LINE)
            if not line:
                break
            skipped += len(line)
        yield lineno, _too_long()


def _nesting(raw: bytes) -> int:
    """Deepest nesting of JSON arrays and objects in a line (brackets inside strings ignored)."""
    depth = deepest = 0
    for bracket in re.sub(rb'"(?:[^"\\]|\\.)*"', b"", raw).translate(None, _NOT_BRACKETS):
        if bracket in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def _line_item(raw: bytes) -> Any:
    """The JSON value of one input line, or NarankError saying why it is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NarankError(f"not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r})") from None
    if raw.count(b"[") + raw.count(b"{") > MAX_NESTING and _nesting(raw) > MAX_NESTING:
        raise NarankError(f"JSON nested deeper than {MAX_NESTING} levels (a cell needs 3)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise NarankError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise NarankError("JSON nested too deeply") from None


def _summary(info: dict[str, Any]) -> str:
    width = max(len(k) for k in info)
    lines = []
    for key, value in info.items():
        text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
        lines.append(f"{key:<{width}} : {text}")
    return "\n".join(lines)


def _json_line(info: dict[str, Any]) -> str:
    """One cell as one line of strict JSON (NaN and inf, which JSON lacks, as null)."""
    import math

    def plain(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    return json.dumps(plain(info), allow_nan=False)


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
        out.write((_json_line(info) if args.json else _summary(info)) + "\n")
        return 0
    name = "<stdin>" if args.file == "-" else args.file
    bad = total = 0
    for lineno, raw in _read_lines(args.file):
        if isinstance(raw, bytes) and not raw.strip():
            continue
        total += 1
        try:
            if isinstance(raw, NarankError):
                raise raw
            info = describer.describe(describer.parse(_line_item(raw)))
        except (NarankError, ValueError, TypeError, KeyError) as exc:
            bad += 1
            out.flush()
            print(f"{name}:{lineno}: {exc}", file=sys.stderr, flush=True)
            continue
        out.write((_json_line(info) if args.json else _one_line(info)) + "\n")
    if bad:
        out.flush()
        raise NarankError(f"{bad} of {total} lines of {name} could not be described (listed above as "
                          f"{name}:LINE); the other {total - bad} are answered in order")
    return 0
