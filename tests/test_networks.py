"""The PyTorch NB201/NB101 networks have exactly the benchmarks' parameter counts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from narank.networks.nb101 import build_nb101
from narank.networks.nb201 import DATASETS_ALL, build_nb201, count_params


def test_nb201_params_match_table(nb201_csv):
    df = pd.read_csv(nb201_csv)
    rng = np.random.default_rng(0)
    rows = list(rng.choice(len(df), 50, replace=False))
    ops = df["arch_str"].str.count("nor_conv_3x3") * 10 + df["arch_str"].str.count("none")
    rows += [int(ops.idxmax()), int(ops.idxmin())]  # most conv3x3 / most `none`
    for i in rows:
        for ds in DATASETS_ALL:
            net = build_nb201(df.arch_str[i], ds)
            expected = round(float(df[f"{ds}_params_M"][i]) * 1e6)
            assert count_params(net) == expected, (i, ds)


def test_nb101_params_match_table(nb101_csv):
    df = pd.read_csv(nb101_csv)
    df = df[df["official_vertex_order"].astype(str) == "True"].sample(20, random_state=0)
    for adj, ops, params_m in zip(df.adjacency, df.ops, df.params_M):
        net = build_nb101((json.loads(adj), json.loads(ops)))
        assert count_params(net) == round(params_m * 1e6)


def test_small_networks_forward():
    x = torch.randn(2, 3, 16, 16)
    arch = "|none~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|"
    assert build_nb201(arch, channels=4, cells_per_stage=1, num_classes=7)(x).shape == (2, 7)
    adj = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
    spec = (adj, ["input", "maxpool3x3", "conv3x3-bn-relu", "output"])
    assert build_nb101(spec, channels=8, cells_per_stack=1)(x).shape == (2, 10)
    only_io = ([[0, 1], [0, 0]], ["input", "output"])
    assert build_nb101(only_io, channels=8, cells_per_stack=1)(x).shape == (2, 10)


def test_bad_cells_raise_clear_errors():
    from narank.errors import InvalidCellError

    with pytest.raises(InvalidCellError, match="6 ops"):
        build_nb201(("skip_connect",) * 5)
    with pytest.raises(InvalidCellError, match="dataset"):
        build_nb201(("skip_connect",) * 6, "mnist")
