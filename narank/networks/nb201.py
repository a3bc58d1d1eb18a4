"""The NAS-Bench-201 network in PyTorch: stem, 3 stages of N cells, residual reduction blocks."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from narank.errors import InvalidCellError
from narank.spaces.nb201 import NUM_CLASSES

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
DATASETS_ALL = tuple(NUM_CLASSES)


class ReLUConvBN(nn.Sequential):
    """ReLU, convolution without bias, batch norm."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )


class Zero(nn.Module):
    """The `none` op: an all-zero output of the input's shape."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


def make_op(name: str, channels: int) -> nn.Module:
    """One NB201 edge op at stride 1 with `channels` in and out."""
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise InvalidCellError(f"unknown NB201 op {name!r}; use one of {', '.join(OPS)}")


def cell_ops(cell: object) -> tuple:
    """The 6 edge ops of an NB201 cell, an arch string or a sequence; an edge may be a tuple of
    ops (a supernet edge that sums them)."""
    if isinstance(cell, str):
        if not cell.startswith("|"):
            raise InvalidCellError(
                f"{cell!r} is not an NB201 arch string like '|op~0|+|op~0|op~1|+...'"
            )
        ops = tuple(tok.split("~")[0] for tok in cell.replace("+", "").split("|") if tok)
    else:
        ops = tuple(getattr(cell, "ops", cell))  # type: ignore[arg-type]
    names = [op for edge in ops for op in ((edge,) if isinstance(edge, str) else edge)]
    if len(ops) != 6 or any(op not in OPS for op in names):
        raise InvalidCellError(f"an NB201 cell needs 6 ops from {OPS}, got {ops!r}")
    return ops


class MixedEdge(nn.Module):
    """A supernet edge: the mean of its active ops.

    This is a DARTS/TE-NAS supernet edge with equal architecture weights: softmax over the
    ops still alive gives each 1/k. `active` masks ops out without touching their weights,
    so a pruned supernet can share every weight with the unpruned one.
    """

    def __init__(self, names: Sequence[str], channels: int) -> None:
        super().__init__()
        self.names = tuple(names)
        self.ops = nn.ModuleList(make_op(name, channels) for name in names)
        self.active = [True] * len(self.names)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        alive = [op for op, on in zip(self.ops, self.active) if on]
        if not alive:
            return x.mul(0.0)
        return sum(op(x) for op in alive) / len(alive)


def set_active_ops(model: nn.Module, alive: Sequence[Sequence[str]]) -> None:
    """Mask every supernet cell of `model` so that edge e keeps only the ops in alive[e]."""
    for cell in model.modules():
        if isinstance(cell, NB201Cell):
            for edge, keep in zip(cell.edges, alive):
                if isinstance(edge, MixedEdge):
                    edge.active = [name in keep for name in edge.names]


class NB201Cell(nn.Module):
    """One cell: node j sums op(node i) over edges i -> j; the output is node 3."""

    def __init__(self, ops: Sequence[str | Sequence[str]], channels: int) -> None:
        super().__init__()
        self.ops = tuple(ops)
        self.edges = nn.ModuleList(
            make_op(op, channels) if isinstance(op, str) else MixedEdge(op, channels)
            for op in self.ops
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in (1, 2, 3):
            nodes.append(
                sum(self.edges[e](nodes[i]) for e, (i, jj) in enumerate(EDGES) if jj == j)
            )
        return nodes[3]


class ResidualReduction(nn.Module):
    """Residual block that halves the resolution and changes the width."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        self.shortcut = nn.Sequential(
            nn.AvgPool2d(2, stride=2), nn.Conv2d(c_in, c_out, 1, bias=False)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_b(self.conv_a(x)) + self.shortcut(x)


class NB201Network(nn.Module):
    """Stem (C), N cells, reduction (2C), N cells, reduction (4C), N cells, BN-ReLU, pool, dense."""

    def __init__(
        self, cell: object, channels: int = 16, cells_per_stage: int = 5, num_classes: int = 10
    ) -> None:
        super().__init__()
        ops = cell_ops(cell)
        self.stem = nn.Sequential(
            nn.Conv2d(3, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)
        )
        layers: list[nn.Module] = []
        c = channels
        for stage in range(3):
            if stage > 0:
                layers.append(ResidualReduction(c, 2 * c))
                c *= 2
            layers.extend(NB201Cell(ops, c) for _ in range(cells_per_stage))
        self.cells = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(self.cells(self.stem(x)))
        return self.classifier(self.pool(x).flatten(1))


def build_nb201(
    cell: object,
    dataset: str = "cifar10",
    channels: int = 16,
    cells_per_stage: int = 5,
    num_classes: int | None = None,
) -> NB201Network:
    """The NB201 network for `cell`; full size by default, classes from `dataset` unless given."""
    if num_classes is None:
        if dataset not in NUM_CLASSES:
            raise InvalidCellError(
                f"unknown NB201 dataset {dataset!r}; use one of {', '.join(NUM_CLASSES)}"
            )
        num_classes = NUM_CLASSES[dataset]
    return NB201Network(cell, channels, cells_per_stage, num_classes)


class ThinCellNetwork(nn.Module):
    """TE-NAS's thin network for counting linear regions: one cell applied straight to the
    input (no stem, no reductions), then BN-ReLU, global pooling and a dense layer."""

    def __init__(self, cell: object, channels: int = 1, num_classes: int = 10) -> None:
        super().__init__()
        self.cell = NB201Cell(cell_ops(cell), channels)
        self.head = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(self.cell(x))
        return self.classifier(self.pool(x).flatten(1))


def count_params(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
