"""Issue 24: bad numbers and paths are refused before the work, with one line and exit code 2.

One test (or a few) per item of the issue. Faults are made on a tiny NB101 table built here
(60 sampled cells, synthetic accuracies), so no benchmark data is needed and each test takes
seconds. In-process runs go through `narank.cli.main`; a few run the real command in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from narank.errors import CheckpointError

TINY = ["--dim", "8", "--layers", "1", "--quiet", "--threads", "1"]


def narank(*args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real command line in a fresh process."""
    env = {**os.environ, "NARANK_QUIET_TABLES": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "narank", *args], capture_output=True, timeout=timeout,
                          env=env)


def one_line_error(done: subprocess.CompletedProcess, command: str) -> str:
    """The stderr of a refused command: exactly one line `narank <command>: error: ...`, exit 2."""
    err = done.stderr.decode().strip()
    assert done.returncode == 2, (done.returncode, err)
    assert err.count("\n") == 0 and err.startswith(f"narank {command}: error: "), err
    return err


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
def _quiet_tables(monkeypatch):
    """In-process commands do not say which table they read (it would add a line to stderr)."""
    monkeypatch.setenv("NARANK_QUIET_TABLES", "1")


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


def train_args(data: Path, out: Path, *extra: str) -> list[str]:
    return ["train", "--space", "nb101", "--train-size", "40", "--data", str(data), "--out", str(out),
            "--json", *TINY, *extra]


def _unwritable_folder() -> Path:
    """A folder that refuses new files even to root (sysfs); skip where it does not."""
    folder = Path("/sys")
    try:
        fd, probe = tempfile.mkstemp(dir=folder)
    except OSError:
        return folder
    os.close(fd)
    os.unlink(probe)
    pytest.skip("/sys accepts new files here: no unwritable folder to test with")


# ------------------------------------------------------------------ 1. --version


def test_1_version_prints_the_package_version():
    from importlib.metadata import version

    done = narank("--version", timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().strip() == f"narank {version('narank')}"


# ------------------------------------------------------------------ 2. number bounds


@pytest.mark.parametrize("args, flag", [
    (["train", "--seed", "-1"], "--seed"),
    (["train", "--seed", "1e20"], "--seed"),
    (["train", "--seed", "4294967296"], "--seed"),
    (["train", "--epochs", "1e20"], "--epochs"),
    (["train", "--lr", "nan"], "--lr"),
    (["train", "--weight-decay", "-0.5"], "--weight-decay"),
    (["train", "--dropout", "1.5"], "--dropout"),
    (["train", "--batch-size", "1.5"], "--batch-size"),
    (["proxies", "--space", "nb201", "--proxy", "sed", "--seed", "-1"], "--seed"),
    (["proxies", "--space", "nb201", "--proxy", "sed", "--limit", "1e12"], "--limit"),
    (["oneshot", "--arch-lr", "nan"], "--arch-lr"),
    (["oneshot", "--lr", "0"], "--lr"),
    (["oneshot", "--steps", "1e12"], "--steps"),
    (["sample", "--pretrained", "nb201-cifar100", "--candidates", "1e12"], "--candidates"),
    (["search", "--budget", "1e12"], "--budget"),
    (["search", "--first-seed", "-1"], "--first-seed"),
    (["evolve", "--space", "nb201", "--out", "p.json", "--generations", "1e9"], "--generations"),
    (["rank", "--space", "nb201", "--pretrained", "nb201-cifar10", "--workers", "1e9"], "--workers"),
    (["enumerate", "--space", "nb201", "--jobs", "0"], "--jobs"),
])
def test_2_out_of_range_numbers_are_one_line_at_parse_time(capsys, tmp_path, monkeypatch, args, flag):
    monkeypatch.chdir(tmp_path)
    err = refused(capsys, *args)
    assert f"argument {flag}:" in err and "--help" in err
    assert list(tmp_path.iterdir()) == []


def test_2_bounds_accept_edges_and_the_real_command_says_one_line():
    from narank.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["sample", "--pretrained", "x", "--seed", "4294967295", "--candidates", "1e3"])
    assert (args.seed, args.candidates) == (2**32 - 1, 1000)
    assert parser.parse_args(["train", "--lr", "1e-3", "--epochs", "100000"]).epochs == 100_000
    err = one_line_error(narank("train", "--seed", "-1", timeout=60), "train")
    assert "0 to 4294967295" in err and "Traceback" not in err


# ------------------------------------------------------------------ 3. output paths


