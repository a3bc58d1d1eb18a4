"""Zero-cost proxies: SED properties, NTK / regions determinism, NaN handling, cache round trip."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pandas as pd
import pytest
import torch

from narank.proxies import cache as cache_mod
from narank.proxies.cache import compute_scores
from narank.proxies.linear_regions import linear_regions
from narank.proxies.ntk import condition_number, ntk_condition_number
from narank.proxies.sed import FLOOR, sed_nb201, sed_nb201_nodes, sed_node_features, sed_score
from narank.spaces.nb201 import NB201Cell, all_cells, all_ops_matrix

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
TINY_NTK = dict(n_inits=2, batch_size=8, channels=4, resolution=8)
TINY_LR = dict(n_inits=2, n_samples=200)


def test_sed_all_nb201_fast_and_finite():
    ops = all_ops_matrix().astype(np.int64)
    start = time.perf_counter()
    nodes = sed_nb201_nodes(ops)
    assert time.perf_counter() - start < 1.0
    assert nodes.shape == (15625, 8) and np.isfinite(nodes).all()
    assert (nodes[:, 0] == 0).all() and nodes.min() == FLOOR


def test_sed_orders_ops_by_entropy_principle():
    def score(op: str) -> float:
        return sed_score(NB201Cell(("skip_connect",) * 5 + (op,)))

    assert score("nor_conv_3x3") > score("nor_conv_1x1") > score("skip_connect")
    assert score("skip_connect") > score("avg_pool_3x3")
    assert sed_score(NB201Cell(("none",) * 6)) == FLOOR
    feats = sed_node_features(NB201Cell.from_str(BEST))
    assert feats.shape == (8,) and feats[-1] == sed_score(NB201Cell.from_str(BEST))


def test_sed_nb101_per_vertex():
    adj = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]
    from narank.spaces import get_space

    cell = get_space("nb101").parse((adj, ["input", "maxpool3x3", "conv3x3-bn-relu", "output"]))
    feats = sed_node_features(cell)
    assert feats.shape == (4,) and np.isfinite(feats).all() and feats[2] > feats[1]


def test_sed_rank_correlation_on_nb201(nb201_csv):
    from scipy.stats import spearmanr

    df = pd.read_csv(nb201_csv)
    score = sed_nb201(all_ops_matrix().astype(np.int64)[df["index"].to_numpy()])
    assert spearmanr(score, df["cifar10_test_acc"])[0] >= 0.80


def test_ntk_deterministic_per_seed():
    a = ntk_condition_number(BEST, seed=1, **TINY_NTK)
    b = ntk_condition_number(BEST, seed=1, **TINY_NTK)
    c = ntk_condition_number(BEST, seed=2, **TINY_NTK)
    assert a == b and a.ok and a.value > 1 and a.value != c.value


def test_linear_regions_deterministic_per_seed():
    a = linear_regions(BEST, seed=3, **TINY_LR)
    assert a == linear_regions(BEST, seed=3, **TINY_LR)
    assert a.ok and 1 <= a.value <= 200


def test_nan_and_inf_are_flagged_not_raised():
    images = torch.full((8, 3, 8, 8), float("nan"))
    res = ntk_condition_number(BEST, images=images, **TINY_NTK)
    assert math.isnan(res.value) and not res.ok
    assert math.isnan(linear_regions(BEST, images=images, n_inits=1).value)
    assert math.isnan(condition_number(torch.zeros(3, 3)))
    singular = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    assert condition_number(singular) == math.inf
    too_small = linear_regions(BEST, resolution=2, n_inits=1, n_samples=10)
    assert math.isnan(too_small.value) and not too_small.ok


def test_cache_round_trip(tmp_path, monkeypatch):
    cells = list(all_cells()[:3])
    first = compute_scores("lr", cells, cache_root=tmp_path, progress=False, **TINY_LR)
    folders = list((tmp_path / "store" / "nb201" / "lr").iterdir())
    assert len(folders) == 1 and len(cache_mod.ResultStore(folders[0])) == 3

    def fail(*_args, **_kwargs):
        raise AssertionError("cache miss")

    monkeypatch.setattr(cache_mod, "compute_one", fail)
    again = compute_scores("lr", cells, cache_root=tmp_path, progress=False, **TINY_LR)
    assert np.array_equal(first, again)
    with pytest.raises(AssertionError, match="cache miss"):  # other params: other cache entry
        compute_scores("lr", cells, seed=5, cache_root=tmp_path, progress=False, **TINY_LR)


def test_cache_corrupt_file_gives_clear_error(tmp_path):
    from narank.errors import DataFileError

    compute_scores("lr", list(all_cells()[:1]), cache_root=tmp_path, progress=False, **TINY_LR)
    path = next((tmp_path / "store").rglob("part-*.parquet"))
    path.write_bytes(b"not parquet")
    with pytest.raises(DataFileError, match="delete the file"):
        compute_scores("lr", list(all_cells()[:1]), cache_root=tmp_path, **TINY_LR)


def test_cli_sed_json_and_csv(tmp_path, nb201_csv, capsys):
    from narank.cli import main

    out = tmp_path / "s.csv"
    assert main(["proxies", "--space", "nb201", "--proxy", "sed", "--limit", "500",
                 "--data", str(nb201_csv), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n"] == 500 and summary["spearman_rho"] > 0.7
    assert set(summary) >= {"spearman_rho", "kendall_tau", "seconds_per_cell", "n"}
    assert out.read_text().splitlines()[0] == "index,score"
    assert main(["proxies", "--space", "nb201", "--proxy", "nope"]) == 2


def test_sed_search_and_supernet_edges():
    from narank.proxies.ntk import small_network
    from narank.proxies.zero_shot import _rank, sed_search

    assert sed_search("cifar10").ops == ("nor_conv_3x3",) * 6
    supernet = tuple(("skip_connect", "nor_conv_3x3") for _ in range(6))
    assert small_network(supernet, 4)(torch.randn(2, 3, 8, 8)).shape == (2, 10)
    assert list(_rank([3.0, float("nan"), 1.0], descending=False)) == [1, 2, 0]


def test_masked_supernet_equals_single_path_network():
    """Masking a supernet edge down to one op gives exactly that op's network (shared weights)."""
    from narank.networks.nb201 import OPS, NB201Network, set_active_ops

    torch.manual_seed(0)
    supernet = NB201Network(tuple(tuple(OPS[1:]) for _ in range(6)), 4, 1, 10).eval()
    x = torch.randn(3, 3, 8, 8)
    set_active_ops(supernet, [("nor_conv_3x3",)] * 6)
    single = NB201Network(("nor_conv_3x3",) * 6, 4, 1, 10).eval()
    state = {k.replace(".ops.2.", ".").replace(".ops.", ".__"): v
             for k, v in supernet.state_dict().items()}
    single.load_state_dict({k: v for k, v in state.items() if ".__" not in k})
    assert torch.allclose(supernet(x), single(x), atol=1e-6)


