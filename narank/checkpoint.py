"""Checkpoint files: weights + a JSON-able manifest in one torch file, written atomically, checksummed.

The manifest stores `checksum`, a SHA-256 of everything else in the file (manifest included),
computed over the values rather than the bytes, so a file whose content was damaged without
breaking its zip framing (flipped bytes inside a tensor) is refused on load instead of giving
wrong predictions.

Resumable state (one-shot search, EZNAS evolution, ask/tell search) goes through `save_state` /
`load_state`: one versioned, checksummed envelope, as a torch file or as JSON.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from narank.atomic import atomic_write, atomic_write_bytes
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


def _digest(value: Any) -> str:
    """'sha256:<hex>' of a nested value's canonical encoding (`_feed`): equal values, equal digests."""
    h = hashlib.sha256()
    _feed(h, value)
    return "sha256:" + h.hexdigest()


def _json_digest(value: Any) -> str:
    """'sha256:<hex>' of plain data as canonical JSON (keys sorted): the checksum of text state files."""
    return "sha256:" + hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def payload_checksum(payload: dict[str, Any]) -> str:
    """SHA-256 of a checkpoint payload, ignoring the manifest's own `checksum` entry."""
    manifest = {k: v for k, v in payload.get("manifest", {}).items() if k != CHECKSUM_KEY}
    return _digest({**payload, "manifest": manifest})


