"""The NAR ranker: estimator API, tier cut, loss, seeding, warm start, checkpoints, resume (small, fast)."""

import inspect

import numpy as np
import pytest
import sklearn.base
import sklearn.exceptions
import torch
from scipy.stats import kendalltau

from narank.errors import CheckpointError, InvalidCellError, NarankError, NotFittedError
from narank.model.losses import nar_loss, pairwise_ranking_loss
from narank.model.ranker import RankerConfig
from narank.model.tiers import assign_tiers, cut_tiers, tier_edges
from narank.predictor import Ranker
from narank.spaces import get_space
from narank.train import default_train_config

torch.set_num_threads(1)
NB201 = get_space("nb201")


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


def _truth(cells) -> np.ndarray:
    """A learnable synthetic target: conv3x3 count minus half the pooling count."""
    return np.array([c.ops.count("nor_conv_3x3") - 0.5 * c.ops.count("avg_pool_3x3") for c in cells])


def _data(n=60, seed=0):
    cells = NB201.sample(n, np.random.default_rng(seed))
    return cells, _truth(cells) + np.random.default_rng(seed).normal(0, 0.01, n)


def _ranker(epochs=15, seed=0, **params) -> Ranker:
    return Ranker("nb201", "cifar10", dim=32, layers=2, epochs=epochs, batch_size=32,
                  random_state=seed, **params)


# ------------------------------------------------------------------ estimator API


def test_params_round_trip_and_clone():
    r = Ranker("nb201", "cifar100", dim=32, epochs=7, random_state=4)
    params = r.get_params()
    assert set(params) == set(inspect.signature(Ranker).parameters)
    assert params["dim"] == 32 and params["epochs"] == 7 and params["batch_size"] is None
    assert r.set_params(lr=1e-3, warm_start=True) is r
    assert r.lr == 1e-3 and r.warm_start
    twin = sklearn.base.clone(r)
    assert twin is not r and twin.get_params() == r.get_params()
    assert Ranker(**params).get_params() == params
    fitted = _ranker(epochs=1).fit(*_data(20))
    assert not hasattr(sklearn.base.clone(fitted), "model_")


def test_unfitted_ranker_raises_not_fitted(tmp_path):
    r = _ranker()
    cells = NB201.sample(3, 0)
    for call in (lambda: r.predict(cells), lambda: r.predict_tier(cells), lambda: r.rank(cells),
                 lambda: r.score(cells, [1, 2, 3]), lambda: r.save(tmp_path / "r.pt"),
                 lambda: r.true_tiers([1.0])):
        with pytest.raises(NotFittedError, match="not fitted"):
            call()
    assert issubclass(NotFittedError, sklearn.exceptions.NotFittedError)
    assert issubclass(NotFittedError, NarankError)
    assert r.manifest == {} and r.trained_epochs is None


@pytest.mark.parametrize(("params", "message"), [
    ({"space": "nb999"}, "nb999"), ({"dataset": "mnist"}, "mnist"), ({"encoder": "mlp"}, "mlp"),
    ({"dim": 30, "heads": 4}, "divisible"), ({"tiers": 1}, "tiers"), ({"epochs": 0}, "epochs"),
    ({"batch_size": 1}, "batch_size"), ({"lr": -1.0}, "lr"), ({"lam": -2.0}, "lam"),
    ({"dropout": 1.5}, "dropout"), ({"random_state": "x"}, "random_state"),
    ({"node_features": ("bogus",)}, "bogus"), ({"device": "tpu"}, "tpu"), ({"device": "cuda:99"}, "cuda:99"),
])
def test_bad_parameters_are_rejected_in_fit(params, message):
    r = _ranker().set_params(**params)  # the constructor only stores them (scikit-learn style)
    with pytest.raises(NarankError, match=message) as info:
        r.fit(*_data(10))
    if "space" not in params and "dataset" not in params and "node_features" not in params:
        assert isinstance(info.value, ValueError)  # as scikit-learn estimators raise


def test_sklearn_tags_say_it_takes_cells():
    tags = Ranker().__sklearn_tags__()
    assert not tags.input_tags.two_d_array and tags.input_tags.string and tags.target_tags.required


