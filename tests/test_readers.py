"""Official-format readers: NB101 tfrecord (no TensorFlow) and NB201 .pth via nas_201_api."""

from __future__ import annotations

import base64
import json
import struct
import sys
import types
from pathlib import Path

import pytest

from narank.benchmarks import load_table
from narank.benchmarks.nb201_pth import api_to_frame, read_nb201_pth
from narank.benchmarks.tfrecord import (
    _crc32c_python,
    crc32c,
    iter_records,
    masked_crc32c,
    model_metrics_class,
    read_nb101_tfrecord,
)
from narank.errors import DataFileError, NarankError

# ------------------------------------------------- an independent writer for the wire formats


def _crc32c_bitwise(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 * (crc & 1))
    return crc ^ 0xFFFFFFFF


def _masked(data: bytes) -> int:
    crc = _crc32c_bitwise(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _frame(data: bytes) -> bytes:
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", _masked(length)) + data + struct.pack("<I", _masked(data))


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _double(field: int, value: float) -> bytes:
    return _varint(field << 3 | 1) + struct.pack("<d", value)


def _evaluation(epoch: float, time_s: float, train: float, valid: float, test: float) -> bytes:
    body = b"".join(
        _double(i, v) for i, v in enumerate((epoch, time_s, train, valid, test), start=1)
    )
    return _varint(1 << 3 | 2) + _varint(len(body)) + body


def _metrics(valid: float, test: float, time_s: float, params: int) -> bytes:
    evals = _evaluation(0, 0, 0.1, 0.1, 0.1) + _evaluation(54, time_s / 2, 0.5, 0.5, 0.5)
    evals += _evaluation(108, time_s, 1.0, valid, test)
    return evals + _varint(2 << 3) + _varint(params) + _double(3, time_s + 10)


ADJ = "0110000001000000010000000"  # 5x5: 0->1, 0->2, 1->3, 2->3, 3->4
OPS = "input,conv3x3-bn-relu,maxpool3x3,conv1x1-bn-relu,output"


def _record(h: str, valid: float, test: float, epochs: int = 108, params: int = 1234567) -> bytes:
    payload = base64.b64encode(_metrics(valid, test, 1000.0, params)).decode()
    return json.dumps([h, epochs, ADJ, OPS, payload]).encode()


def _write(path: Path, records: list[bytes]) -> Path:
    path.write_bytes(b"".join(_frame(r) for r in records))
    return path


@pytest.fixture()
def tfrecord(tmp_path: Path) -> Path:
    records = [
        _record("a" * 32, 0.90, 0.89),
        _record("a" * 32, 0.92, 0.91),
        _record("a" * 32, 0.94, 0.93),
        _record("b" * 32, 0.80, 0.79, params=42),
        _record("b" * 32, 0.50, 0.49, epochs=36, params=42),
    ]
    return _write(tmp_path / "nasbench_mini.tfrecord", records)


# ------------------------------------------------------------------------------- tests


def test_crc32c_known_value():
    assert crc32c(b"123456789") == 0xE3069283 == _crc32c_python(b"123456789")
    assert _crc32c_bitwise(b"123456789") == 0xE3069283
    assert masked_crc32c(b"abc") == _masked(b"abc")


def test_metrics_protobuf_decodes_hand_encoded_bytes():
    message = model_metrics_class().FromString(_metrics(0.9, 0.8, 100.0, 77))
    assert message.trainable_parameters == 77
    assert [e.current_epoch for e in message.evaluation_data] == [0, 54, 108]
    assert message.evaluation_data[2].validation_accuracy == 0.9


def test_read_tfrecord(tfrecord: Path):
    assert len(list(iter_records(tfrecord))) == 5
    frame = read_nb101_tfrecord(tfrecord).set_index("hash")
    a = frame.loc["a" * 32]
    assert a["cifar10_valid_acc"] == pytest.approx(92.0)
    assert a["cifar10_test_acc"] == pytest.approx(91.0)
    assert a["params_M"] == pytest.approx(1.234567) and a["n_runs"] == 3
    assert a["train_time_s"] == pytest.approx(1000.0)
    assert json.loads(a["adjacency"])[0] == [0, 1, 1, 0, 0]
    assert json.loads(a["ops"]) == OPS.split(",")
    b = frame.loc["b" * 32]
    assert b["cifar10_valid_acc_36ep"] == pytest.approx(50.0) and b["n_runs"] == 1
    assert load_table("nb101", tfrecord).query("a" * 32)["cifar10_valid_acc"] == pytest.approx(92)


def _corrupt(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_corrupt_data_crc(tfrecord: Path):
    first = len(_frame(_record("a" * 32, 0.90, 0.89)))
    _corrupt(tfrecord, first + 12 + 20)  # inside record 1's data
    with pytest.raises(DataFileError, match=r"record 1 \(byte offset \d+\): CRC of the record data"):
        read_nb101_tfrecord(tfrecord)


def test_corrupt_length_crc(tfrecord: Path):
    _corrupt(tfrecord, 0)
    with pytest.raises(DataFileError, match="record 0 .*CRC of the record length"):
        list(iter_records(tfrecord))


def test_truncated_tfrecord(tfrecord: Path):
    data = tfrecord.read_bytes()
    tfrecord.write_bytes(data[:-10])
    with pytest.raises(DataFileError, match="record 4 .*cut short"):
        read_nb101_tfrecord(tfrecord)
    tfrecord.write_bytes(data + b"\x01\x02")
    with pytest.raises(DataFileError, match="record 5 .*header is cut short"):
        read_nb101_tfrecord(tfrecord)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "record 1 .*not a JSON list"),
        (b'["x", 108]', "record 1 .*expected a JSON list"),
        (json.dumps(["x" * 32, 108, "0101", "input,output", "%%%"]).encode(), "ModelMetrics"),
        (json.dumps(["x" * 32, 108, "012", "input", ""]).encode(), "not a square 0/1"),
        (
            json.dumps(["x" * 32, 108, "0100", "input,output", base64.b64encode(b"").decode()]),
            "has 0 evaluations",
        ),
    ],
)
def test_bad_record_content(tmp_path: Path, payload, message):
    if isinstance(payload, str):
        payload = payload.encode()
    path = _write(tmp_path / "bad.tfrecord", [_record("a" * 32, 0.9, 0.9), payload])
    with pytest.raises(DataFileError, match=message):
        read_nb101_tfrecord(path)


