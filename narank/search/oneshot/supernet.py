"""NB201 supernets for gradient-based one-shot search: plain DARTS edges or TopoNAS-simplified edges.

Both are built from narank's own NB201 ops (`narank.proxies.networks_nb201`) with the same stem,
reductions, head, width, depth and op set, so that any difference in cost comes from the edges alone.
A plain edge runs every candidate op and sums them weighted (DARTS). A simplified edge merges the
two convolutions into one path and the three parameter-free ops (skip, avg-pool, none) into another
(see `SimplifiedEdge`): two paths instead of five.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from narank.errors import NarankError
from narank.proxies.networks_nb201 import NB201Network, ResidualReduction, make_op
from narank.spaces import get_space
from narank.spaces.nb201 import EDGES, OPS

SPACE = get_space("nb201")
CONV1, CONV3 = OPS.index("nor_conv_1x1"), OPS.index("nor_conv_3x3")
SKIP, POOL, NONE = OPS.index("skip_connect"), OPS.index("avg_pool_3x3"), OPS.index("none")
MERGED = (CONV1, CONV3)
TINY = 1e-12


class PlainEdge(nn.Module):
    """DARTS mixed op: sum_j w_j op_j(x) over all candidates; with one-hot weights only the chosen op runs."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.ops = nn.ModuleList(make_op(name, channels) for name in OPS)

    def forward(self, x: torch.Tensor, w: torch.Tensor, hard: bool = False) -> torch.Tensor:
        if hard:  # GDAS: run the sampled op; the other weights (value 0) still pass gradients to alpha
            idx = int(w.detach().argmax())
            return w[idx] * self.ops[idx](x) + (w.sum() - w[idx])
        return sum(w[j] * op(x) for j, op in enumerate(self.ops))


def normalize_kernel(weight: torch.Tensor) -> torch.Tensor:
    """Kernel normalization: each output filter scaled to unit L2 norm, so its scale cannot win the mix."""
    norm = weight.flatten(1).norm(dim=1).clamp_min(1e-8)
    return weight / norm.view(-1, 1, 1, 1)


