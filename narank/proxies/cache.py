"""Proxy values for many cells: disk cache by canonical id, joblib workers, tqdm progress."""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from narank.errors import DataFileError, NarankError
from narank.paths import cache_dir

PROXIES = ("sed", "ntk", "lr")
NUM_CLASSES = {"cifar10": 10, "cifar100": 100, "imagenet16_120": 120}


def check_proxy(proxy: str) -> str:
    """Return `proxy` if known, else raise an error listing the choices."""
    if proxy not in PROXIES:
        raise NarankError(f"unknown proxy {proxy!r}: use one of {', '.join(PROXIES)}")
    return proxy


def cache_key(proxy: str, space: str, dataset: str, params: dict[str, Any]) -> str:
    """File stem naming one (proxy, space, dataset, params) combination."""
    blob = json.dumps(params, sort_keys=True, default=str)
    digest = hashlib.sha1(blob.encode()).hexdigest()[:12]
    return f"{proxy}_{space}_{dataset}_{digest}"


class ProxyCache:
    """Values of one proxy configuration, keyed by canonical id, in a JSON file."""

    def __init__(
        self, proxy: str, space: str, dataset: str, params: dict[str, Any], root: Path | None = None
    ) -> None:
        self.path = cache_dir(root) / "proxies" / f"{cache_key(proxy, space, dataset, params)}.json"
        self.header = {"proxy": proxy, "space": space, "dataset": dataset, "params": params}
        self.values: dict[str, float] = {}
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text())
                self.values = {str(k): float(v) for k, v in data["values"].items()}
            except (ValueError, KeyError, TypeError) as exc:
                raise DataFileError(
                    f"{self.path}: corrupt proxy cache ({exc}); delete the file to recompute"
                ) from exc

    def get(self, cid: str) -> float | None:
        """The cached value of a cell, or None."""
        return self.values.get(cid)

    def update(self, items: dict[str, float]) -> None:
        """Add values and write the file atomically."""
        self.values.update(items)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({**self.header, "values": self.values}, default=str))
        os.replace(tmp, self.path)


def default_params(proxy: str, dataset: str, seed: int, **overrides: Any) -> dict[str, Any]:
    """The full keyword set a proxy runs with (defaults plus overrides)."""
    check_proxy(proxy)
    if proxy == "ntk":
        base: dict[str, Any] = dict(
            seed=seed, n_inits=3, batch_size=64, channels=8, resolution=16,
            num_classes=NUM_CLASSES.get(dataset, 10),
        )
    elif proxy == "lr":
        base = dict(seed=seed, n_inits=3, n_samples=1000, channels=1, resolution=3)
    else:
        base = {}
    unknown = set(overrides) - set(base) - {"images"}
    if unknown:
        raise NarankError(
            f"unknown option(s) {sorted(unknown)} for proxy {proxy!r}; known: {sorted(base)}"
        )
    return {**base, **overrides}


def compute_one(proxy: str, cell: Any, params: dict[str, Any]) -> float:
    """One proxy value (nan/inf for failed evaluations; never raises on numerics)."""
    if proxy == "sed":
        from narank.proxies.sed import sed_score

        return sed_score(cell)
    if proxy == "ntk":
        from narank.proxies.ntk import ntk_condition_number

        return ntk_condition_number(cell, **params).value
    from narank.proxies.linear_regions import linear_regions

    return linear_regions(cell, **params).value


def compute_scores(
    proxy: str,
    cells: Sequence[Any],
    dataset: str = "cifar10",
    seed: int = 0,
    workers: int = 1,
    use_cache: bool = True,
    progress: bool = True,
    cache_root: Path | None = None,
    **overrides: Any,
) -> np.ndarray:
    """Proxy values of many cells (one space), cached on disk and computed by joblib workers.

    `workers` > 1 uses joblib processes (wrap the call in `joblib.parallel_config(backend=
    "dask")` or "ray" to use a cluster). SED is vectorized and never cached.
    """
    check_proxy(proxy)
    cells = list(cells)
    if not cells:
        return np.zeros(0)
    if proxy == "sed":
        from narank.proxies.sed import sed_scores

        return sed_scores(cells)
    params = default_params(proxy, dataset, seed, **overrides)
    images = params.pop("images", None)
    key_params = dict(params)
    if images is not None:
        key_params["images_sha1"] = hashlib.sha1(np.asarray(images).tobytes()).hexdigest()
    from narank.spaces import space_of

    space_obj = space_of(cells[0])
    space = space_obj.name
    ids = [space_obj.canonical_id(c) for c in cells]
    cache = ProxyCache(proxy, space, dataset, key_params, cache_root) if use_cache else None
    out = np.full(len(cells), math.nan)
    todo = []
    for i, cid in enumerate(ids):
        hit = cache.get(cid) if cache is not None else None
        if hit is None:
            todo.append(i)
        else:
            out[i] = hit
    if todo:
        from joblib import Parallel, delayed
        from tqdm.auto import tqdm

        call = dict(params, images=images) if images is not None else params
        jobs = (delayed(compute_one)(proxy, cells[i], call) for i in todo)
        results = Parallel(n_jobs=max(1, workers), return_as="generator")(jobs)
        pending: dict[str, float] = {}
        bar = tqdm(results, total=len(todo), desc=f"{proxy} {space}", disable=not progress)
        for i, value in zip(todo, bar):
            out[i] = value
            pending[ids[i]] = value
            if cache is not None and len(pending) >= 100:
                cache.update(pending)
                pending = {}
        if cache is not None and pending:
            cache.update(pending)
    return out
