"""GRAF-style graph features of cells, for tabular predictors (Kadlecová et al., 2024).

Every number is asked of the space through `SearchSpace.structure` (node labels and forward
edges, input first and output last) and, where a space has them, `SearchSpace.node_values`:

- `count:<op>`: nodes of each op type;
- `input_to:<op>` / `to_output:<op>`: edges from the input node into, and from each op type
  into the output node; `in_degree:<op>` / `out_degree:<op>`: total in/out degree of its nodes;
- for each set S of op types other than `none` (all subsets when a space has at most 5, else
  each op alone and all-but-one): `paths:S`, `min_path:S`, `max_path:S` — input->output paths that pass only
  through ops in S, and the fewest/most op nodes on one (-1 when there is none);
- `nodes`, `edges`;
- `node_value_mean:<j>` / `node_value_max:<j>` over nodes, for spaces with numeric node values
  (NATS-SSS's channel widths: its graph is the same for every cell, so these carry its signal).

Features depend on the structure only (plus node values), so they are computed once per
distinct structure and cached; the path statistics are a dynamic programme over the nodes in
topological order, vectorized across cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations
from typing import Any

import numpy as np

from narank.caches import Cache
from narank.errors import NarankError
from narank.spaces import get_space
from narank.spaces.base import DenseCells, SearchSpace

#: all subsets of op types up to this many types; above it, singletons and all-but-one
MAX_ALL_SUBSETS = 5


def _ops(space: SearchSpace) -> tuple[str, ...]:
    """Op labels of a space: its node labels other than the input's and the output's."""
    return tuple(label for label in space.node_labels if label not in ("input", "output"))


def _subsets(ops: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Sets of op types whose restricted input->output paths are counted ('none', the zero op,
    carries nothing, so it joins no set)."""
    ops = tuple(o for o in ops if o != "none")
    if len(ops) <= MAX_ALL_SUBSETS:
        return [s for k in range(1, len(ops) + 1) for s in combinations(ops, k)]
    singles = [(o,) for o in ops]
    rest = [tuple(o for o in ops if o != skip) for skip in ops]
    return singles + rest + [ops]


def _has_node_values(space: SearchSpace) -> bool:
    return space.node_value_width > 0


@lru_cache(maxsize=16)
def _names(space_name: str) -> tuple[str, ...]:
    space = get_space(space_name)
    ops = _ops(space)
    names = [f"{kind}:{op}" for kind in ("count", "input_to", "to_output", "in_degree", "out_degree")
             for op in ops]
    for subset in _subsets(ops):
        key = "+".join(subset)
        names += [f"paths:{key}", f"min_path:{key}", f"max_path:{key}"]
    names += ["nodes", "edges"]
    if _has_node_values(space):
        width = space.node_value_width
        names += [f"node_value_mean:{j}" for j in range(width)]
        names += [f"node_value_max:{j}" for j in range(width)]
    return tuple(names)


def graf_names(space: SearchSpace | str) -> list[str]:
    """Column names of `graf_features(space, ...)`, in order."""
    return list(_names(get_space(space).name))


