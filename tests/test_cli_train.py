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


def test_train_predictor_script_defaults_to_nb101(nb101_csv, tmp_path):
    script = Path(__file__).parents[1] / "train_predictor.py"
    out = tmp_path / "nb101.pt"
    done = subprocess.run([sys.executable, str(script), "--train-size", "50", "--data",
                           str(nb101_csv), "--out", str(out), "--json", *TINY],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["space"] == "nb101" and summary["n_test"] == 30001 - 50
