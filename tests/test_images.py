"""narank.images: scikit-learn digits and the CIFAR-10 python batch reader."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from narank.errors import DataFileError, NarankError
from narank.images import load_images, read_cifar_batch


def _write_batch(path, n: int = 6, seed: int = 0) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = [int(v) for v in rng.integers(0, 10, size=n)]
    with open(path, "wb") as fh:
        pickle.dump({b"batch_label": b"training batch 1 of 5", b"labels": labels, b"data": data,
                     b"filenames": [b"x.png"] * n}, fh)
    return data, labels


def test_cifar_batch_reader(tmp_path):
    data, labels = _write_batch(tmp_path / "data_batch_1")
    x, y = read_cifar_batch(tmp_path / "data_batch_1")
    assert x.shape == (6, 3, 32, 32) and x.dtype == np.uint8
    np.testing.assert_array_equal(x[2, 1].ravel(), data[2, 1024:2048])  # channel-major rows, as CIFAR stores
    assert y.tolist() == labels
    _write_batch(tmp_path / "data_batch_2", n=4, seed=1)
    xs, ys = load_images(tmp_path, size=16)  # a folder: every data_batch_k present
    assert xs.shape == (10, 3, 16, 16) and xs.dtype == np.float32 and ys.shape == (10,)
    np.testing.assert_allclose(xs.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    x1, _ = load_images(tmp_path / "data_batch_1", n=3, size=32, seed=0)
    assert x1.shape == (3, 3, 32, 32)


def test_cifar_reader_refuses_bad_files(tmp_path):
    (tmp_path / "junk").write_bytes(b"not a pickle")
    with pytest.raises(DataFileError):
        read_cifar_batch(tmp_path / "junk")
    with open(tmp_path / "nodata", "wb") as fh:
        pickle.dump({b"labels": [1]}, fh)
    with pytest.raises(DataFileError, match="data"):
        read_cifar_batch(tmp_path / "nodata")
    with open(tmp_path / "evil", "wb") as fh:
        pickle.dump({b"data": np.zeros((1, 3072), np.uint8), b"labels": [0], b"x": pickle.Pickler}, fh)
    with pytest.raises(DataFileError, match="refusing"):
        read_cifar_batch(tmp_path / "evil")
    with pytest.raises(DataFileError, match="no such file"):
        load_images(tmp_path / "empty_dir_missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFileError, match="no CIFAR"):
        load_images(tmp_path / "empty")


def test_digits_resized_to_three_channels():
    x, y = load_images("digits", n=20, size=16, seed=0)
    assert x.shape == (20, 3, 16, 16) and y.shape == (20,) and set(y) <= set(range(10))
    np.testing.assert_allclose(x[:, 0], x[:, 1])  # grey replicated
    x2, y2 = load_images("digits", n=20, size=16, seed=0)
    np.testing.assert_array_equal(x, x2)
    assert len(load_images("digits", size=8)[0]) == 1797
    with pytest.raises(NarankError):
        load_images("digits", n=5000)
