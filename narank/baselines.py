"""Baseline predictors in the same harness: random forest on one-hot ops, params-only, FLOPs-only."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.ensemble import RandomForestRegressor

from narank.spaces import space_of

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NB101_OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")


def onehot_features(cells: Sequence) -> np.ndarray:
    """NB201: one-hot op per edge (30). NB101: padded 7x7 upper triangle (21) + one-hot ops (15)."""
    rows = []
    for cell in cells:
        if space_of(cell) == "nb201":
            row = np.zeros((6, len(NB201_OPS)))
            row[np.arange(6), [NB201_OPS.index(op) for op in cell.ops]] = 1
        else:
            n = len(cell.ops)
            adj = np.zeros((7, 7))
            adj[:n - 1, :n - 1] = np.asarray(cell.matrix)[:n - 1, :n - 1]
            adj[:n - 1, 6] = np.asarray(cell.matrix)[:n - 1, n - 1]  # output stays last
            ops = np.zeros((5, len(NB101_OPS)))
            for i, op in enumerate(cell.ops[1:-1]):
                ops[i, NB101_OPS.index(op)] = 1
            row = np.concatenate([adj[np.triu_indices(7, 1)], ops.ravel()])
        rows.append(row.ravel())
    return np.asarray(rows, dtype=np.float32)


def random_forest_scores(train_cells: Sequence, train_acc: np.ndarray, test_cells: Sequence,
                         seed: int = 0, n_estimators: int = 200) -> np.ndarray:
    """Fit a random forest on one-hot ops and predict the test cells."""
    model = RandomForestRegressor(n_estimators=n_estimators, random_state=seed, n_jobs=-1)
    model.fit(onehot_features(train_cells), train_acc)
    return model.predict(onehot_features(test_cells))
