"""GRAF graph features: hand-computed values on one cell of each space, and the plumbing."""

from __future__ import annotations

import numpy as np
import pytest

import narank.graf
from narank.graf import graf_features, graf_names
from narank.spaces import get_space


def _row(space: str, cell) -> dict[str, float]:
    names = graf_names(space)
    values = graf_features(space, [cell])[0]
    assert len(names) == len(values) == len(set(names))
    return dict(zip(names, values, strict=True))


def test_nb201_hand_computed():
    # 0->1 conv3x3, 0->2 skip, 1->2 none, 0->3 pool, 1->3 conv1x1, 2->3 none:
    # node 2 feeds nothing, so the skip is dead; live paths: pool (1 op), conv3x3->conv1x1 (2 ops)
    space = get_space("nb201")
    cell = space.parse("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|")
    f = _row("nb201", cell)
    assert f["count:none"] == 3 and f["count:skip_connect"] == 0  # dead skip counts as none
    assert f["count:nor_conv_3x3"] == f["count:nor_conv_1x1"] == f["count:avg_pool_3x3"] == 1
    assert f["input_to:nor_conv_3x3"] == 1 and f["input_to:nor_conv_1x1"] == 0
    assert f["to_output:nor_conv_1x1"] == f["to_output:avg_pool_3x3"] == 1
    assert f["to_output:nor_conv_3x3"] == 0
    assert f["out_degree:nor_conv_3x3"] == 1 and f["in_degree:nor_conv_1x1"] == 1
    all_ops = "skip_connect+nor_conv_1x1+nor_conv_3x3+avg_pool_3x3"
    assert (f[f"paths:{all_ops}"], f[f"min_path:{all_ops}"], f[f"max_path:{all_ops}"]) == (2, 1, 2)
    assert (f["paths:nor_conv_1x1+nor_conv_3x3"], f["min_path:nor_conv_1x1+nor_conv_3x3"]) == (1, 2)
    assert (f["paths:nor_conv_3x3"], f["min_path:nor_conv_3x3"], f["max_path:nor_conv_3x3"]) == (0, -1, -1)
    assert (f["paths:avg_pool_3x3"], f["max_path:avg_pool_3x3"]) == (1, 1)
    assert not any("none" in n for n in graf_names("nb201") if n.startswith("paths:"))
    assert f["nodes"] == 8 and f["edges"] == 5


def test_nb101_hand_computed():
    # input -> conv3x3 -> conv1x1 -> output, input -> maxpool -> output, input -> output
    space = get_space("nb101")
    adjacency = [[0, 1, 0, 1, 1],
                 [0, 0, 1, 0, 0],
                 [0, 0, 0, 0, 1],
                 [0, 0, 0, 0, 1],
                 [0, 0, 0, 0, 0]]
    ops = ["input", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3", "output"]
    cell = space.parse({"adjacency": adjacency, "ops": ops})
    labels, edges = space.structure(cell)
    f = _row("nb101", cell)
    assert f["nodes"] == len(labels) == 5 and f["edges"] == len(edges) == 6
    c3, c1, mp = "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"
    assert f[f"count:{c3}"] == f[f"count:{c1}"] == f[f"count:{mp}"] == 1
    assert f[f"input_to:{c3}"] == 1 and f[f"input_to:{c1}"] == 0 and f[f"to_output:{c3}"] == 0
    everything = "+".join((c3, c1, mp))
    # three paths: direct (0 ops), through the pool (1), through both convs (2)
    assert (f[f"paths:{everything}"], f[f"min_path:{everything}"], f[f"max_path:{everything}"]) == (3, 0, 2)
    # only the pool allowed: the direct edge and the pool path
    assert (f[f"paths:{mp}"], f[f"min_path:{mp}"], f[f"max_path:{mp}"]) == (2, 0, 1)
    assert (f[f"paths:{c3}+{c1}"], f[f"max_path:{c3}+{c1}"]) == (2, 2)


def test_natsss_widths_carry_the_signal():
    space = get_space("natsss")
    cell = space.parse("8:16:24:32:64")
    f = _row("natsss", cell)
    # the first node-value columns are the 5 widths / 64, the same on every node
    assert [f[f"node_value_mean:{j}"] for j in range(5)] == pytest.approx([.125, .25, .375, .5, 1.0])
    assert f["node_value_max:4"] == pytest.approx(1.0)
    other = graf_features("natsss", [space.parse("64:16:24:32:64")])[0]
    differ = [n for n, a, b in zip(graf_names("natsss"), graf_features("natsss", [cell])[0], other,
                                   strict=True) if a != b]
    assert "node_value_mean:0" in differ and not any(n.startswith(("paths:", "count:")) for n in differ)


@pytest.mark.parametrize("space", ["nb201", "nb101", "natsss"])
def test_batch_equals_one_by_one(space):
    s = get_space(space)
    cells = s.sample(40, 3)
    narank.graf._CACHE.clear()  # each path computes its rows itself, not reads the other's
    batch = graf_features(s, cells)
    assert batch.shape == (40, len(graf_names(s)))
    single = []
    for c in cells:
        narank.graf._CACHE.clear()
        single.append(graf_features(s, [c])[0])
    single = np.stack(single)
    np.testing.assert_array_equal(batch, single)
    assert graf_features(s, []).shape == (0, len(graf_names(s)))


def test_features_separate_distinct_nb201_cells():
    # GRAF is a summary, yet it tells apart most of NB201's functionally distinct cells
    s = get_space("nb201")
    cells = s.enumerate()
    distinct = len({row.tobytes() for row in graf_features(s, cells)})
    assert distinct > 0.5 * len({s.iso_key(c) for c in cells})


def test_invariant_to_vertex_numbering():
    # the same NB101 graph numbered two ways (conv first or pool first) has the same features
    space = get_space("nb101")
    adjacency = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
    a = space.parse({"adjacency": adjacency, "ops": ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]})
    b = space.parse({"adjacency": adjacency, "ops": ["input", "maxpool3x3", "conv3x3-bn-relu", "output"]})
    np.testing.assert_array_equal(graf_features(space, [a]), graf_features(space, [b]))


@pytest.mark.parametrize("model", ["xgb", "rf"])
def test_tabular_baseline_learns_from_graf(model):
    # a target GRAF can express (longest all-conv path) is learnt from 200 cells by both models
    from scipy.stats import kendalltau

    from narank.baselines import tabular_scores

    s = get_space("nb201")
    cells = s.sample(700, 5)
    x = graf_features(s, cells)
    names = graf_names(s)
    y = (x[:, names.index("max_path:nor_conv_1x1+nor_conv_3x3")]
         + 0.5 * x[:, names.index("count:nor_conv_3x3")])
    pred = tabular_scores(x[:200], y[:200], x[200:], model, seed=0)
    assert kendalltau(pred, y[200:]).statistic > 0.8
    with pytest.raises(ValueError, match="unknown tabular model"):
        tabular_scores(x[:10], y[:10], x[10:20], "svm")