def test_bad_data_is_rejected():
    cells, acc = _data(10)
    with pytest.raises(NarankError, match="10 cells but 2"):
        _ranker().fit(cells, [1.0, 2.0])
    with pytest.raises(NarankError, match="NaN"):
        _ranker().fit(cells, np.r_[acc[:-1], np.nan])
    with pytest.raises(NarankError, match="at least 5"):
        _ranker().fit(cells[:3], acc[:3])


def test_defaults_resolve_from_one_place():
    small, large = Ranker("nb201").train_settings(156), Ranker("nb201").train_settings(1563)
    assert (small.epochs, small.batch_size, large.epochs, large.batch_size) == (300, 128, 150, 256)
    assert small == default_train_config("nb201", 156, 0)
    assert Ranker("nb101").train_settings(100).lam == get_space("nb101").nar_lambda
    custom = Ranker("nb201", epochs=7, batch_size=16, lam=3.0).train_settings(5000)
    assert (custom.epochs, custom.batch_size, custom.lam) == (7, 16, 3.0)


# ------------------------------------------------------------------ seeding, refit, warm start


def test_fit_keeps_global_rng_and_random_state_decides():
    cells, acc = _data()
    test = NB201.sample(100, 9)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = _ranker(epochs=3, seed=3).fit(cells, acc)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = _ranker(epochs=3, seed=3).fit(cells, acc)
    c = _ranker(epochs=3, seed=4).fit(cells, acc)
    assert np.array_equal(a.predict(test), b.predict(test))
    assert not np.allclose(a.predict(test), c.predict(test))


def test_fits_in_threads_equal_fits_one_at_a_time():
    """Dropout draws from torch's process-wide RNG: two fits at once (two searches in threads) take
    turns, so each gives what it gives alone."""
    from concurrent.futures import ThreadPoolExecutor

    cells, acc = _data()
    test = NB201.sample(50, 9)

    def fit(seed: int) -> np.ndarray:
        return _ranker(epochs=4, seed=seed, dropout=0.3).fit(cells, acc).predict(test)

    alone = [fit(1), fit(2)]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(fit, (1, 2)))
    assert all(np.array_equal(a, b) for a, b in zip(alone, together, strict=True))


def test_refit_starts_fresh_and_warm_start_continues():
    cells, acc = _data()
    test = NB201.sample(100, 9)
    once = _ranker(epochs=3).fit(cells, acc)
    twice = _ranker(epochs=3).fit(cells, acc).fit(cells, acc)
    assert np.array_equal(once.predict(test), twice.predict(test))

    warm = _ranker(epochs=3).fit(cells[:40], acc[:40])
    model = warm.model_
    warm.set_params(warm_start=True, epochs=2)
    warm.fit(cells, acc)
    assert warm.model_ is model
    assert warm.manifest["train_config"]["epochs"] == 2
    fresh = _ranker(epochs=2).fit(cells, acc)
    assert not np.allclose(warm.predict(test), fresh.predict(test))
    with pytest.raises(NarankError, match="warm_start"):
        warm.set_params(dim=16).fit(cells, acc)


def test_training_learns_every_component():
    cells, acc = _data(100)
    r = _ranker(epochs=1, seed=1).fit(cells, acc)
    r.set_params(warm_start=True, epochs=20)
    head, query = r.model_.tier_head, r.model_.tier_head.query.detach().clone()
    centres = head.centers.clone()
    score_w = r.model_.score_head[0].weight.detach().clone()
    r.fit(cells, acc)
    assert not torch.allclose(head.query, query) and not torch.allclose(head.centers, centres)
    assert not torch.allclose(r.model_.score_head[0].weight, score_w)
    assert bool(head.initialized.all())
    test = NB201.sample(300, 9)
    truth = _truth(test)
    assert r.score(test, truth) > 0.5
    tier_accuracy = np.mean(r.predict_tier(test) == r.true_tiers(truth))
    assert tier_accuracy > 0.35  # chance is 0.2 with 5 tiers
    scores, tiers = r.rank(test)
    assert np.array_equal(scores, r.predict(test)) and np.array_equal(tiers, r.predict_tier(test))
    assert tiers.min() >= 1 and tiers.max() <= 5


def test_score_is_kendall_tau_of_predictions():
    cells, acc = _data(30)
    r = _ranker(epochs=2).fit(cells, acc)
    test = NB201.sample(50, 3)
    truth = _truth(test)
    assert r.score(test, truth) == pytest.approx(kendalltau(r.predict(test), truth).statistic)