def test_train_bn_ntk_matches_per_sample_backward():
    from narank.proxies.ntk import kaiming_init, ntk_gram_train_bn, synthetic_batch

    torch.manual_seed(0)
    net = kaiming_init(small_network_for_test(), "fan_out")
    x = synthetic_batch("smooth", 6, 8, 0)
    gram = ntk_gram_train_bn(net, x)
    rows = []
    for i in range(len(x)):
        net.zero_grad()
        net(x)[i].sum().backward()
        rows.append(torch.cat([p.grad.reshape(-1) for n, p in net.named_parameters()
                               if "weight" in n and p.grad is not None]))
    jac = torch.stack(rows).double()
    assert gram.shape == (6, 6) and torch.allclose(gram, jac @ jac.T, rtol=1e-4)


def small_network_for_test():
    from narank.proxies.ntk import small_network

    return small_network(tuple(("skip_connect", "nor_conv_3x3") for _ in range(6)), 3)


def test_tenas_search_tiny_deterministic():
    from narank.proxies.zero_shot import _dense_rank, _round_sig, tenas_search

    assert list(_dense_rank([0.5, 0.5, 0.1, float("nan")], descending=True)) == [0, 0, 1, 2]
    assert _round_sig(0.123456, 3) == 0.123
    tiny = dict(n_inits=1, batch_size=6, channels=2, resolution=8, lr_samples=100)
    a = tenas_search("cifar10", seed=0, **tiny)
    assert a == tenas_search("cifar10", seed=0, **tiny) and "none" not in a.ops


def test_sweep_orients_a_proxy_by_its_declaration(nb201_csv, monkeypatch):
    """A proxy registered as lower-is-better is negated before correlating: its τ flips sign."""
    import dataclasses

    from narank.proxies.registry import PROXIES, get_proxy
    from narank.proxies.sweep import proxy_sweep

    data = str(nb201_csv.parents[1])
    plain = proxy_sweep("nb201", "params", limit=100, progress=False, data=data, use_cache=False)
    PROXIES.register("params", dataclasses.replace(get_proxy("params"), lower_is_better=True))
    try:
        flipped = proxy_sweep("nb201", "params", limit=100, progress=False, data=data, use_cache=False)
    finally:
        PROXIES.register("params", dataclasses.replace(get_proxy("params"), lower_is_better=False))
    assert plain.summary["kendall_tau"] > 0.3
    assert flipped.summary["kendall_tau"] == pytest.approx(-plain.summary["kendall_tau"])
    assert flipped.summary["orientation"].startswith("-") and get_proxy("ntk").lower_is_better
