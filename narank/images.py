"""Small real image sets for searches and proxies: scikit-learn's digits, or CIFAR-10 python batches.

`load_images(source, n, size, seed) -> (x, y)`: x float32 [n, 3, size, size] normalised per channel,
y int64 [n]. "digits" is scikit-learn's bundled set (1,797 8x8 grey images of 10 digits, no download),
resized bilinearly and replicated to 3 channels; a path reads the standard CIFAR-10 python batches.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from narank.errors import DataFileError, NarankError

CIFAR_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
_ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}


class _BatchUnpickler(pickle.Unpickler):
    """Unpickler that builds only numpy arrays and builtins: a CIFAR batch needs nothing else."""

    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from an image batch")


def read_cifar_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 python batch (pickled dict: b'data' uint8 [N, 3072], b'labels') -> (x [N,3,32,32], y)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            batch = _BatchUnpickler(io.BytesIO(fh.read()), encoding="bytes").load()
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
        raise DataFileError(f"{path}: not a readable CIFAR-10 python batch ({exc})") from exc
    if not isinstance(batch, dict):
        raise DataFileError(f"{path}: a CIFAR-10 batch is a pickled dict, got {type(batch).__name__}")
    batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or not ("labels" in batch or "fine_labels" in batch):
        raise DataFileError(f"{path}: a CIFAR-10 batch needs b'data' and b'labels'; found {sorted(batch)}")
    data = np.asarray(batch["data"])
    labels = np.asarray(batch.get("labels", batch.get("fine_labels")), dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or data.dtype != np.uint8 or len(labels) != len(data):
        raise DataFileError(f"{path}: b'data' must be uint8 [N, 3072] with N labels; got {data.dtype} "
                            f"{list(data.shape)} and {len(labels)} labels")
    return data.reshape(-1, 3, 32, 32), labels


def _cifar(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A batch file, or a folder with data_batch_1..5 (the training batches that are present)."""
    if path.is_dir():
        files = [path / name for name in CIFAR_BATCHES if (path / name).is_file()]
        if not files:
            raise DataFileError(f"{path}: no CIFAR-10 python batches (data_batch_1 ... data_batch_5) here")
    elif path.is_file():
        files = [path]
    else:
        raise DataFileError(f"{path}: no such file or folder of CIFAR-10 python batches")
    parts = [read_cifar_batch(f) for f in files]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as [N, 3, 8, 8] in 0..1 (grey replicated to 3 channels)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0)[:, None]
    return np.repeat(x, 3, axis=1), d.target.astype(np.int64)


def load_images(source: str | Path = "digits", n: int | None = None, size: int = 32,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(x float32 [n, 3, size, size] normalised per channel, y int64 [n]); n images drawn by `seed`."""
    if size < 1:
        raise NarankError(f"image size must be at least 1, got {size}")
    if str(source) == "digits":
        x, y = _digits()
    else:
        x, y = _cifar(Path(source))
    if n is not None:
        if n < 1:
            raise NarankError(f"number of images must be at least 1, got {n}")
        if n > len(x):
            raise NarankError(f"asked for {n} images but {source} holds {len(x)}")
        pick = np.sort(np.random.default_rng(seed).permutation(len(x))[:n])
        x, y = x[pick], y[pick]
    x = x.astype(np.float32)
    if x.max() > 1.0:
        x /= 255.0
    if x.shape[-1] != size:
        import torch
        import torch.nn.functional as F

        x = F.interpolate(torch.from_numpy(x), size=(size, size), mode="bilinear",
                          align_corners=False).numpy()
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    std = x.std(axis=(0, 2, 3), keepdims=True) + 1e-6
    return np.ascontiguousarray((x - mean) / std, dtype=np.float32), y
