"""Benchmark tables: loading the canonical CSVs, lookups, and damaged files."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from narank.benchmarks import BenchmarkTable, NotInTableError, find_table_file, load_table
from narank.benchmarks.csv_tables import read_nb101_csv, read_nb201_csv
from narank.errors import DataFileError, NarankError
from narank.spaces.nb201 import NB201Cell


@pytest.fixture(scope="module")
def nb201_table(nb201_csv: Path) -> BenchmarkTable:
    return load_table("nb201", nb201_csv)


@pytest.fixture(scope="module")
def nb101_table(nb101_csv: Path) -> BenchmarkTable:
    return load_table("nb101", nb101_csv)


@pytest.mark.parametrize("space", ["nb201", "nb101"])
def test_load_is_fast(data_root: Path, space: str):
    file = data_root / space / f"{space}.csv"
    if not file.exists():
        pytest.skip(f"{file} not found")
    start = time.perf_counter()
    table = read_nb201_csv(file) if space == "nb201" else read_nb101_csv(file)
    assert time.perf_counter() - start <= 2.0
    assert len(table) == (15625 if space == "nb201" else 30001)


def test_load_table_finds_the_data_folder(data_root: Path, monkeypatch):
    monkeypatch.setenv("NARANK_DATA", str(data_root))
    assert find_table_file("nb201") is not None
    assert len(load_table("nb201")) == 15625
    assert load_table("nb201") is load_table("nb201")  # cached
    with pytest.raises(DataFileError, match="no nb201 benchmark table"):
        load_table("nb201", data_root / "nowhere")


@pytest.mark.parametrize(
    ("index", "column", "value"),
    [
        (6111, "cifar10_test_acc", 94.3733),
        (9930, "cifar100_test_acc", 73.5133),
        (857, "imagenet16_120_test_acc", 47.3111),
    ],
)
def test_nb201_optima(nb201_table, index, column, value):
    row = nb201_table.query(index)
    assert row[column] == value
    assert row["id"] == str(index) and row["index"] == index
    assert nb201_table.targets(column).max() == value
    assert int(np.argmax(nb201_table.targets(column))) == index


def test_nb201_query_forms(nb201_table):
    cell = NB201Cell.from_index(6111)
    for key in (cell, cell.arch_str, 6111, "6111"):
        assert nb201_table.query(key)["arch_str"] == cell.arch_str
        assert key in nb201_table
    assert "not an arch" not in nb201_table
    with pytest.raises(NarankError, match="malformed NB201 arch string"):
        nb201_table.query("not an arch")
    assert nb201_table.targets("cifar10_valid_acc", ids=[cell, 0]).tolist() == [91.6067, 81.9827]
    cells, values = nb201_table.export("cifar10_valid_acc")
    assert len(cells) == len(values) == 15625 and cells[6111] == cell
    with pytest.raises(NarankError, match="no column 'accuracy'"):
        nb201_table.targets("accuracy")


def test_missing_cell_is_a_clear_error(nb201_table):
    small = BenchmarkTable("nb201", nb201_table.metrics.iloc[:100], source="small.csv")
    with pytest.raises(NotInTableError, match="no ground truth here") as info:
        small.query(6111)
    assert isinstance(info.value, KeyError)
    assert "6111" in str(info.value) and not str(info.value).startswith("'")
    assert 6111 not in small and 5 in small


def test_nb101_table(nb101_table):
    h = "00005c142e6f48ac74fdcf73e3439874"
    row = nb101_table.query(h)
    assert row["hash"] == h and row["cifar10_valid_acc"] == 93.0489
    assert row["ops"][0] == "input" and len(row["adjacency"]) == 7
    assert h in nb101_table and "f" * 32 not in nb101_table
    with pytest.raises(NotInTableError, match="no ground truth"):
        nb101_table.query("f" * 32)
    assert nb101_table.targets("cifar10_valid_acc").max() == pytest.approx(94.91, abs=0.01)
    assert "params_M" in nb101_table.columns


def test_nb101_cells_match_hashes(nb101_table):
    pytest.importorskip("narank.spaces.nb101")
    small = BenchmarkTable("nb101", nb101_table.metrics.iloc[:200])
    assert [c.hash for c in small.cells()] == small.ids
    assert small.query(small.cells()[3])["hash"] == small.ids[3]


def test_nb101_extra_rows(nb101_csv: Path, nb101_naslib_csv: Path):
    table = read_nb101_csv(nb101_csv, extra=[nb101_naslib_csv])
    assert 30001 < len(table) <= 30001 + 292
    assert table.metrics.index.is_unique


# ------------------------------------------------------------------ damaged files


def _write_lines(tmp_path: Path, source: Path, keep: int, name: str) -> Path:
    lines = source.read_text().splitlines(keepends=True)
    out = tmp_path / name
    out.write_text("".join(lines[:keep]))
    return out


def test_truncated_nb201_csv(tmp_path, nb201_csv):
    short = _write_lines(tmp_path, nb201_csv, 1001, "nb201.csv")
    with pytest.raises(DataFileError, match=r"nb201.csv: has 1,000 data rows, expected 15,625"):
        read_nb201_csv(short)
    text = nb201_csv.read_text()
    cut = tmp_path / "cut.csv"
    cut.write_text(text[: len(text) // 2 - 7])  # mid-line
    with pytest.raises(DataFileError, match=r"cut.csv: line \d+, column '\w+': missing value"):
        read_nb201_csv(cut)


def test_truncated_nb101_csv(tmp_path, nb101_csv):
    text = nb101_csv.read_text()
    cut = tmp_path / "nb101.csv"
    cut.write_text(text[: text.index("\n", 5000) + 30])  # ends inside the adjacency JSON
    with pytest.raises(DataFileError, match="nb101.csv"):
        read_nb101_csv(cut)
    cut.write_text(text[: text.index("\n", 5000) + 1] + "abc123,")
    with pytest.raises(DataFileError, match=r"nb101.csv: line 18, column 'adjacency': missing value"):
        read_nb101_csv(cut)


def test_missing_column_and_bad_values(tmp_path, nb201_csv, nb101_csv):
    lines = nb201_csv.read_text().splitlines(keepends=True)
    header = lines[0].replace(",cifar100_test_acc", ",cifar100_test")
    bad = tmp_path / "renamed.csv"
    bad.write_text(header + "".join(lines[1:]))
    with pytest.raises(DataFileError, match="renamed.csv: missing column.*cifar100_test_acc"):
        read_nb201_csv(bad)
    fields = lines[43].split(",")
    fields[3] = "n/a?"
    lines[43] = ",".join(fields)
    bad.write_text("".join(lines))
    with pytest.raises(DataFileError, match=r"line 44, column 'cifar10_test_acc': 'n/a\?'"):
        read_nb201_csv(bad)
    lines = nb101_csv.read_text().splitlines(keepends=True)[:20]
    head, *tail = lines[5].rsplit(",", 7)  # the 7 numeric/flag fields after the JSON ones
    lines[5] = ",".join([head, "abc", *tail[1:]])
    bad.write_text("".join(lines))
    with pytest.raises(DataFileError, match=r"line 6, column 'cifar10_valid_acc': 'abc'"):
        read_nb101_csv(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataFileError, match="empty.csv: not a readable CSV"):
        read_nb101_csv(empty)


def test_wrong_order_nb201_csv(tmp_path, nb201_csv):
    lines = nb201_csv.read_text().splitlines(keepends=True)
    a, b = lines[10].split(",", 1), lines[11].split(",", 1)
    lines[10], lines[11] = f"{a[0]},{b[1]}", f"{b[0]},{a[1]}"
    bad = tmp_path / "swapped.csv"
    bad.write_text("".join(lines))
    with pytest.raises(DataFileError, match=r"line 11, column 'arch_str'.*official index 9"):
        read_nb201_csv(bad)
