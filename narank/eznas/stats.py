"""EZNAS statistics: per-block tensors of a network at initialization, from three forward/backward passes.

A *block* is a conv block of the network (NB201/NATS-SSS ReLU-Conv-BN, NB101 Conv-BN-ReLU): an
`nn.Sequential` holding a Conv2d, a BatchNorm2d and a ReLU. For every block we keep 22 tensors:

- `w`: the conv weight [Cout, Cin, k, k];
- for each pass p in (`data`, `noise`, `mixed` = data + noise), 7 tensors:
  `a_in_p` (block input, the ReLU input in ReLU-Conv-BN), `a_mid_p` (conv output, the BN input),
  `a_out_p` (block output), the loss gradients at those three points `g_in_p`, `g_mid_p`, `g_out_p`,
  and the weight gradient `gw_p`.

Memory stays bounded: each tensor is stored as float16 divided by its largest absolute value
(kept as a float32 scale, so tiny gradients do not underflow), as soon as its pass ends; a network
at C=8, one cell per stage, 8x8 inputs and batch 8 holds about 1 MB.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from narank.threads import torch_rng

PASSES = ("data", "noise", "mixed")
GAUSSIAN = "gaussian"  # the explicit no-data option: the `data` pass then sees Gaussian noise
POINTS = ("in", "mid", "out")
TENSORS = (
    ("w",)
    + tuple(f"{kind}_{point}_{p}" for p in PASSES for kind in ("a", "g") for point in POINTS)
    + tuple(f"gw_{p}" for p in PASSES)
)
# Which shape family each tensor belongs to: the block's input side, its output side, or the weight.
KIND = {
    name: ("w" if name.startswith(("w", "gw")) else "in" if "_in_" in name else "out") for name in TENSORS
}


@dataclass(frozen=True)
class StatsSettings:
    """How the networks are built and fed: width, cells per stage, batch, image source and size."""

    channels: int = 8
    cells: int = 1
    batch: int = 8
    resolution: int = 8
    images: str = "digits"
    noise: float = 1.0
    seed: int = 0

    def key(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Packed:
    """One tensor as float16 values / scale (scale = max |x|, float32)."""

    values: np.ndarray
    scale: float

    @classmethod
    def pack(cls, x: np.ndarray) -> Packed:
        x = np.asarray(x, dtype=np.float32)
        scale = float(np.max(np.abs(x))) if x.size else 0.0
        if not math.isfinite(scale) or scale == 0.0:
            return cls(x.astype(np.float16), 1.0 if scale == 0.0 else scale)
        return cls((x / scale).astype(np.float16), scale)

    def unpack(self) -> np.ndarray:
        return self.values.astype(np.float32) * np.float32(self.scale)

    @property
    def nbytes(self) -> int:
        return int(self.values.nbytes) + 8


@dataclass
class NetworkStats:
    """The statistic tensors of one network: a list of blocks, each a dict name -> Packed."""

    blocks: list[dict[str, Packed]]
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for b in self.blocks for p in b.values())

    def block_arrays(self) -> Iterator[dict[str, np.ndarray]]:
        """Each block as a lazy mapping name -> float32 array."""
        for block in self.blocks:
            yield LazyBlock(block)


class LazyBlock(dict):
    """name -> float32 array, unpacked on first access (programs read only a few tensors)."""

    def __init__(self, block: dict[str, Packed]) -> None:
        super().__init__()
        self._packed = block

    def __missing__(self, name: str) -> np.ndarray:
        value = self._packed[name].unpack()
        self[name] = value
        return value

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self._packed[name].values.shape)


def conv_blocks(model: Any) -> list[Any]:
    """The conv blocks of a network, in module order: Sequentials of a Conv2d, a BatchNorm2d and a ReLU."""
    from torch import nn

    found = []
    for module in model.modules():
        if isinstance(module, nn.Sequential):
            kids = list(module.children())
            if all(any(isinstance(k, t) for k in kids) for t in (nn.Conv2d, nn.BatchNorm2d, nn.ReLU)):
                found.append(module)
    return found


def input_batch(settings: StatsSettings) -> tuple[Any, Any, Any]:
    """(images, labels, noise) tensors: real images from `settings.images` (or, when it is the explicit
    option "gaussian", seeded Gaussian noise with labels 0, 1, 2, ...), and seeded Gaussian noise."""
    import torch

    from narank.images import load_images

    gen = torch.Generator().manual_seed(settings.seed + 7919)
    shape = (settings.batch, 3, settings.resolution, settings.resolution)
    if settings.images == GAUSSIAN:
        x = torch.randn(shape, generator=torch.Generator().manual_seed(settings.seed))
        y = torch.arange(settings.batch)
    else:
        images, labels = load_images(settings.images, settings.batch, settings.resolution, settings.seed)
        x, y = torch.from_numpy(images), torch.from_numpy(labels)
    noise = torch.randn(shape, generator=gen) * settings.noise
    return x, y, noise


def build_network(cell: Any, settings: StatsSettings, num_classes: int = 10) -> Any:
    """The cell's network at the settings' size, seeded initialization (torch default init); the
    caller's global torch RNG state is left as it was."""

    from narank.spaces import space_of

    with torch_rng(settings.seed):
        return space_of(cell).network(
            cell, channels=settings.channels, cells=settings.cells, num_classes=num_classes
        )


