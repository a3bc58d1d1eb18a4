"""SED (issue 16, round 2): the frozen design's values computed by hand on tiny NB201 / NB101 /
NATS-SSS cells, node values combining to the cell score, the macro term (wider -> higher),
vectorized == one at a time, no NaN on degenerate cells, isomorphism invariance, strict parsing,
the named designs, the declared development halves and the selection rule."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from benchmarks.sed_variants import (
    DESIGNS,
    SED_V1,
    SED_V2,
    design,
    natsss_dev_mask,
    natsss_scores,
    nb101_dev_mask,
    nb101_scores,
    select,
)
from narank.errors import InvalidCellError
from narank.proxies.sed import (
    FLOOR,
    FROZEN,
    MAX9_VAR,
    NB101_NETWORK,
    nb201_op_ids,
    sed_natsss_nodes,
    sed_nb101_batch,
    sed_nb101_nodes,
    sed_nb201,
    sed_nb201_nodes,
    sed_node_features,
    sed_score,
)
from narank.spaces import get_space
from narank.spaces.nb201 import NB201Cell, all_cells, all_ops_matrix

RNG = np.random.default_rng(16)


def H(gain: float) -> float:
    """Local entropy change of an entropy-power gain."""
    return 0.5 * math.log(gain)


def random_nb101(n: int) -> list:
    return get_space("nb101").sample(n, RNG)


def spec(cell) -> tuple[np.ndarray, tuple[str, ...]]:
    return np.asarray(cell.matrix), cell.ops


def test_frozen_design_and_named_variants():
    assert (FROZEN.name, FROZEN.combine, FROZEN.round) == ("sed-v3", "local", 2)
    assert FROZEN.macro and FROZEN.reductions and FROZEN.merge and not FROZEN.split
    assert design("sed-v1") is SED_V1 and design("sed-v2") is SED_V2 and design("sed-v3") is FROZEN
    assert len({d.name for d in DESIGNS}) == len(DESIGNS)
    with pytest.raises(KeyError):
        design("sed-v9")


# ----------------------------------------------------------------------------- by hand


def test_hand_computed_nb201():
    # 0->1 conv3x3, 0->3 avg-pool, 1->3 skip, the rest none. Each live op changes local entropy by
    # 1/2 log g on a unit-variance input: conv3x3 9 C / 2, mean over the 15 cells at C = 16, 32, 64
    # (5 each): 1/2 log of the geometric mean 4.5 * 32 = 144; avg-pool 1/2 log 1/9; skip 0.
    # Output: their sum, plus 1/2 log 2 for node 3 summing two live edges.
    cell = NB201Cell.from_str("|nor_conv_3x3~0|+|none~0|none~1|+|avg_pool_3x3~0|skip_connect~1|none~2|")
    nodes = sed_node_features(cell)
    expected = [0.0, H(144), FLOOR, FLOOR, H(1 / 9), 0.0, FLOOR, H(144) + H(1 / 9) + H(2)]
    np.testing.assert_allclose(nodes, expected, rtol=1e-12)
    assert sed_score(cell) == pytest.approx(H(32))  # 144 * 2 / 9
    # the dead 1->2 edge of a cell whose node 2 is never reached counts nothing
    dead = NB201Cell.from_str("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|none~2|")
    assert sed_score(dead) == FLOOR and np.isfinite(sed_node_features(dead)).all()


NB101_SLOTS = [(128, 128)] * 3 + [(128, 256)] + [(256, 256)] * 2 + [(256, 512)] + [(512, 512)] * 2


def test_hand_computed_nb101():
    assert list(NB101_NETWORK) == NB101_SLOTS  # 3 stacks of 3 cells, 128 -> 256 -> 512
    space = get_space("nb101")
    mean = lambda f: float(np.mean([f(a, b) for a, b in NB101_SLOTS]))  # noqa: E731
    # input -> conv3x3 -> output, and input -> output. Vertex 1: conv3x3 at the cell's width b
    # (9 b / 2) fed by the input's 1x1 projection (a / 2). Output: vertex 1, its own projection,
    # and 1/2 log 2 for adding the projection to the concatenation.
    cell = space.parse(([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"]))
    v1 = mean(lambda a, b: H(4.5 * b) + H(a / 2))
    out = v1 + mean(lambda a, b: H(a / 2)) + H(2)
    np.testing.assert_allclose(sed_node_features(cell), [0.0, v1, out], rtol=1e-12)
    # two feeders without the direct edge: conv1x1 (b / 2) and max-pool (0.357), both projected
    adj = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
    cell = space.parse((adj, ["input", "conv1x1-bn-relu", "maxpool3x3", "output"]))
    v1 = mean(lambda a, b: H(b / 2) + H(a / 2))
    v2 = mean(lambda a, b: H(MAX9_VAR) + H(a / 2))
    np.testing.assert_allclose(sed_node_features(cell), [0.0, v1, v2, v1 + v2], rtol=1e-12)
    # a chain: conv3x3 -> conv3x3; only the first vertex is projected; no merges
    cell = space.parse(([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]],
                        ["input", "conv3x3-bn-relu", "conv3x3-bn-relu", "output"]))
    v1, v2 = mean(lambda a, b: H(4.5 * b) + H(a / 2)), mean(lambda a, b: H(4.5 * b))
    np.testing.assert_allclose(sed_node_features(cell), [0.0, v1, v2, v1 + v2], rtol=1e-12)


def test_hand_computed_natsss():
    space = get_space("natsss")
    c = (8, 16, 24, 32, 40)

    def cell(a: float, b: float) -> list[float]:
        # edges 0->1, 0->2 read a channels, the others b; 0->3 is a 1x1 conv (gain a) when a != b
        conv_a, conv_b = H(4.5 * a), H(4.5 * b)
        skip = 0.0 if a == b else H(a)
        out = 2 * conv_a + 3 * conv_b + skip + H(2) + H(3)  # nodes 2 and 3 sum 2 and 3 edges
        return [0.0, conv_a, conv_a, conv_b, skip, conv_b, conv_b, out]

    def reduction(a: float, b: float) -> float:
        # ReLU-conv3x3 a->b, ReLU-conv3x3 b->b, shortcut 2x2 avg-pool (1/4) + 1x1 conv (a), a sum of 2
        return H(4.5 * a) + H(4.5 * b) + H(a / 4) + H(2)

    expected = np.mean([cell(8, 8), cell(16, 24), cell(32, 40)], axis=0)
    expected[-1] += (reduction(8, 16) + reduction(24, 32)) / 3
    got = space.sed_nodes([space.parse(list(c))])[0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_round1_designs_kept_by_hand():
    # sed-v2 (round 1): entropy powers propagate along paths; conv3x3 at 16 channels 72, avg-pool 1/9
    ops = nb201_op_ids(["|nor_conv_3x3~0|+|none~0|none~1|+|avg_pool_3x3~0|skip_connect~1|none~2|"])
    np.testing.assert_allclose(sed_nb201_nodes(ops, design=SED_V2)[0],
                               [0.0, H(72), FLOOR, FLOOR, H(1 / 9), H(72), FLOOR, H(72 + 1 / 9)])
    adj = [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
    cell = get_space("nb101").parse((adj, ["input", "conv3x3-bn-relu", "output"]))
    np.testing.assert_allclose(sed_nb101_nodes(cell, design=SED_V2), [0.0, H(36864), H(36928)], rtol=1e-12)


# ----------------------------------------------------------------------------- combination


def test_nb201_nodes_combine_to_score():
    nodes = sed_nb201_nodes(all_ops_matrix().astype(np.int64))
    edges = nodes[:, 1:7]
    live = edges > FLOOR
    merges = sum(0.5 * np.log(np.maximum(live[:, cols].sum(1), 1)) for cols in ([0], [1, 2], [3, 4, 5]))
    expected = np.where(live.any(1), np.where(live, edges, 0).sum(1) + merges, FLOOR)
    np.testing.assert_allclose(nodes[:, -1], expected, atol=1e-12)


def test_nb101_nodes_combine_to_score():
    cells = random_nb101(300)
    proj = np.mean([H(a / 2) for a, _ in NB101_SLOTS])
    for cell, nodes in zip(cells, sed_nb101_batch([spec(c) for c in cells]), strict=True):
        m = np.asarray(cell.matrix)
        n = len(m)
        io, feeds = bool(m[0, n - 1]), bool(m[1:n - 1, n - 1].any())
        expected = nodes[1:-1].sum() + io * proj + H(feeds + io)
        assert nodes[-1] == pytest.approx(expected, rel=1e-12, abs=1e-12)


# ----------------------------------------------------------------------------- macro term


def test_macro_term_wider_network_scores_higher():
    # every op's gain grows with the channels it reads, and the reductions' with both widths: widening
    # any of the 5 NATS-SSS positions raises SED, unless it changes which 0->3 skips are identities
    # (a skip between unequal widths is a 1x1 conv, 1/2 log C_in; between equal widths it adds 0).
    # The stem-only design sees position 0 only.
    space = get_space("natsss")
    ch = np.array([c.channels for c in space.sample(300, RNG)])
    base = natsss_scores(ch, FROZEN)
    stem_only = design("r2-local")
    for pos in range(5):
        wider = ch.copy()
        wider[:, pos] = np.minimum(wider[:, pos] + 8, 64)
        grew = wider[:, pos] > ch[:, pos]
        same = np.ones(len(ch), dtype=bool)
        for a, b in ((1, 2), (3, 4)):
            same &= (ch[:, a] == ch[:, b]) == (wider[:, a] == wider[:, b])
        assert (grew & same).sum() > 100
        assert (natsss_scores(wider, FROZEN)[grew & same] > base[grew & same] + 1e-9).all()
        moved = natsss_scores(wider, stem_only)[grew] - natsss_scores(ch, stem_only)[grew]
        assert (moved > 0).all() if pos == 0 else np.allclose(moved, 0)
    # NB201: the macro mean over widths 16/32/64 raises a conv's change above the stem width's
    conv = nb201_op_ids(["|nor_conv_3x3~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|"])
    assert sed_nb201(conv)[0] > sed_nb201(conv, design=design("r2-local"))[0]


# ----------------------------------------------------------------------------- vectorized, degenerate


def test_vectorized_equals_one_at_a_time():
    for name, n in (("nb201", 40), ("nb101", 40), ("natsss", 40)):
        space = get_space(name)
        cells = space.sample(n, RNG)
        batch = space.sed_nodes(cells)
        for cell, nodes in zip(cells, batch, strict=True):
            np.testing.assert_allclose(nodes, sed_node_features(cell), rtol=1e-12, err_msg=name)
            np.testing.assert_allclose(nodes, space.sed_nodes([cell])[0], rtol=1e-12, err_msg=name)


def test_no_nan_on_degenerate_cells():
    nb101 = get_space("nb101")
    tiny101 = [([[0, 1], [0, 0]], ["input", "output"]),
               ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "maxpool3x3", "output"]),
               ([[0, 1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0],
                 [0, 0, 0, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]],
                ["input", *["maxpool3x3"] * 5, "output"])]
    specs = [spec(nb101.parse(s)) for s in tiny101]
    nb201 = nb201_op_ids(["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
                          "|avg_pool_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|",
                          "|none~0|+|none~0|none~1|+|avg_pool_3x3~0|none~1|none~2|"])
    ch = np.array([[8] * 5, [64] * 5, [8, 64, 8, 64, 8]])
    for d in DESIGNS:
        for nodes in sed_nb101_batch(specs, design=d):
            assert np.isfinite(nodes).all(), d.name
        assert np.isfinite(sed_nb201_nodes(nb201, design=d)).all(), d.name
        assert np.isfinite(sed_natsss_nodes(ch, d)).all(), d.name
    assert sed_nb201(nb201)[0] == FLOOR and sed_nb201(nb201)[1] == FLOOR  # no live path
    assert sed_nb201(nb201)[2] == pytest.approx(H(1 / 9))
    # input -> output only: the output is the projection alone
    assert nb101_scores(specs[:1], FROZEN)[0] == pytest.approx(np.mean([H(a / 2) for a, _ in NB101_SLOTS]))


# ----------------------------------------------------------------------------- invariance, parsing


def test_nb201_isomorphic_relabelling_scores_equal():
    # the only relabelling of a 4-node cell that keeps it a cell: swap nodes 1 and 2 when 1->2 is none
    ops = all_ops_matrix().astype(np.int64)
    ops = ops[ops[:, 2] == 0]
    swapped = ops[:, [1, 0, 2, 3, 5, 4]]
    assert (swapped != ops).any(1).sum() > 1000
    for d in DESIGNS:
        a, b = sed_nb201_nodes(ops, design=d), sed_nb201_nodes(swapped, design=d)
        np.testing.assert_allclose(b[:, -1], a[:, -1], rtol=1e-12, atol=1e-12, err_msg=d.name)
        np.testing.assert_allclose(b[:, 1:7], a[:, [2, 1, 3, 4, 6, 5]], rtol=1e-12, err_msg=d.name)


def test_nb201_functional_equivalence_only_for_the_path_model():
    # NB201's iso key also folds skips and shares weight-free pools: the round-1 path model is a sum
    # over paths and scores every such class alike; the local model counts op instances as built
    space = get_space("nb201")
    keys = pd.Series([space.iso_key(c) for c in all_cells()])
    ops = all_ops_matrix().astype(np.int64)
    spread = {d: pd.Series(sed_nb201(ops, design=d)).groupby(keys).agg(lambda s: s.max() - s.min())
              for d in (SED_V2, FROZEN)}
    assert spread[SED_V2].max() < 1e-9 and keys.nunique() < len(keys)
    assert 0 < (spread[FROZEN] > 1e-9).mean() < 0.2


def test_nb101_isomorphic_relabelling_scores_equal():
    space = get_space("nb101")
    checked = 0
    for cell in random_nb101(60):
        m, ops = spec(cell)
        n = m.shape[0]
        for perm in itertools.permutations(range(1, n - 1)):
            order = [0, *perm, n - 1]
            pm = m[np.ix_(order, order)]
            if np.tril(pm).any() or list(order) == list(range(n)):
                continue
            other = space.parse((pm.tolist(), [ops[i] for i in order]))
            assert space.canonical_id(other) == space.canonical_id(cell)
            a, b = sed_nb101_nodes(cell), sed_nb101_nodes(other)
            np.testing.assert_allclose(b, a[order], rtol=1e-12)
            for d in DESIGNS:
                assert nb101_scores([spec(other)], d)[0] == pytest.approx(nb101_scores([spec(cell)], d)[0])
            checked += 1
    assert checked > 20


def test_strict_parsers_refuse_malformed_cells():
    with pytest.raises(InvalidCellError):
        nb201_op_ids(["|nor_conv_3x3~0|+|nor_conv_3x3~0|bogus_op~1|+|skip_connect~0|none~1|none~2|"])
    with pytest.raises(InvalidCellError):
        nb201_op_ids(["|nor_conv_3x3~0|+|nor_conv_3x3~0|"])
    with pytest.raises(InvalidCellError):
        sed_nb101_nodes(([[0, 1], [1, 0]], ["input", "output"]))
    with pytest.raises(InvalidCellError):
        sed_nb101_nodes(([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv5x5", "output"]))


# ----------------------------------------------------------------------------- round-2 protocol


def test_development_halves_are_seeded_and_order_free():
    hashes = np.array([f"{i:032x}" for i in RNG.permutation(30001)])
    mask = nb101_dev_mask(hashes)
    assert mask.sum() == 15000 and (nb101_dev_mask(hashes) == mask).all()
    shuffle = RNG.permutation(len(hashes))
    assert (nb101_dev_mask(hashes[shuffle]) == mask[shuffle]).all()
    idx = RNG.permutation(32768)
    nm = natsss_dev_mask(idx)
    assert nm.sum() == 16384 and (natsss_dev_mask(idx[::-1]) == nm[::-1]).all()


def test_selection_rule_takes_the_highest_minimum():
    tables = ("a", "b", "c")
    dev = {d.name: dict.fromkeys(tables, 0.1) for d in DESIGNS}
    dev["sed-v1"] = {"a": 0.99, "b": 0.99, "c": 0.30}  # best mean, weak on one space
    dev["r2-local"] = {"a": 0.50, "b": 0.50, "c": 0.50}
    assert select(dev) == "r2-local"
    dev["sed-v2"] = {"a": 0.60, "b": 0.50, "c": 0.55}  # same minimum, higher mean
    assert select(dev) == "sed-v2"
    assert select(dev, round_=1) == "sed-v2"
