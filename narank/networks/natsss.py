"""The NATS-Bench size-space (NATS-SSS) network in PyTorch, built from narank's NB201 ops.

Layout (N cells per stage, N = 1 in the benchmark), for widths c0..c4:
stem 3x3 conv (c0) + BN; cell c0->c0; residual reduction c0->c1; cell c1->c2; residual
reduction c2->c3; cell c3->c4; BN-ReLU, global pooling, dense. A cell whose input width a
differs from its output width b runs its edges out of node 0 as a->b (a `skip_connect` there
becomes a 1x1 conv + BN projection, no ReLU) and every other edge as b->b.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from narank.errors import InvalidCellError
from narank.networks.nb201 import EDGES, ReLUConvBN, ResidualReduction, Zero


def _projection(c_in: int, c_out: int) -> nn.Module:
    """A 1x1 conv + BN that changes the width at stride 1 (what skip_connect becomes)."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))


def sized_op(name: str, c_in: int, c_out: int) -> nn.Module:
    """One NB201 edge op at stride 1 from `c_in` to `c_out` channels."""
    if name == "none":
        return Zero() if c_in == c_out else _ZeroTo(c_out)
    if name == "skip_connect":
        return nn.Identity() if c_in == c_out else _projection(c_in, c_out)
    if name == "nor_conv_1x1":
        return ReLUConvBN(c_in, c_out, 1)
    if name == "nor_conv_3x3":
        return ReLUConvBN(c_in, c_out, 3)
    if name == "avg_pool_3x3":
        pool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        return pool if c_in == c_out else nn.Sequential(ReLUConvBN(c_in, c_out, 1), pool)
    raise InvalidCellError(f"unknown NB201 op {name!r} in a NATS-SSS cell")


class _ZeroTo(nn.Module):
    """The `none` op between different widths: zeros with `channels` channels."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros((x.shape[0], self.channels, *x.shape[2:]))


class SizedCell(nn.Module):
    """An NB201 cell from `c_in` to `c_out` channels: node j sums op(node i) over edges i->j."""

    def __init__(self, ops: Sequence[str], c_in: int, c_out: int) -> None:
        super().__init__()
        self.ops = tuple(ops)
        self.edges = nn.ModuleList(
            sized_op(op, c_in if src == 0 else c_out, c_out)
            for op, (src, _) in zip(self.ops, EDGES, strict=True)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in (1, 2, 3):
            nodes.append(sum(self.edges[e](nodes[i]) for e, (i, jj) in enumerate(EDGES) if jj == j))
        return nodes[3]


class NATSSSNetwork(nn.Module):
    """The size-space network for 5 widths; `cells_per_stage` > 1 repeats each stage's cell."""

    def __init__(self, ops: Sequence[str], widths: Sequence[int], num_classes: int,
                 cells_per_stage: int = 1) -> None:
        super().__init__()
        c0, c1, c2, c3, c4 = (int(w) for w in widths)
        self.widths = (c0, c1, c2, c3, c4)
        self.stem = nn.Sequential(nn.Conv2d(3, c0, 3, padding=1, bias=False), nn.BatchNorm2d(c0))
        layers: list[nn.Module] = []
        for stage, (c_in, c_out) in enumerate(((c0, c0), (c1, c2), (c3, c4))):
            if stage == 1:
                layers.append(ResidualReduction(c0, c1))
            elif stage == 2:
                layers.append(ResidualReduction(c2, c3))
            layers.append(SizedCell(ops, c_in, c_out))
            layers.extend(SizedCell(ops, c_out, c_out) for _ in range(cells_per_stage - 1))
        self.cells = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.BatchNorm2d(c4), nn.ReLU(inplace=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c4, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(self.cells(self.stem(x)))
        return self.classifier(self.pool(x).flatten(1))
