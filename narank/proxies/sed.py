"""SED: a data-free, running-free score from topology alone (entropy-power propagation).

Each node of a cell carries the entropy power v (the variance of the Gaussian that its local
patch sums up) relative to the cell input; an op multiplies it by a gain derived from the
Gaussian model, and a node summing independent paths adds their entropy powers. The score
of a node is its local entropy change h = 1/2 log v. See docs/sed.md for the derivation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NB201_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
NB101_OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")

# Entropy of a dead node (no path from the input): a finite floor so features stay usable.
FLOOR = -10.0
# ReLU keeps half the second moment of a zero-mean Gaussian: E[relu(x)^2] = sigma^2 / 2.
RELU_GAIN = 0.5
# Variance of the maximum of 9 i.i.d. standard normals (3x3 max-pool of a Gaussian patch).
MAX9_VAR = 0.3573533263578139


def conv_gain(kernel: int, channels: int) -> float:
    """Entropy-power gain of ReLU-conv: k*k*C independent half-power Gaussian terms summed."""
    return RELU_GAIN * kernel * kernel * channels


def nb201_gains(channels: int = 16) -> np.ndarray:
    """Gain of each NB201 op (OPS order): none 0, skip 1, convs k^2 C / 2, avg-pool 1/9."""
    return np.array([0.0, 1.0, conv_gain(1, channels), conv_gain(3, channels), 1.0 / 9.0])


def _entropy(v: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        h = 0.5 * np.log(v)
    return np.where(v > 0, h, FLOOR)


def nb201_op_ids(cells: Iterable[object]) -> np.ndarray:
    """(n, 6) op indices of NB201 cells (cells, or anything the NB201 space's strict parser reads)."""
    from narank.spaces import get_space

    space = get_space("nb201")
    return np.asarray([space.parse(c).op_ids for c in cells], dtype=np.int64).reshape(-1, 6)


def sed_nb201_nodes(op_ids: np.ndarray, channels: int = 16) -> np.ndarray:
    """Per-node SED of NB201 cells, shape (n, 8): input, the 6 edge-op nodes, output."""
    op_ids = np.asarray(op_ids, dtype=np.int64).reshape(-1, 6)
    g = nb201_gains(channels)[op_ids]
    v = [np.ones(len(op_ids))]
    edge_v = np.zeros_like(g)
    for j in (1, 2, 3):
        total = np.zeros(len(op_ids))
        for e, (i, jj) in enumerate(NB201_EDGES):
            if jj == j:
                edge_v[:, e] = v[i] * g[:, e]
                total += edge_v[:, e]
        v.append(total)
    return np.concatenate([_entropy(v[0])[:, None], _entropy(edge_v), _entropy(v[3])[:, None]], 1)


def sed_nb201(cells: Iterable[object] | np.ndarray, channels: int = 16) -> np.ndarray:
    """Cell SED scores of NB201 cells (higher = predicted better); op-id arrays are accepted."""
    ids = cells if isinstance(cells, np.ndarray) else nb201_op_ids(cells)
    return sed_nb201_nodes(ids, channels)[:, -1]


def _nb101_spec(cell: object) -> tuple[np.ndarray, tuple[str, ...]]:
    """(matrix, ops) of an NB101 cell, or of anything the NB101 space's parser reads."""
    from narank.spaces import get_space

    parsed = get_space("nb101").parse(cell)
    return np.asarray(parsed.matrix, dtype=np.int64), parsed.ops


def sed_nb101_nodes(cell: object, channels: int = 128) -> np.ndarray:
    """Per-vertex SED of one NB101 cell (input first, output last)."""
    m, ops = _nb101_spec(cell)
    n = m.shape[0]
    op_gain = {
        "conv3x3-bn-relu": conv_gain(3, channels),
        "conv1x1-bn-relu": conv_gain(1, channels),
        "maxpool3x3": MAX9_VAR,
    }
    proj = conv_gain(1, channels)  # the 1x1 conv-bn-relu projection of the cell input
    v = np.zeros(n)
    v[0] = 1.0
    for t in range(1, n - 1):
        incoming = sum(v[s] for s in range(1, t) if m[s, t]) + (proj if m[0, t] else 0.0)
        v[t] = op_gain[ops[t]] * incoming
    feeding = [t for t in range(1, n - 1) if m[t, n - 1]]
    # Concatenation: each vertex fills an equal share of the output channels.
    v[n - 1] = (np.mean(v[feeding]) if feeding else 0.0) + (proj if m[0, n - 1] else 0.0)
    return _entropy(v)


def sed_nb101(cells: Iterable[object], channels: int = 128) -> np.ndarray:
    """Cell SED scores of NB101 cells (NB101Cell objects or (adjacency, ops) pairs)."""
    return np.array([sed_nb101_nodes(c, channels)[-1] for c in cells])


def sed_node_features(cell: object) -> np.ndarray:
    """Per-node SED of one cell of any space, as its space computes it (graph node order)."""
    from narank.spaces import space_of

    return np.asarray(space_of(cell).sed_nodes([cell])[0], dtype=float)


def sed_scores(cells: Sequence[object]) -> np.ndarray:
    """SED scores of many cells of one space (vectorized where the space allows)."""
    from narank.spaces import space_of

    if not cells:
        return np.zeros(0)
    return np.array([nodes[-1] for nodes in space_of(cells[0]).sed_nodes(cells)], dtype=float)


def sed_score(cell: object) -> float:
    """SED score of one cell of any space."""
    return float(sed_node_features(cell)[-1])
