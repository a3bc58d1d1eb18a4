"""A search space from outside narank, as a user would write one (one module, no edit inside narank).

NB201-style cells with 3 intermediate nodes (5 nodes, 10 edges) and 3 ops; 3**10 = 59,049 cells.
It answers the core contract, offers costs, networks, SED's node view and a table read from any
user CSV, and adds one proxy of its own (`tiny-depth`). It reaches narank only through its public
plug-in points: the entry points in `narank_tiny_space-0.1.dist-info` (as `pip install` of a
package with `[project.entry-points."narank.spaces"]` would write) make narank find it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from narank.benchmarks.user_table import read_user_csv
from narank.errors import InvalidCellError
from narank.proxies.registry import proxy
from narank.spaces import SearchSpace, TableColumns

OPS = ("none", "skip_connect", "nor_conv_1x1")
NODES = 5
EDGES = tuple((i, j) for j in range(1, NODES) for i in range(j))  # (0,1),(0,2),(1,2),(0,3),...
CHANNELS = 16


@dataclass(frozen=True)
class TinyCell:
    ops: tuple[str, ...]

    @property
    def arch(self) -> str:
        return "|".join(self.ops)


def _live(ops: tuple[str, ...]) -> list[bool]:
    """Edges on an input -> output path of non-`none` edges (the others compute nothing)."""
    on = [op != "none" for op in ops]
    reach = [True] + [False] * (NODES - 1)
    for k, (i, j) in enumerate(EDGES):
        reach[j] |= reach[i] and on[k]
    back = [False] * (NODES - 1) + [True]
    for k, (i, j) in reversed(list(enumerate(EDGES))):
        back[i] |= back[j] and on[k]
    return [on[k] and reach[i] and back[j] for k, (i, j) in enumerate(EDGES)]


class TinySpace(SearchSpace):
    name = "tiny"
    title = "Tiny NB201-style space (3 intermediate nodes, 3 ops)"
    datasets = ("digits",)
    node_labels = ("input", "output", *OPS)
    max_nodes = len(EDGES) + 2
    train_sizes = (50, 100)
    default_train_size = 100
    table_files = ("tiny/tiny.csv",)
    canonical_table = "tiny/tiny.csv"
    id_name = "arch"
    #: a user's CSV of labels for this space (made by make_tiny_csv.py), for the contract suite
    example_table = Path(__file__).with_name("tiny.csv")

    # -------------------------------------------------------------- the core contract
    def owns(self, cell: Any) -> bool:
        return isinstance(cell, TinyCell)

    def parse(self, obj: Any) -> TinyCell:
        if isinstance(obj, TinyCell):
            return obj
        if isinstance(obj, dict):
            if "arch" not in obj:
                raise InvalidCellError(f"a tiny cell dict needs an 'arch' key, got {sorted(obj)}")
            obj = obj["arch"]
        if isinstance(obj, str):
            obj = tuple(obj.strip().split("|"))
        if not isinstance(obj, (tuple, list)) or len(obj) != len(EDGES):
            raise InvalidCellError(f"a tiny cell is {len(EDGES)} ops joined by '|', got {obj!r}")
        bad = [op for op in obj if op not in OPS]
        if bad:
            raise InvalidCellError(f"unknown op(s) {bad} in a tiny cell; ops are {', '.join(OPS)}")
        return TinyCell(tuple(obj))

    def canonical_id(self, cell: TinyCell) -> str:
        return cell.arch

    def is_id(self, text: str) -> bool:
        try:
            self.parse(text)
        except InvalidCellError:
            return False
        return True

    def iso_key(self, cell: TinyCell) -> str:
        return "|".join(op if ok else "none" for op, ok in zip(cell.ops, _live(cell.ops)))

    def describe(self, cell: TinyCell) -> dict[str, Any]:
        return {"space": self.name, "id": cell.arch, "arch": cell.arch}

    @property
    def size(self) -> int:
        return len(OPS) ** len(EDGES)

    def sample(self, n: int, rng: Any = None) -> list[TinyCell]:
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        return [TinyCell(tuple(OPS[i] for i in row)) for row in gen.integers(0, len(OPS), (n, len(EDGES)))]

    def mutate(self, cell: TinyCell, rng: Any = None) -> TinyCell:
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        edge = int(gen.integers(len(EDGES)))
        choices = [op for op in OPS if op != cell.ops[edge]]
        ops = list(cell.ops)
        ops[edge] = choices[int(gen.integers(len(choices)))]
        return TinyCell(tuple(ops))

    def neighbours(self, cell: TinyCell, rng: Any = None) -> list[TinyCell]:
        return [TinyCell((*cell.ops[:e], op, *cell.ops[e + 1:]))
                for e, op in itertools.product(range(len(EDGES)), OPS) if op != cell.ops[e]]

    def structure(self, cell: TinyCell) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
        """Edge-ops become nodes (input, 10 op nodes, output), as NB201's graphs do."""
        live = _live(cell.ops)
        labels = ("input", *(op if ok else "none" for op, ok in zip(cell.ops, live)), "output")
        edges = []
        for k, (i, j) in enumerate(EDGES):
            if not live[k]:
                continue
            if i == 0:
                edges.append((0, k + 1))
            edges += [(k + 1, k2 + 1) for k2, (i2, _) in enumerate(EDGES) if i2 == j and live[k2]]
            if j == NODES - 1:
                edges.append((k + 1, len(EDGES) + 1))
        return labels, tuple(edges)

    # -------------------------------------------------------------- capabilities
    def node_costs(self, cell: TinyCell, dataset: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        labels = self.structure(cell)[0]
        params = np.array([CHANNELS * CHANNELS / 1e6 if op == "nor_conv_1x1" else 0.0 for op in labels])
        return params * 64.0, params  # one conv at 8x8 pixels: 64 multiply-adds per weight

    def params_M(self, cell: TinyCell, dataset: str | None = None) -> float:  # noqa: N802
        return float(self.node_costs(cell)[1].sum()) + 0.01  # + stem and classifier

    def flops_M(self, cell: TinyCell, dataset: str | None = None) -> float:  # noqa: N802
        return float(self.node_costs(cell)[0].sum()) + 0.5

    def sed_nodes(self, cells: list[TinyCell]) -> list[np.ndarray]:
        """SED's path rule: v_0 = 1, v_j = sum of gain x v_i over live edges i -> j; a node's value
        is the entropy 0.5 log(power) its edge delivers (-10 for none)."""
        gain = {"none": 0.0, "skip_connect": 1.0, "nor_conv_1x1": 0.5 * CHANNELS}
        out = []
        for cell in cells:
            live = _live(cell.ops)
            v, edge_v = [1.0] + [0.0] * (NODES - 1), []
            for k, (i, j) in enumerate(EDGES):
                power = v[i] * gain[cell.ops[k]] if live[k] else 0.0
                edge_v.append(power)
                v[j] += power
            h = [0.5 * np.log(p) if p > 0 else -10.0 for p in [1.0, *edge_v, v[-1]]]
            out.append(np.array(h))
        return out

    def net_config(self, cell: TinyCell, dataset: str | None = None, **size: Any) -> dict[str, Any]:
        return {"arch": cell.arch, "channels": size.get("channels") or CHANNELS,
                "num_classes": size.get("num_classes") or 10}

    def network(self, cell: TinyCell, dataset: str | None = None, channels: int | None = None,
                cells: int | None = None, num_classes: int | None = None):
        return build_network(cell, channels or CHANNELS, cells or 1, num_classes or 10)

    def columns(self, dataset: str | None = None, target: str = "valid") -> TableColumns:
        self.dataset(dataset)
        return TableColumns("accuracy", "accuracy", "params_M", None)

    def read_table(self, file: Any):
        return read_user_csv(self, file, arch_column="arch", label_columns=("accuracy",),
                             costs=True)

    def table_cells(self, metrics) -> list[TinyCell]:
        return [self.parse(i) for i in metrics.index]


def build_network(cell: TinyCell, channels: int, cells: int, num_classes: int):
    """Stem, `cells` tiny cells, global pooling, a linear classifier (ReLU-conv-BN ops)."""
    import torch
    from torch import nn

    def op(name: str) -> nn.Module:
        if name == "nor_conv_1x1":
            return nn.Sequential(nn.ReLU(), nn.Conv2d(channels, channels, 1, bias=False),
                                 nn.BatchNorm2d(channels))
        return nn.Identity()

    class Cell(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ops = nn.ModuleList(op(name) for name in cell.ops)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            nodes = [x]
            for j in range(1, NODES):
                terms = [self.ops[k](nodes[i]) for k, (i, jj) in enumerate(EDGES)
                         if jj == j and cell.ops[k] != "none"]
                nodes.append(sum(terms) if terms else torch.zeros_like(x))
            return nodes[-1]

    return nn.Sequential(nn.Conv2d(3, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
                         *[Cell() for _ in range(cells)], nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(channels, num_classes))


@proxy("tiny-depth", help="longest chain of live conv edges (a proxy from outside narank)")
def depth(cell: Any) -> float:
    ops = getattr(cell, "ops", None)
    if ops is None:
        return float("nan")
    live, longest = _live(ops), [0] * NODES
    for k, (i, j) in enumerate(EDGES):
        if live[k]:
            longest[j] = max(longest[j], longest[i] + (ops[k] == "nor_conv_1x1"))
    return float(longest[-1])
