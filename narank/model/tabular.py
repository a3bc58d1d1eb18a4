"""The ranker's tabular half: XGBoost on the standardized graph-level features of each cell.

It learns standardized labels (z-scores of the training accuracies), so its scale never depends
on the dataset and a warm start continues the same trees (a fine-tune with `init=` keeps them).
The booster travels in checkpoints as XGBoost's own JSON (`to_bytes` / `from_bytes`): plain data,
no code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from narank.baselines import xgb_regressor

#: trees added when a fit continues an existing booster (`warm_start`)
FINE_TUNE_TREES = 20


def fit_tabular(x: np.ndarray, y: np.ndarray, seed: int, init: Any = None) -> Any:
    """An XGBoost booster fitted on rows `x` and z-scored labels `y`; `init` (a booster) continues."""
    y = np.asarray(y, dtype=float)
    z = (y - y.mean()) / (y.std() if y.std() > 0 else 1.0)
    est = xgb_regressor(seed, n_jobs=1, n_estimators=500 if init is None else FINE_TUNE_TREES)
    est.fit(np.asarray(x, dtype=np.float32), z, xgb_model=init)
    return est.get_booster()


def predict_tabular(booster: Any, x: np.ndarray) -> np.ndarray:
    """The booster's score per row (float64)."""
    return np.asarray(booster.inplace_predict(np.asarray(x, dtype=np.float32)), dtype=float)


def to_bytes(booster: Any) -> bytes:
    """XGBoost's JSON model: what a checkpoint stores."""
    return bytes(booster.save_raw("json"))


def from_bytes(raw: bytes) -> Any:
    """A booster from `to_bytes` output (XGBoost parses JSON; nothing is executed)."""
    from xgboost import Booster

    booster = Booster()
    booster.load_model(bytearray(raw))
    booster.set_param({"nthread": 1})
    return booster
