"""EZNAS files that hold numbers only: statistic pools as `.npz` archives (read with
`allow_pickle=False`) whose structure is one JSON header, evolution checkpoints as state files of
`narank.checkpoint` (torch, read with weights_only). Nothing read here can run code, so a run folder
from anywhere is safe to resume."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from narank.atomic import atomic_write
from narank.checkpoint import load_state, save_state
from narank.errors import CheckpointError, NarankError
from narank.eznas.stats import NetworkStats, Packed

POOL_FORMAT = "narank-eznas-pool/1"
CHECKPOINT_FORMAT = "narank-eznas-checkpoint/1"
CHECKPOINT_VERSION = 1  # 1: a torch file in narank.checkpoint's envelope; 0: an .npz with a JSON header


class StateFileError(NarankError):
    """An EZNAS pool or checkpoint file that cannot be read (damaged, foreign or a pickle)."""


def refuse_pickles(folder: Path) -> None:
    """A StateFileError when `folder` holds pickles of an older narank: they are never unpickled."""
    if not folder.is_dir():
        return
    found = sorted(p.name for p in folder.glob("*.pkl"))
    if found:
        raise StateFileError(
            f"{folder} holds pickle files ({', '.join(found[:3])}) from an older narank; pickles can run "
            "code and are not read: delete them or use another --run-dir"
        )


def _write_npz(path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> Path:
    buffer = io.BytesIO()
    np.savez(buffer, header=np.array(json.dumps(header)), **arrays)
    return atomic_write(path, lambda fh: fh.write(buffer.getbuffer()))


def _read_npz(path: str | os.PathLike, fmt: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        header = json.loads(str(arrays.pop("header")))
    except FileNotFoundError:
        raise StateFileError(f"{path}: no such file") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise StateFileError(
            f"{path}: not a readable narank EZNAS file ({exc}); delete it to recompute"
        ) from None
    if not isinstance(header, dict) or header.get("format") != fmt:
        raise StateFileError(f"{path}: not a {fmt} file; delete it to recompute")
    return header, arrays


def save_pool_file(path: Path, stats: list[NetworkStats], meta: dict[str, Any]) -> Path:
    """All tensors of a pool in one float16 array, with offsets, shapes and scales beside it."""
    names: list[str] = []
    name_ids: dict[str, int] = {}
    rows: list[tuple[int, int]] = []  # (block index over the pool, tensor name id)
    shapes: list[tuple[int, ...]] = []
    scales: list[float] = []
    values: list[np.ndarray] = []
    blocks_per_net = []
    block = 0
    for net in stats:
        blocks_per_net.append(len(net.blocks))
        for tensors in net.blocks:
            for name, packed in tensors.items():
                if name not in name_ids:
                    name_ids[name] = len(names)
                    names.append(name)
                rows.append((block, name_ids[name]))
                shapes.append(tuple(packed.values.shape))
                scales.append(packed.scale)
                values.append(np.asarray(packed.values, dtype=np.float16).ravel())
            block += 1
    ndim = max((len(s) for s in shapes), default=0)
    shape_arr = np.full((len(shapes), ndim), -1, dtype=np.int64)
    for i, s in enumerate(shapes):
        shape_arr[i, : len(s)] = s
    sizes = np.array([v.size for v in values], dtype=np.int64)
    header = {"format": POOL_FORMAT, "meta": meta, "names": names, "info": [net.info for net in stats]}
    arrays = {
        "blocks_per_net": np.array(blocks_per_net, dtype=np.int64),
        "seconds": np.array([net.seconds for net in stats], dtype=np.float64),
        "rows": np.array(rows, dtype=np.int64).reshape(-1, 2),
        "shapes": shape_arr,
        "scales": np.array(scales, dtype=np.float32),
        "offsets": np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        "values": np.concatenate(values) if values else np.zeros(0, np.float16),
    }
    return _write_npz(path, header, arrays)


def read_pool_header(path: str | os.PathLike) -> dict[str, Any]:
    return _read_npz(path, POOL_FORMAT)[0]


def load_pool_file(path: str | os.PathLike) -> tuple[list[NetworkStats], dict[str, Any]]:
    """(the pool's statistics, its metadata) as `save_pool_file` wrote them."""
    header, a = _read_npz(path, POOL_FORMAT)
    try:
        names, offsets, values = header["names"], a["offsets"], a["values"]
        blocks: list[dict[str, Packed]] = [{} for _ in range(int(a["blocks_per_net"].sum()))]
        for i, (block, name_id) in enumerate(a["rows"]):
            shape = tuple(int(d) for d in a["shapes"][i] if d >= 0)
            flat = values[offsets[i] : offsets[i + 1]]
            blocks[int(block)][names[int(name_id)]] = Packed(flat.reshape(shape), float(a["scales"][i]))
        stats, start = [], 0
        for n, (count, seconds) in enumerate(zip(a["blocks_per_net"], a["seconds"])):
            stats.append(NetworkStats(blocks[start : start + int(count)], float(seconds), header["info"][n]))
            start += int(count)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise StateFileError(f"{path}: a damaged EZNAS pool file ({exc}); delete it to recompute") from None
    return stats, header["meta"]


def save_checkpoint(path: Path, state: dict[str, Any], caches: dict[str, dict[str, np.ndarray]]) -> Path:
    """Plain-data state and score caches (formula -> scores, one float64 matrix per cache), as a
    versioned, checksummed torch file (`narank.checkpoint.save_state`, read with weights_only)."""
    import torch

    tables = {}
    for name, cache in caches.items():
        scores = np.array([cache[f] for f in cache], dtype=np.float64).reshape(len(cache), -1) if cache \
            else np.zeros((0, 0))
        tables[name] = {"formulas": list(cache), "scores": torch.from_numpy(scores)}
    plain = json.loads(json.dumps(state))  # plain data only, as the .npz header of version 0 held it
    return save_state(path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, {"state": plain, "caches": tables})


def _is_npz(path: Path) -> bool:
    """Whether `path` is an `.npz` archive: an evolution checkpoint of version 0 (before the envelope)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "header.npy" in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def load_checkpoint(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, np.ndarray]]]:
    """(state, caches) as `save_checkpoint` wrote them; a version-0 `.npz` checkpoint reads as before."""
    try:
        if _is_npz(path):
            header, a = _read_npz(path, CHECKPOINT_FORMAT)
            caches = {k: dict(zip(formulas, a[f"cache_{k}"])) for k, formulas in header["caches"].items()}
            return header["state"], caches
        try:
            _, saved = load_state(path, CHECKPOINT_FORMAT, (CHECKPOINT_VERSION,))
        except CheckpointError as exc:
            raise StateFileError(str(exc)) from None
        caches = {k: dict(zip(t["formulas"], t["scores"].numpy())) for k, t in saved["caches"].items()}
        return saved["state"], caches
    except (KeyError, TypeError, AttributeError) as exc:
        raise StateFileError(f"{path}: a damaged EZNAS checkpoint ({exc!r}); delete it to start over"
                             ) from None
