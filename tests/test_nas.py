"""Real NAS: the ask/tell Search runs every query method unchanged (same picks as the table-driven
harness), evaluators (table, command, training) measure cells, failures are recorded and never
crash a search, and a killed search resumes without evaluating any finished cell again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from narank.errors import DataFileError, NarankError
from narank.evaluators import CommandEvaluator, TrainingEvaluator
from narank.search.ask_tell import Search
from narank.search.nas import run_search

ROOT = Path(__file__).parents[1]
PRINTER = ROOT / "tests" / "data" / "table_accuracy.py"
TINY = dict(epochs=1, channels=4, resolution=8, batch_size=128)


def _table_search(c10, method: str, budget: int, seed: int = 0) -> Search:
    s = Search("nb201", method, "cifar10", budget=budget, random_state=seed)
    while not s.finished:
        for cell in s.ask(3):
            _, valid, test = c10.lookup(cell)
            s.tell(cell, valid, test)
    return s


@pytest.mark.parametrize("method", ["narank", "narank-noprior", "uniform", "bananas", "xgb-graf", "rea",
                                    "random"])
def test_ask_tell_gives_the_harness_picks(c10, method):
    """The table-driven harness runs through Search (one loop) and picks what the method run
    directly on the table (the pre-ask/tell path) picks; so does any other ask/tell driver."""
    from narank.search.harness import run_method
    from narank.search.methods import SEARCH_METHODS

    direct = SEARCH_METHODS.get(method)(c10, 24, 3, None, {})  # the method looking cells up itself
    ref = run_method(method, c10, 24, 3)
    assert [q.id for q in ref.history] == [q.id for q in direct.history]
    assert [q.valid_acc for q in ref.history] == [q.valid_acc for q in direct.history]
    assert [q.test_acc for q in ref.history] == [q.test_acc for q in direct.history]
    assert len(ref.info.get("rounds", [])) == len(direct.info.get("rounds", []))
    s = _table_search(c10, method, 24, 3)
    assert [t.id for t in s.trials()] == [q.id for q in ref.history]
    assert s.best.id == ref.pick().id and s.finished


def test_failed_evaluations_are_recorded_never_asked_again_and_do_not_stop_the_search(c10):
    s = Search("nb201", "narank", "cifar10", budget=30, random_state=1)
    failed = set()
    while not s.finished:
        for cell in s.ask(4):
            cid, valid, _ = c10.lookup(cell)
            if int(cid) % 3 == 0:
                failed.add(cid)
                s.tell(cell, None, error="simulated crash")
            else:
                s.tell(cell, float("nan") if int(cid) % 3 == 1 and len(failed) < 2 else valid)
    ids = [t.id for t in s.history]
    assert len(ids) == len(set(ids)) == 30 and failed
    assert {t.id for t in s.history if not t.ok} >= failed
    assert all(t.error for t in s.history if not t.ok) and s.best.ok


def test_save_and_load_continue_the_same_search(c10, tmp_path):
    whole = _table_search(c10, "narank", 30, 2)
    s = Search("nb201", "narank", "cifar10", budget=30, random_state=2)
    for _ in range(4):
        for cell in s.ask(5):
            s.tell(cell, c10.lookup(cell)[1])
    s.save(tmp_path / "s.json")
    again = Search.load(tmp_path / "s.json")
    asked = 0
    while not again.finished:
        for cell in again.ask(5):
            asked += 1
            again.tell(cell, c10.lookup(cell)[1])
    assert [t.id for t in again.trials()] == [t.id for t in whole.trials()]
    assert asked == 30 - len(s.history)  # the saved results were replayed, not asked again


def test_tell_refuses_what_was_not_asked(c10):
    s = Search("nb201", "random", "cifar10", budget=5, random_state=0)
    with pytest.raises(NarankError, match="not handed out"):
        s.tell("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", 50.0)
    with pytest.raises(NarankError, match="ask/tell search method"):
        Search("nb201", "sed")


def test_command_evaluator_gives_the_table_search_picks(c10, nb201_csv, tmp_path, monkeypatch):
    monkeypatch.setenv("NARANK_DATA", str(nb201_csv.parents[1]))
    ref = _table_search(c10, "narank", 12, 4)
    for command in (f"{sys.executable} {PRINTER} --arch {{arch}}",  # the last number printed
                    f"{sys.executable} {PRINTER} --arch {{arch}} --out {{out}}"):  # {"accuracy": ...}
        result = run_search(Search("nb201", "narank", "cifar10", budget=12, random_state=4),
                            CommandEvaluator(command, timeout=60), progress=False, store_root=tmp_path)
        assert [t.id for t in result.search.trials()] == [t.id for t in ref.trials()]
        assert [t.value for t in result.search.trials()] == [t.value for t in ref.trials()]


def test_command_failures_and_bad_commands(tmp_path, monkeypatch, nb201_csv):
    from narank.spaces import get_space

    monkeypatch.setenv("NARANK_DATA", str(nb201_csv.parents[1]))
    space = get_space("nb201")
    cell = space.sample(1, 0)[0]
    crash = CommandEvaluator(f"{sys.executable} {PRINTER} --arch {{arch}} --fail-on {space.label(cell)}")
    from narank.evaluators import evaluate_safely

    failed = evaluate_safely(crash, space, cell)
    assert failed.value is None and "exited with 1" in failed.error and "simulated crash" in failed.error
    silent = evaluate_safely(CommandEvaluator(f"{sys.executable} -c pass {{arch}}"), space, cell)
    assert silent.value is None and "no number" in silent.error
    slow = evaluate_safely(CommandEvaluator(f"{sys.executable} -c 'import time; time.sleep(5)' {{arch}}",
                                            timeout=0.5), space, cell)
    assert "timed out" in slow.error
    for bad, words in [("", "needs a command"), ("train.py {architecture}", "unknown field"),
                       ("train.py --seed 1", "does not say which cell"),
                       ("train.py 'unclosed", "cannot split")]:
        with pytest.raises(NarankError, match=words):
            CommandEvaluator(bad)


def test_training_evaluator_is_deterministic_and_a_killed_training_continues(tmp_path, monkeypatch):
    from narank import atomic
    from narank.spaces import get_space

    space = get_space("nb201")
    cell = space.parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|skip_connect~0|nor_conv_3x3~1|"
                       "avg_pool_3x3~2|")
    ev = TrainingEvaluator(epochs=2, channels=4, resolution=8, checkpoint_dir=str(tmp_path))
    import torch

    before = torch.random.get_rng_state()
    whole = ev(space, cell)
    assert torch.equal(torch.random.get_rng_state(), before)  # the caller's torch RNG is left as it was
    assert 10 < whole.value <= 100 and whole.value == ev(space, cell).value
    real = atomic.atomic_write

    def killed_after_first_epoch(path, write):
        real(path, write)
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic, "atomic_write", killed_after_first_epoch)
    with pytest.raises(KeyboardInterrupt):
        ev(space, cell)
    assert list(tmp_path.glob("train-*.pt"))  # the first epoch's checkpoint
    monkeypatch.setattr(atomic, "atomic_write", real)
    assert ev(space, cell).value == whole.value  # continued from epoch 1: the same result
    assert not list(tmp_path.glob("train-*.pt"))


def test_training_bad_input(tmp_path):
    (tmp_path / "one" / "cat").mkdir(parents=True)
    with pytest.raises(DataFileError, match="at least two class"):
        TrainingEvaluator(images=str(tmp_path / "one")).check()
    folder = tmp_path / "two"
    for name in ("cat", "dog"):
        (folder / name).mkdir(parents=True)
    from PIL import Image

    Image.new("RGB", (10, 10), "red").save(folder / "cat" / "a.png")
    (folder / "dog" / "b.png").write_bytes(b"not a png")
    with pytest.raises(DataFileError, match="b.png: not a readable image"):
        TrainingEvaluator(images=str(folder)).check()
    for kw, words in [({"epochs": 0}, "epochs"), ({"lr": float("nan")}, "learning rate"),
                      ({"schedule": "step"}, "schedule"), ({"device": "tpu"}, "device")]:
        with pytest.raises(NarankError, match=words):
            TrainingEvaluator(**kw).check()


def test_image_folder_trains(tmp_path):
    """An ImageFolder-layout set (two classes of distinct colours) is read and learned."""
    from PIL import Image

    from narank.spaces import get_space

    rng = np.random.default_rng(0)
    for name, colour in (("red", (200, 30, 30)), ("blue", (30, 30, 200))):
        (tmp_path / name).mkdir()
        for i in range(30):
            noise = rng.integers(-30, 30, (8, 8, 3))
            Image.fromarray(np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8)).save(
                tmp_path / name / f"{i}.png")
    space = get_space("nb201")
    cell = space.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|skip_connect~1|"
                       "nor_conv_3x3~2|")
    ev = TrainingEvaluator(images=str(tmp_path), epochs=3, channels=4, resolution=8, batch_size=8)
    assert ev.check()(space, cell).value >= 90


_KILL_SCRIPT = """
import sys
from pathlib import Path
from narank.evaluators import TrainingEvaluator
from narank.search.ask_tell import Search
from narank.search.nas import resume_search, run_search
if __name__ == "__main__":
    run_dir = Path(sys.argv[1])
    ev = TrainingEvaluator(epochs=1, channels=4, resolution=8, batch_size=128, checkpoint_dir=str(run_dir))
    search = resume_search(run_dir) if (run_dir / "search.json").exists() else Search(
        "nb201", "narank", "cifar10", budget=10, random_state=5)
    result = run_search(search, ev, workers=2, run_dir=run_dir, progress=False, store_root=run_dir / "store")
    print(result.evaluated)