def test_3_folder_file_and_unwritable_outputs_are_refused_before_work(capsys, tmp_path, tiny_data):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    ro = _unwritable_folder() / "narank-test"
    data = ["--data", str(tiny_data)]
    for args, words in (
        (["proxies", "--space", "nb201", "--proxy", "sed", "--out", str(folder)], "is a folder"),
        (["evolve", "--space", "nb201", "--out", str(folder / "p.json"), "--run-dir", str(a_file)],
         "is a file, not a folder"),
        (["evolve", "--space", "nb201", "--out", str(a_file / "p.json")], "is not a folder"),
        (["enumerate", "--space", "nb201", "--cache-dir", str(a_file)], "is a file, not a folder"),
        (["oneshot", "--checkpoint", str(folder)], "is a folder"),
        (["train", "--space", "nb101", *data, "--out", str(tmp_path / "new") + "/"], "names a folder"),
        (["train", "--space", "nb101", *data, "--out", str(ro / "r.pt")], "not writable"),
        (["proxies", "--space", "nb201", "--proxy", "sed", "--out", str(ro / "s.csv")], "not writable"),
        (["rank", "--space", "nb201", "--pretrained", "nb201-cifar10", "--out", str(ro / "r.parquet")],
         "not writable"),
        (["enumerate", "--space", "nb201", "--out", str(ro / "ids.txt")], "not writable"),
        (["search", "--space", "nb101", *data, "--plot", str(ro / "p.png")], "not writable"),
        (["evolve", "--space", "nb201", "--out", str(tmp_path / "p.json"), "--run-dir", str(ro)],
         "not writable"),
    ):
        err = refused(capsys, *args)
        assert words in err, (args, err)
    assert list(folder.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "a-folder"]


def test_3_proxies_out_is_written_atomically(capsys, tmp_path, monkeypatch):
    import narank.atomic

    out = tmp_path / "scores.csv"
    out.write_text("old,complete\n")
    monkeypatch.setenv("NARANK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NARANK_DATA", str(tmp_path / "none"))  # scores only, no correlation

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(narank.atomic.os, "fsync", disk_full)
        err = refused(capsys, "proxies", "--space", "nb201", "--proxy", "sed", "--limit", "5", "--out",
                      str(out))
    assert "No space left" in err and out.read_text() == "old,complete\n"  # the old file, whole
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left
    code, _, err = run_main(capsys, "proxies", "--space", "nb201", "--proxy", "sed", "--limit", "5", "--out",
                            str(out), "--json")
    assert code == 0, err
    lines = out.read_text().splitlines()
    assert lines[0] == "index,score" and len(lines) == 6


# ------------------------------------------------------------------ 4. wrong results with exit 0


@pytest.fixture(scope="module")
def trained(tiny_data, tmp_path_factory) -> Path:
    """A checkpoint trained (2 epochs) on the tiny table."""
    from narank.cli import main

    out = tmp_path_factory.mktemp("trained") / "r.pt"
    assert main(train_args(tiny_data, out, "--epochs", "2")) == 0
    return out


def test_4_checkpoint_with_nan_weights_is_refused(capsys, tiny_data, trained, tmp_path):
    import torch

    from narank.checkpoint import load_checkpoint, save_checkpoint

    payload = load_checkpoint(trained)
    name = next(k for k, v in payload["model"].items() if v.is_floating_point())
    payload["model"][name] = payload["model"][name].clone().fill_(float("nan"))
    state = {k: v for k, v in payload.items() if k not in ("format", "format_version", "manifest")}
    bad = save_checkpoint(tmp_path / "nan.pt", payload["manifest"], state)  # a valid checksum
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        load_checkpoint(bad)
    err = one_line_error(narank("evaluate", "--checkpoint", str(bad), "--data", str(tiny_data)), "evaluate")
    assert name in err and "re-train" in err
    payload["model"][name] = payload["model"][name].fill_(float("inf"))
    bad = save_checkpoint(tmp_path / "inf.pt", payload["manifest"], state)
    err = refused(capsys, "sample", "--checkpoint", str(bad), "--top", "2", "--candidates", "20")
    assert "NaN or infinite" in err
    assert torch.isfinite(load_checkpoint(trained)["model"][name]).all()  # the good one still loads


def test_4_accuracy_outside_0_100_is_refused_naming_file_column_row(capsys, tiny_data, tmp_path):
    from narank.benchmarks import load_table
    from narank.benchmarks.table import BenchmarkTable
    from narank.errors import DataFileError

    lines = (tiny_data / "nb101" / "nb101.csv").read_text().splitlines()
    cols = lines[0].split(",")
    assert cols[-2] == "cifar10_valid_acc"
    head, tail = lines[7].rsplit(",", 2)[0], lines[7].rsplit(",", 2)[2]
    lines[7] = f"{head},150.5,{tail}"
    bad = tmp_path / "bad" / "nb101" / "nb101.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text("\n".join(lines) + "\n")
    err = refused(capsys, "train", "--space", "nb101", "--data", str(bad.parents[1]), "--out",
                  str(tmp_path / "r.pt"))
    assert f"{bad}: line 8, column 'cifar10_valid_acc': 150.5 is not an accuracy" in err
    assert not (tmp_path / "r.pt").exists()
    # from any reader (here a frame as the .tfrecord reader makes it): file, column and row
    table = load_table("nb101", tiny_data)
    frame = table.metrics.copy()
    frame["cifar10_valid_acc"] = -frame["cifar10_valid_acc"] / 100
    with pytest.raises(DataFileError, match=r"x\.tfrecord: column 'cifar10_valid_acc', row 1 \(id "):
        BenchmarkTable("nb101", frame, source="x.tfrecord")
    BenchmarkTable("nb101", frame)  # built in memory (not read from a file): left to its maker


