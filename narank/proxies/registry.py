"""The proxy registry: a zero-cost proxy is a function `(cell, **params) -> float` registered with
`@proxy(name, defaults=...)`; `narank proxies`, the result store and the ranker's node features find
it by name. Another package adds one through the entry-point group "narank.proxies".

    from narank.proxies.registry import proxy

    @proxy("depth", help="longest input-output path")
    def depth(cell):
        ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from narank.registry import Registry


def num_classes(dataset: str) -> int:
    """Classes of a dataset narank knows (10 for any other, e.g. a user's own)."""
    return {"cifar100": 100, "imagenet16_120": 120}.get(dataset, 10)


def no_params(dataset: str, seed: int) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Proxy:
    """One proxy: how to score a cell, its default settings, and (optionally) a vectorized path
    for many cells that is cheap enough to skip the result store."""

    name: str
    score: Callable[..., float]
    defaults: Callable[[str, int], dict[str, Any]] = no_params
    batch: Callable[[Sequence[Any]], np.ndarray] | None = None
    help: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    #: True when a lower value predicts a better network (NTK's condition number)
    lower_is_better: bool = False


PROXIES: Registry[Proxy] = Registry("proxy", "narank.proxies", ("narank.proxies.builtin",))


def proxy(name: str, defaults: Callable[[str, int], dict[str, Any]] = no_params,
          batch: Callable[[Sequence[Any]], np.ndarray] | None = None, help: str = "",
          lower_is_better: bool = False) -> Callable:
    """Decorator: register `fn(cell, **params) -> float` as the proxy `name` (`lower_is_better`:
    a low value predicts a good network, so sweeps negate it before correlating)."""
    def add(fn: Callable[..., float]) -> Callable[..., float]:
        PROXIES.register(name, Proxy(name, fn, defaults, batch, help or (fn.__doc__ or "").strip(),
                                     lower_is_better=lower_is_better))
        return fn

    return add


def proxy_names() -> list[str]:
    return PROXIES.names()


def get_proxy(name: str) -> Proxy:
    return PROXIES.get(name)


def score(name: str, cells: Sequence[Any], space: Any = None, dataset: str | None = None,
          random_state: int = 0, use_cache: bool = True, workers: int = 1, **settings: Any) -> np.ndarray:
    """Proxy values of `cells` (cells or anything the space parses), as `narank proxies` computes
    them: stored by canonical id, on `workers` Dask processes, the proxy's defaults unless overridden."""
    from narank.proxies.cache import compute_scores
    from narank.spaces import get_space, space_of

    cells = list(cells)
    if space is not None:
        space = get_space(space)
        cells = [space.parse(c) for c in cells]
    elif cells:
        space = space_of(cells[0])
    dataset = space.dataset(dataset) if space is not None else (dataset or "cifar10")
    return compute_scores(name, cells, dataset, random_state, workers, use_cache, progress=False, **settings)
