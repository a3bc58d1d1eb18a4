"""The NAR ranker: tier cut, loss, determinism, checkpoints and resume (small and fast)."""

import numpy as np
import pytest
import torch

from narank.errors import CheckpointError, NarankError
from narank.model.losses import nar_loss, pairwise_ranking_loss
from narank.model.ranker import RankerConfig
from narank.model.tiers import assign_tiers, cut_tiers, tier_edges
from narank.predictor import Ranker
from narank.spaces import nb201
from narank.train import TrainConfig


def test_tier_cut_is_equal_quantiles_best_first():
    acc = np.arange(100, dtype=float)
    tiers = cut_tiers(acc, 5)
    assert np.bincount(tiers).tolist() == [20] * 5
    assert tiers[99] == 0 and tiers[0] == 4
    edges = tier_edges(acc, 5)
    assert len(edges) == 4 and np.all(np.diff(edges) < 0)
    assert assign_tiers(np.array([99.0, 0.0, 50.0]), edges).tolist() == [0, 4, 2]
    with pytest.raises(ValueError):
        tier_edges(acc[:3], 5)


def test_pairwise_loss_prefers_correct_order_and_ignores_ties():
    y = torch.tensor([1.0, 2.0, 3.0])
    good = pairwise_ranking_loss(torch.tensor([0.0, 1.0, 2.0]), y)
    bad = pairwise_ranking_loss(torch.tensor([2.0, 1.0, 0.0]), y)
    assert good < np.log(2) < bad
    assert pairwise_ranking_loss(torch.tensor([0.0, 5.0]), torch.tensor([1.0, 1.0])) == 0
    logits = torch.zeros(3, 5)
    total, ce, rank = nar_loss(logits, torch.zeros(3), torch.tensor([0, 1, 2]), y, lam=9.0)
    assert torch.isclose(ce, torch.log(torch.tensor(5.0)))
    assert torch.isclose(total, ce + 9.0 * rank)


def _data(n=60, seed=0):
    cells = nb201.sample(n, np.random.default_rng(seed))
    # A learnable synthetic target: conv3x3 count minus pooling count.
    acc = np.array([c.ops.count("nor_conv_3x3") - 0.5 * c.ops.count("avg_pool_3x3") for c in cells])
    return cells, acc + np.random.default_rng(seed).normal(0, 0.01, n)


def _ranker(epochs=15, seed=0):
    feats = ("flops", "params")
    from narank.graphs import node_dim

    return Ranker("nb201", "cifar10", feats, RankerConfig(in_dim=node_dim(feats), dim=32, layers=2),
                  TrainConfig(epochs=epochs, seed=seed, batch_size=32))


def test_training_learns_and_same_seed_gives_same_predictions():
    cells, acc = _data()
    a = _ranker(seed=3).fit(cells, acc, progress=False)
    b = _ranker(seed=3).fit(cells, acc, progress=False)
    test = nb201.sample(200, np.random.default_rng(9))
    assert np.array_equal(a.score(test), b.score(test))
    from scipy.stats import kendalltau

    truth = [c.ops.count("nor_conv_3x3") - 0.5 * c.ops.count("avg_pool_3x3") for c in test]
    assert kendalltau(a.score(test), truth).statistic > 0.5
    tiers = a.predict_tier(test)
    assert tiers.min() >= 1 and tiers.max() <= 5


def test_checkpoint_round_trip_and_resume(tmp_path):
    cells, acc = _data()
    r = _ranker(epochs=6).fit(cells, acc, progress=False)
    path = tmp_path / "r.pt"
    r.save(path)
    loaded = Ranker.load(path)
    assert np.array_equal(loaded.score(cells), r.score(cells))
    assert loaded.manifest["train_ids"] == [str(c.index) for c in cells]
    assert loaded.manifest["space"] == "nb201" and loaded.manifest["tiers"] == 5


class _Interrupt(Exception):
    pass


def test_interrupted_training_resumes_to_the_same_model(tmp_path):
    cells, acc = _data()
    path = tmp_path / "partial.pt"
    interrupted = _ranker(epochs=12)
    original_save = interrupted.save

    def save_then_stop(p):
        original_save(p)
        raise _Interrupt

    interrupted.save = save_then_stop
    with pytest.raises(_Interrupt):
        interrupted.fit(cells, acc, progress=False, checkpoint=path, checkpoint_every=5)
    resumed = Ranker.load(path)
    assert resumed._state["epoch"] == 5
    resumed.fit(cells, acc, progress=False, resume=True)
    straight = _ranker(epochs=12).fit(cells, acc, progress=False)
    assert np.allclose(resumed.score(cells), straight.score(cells), atol=1e-5)


def test_corrupt_truncated_and_foreign_checkpoints_raise_clear_errors(tmp_path):
    cells, acc = _data(30)
    r = _ranker(epochs=2).fit(cells, acc, progress=False)
    good = tmp_path / "good.pt"
    r.save(good)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        Ranker.load(truncated)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    with pytest.raises(CheckpointError, match="not a narank ranker"):
        Ranker.load(foreign)
    with pytest.raises(CheckpointError, match="not found"):
        Ranker.load(tmp_path / "missing.pt")
    payload = torch.load(good, weights_only=True)
    payload["manifest"]["config"]["dim"] = 48
    bad = tmp_path / "incompatible.pt"
    torch.save(payload, bad)
    with pytest.raises(CheckpointError, match="incompatible"):
        Ranker.load(bad)
    assert not list(tmp_path.glob("*.tmp"))


def test_bad_settings_are_rejected_early():
    with pytest.raises(NarankError):
        Ranker("nb999", "cifar10")
    with pytest.raises(NarankError):
        Ranker("nb201", "mnist")
    with pytest.raises(ValueError):
        RankerConfig(in_dim=10, encoder="mlp")
    with pytest.raises(NarankError):
        _ranker().fit(*_data(10)[:1], [1.0, 2.0])