"""


def _saved_history(path: Path) -> list[dict]:
    """The told history in a saved search file (the state inside narank.checkpoint's JSON envelope)."""
    return json.loads(path.read_text())["state"]["history"]


def test_killed_search_resumes_with_the_same_history_and_trains_nothing_twice(tmp_path):
    """kill -9 halfway through a 2-worker search; resuming ends with the uninterrupted run's
    history and evaluates only what had not finished."""
    env = {**os.environ, "NARANK_QUIET_TABLES": "1", "NARANK_CACHE": str(tmp_path / "cache")}
    (tmp_path / "run.py").write_text(_KILL_SCRIPT)
    whole = tmp_path / "whole"  # uninterrupted, here and one at a time: the picks do not depend on workers
    evaluator = TrainingEvaluator(epochs=1, channels=4, resolution=8, batch_size=128,
                                  checkpoint_dir=str(whole))
    run_search(Search("nb201", "narank", "cifar10", budget=10, random_state=5), evaluator, run_dir=whole,
               progress=False, store_root=whole / "store")
    run_dir = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(tmp_path / "run.py"), str(run_dir)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    state = run_dir / "search.json"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if state.exists() and len(_saved_history(state)) >= 4:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = len(_saved_history(state))
    assert 4 <= before < 10
    again = subprocess.run([sys.executable, str(tmp_path / "run.py"), str(run_dir)], env=env,
                           capture_output=True, timeout=600)
    assert again.returncode == 0, again.stderr.decode()[-2000:]
    assert int(again.stdout.decode().split()[-1]) == 10 - before  # nothing finished was re-trained

    def trials(folder):
        return sorted((t["n"], t["id"], t["value"]) for t in _saved_history(folder / "search.json"))

    assert trials(run_dir) == trials(tmp_path / "whole")


def test_python_api_search_and_proxy_score(c10, nb201_csv, tmp_path):
    """narank.nas runs a registered method on a space's table from Python (the CLI's picks), and
    narank.proxies.score computes a proxy of cells given as text."""
    import narank
    import narank.proxies

    result = narank.nas("nb201", "rea", "cifar10", budget=15, data=nb201_csv, random_state=2)
    from narank.search.harness import run_method

    assert [t.id for t in result.search.trials()] == [q.id for q in run_method("rea", c10, 15, 2).history]
    curve = result.curve()
    assert len(curve) == 15 and curve[-1] == result.best.value and curve == sorted(curve)
    assert result.plot(tmp_path / "c.png").stat().st_size > 1000
    arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    from narank.proxies.sed import sed_score
    from narank.spaces import get_space

    got = narank.proxies.score("sed", [arch], space="nb201")
    assert got[0] == sed_score(get_space("nb201").parse(arch))


def _cli(*args: str, cwd: Path, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "NARANK_QUIET_TABLES": "1", "NARANK_CACHE": str(cwd / "cache"), **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "narank", *args], capture_output=True, timeout=600, cwd=cwd,
                          env=env)


