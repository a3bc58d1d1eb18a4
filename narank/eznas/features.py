"""EZNAS programs as ranker node features: the cell's program score, the same on every node.

`eznas-published` is registered on import; an evolved program is registered by name with
`register_program_feature("prog.json", "eznas-mine")`. Scores come from the proxy result store
(computed and stored on first use), squashed by sign(x) * log(1 + |x|) so their scale is tame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from narank.caches import Cache
from narank.graphs import register_node_feature

_VALUES: Cache[tuple[str, str, str], dict[str, float]] = Cache("EZNAS node values", 16)


def _score(proxy: str, cell, dataset: str) -> float:
    from narank.proxies.cache import compute_scores
    from narank.spaces import space_of

    space = space_of(cell)
    values = _VALUES.setdefault((proxy, space.name, dataset), {})
    cid = space.canonical_id(cell)
    if cid not in values:
        values[cid] = float(compute_scores(proxy, [cell], dataset=dataset, progress=False)[0])
    return values[cid]


def _feature(proxy: str):
    def feature(cell, dataset: str) -> np.ndarray:
        from narank.graphs import structure

        value = _score(proxy, cell, dataset)
        squashed = float(np.sign(value) * np.log1p(abs(value))) if np.isfinite(value) else 0.0
        return np.full((len(structure(cell)[0]), 1), squashed)

    feature.__doc__ = f"The cell's {proxy} score (sign * log1p |score|) on every node."
    return feature


def register_program_feature(path: str | Path, name: str) -> str:
    """Register the program saved at `path` as the node feature `name`; returns the name."""
    from narank.eznas.program import Program

    Program.load(path)  # a clear error now if the file is missing or malformed
    register_node_feature(name, 1)(_feature(f"eznas:{Path(path)}"))
    return name


register_node_feature("eznas-published", 1)(_feature("eznas-published"))
