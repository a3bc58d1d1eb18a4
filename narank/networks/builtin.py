"""The built-in spaces' networks, registered in `narank.spaces.base.NETWORKS` under each space's name.

`SearchSpace.net_config`/`network` look them up there, so the spaces never import their networks.
The configurations are plain dicts (no torch); torch loads on the first network built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from narank.errors import NarankError
from narank.spaces import natsss, nb101, nb201
from narank.spaces.base import NETWORKS, NetworkBuilder, SearchSpace

if TYPE_CHECKING:  # pragma: no cover - typing only
    from torch import nn


def nb201_net_config(space: SearchSpace, cell: nb201.NB201Cell, dataset: str | None = None,
                     channels: int | None = None, cells: int | None = None,
                     num_classes: int | None = None) -> dict[str, Any]:
    """nas_201_api's `get_net_config`: {'name': 'infer.tiny', 'C', 'N', 'arch_str', 'num_classes'}."""
    return {"name": "infer.tiny", "C": channels or 16, "N": cells or 5, "arch_str": cell.arch_str,
            "num_classes": num_classes or nb201.NUM_CLASSES[space.dataset(dataset)]}


def nb201_network(space: SearchSpace, cell: nb201.NB201Cell, dataset: str | None = None,
                  channels: int | None = None, cells: int | None = None,
                  num_classes: int | None = None) -> nn.Module:
    """The NB201 network of `net_config`'s size."""
    from narank.networks.nb201 import build_nb201

    cfg = space.net_config(cell, dataset, channels=channels, cells=cells, num_classes=num_classes)
    return build_nb201(cell, channels=cfg["C"], cells_per_stage=cfg["N"], num_classes=cfg["num_classes"])


def nb101_net_config(space: SearchSpace, cell: nb101.NB101Cell, dataset: str | None = None,
                     channels: int | None = None, cells: int | None = None,
                     num_classes: int | None = None) -> dict[str, Any]:
    """The official network's settings: stem channels, cells per stack, classes, the cell."""
    space.dataset(dataset)
    return {"name": "nasbench101", "stem_channels": channels or nb101.STEM_CHANNELS,
            "cells_per_stack": cells or nb101.MODULES_PER_STACK, "num_stacks": nb101.NUM_STACKS,
            "num_classes": num_classes or nb101.NUM_CLASSES, **cell.to_dict()}


def nb101_network(space: SearchSpace, cell: nb101.NB101Cell, dataset: str | None = None,
                  channels: int | None = None, cells: int | None = None,
                  num_classes: int | None = None) -> nn.Module:
    """The NB101 network of `net_config`'s size."""
    from narank.networks.nb101 import build_nb101

    cfg = space.net_config(cell, dataset, channels=channels, cells=cells, num_classes=num_classes)
    return build_nb101(cell, cfg["stem_channels"], cfg["cells_per_stack"], cfg["num_classes"])


def natsss_net_config(space: SearchSpace, cell: natsss.NATSSSCell, dataset: str | None = None,
                      channels: natsss.Widths = None, cells: int | None = None,
                      num_classes: int | None = None) -> dict[str, Any]:
    """Like NATS-Bench's `get_net_config`: {'name': 'infer.shape.tiny', 'channels', 'genotype',
    'num_classes'}, plus 'N' (cells per stage; 1 in the benchmark)."""
    widths = natsss.scaled_widths(cell.channels, channels)
    n = 1 if cells is None else int(cells)
    if n < 1:
        raise NarankError(f"cells per stage must be >= 1, got {cells}")
    return {"name": "infer.shape.tiny", "channels": ":".join(map(str, widths)), "genotype": natsss.ARCH,
            "N": n, "num_classes": num_classes or natsss.NUM_CLASSES[space.dataset(dataset)]}


def natsss_network(space: SearchSpace, cell: natsss.NATSSSCell, dataset: str | None = None,
                   channels: natsss.Widths = None, cells: int | None = None,
                   num_classes: int | None = None) -> nn.Module:
    """The benchmark network (full widths, 1 cell per stage) unless shrunk by `channels`
    (an int: the width of a 64 position) or deepened by `cells` per stage."""
    from narank.networks.natsss import NATSSSNetwork

    cfg = space.net_config(cell, dataset, channels=channels, cells=cells, num_classes=num_classes)
    widths = [int(w) for w in cfg["channels"].split(":")]
    return NATSSSNetwork(natsss.OPS, widths, cfg["num_classes"], cfg["N"])


NETWORKS.register("nb201", NetworkBuilder(nb201_net_config, nb201_network))
NETWORKS.register("nb101", NetworkBuilder(nb101_net_config, nb101_network))
NETWORKS.register("natsss", NetworkBuilder(natsss_net_config, natsss_network))
