"""The SED designs tried (docs/sed.md): today's `sed-v1`, the frozen one, and the alternatives.

Every design was scored on the development table only (NB201 CIFAR-10 validation accuracy);
`benchmarks/proxies.py` reports all of them on every benchmark, development column marked.
Choices that NB201 cannot see (NB101's channel split and concatenation) are fixed by the
derivation, not by data: on NB201 those designs score the same.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from narank.proxies.sed import (
    FROZEN,
    SedDesign,
    nb201_gains,
    propagate_edges,
    sed_natsss_nodes,
    sed_nb101_batch,
    sed_nb201_nodes,
)

#: Today's formula before issue 16: NB201 at the stem width, NB101 at C = 128 for every vertex
#: with the plain mean of entropy powers at the output, NATS-SSS averaged over its 3 cells.
SED_V1 = SedDesign("sed-v1", macro=False, split=False, concat="power",
                   note="the formula before issue 16")

DESIGNS: tuple[SedDesign, ...] = (
    SED_V1,
    FROZEN,
    replace(FROZEN, name="sed-v2-macro", macro=True,
            note="v2, node entropies averaged over every cell of the network skeleton"),
    replace(FROZEN, name="sed-v2-relu1", relu=1.0, note="v2 without the ReLU factor 1/2"),
    replace(FROZEN, name="sed-v2-macro-relu1", macro=True, relu=1.0,
            note="macro and no ReLU factor"),
    replace(FROZEN, name="sed-v2-pool1", pool_gain=1.0,
            note="ablation: avg-pool keeps entropy power (against the principle)"),
    replace(FROZEN, name="sed-v2-power", concat="power",
            note="v2 with sed-v1's concatenation (mean of entropy powers)"),
    replace(FROZEN, name="sed-v2-nosplit", split=False,
            note="v2 with sed-v1's constant width for every NB101 vertex"),
)


def design(name: str) -> SedDesign:
    """A named design."""
    for d in DESIGNS:
        if d.name == name:
            return d
    raise KeyError(f"unknown SED design {name!r}; known: {', '.join(d.name for d in DESIGNS)}")


def nb201_scores(op_ids: np.ndarray, d: SedDesign) -> np.ndarray:
    """Cell scores of NB201 op-id rows (n, 6) under design `d`."""
    return sed_nb201_nodes(op_ids, design=d)[:, -1]


def nb101_scores(specs: list, d: SedDesign) -> np.ndarray:
    """Cell scores of pruned NB101 specs (matrix, ops) under design `d`."""
    return np.array([nodes[-1] for nodes in sed_nb101_batch(specs, design=d)])


def natsss_scores(channels: np.ndarray, d: SedDesign) -> np.ndarray:
    """Cell scores of NATS-SSS widths (n, 5) under `d` (sed-v1: today's 3-cell mean)."""
    if d.name == SED_V1.name:
        return sed_natsss_nodes(channels, replace(d, macro=True))[:, -1]
    return sed_natsss_nodes(channels, d)[:, -1]


__all__ = ["DESIGNS", "SED_V1", "design", "nb101_scores", "nb201_gains", "nb201_scores",
           "natsss_scores", "propagate_edges"]
