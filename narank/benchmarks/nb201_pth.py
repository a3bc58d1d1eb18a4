"""Read the official `NAS-Bench-201-v1_1-096897.pth` through `nas_201_api` (extra narank[nb201])."""

from __future__ import annotations

import os
import pickle
import warnings
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


def _official_globals() -> list[Any]:
    """The only non-builtin types the official file's plain-dict records may hold: numpy scalars
    (a float64 accuracy pickles as numpy's scalar reconstructor plus its dtype)."""
    import numpy as np

    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import scalar  # type: ignore[no-redef]
    return [scalar, np.dtype, type(np.dtype(np.float64)), type(np.dtype(np.int64))]


def load_pth(path: str | os.PathLike) -> Any:
    """The official .pth content as plain data: `torch.load(weights_only=True)` allowing only
    `_official_globals()`; anything else in the file (code, foreign classes) is refused, named."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"{path}: file not found (expected NAS-Bench-201-v1_1-096897.pth)")
    try:
        with torch.serialization.safe_globals(_official_globals()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(str(path), map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError, AttributeError):
        raise DataFileError(
            f"{path}: not a NAS-Bench-201 benchmark file narank can read safely ({_why_refused(path)}); "
            "narank reads only plain data from it, never code: use the official file or nb201/nb201.csv"
        ) from None


def _why_refused(path: Path) -> str:
    """The types a refused file asks for (read without loading it), or that it is no torch file."""
    import torch

    allowed = {f"{g.__module__}.{g.__qualname__}" for g in _official_globals()}
    try:
        found = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
        wanted = [g for g in found if g not in allowed]
    except Exception:  # not a zip checkpoint at all
        return "damaged, or not a file written by torch.save"
    if not wanted:
        return "damaged, or not a file written by torch.save"
    return f"it asks for {', '.join(sorted(wanted)[:3])}"


def open_api(path: str | os.PathLike) -> Any:
    """The official API over the file's content, which narank loads itself (the API's own loader
    would unpickle anything)."""
    content = load_pth(path)
    if not isinstance(content, dict) or "arch2infos" not in content:
        raise DataFileError(f"{path}: not a NAS-Bench-201 file (no 'arch2infos' record)")
    api_class = _api_class()
    try:
        return api_class(content, verbose=False)
    except (AssertionError, KeyError, TypeError, ValueError) as exc:
        raise DataFileError(f"{path}: cannot read as a NAS-Bench-201 file ({exc})") from exc


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
