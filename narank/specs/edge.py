"""Edge-labelled cell spaces from a spec (NB201-like): `nodes` nodes (input first, output last),
an op on every edge i -> j (i < j), ops from the op registry. Cells are written as NB201 arch
strings (`|op~0|+|op~0|op~1|+...`), which for 4 nodes and NB201's ops are NB201's own; the
isomorphism key, the graph view and SED follow NB201's rules for any number of nodes, so NB201
written as a spec gives NB201's classes, graphs and SED values."""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from narank.errors import InvalidCellError, NarankError
from narank.spaces.base import as_rng
from narank.spaces.interchange import edge_cell_to_networkx, edge_ops_from_networkx, is_networkx
from narank.specs.common import SpecSpaceBase
from narank.specs.ops import OPS, EdgeOp

NETWORK_WIDTHS = (16, 32, 64)  # the NB201 skeleton's stage widths (the network the spec trains)
RESOLUTIONS = (32, 16, 8)
FLOOR = -10.0
ENUMERATE_UP_TO = 200_000


@dataclass(frozen=True)
class SpecCell:
    """A cell of a spec space: its space's name and one op per edge, in the space's edge order."""

    space: str
    ops: tuple[str, ...]


class EdgeSpecSpace(SpecSpaceBase):
    def __init__(self, name: str, nodes: int, ops: Sequence[str], datasets: Sequence[str] = ("cifar10",),
                 title: str = "", source: str | Path | None = None,
                 table: dict[str, Any] | None = None) -> None:
        if nodes < 2:
            raise NarankError(f"a cell needs at least 2 nodes (input and output), got {nodes}")
        self.name, self.title = name, title or f"{name} (spec: {nodes} nodes, {len(ops)} ops)"
        self.nodes = nodes
        self.edges = tuple((i, j) for j in range(1, nodes) for i in range(j))
        self.op_names = tuple(ops)
        self.ops: dict[str, EdgeOp] = {op: OPS.get(op) for op in ops}
        kinds = [o.kind for o in self.ops.values()]
        self.none = next((o.name for o in self.ops.values() if o.kind == "none"), None)
        self.datasets = tuple(datasets)
        self.node_labels = ("input", "output", *dict.fromkeys([*(["none"] if self.none is None else []),
                                                                  *self.op_names]))
        self.max_nodes = len(self.edges) + 2
        self._spec(source, table)
        self.id_name = "arch"
        if kinds.count("none") > 1 or kinds.count("skip") > 1:
            raise NarankError(f"{name}: at most one op may mean none and one skip")

    # ------------------------------------------------------------------ cells
    def owns(self, cell: Any) -> bool:
        return isinstance(cell, SpecCell) and cell.space == self.name

    def arch(self, ops: Sequence[str]) -> str:
        groups, k = [], 0
        for j in range(1, self.nodes):
            groups.append("|" + "|".join(f"{ops[k + i]}~{i}" for i in range(j)) + "|")
            k += j
        return "+".join(groups)

    def parse(self, obj: Any) -> SpecCell:
        if self.owns(obj):
            return obj
        if is_networkx(obj):
            obj = edge_ops_from_networkx(obj, self.nodes, self.edges, self.op_names, self.none,
                                         f"{self.name} cell graph")
        if isinstance(obj, dict):
            if "arch" not in obj:
                raise InvalidCellError(f"a {self.name} cell dict needs an 'arch' key, got {sorted(obj)}")
            obj = obj["arch"]
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
            cells = self.enumerate()
            if cells is None or not 0 <= obj < len(cells):
                raise InvalidCellError(f"{self.name} has no cell number {obj}")
            return cells[int(obj)]
        if isinstance(obj, str):
            text = obj.strip()
            if not text.startswith("|"):
                raise InvalidCellError(f"{text!r} is not a {self.name} arch string like "
                                       "'|op~0|+|op~0|op~1|'")
            groups = text.split("+")
            ops = []
            for j, group in enumerate(groups, start=1):
                tokens = [t for t in group.split("|") if t]
                for i, token in enumerate(tokens):
                    op, _, src = token.partition("~")
                    if src != str(i):
                        raise InvalidCellError(f"{text!r}: node {j} input {i} is written {token!r}")
                    ops.append(op)
                if len(tokens) != j:
                    raise InvalidCellError(f"{text!r}: node {j} needs {j} inputs, got {len(tokens)}")
            obj = ops
        if not isinstance(obj, (list, tuple)):
            raise InvalidCellError(f"cannot read a {self.name} cell from {type(obj).__name__} {obj!r}")
        if len(obj) != len(self.edges):
            raise InvalidCellError(f"a {self.name} cell has {len(self.edges)} edges, got {len(obj)} ops")
        bad = [op for op in obj if op not in self.ops]
        if bad:
            raise InvalidCellError(f"unknown op(s) {bad} in a {self.name} cell; ops are "
                                   f"{', '.join(self.op_names)}")
        return SpecCell(self.name, tuple(obj))

    def canonical_id(self, cell: SpecCell) -> str:
        return self.arch(cell.ops)

    def to_networkx(self, cell: SpecCell) -> Any:
        """Nodes 0..N-1, an `op` on every edge i -> j."""
        return edge_cell_to_networkx(self.nodes, self.edges, cell.ops)

    def label(self, cell: SpecCell) -> str:
        return self.arch(cell.ops)

    def is_id(self, text: str) -> bool:
        try:
            return self.arch(self.parse(text).ops) == text
        except InvalidCellError:
            return False

    def iso_key(self, cell: SpecCell) -> Hashable:
        """NB201's unique string for any number of nodes: each node is the sorted '+'-join of its
        incoming terms ('#' for none or a dead input, the input for skip, '(input)@op' else)."""
        values, k = ["0"], 0
        for j in range(1, self.nodes):
            terms = []
            for i in range(j):
                op, inp = self.ops[cell.ops[k]], values[i]
                k += 1
                if op.kind == "none" or inp == "#":
                    terms.append("#")
                elif op.kind == "skip":
                    terms.append(inp)
                else:
                    terms.append(f"({inp})@{op.name}")
            values.append("+".join(sorted(terms)))
        return values[-1]

    def describe(self, cell: SpecCell) -> dict[str, Any]:
        return {"space": self.name, "id": self.canonical_id(cell), "arch": self.arch(cell.ops)}

    @property
    def size(self) -> int:
        return len(self.op_names) ** len(self.edges)

    @cached_property
    def _all(self) -> list[SpecCell] | None:
        if self.size > ENUMERATE_UP_TO:
            return None
        return [SpecCell(self.name, ops) for ops in itertools.product(self.op_names, repeat=len(self.edges))]

    def enumerate(self) -> Sequence[SpecCell] | None:
        return self._all

    def sample(self, n: int, rng: Any = None) -> list[SpecCell]:
        draws = as_rng(rng).integers(0, len(self.op_names), (n, len(self.edges)))
        return [SpecCell(self.name, tuple(self.op_names[i] for i in row)) for row in draws]

    def mutate(self, cell: SpecCell, rng: Any = None) -> SpecCell:
        gen = as_rng(rng)
        edge = int(gen.integers(len(self.edges)))
        choices = [op for op in self.op_names if op != cell.ops[edge]]
        ops = list(cell.ops)
        ops[edge] = choices[int(gen.integers(len(choices)))]
        return SpecCell(self.name, tuple(ops))

    def neighbours(self, cell: SpecCell, rng: Any = None) -> list[SpecCell]:
        return [SpecCell(self.name, (*cell.ops[:e], op, *cell.ops[e + 1:]))
                for e in range(len(self.edges)) for op in self.op_names if op != cell.ops[e]]

    # ------------------------------------------------------------------ graphs
    def live(self, cell: SpecCell) -> list[bool]:
        """Edges on an input -> output path of edges that are not `none`."""
        on = [self.ops[op].kind != "none" for op in cell.ops]
        reach = [True] + [False] * (self.nodes - 1)
        for k, (i, j) in enumerate(self.edges):
            reach[j] |= reach[i] and on[k]
        back = [False] * (self.nodes - 1) + [True]
        for k, (i, j) in reversed(list(enumerate(self.edges))):
            back[i] |= back[j] and on[k]
        return [on[k] and reach[i] and back[j] for k, (i, j) in enumerate(self.edges)]

    def structure(self, cell: SpecCell) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
        """Edge-ops become nodes (input, one node per edge, output); dead ops read `none`."""
        live = self.live(cell)
        none = self.none or "none"
        labels = ("input", *(op if ok else none for op, ok in zip(cell.ops, live)), "output")
        out_node, edges = len(self.edges) + 1, []
        for k, (i, j) in enumerate(self.edges):
            if not live[k]:
                continue
            if i == 0:
                edges.append((0, k + 1))
            edges += [(k + 1, k2 + 1) for k2, (i2, _) in enumerate(self.edges) if i2 == j and live[k2]]
            if j == self.nodes - 1:
                edges.append((k + 1, out_node))
        return labels, tuple(edges)

    # ------------------------------------------------------------------ capabilities
    def node_costs(self, cell: SpecCell, dataset: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(MFLOPs, M params) each live op node adds over the network's cells (5 per stage)."""
        labels = self.structure(cell)[0]
        flops, params = np.zeros(len(labels)), np.zeros(len(labels))
        for v, label in enumerate(labels[1:-1], start=1):
            op = self.ops.get(label)
            if op is None:
                continue
            params[v] = 5 * sum(op.params(c) for c in NETWORK_WIDTHS) / 1e6
            per_stage = (op.flops_per_pixel(c) * r * r for c, r in zip(NETWORK_WIDTHS, RESOLUTIONS))
            flops[v] = 5 * sum(per_stage) / 1e6
        return flops, params

    def params_M(self, cell: SpecCell, dataset: str | None = None) -> float:  # noqa: N802
        return float(self.node_costs(cell)[1].sum()) + 0.1  # + stem, reductions, classifier: a constant

    def flops_M(self, cell: SpecCell, dataset: str | None = None) -> float:  # noqa: N802
        return float(self.node_costs(cell)[0].sum()) + 10.0

    def sed_nodes(self, cells: Sequence[SpecCell]) -> list[np.ndarray]:
        """SED's frozen rule: each live op node carries its local entropy change 1/2 log g (mean
        over the network's stage widths); the output carries the sum over live ops plus 1/2 log m
        for every node summing m live inputs; dead ops and a cell without a path get FLOOR."""
        change = {}
        with np.errstate(divide="ignore"):
            for name, op in self.ops.items():
                change[name] = float(np.mean([0.5 * np.log(op.gain(c)) for c in NETWORK_WIDTHS]))
        out = []
        for cell in cells:
            live = self.live(cell)
            h = [change[op] if ok else FLOOR for op, ok in zip(cell.ops, live)]
            inputs = [sum(live[k] for k, (_, jj) in enumerate(self.edges) if jj == j)
                      for j in range(1, self.nodes)]
            total = sum(x for x, ok in zip(h, live) if ok) + sum(0.5 * np.log(max(m, 1)) for m in inputs)
            out.append(np.array([0.0, *h, total if any(live) else FLOOR]))
        return out

    def net_config(self, cell: SpecCell, dataset: str | None = None, **size: Any) -> dict[str, Any]:
        return {"space": self.name, "arch": self.arch(cell.ops), "C": size.get("channels") or 16,
                "N": size.get("cells") or 5, "num_classes": size.get("num_classes") or 10}

    def network(self, cell: SpecCell, dataset: str | None = None, channels: int | None = None,
                cells: int | None = None, num_classes: int | None = None) -> Any:
        from narank.specs.network import EdgeCellNetwork

        return EdgeCellNetwork(self, cell, channels or 16, cells or 5, num_classes or 10)
