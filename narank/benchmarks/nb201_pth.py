"""Read the official `NAS-Bench-201-v1_1-096897.pth` through `nas_201_api` (extra narank[nb201])."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pandas as pd

from narank.errors import DataFileError, NarankError

# (our dataset name, API dataset for validation acc, API dataset for test acc)
_DATASETS = (
    ("cifar10", "cifar10-valid", "cifar10"),
    ("cifar100", "cifar100", "cifar100"),
    ("imagenet16_120", "ImageNet16-120", "ImageNet16-120"),
)


def _api_class() -> type:
    try:
        from nas_201_api import NASBench201API
    except ImportError as exc:
        raise NarankError(
            "reading the official NAS-Bench-201 .pth file needs the package nas-bench-201: "
            "pip install 'narank[nb201]' (or use the canonical nb201/nb201.csv instead)"
        ) from exc
    return NASBench201API


def open_api(path: str | os.PathLike) -> Any:
    """Open the .pth file with nas_201_api, loading pickled content when torch refuses it."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: file not found (expected NAS-Bench-201-v1_1-096897.pth)")
    api_class = _api_class()
    try:
        return api_class(str(path), verbose=False)
    except (pickle.UnpicklingError, RuntimeError) as exc:
        if "weights_only" not in str(exc):
            raise DataFileError(f"{path}: cannot load as a NAS-Bench-201 file ({exc})") from exc
    import torch

    try:
        content = torch.load(str(path), map_location="cpu", weights_only=False)
        return api_class(content, verbose=False)
    except (pickle.UnpicklingError, RuntimeError, EOFError, AssertionError, KeyError) as exc:
        raise DataFileError(f"{path}: cannot load as a NAS-Bench-201 file ({exc})") from exc


def _with_hp(fn: Any, *args: Any, **kwargs: Any) -> dict:
    try:
        return fn(*args, hp="200", **kwargs)
    except TypeError:  # nas_201_api < 2.0 has no hp argument (full 200-epoch results)
        return fn(*args, **kwargs)


def api_to_frame(api: Any, source: str = "NAS-Bench-201 API") -> pd.DataFrame:
    """The canonical nb201.csv columns from an opened NASBench201API (mean over seeds)."""
    from narank.spaces.nb201 import NUM_CELLS, cell_from_str

    rows: dict[int, dict[str, Any]] = {}
    for api_index in range(len(api)):
        arch = api.arch(api_index)
        index = cell_from_str(arch).index
        row: dict[str, Any] = {"index": index, "arch_str": arch}
        for name, valid_ds, test_ds in _DATASETS:
            try:
                valid = _with_hp(api.get_more_info, api_index, valid_ds, is_random=False)
                test = valid if test_ds == valid_ds else None
                if test is None:
                    test = _with_hp(api.get_more_info, api_index, test_ds, is_random=False)
                cost = _with_hp(api.get_cost_info, api_index, test_ds)
                row[f"{name}_valid_acc"] = float(valid["valid-accuracy"])
                row[f"{name}_test_acc"] = float(test["test-accuracy"])
                row[f"{name}_params_M"] = round(float(cost["params"]), 6)
                row[f"{name}_flops_M"] = round(float(cost["flops"]), 6)
            except (KeyError, TypeError, ValueError, AssertionError) as exc:
                raise DataFileError(
                    f"{source}: architecture {api_index} ({arch}) has no {name} results ({exc})"
                ) from exc
        rows[index] = row
    if len(rows) != NUM_CELLS:
        raise DataFileError(
            f"{source}: holds {len(rows)} distinct architectures, expected {NUM_CELLS}"
        )
    return pd.DataFrame([rows[i] for i in range(NUM_CELLS)])


def read_nb201_pth(path: str | os.PathLike) -> pd.DataFrame:
    """Read the official NB201 .pth file into the canonical nb201.csv schema."""
    return api_to_frame(open_api(path), source=str(path))