# ------------------------------------------------------------------ 5. describe --file and --hash


def test_5_describe_survives_deep_nesting_and_endless_lines(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "cells.jsonl"
    path.write_text("\n".join(['{"arch": 0}', deep, "x" * 2_000_000, '{"arch": 1}']) + "\n")
    no_data = {"NARANK_DATA": str(tmp_path / "none")}  # cells are described without a table
    done = narank("describe", "--space", "nb201", "--file", str(path), "--json", timeout=120, env=no_data)
    assert done.returncode == 2 and "Traceback" not in done.stderr.decode()
    assert [json.loads(x)["index"] for x in done.stdout.decode().splitlines()] == [0, 1]  # none lost
    err = done.stderr.decode().splitlines()
    assert err[0] == f"{path}:2: JSON nested deeper than 64 levels (a cell needs 3)"
    assert err[1].startswith(f"{path}:3: line longer than 1,048,576 bytes")
    assert err[2].startswith("narank describe: error: 2 of 4 lines") and len(err) == 3
    done = narank("describe", "--space", "nb201", "--file", "/dev/zero", timeout=120, env=no_data)
    err = done.stderr.decode().splitlines()
    assert done.returncode == 2 and "Traceback" not in done.stderr.decode()
    assert err[0].startswith("/dev/zero:1: ") and err[-1].startswith("narank describe: error: 1 of 1 lines")


def test_5_describe_hash_says_what_a_hash_is(capsys):
    err = refused(capsys, "describe", "--space", "nb101", "--hash", "deadbeef")
    assert "'deadbeef' is not an NB101 module hash: a hash is 32 hex digits" in err
    assert "adjacency" not in err


# ------------------------------------------------------------------ 6. store schema


def test_6_store_part_with_a_wrong_schema_names_the_part(capsys, tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from narank.store import ResultStore, StoreError

    monkeypatch.setenv("NARANK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NARANK_DATA", str(tmp_path / "none"))  # scores only, no correlation
    sweep = ["proxies", "--space", "nb201", "--proxy", "params", "--limit", "3", "--threads", "1", "--json"]
    code, _, err = run_main(capsys, *sweep)
    assert code == 0, err
    store = ResultStore(next((tmp_path / "cache" / "store").rglob("part-*.parquet")).parent)
    part = store.append(["x"], value=np.array([1.0]))  # the newest part; the older ones are good
    pq.write_table(pa.table({"id": pa.array([1, 2]), "value": pa.array(["a", "b"])}), part)
    err = refused(capsys, *sweep)
    assert f"{part}: not a result part of this store" in err and "delete the file" in err
    pq.write_table(pa.table({"id": pa.array(["1"]), "value": pa.array(["a"])}), part)
    err = refused(capsys, *sweep)
    assert f"{part}: its columns differ" in err and "'value'" in err
    lone = ResultStore(tmp_path / "lone")
    lone.append(["a"], other=np.array([1.0]))
    with pytest.raises(StoreError, match=r"part-.*\.parquet: result part without a numeric 'value'"):
        lone.lookup(["a"])


# ------------------------------------------------------------------ 7. one writer per --out


def test_7_second_train_on_the_same_out_is_refused_while_the_first_holds_it(capsys, tiny_data, tmp_path):
    from narank.checkpoint import output_lock

    out = tmp_path / "sub" / "r.pt"
    lock = out.with_name("r.pt.lock")
    with output_lock(out):  # what a running `narank train --out r.pt` holds
        assert lock.read_text().strip() == str(os.getpid())
        err = one_line_error(narank(*train_args(tiny_data, out, "--epochs", "2")), "train")
        assert "being written by another narank process" in err and f"pid {os.getpid()}" in err
        assert refused(capsys, *train_args(tiny_data, out, "--epochs", "2")) == err
        assert not out.exists()
    assert not lock.exists() and not out.parent.exists()  # released, and the folder made for it gone
    with pytest.raises(RuntimeError), output_lock(out):
        raise RuntimeError("a failing run")
    assert not lock.exists()
    code, stdout, err = run_main(capsys, *train_args(tiny_data, out, "--epochs", "2"))
    assert code == 0, err
    assert out.is_file() and not lock.exists()
    # resuming into a templated --out locks the file the template names for that checkpoint
    templated = str(tmp_path / "sub" / "{space}-{n_train}.pt")
    with output_lock(tmp_path / "sub" / "nb101-40.pt"):
        err = refused(capsys, "train", "--resume", str(out), "--epochs", "3", "--out", templated, "--json")
        assert "being written by another narank process" in err
