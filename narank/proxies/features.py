"""Zero-cost proxies as ranker node features: `sed` (per node) and `ntk` (per cell, broadcast)."""

from __future__ import annotations

import numpy as np

from narank.graphs import register_node_feature
from narank.proxies.sed import FLOOR, sed_node_features


@register_node_feature("sed", 2)
def sed_feature(cell, dataset: str) -> np.ndarray:
    """Each node's SED value (scaled by 1/5) and a flag for nodes no signal reaches."""
    values = np.asarray(sed_node_features(cell), dtype=float)
    dead = values <= FLOOR
    return np.stack([np.where(dead, 0.0, values / 5.0), dead.astype(float)], axis=1)


@register_node_feature("ntk", 1)
def ntk_feature(cell, dataset: str) -> np.ndarray:
    """log10 of the cell's NTK condition number (cached on disk), the same on every node."""
    from narank.graphs import structure
    from narank.proxies.cache import compute_scores

    kappa = float(compute_scores("ntk", [cell], dataset=dataset, progress=False)[0])
    value = np.log10(kappa) / 5.0 if np.isfinite(kappa) and kappa > 0 else 2.0
    return np.full((len(structure(cell)[0]), 1), value)
