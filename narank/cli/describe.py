"""`narank describe`: identity, costs and (when data is present) accuracy of cells."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from narank.errors import NarankError

HELP = "describe cells: id, canonical form, params/FLOPs and benchmark accuracy"


def add_parser(subparsers: Any) -> None:
    """Register the `describe` subcommand."""
    p = subparsers.add_parser("describe", help=HELP, description=HELP)
    p.add_argument("--space", required=True, help="search space: nb101 or nb201")
    p.add_argument("--arch", help="NB201 arch string (or an index 0..15624)")
    p.add_argument("--index", type=int, help="NB201 official index")
    p.add_argument("--adjacency", help="NB101 adjacency matrix as JSON, e.g. '[[0,1],[0,0]]'")
    p.add_argument("--ops", help='NB101 ops as JSON, e.g. \'["input","output"]\'')
    p.add_argument("--hash", dest="cell_hash", help="NB101 module hash (looked up in the table)")
    p.add_argument(
        "--file", help='JSONL file of cells ({"arch": ...} or {"adjacency": ..., "ops": ...}); - = stdin'
    )
    p.add_argument("--dataset", help="NB201 dataset: cifar10 (default), cifar100, imagenet16_120")
    p.add_argument("--data", help="benchmark table file or data folder (default $NARANK_DATA, ./data)")
    p.add_argument("--json", action="store_true", help="print JSON (one object per cell)")
    p.set_defaults(func=run)


class Describer:
    """Describes cells of one space, with accuracies from its table when one is available."""

    def __init__(self, space: str, dataset: str | None = None, data: str | None = None):
        from narank.benchmarks import find_table_file, load_table
        from narank.spaces import check_space

        self.space = check_space(space)
        if space == "nb201":
            from narank.spaces.nb201 import dataset_name

            self.dataset = dataset_name(dataset or "cifar10")
        else:
            if dataset not in (None, "cifar10"):
                raise NarankError(f"NB101 has only the cifar10 dataset, not {dataset!r}")
            self.dataset = "cifar10"
        self.table = None
        if data is not None or find_table_file(space) is not None:
            self.table = load_table(space, data)
        self._pos: dict[str, int] = {}
        self._cols: dict[str, np.ndarray] = {}
        if self.table is not None:
            self._pos = {cid: i for i, cid in enumerate(self.table.metrics.index)}
            for key in ("valid_acc", "test_acc"):
                col = f"{self.dataset}_{key}"
                if col in self.table.metrics.columns:
                    self._cols[key] = self.table.metrics[col].to_numpy(dtype=np.float64)
            if space == "nb101" and "params_M" in self.table.metrics.columns:
                # the official count (may differ slightly for recovered vertex orders)
                self._cols["params_M_table"] = self.table.metrics["params_M"].to_numpy(np.float64)

    def _accuracies(self, cid: str) -> dict[str, Any]:
        pos = self._pos.get(cid)
        out: dict[str, Any] = {}
        if self.table is None:
            return out
        out["in_table"] = pos is not None
        if pos is None:
            return out
        for key, values in self._cols.items():
            if not np.isnan(values[pos]):
                out[key] = float(values[pos])
        return out

    def parse(self, obj: Any):
        """A cell of this space from user input (NB101 hashes are looked up in the table)."""
        from narank.spaces import parse_cell

        if self.space == "nb101":
            if isinstance(obj, dict) and "hash" in obj and "adjacency" not in obj:
                return self.from_hash(str(obj["hash"]))
            if isinstance(obj, str):
                return self.from_hash(obj)
        return parse_cell(self.space, obj)

    def from_hash(self, cell_hash: str):
        """The NB101 cell with this module hash, taken from the table."""
        from narank.spaces import parse_cell

        if self.table is None:
            raise NarankError(
                f"cannot look up NB101 hash {cell_hash}: no NB101 table found (pass --data)"
            )
        row = self.table.query(cell_hash)
        return parse_cell("nb101", {"adjacency": row["adjacency"], "ops": row["ops"]})

    def describe(self, cell: Any) -> dict[str, Any]:
        """JSON-ready description of one cell."""
        if self.space == "nb201":
            out: dict[str, Any] = {
                "space": "nb201",
                "index": cell.index,
                "arch_str": cell.arch_str,
                "iso_key": cell.iso_key,
                "dataset": self.dataset,
                "params_M": cell.params_M(self.dataset),
                "flops_M": cell.flops_M(self.dataset),
            }
            out.update(self._accuracies(str(cell.index)))
            return out
        out = {"space": "nb101", "hash": cell.hash, **cell.to_dict()}
        out["num_vertices"] = cell.num_vertices
        out["num_edges"] = cell.num_edges
        out["params_M"] = cell.params_M
        out.update(self._accuracies(cell.hash))
        return out


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
            "give exactly one of --arch, --index (NB201), --adjacency with --ops, --hash (NB101), "
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
