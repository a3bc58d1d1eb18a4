"""Read the official NAS-Bench-101 `.tfrecord` files without TensorFlow.

Framing of each record: uint64 length (little endian), uint32 masked crc32c of those 8 bytes,
the data, uint32 masked crc32c of the data. In NAS-Bench-101 each record's data is a JSON list
`[module_hash, epochs, adjacency bit-string (row-major), "op,op,...", base64(ModelMetrics)]`,
ModelMetrics being the protobuf message of nasbench/lib/model_metrics.proto.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import struct
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from narank.errors import DataFileError

_MASK_DELTA = 0xA282EAD8
_FIX = "the file is corrupt or truncated: download it again"
MAX_RECORD_BYTES = 1 << 30
#: runs per cell and epoch budget in the official files, and cells of the official 108-epoch file
RUNS_PER_CELL = 3
OFFICIAL_CELLS = 423_624


@lru_cache(maxsize=1)
def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


def _crc32c_python(data: bytes) -> int:
    table, crc = _crc_table(), 0xFFFFFFFF
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _crc32c_impl() -> Callable[[bytes], int]:
    try:
        import crc32c as fast  # optional C implementation

        return fast.crc32c
    except ImportError:
        return _crc32c_python


crc32c: Callable[[bytes], int] = _crc32c_impl()


def masked_crc32c(data: bytes) -> int:
    """The masked CRC-32C that TFRecord framing stores."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def iter_records(path: str | os.PathLike, verify: bool = True) -> Iterator[bytes]:
    """Yield the data of each record of a TFRecord file, checking both CRCs."""
    path = Path(path)
    try:
        f = path.open("rb")
    except OSError as exc:
        raise DataFileError(f"{path}: cannot open ({exc.strerror})") from exc
    with f:
        number, offset = 0, 0
        while True:
            header = f.read(12)
            if not header:
                return
            where = f"{path}: record {number} (byte offset {offset})"
            if len(header) < 12:
                raise DataFileError(f"{where}: the record header is cut short; {_FIX}")
            (length,) = struct.unpack("<Q", header[:8])
            (length_crc,) = struct.unpack("<I", header[8:])
            if verify and masked_crc32c(header[:8]) != length_crc:
                raise DataFileError(f"{where}: CRC of the record length does not match; {_FIX}")
            if length > MAX_RECORD_BYTES:
                raise DataFileError(f"{where}: implausible record length {length}; {_FIX}")
            data = f.read(length)
            footer = f.read(4)
            if len(data) < length or len(footer) < 4:
                raise DataFileError(
                    f"{where}: the record is cut short ({len(data)} of {length} data bytes); "
                    f"{_FIX}"
                )
            if verify and masked_crc32c(data) != struct.unpack("<I", footer)[0]:
                raise DataFileError(f"{where}: CRC of the record data does not match; {_FIX}")
            yield data
            number += 1
            offset += 16 + length


