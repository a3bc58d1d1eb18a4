"""Cells -> PyG graphs: structure, features, batching."""

import numpy as np
import pytest
import torch
from torch_geometric.loader import DataLoader

from narank.errors import NarankError
from narank.graphs import NODE_TYPES, node_dim, to_batch, to_graph, to_graphs
from narank.spaces.nb101 import NB101Cell
from narank.spaces.nb201 import NB201Cell

BEST_C10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def test_nb201_graph_has_edge_nodes_between_input_and_output():
    g = to_graph(NB201Cell.from_str(BEST_C10))
    assert g.num_nodes == 8
    assert g.x.shape == (8, node_dim())
    labels = [NODE_TYPES[i] for i in g.x[:, : len(NODE_TYPES)].argmax(1).tolist()]
    assert labels[0] == "input" and labels[-1] == "output"
    assert labels[1:7] == ["nor_conv_3x3"] * 3 + ["skip_connect"] + ["nor_conv_3x3"] * 2
    fwd = g.edge_index[:, g.edge_attr[:, 0] == 1].t().tolist()
    assert [0, 1] in fwd and [1, 3] in fwd and [4, 7] in fwd and [1, 5] in fwd
    assert [2, 3] not in fwd  # edge 0->2 feeds node 2, whose out-edge is op node 6 (2->3)
    assert g.edge_index.shape[1] == 2 * len(fwd)


def test_nb201_dead_ops_act_as_none_so_isomorphic_cells_share_a_graph():
    dead = NB201Cell.from_str("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|")
    clean = NB201Cell.from_str("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")
    assert dead.iso_key == clean.iso_key
    a, b = to_graph(dead), to_graph(clean)
    assert torch.equal(a.x, b.x) and torch.equal(a.edge_index, b.edge_index)


def test_nb101_graph_follows_matrix():
    cell = NB101Cell.from_spec([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "maxpool3x3", "output"])
    g = to_graph(cell, ["flops", "params"])
    assert g.num_nodes == 3 and g.x.shape[1] == node_dim(["flops", "params"])
    assert g.edge_index.shape[1] == 4
    assert g.x[0, -1] == 0 and g.x[2, -1] == 0  # no input->output projection here


def test_unknown_node_feature_names_the_choices():
    with pytest.raises(NarankError, match="unknown node feature"):
        to_graph(NB201Cell.from_str(BEST_C10), ["bogus"])


def test_batch_fast_path_matches_pyg_collation():
    rng = np.random.default_rng(0)
    from narank.spaces import nb201

    cells = nb201.sample(20, rng)
    fast = to_batch(cells, ["flops"])
    loader = DataLoader(to_graphs(cells, ["flops"]), batch_size=20)
    slow = next(iter(loader))
    for key in ("x", "edge_index", "edge_attr", "batch"):
        assert torch.equal(fast[key], slow[key])


def test_targets_go_to_y_and_must_match_length():
    cells = [NB201Cell.from_str(BEST_C10)] * 2
    assert to_graphs(cells, targets=[1.0, 2.0])[1].y.item() == 2.0
    with pytest.raises(NarankError):
        to_graphs(cells, targets=[1.0])
