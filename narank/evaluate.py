"""Held-out evaluation: a ranker's metrics on the cells it never saw, and the baselines' on a split.

Training-set preparation (`split`, `labelled`) lives in `narank.training_data`; which columns a
space/dataset uses comes from `get_space(space).columns(dataset, target)`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from narank.baselines import random_forest_scores
from narank.benchmarks import BenchmarkTable
from narank.errors import NarankError
from narank.metrics import ranking_metrics
from narank.spaces import get_space
from narank.training_data import labelled

if TYPE_CHECKING:  # pragma: no cover - typing only
    from narank.predictor import Ranker


def evaluate_ranker(ranker: Ranker, table: BenchmarkTable, target: str = "valid",
                    exclude_ids: Sequence[str] | None = None, columns: Any = None) -> dict[str, float]:
    """Metrics of `ranker` on every labelled cell of `table` outside its training ids (`columns`
    names the columns of a user's own table; default: the space's)."""
    cols = columns or get_space(ranker.space).columns(ranker.dataset, target)
    cells, truth, ids = labelled(table, cols.evaluate)
    excluded = set(ranker.manifest.get("train_ids", [])) | set(exclude_ids or ())
    keep = [i for i, cid in enumerate(ids) if cid not in excluded]
    if len(keep) < 2:
        raise NarankError("fewer than 2 held-out cells with ground truth: nothing to evaluate")
    scores, tiers = ranker.rank([cells[i] for i in keep])
    true_tiers = ranker.true_tiers(table.targets(cols.train, [ids[i] for i in keep]))
    return ranking_metrics(scores, truth[keep], tiers, true_tiers)


def evaluate_saved(checkpoint: str | os.PathLike | None = None, pretrained: str | None = None,
                   space: str | None = None, dataset: str | None = None,
                   data: str | os.PathLike | None = None, table: Any = None,
                   label_column: str | None = None, device: str = "cpu") -> tuple[Ranker, dict[str, Any]]:
    """Load a checkpoint file or a shipped ranker, check its space/dataset, judge it on held-out cells
    (of the space's table, or of a user's `table` with its `label_column`) on `device`.

    Returns (ranker, {space, dataset, **metrics}); the target column is the one it was trained on.
    """
    from narank.predictor import Ranker
    from narank.pretrained import load_pretrained

    if (checkpoint is None) == (pretrained is None):
        raise NarankError("give exactly one of a checkpoint file or a pretrained ranker name")
    ranker = load_pretrained(pretrained) if pretrained is not None else Ranker.load(checkpoint)
    ranker.set_params(device=device)
    if space is not None and get_space(space).name != ranker.space:
        raise NarankError(f"this ranker is for space {ranker.space!r}, not {space!r}")
    if dataset is not None and get_space(ranker.space).dataset(dataset) != ranker.dataset:
        raise NarankError(f"this ranker is for dataset {ranker.dataset!r}, not {dataset!r}")
    columns = None
    if table is None:
        table = get_space(ranker.space).table(data)
    else:
        from narank.spaces import TableColumns

        if table.space.name != ranker.space:
            raise NarankError(f"the table is of space {table.space.name!r}, the ranker of {ranker.space!r}")
        columns = TableColumns(label_column, label_column, "params_M", None)
    metrics = evaluate_ranker(ranker, table, ranker.manifest.get("target", "valid"), columns=columns)
    return ranker, {"space": ranker.space, "dataset": ranker.dataset, **metrics}


def baseline_metrics(table: BenchmarkTable, space: str, dataset: str, train_pos: np.ndarray,
                     test_pos: np.ndarray, seed: int, target: str = "valid") -> dict[str, dict]:
    """Random forest on one-hot ops, params-only and FLOPs-only on the same split."""
    cols = get_space(space).columns(dataset, target)
    cells = table.cells()
    y_train = table.targets(cols.train)[train_pos]
    truth = table.targets(cols.evaluate)[test_pos]
    test_cells = [cells[i] for i in test_pos]
    out = {"random_forest": ranking_metrics(
        random_forest_scores([cells[i] for i in train_pos], y_train, test_cells, seed), truth)}
    for name, col in (("params", cols.params), ("flops", cols.flops)):
        if col is not None and col in table.columns:
            values = table.targets(col)[test_pos]
            ok = np.isfinite(values)
            out[name] = ranking_metrics(values[ok], truth[ok])
    return out
