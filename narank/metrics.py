"""Ranking metrics on held-out architectures (scipy for the correlations)."""

from __future__ import annotations

import numpy as np
from scipy import stats


def precision_at_top(pred: np.ndarray, true: np.ndarray, fraction: float) -> float:
    """Share of the predicted top `fraction` that is also in the true top `fraction`."""
    n = len(true)
    k = max(1, int(round(fraction * n)))
    pred_top = np.argsort(-np.asarray(pred), kind="stable")[:k]
    true_top = np.argsort(-np.asarray(true), kind="stable")[:k]
    return len(np.intersect1d(pred_top, true_top)) / k


def ranking_metrics(pred: np.ndarray, true: np.ndarray, pred_tiers: np.ndarray | None = None,
                    true_tiers: np.ndarray | None = None) -> dict[str, float]:
    """Kendall tau, Spearman rho, precision at top-1% / top-5% and (optionally) tier accuracy."""
    pred = np.asarray(pred, dtype=float)
    true = np.asarray(true, dtype=float)
    if len(pred) != len(true) or len(pred) < 2:
        raise ValueError(f"need two equal-length arrays of at least 2 values, got {len(pred)}, {len(true)}")
    out = {
        "kendall_tau": float(stats.kendalltau(pred, true).statistic),
        "spearman_rho": float(stats.spearmanr(pred, true).statistic),
        "precision_at_1pct": precision_at_top(pred, true, 0.01),
        "precision_at_5pct": precision_at_top(pred, true, 0.05),
        "n_test": int(len(true)),
    }
    if pred_tiers is not None and true_tiers is not None:
        out["tier_accuracy"] = float(np.mean(np.asarray(pred_tiers) == np.asarray(true_tiers)))
    return out
