"""SED's node view of the built-in spaces, registered in `narank.spaces.base.SED_VIEWS` under each
space's name; `SearchSpace.sed_nodes` looks them up there, so the spaces never import SED."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from narank.proxies.sed import sed_natsss_nodes, sed_nb101_batch, sed_nb201_nodes
from narank.spaces.base import SED_VIEWS, SearchSpace
from narank.spaces.natsss import NATSSSCell, channels_matrix
from narank.spaces.nb101 import NB101Cell
from narank.spaces.nb201 import NB201Cell, ops_matrix


@SED_VIEWS.register("nb201")
def nb201_sed_nodes(space: SearchSpace, cells: Sequence[NB201Cell]) -> list[np.ndarray]:
    """Per-node SED of NB201 cells, vectorized over the op matrix."""
    return list(sed_nb201_nodes(ops_matrix(cells).astype(np.int64)))


@SED_VIEWS.register("nb101")
def nb101_sed_nodes(space: SearchSpace, cells: Sequence[NB101Cell]) -> list[np.ndarray]:
    """Per-node SED of NB101 cells, batched over their (matrix, ops) specs."""
    return sed_nb101_batch([(np.asarray(c.matrix), c.ops) for c in cells])


@SED_VIEWS.register("natsss")
def natsss_sed_nodes(space: SearchSpace, cells: Sequence[NATSSSCell]) -> list[np.ndarray]:
    """Per-node SED of the frozen design (`narank.proxies.sed.sed_natsss_nodes`)."""
    return list(sed_natsss_nodes(channels_matrix(cells)))
