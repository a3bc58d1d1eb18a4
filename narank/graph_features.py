"""Graph-level (per-cell) features: a registry the tabular baselines and the ranker both use.

`graf` is the GRAF vector (`narank.graf`); `params` / `flops` are log10 of the whole network's
costs; `sed` is the cell's SED score. All are free: computed from the cell alone, for every
cell of a space, never from a label. Names are checked early (`check_graph_features`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from narank.errors import NarankError
from narank.graf import graf_dense, graf_features, graf_names
from narank.proxies.sed import sed_scores
from narank.spaces import get_space
from narank.spaces.base import DENSE_SED_VIEWS, DenseCells, SearchSpace

#: fn(space, cells, dataset, memo) -> [n, width]; `memo` is shared by the features of one call
GraphFeatureFn = Callable[[SearchSpace, Sequence[Any], str, dict], np.ndarray]


def _costs(space: SearchSpace, cells: Sequence[Any], dataset: str, memo: dict, key: str) -> np.ndarray:
    if "cell_features" not in memo:  # params and flops come from one pass over the cells
        memo["cell_features"] = space.cell_features(cells, dataset)
    values = np.asarray(memo["cell_features"][key], dtype=float)
    return np.log10(np.maximum(values, 1e-6))[:, None]


def _sed(space: SearchSpace, cells: Sequence[Any], dataset: str, memo: dict) -> np.ndarray:
    return sed_scores(cells)[:, None]


#: name -> (fn(space, cells, dataset, memo) -> [n, width], column names of a space)
GRAPH_FEATURES: dict[str, tuple[GraphFeatureFn, Callable[[SearchSpace], list[str]]]] = {
    "graf": (lambda space, cells, dataset, memo: graf_features(space, cells), graf_names),
    "params": (lambda space, cells, dataset, memo: _costs(space, cells, dataset, memo, "params_M"),
               lambda space: ["log10_params_M"]),
    "flops": (lambda space, cells, dataset, memo: _costs(space, cells, dataset, memo, "flops_M"),
              lambda space: ["log10_flops_M"]),
    "sed": (_sed, lambda space: ["sed"]),
}


#: every graph feature, in registry order (the ranker's full set, pretraining's targets)
ALL_GRAPH_FEATURES = tuple(GRAPH_FEATURES)
#: the space methods each feature asks for (graf needs only `structure`, which every space has)
NEEDS = {"graf": (), "params": ("params_M",), "flops": ("flops_M",), "sed": ("sed_nodes",)}
#: the default: every graph feature the space offers
AUTO = "auto"


def available_graph_features(space: SearchSpace | str) -> tuple[str, ...]:
    """The graph features this space can compute (it is asked, never named), in registry order."""
    space = get_space(space)
    return tuple(n for n in ALL_GRAPH_FEATURES if space.has(*NEEDS[n]))


def resolve_graph_features(space: SearchSpace | str, names: str | Iterable[str]) -> tuple[str, ...]:
    """`AUTO` -> `available_graph_features(space)`; other names are checked (`check_graph_features`)."""
    if names == AUTO or (not isinstance(names, str) and tuple(names) == (AUTO,)):
        return available_graph_features(space)
    return check_graph_features(names)


def check_graph_features(names: Iterable[str]) -> tuple[str, ...]:
    """Validate graph-feature names, naming the unknown ones and the choices."""
    names = tuple(n for n in names if n)
    unknown = [n for n in names if n not in GRAPH_FEATURES]
    if unknown:
        raise NarankError(f"unknown graph feature(s) {unknown}; choose from {sorted(GRAPH_FEATURES)}")
    return names


def graph_feature_names(space: SearchSpace | str, names: Sequence[str]) -> list[str]:
    """Column names of `graph_features(space, cells, dataset, names)`."""
    space = get_space(space)
    return [col for n in check_graph_features(names) for col in GRAPH_FEATURES[n][1](space)]


def graph_features(space: SearchSpace | str, cells: Sequence[Any], dataset: str | None,
                   names: Sequence[str]) -> np.ndarray:
    """The named per-cell features side by side, [len(cells), len(graph_feature_names)] float64."""
    space = get_space(space)
    names = check_graph_features(names)
    dataset = space.dataset(dataset)
    cells = list(cells)
    if not names:
        return np.zeros((len(cells), 0))
    memo: dict[str, Any] = {}
    return np.concatenate([np.asarray(GRAPH_FEATURES[n][0](space, cells, dataset, memo), dtype=float)
                           .reshape(len(cells), -1) for n in names], axis=1)


def _dense_costs(dense: DenseCells, key: str) -> np.ndarray:
    values = getattr(dense, key)
    if values is None:
        raise NarankError(f"these bulk cells carry no whole-network {key}")
    return np.log10(np.maximum(np.asarray(values, dtype=float), 1e-6))[:, None]


#: bulk forms over `DenseCells` blocks (a whole space without cell objects; same values)
DENSE_GRAPH_FEATURES: dict[str, Callable[[SearchSpace, DenseCells], np.ndarray]] = {
    "graf": graf_dense,
    "params": lambda space, dense: _dense_costs(dense, "params_M"),
    "flops": lambda space, dense: _dense_costs(dense, "flops_M"),
    "sed": lambda space, dense: np.asarray(DENSE_SED_VIEWS.get(space.name)(space, dense),
                                           dtype=float)[:, None],
}


def dense_graph_refusal(space: SearchSpace | str, names: Sequence[str]) -> str | None:
    """Why `dense_graph_features` cannot compute these features for this space, or None."""
    space = get_space(space)
    names = check_graph_features(names)
    if not names:
        return None
    if space.node_value_width and "graf" in names:
        return f"{space.name} cells carry node values, which the bulk GRAF path does not read"
    if "sed" in names and space.name not in DENSE_SED_VIEWS:
        return f"{space.name} registers no bulk SED view (narank.spaces.base.DENSE_SED_VIEWS)"
    return None


def dense_graph_features(space: SearchSpace | str, dense: DenseCells, names: Sequence[str]) -> np.ndarray:
    """`graph_features` of a block of `DenseCells`, [len(dense), width] float64, in bulk."""
    space = get_space(space)
    names = check_graph_features(names)
    why = dense_graph_refusal(space, names)
    if why:
        raise NarankError(f"no bulk graph features: {why}")
    if not names:
        return np.zeros((len(dense), 0))
    blocks = [np.asarray(DENSE_GRAPH_FEATURES[n](space, dense), dtype=float) for n in names]
    return np.concatenate([b.reshape(len(dense), -1) for b in blocks], axis=1)
