"""Hyperparameters tuned by Optuna on the training cells only: k-fold cross-validation inside them.

`tune` works on any scikit-learn-style estimator whose `score` is higher-is-better (the ranker's
is Kendall tau). The estimator's own settings are always the first trial, so tuning can only
replace them by something that cross-validates better; folds report as they finish, so Optuna's
median pruner stops a poor trial early. The result offers, as scikit-learn's search CV does, the
best settings, their cross-validated score and `best_estimator_`: the estimator refitted with them
on all the cells it was tuned on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold

from narank.errors import NarankError

Suggest = Callable[[Any], dict[str, Any]]


def ranker_space(trial: Any) -> dict[str, Any]:
    """The ranker settings worth tuning at a few hundred cells (epochs stay the project's)."""
    return {
        "lr": trial.suggest_float("lr", 5e-4, 5e-3, log=True),
        "weight_decay": trial.suggest_float("weight_decay", 1e-5, 1e-2, log=True),
        "dim": trial.suggest_categorical("dim", [32, 64, 128]),
        "layers": trial.suggest_int("layers", 2, 5),
        "dropout": trial.suggest_float("dropout", 0.0, 0.3),
        "tiers": trial.suggest_categorical("tiers", [3, 5, 8]),
    }


class TuneResult:
    """What `tune` found: `best_params_`, `best_score_` (their mean CV score), `study_` (Optuna's)
    and `best_estimator_`, a clone of the estimator with the best settings refitted on all of (X, y),
    as scikit-learn's search CV with refit=True gives. The refit runs on first access, so callers
    that only want the settings pay nothing for it. Unpacks as `best_params, study = tune(...)`."""

    def __init__(self, estimator: Any, X: Sequence[Any], y: np.ndarray, study: Any) -> None:
        self._estimator, self._X, self._y = estimator, X, y
        self.study_ = study
        self.best_params_: dict[str, Any] = dict(study.best_params)
        self.best_score_ = float(study.best_value)

    @cached_property
    def best_estimator_(self) -> Any:
        """The estimator with the best settings, fitted on every cell it was tuned on."""
        return clone(self._estimator).set_params(**self.best_params_).fit(self._X, self._y)

    def __iter__(self) -> Iterator[Any]:
        return iter((self.best_params_, self.study_))


def tune(
    estimator: Any,
    X: Sequence[Any],
    y: Sequence[float],
    space: Suggest = ranker_space,
    n_trials: int = 12,
    folds: int = 3,
    seed: int = 0,
    progress: bool = False,
) -> TuneResult:
    """Tune `estimator` on (X, y) by `folds`-fold CV; a `TuneResult` (unpacks as best settings, study).

    Trial 0 is the estimator's current values of the tuned settings. Nothing outside (X, y) is
    read, so a held-out set stays untouched. `progress` shows Optuna's progress bar on stderr.
    """
    import optuna

    y = np.asarray(y, dtype=float)
    if n_trials < 1 or folds < 2:
        raise NarankError(f"tuning needs n_trials >= 1 and folds >= 2, got {n_trials} and {folds}")
    if len(X) != len(y) or len(y) < 2 * folds:
        raise NarankError(f"tuning needs as many labels as cells and >= {2 * folds} of them, got "
                          f"{len(X)} cells and {len(y)} labels")
    splits = list(KFold(folds, shuffle=True, random_state=seed).split(np.arange(len(y))))

    def objective(trial: Any) -> float:
        model = clone(estimator).set_params(**space(trial))
        scores = []
        for k, (train, test) in enumerate(splits):
            model.fit([X[i] for i in train], y[train])
            scores.append(model.score([X[i] for i in test], y[test]))
            trial.report(float(np.mean(scores)), k)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return float(np.mean(scores))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3),
    )
    names = tuned_names(space)
    study.enqueue_trial({k: v for k, v in estimator.get_params().items() if k in names})
    study.optimize(objective, n_trials=n_trials, show_progress_bar=progress)
    return TuneResult(estimator, X, y, study)


def tuned_names(space: Suggest) -> list[str]:
    """The setting names `space` suggests (asked of a throwaway study)."""
    import optuna

    trial = optuna.create_study().ask()
    space(trial)
    return list(trial.params)
