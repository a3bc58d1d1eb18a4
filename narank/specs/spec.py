"""Read a spec file (YAML or JSON) into a registered search space, of either family:

    name: my-cells              # the space's name (--space my-cells once loaded, or the file path)
    family: edge                # edge-labelled cells, NB201-like (the default)
    nodes: 5                    # input, 3 intermediate nodes, output
    ops: [none, skip_connect, nor_conv_3x3]   # names from the op registry (narank.specs.ops)
    datasets: [cifar10]         # optional
    table: {file: labels.csv, arch_column: arch, label_column: accuracy}   # optional: its CSV of
                                # labels (relative to the spec) and how CSVs of it are read

    name: my-dags
    family: node                # node-labelled DAGs, NB101-like
    max_vertices: 5             # input and output included
    max_edges: 7
    ops: [conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3]   # vertex ops (any registered op but none)

Every problem is one error naming the file and the fix (unknown op, unknown key, a cell without
a possible input -> output path, more edges than the vertices allow, a family narank does not
know).
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
from narank.specs.node import NodeSpecSpace
from narank.specs.ops import OPS

COMMON_KEYS = {"name", "family", "ops", "datasets", "title", "table"}
FAMILY_KEYS = {"edge": {"nodes"}, "node": {"max_vertices", "max_edges"}}
KEYS = COMMON_KEYS | {k for keys in FAMILY_KEYS.values() for k in keys}
TABLE_KEYS = {"file", "arch_column", "label_column", "test_column"}
MAX_NODES = 12
MAX_VERTICES = 12


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


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _node_limits(path: str, data: dict[str, Any]) -> tuple[int, int]:
    """(max_vertices, max_edges) of a node spec, or the error that says how to fix them."""
    vertices = _int(data.get("max_vertices"))
    if vertices is None or not 3 <= vertices <= MAX_VERTICES:
        raise SpecError(f"{path}: 'max_vertices' must be an integer from 3 to {MAX_VERTICES} (input, at "
                        f"least one op vertex, output), got {data.get('max_vertices')!r}")
    edges = _int(data.get("max_edges"))
    possible = vertices * (vertices - 1) // 2
    if edges is None or edges < 2:
        raise SpecError(f"{path}: 'max_edges' must be an integer of at least 2 (input -> vertex -> output), "
                        f"got {data.get('max_edges')!r}")
    if edges > possible:
        raise SpecError(f"{path}: 'max_edges' {edges} is more than {vertices} vertices allow (a DAG of "
                        f"{vertices} vertices has at most {possible} edges); lower max_edges to {possible} "
                        "or raise max_vertices")
    return vertices, edges


@lru_cache(maxsize=32)
def _load(path: str, mtime: float) -> SearchSpace:
    spec_path = Path(path)
    data = _read(spec_path)
    family = data.get("family", "edge")
    if family not in FAMILY_KEYS:
        raise SpecError(f"{path}: family {family!r} is not supported; use 'edge' (NB201-like edge-labelled "
                        "cells: nodes, ops) or 'node' (NB101-like DAGs: max_vertices, max_edges, ops)")
    keys = COMMON_KEYS | FAMILY_KEYS[family]
    unknown = set(data) - keys
    if unknown:
        raise SpecError(f"{path}: unknown key(s) {sorted(unknown)} for family {family!r}; a {family} spec "
                        f"has {', '.join(sorted(keys))}")
    name = data.get("name") or spec_path.stem
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"{path}: 'name' must be a non-empty string")
    least = 2 if family == "edge" else 1
    ops = data.get("ops")
    if not isinstance(ops, list) or len(ops) < least or not all(isinstance(o, str) for o in ops):
        what = "two op names" if least == 2 else "one op name"
        raise SpecError(f"{path}: 'ops' must be a list of at least {what}")
    if len(set(ops)) != len(ops):
        raise SpecError(f"{path}: 'ops' names an op twice")
    for op in ops:
        try:
            OPS.get(op)
        except UnknownNameError as exc:
            raise SpecError(f"{path}: {exc}") from None
    if family == "edge":
        nodes = data.get("nodes")
        if isinstance(nodes, bool) or not isinstance(nodes, int) or not 2 <= nodes <= MAX_NODES:
            raise SpecError(f"{path}: 'nodes' must be an integer from 2 to {MAX_NODES} (input, intermediate "
                            f"nodes, output), got {nodes!r}")
        if all(OPS.get(op).kind == "none" for op in ops):
            raise SpecError(f"{path}: every op is 'none': no cell has a path from input to output")
    else:
        vertices, edges = _node_limits(path, data)
        nones = [op for op in ops if OPS.get(op).kind == "none"]
        if nones:
            raise SpecError(f"{path}: op {nones[0]!r} means no connection, which a vertex cannot be; remove "
                            "it from 'ops' (a node spec leaves edges out instead)")
    datasets = data.get("datasets", ["cifar10"])
    if not isinstance(datasets, list) or not datasets or not all(isinstance(d, str) for d in datasets):
        raise SpecError(f"{path}: 'datasets' must be a non-empty list of names")
    table = data.get("table") or {}
    if not isinstance(table, dict) or set(table) - TABLE_KEYS:
        raise SpecError(f"{path}: 'table' may hold {', '.join(sorted(TABLE_KEYS))}")
    space: EdgeSpecSpace | NodeSpecSpace
    if family == "edge":
        space = EdgeSpecSpace(name.strip(), nodes, ops, datasets, data.get("title", ""), spec_path.resolve(),
                              table)
    else:
        space = NodeSpecSpace(name.strip(), vertices, edges, ops, datasets, data.get("title", ""),
                              spec_path.resolve(), table)
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
