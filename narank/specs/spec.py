"""Read a spec file (YAML or JSON) into a registered search space.

    name: my-cells              # the space's name (--space my-cells once loaded, or the file path)
    family: edge                # edge-labelled cells, NB201-like
    nodes: 5                    # input, 3 intermediate nodes, output
    ops: [none, skip_connect, nor_conv_3x3]   # names from the op registry (narank.specs.ops)
    datasets: [cifar10]         # optional
    table: {file: labels.csv, arch_column: arch, label_column: accuracy}   # optional: its CSV of
                                # labels (relative to the spec) and how CSVs of it are read

Every problem is one error naming the file and the fix (unknown op, unknown key, a cell without
a possible input -> output path, a family narank does not know).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from narank.errors import NarankError
from narank.registry import UnknownNameError
from narank.spaces import SPACES, SearchSpace
from narank.specs.edge import EdgeSpecSpace
from narank.specs.ops import OPS

KEYS = {"name", "family", "nodes", "ops", "datasets", "title", "table"}
TABLE_KEYS = {"file", "arch_column", "label_column", "test_column"}
MAX_NODES = 12


class SpecError(NarankError):
    """A spec file that does not describe a valid space."""


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SpecError(f"{path}: no such spec file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot read ({exc})") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)  # plain data only: no tags that build objects
    except Exception as exc:  # yaml.YAMLError, json.JSONDecodeError
        raise SpecError(f"{path}: not valid {path.suffix.lstrip('.').upper() or 'YAML'} ({exc})") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: a spec is a mapping of keys ({', '.join(sorted(KEYS))})")
    return data


@lru_cache(maxsize=32)
def _load(path: str, mtime: float) -> SearchSpace:
    spec_path = Path(path)
    data = _read(spec_path)
    unknown = set(data) - KEYS
    if unknown:
        raise SpecError(f"{path}: unknown key(s) {sorted(unknown)}; a spec has {', '.join(sorted(KEYS))}")
    family = data.get("family", "edge")
    if family != "edge":
        raise SpecError(f"{path}: family {family!r} is not supported; use 'edge' (NB201-like edge-labelled "
                        "cells; node-labelled NB101-like specs are not implemented yet)")
    name = data.get("name") or spec_path.stem
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"{path}: 'name' must be a non-empty string")
    nodes = data.get("nodes")
    if isinstance(nodes, bool) or not isinstance(nodes, int) or not 2 <= nodes <= MAX_NODES:
        raise SpecError(f"{path}: 'nodes' must be an integer from 2 to {MAX_NODES} (input, intermediate "
                        f"nodes, output), got {nodes!r}")
    ops = data.get("ops")
    if not isinstance(ops, list) or len(ops) < 2 or not all(isinstance(o, str) for o in ops):
        raise SpecError(f"{path}: 'ops' must be a list of at least two op names")
    if len(set(ops)) != len(ops):
        raise SpecError(f"{path}: 'ops' names an op twice")
    for op in ops:
        try:
            OPS.get(op)
        except UnknownNameError as exc:
            raise SpecError(f"{path}: {exc}") from None
    if all(OPS.get(op).kind == "none" for op in ops):
        raise SpecError(f"{path}: every op is 'none': no cell has a path from input to output")
    datasets = data.get("datasets", ["cifar10"])
    if not isinstance(datasets, list) or not datasets or not all(isinstance(d, str) for d in datasets):
        raise SpecError(f"{path}: 'datasets' must be a non-empty list of names")
    table = data.get("table") or {}
    if not isinstance(table, dict) or set(table) - TABLE_KEYS:
        raise SpecError(f"{path}: 'table' may hold {', '.join(sorted(TABLE_KEYS))}")
    space = EdgeSpecSpace(name.strip(), nodes, ops, datasets, data.get("title", ""), spec_path.resolve(),
                          table)
    if table.get("file"):
        file = (spec_path.parent / str(table["file"])).resolve()
        if not file.is_file():
            raise SpecError(f"{path}: its table file {file} does not exist; fix 'table: file:' or remove it")
        space.table_files = (str(file),)
        space.canonical_table = str(file)
        space.example_table = file
    SPACES.register(space.name, space)
    SPACES.register(str(spec_path.resolve()), space)
    return space


def from_spec(path: str | os.PathLike) -> SearchSpace:
    """The space a spec file declares, registered under its name and its path (see module doc)."""
    spec_path = Path(path)
    try:
        mtime = spec_path.stat().st_mtime
    except OSError:
        raise SpecError(f"{path}: no such spec file") from None
    return _load(str(spec_path.resolve()), mtime)