def _dense(space: SearchSpace, structures: Sequence[tuple]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Padded (labels [m, N] as op index or -1 for input/output/padding, adj [m, N, N], n [m])."""
    ops = _ops(space)
    index = {op: i for i, op in enumerate(ops)}
    size = max(len(labels) for labels, _ in structures)
    m = len(structures)
    lab = np.full((m, size), -1, dtype=np.int64)
    adj = np.zeros((m, size, size), dtype=bool)
    n = np.zeros(m, dtype=np.int64)
    for i, (labels, edges) in enumerate(structures):
        n[i] = len(labels)
        lab[i, 1:len(labels) - 1] = [index[label] for label in labels[1:-1]]
        if edges:
            src, dst = np.asarray(edges).T
            adj[i, src, dst] = True
    return lab, adj, n


def _structure_features(space: SearchSpace, structures: Sequence[tuple]) -> np.ndarray:
    """The structural GRAF block for distinct structures, vectorized across them."""
    return _padded_features(_ops(space), *_dense(space, structures))


def graf_dense(space: SearchSpace | str, dense: DenseCells) -> np.ndarray:
    """`graf_features` of a block of `DenseCells` (a whole space in bulk, no cell objects)."""
    space = get_space(space)
    if _has_node_values(space):
        raise NarankError(f"no bulk GRAF for {space.name}: its cells carry node values")
    ops = _ops(space)
    op_of = np.array([ops.index(label) if label in ops else -1 for label in space.node_labels] + [-1])
    return _padded_features(ops, op_of[dense.labels], dense.adj, (dense.labels >= 0).sum(axis=1))


def _padded_features(ops: tuple[str, ...], lab: np.ndarray, adj: np.ndarray, n: np.ndarray) -> np.ndarray:
    """GRAF's structural block from padded arrays: op index per node (-1: input, output, padding),
    forward adjacency, node count (the output is node n - 1)."""
    m, size = lab.shape
    rows = np.arange(m)
    out_node = n - 1
    is_op = lab >= 0
    onehot = np.zeros((m, size, len(ops)), dtype=np.float64)
    onehot[is_op] = np.eye(len(ops))[lab[is_op]]
    into_output = adj[rows, :, out_node]  # [m, N]: u -> output
    from_input = adj[:, 0, :]  # [m, N]: input -> v
    indeg = adj.sum(axis=1).astype(float)
    outdeg = adj.sum(axis=2).astype(float)
    blocks = [onehot.sum(axis=1),
              (onehot * from_input[:, :, None]).sum(axis=1),
              (onehot * into_output[:, :, None]).sum(axis=1),
              (onehot * indeg[:, :, None]).sum(axis=1),
              (onehot * outdeg[:, :, None]).sum(axis=1)]
    op_index = {op: i for i, op in enumerate(ops)}
    for subset in _subsets(ops):
        allowed_op = np.isin(lab, [op_index[o] for o in subset])
        # input and output nodes pass; padding never has edges so it never passes anything on
        allowed = allowed_op | ~is_op
        count = np.zeros((m, size))
        short = np.full((m, size), np.inf)
        long = np.full((m, size), -np.inf)
        count[:, 0], short[:, 0], long[:, 0] = 1.0, 0.0, 0.0
        for v in range(1, size):
            pred = adj[:, :v, v] & (count[:, :v] > 0)
            step = allowed_op[:, v].astype(float)
            ok = allowed[:, v]
            count[:, v] = np.where(ok, (count[:, :v] * pred).sum(axis=1), 0.0)
            short[:, v] = np.where(ok, np.where(pred, short[:, :v], np.inf).min(axis=1) + step, np.inf)
            long[:, v] = np.where(ok, np.where(pred, long[:, :v], -np.inf).max(axis=1) + step, -np.inf)
        paths = count[rows, out_node]
        reach = paths > 0
        blocks.append(np.stack([paths, np.where(reach, short[rows, out_node], -1.0),
                                np.where(reach, long[rows, out_node], -1.0)], axis=1))
    blocks.append(np.stack([n.astype(float), adj.sum(axis=(1, 2)).astype(float)], axis=1))
    return np.concatenate(blocks, axis=1)


#: GRAF rows by (space, structure): distinct structures are few in NB201, many in NB101 (bounded)
_CACHE: Cache[tuple[str, tuple], np.ndarray] = Cache("graf structures", 1 << 16)


def graf_features(space: SearchSpace | str, cells: Sequence[Any]) -> np.ndarray:
    """GRAF feature matrix [len(cells), len(graf_names(space))] (float64); see the module doc."""
    space = get_space(space)
    cells = list(cells)
    width = len(graf_names(space))
    if not cells:
        return np.zeros((0, width))
    structures = [space.structure(c) for c in cells]
    missing = list({s for s in structures if (space.name, s) not in _CACHE})
    if missing:
        for s, row in zip(missing, _structure_features(space, missing), strict=True):
            _CACHE[(space.name, s)] = row
    out = np.stack([_CACHE[(space.name, s)] for s in structures])
    if _has_node_values(space):
        values = np.stack([np.asarray(space.node_values(c), dtype=float) for c in cells])
        out = np.concatenate([out, values.mean(axis=1), values.max(axis=1)], axis=1)
    return out