def _detail(exc: BaseException) -> str:
    """The first sentence of an exception's message, short enough for a one-line error."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].split(". ")[0][:120]


def _exists(path: Path, flag: str) -> bool:
    try:
        return path.exists()
    except OSError as exc:  # e.g. a folder on the way that this user may not enter
        raise CheckpointError(f"{path}: cannot be reached ({exc.strerror}); "
                              f"choose another {flag} path") from None


def _writable_ancestor(path: Path, flag: str, target: Path) -> Path:
    """The nearest existing folder at or above `path`, after creating (and removing) a file in it;
    errors name `target`, the output path given.

    A real write is the only test that holds for root (which passes `os.access` everywhere) and
    for read-only mounts; missing folders below it are created when the output is written.
    """
    folder = path
    while not _exists(folder, flag) and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CheckpointError(f"{target}: {folder} is not a folder; choose another {flag} path")
    try:
        fd, probe = tempfile.mkstemp(prefix=".narank-probe-", dir=folder)
    except OSError as exc:
        raise CheckpointError(f"{target}: folder {folder} is not writable ({exc.strerror or exc}); "
                              f"choose another {flag} path") from None
    os.close(fd)
    os.unlink(probe)
    return folder


def check_output_path(path: str | os.PathLike, what: str = "output", flag: str = "--out") -> Path:
    """Refuse, before any work starts, an output path that cannot be written as a file.

    The path must not name a folder (an existing one, or a path ending in '/') or an existing
    non-file (a device: an atomic write would replace it), and its nearest existing parent must
    be a folder where a file can be created (missing folders are created when the file is written).
    """
    raw = os.fspath(path)
    path = Path(path)
    if str(raw).strip() == "":
        raise CheckpointError(f"{flag} is empty: give a file path for the {what}")
    example = "ranker.pt" if what == "checkpoint" else "out"
    if path.is_dir() or str(raw).endswith(("/", os.sep)):
        kind = "is a folder" if path.is_dir() else "ends with '/', so it names a folder"
        raise CheckpointError(f"{raw} {kind}; give a file path for the {what} with {flag} "
                              f"(e.g. {path / example})")
    if _exists(path, flag) and not path.is_file():
        raise CheckpointError(f"{path} exists and is not a regular file; give a file path for the {what} "
                              f"with {flag}")
    _writable_ancestor(path.parent, flag, path)
    return path


def check_output_dir(path: str | os.PathLike, what: str = "output", flag: str = "--out") -> Path:
    """Refuse, before any work starts, a folder path that cannot be used for output: an existing
    file, a path below a file, or a place where no file can be created."""
    if str(os.fspath(path)).strip() == "":
        raise CheckpointError(f"{flag} is empty: give a folder path for the {what}")
    path = Path(path)
    if _exists(path, flag) and not path.is_dir():
        raise CheckpointError(f"{path} is a file, not a folder; give a folder path for the {what} "
                              f"with {flag}")
    _writable_ancestor(path, flag, path)
    return path


@contextlib.contextmanager
def output_lock(path: str | os.PathLike, flag: str = "--out") -> Iterator[Path]:
    """Hold an exclusive lock on output `path` (via the file `<path>.lock` next to it) while a
    command writes it, so that a second command writing the same file is refused at once instead
    of both overwriting it in turn. Released (and the lock file removed) on exit, error or not;
    the OS releases it when the process dies."""
    import fcntl

    path = Path(path)
    lock = path.with_name(path.name + ".lock")
    try:
        made = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
        lock.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode(errors="replace").strip()
                os.close(fd)
                raise CheckpointError(
                    f"{path} is being written by another narank process"
                    f"{f' (pid {holder})' if holder.isdigit() else ''}, which holds {lock}; wait for it "
                    f"to finish or choose another {flag} path") from None
            try:  # a releasing holder removes the file: then lock the new one instead
                current = os.stat(lock).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                current = False
            if current:
                break
            os.close(fd)
    except OSError as exc:
        raise CheckpointError(f"{lock}: cannot create the lock file ({exc.strerror or exc}); "
                              f"choose another {flag} path") from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield path
    finally:
        lock.unlink(missing_ok=True)  # while still locked, so no other process can hold this file
        os.close(fd)
        for folder in made:  # folders made only for the lock go again if nothing was written
            try:
                folder.rmdir()
            except OSError:
                break


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
        detail = f"{type(exc).__name__}: {_detail(exc)}"
        raise CheckpointError(f"{path}: corrupt or truncated checkpoint, or not a narank checkpoint "
                              f"({detail}); re-train it or restore the file") from exc
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
    bad = _first_non_finite(payload["model"])
    if bad is not None:
        raise CheckpointError(f"{path}: weight {bad} holds NaN or infinite values (the training diverged, or "
                              "the file was altered): its predictions would be meaningless; re-train it, "
                              "e.g. with a smaller --lr")
    return payload


def _first_non_finite(value: Any, name: str = "") -> str | None:
    """Name of the first floating tensor (or float) in a nested state with a NaN or inf, else None."""
    import torch

    if isinstance(value, torch.Tensor):
        if value.is_floating_point() or value.is_complex():
            return None if bool(torch.isfinite(value).all()) else (name or "tensor")
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (name or "value")
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _first_non_finite(item, f"{name}.{key}" if name else str(key))
        if found is not None:
            return found
    return None


# ---------------------------------------------------------------- resumable state files
# One envelope for every resumable state: {"format": kind, "format_version": n, "checksum": ...,
# "state": {...}}. A file of `kind` written before the envelope holds its state at the top, with a
# "format" key and no "format_version": it reads as version 0, unchecked.


def save_state(path: str | os.PathLike, kind: str, version: int, state: dict[str, Any], *,
               text: bool = False) -> Path:
    """Write `state` as version `version` of format `kind`, checksummed, atomically: a torch file
    (tensors and plain data, read back with weights_only) or, with `text`, indented JSON (plain data)."""
    path = Path(path)
    envelope = {"format": kind, "format_version": version, "state": state}
    if text:
        plain = json.loads(json.dumps(envelope))  # what a reader gets back: tuples as lists, keys as str
        payload = {"format": kind, "format_version": version, CHECKSUM_KEY: _json_digest(plain),
                   "state": state}
        return atomic_write_bytes(path, json.dumps(payload, indent=1).encode())
    import torch

    payload = {"format": kind, "format_version": version, CHECKSUM_KEY: _digest(envelope), "state": state}
    return atomic_write(path, lambda fh: torch.save(payload, fh))


def _read_state_file(path: Path, kind: str) -> tuple[Any, bool]:
    """(the decoded content of a state file, whether it is JSON); a CheckpointError if unreadable."""
    try:
        with open(path, "rb") as fh:
            text = fh.read(64).lstrip()[:1] in (b"{", b"[")  # JSON; torch files start "PK" or a pickle
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such {kind} file; check the path") from None
    except OSError as exc:  # a folder, no permission, ...
        raise CheckpointError(f"{path}: cannot be read ({exc.strerror or exc}); check the path") from None
    try:
        if text:
            return json.loads(path.read_text(encoding="utf-8")), True
        import torch

        with warnings.catch_warnings():  # torch warns about foreign pickles before refusing them
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True), False
    except Exception as exc:  # any failure to decode the file means a bad file
        raise CheckpointError(f"{path}: corrupt or truncated {kind} file ({type(exc).__name__}: "
                              f"{_detail(exc)}); restore it, or delete it to start over") from exc


def load_state(path: str | os.PathLike, kind: str, versions: Iterable[int]) -> tuple[int, dict[str, Any]]:
    """(version, state) of a file written by `save_state` with this `kind` and one of `versions`
    (JSON or torch, told by its content); list 0 to read the state files of before the envelope.

    A missing, truncated, foreign, altered or too-new file is a one-line CheckpointError saying so."""
    path = Path(path)
    versions = tuple(versions)
    payload, text = _read_state_file(path, kind)
    found = payload.get("format") if isinstance(payload, dict) else None
    if found != kind:
        what = f"it is a {found} file" if isinstance(found, str) else "it has no narank format header"
        raise CheckpointError(f"{path}: not a {kind} file ({what}); check the path, or delete it to "
                              "start over")
    if "format_version" not in payload:  # written before the envelope: the state itself
        version, state = 0, payload
    else:
        version, state = payload["format_version"], payload.get("state")
    if version not in versions:
        reads = ", ".join(map(str, versions))
        if isinstance(version, int) and versions and version > max(versions):
            raise CheckpointError(f"{path}: {kind} format version {version} was written by a newer narank "
                                  f"(this one reads {reads}); upgrade narank, or delete it to start over")
        raise CheckpointError(f"{path}: {kind} format version {version!r} is not read by this narank "
                              f"(it reads {reads}); delete it to start over")
    if "format_version" in payload:
        body = {k: v for k, v in payload.items() if k != CHECKSUM_KEY}
        if payload.get(CHECKSUM_KEY) != (_json_digest(body) if text else _digest(body)):
            raise CheckpointError(f"{path}: {kind} file does not match the checksum stored when it was "
                                  "written (altered or damaged); restore it, or delete it to start over")
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: {kind} file holds no state; delete it to start over")
    return version, state
