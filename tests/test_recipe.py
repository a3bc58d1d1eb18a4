"""The default recipe: `Ranker()` = GNN with graph-level features blended with XGBoost on them;
what `narank train` and checkpoints record; fine-tuning from a shipped or saved ranker (`init=`);
labels of held-out cells never reach a fit; the bulk NB101 path equals `predict`. Data-free: NB201
and NB101 cells with a synthetic accuracy."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from narank import Ranker
from narank.graph_features import ALL_GRAPH_FEATURES, available_graph_features
from narank.proxies.sed import sed_scores
from narank.spaces import get_space, nb101_enumerate

FAST = dict(epochs=3, dim=16, layers=1)


def _accuracy(cells) -> np.ndarray:
    """A made-up accuracy that the features can learn: SED plus seeded noise."""
    noise = np.random.default_rng(7).normal(0, 0.05, len(cells))
    return 80 + 5 * sed_scores(cells) / (1 + np.abs(sed_scores(cells)).max()) + noise


@pytest.fixture(scope="module")
def nb201_cells():
    return get_space("nb201").sample(120, 3)


def test_default_is_the_blended_recipe(nb201_cells):
    params = Ranker().get_params()
    assert params["graph_features"] == "auto" and params["tabular"] == "xgb"
    assert available_graph_features("nb201") == ALL_GRAPH_FEATURES
    r = Ranker("nb201", "cifar10", **FAST).fit(nb201_cells[:80], _accuracy(nb201_cells[:80]))
    assert r.manifest["graph_features"] == list(ALL_GRAPH_FEATURES)
    assert r.manifest["params"]["tabular"] == "xgb" and set(r.manifest["blend"]) == {"gnn", "tabular"}
    test = nb201_cells[80:]
    parts = r.predict_parts(test)
    from scipy.stats import kendalltau

    # a rank average: each half's order counts (the blend agrees with both, and equals neither)
    blend = r.predict(test)
    for half in parts.values():
        assert 0.3 < kendalltau(blend, half)[0] < 0.999
    ref = r.predict_parts(get_space("nb201").sample(1000, r.manifest["train_config"]["seed"]))
    quantile = {k: (v[:, None] > ref[k][None, :]).mean(1) for k, v in parts.items()}
    np.testing.assert_allclose(blend, (quantile["gnn"] + quantile["tabular"]) / 2, atol=0.01)
    alone = Ranker("nb201", "cifar10", tabular=None, **FAST).fit(nb201_cells[:80],
                                                                 _accuracy(nb201_cells[:80]))
    assert "blend" not in alone.manifest and set(alone.predict_parts(test)) == {"gnn"}


def test_checkpoint_keeps_the_tabular_half(nb201_cells, tmp_path):
    r = Ranker("nb201", "cifar10", **FAST).fit(nb201_cells[:80], _accuracy(nb201_cells[:80]))
    r.save(tmp_path / "r.pt")
    back = Ranker.load(tmp_path / "r.pt")
    assert back.get_params() == {**r.get_params(), "graph_features": tuple(ALL_GRAPH_FEATURES)}
    np.testing.assert_array_equal(back.predict(nb201_cells), r.predict(nb201_cells))
    from narank.checkpoint import add_checksum
    from narank.errors import CheckpointError

    payload = torch.load(tmp_path / "r.pt", weights_only=True)
    payload.pop("tabular")
    payload.pop("training")  # a finished ranker's file (a mid-training one has no trees yet)
    torch.save(payload, tmp_path / "cut.pt")
    add_checksum(tmp_path / "cut.pt")  # a consistent file that lacks the trees

    with pytest.raises(CheckpointError, match="tabular half is missing"):
        Ranker.load(tmp_path / "cut.pt")


def test_spaces_get_the_features_they_offer(monkeypatch):
    """A space without costs or SED still trains with the default: GRAF only (the space is asked)."""
    space = get_space("tiny")
    assert available_graph_features(space) == ALL_GRAPH_FEATURES
    lacking = {"sed_nodes", "params_M", "flops_M"}
    monkeypatch.setattr(type(space), "has", lambda self, *m: not lacking & set(m))
    assert available_graph_features(space) == ("graf",)
    cells = space.sample(40, 0)
    y = np.arange(40, dtype=float)
    r = Ranker("tiny", space.datasets[0], node_features=(), **FAST).fit(cells, y)
    assert r.manifest["graph_features"] == ["graf"]


def test_tabular_needs_graph_features():
    from narank.errors import NarankError

    with pytest.raises(NarankError, match="tabular needs graph features"):
        Ranker("nb201", "cifar10", graph_features=()).fit(get_space("nb201").sample(10, 0), np.arange(10.0))


def _cli(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "NARANK_QUIET_TABLES": "1", "NARANK_CACHE": str(cwd / "cache"),
           "NARANK_DATA": str(cwd / "nowhere")}
    return subprocess.run([sys.executable, "-m", "narank", *args], capture_output=True, timeout=600, cwd=cwd,
                          env=env)


def test_cli_train_records_the_default_recipe(tmp_path):
    space = get_space("nb201")
    cells = space.sample(150, 5)
    rows = ["net,acc"] + [f"{space.label(c)},{a:.4f}" for c, a in zip(cells, _accuracy(cells), strict=True)]
    (tmp_path / "mine.csv").write_text("\n".join(rows) + "\n")
    done = _cli("train", "--space", "nb201", "--table", "mine.csv", "--arch-column", "net", "--label-column",
                "acc", "--train-size", "60", "--epochs", "2", "--quiet", "--out", "r.pt", "--json",
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()[-1500:]
    manifest = Ranker.load(tmp_path / "r.pt").manifest
    default = Ranker("nb201", "cifar10").get_params()
    for key in ("tabular", "encoder", "dim", "layers", "tiers", "lr", "weight_decay"):
        assert manifest["params"][key] == default[key], key
    assert manifest["graph_features"] == list(ALL_GRAPH_FEATURES)
    assert json.loads(done.stdout.decode())["n_train"] == 60


def test_fine_tune_starts_from_init_and_changes_it(nb201_cells, tmp_path):
    source = Ranker("nb201", "cifar10", **FAST).fit(nb201_cells[:80], _accuracy(nb201_cells[:80]))
    source.save(tmp_path / "c10.pt")
    few, y = nb201_cells[80:100], _accuracy(nb201_cells[80:100])[::-1].copy()  # another "dataset"
    # a zero learning rate keeps the GNN's weights exactly the init's: it started from them
    # (buffers move: tier centres follow the new data, standardization follows the new dataset)
    still = Ranker("nb201", "cifar100", lr=1e-30, **FAST).fit(few, y, init=tmp_path / "c10.pt")
    weights = dict(still.model_.named_parameters())
    for key, value in source.model_.named_parameters():
        assert torch.equal(weights[key], value), key
    tuned = Ranker("nb201", "cifar100", **FAST).fit(few, y, init=tmp_path / "c10.pt")
    after = tuned.model_.state_dict()
    changed = [k for k, v in source.model_.state_dict().items() if not torch.equal(after[k], v)]
    assert changed and tuned.manifest["init"] == "a fitted ranker"
    # the init's trees are kept as they are: boosting on a few labels overfits (benchmarks/transfer.py)
    assert tuned.tabular_.save_raw("json") == source.tabular_.save_raw("json")
    assert set(source.manifest["train_ids"]) <= set(tuned.manifest["train_ids"])
    assert tuned.manifest["dataset"] == "cifar100"
    from narank.errors import NarankError

    with pytest.raises(NarankError, match="differs from this ranker in dim"):
        Ranker("nb201", "cifar100", epochs=3, dim=32, layers=1).fit(few, y, init=source)
    with pytest.raises(NarankError, match="neither a shipped ranker"):
        Ranker("nb201", "cifar100", **FAST).fit(few, y, init=tmp_path / "missing.pt")


def test_cli_train_init_fine_tunes_the_named_checkpoint(nb201_cells, tmp_path, monkeypatch, capsys):
    """`narank train --init` is `fit(init=...)` from the command line: the init's network settings and
    trees, the new dataset, and a one-line exit 2 for a missing init or one combined with --resume
    (run through `narank.cli.main` in this process, the console script's code)."""
    from narank.cli import main

    source = Ranker("nb201", "cifar10", **FAST).fit(nb201_cells[:80], _accuracy(nb201_cells[:80]))
    source.save(tmp_path / "c10.pt")
    space = get_space("nb201")
    cells = space.sample(150, 5)
    rows = ["net,acc"] + [f"{space.label(c)},{a:.4f}" for c, a in zip(cells, _accuracy(cells), strict=True)]
    (tmp_path / "mine.csv").write_text("\n".join(rows) + "\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NARANK_DATA", str(tmp_path / "nowhere"))
    common = ["train", "--dataset", "cifar100", "--table", "mine.csv", "--arch-column", "net",
              "--label-column", "acc", "--train-size", "20", "--epochs", "2", "--quiet"]
    assert main([*common, "--init", "c10.pt", "--out", "ft.pt"]) == 0  # no --space: the init's
    tuned = Ranker.load(tmp_path / "ft.pt")
    assert tuned.manifest["init"] == "a fitted ranker" and tuned.manifest["dataset"] == "cifar100"
    assert (tuned.dim, tuned.layers) == (FAST["dim"], FAST["layers"])  # the init's network, not the default's
    assert tuned.tabular_.save_raw("json") == source.tabular_.save_raw("json")
    assert set(source.manifest["train_ids"]) < set(tuned.manifest["train_ids"])
    capsys.readouterr()
    for extra, message in ((["--init", "missing.pt"], "neither a shipped ranker"),
                           (["--init", "c10.pt", "--resume", "ft.pt"], "cannot be combined with --resume")):
        code = main([*common, *extra])
        err = capsys.readouterr().err.strip()
        assert code == 2 and message in err and len(err.splitlines()) == 1, err


def test_held_out_labels_never_reach_a_fit(tmp_path):
    """train_ranker on a user table: poisoning a held-out cell's label leaves the fitted ranker unchanged."""
    from narank.benchmarks.user_table import read_user_csv
    from narank.train import train_ranker

    space = get_space("nb201")
    cells = space.sample(120, 11)
    acc = _accuracy(cells)

    def fit(values: np.ndarray) -> Ranker:
        rows = ["net,acc"] + [f"{space.label(c)},{a:.6f}" for c, a in zip(cells, values, strict=True)]
        (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
        table = read_user_csv(space, tmp_path / "t.csv", arch_column="net", label_columns=["acc"])
        return train_ranker("nb201", "cifar10", train_size=60, seed=0, table=table, label_column="acc",
                            **FAST)[0]

    first = fit(acc)
    seen = set(first.manifest["train_ids"])
    held = next(i for i, c in enumerate(cells) if space.canonical_id(c) not in seen)
    poisoned = acc.copy()
    poisoned[held] = 0.0  # the worst accuracy there is, on a cell the split holds out
    second = fit(poisoned)
    np.testing.assert_array_equal(second.predict(cells), first.predict(cells))


@pytest.fixture(scope="module")
def small_table():
    """NB101 cells with at most 5 vertices (seconds to enumerate, no cache needed)."""
    return nb101_enumerate.build_space(max_vertices=5, n_jobs=1, progress=False)


def test_bulk_nb101_path_equals_predict_with_the_default_features(small_table):
    from narank.graph_features import dense_graph_features, graph_features
    from narank.rank import score_dense

    cells = small_table.cells()
    rng = np.random.default_rng(0)
    train = [cells[i] for i in rng.choice(len(cells), 60, replace=False)]
    r = Ranker("nb101", "cifar10", **FAST).fit(train, _accuracy(train))
    assert r.manifest["graph_features"] == list(ALL_GRAPH_FEATURES)
    dense = small_table.dense(0, len(small_table))
    np.testing.assert_array_equal(dense_graph_features("nb101", dense, ALL_GRAPH_FEATURES),
                                  graph_features("nb101", cells, "cifar10", ALL_GRAPH_FEATURES))
    scores, tiers = score_dense(r, dense)
    ref_scores, ref_tiers = r.rank(cells)
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-5, atol=1e-5)
    assert (tiers == ref_tiers).mean() > 0.999