def test_cli_real_search_with_a_command_and_resume(c10, nb201_csv, tmp_path):
    """`narank search --evaluate CMD` picks what the table search picks; `--resume` re-runs nothing."""
    env = {"NARANK_DATA": str(nb201_csv.parents[1].resolve())}  # the CLI runs in tmp_path
    command = f"{sys.executable} {PRINTER} --arch {{arch}} --out {{out}}"
    done = _cli("search", "--space", "nb201", "--evaluate", command, "--budget", "12", "--methods", "narank",
                "--first-seed", "4", "--run-dir", "run", "--json", cwd=tmp_path, env_extra=env)
    assert done.returncode == 0, done.stderr.decode()[-1500:]
    out = json.loads(done.stdout.decode())
    ref = _table_search(c10, "narank", 12, 4)
    assert [t["id"] for t in out["history"]] == [t.id for t in ref.trials()]
    assert out["evaluated_now"] == 12 and out["history"][0]["test"] is not None
    again = _cli("search", "--resume", "run", "--json", cwd=tmp_path, env_extra=env)
    assert again.returncode == 0, again.stderr.decode()[-1500:]
    assert json.loads(again.stdout.decode())["evaluated_now"] == 0
    busy = _cli("search", "--evaluate", command, "--run-dir", "run", "--methods", "narank", cwd=tmp_path,
                env_extra=env)
    assert busy.returncode == 2 and b"--resume run" in busy.stderr
    two = _cli("search", "--evaluate", command, "--methods", "narank,rea", cwd=tmp_path, env_extra=env)
    assert two.returncode == 2 and b"one method" in two.stderr


