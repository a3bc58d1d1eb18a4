"""Image sets for the training evaluator: scikit-learn's digits, CIFAR python batches (through
`narank.images`) or a folder in torchvision's `ImageFolder` layout (one sub-folder per class).

The folder is read here with Pillow (a matplotlib dependency) rather than torchvision, because
PyPI's torchvision does not import beside the pinned CPU torch build this project uses."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from narank.errors import DataFileError

SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".webp", ".tif", ".tiff"}


def read_image_folder(root: str | Path, size: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(x float32 [n, 3, size, size] in 0..1, y int64 [n], class names) from root/<class>/<image>."""
    from PIL import Image, UnidentifiedImageError

    root = Path(root)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if len(classes) < 2:
        raise DataFileError(f"{root}: an image folder needs at least two class sub-folders "
                            f"(root/<class>/<image>), found {len(classes)}")
    xs, ys = [], []
    for label, name in enumerate(classes):
        files = sorted(f for f in (root / name).iterdir() if f.suffix.lower() in SUFFIXES)
        if not files:
            raise DataFileError(f"{root / name}: no images ({', '.join(sorted(SUFFIXES))})")
        for f in files:
            try:
                with Image.open(f) as img:
                    arr = np.asarray(img.convert("RGB").resize((size, size)), dtype=np.float32) / 255.0
            except (OSError, UnidentifiedImageError, ValueError) as exc:
                raise DataFileError(f"{f}: not a readable image ({exc}); remove it or fix it") from None
            xs.append(arr.transpose(2, 0, 1))
            ys.append(label)
    return np.stack(xs), np.array(ys, dtype=np.int64), classes


@lru_cache(maxsize=4)
def image_set(source: str, size: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(x normalised per channel, y, number of classes) of `source` at `size` x `size`."""
    path = Path(source)
    if source != "digits" and path.is_dir() and not any(path.glob("data_batch_*")):
        x, y, classes = read_image_folder(path, size)
        mean = x.mean(axis=(0, 2, 3), keepdims=True)
        std = x.std(axis=(0, 2, 3), keepdims=True) + 1e-6
        return ((x - mean) / std).astype(np.float32), y, len(classes)
    from narank.images import load_images

    x, y = load_images(source, None, size)
    return x, y, int(y.max()) + 1
