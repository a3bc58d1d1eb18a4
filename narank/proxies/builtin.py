"""narank's own proxies, registered by name (the heavy modules load on first use)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from narank.proxies.registry import num_classes, proxy


def _sed_batch(cells: Sequence[Any]) -> np.ndarray:
    from narank.proxies.sed import sed_scores

    return sed_scores(cells)


@proxy("sed", batch=_sed_batch, help="SED: data-free, from the cell's topology (vectorized, not stored)")
def sed(cell: Any) -> float:
    from narank.proxies.sed import sed_score

    return sed_score(cell)


def _ntk_defaults(dataset: str, seed: int) -> dict[str, Any]:
    return dict(seed=seed, n_inits=3, batch_size=64, channels=8, resolution=16,
                num_classes=num_classes(dataset))


@proxy("ntk", defaults=_ntk_defaults, help="TE-NAS NTK condition number (lower is better)",
       lower_is_better=True)
def ntk(cell: Any, **params: Any) -> float:
    from narank.proxies.ntk import ntk_condition_number

    return ntk_condition_number(cell, **params).value


def _lr_defaults(dataset: str, seed: int) -> dict[str, Any]:
    return dict(seed=seed, n_inits=3, n_samples=1000, channels=1, resolution=3)


@proxy("lr", defaults=_lr_defaults, help="TE-NAS linear regions")
def linear_regions(cell: Any, **params: Any) -> float:
    from narank.proxies.linear_regions import linear_regions

    return linear_regions(cell, **params).value


def _suite_defaults(dataset: str, seed: int) -> dict[str, Any]:
    """One small seeded network on real images (digits)."""
    return dict(seed=seed, batch=8, resolution=8, channels=8, cells=1, num_classes=num_classes(dataset))


def _suite_proxy(name: str) -> None:
    @proxy(name, defaults=_suite_defaults, help=f"zero-cost suite: {name}")
    def score(cell: Any, **params: Any) -> float:
        from narank.proxies.zc_suite import zc_proxy

        return zc_proxy(cell, name, **params)


for _name in ("synflow", "snip", "grasp", "grad_norm", "fisher", "jacov", "nwot", "params", "flops"):
    _suite_proxy(_name)


def _eznas_defaults(full: bool) -> Any:
    def defaults(dataset: str, seed: int) -> dict[str, Any]:
        from narank.eznas.program import PUBLISHED, PUBLISHED_SIZE

        settings = dict(PUBLISHED_SIZE.key()) if full else {}
        if "images" in settings:  # `images` means an image array here; a program names its source
            settings["image_source"] = settings.pop("images")
        return dict(formula=PUBLISHED, **settings, num_classes=num_classes(dataset))

    return defaults


def eznas(cell: Any, **params: Any) -> float:
    """An EZNAS formula's score (the formula and its statistics' settings are in `params`)."""
    from narank.errors import NarankError
    from narank.eznas.program import eznas_score

    if "images" in params:
        raise NarankError("EZNAS programs read their images from their settings; pass no image array")
    return eznas_score(cell, **params)


proxy("eznas-published", defaults=_eznas_defaults(False),
      help="the published EZNAS formula on small networks")(eznas)
proxy("eznas-published-full", defaults=_eznas_defaults(True),
      help="the published EZNAS formula at the paper's network size (~20x slower)")(eznas)
