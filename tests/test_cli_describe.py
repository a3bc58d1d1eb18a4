"""`narank describe` and `narank convert` through narank.cli.main."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from narank.cli import main
from narank.spaces.nb201 import all_cells

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
NB101_ADJ = (
    "[[0,1,0,0,1,1,0],[0,0,1,0,0,0,0],[0,0,0,1,0,0,1],[0,0,0,0,0,1,0],[0,0,0,0,0,1,0],"
    "[0,0,0,0,0,0,1],[0,0,0,0,0,0,0]]"
)
NB101_OPS = (
    '["input","conv3x3-bn-relu","maxpool3x3","conv3x3-bn-relu","conv3x3-bn-relu",'
    '"conv1x1-bn-relu","output"]'
)


@pytest.fixture(autouse=True)
def _data(data_root: Path, monkeypatch):
    monkeypatch.setenv("NARANK_DATA", str(data_root))


def _json(capsys) -> dict:
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    return json.loads(out[0])


def test_describe_nb201_json(capsys):
    assert main(["describe", "--space", "nb201", "--arch", BEST, "--json"]) == 0
    info = _json(capsys)
    for key in ("index", "arch_str", "iso_key", "params_M", "flops_M", "valid_acc", "test_acc"):
        assert key in info
    assert info["index"] == 6111 and info["test_acc"] == 94.3733 and info["valid_acc"] == 91.6067
    assert info["params_M"] == 1.073466 and info["flops_M"] == 155.584192


@pytest.mark.parametrize(
    ("dataset", "index", "test_acc"), [("cifar100", 9930, 73.5133), ("imagenet16_120", 857, 47.3111)]
)
def test_describe_nb201_datasets(capsys, dataset, index, test_acc):
    args = ["describe", "--space", "nb201", "--index", str(index), "--dataset", dataset, "--json"]
    assert main(args) == 0
    info = _json(capsys)
    assert info["test_acc"] == test_acc and info["dataset"] == dataset


def test_describe_without_data(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("NARANK_DATA", str(tmp_path))
    assert main(["describe", "--space", "nb201", "--arch", BEST, "--json"]) == 0
    info = _json(capsys)
    assert info["index"] == 6111 and "test_acc" not in info


def test_describe_readable(capsys):
    assert main(["describe", "--space", "nb201", "--arch", BEST]) == 0
    out = capsys.readouterr().out
    assert "arch_str" in out and "94.3733" in out and not out.startswith("{")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--space", "nb201", "--arch", "|nor_conv_3x3~0|+|bogus~0|none~1|+|none~0|none~1|none~2|"],
         "unknown op 'bogus'"),
        (["--space", "nb201", "--arch", "|none~0|"], "found 1 node group"),
        (["--space", "nb301", "--arch", BEST], "unknown search space 'nb301'"),
        (["--space", "nb201"], "give exactly one of"),
        (["--space", "nb201", "--arch", BEST, "--dataset", "mnist"], "unknown NB201 dataset"),
        (["--space", "nb201", "--index", "99999"], "out of range"),
        (["--space", "nb101", "--adjacency", "[[0,1],[0,0]]"], "--adjacency needs --ops"),
        (["--space", "nb201", "--file", "/nonexistent/cells.jsonl"], "cannot read"),
    ],
)
def test_describe_bad_input(capsys, args, message):
    assert main(["describe", *args]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("narank describe: error: ")
    assert message in err[0] and captured.out == ""


def test_describe_file_all_nb201_cells(capsys, tmp_path):
    cells = list(reversed(all_cells()))
    path = tmp_path / "cells.jsonl"
    path.write_text("".join(json.dumps({"arch": c.arch_str}) + "\n" for c in cells))
    assert main(["describe", "--space", "nb201", "--file", str(path), "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 15625
    infos = [json.loads(line) for line in lines]
    assert [i["arch_str"] for i in infos] == [c.arch_str for c in cells]
    assert [i["index"] for i in infos] == list(range(15624, -1, -1))
    assert all("test_acc" in i for i in infos)


def test_describe_file_bad_line(capsys, tmp_path):
    path = tmp_path / "cells.jsonl"
    path.write_text(json.dumps({"arch": BEST}) + "\n{oops\n")
    assert main(["describe", "--space", "nb201", "--file", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert f"{path}:2: not valid JSON" in captured.err
    # one line per bad line, then the command's one-line error; the good line is still answered
    assert len(captured.err.strip().splitlines()) == 2 and "narank describe: error: 1 of 2" in captured.err
    assert json.loads(captured.out)["arch_str"] == BEST


def test_describe_nb101(capsys):
    pytest.importorskip("narank.spaces.nb101")
    args = ["describe", "--space", "nb101", "--adjacency", NB101_ADJ, "--ops", NB101_OPS, "--json"]
    assert main(args) == 0
    info = _json(capsys)
    assert info["hash"] == "00005c142e6f48ac74fdcf73e3439874"
    assert info["valid_acc"] == 93.0489 and info["params_M"] == pytest.approx(8.55553)
    assert info["ops"][0] == "input" and len(info["adjacency"]) == 7


def test_describe_nb101_prunes_and_file(capsys, tmp_path):
    pytest.importorskip("narank.spaces.nb101")
    # vertex 2 is a dead end: pruned away
    adj = [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]
    ops = ["input", "conv3x3-bn-relu", "maxpool3x3", "output"]
    path = tmp_path / "cells.jsonl"
    lines = [
        {"adjacency": adj, "ops": ops},
        {"adjacency": json.loads(NB101_ADJ), "ops": json.loads(NB101_OPS)},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert main(["describe", "--space", "nb101", "--file", str(path), "--json"]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert out[0]["ops"] == ["input", "conv3x3-bn-relu", "output"]
    assert out[1]["hash"] == "00005c142e6f48ac74fdcf73e3439874"


def test_convert_nb101_tfrecord(capsys, tmp_path):
    import base64
    import struct

    from narank.benchmarks.tfrecord import masked_crc32c, model_metrics_class

    metrics = model_metrics_class()(trainable_parameters=1000)
    for epoch in (0, 54, 108):
        metrics.evaluation_data.add(current_epoch=epoch, validation_accuracy=0.9, test_accuracy=0.8)
    payload = base64.b64encode(metrics.SerializeToString()).decode()
    data = json.dumps(["a" * 32, 108, "0100", "input,output", payload]).encode()
    length = struct.pack("<Q", len(data))
    src = tmp_path / "mini.tfrecord"
    src.write_bytes(
        length + struct.pack("<I", masked_crc32c(length)) + data
        + struct.pack("<I", masked_crc32c(data))
    )
    out = tmp_path / "out" / "nb101_official.csv"
    assert main(["convert", "--space", "nb101", "--tfrecord", str(src), "--out", str(out)]) == 2
    assert "incomplete NB101 file" in capsys.readouterr().err and not out.exists()  # 1 cell, 1 run
    assert main(["convert", "--space", "nb101", "--tfrecord", str(src), "--out", str(out),
                 "--allow-partial"]) == 0
    assert "wrote 1 nb101 cells" in capsys.readouterr().out
    assert out.read_text().startswith("hash,adjacency,ops,cifar10_valid_acc")
    assert main(["convert", "--space", "nb101", "--pth", str(src)]) == 2
    assert "pass it with --tfrecord" in capsys.readouterr().err