def collect_stats(
    cell: Any,
    settings: StatsSettings = StatsSettings(),
    num_classes: int = 10,
    batch: tuple[Any, Any, Any] | None = None,
    model: Any = None,
) -> NetworkStats:
    """The 22 tensors of every conv block of `cell`'s network (or `model`), from the three passes.

    BN is in train mode (batch statistics), the loss is cross-entropy against the images' labels
    (the same labels for the noise passes). Each pass's tensors are packed as soon as it ends.
    """
    import torch
    import torch.nn.functional as F

    from narank.proxies.ntk import single_thread

    start = time.perf_counter()
    with single_thread(), torch_rng():
        net = model if model is not None else build_network(cell, settings, num_classes)
        x, y, noise = batch if batch is not None else input_batch(settings)
        y = y % num_classes
        blocks = conv_blocks(net)
        convs = [next(k for k in b.children() if isinstance(k, torch.nn.Conv2d)) for b in blocks]
        out: list[dict[str, Packed]] = [{"w": Packed.pack(c.weight.detach().numpy())} for c in convs]
        net.train()
        for p_name, inputs in zip(PASSES, (x, noise, x + noise)):
            saved: list[dict[str, torch.Tensor]] = [{} for _ in blocks]
            hooks = []
            for i, (block, conv) in enumerate(zip(blocks, convs)):
                hooks.append(block.register_forward_hook(_keep_block(saved[i])))
                hooks.append(conv.register_forward_hook(_keep_mid(saved[i])))
            try:
                net.zero_grad(set_to_none=True)
                loss = F.cross_entropy(net(inputs.clone().requires_grad_(True)), y)
                tensors = [t for s in saved for t in (s["in"], s["mid"], s["out"])]
                grads = torch.autograd.grad(loss, tensors + [c.weight for c in convs], allow_unused=True)
            finally:
                for h in hooks:
                    h.remove()
            act_grads, weight_grads = grads[: len(tensors)], grads[len(tensors) :]
            for i, conv in enumerate(convs):
                for j, point in enumerate(POINTS):
                    act = saved[i][point]
                    grad = act_grads[3 * i + j]
                    out[i][f"a_{point}_{p_name}"] = Packed.pack(act.detach().numpy())
                    out[i][f"g_{point}_{p_name}"] = Packed.pack(
                        np.zeros(act.shape, np.float32) if grad is None else grad.numpy()
                    )
                gw = weight_grads[i]
                out[i][f"gw_{p_name}"] = Packed.pack(
                    np.zeros(conv.weight.shape, np.float32) if gw is None else gw.numpy()
                )
            del saved, tensors, grads
    return NetworkStats(out, time.perf_counter() - start, {"blocks": len(out)})


def _keep_block(store: dict[str, Any]):
    def hook(_module: Any, args: tuple, output: Any) -> None:
        store["in"] = args[0]
        store["out"] = output

    return hook


def _keep_mid(store: dict[str, Any]):
    def hook(_module: Any, _args: tuple, output: Any) -> None:
        store["mid"] = output

    return hook


def random_like(stats: NetworkStats, seed: int) -> NetworkStats:
    """The control: every tensor replaced by standard-normal noise of the same shape (seeded)."""
    rng = np.random.default_rng(seed)
    blocks = [
        {
            name: Packed.pack(rng.standard_normal(p.values.shape).astype(np.float32))
            for name, p in block.items()
        }
        for block in stats.blocks
    ]
    return NetworkStats(blocks, 0.0, {"control": True, **stats.info})