@functools.lru_cache(maxsize=32)
def _inverse_counts_of(h: int, w: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    ones = torch.ones(1, 1, h, w, dtype=dtype, device=device)
    return 1.0 / F.conv2d(ones, torch.ones(1, 1, 3, 3, dtype=dtype, device=device), padding=1)


def _inverse_counts(size: tuple[int, int], like: torch.Tensor) -> torch.Tensor:
    """1 / (number of in-image pixels under a 3x3 window) per position, shape [1, 1, H, W];
    a constant per input size, computed once rather than on every edge of every step."""
    return _inverse_counts_of(int(size[0]), int(size[1]), like.dtype, like.device)


class SimplifiedEdge(nn.Module):
    """TopoNAS edge: two merged paths instead of five parallel ops.

    Convolutions: the 1x1 and 3x3 convs share one ReLU, one 3x3 convolution and one BN. The merged
    kernel is K = w_3x3 N(W3) + w_1x1 pad(N(W1)) (N = kernel normalization, pad puts the 1x1 kernel
    at the centre of a 3x3 one); the path outputs s * BN(conv(ReLU(x), K / s)) with s = w_1x1 + w_3x3
    (s folded into BN's scale and shift), so one-hot weights give exactly the plain op (and 0 when
    neither conv is chosen).
    Parameter-free ops: skip, avg-pool and none are linear in x, so they merge the same way into one
    depthwise 3x3 kernel w_pool * ones (none is the zero kernel) plus w_skip * x; avg-pool's border
    division (count_include_pad=False) is a constant map applied after the convolution. The weights
    sit inside the kernel, so no per-op output is kept for backward.
    """

    def __init__(self, channels: int, kernel_norm: bool = True) -> None:
        super().__init__()
        self.kernel_norm = kernel_norm
        conv1 = nn.Conv2d(channels, channels, 1, bias=False)
        conv3 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.w1, self.w3 = conv1.weight, conv3.weight  # PyTorch's default conv initialisation
        self.bn = nn.BatchNorm2d(channels)
        self.register_buffer("box", torch.ones(channels, 1, 3, 3), persistent=False)

    def kernels(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The (normalised, if on) 1x1 and 3x3 candidate kernels: the weights the derived cell gets."""
        if self.kernel_norm:
            return normalize_kernel(self.w1), normalize_kernel(self.w3)
        return self.w1, self.w3

    def merged(self, x: torch.Tensor, w1: torch.Tensor, w3: torch.Tensor) -> torch.Tensor:
        """The shared ReLU -> merged 3x3 conv -> shared BN path, scaled by the conv weights' sum."""
        k1, k3 = self.kernels()
        s = w1 + w3
        kernel = (w3 * k3 + w1 * F.pad(k1, (1, 1, 1, 1))) / s.clamp_min(TINY)
        z = F.conv2d(F.relu(x), kernel, padding=1)
        bn = self.bn  # s folded into BN's affine: s * BN(z) without keeping BN(z) for the s gradient
        if bn.training:
            bn.num_batches_tracked.add_(1)
        return F.batch_norm(z, bn.running_mean, bn.running_var, s * bn.weight, s * bn.bias,
                            bn.training, bn.momentum, bn.eps)

    def pooled(self, x: torch.Tensor, w_pool: torch.Tensor) -> torch.Tensor:
        """w_pool * avg_pool_3x3(x) as a depthwise convolution with the weight inside the kernel."""
        out = F.conv2d(x, w_pool * self.box, padding=1, groups=x.shape[1])
        return out * _inverse_counts(x.shape[-2:], x)

    def parameter_free(self, x: torch.Tensor, w_skip: torch.Tensor, w_pool: torch.Tensor) -> torch.Tensor:
        """w_skip * x + w_pool * avg_pool_3x3(x) + w_none * 0: one merged path."""
        return self.pooled(x, w_pool) + w_skip * x

    def forward(self, x: torch.Tensor, w: torch.Tensor, hard: bool = False) -> torch.Tensor:
        if hard:  # GDAS: run the sampled op; the other weights (value 0) still pass gradients to alpha
            idx = int(w.detach().argmax())
            rest = w.sum() - w[idx]
            if idx in MERGED:  # both conv weights enter the merged path
                return self.merged(x, w[CONV1], w[CONV3]) + (rest - w[CONV1 + CONV3 - idx])
            if idx == SKIP:
                return w[SKIP] * x + rest
            if idx == POOL:
                return self.pooled(x, w[POOL]) + rest
            return w[NONE] * torch.zeros_like(x) + rest
        return self.merged(x, w[CONV1], w[CONV3]) + self.parameter_free(x, w[SKIP], w[POOL])


class SearchCell(nn.Module):
    """An NB201 cell whose 6 edges are supernet edges, mixed by per-edge weights [6, len(OPS)]."""

    def __init__(self, channels: int, topo: bool, kernel_norm: bool = True) -> None:
        super().__init__()
        self.edges = nn.ModuleList(
            SimplifiedEdge(channels, kernel_norm) if topo else PlainEdge(channels) for _ in EDGES
        )

    def forward(self, x: torch.Tensor, weights: torch.Tensor, hard: bool = False) -> torch.Tensor:
        nodes = [x]
        for j in (1, 2, 3):
            nodes.append(sum(self.edges[e](nodes[i], weights[e], hard)
                             for e, (i, jj) in enumerate(EDGES) if jj == j))
        return nodes[3]


class Supernet(nn.Module):
    """The NB201 search network (stem, 3 stages of N cells, residual reductions, head) with alpha [6, 5].

    Module names follow `NB201Network`, so `derive_network` can hand the weights of one cell over.
    """

    def __init__(self, channels: int = 16, cells_per_stage: int = 5, num_classes: int = 10,
                 topo: bool = False, kernel_norm: bool = True) -> None:
        super().__init__()
        if channels < 1 or cells_per_stage < 1 or num_classes < 2:
            raise NarankError(f"supernet needs channels >= 1, cells >= 1 and >= 2 classes; got C={channels}, "
                              f"N={cells_per_stage}, classes={num_classes}")
        self.topo, self.kernel_norm = topo, kernel_norm
        self.config = {"channels": channels, "cells_per_stage": cells_per_stage,
                       "num_classes": num_classes, "topo": topo, "kernel_norm": kernel_norm}
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
        layers: list[nn.Module] = []
        c = channels
        for stage in range(3):
            if stage > 0:
                layers.append(ResidualReduction(c, 2 * c))
                c *= 2
            layers.extend(SearchCell(c, topo, kernel_norm) for _ in range(cells_per_stage))
        self.cells = nn.ModuleList(layers)
        self.head = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=False))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c, num_classes)
        self.alpha = nn.Parameter(1e-3 * torch.randn(len(EDGES), len(OPS)))

    def weight_parameters(self) -> list[nn.Parameter]:
        """Network weights (everything but alpha)."""
        return [p for name, p in self.named_parameters() if name != "alpha"]

    def forward(self, x: torch.Tensor, weights: torch.Tensor | None = None,
                hard: bool = False) -> torch.Tensor:
        """Logits with edge weights `weights` [6, 5] (default softmax(alpha)); `hard`: one-hot weights."""
        if weights is None:
            weights = torch.softmax(self.alpha, dim=-1)
        x = self.stem(x)
        for layer in self.cells:
            x = layer(x, weights, hard) if isinstance(layer, SearchCell) else layer(x)
        return self.classifier(self.pool(self.head(x)).flatten(1))

    def derive(self):
        """The derived NB201 cell: argmax alpha per edge (none included, as NB201's DARTS does)."""
        ids = self.alpha.detach().argmax(dim=-1).tolist()
        return SPACE.parse([OPS[i] for i in ids])

    def one_hot(self, cell) -> torch.Tensor:
        """Edge weights [6, 5] selecting `cell`'s op on every edge."""
        cell = SPACE.parse(cell)
        w = torch.zeros(len(EDGES), len(OPS))
        w[torch.arange(len(EDGES)), torch.tensor([OPS.index(op) for op in cell.ops])] = 1.0
        return w

    @torch.no_grad()
    def derive_network(self, cell=None) -> NB201Network:
        """narank's plain NB201 network of `cell` (default: the derived one) with this supernet's weights."""
        cell = self.derive() if cell is None else SPACE.parse(cell)
        cfg = self.config
        net = NB201Network(cell, cfg["channels"], cfg["cells_per_stage"], cfg["num_classes"])
        state = {k: v for k, v in self.state_dict().items() if k != "alpha" and ".edges." not in k}
        for k, layer in enumerate(self.cells):
            if not isinstance(layer, SearchCell):
                continue
            for e, (edge, op) in enumerate(zip(layer.edges, cell.ops)):
                j, prefix = OPS.index(op), f"cells.{k}.edges.{e}."
                if isinstance(edge, PlainEdge):
                    sub = edge.ops[j].state_dict()
                elif j in MERGED:
                    k1, k3 = edge.kernels()
                    sub = {"1.weight": (k1 if j == CONV1 else k3).detach().clone()}
                    sub.update({f"2.{n}": v for n, v in edge.bn.state_dict().items()})
                else:
                    sub = {}  # parameter-free op
                state.update({prefix + n: v for n, v in sub.items()})
        net.load_state_dict(state)
        return net


