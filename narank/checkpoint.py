"""Checkpoint files: weights + a JSON-able manifest in one torch file, written atomically, checksummed.

The manifest stores `checksum`, a SHA-256 of everything else in the file (manifest included),
computed over the values rather than the bytes, so a file whose content was damaged without
breaking its zip framing (flipped bytes inside a tensor) is refused on load instead of giving
wrong predictions.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Any

from narank.atomic import atomic_write
from narank.errors import CheckpointError

FORMAT = "narank-ranker"
# 3: the manifest holds a `checksum` (required); 2: the Ranker's `params`; 1 (first shipped
# files): `config` + `train_config`. Files of versions 1-2 are checked when they hold a checksum.
FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
CHECKSUM_KEY = "checksum"


def _feed(h: Any, value: Any) -> None:
    """Feed a canonical encoding of a nested value (dicts, lists, tensors, scalars) into hash `h`."""
    import torch  # imported here: check_output_path must stay fast (no torch)

    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}:".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    elif isinstance(value, dict):
        h.update(f"D{len(value)}:".encode())
        for key in sorted(value, key=lambda k: (type(k).__name__, str(k))):
            _feed(h, key)
            _feed(h, value[key])
    elif isinstance(value, list | tuple):
        h.update(f"L{len(value)}:".encode())
        for item in value:
            _feed(h, item)
    elif isinstance(value, bytes):
        h.update(f"B{len(value)}:".encode() + value)
    else:  # str, int, float, bool, None
        text = repr(value)
        h.update(f"{type(value).__name__}{len(text)}:{text}".encode())


def payload_checksum(payload: dict[str, Any]) -> str:
    """SHA-256 of a checkpoint payload, ignoring the manifest's own `checksum` entry."""
    h = hashlib.sha256()
    manifest = {k: v for k, v in payload.get("manifest", {}).items() if k != CHECKSUM_KEY}
    _feed(h, {**payload, "manifest": manifest})
    return "sha256:" + h.hexdigest()


def check_output_path(path: str | os.PathLike, what: str = "output", flag: str = "--out") -> Path:
    """Refuse, before any work starts, an output path that cannot be written as a file.

    The path must not be a folder, and its nearest existing parent must be a writable folder
    (missing folders are created when the file is written).
    """
    path = Path(path)
    if str(path).strip() == "":
        raise CheckpointError(f"{flag} is empty: give a file path for the {what}")
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder; give a file path for the {what} with {flag} "
                              f"(e.g. {path / ('ranker.pt' if what == 'checkpoint' else 'out')})")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise CheckpointError(f"{path}: {parent} is not a folder; choose another {flag} path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CheckpointError(f"{path}: folder {parent} is not writable; choose another {flag} path")
    return path


def save_checkpoint(path: str | os.PathLike, manifest: dict[str, Any],
                    state: dict[str, Any]) -> Path:
    """Write {manifest, state} to `path` via a temp file + rename, so no half-written file remains."""
    path = check_output_path(path, "checkpoint")
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "manifest": dict(manifest), **state}
    payload["manifest"][CHECKSUM_KEY] = payload_checksum(payload)
    _write(path, payload)
    return path


def _write(path: Path, payload: dict[str, Any]) -> None:
    import torch

    atomic_write(path, lambda fh: torch.save(payload, fh))


def add_checksum(path: str | os.PathLike) -> str:
    """Store the checksum in an existing checkpoint's manifest, leaving every other value as it is.

    For files written before checksums existed (the shipped rankers); returns the checksum.
    """
    path = Path(path)
    payload = _read(path)
    payload["manifest"][CHECKSUM_KEY] = payload_checksum(payload)
    _write(path, payload)
    return payload["manifest"][CHECKSUM_KEY]


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found; pass a file written by "
                              "`narank train --out` or a shipped name (see `narank evaluate --help`)")
    import torch

    try:
        with warnings.catch_warnings():  # torch warns about foreign pickles before refusing them
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any failure to decode the file means a bad file
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0].split(". ")[0][:120]
        raise CheckpointError(f"{path}: corrupt or truncated checkpoint, or not a narank checkpoint "
                              f"({type(exc).__name__}: {detail}); re-train it or restore the file") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a narank ranker checkpoint (no '{FORMAT}' header); pass a "
                              "file written by `narank train --out`")
    if not isinstance(payload.get("manifest"), dict):
        raise CheckpointError(f"{path}: checkpoint lacks its 'manifest' section; re-train it")
    return payload


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read and verify a checkpoint; a CheckpointError says whether it is missing, corrupt or foreign."""
    path = Path(path)
    payload = _read(path)
    version = payload.get("format_version")
    if version not in READABLE_VERSIONS:
        raise CheckpointError(f"{path}: checkpoint format version {version} "
                              f"is not supported by this narank (reads {READABLE_VERSIONS}); "
                              "upgrade narank or re-train")
    for key in ("manifest", "model"):
        if key not in payload:
            raise CheckpointError(f"{path}: checkpoint lacks its '{key}' section; re-train it")
    stored = payload["manifest"].get(CHECKSUM_KEY)
    if stored is None and version >= 3:
        raise CheckpointError(f"{path}: checkpoint has no checksum; the file was altered, re-train it "
                              "or restore the file")
    if stored is not None and stored != payload_checksum(payload):
        raise CheckpointError(f"{path}: checkpoint is corrupt: its content does not match the checksum "
                              "stored when it was written; re-train it or restore the file")
    return payload
