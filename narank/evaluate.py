"""The evaluation harness: literature split protocols, held-out metrics, and the baselines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from narank.baselines import random_forest_scores
from narank.benchmarks import BenchmarkTable
from narank.errors import NarankError
from narank.metrics import ranking_metrics
from narank.predictor import Ranker

# Train sizes of the literature (REFERENCE.md §6); the test set is every other cell of the table.
TRAIN_SIZES = {"nb201": (78, 156, 469, 781, 1563), "nb101": (100, 172, 424, 4236)}


def columns(space: str, dataset: str, target: str = "valid") -> tuple[str, str, str, str]:
    """(training target, evaluation target, params, FLOPs) column names for a space/dataset.

    NB101 here has one accuracy only (a single run's validation accuracy): it is both.
    """
    if space == "nb101":
        return "cifar10_valid_acc", "cifar10_valid_acc", "params_M", "flops_M"
    if target not in ("valid", "test"):
        raise NarankError(f"target must be 'valid' or 'test', got {target!r}")
    return (f"{dataset}_{target}_acc", f"{dataset}_test_acc", f"{dataset}_params_M",
            f"{dataset}_flops_M")


def split(n: int, train_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random (train, test) row positions: `train_size` rows, and all the rest."""
    if not 2 <= train_size < n:
        raise NarankError(f"train size must be between 2 and {n - 1} (the table has {n} cells), "
                          f"got {train_size}")
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[:train_size]), np.sort(perm[train_size:])


def labelled(table: BenchmarkTable, column: str) -> tuple[list, np.ndarray, list[str]]:
    """(cells, values, ids) of the rows with a finite value in `column`."""
    values = table.targets(column)
    keep = np.flatnonzero(np.isfinite(values))
    cells = table.cells()
    ids = table.ids
    return [cells[i] for i in keep], values[keep], [ids[i] for i in keep]


def evaluate_ranker(ranker: Ranker, table: BenchmarkTable, target: str = "valid",
                    exclude_ids: Sequence[str] | None = None) -> dict[str, float]:
    """Metrics of `ranker` on every labelled cell of `table` outside its training ids."""
    train_col, eval_col, _, _ = columns(ranker.space, ranker.dataset, target)
    cells, truth, ids = labelled(table, eval_col)
    excluded = set(ranker.manifest.get("train_ids", [])) | set(exclude_ids or ())
    keep = [i for i, cid in enumerate(ids) if cid not in excluded]
    if len(keep) < 2:
        raise NarankError("fewer than 2 held-out cells with ground truth: nothing to evaluate")
    test_cells = [cells[i] for i in keep]
    scores, tiers = ranker.predict(test_cells)
    true_tiers = ranker.true_tiers(table.targets(train_col, [ids[i] for i in keep]))
    return ranking_metrics(scores, truth[keep], tiers, true_tiers)


def baseline_metrics(table: BenchmarkTable, space: str, dataset: str, train_pos: np.ndarray,
                     test_pos: np.ndarray, seed: int, target: str = "valid") -> dict[str, dict]:
    """Random forest on one-hot ops, params-only and FLOPs-only on the same split."""
    train_col, eval_col, params_col, flops_col = columns(space, dataset, target)
    cells = table.cells()
    y_train = table.targets(train_col)[train_pos]
    truth = table.targets(eval_col)[test_pos]
    test_cells = [cells[i] for i in test_pos]
    out = {"random_forest": ranking_metrics(
        random_forest_scores([cells[i] for i in train_pos], y_train, test_cells, seed), truth)}
    for name, col in (("params", params_col), ("flops", flops_col)):
        if col in table.columns:
            values = table.targets(col)[test_pos]
            ok = np.isfinite(values)
            out[name] = ranking_metrics(values[ok], truth[ok])
    return out