def test_empty_tfrecord(tmp_path: Path):
    with pytest.raises(DataFileError, match="holds no records"):
        read_nb101_tfrecord(_write(tmp_path / "empty.tfrecord", []))


# --------------------------------------------------------------------------- NB201 .pth


class _FakeAPI:
    """Stands in for NASBench201API: same methods, three datasets, in reversed index order."""

    def __init__(self, cells):
        self.cells = cells

    def __len__(self) -> int:
        return len(self.cells)

    def arch(self, i: int) -> str:
        return self.cells[i].arch_str

    def get_more_info(self, i, dataset, iepoch=None, hp="12", is_random=True):
        assert hp == "200" and is_random is False
        base = {"cifar10-valid": 90.0, "cifar10": 93.0, "cifar100": 70.0, "ImageNet16-120": 45.0}
        idx = self.cells[i].index
        info = {"test-accuracy": base[dataset] + idx / 1e5}
        if dataset != "cifar10":
            info["valid-accuracy"] = base[dataset] - 1 + idx / 1e5
        return info

    def get_cost_info(self, i, dataset, hp="12"):
        cell = self.cells[i]
        ds = {"cifar10": "cifar10", "cifar100": "cifar100"}.get(dataset, "imagenet16_120")
        return {"params": cell.params_M(ds), "flops": cell.flops_M(ds), "latency": 0.01}


def test_pth_frame_from_api():
    from narank.spaces.nb201 import all_cells

    frame = api_to_frame(_FakeAPI(list(reversed(all_cells()))))
    assert frame["index"].tolist() == list(range(15625))
    assert frame.loc[6111, "cifar10_valid_acc"] == pytest.approx(89.06111)
    assert frame.loc[6111, "cifar10_test_acc"] == pytest.approx(93.06111)
    assert frame.loc[0, "cifar10_params_M"] == all_cells()[0].params_M("cifar10")


def test_pth_reader_needs_the_package(tmp_path: Path, monkeypatch):
    import torch

    pth = tmp_path / "NAS-Bench-201-v1_1-096897.pth"
    torch.save({"arch2infos": {}, "meta_archs": []}, pth)
    monkeypatch.setitem(sys.modules, "nas_201_api", None)
    with pytest.raises(NarankError, match=r"pip install 'narank\[nb201\]'"):
        read_nb201_pth(pth)
    with pytest.raises(DataFileError, match="file not found"):
        read_nb201_pth(tmp_path / "missing.pth")


def test_pth_reader_with_api(tmp_path: Path, monkeypatch):
    from narank.spaces.nb201 import all_cells

    fake = types.ModuleType("nas_201_api")
    fake.NASBench201API = lambda path, verbose=False: _FakeAPI(list(all_cells()))
    monkeypatch.setitem(sys.modules, "nas_201_api", fake)
    import torch

    pth = tmp_path / "bench.pth"
    torch.save({"arch2infos": {}, "meta_archs": []}, pth)
    frame = read_nb201_pth(pth)
    assert len(frame) == 15625 and frame.loc[9930, "cifar100_test_acc"] == pytest.approx(70.0993)
