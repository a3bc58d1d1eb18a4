"""Baseline predictors in the same harness: random forest on the space's encoding of cells."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.ensemble import RandomForestRegressor

from narank.spaces import space_of


def onehot_features(cells: Sequence) -> np.ndarray:
    """The space's fixed-length encoding of each cell (one-hot ops and the like; see `SearchSpace.encode`)."""
    cells = list(cells)
    if not cells:
        return np.zeros((0, 0), dtype=np.float32)
    return np.asarray(space_of(cells[0]).encode(cells), dtype=np.float32)


def random_forest_scores(train_cells: Sequence, train_acc: np.ndarray, test_cells: Sequence,
                         seed: int = 0, n_estimators: int = 200) -> np.ndarray:
    """Fit a random forest on one-hot ops and predict the test cells."""
    model = RandomForestRegressor(n_estimators=n_estimators, random_state=seed, n_jobs=-1)
    model.fit(onehot_features(train_cells), train_acc)
    return model.predict(onehot_features(test_cells))
