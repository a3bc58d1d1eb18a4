"""Proxy values for many cells: Parquet result store by canonical id, Dask engine, tqdm progress."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from narank.engine import check_scheduler, check_workers, map_items
from narank.errors import NarankError
from narank.proxies.registry import PROXIES as REGISTRY
from narank.proxies.registry import get_proxy, num_classes, proxy_names
from narank.store import ResultStore


def __getattr__(name: str) -> Any:
    if name == "PROXIES":  # the registered names (plug-ins included), as a tuple
        return tuple(proxy_names())
    raise AttributeError(f"module 'narank.proxies.cache' has no attribute {name!r}")


EZNAS_PREFIX = "eznas:"  # eznas:PATH scores cells with an evolved program saved by `narank evolve`
# A killed sweep loses only the results not yet appended: they are appended once 1% of the
# sweep is pending (at most every 0.2 s, so fast proxies do not write a part per cell), and
# at least every 2 s or 2,000 rows.
FLUSH_SECONDS = 2.0
FLUSH_MIN_SECONDS = 0.2
FLUSH_FRACTION = 0.01
FLUSH_ROWS = 2000


def _flush_due(pending: int, elapsed: float, total: int) -> bool:
    """Whether `pending` finished results (of a `total`-cell sweep) should be appended now."""
    if pending >= FLUSH_ROWS or elapsed >= FLUSH_SECONDS:
        return True
    return pending >= max(1, FLUSH_FRACTION * total) and elapsed >= FLUSH_MIN_SECONDS


def check_proxy(proxy: str) -> str:
    """Return `proxy` if known, else raise an error listing the choices."""
    if proxy.startswith(EZNAS_PREFIX):
        from narank.eznas.program import Program

        Program.load(proxy[len(EZNAS_PREFIX):])  # a clear error if missing or malformed
        return proxy
    if proxy not in REGISTRY:
        raise NarankError(f"unknown proxy {proxy!r}: use one of {', '.join(proxy_names())}, "
                          "or eznas:PROGRAM.json")
    return proxy


def proxy_store(proxy: str, space: str, dataset: str, params: dict[str, Any],
                root: Path | None = None) -> ResultStore:
    """The result store of one (proxy, space, dataset, settings) combination."""
    name = "eznas" if proxy.startswith(EZNAS_PREFIX) else proxy  # the formula is in `params`
    return ResultStore.for_settings(space, name, {"dataset": dataset, **params}, root)


def default_params(proxy: str, dataset: str, seed: int, **overrides: Any) -> dict[str, Any]:
    """The full keyword set a proxy runs with (defaults plus overrides)."""
    check_proxy(proxy)
    if proxy.startswith(EZNAS_PREFIX):  # a program scores at the size it was evolved at
        from narank.eznas.program import Program

        program = Program.load(proxy[len(EZNAS_PREFIX):])
        settings = dict(program.settings.key())
        settings["image_source"] = settings.pop("images")  # `images` means an image array here
        base: dict[str, Any] = dict(formula=program.formula, **settings, num_classes=num_classes(dataset))
    else:
        base = get_proxy(proxy).defaults(dataset, seed)
    unknown = set(overrides) - set(base) - {"images"}
    if unknown:
        raise NarankError(
            f"unknown option(s) {sorted(unknown)} for proxy {proxy!r}; known: {sorted(base)}"
        )
    return {**base, **overrides}


def compute_one(proxy: str, cell: Any, params: dict[str, Any]) -> float:
    """One proxy value (nan/inf for failed evaluations; never raises on numerics)."""
    if proxy.startswith(EZNAS_PREFIX):
        return get_proxy("eznas-published").score(cell, **params)  # the formula is in `params`
    return get_proxy(proxy).score(cell, **params)


def _proxy_value(cell: Any, proxy: str, params: dict[str, Any]) -> float:
    """Engine task body: one cell's proxy value (looks `compute_one` up at call time)."""
    return compute_one(proxy, cell, params)


def compute_scores(
    proxy: str,
    cells: Sequence[Any],
    dataset: str = "cifar10",
    seed: int = 0,
    workers: int = 1,
    use_cache: bool = True,
    progress: bool = True,
    cache_root: Path | None = None,
    client: Any = None,
    scheduler: str | None = None,
    **overrides: Any,
) -> np.ndarray:
    """Proxy values of many cells (one space), kept in the Parquet result store.

    Only cells missing from the store are computed, through `narank.engine.map_items`:
    in this process (`workers=1`), on a LocalCluster of `workers` processes, on the cluster
    at `scheduler`, or with a Dask `client` you already have. Results are appended as they
    arrive (see `_flush_due`), so a killed sweep resumes where it stopped. SED is vectorized and not stored.
    """
    check_proxy(proxy)
    check_workers(workers)
    check_scheduler(scheduler)
    cells = list(cells)
    if not cells:
        return np.zeros(0)
    batch = None if proxy.startswith(EZNAS_PREFIX) else get_proxy(proxy).batch
    if batch is not None:  # vectorized and cheap: not stored
        return batch(cells)
    params = default_params(proxy, dataset, seed, **overrides)
    images = params.pop("images", None)
    key_params = dict(params)
    if images is not None:
        key_params["images_sha1"] = hashlib.sha1(np.asarray(images).tobytes()).hexdigest()
    from narank.spaces import space_of

    space_obj = space_of(cells[0])
    space = space_obj.name
    ids = [space_obj.canonical_id(c) for c in cells]
    store = proxy_store(proxy, space, dataset, key_params, cache_root) if use_cache else None
    if store is not None:
        out, found = store.lookup(ids)
    else:
        out, found = np.full(len(cells), math.nan), np.zeros(len(cells), dtype=bool)
    first: dict[str, int] = {}
    for i in np.flatnonzero(~found):
        first.setdefault(ids[i], int(i))
    todo = list(first.values())
    if todo:
        call = dict(params, images=images) if images is not None else params
        pending_ids: list[str] = []
        pending: list[float] = []
        last = time.monotonic()
        done: dict[str, float] = {}
        results = map_items(_proxy_value, [cells[i] for i in todo], workers=workers, scheduler=scheduler,
                            client=client, shared={"proxy": proxy, "params": call}, progress=progress,
                            desc=f"{proxy} {space}")
        for k, value in results:
            cid = ids[todo[k]]
            done[cid] = float(value)
            pending_ids.append(cid)
            pending.append(float(value))
            if store is not None and _flush_due(len(pending), time.monotonic() - last, len(todo)):
                store.append(pending_ids, value=np.asarray(pending, dtype=float))
                pending_ids, pending, last = [], [], time.monotonic()
        if store is not None:
            store.append(pending_ids, value=np.asarray(pending, dtype=float))
            store.maybe_compact()
        miss = np.flatnonzero(~found)
        out[miss] = [done[ids[i]] for i in miss]
    return out
