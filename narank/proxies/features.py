"""Zero-cost proxies as ranker node features: `sed` (per node) and `ntk` (per cell, broadcast)."""

from __future__ import annotations

import numpy as np

from narank.caches import Cache
from narank.graphs import register_node_feature
from narank.proxies.sed import FLOOR, sed_node_features


@register_node_feature("sed", 3)
def sed_feature(cell, dataset: str) -> np.ndarray:
    """Each node's SED value, a flag for nodes no signal reaches, and the cell's SED score.

    Values are scaled by 1/5; the cell score (the output node's value) is repeated on every
    node so that pooling cannot wash it out.
    """
    values = np.asarray(sed_node_features(cell), dtype=float)
    dead = values <= FLOOR
    cell_score = 0.0 if dead[-1] else values[-1] / 5.0
    return np.stack([np.where(dead, 0.0, values / 5.0), dead.astype(float),
                     np.full(len(values), cell_score)], axis=1)


# (space, dataset) -> canonical id -> κ, read from the result store once per process
_NTK_VALUES: Cache[tuple[str, str], dict[str, float]] = Cache("stored NTK values", 8)


def _ntk_kappa(cell, dataset: str) -> float:
    """κ of a cell: from the in-memory copy of the store, else computed (and stored) now."""
    from narank.proxies.cache import compute_scores, default_params, proxy_store
    from narank.spaces import space_of

    space = space_of(cell)
    cid = space.canonical_id(cell)
    values = _NTK_VALUES.get((space.name, dataset))
    if values is None:
        data = proxy_store("ntk", space.name, dataset, default_params("ntk", dataset, 0)).read()
        values = _NTK_VALUES[space.name, dataset] = dict(zip(data["id"].tolist(), data["value"].tolist())) \
            if len(data["id"]) else {}
    if cid not in values:
        values[cid] = float(compute_scores("ntk", [cell], dataset=dataset, progress=False)[0])
    return values[cid]


@register_node_feature("ntk", 1)
def ntk_feature(cell, dataset: str) -> np.ndarray:
    """log10 of the cell's NTK condition number (from the result store), the same on every node."""
    from narank.graphs import structure

    kappa = _ntk_kappa(cell, dataset)
    value = np.log10(kappa) / 5.0 if np.isfinite(kappa) and kappa > 0 else 2.0
    return np.full((len(structure(cell)[0]), 1), value)


import narank.eznas.features  # noqa: E402,F401 - registers the EZNAS program features (eznas-published)
