"""The NAS-Bench-101 network in PyTorch: stem, 3 stacks of 3 cells, max-pool + channel doubling."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from narank.errors import InvalidCellError

OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")


class ConvBNReLU(nn.Sequential):
    """Convolution without bias, batch norm, ReLU (the NB101 conv and projection block)."""

    def __init__(self, c_in: int, c_out: int, kernel: int) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=False),
        )


def _op(name: str, channels: int) -> nn.Module:
    if name == "conv3x3-bn-relu":
        return ConvBNReLU(channels, channels, 3)
    if name == "conv1x1-bn-relu":
        return ConvBNReLU(channels, channels, 1)
    if name == "maxpool3x3":
        return nn.MaxPool2d(3, stride=1, padding=1)
    raise InvalidCellError(f"unknown NB101 op {name!r}; use one of {', '.join(OPS)}")


def cell_spec(cell: object) -> tuple[np.ndarray, tuple[str, ...]]:
    """(matrix, ops) of an NB101 cell, or of anything the NB101 space's parser reads."""
    from narank.spaces import get_space

    parsed = get_space("nb101").parse(cell)
    return np.asarray(parsed.matrix, dtype=int), parsed.ops


class NB101Cell(nn.Module):
    """One cell: vertices sum (truncated) predecessors and a 1x1 projection of the input; the
    output concatenates the vertices feeding it, plus a projection of the input if connected.
    `make_op(name, channels)` builds a vertex's op (NB101's three by default; spec spaces pass
    their op registry's)."""

    def __init__(self, matrix: np.ndarray, ops: Sequence[str], c_in: int, c_out: int,
                 make_op: Callable[[str, int], nn.Module] = _op) -> None:
        super().__init__()
        from narank.spaces.nb101 import vertex_channels

        self.matrix = np.asarray(matrix, dtype=int)
        n = self.matrix.shape[0]
        self.channels = [int(c) for c in vertex_channels(c_in, c_out, self.matrix)]
        self.proj = nn.ModuleDict()
        self.vertex_ops = nn.ModuleDict()
        for t in range(1, n - 1):
            if self.matrix[0, t]:
                self.proj[str(t)] = ConvBNReLU(c_in, self.channels[t], 1)
            self.vertex_ops[str(t)] = make_op(ops[t], self.channels[t])
        if self.matrix[0, n - 1]:
            self.proj[str(n - 1)] = ConvBNReLU(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m, n = self.matrix, self.matrix.shape[0]
        tensors = [x]
        concat = []
        for t in range(1, n - 1):
            c = self.channels[t]
            inputs = [tensors[s][:, :c] for s in range(1, t) if m[s, t]]
            if m[0, t]:
                inputs.append(self.proj[str(t)](x))
            tensors.append(self.vertex_ops[str(t)](sum(inputs)))
            if m[t, n - 1]:
                concat.append(tensors[t])
        if not concat:
            return self.proj[str(n - 1)](x)
        out = torch.cat(concat, dim=1) if len(concat) > 1 else concat[0]
        if m[0, n - 1]:
            out = out + self.proj[str(n - 1)](x)
        return out


class NB101Network(nn.Module):
    """Stem conv (C), 3 stacks of N cells, max-pool and channel doubling between, pool, dense."""

    def __init__(
        self,
        cell: object,
        channels: int = 128,
        cells_per_stack: int = 3,
        num_stacks: int = 3,
        num_classes: int = 10,
    ) -> None:
        super().__init__()
        matrix, ops = cell_spec(cell)
        self.stem = ConvBNReLU(3, channels, 3)
        layers: list[nn.Module] = []
        c_in = c_out = channels
        for stack in range(num_stacks):
            if stack > 0:
                layers.append(nn.MaxPool2d(2, stride=2))
                c_out *= 2
            for _ in range(cells_per_stack):
                layers.append(NB101Cell(matrix, ops, c_in, c_out))
                c_in = c_out
        self.cells = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_out, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.cells(self.stem(x))).flatten(1))


def build_nb101(
    cell: object, channels: int = 128, cells_per_stack: int = 3, num_classes: int = 10
) -> NB101Network:
    """The NB101 network for `cell` (an NB101Cell or (adjacency, ops)); full size by default."""
    return NB101Network(cell, channels, cells_per_stack, 3, num_classes)
