"""Checkpoint files: weights + a JSON-able manifest in one torch file, written atomically."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch

from narank.errors import CheckpointError

FORMAT = "narank-ranker"
# 2: the manifest holds the Ranker's `params`; 1 (the shipped files): `config` + `train_config`.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)


def save_checkpoint(path: str | os.PathLike, manifest: dict[str, Any],
                    state: dict[str, Any]) -> Path:
    """Write {manifest, state} to `path` via a temp file + rename, so no half-written file remains."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "manifest": manifest, **state}
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save(payload, tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a checkpoint is an ordinary file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint, raising CheckpointError that says whether it is missing, corrupt or foreign."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found; pass a file written by "
                              "`narank train --out` or a shipped name (see `narank evaluate --help`)")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (zipfile.BadZipFile, EOFError, RuntimeError, OSError, ValueError) as exc:
        detail = (str(exc).split(".")[0] or type(exc).__name__)[:120]
        raise CheckpointError(f"{path}: corrupt or truncated checkpoint ({detail}); "
                              "re-train it or restore the file") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a narank ranker checkpoint (no '{FORMAT}' header)")
    if payload.get("format_version") not in READABLE_VERSIONS:
        raise CheckpointError(f"{path}: checkpoint format version {payload.get('format_version')} "
                              f"is not supported by this narank (reads {READABLE_VERSIONS}); "
                              "upgrade narank or re-train")
    for key in ("manifest", "model"):
        if key not in payload:
            raise CheckpointError(f"{path}: checkpoint lacks its '{key}' section; re-train it")
    return payload
