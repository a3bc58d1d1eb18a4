"""Baseline predictors in the same harness: random forest on the space's encoding of cells."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def xgb_regressor(seed: int = 0, n_jobs: int = 1, n_estimators: int = 500) -> Any:
    """The project's one XGBoost setting (fixed, never tuned on test labels): a few hundred
    shallow-ish boosted trees with row and column subsampling, in GRAF's spirit."""
    from xgboost import XGBRegressor

    return XGBRegressor(n_estimators=n_estimators, learning_rate=0.05, max_depth=6, subsample=0.8,
                        colsample_bytree=0.8, min_child_weight=1, random_state=seed, n_jobs=n_jobs,
                        tree_method="hist")


#: tabular models of the GRAF baselines; fixed settings (never tuned on test labels)
TABULAR_MODELS = ("xgb", "rf")


def tabular_scores(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, model: str = "xgb",
                   seed: int = 0, n_jobs: int = 1) -> np.ndarray:
    """Fit XGBoost (`xgb`) or a random forest (`rf`) on per-cell feature rows; predict the test rows.

    Settings: `xgb_regressor`; a 500-tree forest with sqrt-ish feature sampling.
    """
    if model == "xgb":
        est = xgb_regressor(seed, n_jobs)
    elif model == "rf":
        est = RandomForestRegressor(n_estimators=500, max_features=0.33, random_state=seed,
                                    n_jobs=n_jobs)
    else:
        raise ValueError(f"unknown tabular model {model!r}; choose from {TABULAR_MODELS}")
    est.fit(x_train, y_train)
    return est.predict(x_test)
