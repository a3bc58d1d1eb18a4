"""SED's node view of the built-in spaces, registered in `narank.spaces.base.SED_VIEWS` under each
space's name; `SearchSpace.sed_nodes` looks them up there, so the spaces never import SED."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from narank.proxies.sed import (
    NB101_MAX_VERTICES,
    NB101_OPS,
    sed_natsss_nodes,
    sed_nb101_batch,
    sed_nb101_padded,
    sed_nb201_nodes,
)
from narank.spaces.base import DENSE_SED_VIEWS, SED_VIEWS, DenseCells, SearchSpace
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


@DENSE_SED_VIEWS.register("nb101")
def nb101_dense_sed(space: SearchSpace, dense: DenseCells) -> np.ndarray:
    """SED scores of a block of NB101 `DenseCells`: the output moves to the last padded vertex."""
    m, n = dense.labels.shape
    sizes = (dense.labels >= 0).sum(axis=1)
    last = NB101_MAX_VERTICES - 1
    # a permutation per cell: the output (size - 1) to the last slot, the padding after it one down
    v, out = np.arange(n)[None, :], sizes[:, None] - 1
    pos = np.where(v < out, v, np.where(v == out, last, v - 1))
    rows = np.arange(m)[:, None, None]
    adj = np.zeros((m, NB101_MAX_VERTICES, NB101_MAX_VERTICES), dtype=bool)
    adj[rows, pos[:, :, None], pos[:, None, :]] = dense.adj
    code = np.array([NB101_OPS.index(label) if label in NB101_OPS else len(NB101_OPS)
                     for label in space.node_labels])
    ops = np.full((m, NB101_MAX_VERTICES), len(NB101_OPS), dtype=np.int64)
    interior = dense.labels >= 0
    ops[np.nonzero(interior)[0], pos[interior]] = code[dense.labels[interior]]
    return sed_nb101_padded(adj, ops)[:, -1]