def entropy(alpha: torch.Tensor) -> list[float]:
    """Entropy of softmax(alpha) per edge over log(#ops): 1 = uniform (has not searched), 0 = one-hot."""
    p = torch.softmax(alpha.detach().double(), dim=-1)
    h = -(p * p.clamp_min(1e-300).log()).sum(-1) / math.log(p.shape[-1])
    return [float(v) for v in h]


def is_collapsed(cell) -> dict[str, bool]:
    """Collapse flags of a derived cell: all skip, or no parameters (no conv op feeding the output)."""
    cell = SPACE.parse(cell)
    base = SPACE.params_M(SPACE.parse(["none"] * len(EDGES)))
    all_skip = all(op == "skip_connect" for op in cell.ops)
    param_free = SPACE.params_M(cell) <= base + 1e-9 or not any(
        label in ("nor_conv_1x1", "nor_conv_3x3") for label in SPACE.structure(cell)[0])
    return {"all_skip": all_skip, "parameter_free": param_free, "collapsed": all_skip or param_free}


def alpha_table(alpha: torch.Tensor) -> list[dict[str, float]]:
    """softmax(alpha) per edge as {op: weight}, EDGES order."""
    p = torch.softmax(alpha.detach(), dim=-1)
    return [{op: round(float(p[e, j]), 4) for j, op in enumerate(OPS)} for e in range(len(EDGES))]


def count(model: nn.Module) -> int:
    """Number of network weights (alpha excluded)."""
    return sum(p.numel() for n, p in model.named_parameters() if n != "alpha")


__all__: Sequence[str] = ("Supernet", "PlainEdge", "SimplifiedEdge", "SearchCell", "normalize_kernel",
                          "entropy", "is_collapsed", "alpha_table")
