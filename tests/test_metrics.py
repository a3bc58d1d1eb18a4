"""Ranking metrics and the tabular baseline, against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from narank.baselines import onehot_features, random_forest_scores
from narank.metrics import precision_at_top, ranking_metrics
from narank.spaces import get_space


def test_kendall_and_spearman_match_hand_computed_values():
    # pairs of (pred, true): 6 pairs, 5 concordant, 1 discordant -> tau = (5 - 1) / 6
    pred = np.array([1.0, 2.0, 3.0, 4.0])
    true = np.array([10.0, 30.0, 20.0, 40.0])
    m = ranking_metrics(pred, true)
    assert m["kendall_tau"] == pytest.approx(4 / 6)
    # ranks differ by 1 at two positions: rho = 1 - 6 * 2 / (4 * 15)
    assert m["spearman_rho"] == pytest.approx(1 - 12 / 60)
    assert m["n_test"] == 4
    assert ranking_metrics(-pred, true)["kendall_tau"] == pytest.approx(-4 / 6)


def test_precision_at_top_counts_the_overlap_of_the_top_sets():
    true = np.arange(100, dtype=float)
    pred = true.copy()
    assert precision_at_top(pred, true, 0.05) == 1.0
    pred[99], pred[0] = pred[0], pred[99]  # the true best is now predicted worst
    assert precision_at_top(pred, true, 0.05) == pytest.approx(4 / 5)
    assert precision_at_top(pred, true, 0.01) == 0.0
    assert precision_at_top(-true, true, 0.05) == 0.0


def test_tier_accuracy_is_the_share_of_matching_tiers():
    m = ranking_metrics(np.arange(4.0), np.arange(4.0), np.array([1, 2, 3, 4]), np.array([1, 2, 4, 4]))
    assert m["tier_accuracy"] == pytest.approx(0.75)


def test_metrics_refuse_mismatched_input():
    with pytest.raises(ValueError):
        ranking_metrics(np.arange(3.0), np.arange(4.0))


def test_random_forest_sees_the_cell_encoding():
    """A target that depends only on the ops is learned from the space's encoding."""
    space = get_space("nb201")
    rng = np.random.default_rng(0)
    cells = space.sample(400, rng)
    weight = {"none": 0.0, "skip_connect": 1.0, "nor_conv_1x1": 2.0, "nor_conv_3x3": 3.0, "avg_pool_3x3": 0.5}
    y = np.array([sum(weight[op] * (e + 1) for e, op in enumerate(c.ops)) for c in cells])
    train, test = cells[:300], cells[300:]
    enc = onehot_features(cells[:2])
    assert enc.shape == (2, 30) and enc.sum() == 12  # one op per edge
    scores = random_forest_scores(train, y[:300], test, seed=0, n_estimators=50)
    assert ranking_metrics(scores, y[300:])["kendall_tau"] > 0.6
