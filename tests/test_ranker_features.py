"""Graph-level features, self-supervised pretraining and label hygiene of the ranker (small, fast)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from narank.errors import NarankError
from narank.graph_features import graph_feature_names, graph_features
from narank.graphs import graph_key
from narank.model.encoders import GraphEncoder
from narank.predictor import Ranker
from narank.pretrain import encoder_distance, pretrained_state
from narank.spaces import get_space

torch.set_num_threads(1)
NB201 = get_space("nb201")


def _small(**params) -> Ranker:
    """The GNN alone unless the test names graph features (and the tabular half) itself."""
    params = {"graph_features": (), "tabular": None, **params}
    return Ranker("nb201", "cifar10", dim=16, layers=1, heads=2, epochs=2, batch_size=32, **params)


def _data(n=40, seed=0):
    cells = NB201.sample(n, np.random.default_rng(seed))
    return cells, np.array([c.ops.count("nor_conv_3x3") + 0.1 * i for i, c in enumerate(cells)])


def test_graph_feature_reaches_the_model():
    # a dead conv and a dead pool give the same graph (both 'none'), but different params
    a = NB201.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|skip_connect~1|none~2|")
    b = NB201.parse("|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_3x3~1|+|skip_connect~0|skip_connect~1|none~2|")
    assert graph_key(a, ("flops", "params")) == graph_key(b, ("flops", "params"))
    params = [graph_features(NB201, [c], "cifar10", ["params"])[0, 0] for c in (a, b)]
    assert params[0] != params[1]
    cells, y = _data()
    plain = _small().fit(cells, y)
    assert plain.predict([a])[0] == plain.predict([b])[0]
    with_params = _small(graph_features=("params",)).fit(cells, y)
    assert with_params.model_.config.graph_dim == 1
    assert with_params.predict([a])[0] != with_params.predict([b])[0]
    np.testing.assert_allclose(with_params.predict([a, b, a])[[0, 2]], with_params.predict([a])[0], rtol=1e-5)


def test_graph_feature_names_and_widths():
    names = graph_feature_names(NB201, ["graf", "params", "flops", "sed"])
    x = graph_features(NB201, NB201.sample(5, 0), None, ["graf", "params", "flops", "sed"])
    assert x.shape == (5, len(names)) and names[-3:] == ["log10_params_M", "log10_flops_M", "sed"]
    assert _small(graph_features="graf,sed").fit(*_data()).model_.config.graph_dim == len(
        graph_feature_names(NB201, ["graf", "sed"]))


def test_unknown_graph_features_are_refused():
    with pytest.raises(NarankError, match=r"unknown graph feature.*'nope'.*choose from"):
        _small(graph_features=("graf", "nope")).fit(*_data())
    with pytest.raises(NarankError, match="unknown graph feature"):
        graph_features(NB201, NB201.sample(2, 0), None, ["nope"])


def test_graph_feature_checkpoint_round_trip(tmp_path):
    cells, y = _data()
    ranker = _small(graph_features=("graf", "sed")).fit(cells, y)
    ranker.save(tmp_path / "r.pt")
    loaded = Ranker.load(tmp_path / "r.pt")
    assert loaded.manifest["graph_features"] == ["graf", "sed"]
    np.testing.assert_allclose(loaded.predict(cells), ranker.predict(cells), rtol=1e-6)
    assert torch.equal(loaded.model_.graph_mean, ranker.model_.graph_mean)
    assert loaded.manifest["feature_designs"] == {"sed": "sed-v3"}


def test_checkpoint_trained_on_another_sed_design_is_refused(tmp_path):
    """SED's formula is versioned: a ranker trained on another design's values must not be fed
    today's values silently."""
    from narank.checkpoint import CHECKSUM_KEY, payload_checksum
    from narank.errors import CheckpointError

    cells, y = _data()
    _small(graph_features=("sed",)).fit(cells, y).save(tmp_path / "r.pt")
    payload = torch.load(tmp_path / "r.pt", weights_only=True)
    payload["manifest"]["feature_designs"] = {"sed": "sed-v1"}
    payload["manifest"][CHECKSUM_KEY] = payload_checksum(payload)  # a valid file, only older
    torch.save(payload, tmp_path / "old.pt")
    with pytest.raises(CheckpointError, match="sed was sed-v1 when it was trained, is sed-v3 now"):
        Ranker.load(tmp_path / "old.pt")
    assert _small().fit(cells, y).manifest["feature_designs"] == {}


def test_pretraining_changes_the_encoder_and_is_saved(tmp_path):
    ranker = _small(pretrain=300, random_state=0)
    _, _, features, config = ranker._validate()
    state, info = pretrained_state(config, NB201, "cifar10", features, 300)
    assert info["cells"] == 300 and info["loss_last_epoch"] < 0.8 * info["loss_first_epoch"]
    shape = (config.in_dim, config.dim, config.layers, config.encoder, config.heads, config.dropout)
    torch.manual_seed(0)
    fresh, trained = GraphEncoder(*shape), GraphEncoder(*shape)
    trained.load_state_dict(state)
    assert encoder_distance(fresh, trained) > 1.0
    cells, y = _data()
    fitted = ranker.fit(cells, y)
    not_pretrained = _small(random_state=0).fit(cells, y)
    assert encoder_distance(fitted.model_.encoder, not_pretrained.model_.encoder) > 1.0
    assert fitted.manifest["pretrain"]["cells"] == 300
    fitted.save(tmp_path / "p.pt")
    loaded = Ranker.load(tmp_path / "p.pt")
    assert loaded.pretrain == 300 and loaded.manifest["pretrain"] == fitted.manifest["pretrain"]
    assert encoder_distance(loaded.model_.encoder, fitted.model_.encoder) == 0.0
    with pytest.raises(NarankError, match="pretrain must be an integer"):
        _small(pretrain=-1).fit(cells, y)


def test_poisoned_held_out_labels_leave_the_fit_unchanged(nb201_csv, tmp_path):
    from narank.train import train_ranker
    from narank.training_data import split

    frame = pd.read_csv(nb201_csv)
    train_pos, test_pos = split(len(frame), 40, 3)
    poisoned = frame.copy()
    rng = np.random.default_rng(0)
    for col in [c for c in frame.columns if c.endswith("_acc")]:
        poisoned.loc[test_pos, col] = rng.uniform(0, 100, len(test_pos))
    (tmp_path / "nb201").mkdir()
    poisoned.to_csv(tmp_path / "nb201" / "nb201.csv", index=False)
    params = dict(space="nb201", dataset="cifar10", train_size=40, seed=3, dim=16, layers=1, heads=2,
                  epochs=2, graph_features=("graf", "sed"))
    clean, summary = train_ranker(data=nb201_csv, **params)
    dirty, dirty_summary = train_ranker(data=tmp_path, **params)
    probe = NB201.sample(50, 1)
    np.testing.assert_array_equal(clean.predict(probe), dirty.predict(probe))
    assert clean.manifest["train_ids"] == dirty.manifest["train_ids"]
    assert summary["kendall_tau"] != dirty_summary["kendall_tau"]  # only the judge saw the poison
