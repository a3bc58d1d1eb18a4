"""Optuna tuning on the training cells only (narank.tuning)."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from narank.errors import NarankError
from narank.tuning import ranker_space, tune, tuned_names


def _ridge_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5))
    return X, X @ np.arange(1.0, 6.0) + rng.normal(size=60) * 0.1


def _alpha(trial):
    return {"alpha": trial.suggest_float("alpha", 1e-3, 1e4, log=True)}


def test_tuning_replaces_a_bad_setting_by_a_better_one():
    """A heavily over-regularized ridge (alpha 1000) cross-validates badly; the tuner's first trial
    is that setting, and it ends with a far smaller alpha that cross-validates far better."""
    X, y = _ridge_problem()
    best, study = tune(Ridge(alpha=1000.0), X, y, _alpha, n_trials=15, folds=3, seed=0)
    assert study.trials[0].params == {"alpha": 1000.0}
    assert study.trials[0].value < 0.5 < 0.99 < study.best_value
    assert best["alpha"] < 1.0


def test_tuning_keeps_a_good_setting_and_is_seeded():
    X, y = _ridge_problem()
    first, _ = tune(Ridge(alpha=1e-3), X, y, _alpha, n_trials=6, seed=4)
    again, _ = tune(Ridge(alpha=1e-3), X, y, _alpha, n_trials=6, seed=4)
    assert first == again
    _, study = tune(Ridge(alpha=1e-3), X, y, _alpha, n_trials=6, seed=4)
    assert study.best_value == pytest.approx(max(t.value for t in study.trials if t.value is not None))


def test_tuning_refuses_bad_input():
    X, y = _ridge_problem()
    with pytest.raises(NarankError, match="folds >= 2"):
        tune(Ridge(), X, y, _alpha, folds=1)
    with pytest.raises(NarankError, match="as many labels as cells"):
        tune(Ridge(), X, y[:-1], _alpha)


def test_tuning_the_ranker_starts_from_its_settings():
    """On real NB201 cells (labels: a made-up function of the cell), the ranker's own settings are
    trial 0, the result names exactly the tuned settings, and the estimator passed in is untouched."""
    from narank import Ranker
    from narank.spaces import get_space

    space = get_space("nb201")
    cells = space.sample(24, 0)
    y = np.array([str(c).count("conv_3x3") + 0.1 * str(c).count("skip") for c in cells], float)
    ranker = Ranker("nb201", "cifar10", epochs=2, lr=1e-3, layers=2, dim=32)
    best, study = tune(ranker, cells, y, n_trials=2, folds=2, seed=0)
    assert set(best) == set(tuned_names(ranker_space))
    first = study.trials[0].params
    assert (first["lr"], first["layers"], first["dim"]) == (1e-3, 2, 32)
    assert ranker.get_params()["lr"] == 1e-3 and not hasattr(ranker, "model_")
