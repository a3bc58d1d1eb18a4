"""Node-labelled cell spaces from a spec (NB101-like): DAGs of at most `max_vertices` vertices
and `max_edges` edges, an op from the op registry on every vertex between the input and the
output. Cells are kept pruned (every vertex on an input -> output path) and identified by NB101's
module hash, with the ops numbered in the spec's order: NB101 written as a spec (its three ops
in NB101's order, 7 vertices, 9 edges) gives NB101's hashes, sampling, costs and SED. The
network is NB101's skeleton (stem, 3 stacks of cells, max-pool and channel doubling between
them) with NB101's cell: a vertex sums its (truncated) inputs and a 1x1 projection of the cell
input, the output concatenates the vertices that feed it.

A cell is written (`label`, CSV tables, `{arch}`) as compact JSON:
`{"adjacency":[[0,1],[0,0]],"ops":["input","output"]}`."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from narank.errors import InvalidCellError, NarankError
from narank.spaces.base import as_rng
from narank.spaces.interchange import is_networkx, node_cell_from_networkx, node_cell_to_networkx
from narank.spaces.nb101 import (
    MODULES_PER_STACK,
    NUM_CLASSES,
    STEM_CHANNELS,
    _as_matrix,
    _check_dag,
    module_plan,
    neighbours,
    network_base_costs,
    prune,
    vertex_channels,
    wl_hash,
)
from narank.specs.common import SpecSpaceBase
from narank.specs.ops import OPS, RELU_GAIN, EdgeOp

INPUT, OUTPUT = "input", "output"
ENUMERATE_UP_TO = 200_000  # raw (matrix, ops) specs walked to list a space
MAX_TRIES = 10_000
_HASH_RE = re.compile(r"^[0-9a-f]{32}$")

Matrix = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class NodeCell:
    """A pruned, valid cell of a node spec space: its space's name, the upper-triangular 0/1
    matrix and one op per vertex (`input` first, `output` last); `hash` is its canonical id."""

    space: str
    matrix: Matrix
    ops: tuple[str, ...]
    hash: str = field(compare=False, repr=False)

    @property
    def num_edges(self) -> int:
        return sum(map(sum, self.matrix))

    def to_dict(self) -> dict[str, list]:
        return {"adjacency": [list(row) for row in self.matrix], "ops": list(self.ops)}


def _json(value: Any, what: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidCellError(f"{what} is not valid JSON ({exc}): {value!r}") from None
    return value


class NodeSpecSpace(SpecSpaceBase):
    def __init__(self, name: str, max_vertices: int, max_edges: int, ops: Sequence[str],
                 datasets: Sequence[str] = ("cifar10",), title: str = "",
                 source: str | Path | None = None, table: dict[str, Any] | None = None) -> None:
        if max_vertices < 3 or not 2 <= max_edges <= max_vertices * (max_vertices - 1) // 2:
            raise NarankError(f"{name}: a node space needs max_vertices >= 3 and 2 <= max_edges <= "
                              f"max_vertices * (max_vertices - 1) / 2, got {max_vertices} and {max_edges}")
        self.name = name
        self.title = title or (f"{name} (spec: at most {max_vertices} vertices, {max_edges} edges, "
                               f"{len(ops)} ops)")
        self.max_vertices, self.max_edges = max_vertices, max_edges
        self.op_names = tuple(ops)
        self.ops: dict[str, EdgeOp] = {op: OPS.get(op) for op in ops}
        if any(o.kind == "none" for o in self.ops.values()):
            raise NarankError(f"{name}: a vertex cannot be 'none'; leave that op out of a node space")
        self.datasets = tuple(datasets)
        self.node_labels = (INPUT, OUTPUT, *self.op_names)
        self.max_nodes = max_vertices
        self.id_name = "hash"
        self._spec(source, table)
        possible = max_vertices * (max_vertices - 1) // 2
        # edge density of random matrices: NB101's fair coin unless that makes too many edges
        self.edge_p = min(0.5, 1.2 * max_edges / possible)

    # ------------------------------------------------------------------ cells
    def owns(self, cell: Any) -> bool:
        return isinstance(cell, NodeCell) and cell.space == self.name

    def _labels(self, ops: Sequence[str]) -> list[int]:
        """NB101's integer labels: -1 input, the op's index in the spec's op list, -2 output."""
        return [-1, *(self.op_names.index(op) for op in ops[1:-1]), -2]

    def _trusted(self, matrix: Matrix, ops: tuple[str, ...]) -> NodeCell:
        return NodeCell(self.name, matrix, ops, wl_hash(*neighbours(matrix), self._labels(ops)))

    def cell(self, adjacency: Any, ops: Any) -> NodeCell:
        """A cell from a raw (adjacency, ops) pair: checked, pruned, then held to the size limits."""
        arr = _as_matrix(adjacency)
        if isinstance(ops, str) or not isinstance(ops, (Sequence, np.ndarray)):
            raise InvalidCellError(f"ops must be a list of op names ('input', ..., 'output'), got {ops!r}")
        ops_t = tuple(str(op) for op in ops)
        if len(ops_t) != arr.shape[0]:
            raise InvalidCellError(f"ops has {len(ops_t)} entries but the adjacency matrix has "
                                   f"{arr.shape[0]} vertices; give one op per vertex, 'input' first and "
                                   "'output' last")
        if ops_t[0] != INPUT or ops_t[-1] != OUTPUT:
            raise InvalidCellError(f"ops must start with 'input' and end with 'output', got {ops_t[0]!r} ... "
                                   f"{ops_t[-1]!r}")
        bad = [op for op in ops_t[1:-1] if op not in self.ops]
        if bad:
            raise InvalidCellError(f"unknown op(s) {bad} in a {self.name} cell; ops are "
                                   f"{', '.join(self.op_names)}")
        _check_dag(arr)
        arr, ops_t = prune(arr, ops_t)
        n, e = arr.shape[0], int(arr.sum())
        if n > self.max_vertices:
            raise InvalidCellError(f"too many vertices: {n} after pruning, the {self.name} limit is "
                                   f"{self.max_vertices}")
        if e > self.max_edges:
            raise InvalidCellError(f"too many edges: {e} after pruning, the {self.name} limit is "
                                   f"{self.max_edges}")
        return self._trusted(tuple(tuple(int(x) for x in row) for row in arr.tolist()), ops_t)

    def parse(self, obj: Any) -> NodeCell:
        if self.owns(obj):
            return obj
        if is_networkx(obj):
            return self.cell(*node_cell_from_networkx(obj, f"{self.name} cell graph"))
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
            cells = self.enumerate()
            if cells is None or not 0 <= obj < len(cells):
                raise InvalidCellError(f"{self.name} has no cell number {obj}")
            return cells[int(obj)]
        if isinstance(obj, str):
            text = obj.strip()
            if _HASH_RE.match(text):
                if self._by_hash is None or text not in self._by_hash:
                    raise InvalidCellError(f"{text!r}: a {self.name} hash alone does not say the cell; give "
                                           '{"adjacency": [[...]], "ops": ["input", ..., "output"]}')
                return self._by_hash[text]
            if not text.startswith(("{", "[")):
                raise InvalidCellError(f"{text!r} is not a {self.name} cell; write it as JSON "
                                       '{"adjacency": [[...]], "ops": ["input", ..., "output"]}')
            obj = _json(text, f"a {self.name} cell")
        if isinstance(obj, dict):
            adjacency = obj.get("adjacency", obj.get("matrix", obj.get("module_adjacency")))
            ops = obj.get("ops", obj.get("module_operations"))
            if adjacency is None or ops is None:
                raise InvalidCellError(f"a {self.name} cell dict needs 'adjacency' and 'ops' keys, got "
                                       f"{sorted(obj)}")
            return self.cell(_json(adjacency, "adjacency"), _json(ops, "ops"))
        if isinstance(obj, (list, tuple)) and len(obj) == 2:
            return self.cell(_json(obj[0], "adjacency"), _json(obj[1], "ops"))
        raise InvalidCellError(f"cannot read a {self.name} cell from {obj!r}: give {{\"adjacency\": [[...]], "
                               "\"ops\": [\"input\", ..., \"output\"]} or an (adjacency, ops) pair")

    def canonical_id(self, cell: NodeCell) -> str:
        return cell.hash

    def iso_key(self, cell: NodeCell) -> Hashable:
        return cell.hash

    def is_id(self, text: str) -> bool:
        return bool(_HASH_RE.match(text))

    def label(self, cell: NodeCell) -> str:
        return json.dumps(cell.to_dict(), separators=(",", ":"))

    def describe(self, cell: NodeCell) -> dict[str, Any]:
        return {"space": self.name, "id": cell.hash, "hash": cell.hash, **cell.to_dict(),
                "num_vertices": len(cell.ops), "num_edges": cell.num_edges}

    def to_networkx(self, cell: NodeCell) -> Any:
        """Vertices 0..n-1 carrying `op` (input first, output last), edges of the pruned matrix."""
        return node_cell_to_networkx(cell.matrix, cell.ops)

    # ------------------------------------------------------------------ the space
    @cached_property
    def _all(self) -> list[NodeCell] | None:
        """Every cell once (first matrix of each hash), when the raw specs are few enough to walk."""
        v, k = self.max_vertices, len(self.op_names)
        slots = [(i, j) for i in range(v) for j in range(i + 1, v)]
        if 2 ** len(slots) * k ** (v - 2) > ENUMERATE_UP_TO:
            return None
        shapes: dict[Matrix, None] = {}
        placeholder = (INPUT, *[self.op_names[0]] * (v - 2), OUTPUT)
        for bits in itertools.product((0, 1), repeat=len(slots)):
            arr = np.zeros((v, v), dtype=np.int8)
            for (i, j), b in zip(slots, bits):
                arr[i, j] = b
            try:
                cell = self.cell(arr, placeholder)
            except InvalidCellError:
                continue
            shapes.setdefault(cell.matrix)
        cells: dict[str, NodeCell] = {}
        for matrix in shapes:
            for inner in itertools.product(self.op_names, repeat=len(matrix) - 2):
                cell = self._trusted(matrix, (INPUT, *inner, OUTPUT))
                cells.setdefault(cell.hash, cell)
        return list(cells.values())

    @cached_property
    def _by_hash(self) -> dict[str, NodeCell] | None:
        cells = self._all
        return None if cells is None else {c.hash: c for c in cells}

    def enumerate(self) -> Sequence[NodeCell] | None:
        return self._all

    @property
    def size(self) -> int | None:
        cells = self._all
        return None if cells is None else len(cells)

    def _random_cell(self, gen: np.random.Generator) -> NodeCell:
        """Drawn like NB101's generator: a random upper-triangular matrix and ops, pruned, retried."""
        v, k = self.max_vertices, len(self.op_names)
        for _ in range(MAX_TRIES):
            if self.edge_p == 0.5:
                matrix = np.triu(gen.integers(0, 2, size=(v, v)), 1)
            else:
                matrix = np.triu(gen.random((v, v)) < self.edge_p, 1).astype(np.int8)
            inner = [self.op_names[i] for i in gen.integers(0, k, size=v - 2)]
            try:
                return self.cell(matrix, [INPUT, *inner, OUTPUT])
            except InvalidCellError:
                continue
        raise InvalidCellError(f"no valid {self.name} cell drawn in {MAX_TRIES} tries")

    def sample(self, n: int, rng: Any = None) -> list[NodeCell]:
        gen = as_rng(rng)
        return [self._random_cell(gen) for _ in range(n)]

    def _edits(self, cell: NodeCell) -> list[tuple[np.ndarray, list[str]]]:
        """Every single-edit spec of a cell: one edge flipped, or one vertex's op changed."""
        n, base = len(cell.ops), np.array(cell.matrix, dtype=np.int8)
        specs = []
        for i in range(n):
            for j in range(i + 1, n):
                m = base.copy()
                m[i, j] ^= 1
                specs.append((m, list(cell.ops)))
        for v in range(1, n - 1):
            specs += [(base, [*cell.ops[:v], op, *cell.ops[v + 1:]])
                      for op in self.op_names if op != cell.ops[v]]
        return specs

    def _grown(self, cell: NodeCell) -> list[NodeCell]:
        """Where no single edit is valid: the 3-vertex cells (input -> v -> output) and the lone edge."""
        out = [self.cell([[0, 1], [0, 0]], [INPUT, OUTPUT])]
        for op in self.op_names:
            for direct in (1, 0):
                try:
                    out.append(self.cell([[0, 1, direct], [0, 0, 1], [0, 0, 0]], [INPUT, op, OUTPUT]))
                except InvalidCellError:
                    pass
        return [c for c in out if c.hash != cell.hash]

    def _valid_edits(self, cell: NodeCell, specs: Sequence[tuple[np.ndarray, list[str]]]
                     ) -> Iterator[NodeCell]:
        """The valid cells among `specs` whose hash differs from `cell`'s, in that order."""
        for spec in specs:
            try:
                child = self.cell(*spec)
            except InvalidCellError:
                continue
            if child.hash != cell.hash:
                yield child

    def mutate(self, cell: NodeCell, rng: Any = None) -> NodeCell:
        """A random valid cell one edge flip or one op change away with a different hash (NB101's
        rule); a cell without one grows into (or shrinks to) a 3-vertex cell instead."""
        gen = as_rng(rng)
        specs = self._edits(cell)
        child = next(self._valid_edits(cell, [specs[k] for k in gen.permutation(len(specs)).tolist()]), None)
        if child is not None:
            return child
        grown = self._grown(cell)
        return grown[int(gen.integers(len(grown)))]

    def neighbours(self, cell: NodeCell, rng: Any = None) -> list[NodeCell]:
        """Every valid single-edit neighbour, one per hash (a few dozen at most)."""
        found: dict[str, NodeCell] = {}
        for child in self._valid_edits(cell, self._edits(cell)):
            found.setdefault(child.hash, child)
        return list(found.values()) or self._grown(cell)

    # ------------------------------------------------------------------ graphs
    def structure(self, cell: NodeCell) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
        src, dst = np.nonzero(np.asarray(cell.matrix))
        return tuple(cell.ops), tuple(zip(src.tolist(), dst.tolist()))

    # ------------------------------------------------------------------ costs (NB101's network)
    def _slot_costs(self, cell: NodeCell, c_in: int, c_out: int, hw: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-vertex (params, FLOPs) of one cell slot, counted as NB101 counts them: a vertex owns
        its 1x1 input projection and its op, one add per element for each extra summand."""
        m, n = cell.matrix, len(cell.ops)
        out = n - 1
        ch = vertex_channels(c_in, c_out, m)
        params, flops = np.zeros(n), np.zeros(n)
        for t in range(1, out):
            c, inputs = ch[t], sum(m[s][t] for s in range(1, t))
            if m[0][t]:
                params[t] += c_in * c + 2 * c
                flops[t] += 2 * c_in * c * hw
                inputs += 1
            op = self.ops[cell.ops[t]]
            params[t] += op.params(c)
            flops[t] += (inputs - 1) * c * hw + op.flops_per_pixel(c) * hw
        if m[0][out]:
            params[out] += c_in * c_out + 2 * c_out
            flops[out] += 2 * c_in * c_out * hw + (c_out * hw if any(m[t][out] for t in range(1, out)) else 0)
        return params, flops

    def node_costs(self, cell: NodeCell, dataset: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(MFLOPs, M params) of each vertex summed over the network's 9 cells (any dataset)."""
        params, flops = np.zeros(len(cell.ops)), np.zeros(len(cell.ops))
        for c_in, c_out, hw in module_plan():
            p, f = self._slot_costs(cell, c_in, c_out, hw)
            params, flops = params + p, flops + f
        return flops / 1e6, params / 1e6

    def params_M(self, cell: NodeCell, dataset: str | None = None) -> float:  # noqa: N802
        """The cells + stem and classifier, in millions (NB101's count)."""
        return float(self.node_costs(cell, dataset)[1].sum()) + network_base_costs()[0] / 1e6

    def flops_M(self, cell: NodeCell, dataset: str | None = None) -> float:  # noqa: N802
        """The cells + stem, pools and classifier, in millions (NB101's count)."""
        return float(self.node_costs(cell, dataset)[0].sum()) + network_base_costs()[1] / 1e6

    def cell_features(self, cells: Sequence[NodeCell], dataset: str | None = None) -> dict[str, np.ndarray]:
        """flops_M, params_M, num_vertices and the count of each op (`op:<name>`)."""
        out = super().cell_features(cells, dataset)
        out["num_vertices"] = np.array([len(c.ops) for c in cells], dtype=float)
        for op in self.op_names:
            out[f"op:{op}"] = np.array([c.ops.count(op) for c in cells], dtype=float)
        return out

    # ------------------------------------------------------------------ SED
    def sed_nodes(self, cells: Sequence[NodeCell]) -> list[np.ndarray]:
        """SED's frozen rule for NB101, with each op's gain from the op registry: a vertex carries
        1/2 log g of its op (at the cell's width), 1/2 log(C_in / 2) when the input's projection
        feeds it and 1/2 log m for m summed inputs; the output the sum over the vertices, its own
        projection and merge; the mean over the network's 9 cell slots."""
        slots = [(c_in, c_out) for c_in, c_out, _ in module_plan()]
        out = []
        for cell in cells:
            m, n = np.asarray(cell.matrix), len(cell.ops)
            last = n - 1
            values = np.zeros((len(slots), n))
            for s, (c_in, c_out) in enumerate(slots):
                proj = 0.5 * np.log(RELU_GAIN * c_in)
                for t in range(1, last):
                    values[s, t] = (0.5 * np.log(self.ops[cell.ops[t]].gain(c_out)) + m[0, t] * proj
                                    + 0.5 * np.log(max(int(m[:, t].sum()), 1)))
                merge = int(m[1:last, last].any()) + int(m[0, last])
                values[s, last] = values[s, 1:last].sum() + m[0, last] * proj + 0.5 * np.log(merge)
            out.append(values.mean(axis=0))
        return out

    # ------------------------------------------------------------------ networks
    def net_config(self, cell: NodeCell, dataset: str | None = None, **size: Any) -> dict[str, Any]:
        return {"space": self.name, **cell.to_dict(), "stem_channels": size.get("channels") or STEM_CHANNELS,
                "cells_per_stack": size.get("cells") or MODULES_PER_STACK,
                "num_classes": size.get("num_classes") or NUM_CLASSES}

    def network(self, cell: NodeCell, dataset: str | None = None, channels: int | None = None,
                cells: int | None = None, num_classes: int | None = None) -> Any:
        from narank.specs.network import NodeCellNetwork

        return NodeCellNetwork(self, cell, channels or STEM_CHANNELS, cells or MODULES_PER_STACK,
                               num_classes or NUM_CLASSES)
