"""The op registry of spec spaces: what an op name means for the network (a module at stride 1),
for SED (its entropy-power gain on a unit-variance input) and for costs (params and MFLOPs per
pixel). Edge-labelled specs put them on edges, node-labelled ones on vertices (any op but
`none`). Another package adds ops through the entry-point group "narank.ops" (a module whose
`@edge_op` calls register them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from narank.registry import Registry

RELU_GAIN = 0.5  # second moment of ReLU of a zero-mean Gaussian (as narank.proxies.sed)


@dataclass(frozen=True)
class EdgeOp:
    """`kind` is "none" (no connection), "skip" (identity) or "op"; `module(channels)` builds it."""

    name: str
    kind: str
    module: Callable[[int], Any]
    gain: Callable[[int], float]
    params: Callable[[int], float] = lambda c: 0.0
    flops_per_pixel: Callable[[int], float] = lambda c: 0.0


OPS: Registry[EdgeOp] = Registry("op", "narank.ops", ("narank.specs.ops",))


def edge_op(name: str, kind: str, module: Callable[[int], Any], gain: Callable[[int], float],
            params: Callable[[int], float] = lambda c: 0.0,
            flops_per_pixel: Callable[[int], float] = lambda c: 0.0) -> EdgeOp:
    """Register an op under `name` (the name is also its graph node label)."""
    op = EdgeOp(name, kind, module, gain, params, flops_per_pixel)
    OPS.register(name, op)
    return op


def _conv(kernel: int) -> Callable[[int], Any]:
    def build(c: int) -> Any:
        from narank.networks.nb201 import ReLUConvBN

        return ReLUConvBN(c, c, kernel)

    return build


def _conv_bn_relu(kernel: int) -> Callable[[int], Any]:
    def build(c: int) -> Any:
        from narank.networks.nb101 import ConvBNReLU

        return ConvBNReLU(c, c, kernel)

    return build


def _zero(c: int) -> Any:
    from narank.networks.nb201 import Zero

    return Zero()


def _identity(c: int) -> Any:
    from torch import nn

    return nn.Identity()


def _avg_pool(c: int) -> Any:
    from torch import nn

    return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)


def _max_pool(c: int) -> Any:
    from torch import nn

    return nn.MaxPool2d(3, stride=1, padding=1)


edge_op("none", "none", _zero, lambda c: 0.0)
edge_op("skip_connect", "skip", _identity, lambda c: 1.0)
for _k in (1, 3):
    edge_op(f"nor_conv_{_k}x{_k}", "op", _conv(_k), lambda c, k=_k: RELU_GAIN * k * k * c,
            lambda c, k=_k: k * k * c * c + 2 * c, lambda c, k=_k: k * k * c * c)
edge_op("avg_pool_3x3", "op", _avg_pool, lambda c: 1.0 / 9.0, flops_per_pixel=lambda c: 9 * c)
# the 3x3 max-pool of a unit Gaussian: the variance of the maximum of 9 normals
edge_op("maxpool3x3", "op", _max_pool, lambda c: 0.3573533263578139, flops_per_pixel=lambda c: 9 * c)
# NB101's vertex ops (conv-BN-ReLU; FLOPs count a multiply-add as 2, as NB101's costs do)
for _k in (1, 3):
    edge_op(f"conv{_k}x{_k}-bn-relu", "op", _conv_bn_relu(_k), lambda c, k=_k: RELU_GAIN * k * k * c,
            lambda c, k=_k: k * k * c * c + 2 * c, lambda c, k=_k: 2 * k * k * c * c)
