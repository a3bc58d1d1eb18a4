"""First-hour issues, second round: one test (or a few) per item, each failing on the code before it.

Most run in-process through `narank.cli.main` on tiny inputs: a 60-cell synthetic NB101 table built
here, rankers of a few weights fitted here, the shipped NB201 rankers. The NATS-SSS items read the
real NATS-SSS table from the shared data (skipped where it is absent, as in tests/conftest.py).
"""

from __future__ import annotations

import json
import math
import shlex
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).parents[1]
COMMANDS_WITH_DEVICE = ("train", "evaluate", "rank", "proxies", "evolve", "oneshot", "search")


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    """The command line in this process: (exit code, stdout, stderr)."""
    from narank.cli import main

    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, *args: str) -> str:
    """Run in this process; assert one line `narank <command>: error: ...` and exit 2; return it."""
    code, out, err = run_main(capsys, *args)
    err = err.strip()
    assert code == 2 and err.count("\n") == 0 and err.startswith(f"narank {args[0]}: error: "), (args, err)
    return err


@pytest.fixture(autouse=True)
def _quiet_tables(monkeypatch, tmp_path):
    """No 'reading table ...' line on stderr; the cache goes to a temporary folder."""
    monkeypatch.setenv("NARANK_QUIET_TABLES", "1")
    monkeypatch.setenv("NARANK_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    """A data folder with nb101/nb101.csv of 60 valid cells and a smooth synthetic accuracy."""
    import pandas as pd

    from narank.spaces import get_space

    cells = list({c.hash: c for c in get_space("nb101").sample(90, 0)}.values())[:60]
    frame = pd.DataFrame({
        "hash": [c.hash for c in cells],
        "adjacency": [json.dumps([list(r) for r in c.matrix], separators=(",", ":")) for c in cells],
        "ops": [json.dumps(list(c.ops), separators=(",", ":")) for c in cells],
        "cifar10_valid_acc": [round(80 + 10 * np.tanh(c.params_M) + 0.5 * c.num_edges, 4) for c in cells],
        "params_M": [c.params_M for c in cells],
    })
    root = tmp_path_factory.mktemp("data")
    (root / "nb101").mkdir()
    frame.to_csv(root / "nb101" / "nb101.csv", index=False)
    return root


def tiny_ranker(space: str, n: int = 12):
    """A ranker of a few weights fitted on `n` sampled cells of `space` (synthetic accuracies)."""
    from narank.predictor import Ranker
    from narank.spaces import get_space

    cells = get_space(space).sample(n, np.random.default_rng(0))
    return Ranker(space, "cifar10", node_features=(), epochs=1, dim=8, layers=1, random_state=0).fit(
        cells, np.linspace(80, 94, len(cells)))


@pytest.fixture(scope="module")
def nb101_ckpt(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ckpt") / "nb101.pt"
    tiny_ranker("nb101").save(path)
    return path


@pytest.fixture(scope="module")
def natsss_root(data_root: Path) -> Path:
    if not (data_root / "natssss_monet" / "Cifar10-NATS.csv").is_file():
        pytest.skip("the NATS-SSS table is not in the data folder")
    return data_root


def search_args(data: Path, *extra: str) -> list[str]:
    return ["search", "--space", "nb101", "--data", str(data), "--budget", "3", "--seeds", "1",
            "--methods", "random", *extra]


# ------------------------------------------------------------------ 1. narank pretrained


def test_1_pretrained_lists_the_shipped_rankers_with_metrics(capsys):
    from narank.pretrained import available

    shipped = available()
    code, out, err = run_main(capsys, "pretrained")
    assert code == 0, err
    for name, info in shipped.items():
        line = next(x for x in out.splitlines() if x.startswith(name + " "))
        assert info["space"] in line and info["dataset"] in line and f"{info['kendall_tau']:.3f}" in line
    code, out, err = run_main(capsys, "pretrained", "--json")
    rows = json.loads(out)
    assert [r["name"] for r in rows] == sorted(shipped)
    for r in rows:
        assert {k: r[k] for k in ("space", "dataset", "kendall_tau")} == {
            k: shipped[r["name"]][k] for k in ("space", "dataset", "kendall_tau")}


# ------------------------------------------------------------------ 2. rank: space from the ranker


def test_2_rank_takes_the_space_from_the_ranker(capsys):
    code, out, err = run_main(capsys, "rank", "--pretrained", "nb201-cifar10", "--top", "2", "--json")
    assert code == 0, err
    assert [r["rank"] for r in json.loads(out)] == [1, 2] and "index" in json.loads(out)[0]


def test_2_rank_refuses_a_space_that_contradicts_the_ranker(capsys, nb101_ckpt):
    err = refused(capsys, "rank", "--pretrained", "nb201-cifar10", "--space", "nb101")
    assert "contradicts" in err and "nb201/cifar10" in err
    err = refused(capsys, "rank", "--checkpoint", str(nb101_ckpt), "--space", "nb201")
    assert "contradicts" in err and "nb101" in err
    assert "contradicts" in refused(capsys, "rank", "--pretrained", "nb201-cifar10", "--dataset", "cifar100")


# ------------------------------------------------------------------ 3. --out format by extension


def test_3_search_out_writes_csv_parquet_or_json_by_extension(capsys, tiny_data, tmp_path):
    import pandas as pd

    for ext, read in ((".csv", pd.read_csv), (".parquet", pd.read_parquet),
                      (".json", lambda p: pd.DataFrame(json.loads(Path(p).read_text())))):
        out = tmp_path / f"picks{ext}"
        code, _, err = run_main(capsys, *search_args(tiny_data, "--out", str(out), "--json"))
        assert code == 0, err
        frame = read(out)
        assert list(frame["method"]) == ["random"] and {"seed", "id", "valid_acc", "queries"} <= set(frame)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_3_rank_out_follows_the_extension_and_refuses_others_before_work(capsys, tmp_path):
    import pandas as pd

    err = refused(capsys, "rank", "--pretrained", "nb201-cifar10", "--out", str(tmp_path / "r.txt"))
    assert ".csv, .parquet or .json" in err
    assert "--out" in refused(capsys, *search_args(tmp_path, "--out", str(tmp_path / "s.xlsx")))
    assert list(tmp_path.iterdir()) == []
    out = tmp_path / "r.csv"
    code, _, err = run_main(capsys, "rank", "--pretrained", "nb201-cifar10", "--top", "1", "--json",
                            "--out", str(out))
    assert code == 0, err
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["id", "score", "tier"] and len(frame) == 15625


# ------------------------------------------------------------------ 4. describe --file --json


def test_4_readme_describe_file_line_prints_json_lines(capsys, monkeypatch):
    line = next(x for x in (ROOT / "README.md").read_text().splitlines()
                if x.startswith("narank describe") and "--file" in x)
    argv = shlex.split(line, comments=True)
    monkeypatch.chdir(ROOT)
    code, out, err = run_main(capsys, *argv[1:])
    inputs = [x for x in (ROOT / argv[argv.index("--file") + 1]).read_text().splitlines() if x.strip()]
    rows = [json.loads(x) for x in out.splitlines()]
    assert len(rows) == len(inputs) and all(isinstance(r, dict) and "index" in r for r in rows)


def test_4_describe_json_lines_are_strict_json():
    from narank.cli.describe import _json_line

    text = _json_line({"id": "1", "test_acc": math.nan, "costs": [1.0, math.inf]})
    assert "\n" not in text and json.loads(text) == {"id": "1", "test_acc": None, "costs": [1.0, None]}


# ------------------------------------------------------------------ 5. NATS-SSS: test accuracy only


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | set().union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value)) if value else set()
    return set()


def test_5_natsss_search_names_the_test_column_and_says_why(capsys, natsss_root, tmp_path):
    args = ["search", "--space", "natsss", "--data", str(natsss_root), "--budget", "3", "--seeds", "1",
            "--methods", "random"]
    code, out, err = run_main(capsys, *args, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["metric"] == "test_acc" and summary["optimum"] == {"test_acc": pytest.approx(93.65, abs=1)}
    assert not any(k.startswith("valid") for k in _keys(summary)), sorted(_keys(summary))
    notes = [x for x in err.splitlines() if "no validation accuracy" in x]
    assert len(notes) == 1 and "test accuracy" in notes[0]
    code, out, err = run_main(capsys, *args)
    assert "test_acc mean" in out and "valid_acc" not in out and "best-valid" not in out
    assert sum("no validation accuracy" in x for x in err.splitlines()) == 1


def test_5_natsss_sample_names_the_test_column(capsys, natsss_root, tmp_path):
    path = tmp_path / "natsss.pt"
    tiny_ranker("natsss", 20).save(path)
    code, out, err = run_main(capsys, "sample", "--checkpoint", str(path), "--top", "2", "--candidates", "20",
                              "--data", str(natsss_root), "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert all("test_acc" in r and "valid_acc" not in r for r in rows)


# ------------------------------------------------------------------ 6. progress and silent cases


def test_6_search_warns_when_the_budget_is_within_the_initial_cells(capsys, tiny_data):
    from narank.search.loop import SearchConfig

    code, _, err = run_main(capsys, *search_args(tiny_data, "--json"))
    assert code == 0, err
    warning = [x for x in err.splitlines() if "warning" in x]
    assert len(warning) == 1 and str(SearchConfig().init) in warning[0] and "every method" in warning[0]
    code, _, err = run_main(capsys, *search_args(tiny_data, "--json", "--budget", "11"))
    assert code == 0 and "warning" not in err


def test_6_tune_result_offers_the_refitted_best_estimator():
    from sklearn.linear_model import Ridge

    from narank.tuning import tune

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=40)
    def alpha(trial):
        return {"alpha": trial.suggest_float("alpha", 1e-3, 1e3, log=True)}

    result = tune(Ridge(alpha=100.0), X, y, alpha, n_trials=3, folds=2)
    best, study = result  # the old (best settings, study) unpacking still works
    assert best == result.best_params_ and study is result.study_
    model = result.best_estimator_
    assert model.alpha == best["alpha"] and model.coef_.shape == (3,)
    assert result.best_score_ == pytest.approx(study.best_value)


def test_6_narank_tune_shows_optunas_progress_and_saves_the_best(capsys, tiny_data, tmp_path):
    out = tmp_path / "tuned.pt"
    code, stdout, err = run_main(capsys, "tune", "--space", "nb101", "--data", str(tiny_data), "--train-size",
                                 "40", "--trials", "2", "--folds", "2", "--epochs", "1", "--out", str(out))
    assert code == 0, err
    assert "Best trial" in err and "2/2" in err  # Optuna's bar
    assert "best settings" in stdout and out.is_file()


# ------------------------------------------------------------------ 7. evolve: run folder, control


class _FakeProgram:
    formula = "mean(a_in)"

    def __init__(self, meta: dict) -> None:
        self.meta = meta

    def save(self, path: Path) -> None:
        Path(path).write_text("{}")


def _fake_evolve(control_tau: float, passes: bool | None, seen: list[Path]):
    def evolve(space, table, dataset, config, pool, run_dir, settings, **kwargs):
        seen.append(Path(run_dir))
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        (Path(run_dir) / "checkpoint.npz").write_bytes(b"x")
        meta = {"evo_tau": 0.3, "val_tau": 0.2, "control_tau": control_tau, "passes_control": passes,
                "evolution_seconds": 0.1}
        return type("R", (), {"program": _FakeProgram(meta)})()

    return evolve


def test_7_evolve_run_folder_lives_in_the_cache_and_goes_when_done(capsys, monkeypatch, tiny_data, tmp_path):
    import narank.eznas.evolve as ev

    seen: list[Path] = []
    monkeypatch.setattr(ev, "evolve", _fake_evolve(0.05, True, seen))
    base = ["evolve", "--space", "nb101", "--data", str(tiny_data), "--pool", "10", "--images", "gaussian",
            "--out", str(tmp_path / "prog.json")]
    code, out, err = run_main(capsys, *base, "--json")
    assert code == 0, err
    summary = json.loads(out)
    cache = tmp_path / "cache"
    assert seen[-1].parent.parent == cache and seen[-1].name.startswith("prog-")
    assert summary["run_dir"] == str(seen[-1]) and summary["run_dir_kept"] is False
    assert not seen[-1].exists() and not (tmp_path / "prog.run").exists()
    code, out, err = run_main(capsys, *base, "--keep-run-dir")
    assert code == 0 and seen[-1].is_dir() and f"run_dir: {seen[-1]} (kept)" in out
    assert f"run folder: {seen[-1]}" in err
    mine = tmp_path / "mine"
    code, out, err = run_main(capsys, *base, "--run-dir", str(mine), "--json")
    assert code == 0 and seen[-1] == mine and mine.is_dir() and json.loads(out)["run_dir_kept"] is True


def test_7_nan_control_tau_is_not_reported_as_a_pass(capsys, monkeypatch, tiny_data, tmp_path):
    import narank.eznas.evolve as ev

    passes, note = ev.control_verdict(np.array([1.0, np.nan]), math.nan, 0.2)
    assert passes is None and "NaN" in note
    passes, note = ev.control_verdict(np.ones(5), math.nan, 0.2)
    assert passes is True and "constant" in note
    assert ev.control_verdict(np.arange(5.0), 0.5, 0.2) == (False, None)
    monkeypatch.setattr(ev, "evolve", _fake_evolve(math.nan, None, []))
    code, out, err = run_main(capsys, "evolve", "--space", "nb101", "--data", str(tiny_data), "--pool", "10",
                              "--images", "gaussian", "--out", str(tmp_path / "p.json"), "--json")
    assert code == 0, err
    summary = json.loads(out)  # strict JSON: no NaN
    assert summary["control_tau"] is None and summary["passes_control"] is not True


# ------------------------------------------------------------------ 8. --device


MINIMAL = {
    "train": ["--space", "nb101"], "evaluate": ["--pretrained", "nb201-cifar10"],
    "rank": ["--pretrained", "nb201-cifar10"], "proxies": ["--space", "nb201", "--proxy", "sed"],
    "evolve": ["--space", "nb201", "--out", "p.json"], "oneshot": [], "search": ["--space", "nb201"],
}


@pytest.mark.parametrize("command", COMMANDS_WITH_DEVICE)
def test_8_device_is_checked_on_every_torch_command(capsys, command, tmp_path, monkeypatch):
    import torch

    from narank.cli import build_parser

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NARANK_DATA", str(tmp_path))  # no table: the device is checked before it
    err = refused(capsys, command, *MINIMAL[command], "--device", "tpu")
    assert "--device" in err and "cpu, cuda or cuda:N" in err
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert "CUDA is not available" in refused(capsys, command, *MINIMAL[command], "--device", "cuda")
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    device = next(a for a in sub._actions if a.dest == "device")
    assert device.default == "cpu" and "default cpu" in device.help


# ------------------------------------------------------------------ 9. manifest space vs weights


def test_9_checkpoint_whose_manifest_space_misfits_its_weights_is_refused(capsys, nb101_ckpt, tmp_path):
    import torch

    from narank.checkpoint import payload_checksum

    payload = torch.load(nb101_ckpt, weights_only=True)
    payload["manifest"]["space"] = "natsss"  # a valid checksum: only the width can tell
    payload["manifest"]["checksum"] = payload_checksum(payload)
    bad = tmp_path / "bad.pt"
    torch.save(payload, bad)
    for command in ("evaluate", "rank"):
        err = refused(capsys, command, "--checkpoint", str(bad))
        assert "natsss" in err and "width" in err and "re-train" in err


# ------------------------------------------------------------------ 10. demo plot, .gitignore


def test_10_demo_writes_its_plot_outside_checkpoints(monkeypatch, tmp_path, capsys):
    import narank.demo as demo

    calls: list[list[str]] = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(demo, "cli", lambda argv: calls.append(argv) or 0)
    monkeypatch.setattr(demo, "rank_space", lambda name, has_data: None)
    monkeypatch.setattr(demo, "find_table_file", lambda space: Path("nb201.csv"))
    assert demo.main() == 0
    search = next(c for c in calls if c[0] == "search")
    plot = Path(search[search.index("--plot") + 1])
    assert plot.parent == tmp_path and "checkpoints" not in plot.parts
    lines = (ROOT / ".gitignore").read_text().splitlines()
    assert "build/" in lines and "*.egg-info/" in lines