def test_cli_search_on_a_users_table(nb201_csv, tmp_path):
    """`--table my.csv --label-column acc`: a subset of NB201 in a user's own columns is searched."""
    import pandas as pd

    frame = pd.read_csv(nb201_csv).sample(400, random_state=0)
    frame[["arch_str", "cifar10_valid_acc"]].rename(columns={"arch_str": "net", "cifar10_valid_acc": "acc"}) \
        .to_csv(tmp_path / "mine.csv", index=False)
    done = _cli("search", "--space", "nb201", "--table", "mine.csv", "--arch-column", "net", "--label-column",
                "acc", "--budget", "20", "--seeds", "2", "--methods", "rea,random", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()[-1500:]
    out = json.loads(done.stdout.decode())
    picked = {r["id"] for m in out["methods"].values() for r in m["runs"]}
    assert picked <= {str(i) for i in frame["index"]}


def test_cli_train_and_evaluate_on_a_users_table(nb201_csv, tmp_path):
    """`narank train/evaluate --table my.csv --arch-column --label-column`: a ranker is trained and
    judged on a user's CSV (a subset of NB201 in its own column names), no benchmark table needed."""
    import pandas as pd

    frame = pd.read_csv(nb201_csv).sample(300, random_state=1)
    mine = frame[["arch_str", "cifar100_valid_acc"]].rename(columns={"arch_str": "net",
                                                                      "cifar100_valid_acc": "acc"})
    mine.to_csv(tmp_path / "mine.csv", index=False)
    env = {"NARANK_DATA": str(tmp_path / "nowhere")}  # the official table is not used
    done = _cli("train", "--space", "nb201", "--table", "mine.csv", "--arch-column", "net", "--label-column",
                "acc", "--train-size", "100", "--epochs", "30", "--dim", "16", "--layers", "1", "--quiet",
                "--out", "r.pt", "--json", cwd=tmp_path, env_extra=env)
    assert done.returncode == 0, done.stderr.decode()[-1500:]
    trained = json.loads(done.stdout.decode())
    assert trained["n_train"] == 100 and trained["n_test"] == 200 and trained["kendall_tau"] > 0.3
    judged = _cli("evaluate", "--checkpoint", "r.pt", "--table", "mine.csv", "--arch-column", "net",
                  "--label-column", "acc", "--json", cwd=tmp_path, env_extra=env)
    assert judged.returncode == 0, judged.stderr.decode()[-1500:]
    assert json.loads(judged.stdout.decode())["kendall_tau"] == pytest.approx(trained["kendall_tau"])


def test_cuda_evaluations_take_their_workers_gpu(monkeypatch):
    """`cuda` in local Dask worker k means cuda:(k mod GPUs); outside a worker, or with an index,
    the name stands."""
    import distributed
    import torch

    from narank.devices import worker_device

    assert worker_device("cuda") == "cuda" and worker_device("cpu") == "cpu"

    class Worker:
        name = "3"

    monkeypatch.setattr(distributed, "get_worker", lambda: Worker())
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert worker_device("cuda") == "cuda:1" and worker_device("cuda:0") == "cuda:0"
    Worker.name = "tcp://a-named-worker"
    assert worker_device("cuda") == "cuda"


def test_gpu_evaluations_run_only_on_workers_holding_a_gpu():
    """A local cluster for CUDA evaluations gives each worker one GPU resource, and tasks asking
    for it run there; a cluster whose workers hold none is refused before anything waits on it."""
    from narank.engine import EngineError, dask_client
    from narank.search.nas import GPU, check_gpu_workers

    with dask_client(2, resources=GPU) as dc:
        check_gpu_workers(dc)
        assert dc.submit(sum, [1, 2], resources=GPU, pure=False).result(timeout=60) == 3
    with dask_client(2) as dc, pytest.raises(EngineError, match="--resources GPU=1"):
        check_gpu_workers(dc)
