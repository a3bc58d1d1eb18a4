"""The networks of spec spaces. Edge-labelled cells sit on NB201's skeleton: stem (C), N cells,
residual reduction (2C), N cells, reduction (4C), N cells, BN-ReLU, global pooling, a linear
classifier. Node-labelled cells sit on NB101's (`NodeCellNetwork`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn


class EdgeCell(nn.Module):
    """Node j sums op(node i) over the edges i -> j; the output is the last node."""

    def __init__(self, space: Any, ops: tuple[str, ...], channels: int) -> None:
        super().__init__()
        self.edges_ij = space.edges
        self.nodes = space.nodes
        self.edges = nn.ModuleList(space.ops[op].module(channels) for op in ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in range(1, self.nodes):
            nodes.append(sum(self.edges[e](nodes[i]) for e, (i, jj) in enumerate(self.edges_ij)
                             if jj == j))
        return nodes[-1]


class EdgeCellNetwork(nn.Module):
    def __init__(self, space: Any, cell: Any, channels: int = 16, cells_per_stage: int = 5,
                 num_classes: int = 10) -> None:
        super().__init__()
        from narank.networks.nb201 import ResidualReduction

        self.stem = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(channels))
        layers: list[nn.Module] = []
        c = channels
        for stage in range(3):
            if stage > 0:
                layers.append(ResidualReduction(c, 2 * c))
                c *= 2
            layers.extend(EdgeCell(space, cell.ops, c) for _ in range(cells_per_stage))
        self.cells = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.head(self.cells(self.stem(x)))).flatten(1))


class NodeCellNetwork(nn.Module):
    """NB101's skeleton around a node spec's cell: stem conv-BN-ReLU (C), 3 stacks of N cells with
    a 2x2 max-pool and channel doubling between stacks, global pooling, a linear classifier. The
    cell is NB101's, its vertex ops built from the spec's op registry."""

    def __init__(self, space: Any, cell: Any, channels: int = 128, cells_per_stack: int = 3,
                 num_classes: int = 10) -> None:
        super().__init__()
        from narank.networks.nb101 import ConvBNReLU, NB101Cell

        def make_op(name: str, width: int) -> nn.Module:
            return space.ops[name].module(width)

        self.stem = ConvBNReLU(3, channels, 3)
        layers: list[nn.Module] = []
        c_in = c_out = channels
        for stack in range(3):
            if stack > 0:
                layers.append(nn.MaxPool2d(2, stride=2))
                c_out *= 2
            for _ in range(cells_per_stack):
                layers.append(NB101Cell(np.asarray(cell.matrix), cell.ops, c_in, c_out, make_op))
                c_in = c_out
        self.cells = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_out, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.cells(self.stem(x))).flatten(1))
