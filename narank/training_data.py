"""Training defaults and training-set preparation (torch-free, so CLI help stays fast).

The constants here are the one source of the project's defaults: `Ranker`'s signature, the
training settings of `narank.train.default_train_config` and `narank train`'s help all read
them. `split` and `labelled` prepare a training set from a benchmark table; which columns a
space/dataset uses comes from `get_space(space).columns(dataset, target)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from narank.errors import NarankError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from narank.benchmarks import BenchmarkTable

ENCODERS = ("gps", "transformer", "gin")
DEFAULT_NODE_FEATURES = ("flops", "params")
#: graph-level features: "auto" = every one the space offers (graf, params, flops, sed)
DEFAULT_GRAPH_FEATURES = "auto"
#: the tabular half blended with the GNN's score (`narank.model.tabular`); None = GNN only
DEFAULT_TABULAR: str | None = "xgb"
TABULAR_HEADS = ("xgb",)
DEFAULT_ENCODER = "gin"
DEFAULT_DIM = 64
DEFAULT_LAYERS = 3
DEFAULT_HEADS = 4
DEFAULT_DROPOUT = 0.0
DEFAULT_TIERS = 5
DEFAULT_LR = 2e-3
DEFAULT_WEIGHT_DECAY = 1e-4
# Up to SMALL_TRAIN labelled cells train (epochs, batch) = SMALL; above, LARGE: fewer, larger steps.
SMALL_TRAIN = 1000
SMALL = (300, 128)
LARGE = (150, 256)
# Checkpoint path of `narank train` / train_predictor.py when --out is not given (train_ranker fills
# the placeholders): the top-level checkpoints/ folder of the working directory (see checkpoints/README.md).
DEFAULT_OUT = "checkpoints/{space}-{dataset}-n{n_train}-s{seed}.pt"


def default_epochs_batch(n_train: int) -> tuple[int, int]:
    """(epochs, batch size) the project trains `n_train` labelled cells with."""
    return LARGE if n_train > SMALL_TRAIN else SMALL


def describe_defaults() -> dict[str, str]:
    """Human-readable project defaults of epochs, batch size and lam (for help texts)."""
    from narank.spaces import get_space, space_names

    return {"epochs": f"{SMALL[0]} up to {SMALL_TRAIN:,} training cells, {LARGE[0]} above",
            "batch_size": f"{SMALL[1]} up to {SMALL_TRAIN:,} training cells, {LARGE[1]} above",
            "lam": "the space's NAR weight, " + ", ".join(
                f"{s} {get_space(s).nar_lambda:g}" for s in space_names())}


def check_train_size(train_size: int) -> int:
    """Refuse an impossible training-set size before any data is read (the table bounds it later)."""
    if isinstance(train_size, bool) or not isinstance(train_size, int | np.integer) or train_size < 2:
        raise NarankError(f"train size must be an integer >= 2 (labelled training cells), got "
                          f"{train_size!r}; leave it unset for the space's default")
    return int(train_size)


def split(n: int, train_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random (train, test) row positions: `train_size` rows, and all the rest."""
    if not 2 <= train_size < n:
        raise NarankError(f"train size must be between 2 and {n - 1} (the table has {n} cells), "
                          f"got {train_size}")
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[:train_size]), np.sort(perm[train_size:])


def labelled(table: BenchmarkTable, column: str) -> tuple[list, np.ndarray, list[str]]:
    """(cells, values, ids) of the rows with a finite value in `column`, in table order."""
    values = table.targets(column)
    keep = np.flatnonzero(np.isfinite(values))
    cells = table.cells()
    ids = table.ids
    return [cells[i] for i in keep], values[keep], [ids[i] for i in keep]
