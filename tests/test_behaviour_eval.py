"""What evaluation is for: NB201 rankers train on `<ds>_valid_acc` and are judged on
`<ds>_test_acc`, on held-out cells only; the baselines see the cells' features and are judged on
the same split and column (hand-recomputed metrics, small and fast)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from narank.baselines import onehot_features, random_forest_scores
from narank.benchmarks import BenchmarkTable, load_table
from narank.errors import NarankError
from narank.evaluate import baseline_metrics, evaluate_ranker
from narank.metrics import ranking_metrics
from narank.predictor import Ranker
from narank.spaces import get_space

torch.set_num_threads(1)
NB201 = get_space("nb201")


@pytest.fixture(scope="module")
def table(nb201_csv: Path) -> BenchmarkTable:
    return load_table("nb201", nb201_csv)


@pytest.fixture(scope="module")
def trained(table):
    """A small ranker trained on the validation accuracy of 60 cells, and 400 cells to judge it on
    (the 60 training cells among them)."""
    rng = np.random.default_rng(0)
    ids = table.ids
    pos = rng.choice(len(ids), 400, replace=False)
    train_ids = [ids[i] for i in pos[:60]]
    ranker = Ranker("nb201", "cifar10", dim=16, layers=1, epochs=10, batch_size=32,
                    random_state=0)
    ranker.fit(train_ids, table.targets("cifar10_valid_acc", train_ids))
    shown = {ids[i] for i in pos}
    others = [cid for cid in ids if cid not in shown]
    return ranker, [ids[i] for i in pos], others


def test_nb201_trains_on_validation_and_reports_test_accuracy():
    cols = NB201.columns("cifar10")
    assert (cols.train, cols.evaluate) == ("cifar10_valid_acc", "cifar10_test_acc")
    assert (cols.params, cols.flops) == ("cifar10_params_M", "cifar10_flops_M")
    assert NB201.columns("cifar100", "test").train == "cifar100_test_acc"


def test_evaluation_judges_held_out_cells_on_test_accuracy(table, trained):
    ranker, shown, others = trained
    got = evaluate_ranker(ranker, table, exclude_ids=others)
    train_ids = set(ranker.manifest["train_ids"])
    held = [cid for cid in shown if cid not in train_ids]
    assert got["n_test"] == len(held) == 340  # the training cells are left out
    scores, tiers = ranker.rank(held)
    test_acc = table.targets("cifar10_test_acc", held)
    true_tiers = ranker.true_tiers(table.targets("cifar10_valid_acc", held))  # the training cut
    want = ranking_metrics(scores, test_acc, tiers, true_tiers)
    for key in ("kendall_tau", "spearman_rho", "precision_at_5pct", "tier_accuracy", "n_test"):
        assert got[key] == pytest.approx(want[key]), key
    # the check can tell the columns apart: on validation accuracy the numbers differ
    on_valid = ranking_metrics(scores, table.targets("cifar10_valid_acc", held))
    assert on_valid["kendall_tau"] != pytest.approx(got["kendall_tau"])
    assert got["kendall_tau"] > 0.2  # and the ranker did learn something


def test_evaluation_target_test_cuts_true_tiers_on_test_accuracy(table, trained):
    ranker, shown, others = trained
    got = evaluate_ranker(ranker, table, target="test", exclude_ids=others)
    held = [cid for cid in shown if cid not in set(ranker.manifest["train_ids"])]
    tiers = ranker.predict_tier(held)
    true_tiers = ranker.true_tiers(table.targets("cifar10_test_acc", held))
    assert got["tier_accuracy"] == pytest.approx(np.mean(tiers == true_tiers))


def test_evaluation_needs_two_held_out_cells(table, trained):
    ranker, shown, others = trained
    held = [cid for cid in shown if cid not in set(ranker.manifest["train_ids"])]
    two = evaluate_ranker(ranker, table, exclude_ids=others + held[2:])
    assert two["n_test"] == 2
    with pytest.raises(NarankError):
        evaluate_ranker(ranker, table, exclude_ids=others + held[1:])


def test_baselines_see_the_cells_and_use_the_same_split_and_columns(table):
    small = BenchmarkTable("nb201", table.metrics.iloc[:700])
    rng = np.random.default_rng(1)
    perm = rng.permutation(700)
    train_pos, test_pos = np.sort(perm[:150]), np.sort(perm[150:])
    got = baseline_metrics(small, "nb201", "cifar10", train_pos, test_pos, seed=3)
    cells = small.cells()
    valid, test = small.targets("cifar10_valid_acc"), small.targets("cifar10_test_acc")
    train_cells, test_cells = [cells[i] for i in train_pos], [cells[i] for i in test_pos]
    rf = random_forest_scores(train_cells, valid[train_pos], test_cells, 3)
    assert got["random_forest"] == pytest.approx(ranking_metrics(rf, test[test_pos]))
    for name in ("params", "flops"):
        values = small.targets(f"cifar10_{name}_M")[test_pos]
        assert got[name] == pytest.approx(ranking_metrics(values, test[test_pos])), name
    # the forest learns from the cells' encoding: far better than from shuffled encodings
    assert got["random_forest"]["kendall_tau"] > 0.4
    shuffled = random_forest_scores([cells[i] for i in rng.permutation(train_pos)], valid[train_pos],
                                    test_cells, 3)
    tau = got["random_forest"]["kendall_tau"]
    assert ranking_metrics(shuffled, test[test_pos])["kendall_tau"] < tau - 0.2


def test_forest_features_are_the_space_encoding_and_the_seed_decides():
    cells = NB201.sample(120, 0)
    assert np.array_equal(onehot_features(cells), NB201.encode(cells))
    assert onehot_features(cells).dtype == np.float32 and onehot_features([]).shape == (0, 0)
    y = np.array([c.ops.count("nor_conv_3x3") for c in cells], dtype=float)
    a = random_forest_scores(cells[:80], y[:80], cells[80:], seed=0, n_estimators=20)
    b = random_forest_scores(cells[:80], y[:80], cells[80:], seed=0, n_estimators=20)
    c = random_forest_scores(cells[:80], y[:80], cells[80:], seed=1, n_estimators=20)
    assert a.shape == (40,) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert ranking_metrics(a, y[80:])["kendall_tau"] > 0.7


def test_ranking_metrics_by_hand():
    true = np.arange(200.0)
    pred = true.copy()
    pred[198] = -1.0  # the second best cell is predicted worst
    got = ranking_metrics(pred, true)
    # top 1 % = 2 cells: {199, 197} against {199, 198}; top 5 % = 10 cells: 9 of them shared
    assert got["precision_at_1pct"] == pytest.approx(0.5) and got["precision_at_5pct"] == pytest.approx(0.9)
    assert got["n_test"] == 200 and "tier_accuracy" not in got
    assert got["kendall_tau"] == pytest.approx(1 - 2 * 198 / (200 * 199 / 2))  # 198 discordant pairs
    two = ranking_metrics([1.0, 2.0], [3.0, 5.0], pred_tiers=np.array([1, 2]))
    assert two["kendall_tau"] == pytest.approx(1.0) and "tier_accuracy" not in two
    with pytest.raises(ValueError):
        ranking_metrics([1.0], [1.0])
    assert onehot_features([NB201.parse(0)]).shape == (1, 30)
