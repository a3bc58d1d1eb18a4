"""The SED designs tried (docs/sed.md): `sed-v1`, round 1's `sed-v2`, round 2's frozen `sed-v3`,
and every alternative, each with the round that introduced it.

Round 1 chose on NB201 CIFAR-10 validation accuracy only (`sed-v2`). Round 2 declared its
development data here, before scoring any round-2 design (`nb101_dev_mask`, `natsss_dev_mask`)
and chose by `select`; `benchmarks/proxies.py` reports every design on every benchmark, the
development columns marked, the held-out halves beside them.
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

#: The formula before the second design round: NB201 at the stem width, NB101 at C = 128 for every vertex
#: with the plain mean of entropy powers at the output, NATS-SSS averaged over its 3 cells.
SED_V1 = SedDesign("sed-v1", macro=False, split=False, concat="power",
                   note="the formula before the second design round")
#: Round 1's frozen design (chosen on NB201 C10 valid alone).
SED_V2 = SedDesign("sed-v2", macro=False, split=True, concat="entropy",
                   note="v1 on NB201; NB101: real (split) widths and entropy-mean concatenation")
#: Round 2's local model (docs/sed.md): BN resets each op's input; the cell sums its live ops' changes.
_LOCAL = SedDesign("local", combine="local", macro=False, split=True, merge=False, reductions=False, round=2)

DESIGNS: tuple[SedDesign, ...] = (
    # ---- round 1 (development: NB201 C10 valid only)
    SED_V1,
    SED_V2,
    replace(SED_V2, name="sed-v2-macro", macro=True,
            note="v2, node entropies averaged over every cell of the network skeleton"),
    replace(SED_V2, name="sed-v2-relu1", relu=1.0, note="v2 without the ReLU factor 1/2"),
    replace(SED_V2, name="sed-v2-macro-relu1", macro=True, relu=1.0,
            note="macro and no ReLU factor"),
    replace(SED_V2, name="sed-v2-pool1", pool_gain=1.0,
            note="ablation: avg-pool keeps entropy power (against the principle)"),
    replace(SED_V2, name="sed-v2-power", concat="power",
            note="v2 with sed-v1's concatenation (mean of entropy powers)"),
    replace(SED_V2, name="sed-v2-nosplit", split=False,
            note="v2 with sed-v1's constant width for every NB101 vertex"),
    # ---- round 2 (development: NB201 C10 valid + NB101 dev half + NATS-SSS C10 dev half)
    replace(SED_V2, name="r2-path-macro-power", macro=True, concat="power", round=2,
            note="round-1 path model, macro everywhere, sed-v1's concatenation"),
    replace(SED_V1, name="r2-v1-macro", macro=True, round=2,
            note="sed-v1 with the macro average on every space"),
    replace(_LOCAL, name="r2-local",
            note="local: BN resets each op's input; cell = sum of live ops' 1/2 log g; stem cell"),
    replace(_LOCAL, name="r2-local-macro", macro=True,
            note="local, averaged over the network's cells at their widths"),
    replace(_LOCAL, name="r2-local-net", macro=True, reductions=True,
            note="local-macro plus the reduction blocks (the whole skeleton)"),
    replace(_LOCAL, name="r2-local-net-merge", macro=True, reductions=True, merge=True,
            note="local-net plus 1/2 log m at every sum of m live inputs"),
    replace(_LOCAL, name="r2-local-net-nosplit", macro=True, reductions=True, split=False,
            note="local-net with the cell width for every NB101 vertex"),
    FROZEN,  # = local-net, nosplit, merge
    replace(_LOCAL, name="r2-local-net-noproj", macro=True, reductions=True, proj=False,
            note="local-net without NB101's input projections"),
    replace(_LOCAL, name="r2-local-net-relu1", macro=True, reductions=True, relu=1.0,
            note="local-net without the ReLU factor 1/2"),
)


def select(dev_rho: dict[str, dict[str, float]], round_: int = 2) -> str:
    """The declared round-2 rule: among the designs of `round_` and earlier, the one with the
    highest minimum development ρ over the development tables (ties: the higher mean).

    `dev_rho` maps a design name to {development table: ρ}."""
    names = [d.name for d in DESIGNS if d.round <= round_]
    return max(names, key=lambda n: (min(dev_rho[n].values()), float(np.mean(list(dev_rho[n].values())))))


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


# ----------------------------------------------------------------------------- round 2
# Declared before any round-2 design was scored (docs/sed.md, "Round 2"). The development data:
# NB201 CIFAR-10 validation (all cells, as in round 1), plus a seeded random half of the NB101
# 30,001 cells (rows sorted by hash, then permuted), plus a seeded random half of NATS-SSS
# CIFAR-10 test accuracy (rows by official index). The other halves, and every other table, are
# held out. Rule: the design with the highest *minimum* development ρ over the three tables wins
# (ties: the higher mean), so a design must hold on every space.

ROUND2_SEED = 16  # fixed before round 2 (kept: it chose the development halves)
ROUND2_NATSSS_DATASET = "cifar10"


def dev_half(n: int, seed_tag: int) -> np.ndarray:
    """Boolean mask of the development half of n rows: the first n // 2 of a seeded permutation."""
    perm = np.random.default_rng([ROUND2_SEED, seed_tag]).permutation(n)
    mask = np.zeros(n, dtype=bool)
    mask[perm[: n // 2]] = True
    return mask


def nb101_dev_mask(hashes: np.ndarray) -> np.ndarray:
    """Development rows of the NB101 30,001-cell table, by hash (independent of row order)."""
    hashes = np.asarray(hashes, dtype=str)
    order = np.argsort(hashes, kind="stable")
    mask = np.zeros(len(hashes), dtype=bool)
    mask[order] = dev_half(len(hashes), 101)
    return mask


def natsss_dev_mask(indices: np.ndarray) -> np.ndarray:
    """Development rows of the NATS-SSS table, by official index (independent of row order)."""
    indices = np.asarray(indices, dtype=np.int64)
    order = np.argsort(indices, kind="stable")
    mask = np.zeros(len(indices), dtype=bool)
    mask[order] = dev_half(len(indices), 3)
    return mask


__all__ = ["DESIGNS", "ROUND2_NATSSS_DATASET", "ROUND2_SEED", "SED_V1", "SED_V2", "design", "dev_half",
           "natsss_dev_mask", "natsss_scores", "nb101_dev_mask", "nb101_scores", "nb201_gains",
           "nb201_scores", "propagate_edges", "select"]
