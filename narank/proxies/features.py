"""Zero-cost proxies as ranker node features: `sed` (per node) and `ntk` (per cell, broadcast)."""

from __future__ import annotations

import numpy as np

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


@register_node_feature("ntk", 1)
def ntk_feature(cell, dataset: str) -> np.ndarray:
    """log10 of the cell's NTK condition number (cached on disk), the same on every node."""
    from narank.graphs import structure
    from narank.proxies.cache import compute_scores

    kappa = float(compute_scores("ntk", [cell], dataset=dataset, progress=False)[0])
    value = np.log10(kappa) / 5.0 if np.isfinite(kappa) and kappa > 0 else 2.0
    return np.full((len(structure(cell)[0]), 1), value)
