"""SED (issue 16): node values combine to the cell score, isomorphism invariance, hand-computed
values on tiny NB101 / NB201 cells, strict parsing, and the named designs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from narank.errors import InvalidCellError
from narank.proxies.sed import (
    FLOOR,
    FROZEN,
    MAX9_VAR,
    RELU_GAIN,
    nb101_channels,
    nb101_padded,
    nb201_op_ids,
    sed_nb101_batch,
    sed_nb101_nodes,
    sed_nb201,
    sed_nb201_nodes,
    sed_node_features,
    sed_score,
)
from narank.proxies.sed_variants import DESIGNS, SED_V1, design, nb101_scores
from narank.spaces import get_space
from narank.spaces.nb201 import NB201Cell, all_cells, all_ops_matrix

RNG = np.random.default_rng(16)


def random_nb101(n: int) -> list:
    return get_space("nb101").sample(n, RNG)


def spec(cell) -> tuple[np.ndarray, tuple[str, ...]]:
    return np.asarray(cell.matrix), cell.ops


def test_frozen_is_stem_width_without_macro_and_v1_kept():
    assert FROZEN.name == "sed-v2" and not FROZEN.macro and FROZEN.split and FROZEN.concat == "entropy"
    assert design("sed-v1") is SED_V1 and len({d.name for d in DESIGNS}) == len(DESIGNS)


def test_hand_computed_nb201():
    # 0->1 conv3x3 (gain 9*16/2 = 72), 0->3 avg-pool (1/9), 1->3 skip (1); the rest none.
    cell = NB201Cell.from_str("|nor_conv_3x3~0|+|none~0|none~1|+|avg_pool_3x3~0|skip_connect~1|none~2|")
    nodes = sed_node_features(cell)
    expected = [0.0, 0.5 * math.log(72), FLOOR, FLOOR, -math.log(3), 0.5 * math.log(72), FLOOR,
                0.5 * math.log(72 + 1 / 9)]
    np.testing.assert_allclose(nodes, expected, rtol=1e-12)
    assert sed_score(cell) == pytest.approx(0.5 * math.log(72 + 1 / 9))


def test_hand_computed_nb101():
    space = get_space("nb101")
    # input -> conv3x3 -> output and input -> output: v1 = (9*128/2) * (128/2) = 36864,
    # output = 1/2 log(36864 + 64) (the input projection adds 64 to every channel).
    cell = space.parse(([[0, 1, 1], [0, 0, 1], [0, 0, 0]], ["input", "conv3x3-bn-relu", "output"]))
    np.testing.assert_allclose(sed_node_features(cell), [0.0, 0.5 * math.log(36864),
                                                         0.5 * math.log(36928)], rtol=1e-12)
    # two feeders, 64 channels each: conv1x1 v = (64/2) * 64 = 2048, max-pool v = 0.357 * 64;
    # concatenation: the channel-weighted mean of their entropies.
    adj = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
    cell = space.parse((adj, ["input", "conv1x1-bn-relu", "maxpool3x3", "output"]))
    h1, h2 = 0.5 * math.log(2048), 0.5 * math.log(MAX9_VAR * 64)
    np.testing.assert_allclose(sed_node_features(cell), [0.0, h1, h2, (h1 + h2) / 2], rtol=1e-12)


def test_nb201_nodes_combine_to_score():
    nodes = sed_nb201_nodes(all_ops_matrix().astype(np.int64))
    into_out = nodes[:, [4, 5, 6]]  # edge nodes 0->3, 1->3, 2->3 (after the input node)
    power = np.where(into_out > FLOOR, np.exp(2 * into_out), 0.0).sum(1)
    expected = np.where(power > 0, 0.5 * np.log(np.where(power > 0, power, 1)), FLOOR)
    np.testing.assert_allclose(nodes[:, -1], expected, atol=1e-12)


def test_nb101_nodes_combine_to_score():
    cells = random_nb101(300)
    specs = [spec(c) for c in cells]
    adj, _, sizes = nb101_padded(specs)
    ch = nb101_channels(adj, 128, 128)
    proj = RELU_GAIN * 128
    for k, nodes in enumerate(sed_nb101_batch(specs)):
        n = sizes[k]
        m = specs[k][0]
        feeders = [t for t in range(1, n - 1) if m[t, n - 1]]
        direct = proj if m[0, n - 1] else 0.0
        if not feeders:
            assert nodes[-1] == pytest.approx(0.5 * math.log(direct))
            continue
        w = np.array([ch[k, t] for t in feeders])
        h = np.array([0.5 * math.log(math.exp(2 * nodes[t]) + direct) for t in feeders])
        assert nodes[-1] == pytest.approx(float((w * h).sum() / w.sum()), rel=1e-9, abs=1e-9)


def test_nb201_isomorphic_cells_score_equal():
    space = get_space("nb201")
    cells = all_cells()
    score = sed_nb201(all_ops_matrix().astype(np.int64))
    keys = pd.Series([space.iso_key(c) for c in cells])
    spread = pd.Series(score).groupby(keys).agg(lambda s: s.max() - s.min())
    assert spread.max() < 1e-9 and keys.nunique() < len(cells)


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


def test_natsss_node_shape_and_score():
    space = get_space("natsss")
    cells = space.sample(50, RNG)
    nodes = space.sed_nodes(cells)
    assert all(v.shape == (8,) and np.isfinite(v).all() for v in nodes)
    assert sed_score(cells[0]) == pytest.approx(float(nodes[0][-1]))
