"""Rankers for the commands that load one (`rank`, `evaluate`, `sample`): the shipped manifest read
without torch, and a check that a checkpoint's manifest and weights belong together."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from narank.errors import CheckpointError

FIRST_LAYER = "encoder.embed.weight"  # (dim, graph input width) in every encoder


def shipped() -> dict[str, dict[str, Any]]:
    """The shipped rankers' manifest (read directly: narank.pretrained imports torch)."""
    import narank

    manifest = Path(narank.__file__).parent / "checkpoints" / "manifest.json"
    return json.loads(manifest.read_text()) if manifest.is_file() else {}


def check_width(path: str | os.PathLike) -> None:
    """Refuse a checkpoint whose manifest's space and node features give a graph input width other
    than the one its first layer expects (a manifest edited or copied onto other weights): loading it
    would fail with a torch shape error, or rank cells of one space with a network of another."""
    from narank.checkpoint import load_checkpoint
    from narank.errors import NarankError
    from narank.graphs import node_dim

    payload = load_checkpoint(path)
    manifest, weights = payload["manifest"], payload["model"]
    first = weights.get(FIRST_LAYER) if isinstance(weights, dict) else None
    if first is None or getattr(first, "ndim", 0) != 2:
        return  # not a layout this check knows; Ranker.load reports what is wrong
    try:
        features = tuple(manifest["node_features"])
        expected = node_dim(features, manifest["space"])
    except (KeyError, TypeError, NarankError):
        return  # an unknown space or feature: Ranker.load names it
    found = int(first.shape[1])
    if found != expected:
        raise CheckpointError(
            f"{path}: its manifest says space {manifest['space']!r} with node features {list(features)} "
            f"(graph input width {expected}), but its weights expect width {found}: the manifest and the "
            "weights do not belong together; re-train it or restore the file")


def load_ranker(pretrained: str | None, checkpoint: str | os.PathLike | None) -> Any:
    """A shipped ranker by name, or a checkpoint file after `check_width`."""
    from narank.predictor import Ranker
    from narank.pretrained import load_pretrained

    if pretrained is not None:
        return load_pretrained(pretrained)
    check_width(checkpoint)
    return Ranker.load(checkpoint)