def test_predict_refuses_a_cell_of_another_space():
    r = _ranker(epochs=1).fit(*_data(20))
    nb101_cell = get_space("nb101").sample(1, 0)[0]
    with pytest.raises(InvalidCellError, match="nb201") as err:
        r.predict([nb101_cell])
    assert "nb101" in str(err.value)
    with pytest.raises(InvalidCellError):
        r.predict(["not an arch string"])


# ------------------------------------------------------------------ checkpoints


def test_checkpoint_round_trip_keeps_predictions_and_manifest(tmp_path):
    cells, acc = _data()
    r = _ranker(epochs=6).fit(cells, acc)
    r.manifest["tier_stats"] = {"note": "added by a caller"}
    path = tmp_path / "r.pt"
    r.save(path)
    loaded = Ranker.load(path)
    assert np.array_equal(loaded.predict(cells), r.predict(cells))
    # "auto" graph features come back as the names they resolved to, so the checkpoint's inputs stay fixed
    assert loaded.get_params() == {**r.get_params(), "graph_features": ("graf", "params", "flops", "sed")}
    m = loaded.manifest
    assert m["train_ids"] == [NB201.canonical_id(c) for c in cells]
    assert m["space"] == "nb201" and m["tiers"] == 5 and m["tier_stats"]["note"] == "added by a caller"
    assert m["params"]["epochs"] == 6 and m["train_config"]["batch_size"] == 32
    assert loaded.trained_epochs == 6


def test_checkpoints_are_device_free(tmp_path):
    """Where a ranker ran is not where it loads: a checkpoint saved by a GPU ranker loads on the CPU,
    and the network rests on the CPU between calls."""
    cells, acc = _data(30)
    r = _ranker(epochs=2).fit(cells, acc)
    assert {p.device.type for p in r.model_.parameters()} == {"cpu"}
    r.manifest_["params"]["device"] = "cuda:0"  # as a ranker fitted with device="cuda:0" records it
    r.save(tmp_path / "gpu.pt")
    back = Ranker.load(tmp_path / "gpu.pt")
    assert back.device == "cpu"
    assert np.array_equal(back.predict(cells), r.predict(cells))


def test_shipped_checkpoint_still_loads_and_predicts():
    from narank.pretrained import load_pretrained

    r = load_pretrained("nb201-cifar10")
    assert {"kendall_tau", "spearman_rho", "tier_accuracy", "n_test"} <= set(r.manifest["metrics"])
    assert (r.space, r.dataset, r.tiers) == ("nb201", "cifar10", 5)
    assert tuple(r.node_features) == ("flops", "params") and r.tabular == "xgb"
    train = r.manifest["train_config"]
    assert (train["epochs"], train["batch_size"], train["lam"], train["seed"]) == (300, 128, 1.0, 0)
    scores, tiers = r.rank(NB201.sample(200, 0))
    assert scores.shape == (200,) and set(tiers.tolist()) <= {1, 2, 3, 4, 5}


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
        interrupted.fit(cells, acc, checkpoint=path, checkpoint_every=5)
    resumed = Ranker.load(path)
    assert resumed.trained_epochs == 5
    resumed.fit(cells, acc, resume=True)
    assert resumed.trained_epochs == 12
    straight = _ranker(epochs=12).fit(cells, acc)
    assert np.allclose(resumed.predict(cells), straight.predict(cells), atol=1e-5)
    with pytest.raises(NarankError, match="already trained 12 epochs"):
        resumed.fit(cells, acc, resume=True)
    with pytest.raises(CheckpointError, match="nothing to resume"):
        _ranker().fit(cells, acc, resume=True)


def test_corrupt_truncated_and_foreign_checkpoints_raise_clear_errors(tmp_path):
    cells, acc = _data(30)
    r = _ranker(epochs=2).fit(cells, acc)
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
    payload["manifest"]["params"]["dim"] = 48
    bad = tmp_path / "incompatible.pt"
    torch.save(payload, bad)
    with pytest.raises(CheckpointError, match="incompatible"):
        Ranker.load(bad)
    payload["format_version"] = 99
    torch.save(payload, bad)
    with pytest.raises(CheckpointError, match="version 99 is not supported"):
        Ranker.load(bad)
    assert not list(tmp_path.glob("*.tmp"))


def test_ranker_config_still_validates():
    with pytest.raises(ValueError):
        RankerConfig(in_dim=10, encoder="mlp")
