"""BANANAS-style search (White et al. 2021): path encoding, an ensemble of small MLPs, and
independent Thompson sampling over candidates that include the mutations of the best cells.

Runs in `guided_search`, narank's loop with the surrogate swapped, so it sees the same initial
cells, candidates and protocol as narank.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction import FeatureHasher
from sklearn.neural_network import MLPRegressor

from narank.search.loop import SearchRun
from narank.search.oracle import OracleTable
from narank.search.predictor_guided import Acquisition, GuidedConfig, guided_search
from narank.spaces import SearchSpace, space_of

PATH_DIM = 2048  # hashed path vocabulary (NB101 has 364 possible paths, NB201 84: few collisions)


def cell_paths(space: SearchSpace, cell: Any) -> list[str]:
    """Every input->output path of a cell's graph, as the '>'-joined op labels along it."""
    labels, edges = space.structure(cell)
    succ: dict[int, list[int]] = {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    out_node = len(labels) - 1
    paths: list[str] = []
    stack: list[tuple[int, tuple[str, ...]]] = [(0, ())]
    while stack:
        node, ops = stack.pop()
        if node == out_node:
            paths.append(">".join(ops) or "<direct>")
            continue
        for nxt in succ.get(node, ()):
            stack.append((nxt, ops if nxt == out_node else (*ops, labels[nxt])))
    return paths


def path_encoding(space: SearchSpace, cells: Sequence) -> np.ndarray:
    """BANANAS' path encoding: which op sequences occur as input->output paths (0/1, hashed).
    Spaces whose graph is the same for every cell (NATS-SSS) append their own `encode`."""
    hasher = FeatureHasher(n_features=PATH_DIM, input_type="string", alternate_sign=False)
    x = np.minimum(hasher.transform([cell_paths(space, c) for c in cells]).toarray(), 1.0)
    if space.node_value_width > 0:
        x = np.hstack([x, space.encode(cells)])
    return x.astype(np.float32)


def its_acquisition(seed: int, members: int = 5, hidden: tuple[int, ...] = (32, 32)) -> Acquisition:
    """Independent Thompson sampling from an ensemble of MLPs on the path encoding: each
    candidate's score is one draw from N(ensemble mean, ensemble std)."""

    def acquire(cells: list, accs: np.ndarray, cands: list, rng: np.random.Generator) -> np.ndarray:
        space = space_of(cells[0])
        x, xc = path_encoding(space, cells), path_encoding(space, cands)
        used = (x.any(axis=0) | xc.any(axis=0))  # paths that occur: the encoding's real width
        x, xc = x[:, used], xc[:, used]
        mu, sd = float(accs.mean()), float(accs.std()) or 1.0
        y = (accs - mu) / sd
        preds = []
        for m in range(members):
            net = MLPRegressor(hidden_layer_sizes=hidden, learning_rate_init=0.01, max_iter=200,
                               alpha=1e-3, random_state=seed * 1000 + m + len(cells))
            preds.append(net.fit(x, y).predict(xc))
        p = np.asarray(preds)
        return p.mean(axis=0) + p.std(axis=0) * rng.standard_normal(p.shape[1])

    return acquire


def bananas_search(otable: OracleTable, budget: int, seed: int, cfg: GuidedConfig | None = None) -> SearchRun:
    """BANANAS-style search: path-encoding MLP ensemble + independent Thompson sampling."""
    return guided_search(otable, budget, seed, its_acquisition(seed), "bananas", cfg)
