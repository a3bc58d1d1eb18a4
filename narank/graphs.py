"""Cells as PyTorch Geometric graphs, with ops on nodes and a registry of extra node features.

Each space gives the graph view of its cells (`SearchSpace.structure`: labels and forward
edges; NB201 turns its edge-ops into nodes) and, where it has them, numeric node values
(`SearchSpace.node_values`, e.g. NATS-SSS channel widths). Every graph gets both edge
directions, marked by a 2-dim `edge_attr` (forward, backward), and a small structural
encoding: each node's depth from the input and height to the output.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Batch, Data

from narank.errors import NarankError
from narank.spaces import get_space, space_of

# The label vocabulary of every space, in a fixed order (trained checkpoints depend on it):
# a new space reuses these labels or appends new ones at the end.
NODE_TYPES = (
    "input",
    "output",
    "none",
    "skip_connect",
    "nor_conv_1x1",
    "nor_conv_3x3",
    "avg_pool_3x3",
    "conv3x3-bn-relu",
    "conv1x1-bn-relu",
    "maxpool3x3",
)
MAX_DEPTH = 8

NodeFeatureFn = Callable[[Any, str], np.ndarray]
_NODE_FEATURES: dict[str, tuple[NodeFeatureFn, int]] = {}
# Features that depend only on the graph's structure (labels + edges), not on the raw cell.
_STRUCTURAL: set[str] = set()


def register_node_feature(name: str, width: int, structural: bool = False
                          ) -> Callable[[NodeFeatureFn], NodeFeatureFn]:
    """Register `fn(cell, dataset) -> array[num_nodes, width]` as the node feature `name`.

    `structural=True` promises the values depend only on the cell's graph (labels and edges),
    which lets scoring compute each distinct graph once.
    """

    def wrap(fn: NodeFeatureFn) -> NodeFeatureFn:
        _NODE_FEATURES[name] = (fn, width)
        if structural:
            _STRUCTURAL.add(name)
        return fn

    return wrap


def node_feature_names() -> list[str]:
    """Names usable in `node_features=` (after the proxies that add features are imported)."""
    _load_optional_features()
    return sorted(_NODE_FEATURES)


def check_node_features(names: Iterable[str]) -> tuple[str, ...]:
    """Validate feature names early, naming the unknown ones and the choices."""
    names = tuple(n for n in names if n)
    known = node_feature_names()
    unknown = [n for n in names if n not in _NODE_FEATURES]
    if unknown:
        raise NarankError(f"unknown node feature(s) {unknown}; choose from {known}")
    return names


def extra_width(names: Sequence[str]) -> int:
    """Total width of the named extra node features."""
    return sum(_NODE_FEATURES[n][1] for n in check_node_features(names))


def label_vocabulary(space=None) -> tuple[str, ...]:
    """The op labels a space's graphs one-hot encode: `NODE_TYPES`, then the labels of the space's
    `node_labels` that are not among them (a plug-in op keeps its own column, and the built-in
    spaces' layout, which trained checkpoints depend on, stays as it is)."""
    return NODE_TYPES if space is None else _vocabulary(tuple(get_space(space).node_labels))


@lru_cache(maxsize=256)
def _vocabulary(node_labels: tuple[str, ...]) -> tuple[str, ...]:
    return NODE_TYPES + tuple(dict.fromkeys(label for label in node_labels if label not in NODE_TYPES))


def node_dim(names: Sequence[str] = (), space=None) -> int:
    """Width of `Data.x` for graphs of `space` built with these extra features."""
    own = get_space(space).node_value_width if space is not None else 0
    return len(label_vocabulary(space)) + 2 * (MAX_DEPTH + 1) + own + extra_width(names)


def structure(cell) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    """Node labels and forward edges of a cell's graph (ops on nodes), as its space defines them."""
    return space_of(cell).structure(cell)


def _depths(n: int, edges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Longest-path depth from node 0 and height to node n-1 (nodes are topologically numbered)."""
    depth = np.zeros(n, dtype=int)
    height = np.zeros(n, dtype=int)
    for s, d in sorted(edges):
        depth[d] = max(depth[d], depth[s] + 1)
    for s, d in sorted(edges, key=lambda e: -e[1]):
        height[s] = max(height[s], height[d] + 1)
    return np.minimum(depth, MAX_DEPTH), np.minimum(height, MAX_DEPTH)


@lru_cache(maxsize=65536)
def _base_arrays(labels: tuple[str, ...], edges: tuple[tuple[int, int], ...], vocab: tuple[str, ...]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Op one-hot + depth/height one-hot rows, and forward edges [2, m]; cached per structure."""
    unknown = sorted(set(labels) - set(vocab))
    if unknown:  # checked once per structure (this is cached), not once per cell
        raise NarankError(f"node label(s) {unknown} are not among the space's node_labels; add them there")
    n, k = len(labels), len(vocab)
    x = np.zeros((n, k + 2 * (MAX_DEPTH + 1)), dtype=np.float32)
    x[np.arange(n), [vocab.index(label) for label in labels]] = 1.0
    depth, height = _depths(n, list(edges))
    x[np.arange(n), k + depth] = 1.0
    x[np.arange(n), k + MAX_DEPTH + 1 + height] = 1.0
    return x, np.asarray(edges, dtype=np.int64).reshape(-1, 2).T


def _arrays(cell, names: tuple[str, ...], dataset: str) -> tuple[np.ndarray, np.ndarray]:
    space = space_of(cell)
    labels, edges = space.structure(cell)
    x, fwd = _base_arrays(tuple(labels), tuple(edges), label_vocabulary(space))
    if space.node_value_width:
        values = np.asarray(space.node_values(cell, dataset), dtype=np.float32)
        x = np.concatenate([x, values.reshape(len(labels), space.node_value_width)], axis=1)
    if names:
        extra = [np.asarray(_NODE_FEATURES[k][0](cell, dataset), dtype=np.float32)
                 .reshape(len(labels), _NODE_FEATURES[k][1]) for k in names]
        x = np.concatenate([x, *extra], axis=1)
    return x, fwd


def graph_key(cell, node_features: Sequence[str] = ()) -> Hashable:
    """A key equal for two cells exactly when their graphs (with these features) are equal."""
    space = space_of(cell)
    labels, edges = space.structure(cell)
    if not space.node_value_width and all(name in _STRUCTURAL for name in node_features):
        return labels, edges
    return labels, edges, space.name, space.canonical_id(cell)


def _both_directions(fwd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = fwd.shape[1]
    edge_attr = np.zeros((2 * m, 2), dtype=np.float32)
    edge_attr[:m, 0] = 1.0
    edge_attr[m:, 1] = 1.0
    return np.concatenate([fwd, fwd[::-1]], axis=1), edge_attr


def to_graph(cell, node_features: Sequence[str] = (), dataset: str = "cifar10") -> Data:
    """Build the PyG graph of a cell: `x` = op one-hot + depth/height one-hot + extra features."""
    return _graph(cell, check_node_features(node_features), dataset)


def _graph(cell, names: tuple[str, ...], dataset: str) -> Data:
    x, fwd = _arrays(cell, names, dataset)
    edge_index, edge_attr = _both_directions(fwd)
    return Data(x=torch.from_numpy(x), edge_index=torch.from_numpy(edge_index),
                edge_attr=torch.from_numpy(edge_attr), num_nodes=x.shape[0])


def to_graphs(cells: Iterable, node_features: Sequence[str] = (), dataset: str = "cifar10",
              targets: Sequence[float] | None = None) -> list[Data]:
    """Graphs for many cells; `targets`, when given, go to `Data.y`."""
    names = check_node_features(node_features)
    graphs = [_graph(c, names, dataset) for c in cells]
    if targets is not None:
        if len(targets) != len(graphs):
            raise NarankError(f"{len(graphs)} cells but {len(targets)} targets")
        for g, t in zip(graphs, targets, strict=True):
            g.y = torch.tensor([float(t)])
    return graphs


def to_batch(cells: Sequence, node_features: Sequence[str] = (), dataset: str = "cifar10") -> Batch:
    """One PyG `Batch` for many cells, built directly (fast path for scoring whole spaces)."""
    names = check_node_features(node_features)
    xs, eis, eas, sizes = [], [], [], []
    offset = 0
    for cell in cells:
        x, fwd = _arrays(cell, names, dataset)
        ei, ea = _both_directions(fwd)
        xs.append(x)
        eis.append(ei + offset)
        eas.append(ea)
        sizes.append(x.shape[0])
        offset += x.shape[0]
    if not xs:
        raise NarankError("no cells to batch")
    sizes_t = torch.as_tensor(sizes)
    return Batch(
        x=torch.from_numpy(np.concatenate(xs)),
        edge_index=torch.from_numpy(np.concatenate(eis, axis=1)),
        edge_attr=torch.from_numpy(np.concatenate(eas)),
        batch=torch.repeat_interleave(torch.arange(len(sizes)), sizes_t),
        ptr=torch.cat([torch.zeros(1, dtype=torch.long), sizes_t.cumsum(0)]),
    )


def dense_depths(adj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_depths` for a block of padded adjacency matrices (m, N, N): (depth, height), each (m, N)."""
    m, n, _ = adj.shape
    depth = np.zeros((m, n), dtype=np.int64)
    height = np.zeros((m, n), dtype=np.int64)
    for d in range(1, n):
        depth[:, d] = np.max(np.where(adj[:, :d, d], depth[:, :d] + 1, 0), axis=1)
    for s in range(n - 2, -1, -1):
        height[:, s] = np.max(np.where(adj[:, s, s + 1:], height[:, s + 1:] + 1, 0), axis=1)
    return np.minimum(depth, MAX_DEPTH), np.minimum(height, MAX_DEPTH)


def dense_supported(space, node_features: Sequence[str]) -> bool:
    """True when `dense_batch` can build this space's graphs with these features."""
    space = get_space(space)
    return (space.dense_count() is not None and not space.node_value_width
            and all(n in _DENSE_FEATURES for n in check_node_features(node_features)))


def dense_batch(space, dense, node_features: Sequence[str] = ()) -> Batch:
    """One PyG `Batch` from `DenseCells` (vectorized), equal to `to_batch` over the same cells."""
    space = get_space(space)
    names = check_node_features(node_features)
    if not dense_supported(space, names):
        raise NarankError(f"no bulk graph path for {space.name} with node features {list(names)}")
    labels, adj = dense.labels, dense.adj
    m, n = labels.shape
    valid = labels >= 0
    vocab = label_vocabulary(space)
    type_of = np.array([vocab.index(label) for label in space.node_labels])
    depth, height = dense_depths(adj)
    k = len(vocab)
    width = k + 2 * (MAX_DEPTH + 1)
    x = np.zeros((m, n, width + extra_width(names)), dtype=np.float32)
    cell_i, node_i = np.nonzero(valid)
    x[cell_i, node_i, type_of[labels[cell_i, node_i]]] = 1.0
    x[cell_i, node_i, k + depth[cell_i, node_i]] = 1.0
    x[cell_i, node_i, k + MAX_DEPTH + 1 + height[cell_i, node_i]] = 1.0
    col = width
    for name in names:
        x[:, :, col] = _DENSE_FEATURES[name](dense)
        col += 1
    sizes = valid.sum(axis=1)
    node_start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    # forward edges per cell in np.nonzero(matrix) order; each graph: forward block, then backward
    e_cell, e_src, e_dst = np.nonzero(adj & valid[:, :, None] & valid[:, None, :])
    counts = np.bincount(e_cell, minlength=m)
    edge_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(len(e_cell)) - edge_start[e_cell]
    fwd_pos = 2 * edge_start[e_cell] + rank
    bwd_pos = fwd_pos + counts[e_cell]
    src, dst = e_src + node_start[e_cell], e_dst + node_start[e_cell]
    edge_index = np.empty((2, 2 * len(e_cell)), dtype=np.int64)
    edge_index[:, fwd_pos] = src, dst
    edge_index[:, bwd_pos] = dst, src
    edge_attr = np.zeros((2 * len(e_cell), 2), dtype=np.float32)
    edge_attr[fwd_pos, 0] = 1.0
    edge_attr[bwd_pos, 1] = 1.0
    sizes_t = torch.as_tensor(sizes)
    return Batch(
        x=torch.from_numpy(x[valid]),
        edge_index=torch.from_numpy(edge_index),
        edge_attr=torch.from_numpy(edge_attr),
        batch=torch.repeat_interleave(torch.arange(m), sizes_t),
        ptr=torch.cat([torch.zeros(1, dtype=torch.long), sizes_t.cumsum(0)]),
    )


# Per-node cost features: log-scaled totals over the whole network, 0 for input/output.


@register_node_feature("flops", 1, structural=True)
def flops_feature(cell, dataset: str) -> np.ndarray:
    """log1p of each node's MFLOPs over the whole network."""
    return np.log1p(space_of(cell).node_costs(cell, dataset)[0])[:, None]


@register_node_feature("params", 1, structural=True)
def params_feature(cell, dataset: str) -> np.ndarray:
    """log1p of each node's parameters (millions, x10) over the whole network."""
    return np.log1p(10.0 * space_of(cell).node_costs(cell, dataset)[1])[:, None]


# Bulk forms of the features above, over `DenseCells` (padding rows come out 0 and are dropped).
_DENSE_FEATURES: dict[str, Callable[[Any], np.ndarray]] = {
    "flops": lambda dense: np.log1p(dense.node_flops_M),
    "params": lambda dense: np.log1p(10.0 * dense.node_params_M),
}


def _load_optional_features() -> None:
    """Import modules that register further node features (zero-cost proxies), if present."""
    try:
        import narank.proxies.features  # noqa: F401
    except ModuleNotFoundError as exc:
        if exc.name != "narank.proxies.features":
            raise
