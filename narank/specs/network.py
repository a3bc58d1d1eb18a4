"""The network of a spec space's cell, on NB201's skeleton: stem (C), N cells, residual reduction
(2C), N cells, reduction (4C), N cells, BN-ReLU, global pooling, a linear classifier."""

from __future__ import annotations

from typing import Any

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
