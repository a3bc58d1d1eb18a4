"""`narank train` / `narank evaluate` / `train_predictor.py` end to end on tiny settings."""

import json
import subprocess
import sys
from pathlib import Path

from narank.cli import main

TINY = ["--epochs", "2", "--dim", "16", "--layers", "1", "--quiet"]


def test_train_then_evaluate_json(nb201_csv, tmp_path, capsys):
    out = tmp_path / "r.pt"
    code = main(["train", "--space", "nb201", "--dataset", "cifar100", "--train-size", "30",
                 "--data", str(nb201_csv), "--out", str(out), "--json", *TINY])
    assert code == 0 and out.is_file()
    trained = json.loads(capsys.readouterr().out)
    assert trained["n_train"] == 30 and trained["n_test"] == 15625 - 30
    assert main(["evaluate", "--checkpoint", str(out), "--data", str(nb201_csv), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    for key in ("kendall_tau", "spearman_rho", "tier_accuracy", "precision_at_1pct",
                "precision_at_5pct", "n_test"):
        assert key in metrics
    assert metrics["n_test"] == 15625 - 30
    assert abs(metrics["kendall_tau"] - trained["kendall_tau"]) < 1e-9


def test_resume_continues_to_more_epochs(nb201_csv, tmp_path, capsys):
    out = tmp_path / "r.pt"
    args = ["train", "--space", "nb201", "--train-size", "30", "--data", str(nb201_csv), *TINY]
    assert main([*args, "--out", str(out)]) == 0
    resumed = tmp_path / "r2.pt"
    assert main(["train", "--space", "nb201", "--resume", str(out), "--epochs", "4",
                 "--data", str(nb201_csv), "--out", str(resumed), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["train", "--space", "nb201", "--resume", str(resumed), "--epochs", "3",
                 "--data", str(nb201_csv), "--quiet"]) == 2
    assert "already trained 4 epochs" in capsys.readouterr().err


def test_bad_input_is_one_line_exit_2(nb201_csv, tmp_path, capsys):
    assert main(["train", "--space", "nb201", "--dataset", "mnist", "--data", str(nb201_csv)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "mnist" in err
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"PK\x03\x04 not really a checkpoint")
    assert main(["evaluate", "--checkpoint", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "corrupt or truncated" in err
    assert main(["evaluate", "--pretrained", "no-such-ranker"]) == 2
    assert main(["train", "--space", "nb201", "--train-size", "999999",
                 "--data", str(nb201_csv)]) == 2
    capsys.readouterr()
    assert main(["train", "--space", "nb201", "--graph-features", "graf,nope",
                 "--out", str(tmp_path / "x.pt"), "--data", str(nb201_csv)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "nope" in err and "graf" in err
    assert not (tmp_path / "x.pt").exists()


def test_train_predictor_script_defaults_to_nb101(nb101_csv, tmp_path):
    script = Path(__file__).parents[1] / "train_predictor.py"
    out = tmp_path / "nb101.pt"
    done = subprocess.run([sys.executable, str(script), "--train-size", "50", "--data",
                           str(nb101_csv), "--out", str(out), "--json", *TINY],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["space"] == "nb101" and summary["n_test"] == 30001 - 50


def test_library_train_ranker_matches_the_cli_defaults(nb201_csv, tmp_path, monkeypatch):
    from narank.cli import build_parser
    from narank.cli.train import ranker_params
    from narank.predictor import Ranker
    from narank.spaces import get_space
    from narank.train import train_ranker

    args = build_parser().parse_args(["train", "--space", "nb201"])
    assert ranker_params(args) == {} and args.train_size is None  # every default comes from the library
    ranker, summary = train_ranker("nb201", "cifar10", train_size=30, data=nb201_csv, epochs=2, dim=16,
                                   layers=1)
    assert isinstance(ranker, Ranker) and summary["checkpoint"] is None and summary["n_train"] == 30
    settings = ranker.manifest["train_config"]
    assert (settings["epochs"], settings["batch_size"]) == (2, 128)
    assert settings["lam"] == get_space("nb201").nar_lambda and settings["seed"] == 0
    assert ranker.manifest["metrics"]["n_test"] == 15625 - 30
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--space", "nb201", "--train-size", "30", "--seed", "2", "--data", str(nb201_csv),
                 *TINY]) == 0
    assert (tmp_path / "checkpoints" / "nb201-cifar10-n30-s2.pt").is_file()


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def test_default_settings_reproduce_the_shipped_checkpoints():
    import importlib.util

    import torch

    from narank.predictor import Ranker
    from narank.pretrained import pretrained_path

    path = Path(__file__).parents[1] / "benchmarks" / "train_shipped.py"
    spec = importlib.util.spec_from_file_location("train_shipped", path)
    shipped = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shipped)
    for name, (space, dataset, size) in shipped.SHIPPED.items():
        ranker = Ranker(space, dataset, epochs=shipped.EPOCHS.get(name), random_state=shipped.SEED)
        manifest = torch.load(pretrained_path(name), weights_only=True)["manifest"]
        assert ranker.train_settings(size).to_dict() == manifest["train_config"], name
        assert len(manifest["train_ids"]) == size
        # the default recipe: every other parameter as Ranker() has it (graph features resolved)
        params = ranker.get_params()
        recorded = manifest["params"]
        for key in ("tabular", "encoder", "dim", "layers", "heads", "dropout", "tiers", "lr", "weight_decay",
                    "node_features", "pretrain"):
            assert recorded[key] == _plain(params[key]), (name, key)
        assert recorded["graph_features"] == ["graf", "params", "flops", "sed"], name


def test_resume_refuses_changed_settings_and_evaluate_checks_space(nb201_csv, tmp_path, capsys):
    out = tmp_path / "r.pt"
    assert main(["train", "--space", "nb201", "--train-size", "30", "--data", str(nb201_csv),
                 "--out", str(out), *TINY]) == 0
    capsys.readouterr()
    assert main(["train", "--space", "nb201", "--resume", str(out), "--epochs", "4", "--lr", "0.1",
                 "--data", str(nb201_csv), "--quiet"]) == 2
    assert "only epochs can change" in capsys.readouterr().err
    assert main(["evaluate", "--checkpoint", str(out), "--space", "nb101", "--data", str(nb201_csv)]) == 2
    assert "not 'nb101'" in capsys.readouterr().err