@lru_cache(maxsize=1)
def model_metrics_class() -> type:
    """Protobuf class for nasbench.ModelMetrics, built from a descriptor (no generated code)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    fdp = descriptor_pb2.FieldDescriptorProto
    file_proto = descriptor_pb2.FileDescriptorProto(
        name="narank/nasbench_model_metrics.proto", package="nasbench", syntax="proto2"
    )
    evaluation = file_proto.message_type.add(name="EvaluationData")
    for number, name in enumerate(
        ("current_epoch", "training_time", "train_accuracy", "validation_accuracy", "test_accuracy"),
        start=1,
    ):
        evaluation.field.add(
            name=name, number=number, type=fdp.TYPE_DOUBLE, label=fdp.LABEL_OPTIONAL
        )
    evaluation.field.add(
        name="checkpoint_path", number=6, type=fdp.TYPE_STRING, label=fdp.LABEL_OPTIONAL
    )
    metrics = file_proto.message_type.add(name="ModelMetrics")
    metrics.field.add(
        name="evaluation_data",
        number=1,
        type=fdp.TYPE_MESSAGE,
        label=fdp.LABEL_REPEATED,
        type_name=".nasbench.EvaluationData",
    )
    metrics.field.add(
        name="trainable_parameters", number=2, type=fdp.TYPE_INT32, label=fdp.LABEL_OPTIONAL
    )
    metrics.field.add(name="total_time", number=3, type=fdp.TYPE_DOUBLE, label=fdp.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file_proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("nasbench.ModelMetrics"))


def parse_record(data: bytes, where: str = "record") -> dict[str, Any]:
    """Decode one NAS-Bench-101 record into hash, epochs, adjacency, ops and final metrics."""
    from google.protobuf.message import DecodeError

    try:
        row = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(f"{where}: data is not a JSON list ({exc}); {_FIX}") from exc
    if not isinstance(row, list) or len(row) != 5:
        raise DataFileError(
            f"{where}: expected a JSON list [hash, epochs, adjacency, ops, metrics], got "
            f"{str(row)[:80]!r}; is this a NAS-Bench-101 file?"
        )
    module_hash, epochs, raw_adjacency, raw_ops, raw_metrics = row
    if not isinstance(raw_adjacency, str) or not isinstance(raw_ops, str):
        raise DataFileError(f"{where}: adjacency and ops must be strings; {_FIX}")
    dim = int(round(len(raw_adjacency) ** 0.5))
    if dim * dim != len(raw_adjacency) or set(raw_adjacency) - {"0", "1"}:
        raise DataFileError(
            f"{where}: adjacency {raw_adjacency!r} is not a square 0/1 bit-string; {_FIX}"
        )
    ops = raw_ops.split(",")
    if len(ops) != dim:
        raise DataFileError(f"{where}: {len(ops)} ops for a {dim}x{dim} adjacency; {_FIX}")
    try:
        metrics = model_metrics_class().FromString(base64.b64decode(raw_metrics, validate=True))
    except (binascii.Error, TypeError, ValueError, DecodeError) as exc:
        raise DataFileError(
            f"{where}: cannot decode the ModelMetrics protobuf ({exc}); {_FIX}"
        ) from exc
    if len(metrics.evaluation_data) < 3:
        raise DataFileError(
            f"{where}: ModelMetrics has {len(metrics.evaluation_data)} evaluations, expected 3 "
            f"(start, halfway, final); {_FIX}"
        )
    final = metrics.evaluation_data[2]
    bits = [int(b) for b in raw_adjacency]
    return {
        "hash": str(module_hash),
        "epochs": int(epochs),
        "adjacency": [bits[i * dim : (i + 1) * dim] for i in range(dim)],
        "ops": ops,
        "trainable_parameters": int(metrics.trainable_parameters),
        "validation_accuracy": float(final.validation_accuracy),
        "test_accuracy": float(final.test_accuracy),
        "training_time": float(final.training_time),
    }


def read_nb101_tfrecord(path: str | os.PathLike, verify: bool = True) -> pd.DataFrame:
    """Read an official NB101 tfrecord into the canonical nb101.csv schema (means over runs)."""
    path = Path(path)
    cells: dict[str, dict[str, Any]] = {}
    runs: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
    offset = 0
    for number, data in enumerate(iter_records(path, verify=verify)):
        rec = parse_record(data, f"{path}: record {number} (byte offset {offset})")
        offset += 16 + len(data)
        if rec["hash"] not in cells:
            cells[rec["hash"]] = rec
        runs.setdefault((rec["hash"], rec["epochs"]), []).append(
            (rec["validation_accuracy"], rec["test_accuracy"], rec["training_time"])
        )
    if not cells:
        raise DataFileError(f"{path}: holds no records; is this the NAS-Bench-101 tfrecord?")
    epochs = sorted({e for _, e in runs})
    if 108 not in epochs:
        raise DataFileError(f"{path}: has no 108-epoch results (epochs found: {epochs})")
    rows = []
    for h, rec in cells.items():
        final = np.array(runs.get((h, 108), [(np.nan,) * 3]), dtype=np.float64)
        row = {
            "hash": h,
            "adjacency": json.dumps(rec["adjacency"], separators=(",", ":")),
            "ops": json.dumps(rec["ops"], separators=(",", ":")),
            "cifar10_valid_acc": 100.0 * final[:, 0].mean(),
            "cifar10_test_acc": 100.0 * final[:, 1].mean(),
        }
        for e in (36, 12, 4):
            if e in epochs:
                short = np.array(runs.get((h, e), [(np.nan,) * 3]), dtype=np.float64)
                row[f"cifar10_valid_acc_{e}ep"] = 100.0 * short[:, 0].mean()
        row["params_M"] = rec["trainable_parameters"] / 1e6
        row["train_time_s"] = final[:, 2].mean()
        row["n_runs"] = len(runs.get((h, 108), []))
        row["min_runs"] = min(len(runs.get((h, e), [])) for e in epochs)
        row["official_vertex_order"] = True
        rows.append(row)
    return pd.DataFrame(rows)


def completeness_problems(frame: pd.DataFrame, expected_cells: int = OFFICIAL_CELLS) -> list[str]:
    """What makes a converted tfrecord incomplete: missing runs of a cell, or missing cells.

    A file cut exactly at a record boundary passes every CRC; only these counts show that it is
    partial. `frame` is `read_nb101_tfrecord`'s output. Empty list: complete.
    """
    problems = []
    short = frame[frame["min_runs"] < RUNS_PER_CELL] if "min_runs" in frame else frame.iloc[:0]
    if len(short):
        problems.append(f"{len(short):,} cell(s) have fewer than {RUNS_PER_CELL} runs per epoch budget "
                        f"(e.g. {short['hash'].iloc[0]})")
    if len(frame) != expected_cells:
        problems.append(f"{len(frame):,} cells instead of the official {expected_cells:,}")
    return problems
