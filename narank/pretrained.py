"""Shipped pretrained rankers: `load_pretrained(name)` works with no benchmark data at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from narank.errors import CheckpointError

if TYPE_CHECKING:
    from narank.predictor import Ranker

CHECKPOINT_DIR = Path(__file__).parent / "checkpoints"
MANIFEST = CHECKPOINT_DIR / "manifest.json"


def available() -> dict[str, dict]:
    """Shipped checkpoint names -> their summary (space, dataset, metrics, file)."""
    if not MANIFEST.is_file():
        return {}
    return json.loads(MANIFEST.read_text())


def list_pretrained() -> list[str]:
    """Names of the shipped rankers, for `load_pretrained`."""
    return sorted(available())


def pretrained_path(name: str) -> Path:
    """Path of a shipped checkpoint, or an error listing the names that exist."""
    names = available()
    if name not in names:
        raise CheckpointError(f"no pretrained ranker named {name!r}; available: "
                              f"{', '.join(sorted(names)) or 'none (run benchmarks/train_shipped.py)'}")
    return CHECKPOINT_DIR / names[name]["file"]


def load_pretrained(name: str) -> Ranker:
    """Load a shipped ranker, e.g. `load_pretrained("nb201-cifar100")`."""
    from narank.predictor import Ranker  # here: listing the shipped rankers needs no torch

    return Ranker.load(pretrained_path(name))
