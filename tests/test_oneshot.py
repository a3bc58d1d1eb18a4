"""TopoNAS / one-shot search: exactness at one-hot alpha, gradients, kernel normalization, resume, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from narank.cli import main
from narank.errors import CheckpointError, NarankError
from narank.search.oneshot import (
    OneShotConfig,
    OneShotSearch,
    PlainEdge,
    SimplifiedEdge,
    Supernet,
    entropy,
    is_collapsed,
)
from narank.search.oneshot.search import gdas_weights
from narank.spaces import get_space
from narank.spaces.nb201 import OPS

SPACE = get_space("nb201")
CELLS = [
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|",
    "|skip_connect~0|+|none~0|nor_conv_1x1~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|",
    "|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_1x1~1|nor_conv_1x1~2|",
]
TINY = {"channels": 4, "cells": 1, "batch": 8, "size": 8, "n_images": 48}


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _net(topo: bool, kernel_norm: bool = True) -> Supernet:
    torch.manual_seed(0)
    net = Supernet(4, 1, 10, topo=topo, kernel_norm=kernel_norm)
    with torch.no_grad():  # non-trivial BN statistics and affine parameters
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
        net(torch.randn(8, 3, 8, 8))
    return net


@pytest.mark.parametrize("topo,kernel_norm", [(False, True), (True, True), (True, False)])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_one_hot_alpha_computes_the_plain_network_of_the_cell(topo, kernel_norm, mode):
    net = _net(topo, kernel_norm)
    x = torch.randn(6, 3, 8, 8)
    for arch in CELLS:
        plain = net.derive_network(arch)  # narank's NB201Network with the supernet's weights
        getattr(net, mode)()
        getattr(plain, mode)()
        w = net.one_hot(arch)
        expected = plain(x)
        torch.testing.assert_close(net(x, w), expected, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(net(x, w, hard=True), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("topo", [False, True])
def test_gradients_reach_alpha(topo):
    net = _net(topo)
    x, y = torch.randn(6, 3, 8, 8), torch.randint(0, 10, (6,))
    torch.nn.functional.cross_entropy(net(x), y).backward()
    grad = net.alpha.grad
    assert grad is not None and torch.isfinite(grad).all()
    # every op except none (whose output is 0) gets a gradient of its own on every edge
    assert (grad[:, 1:].abs() > 0).all()
    net.alpha.grad = None
    hard = gdas_weights(net.alpha, 1.0, torch.Generator().manual_seed(0))
    torch.nn.functional.cross_entropy(net(x, hard, hard=True), y).backward()
    assert net.alpha.grad is not None and (net.alpha.grad.abs().sum(-1) > 0).all()


def test_simplified_supernet_has_fewer_paths_and_no_more_weights():
    plain, topo = _net(False), _net(True)
    n = lambda m: sum(p.numel() for k, p in m.named_parameters() if k != "alpha")  # noqa: E731
    assert n(topo) < n(plain)  # one BN per edge instead of two; the same two conv kernels
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in topo.modules()) < sum(
        isinstance(m, torch.nn.BatchNorm2d) for m in plain.modules())


def test_kernel_normalization_keeps_the_mix_fair():
    """Scaling up one candidate's raw kernel must not change the mixture (as plain DARTS's separate BNs
    guarantee); without kernel normalization the larger kernel takes over the shared path."""
    torch.manual_seed(0)
    x = torch.randn(4, 4, 6, 6)
    w = torch.tensor([0.0, 0.0, 0.5, 0.5, 0.0])  # half 1x1, half 3x3
    outputs = {}
    for kernel_norm in (True, False):
        edge = SimplifiedEdge(4, kernel_norm=kernel_norm)
        before = edge(x, w)
        with torch.no_grad():
            edge.w3.mul_(10.0)
        after = edge(x, w)
        k1, k3 = (k.detach() for k in edge.kernels())
        share = float(k1.norm() / (k1.norm() + k3.norm()))  # the 1x1 candidate's part of the merged kernel
        outputs[kernel_norm] = (before, after, share)
    before, after, share = outputs[True]
    torch.testing.assert_close(before, after)
    assert share == pytest.approx(0.5, abs=1e-6)
    before, after, share = outputs[False]
    assert (before - after).abs().max() > 0.1
    assert share < 0.1  # equal at init; after the rescaling the 1x1 candidate is ~1/11 of the kernel
    plain = PlainEdge(4)  # plain DARTS: each conv has its own BN, so the same rescaling changes nothing
    p_before = plain(x, w)
    with torch.no_grad():
        plain.ops[3][1].weight.mul_(10.0)
    torch.testing.assert_close(plain(x, w), p_before, rtol=1e-4, atol=1e-4)


def test_derived_cell_is_a_valid_nb201_cell_and_flags():
    search = OneShotSearch(OneShotConfig(method="darts", topo=True, steps=2, **TINY))
    result = search.run()
    cell = SPACE.parse(result["arch"])
    assert SPACE.owns(cell) and cell.index == result["index"] and 0 <= cell.index < 15625
    assert len(result["entropy"]) == 6 and all(0 <= h <= 1 for h in result["entropy"])
    assert is_collapsed("|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|"
                        "skip_connect~2|")["all_skip"]
    pool_skip = "|avg_pool_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|"
    assert is_collapsed(pool_skip)["collapsed"] and not is_collapsed(pool_skip)["all_skip"]
    assert not is_collapsed(CELLS[0])["collapsed"]
    assert entropy(torch.zeros(6, 5)) == pytest.approx([1.0] * 6)


@pytest.mark.parametrize("method", ["darts", "gdas"])
def test_search_is_deterministic_per_seed(method):
    def alpha(seed: int) -> np.ndarray:
        s = OneShotSearch(OneShotConfig(method=method, topo=True, steps=3, seed=seed, arch_lr=0.05, **TINY))
        s.run()
        return s.model.alpha.detach().numpy().copy()

    np.testing.assert_array_equal(alpha(0), alpha(0))
    assert not np.array_equal(alpha(0), alpha(1))


def test_killed_search_resumes_to_the_same_result(tmp_path):
    cfg = dict(method="gdas", topo=True, steps=4, seed=3, arch_lr=0.05, **TINY)
    ref = OneShotSearch(OneShotConfig(**cfg))
    ref.run()
    ckpt = tmp_path / "search.pt"

    def kill(step, rec):
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        OneShotSearch(OneShotConfig(**cfg)).run(ckpt, every=2, progress=kill)
    assert ckpt.exists() and not list(tmp_path.glob("*.tmp"))
    resumed = OneShotSearch(OneShotConfig(**cfg))
    resumed.run(ckpt, every=2)
    assert resumed.step_done == 4
    for (name, a), b in zip(ref.model.state_dict().items(), resumed.model.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    other = OneShotSearch(OneShotConfig(**{**cfg, "seed": 4}))
    with pytest.raises(CheckpointError, match="seed"):
        other.load(ckpt)


def test_bad_settings_are_refused():
    with pytest.raises(NarankError, match="method"):
        OneShotSearch(OneShotConfig(method="enas", **TINY))
    with pytest.raises(NarankError, match="steps"):
        OneShotSearch(OneShotConfig(steps=0, **TINY))


def test_cli_oneshot_json(capsys, tmp_path):
    args = ["oneshot", "--method", "gdas", "--topo", "--steps", "2", "--channels", "4", "--cells", "1",
            "--size", "8", "--batch", "8", "--n-images", "40", "--json", "--no-progress",
            "--checkpoint", str(tmp_path / "c.pt"), "--data", str(tmp_path / "absent.csv")]
    assert main(args[:-2]) == 0
    out = json.loads(capsys.readouterr().out)
    assert SPACE.parse(out["arch"]).index == out["index"]
    assert out["topo"] and out["method"] == "gdas" and out["steps"] == 2
    assert out["seconds_per_step"] > 0 and out["peak_rss_MB"] > 0
    assert (tmp_path / "c.pt").exists()


@pytest.mark.parametrize("extra,msg", [(["--steps", "0"], "steps"), (["--images", "/nonexistent"], "images"),
                                       (["--space", "nb101"], "nb201"), (["--device", "cuda:7"], "device")])
def test_cli_oneshot_bad_input_exits_2(capsys, extra, msg):
    if extra[0] == "--device" and torch.cuda.is_available():
        pytest.skip("CUDA present")
    code = main(["oneshot", "--channels", "4", "--cells", "1", "--size", "8", "--n-images", "20",
                 "--no-progress", *extra])
    assert code == 2
    assert msg in capsys.readouterr().err


def test_merged_parameter_free_path_equals_the_weighted_ops_and_their_gradients():
    """skip + avg-pool + none as one depthwise conv: same values (borders included) and alpha gradients."""
    torch.manual_seed(1)
    x = torch.randn(2, 4, 5, 7)
    pool = torch.nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    alpha = torch.randn(5, requires_grad=True)
    w = torch.softmax(alpha, 0)
    edge = SimplifiedEdge(4)
    got = edge.parameter_free(x, w[OPS.index("skip_connect")], w[OPS.index("avg_pool_3x3")])
    skip, avg, none = (w[OPS.index(op)] for op in ("skip_connect", "avg_pool_3x3", "none"))
    want = skip * x + avg * pool(x) + none * 0 * x
    torch.testing.assert_close(got, want)
    g_got, = torch.autograd.grad((got * x.cos()).sum(), alpha, retain_graph=True)
    g_want, = torch.autograd.grad((want * x.cos()).sum(), alpha)
    torch.testing.assert_close(g_got, g_want)
