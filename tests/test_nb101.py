"""NB101 space: official hash and parameter counts on real data, validation, sampling,
enumeration machinery and its cache."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narank.cli import main
from narank.errors import DataFileError, InvalidCellError
from narank.spaces import nb101_enumerate as en
from narank.spaces.nb101 import (
    MAX_EDGES,
    OPS,
    NB101Cell,
    mutate,
    sample,
    vertex_channels,
)

C3, C1, MP = OPS


def _chain(n: int) -> np.ndarray:
    """Adjacency of the path 0->1->...->n-1."""
    return np.eye(n, k=1, dtype=int)


def _cells(csv: Path) -> tuple[pd.DataFrame, list[NB101Cell]]:
    """Rows of a benchmark table and their cells."""
    df = pd.read_csv(csv)
    cells = [NB101Cell.from_spec(json.loads(a), json.loads(o)) for a, o in zip(df.adjacency, df.ops)]
    return df, cells


@pytest.fixture(scope="module")
def nb101_rows(nb101_csv: Path) -> tuple[pd.DataFrame, list[NB101Cell]]:
    return _cells(nb101_csv)


@pytest.fixture(scope="module")
def nar_example(data_root: Path) -> dict:
    path = data_root / "nar_examples" / "nasbench101_vertice_example.json"
    return json.loads(path.read_text())[0]


# ------------------------------------------------------------------- real-data checks


def test_nar_example_hash_params_flops(nar_example: dict) -> None:
    cell = NB101Cell.from_spec(nar_example["module_adjacency"], nar_example["module_operations"])
    assert cell.hash == nar_example["unique_hash"]
    assert cell.params() == nar_example["trainable_parameters"]
    assert cell.params_M == pytest.approx(nar_example["trainable_parameters"] / 1e6, abs=1e-9)
    assert cell.vertex_params() == np.sum(list(nar_example["vertex_params"].values()), 0).tolist()
    assert cell.vertex_flops() == np.sum(list(nar_example["vertex_flops"].values()), 0).tolist()
    assert cell.flops() == nar_example["flops"]
    assert sum(cell.vertex_params()) + 3 * 3 * 3 * 128 + 2 * 128 + 512 * 10 + 10 == cell.params()


def test_hash_matches_all_nb101_rows(nb101_rows: tuple[pd.DataFrame, list[NB101Cell]]) -> None:
    df, cells = nb101_rows
    assert len(cells) == 30_001
    assert [c.hash for c in cells] == df["hash"].tolist()


def test_params_match_official_order_rows(nb101_rows) -> None:
    df, cells = nb101_rows
    official = df["official_vertex_order"].to_numpy(dtype=bool)
    ours = np.array([c.params_M for c, ok in zip(cells, official) if ok])
    assert len(ours) == 1000
    np.testing.assert_allclose(ours, df.loc[official, "params_M"].to_numpy(), rtol=0, atol=1e-6)


def test_naslib292_hash_and_params(nb101_naslib_csv: Path) -> None:
    df, cells = _cells(nb101_naslib_csv)
    assert len(cells) == 292
    assert [c.hash for c in cells] == df["hash"].tolist()
    ours = np.array([c.params_M for c in cells])
    np.testing.assert_allclose(ours, df["params_M"].to_numpy(), rtol=0, atol=1e-6)


# ------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("adjacency", "ops", "message"),
    [
        ([[0, 1, 0], [0, 0, 1], [0, 1, 0]], ["input", C3, "output"], "not a DAG"),
        ([[0, 1], [0, 1]], ["input", "output"], "self-loop or cycle"),
        ([[0, 1, 0], [0, 0, 1]], ["input", C3, "output"], "square matrix"),
        ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv5x5", "output"], "unknown op 'conv5x5'"),
        ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", C3], "ops has 2 entries"),
        ([[0, 1, 0], [0, 0, 1], [0, 0, 0]], [C3, C3, "output"], "start with 'input'"),
        ([[0, 2, 0], [0, 0, 1], [0, 0, 0]], ["input", C3, "output"], "0 or 1"),
        ([[0, 1, 0], [0, 0, 0], [0, 0, 0]], ["input", C3, "output"], "disconnected"),
        (_chain(8), ["input", *[C3] * 6, "output"], "too many vertices: 8"),
    ],
)
def test_invalid_specs_name_the_rule(adjacency, ops, message) -> None:
    with pytest.raises(InvalidCellError, match=message):
        NB101Cell.from_spec(adjacency, ops)


def test_unknown_op_lists_valid_ops() -> None:
    with pytest.raises(InvalidCellError) as info:
        NB101Cell.from_spec([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv", "output"])
    assert all(op in str(info.value) for op in OPS)


def test_ten_edges_rejected() -> None:
    m = _chain(7)
    for src, dst in [(0, 2), (0, 3), (1, 3), (2, 4)]:
        m[src, dst] = 1
    with pytest.raises(InvalidCellError, match="too many edges: 10 .* limit is 9"):
        NB101Cell.from_spec(m, ["input", *[C3] * 5, "output"])
    m[2, 4] = 0
    assert NB101Cell.from_spec(m, ["input", *[C3] * 5, "output"]).num_edges == MAX_EDGES


def test_pruning_removes_dead_vertices() -> None:
    # vertex 2 is unreachable from input, vertex 3 does not reach output
    m = [
        [0, 1, 0, 1, 0],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
    ]
    cell = NB101Cell.from_spec(m, ["input", C1, MP, C3, "output"])
    assert cell.matrix == ((0, 1, 0), (0, 0, 1), (0, 0, 0))
    assert cell.ops == ("input", C1, "output")
    assert cell.num_vertices == 3 and cell.num_edges == 2
    assert cell == NB101Cell.from_spec(_chain(3), ["input", C1, "output"])
    assert cell.to_dict() == {"adjacency": [[0, 1, 0], [0, 0, 1], [0, 0, 0]], "ops": ["input", C1, "output"]}
    assert cell.adjacency.tolist() == [list(r) for r in cell.matrix]


def test_direct_construction_requires_pruned_cell() -> None:
    ok = NB101Cell(((0, 1, 0), (0, 0, 1), (0, 0, 0)), ("input", C3, "output"))
    assert ok.num_vertices == 3
    with pytest.raises(InvalidCellError, match="from_spec"):
        NB101Cell(((0, 1, 1), (0, 0, 0), (0, 0, 0)), ("input", C3, "output"))


def test_hash_is_isomorphism_invariant() -> None:
    a = NB101Cell.from_spec(
        [[0, 1, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]], ["input", C3, MP, "output"]
    )
    b = NB101Cell.from_spec(a.adjacency, ["input", MP, C3, "output"])
    c = NB101Cell.from_spec(a.adjacency, ["input", C3, C3, "output"])
    assert a != b and a.hash == b.hash and a.hash != c.hash


# -------------------------------------------------------------------- channels, costs


def test_vertex_channels_official_rule() -> None:
    # three vertices feed the output: 128 = 43 + 43 + 42, the +1 to the lowest numbers
    m = [
        [0, 1, 1, 1, 0],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0],
    ]
    assert vertex_channels(64, 128, m) == [64, 43, 43, 42, 128]
    # vertex 1 feeds only vertex 2, which gets all the output channels
    assert vertex_channels(128, 256, _chain(4)) == [128, 256, 256, 256]
    assert vertex_channels(128, 256, _chain(2)) == [128, 256]


def test_input_to_output_only_cell_params() -> None:
    cell = NB101Cell.from_spec(_chain(2), ["input", "output"])
    plan = [(128, 128)] * 3 + [(128, 256)] + [(256, 256)] * 2 + [(256, 512)] + [(512, 512)] * 2
    projections = sum(i * o + 2 * o for i, o in plan)
    assert cell.params() == 3 * 3 * 3 * 128 + 2 * 128 + projections + 512 * 10 + 10
    assert cell.vertex_params() == [0, projections]


# ------------------------------------------------------------------ sampling, mutation


def test_sample_deterministic_and_valid() -> None:
    first = sample(30, 0)
    assert first == sample(30, np.random.default_rng(0))
    assert first != sample(30, 1)
    for cell in first:
        assert NB101Cell.from_spec(cell.matrix, cell.ops) == cell
        assert cell.num_vertices <= 7 and cell.num_edges <= 9


def test_mutate_deterministic_valid_and_different() -> None:
    for i, cell in enumerate(sample(30, 3)):
        child = mutate(cell, i)
        assert child == mutate(cell, np.random.default_rng(i))
        assert child.hash != cell.hash
        assert NB101Cell.from_spec(child.matrix, child.ops) == child


def test_mutate_grows_the_input_output_cell() -> None:
    child = mutate(NB101Cell.from_spec(_chain(2), ["input", "output"]), 0)
    assert child.matrix == ((0, 1, 1), (0, 0, 1), (0, 0, 0))


# ------------------------------------------------------------------------ enumeration


@pytest.fixture(scope="module")
def brute_force_5() -> dict[str, NB101Cell]:
    """Every valid cell reachable from any raw spec with <= 5 vertices, by hash."""
    found: dict[str, NB101Cell] = {}
    seen = set()
    for n in range(2, 6):
        pairs = [(x, y) for y in range(n) for x in range(y)]
        for bits in itertools.product((0, 1), repeat=len(pairs)):
            m = np.zeros((n, n), dtype=int)
            for (x, y), b in zip(pairs, bits):
                m[x, y] = b
            for interior in itertools.product(OPS, repeat=n - 2):
                try:
                    cell = NB101Cell.from_spec(m, ["input", *interior, "output"])
                except InvalidCellError:
                    continue
                if (cell.matrix, cell.ops) not in seen:
                    seen.add((cell.matrix, cell.ops))
                    found.setdefault(cell.hash, cell)
    return found


@pytest.mark.parametrize("max_edges", [9, 4])
def test_enumeration_matches_brute_force(brute_force_5, max_edges: int) -> None:
    table = en.build_space(max_vertices=5, max_edges=max_edges, n_jobs=1, progress=False)
    expected = {h for h, c in brute_force_5.items() if c.num_edges <= max_edges}
    assert len(table) == len(expected)
    assert set(table.hashes.tolist()) == expected
    assert list(table.hashes) == sorted(table.hashes)


def test_table_cells_roundtrip() -> None:
    table = en.build_space(max_vertices=4, n_jobs=1, progress=False)
    cells = table.cells()
    assert [NB101Cell.from_spec(c.matrix, c.ops).hash for c in cells] == table.hashes.tolist()
    assert table.cell(cells[5].hash) == cells[5]
    with pytest.raises(InvalidCellError, match="not an NB101 cell"):
        table.cell("0" * 32)


def test_canonical_codes_merge_isomorphic_shapes() -> None:
    # b is a with interior vertices 1 and 2 swapped; c is a different shape
    a = ((0, 1, 1, 0, 0), (0, 0, 0, 1, 0), (0, 0, 0, 0, 1), (0, 0, 0, 0, 1), (0, 0, 0, 0, 0))
    b = ((0, 1, 1, 0, 0), (0, 0, 0, 0, 1), (0, 0, 0, 1, 0), (0, 0, 0, 0, 1), (0, 0, 0, 0, 0))
    c = tuple(map(tuple, _chain(5).tolist()))
    codes = np.array([en.matrix_to_code(m) for m in (a, b, c)], dtype=np.uint32)
    canon = en.canonical_codes(codes, 5)
    assert canon[0] == canon[1] != canon[2]
    assert en.code_to_matrix(int(codes[1]), 5) == b
    ops = ("input", MP, C1, C3, "output")
    assert en.code_to_ops(en.ops_to_code(ops), 5) == ops


def test_cache_roundtrip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    en.clear_memo()
    table = en.load_space(tmp_path, max_vertices=4, n_jobs=1, progress=False)
    path = en.cache_path(tmp_path, 4)
    assert path.is_file() and not list(tmp_path.glob("*.tmp"))
    en.clear_memo()

    def no_build(*args, **kwargs):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(en, "build_space", no_build)
    again = en.load_space(tmp_path, max_vertices=4)
    assert again.hashes.tolist() == table.hashes.tolist()
    assert np.array_equal(again.codes, table.codes)
    assert np.array_equal(again.op_codes, table.op_codes)
    en.clear_memo()


def test_truncated_cache_is_rebuilt_with_warning(tmp_path: Path) -> None:
    en.clear_memo()
    table = en.load_space(tmp_path, max_vertices=4, n_jobs=1, progress=False)
    path = en.cache_path(tmp_path, 4)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(DataFileError, match="unreadable NB101 cache"):
        en.read_space(path, max_vertices=4)
    en.clear_memo()
    with pytest.warns(UserWarning, match="rebuilding the NB101 enumeration"):
        rebuilt = en.load_space(tmp_path, max_vertices=4, n_jobs=1, progress=False)
    assert rebuilt.hashes.tolist() == table.hashes.tolist()
    assert en.read_space(path, max_vertices=4).hashes.tolist() == table.hashes.tolist()
    en.clear_memo()


def test_tampered_or_mismatched_cache_is_rejected(tmp_path: Path) -> None:
    table = en.build_space(max_vertices=4, n_jobs=1, progress=False)
    path = tmp_path / "space.npz"
    en.save_space(table, path)
    with pytest.raises(DataFileError, match="does not match"):
        en.read_space(path, max_vertices=5)
    with np.load(path) as data:
        arrays = dict(data)
    arrays["codes"] = arrays["codes"][::-1].copy()
    np.savez(path, **arrays)
    with pytest.raises(DataFileError, match="checksum"):
        en.read_space(path, max_vertices=4)


def test_cli_enumerate_count(monkeypatch: pytest.MonkeyPatch, capsys, tmp_path: Path) -> None:
    small = en.build_space(max_vertices=4, n_jobs=1, progress=False)
    monkeypatch.setattr(en, "load_space", lambda *args, **kwargs: small)
    assert main(["enumerate", "--space", "nb101", "--count"]) == 0
    assert capsys.readouterr().out.strip() == str(len(small))
    out = tmp_path / "ids.txt"
    assert main(["enumerate", "--space", "nb101", "--out", str(out)]) == 0
    assert out.read_text().split() == small.hashes.tolist()


def test_cli_enumerate_nb201_count(capsys) -> None:
    pytest.importorskip("narank.spaces.nb201")
    assert main(["enumerate", "--space", "nb201", "--count"]) == 0
    assert capsys.readouterr().out.strip() == "15625"


def test_full_space_cache_if_present(nb101_csv: Path) -> None:
    """The real 423,624-cell cache (built by `narank enumerate`), checked when it exists."""
    path = en.cache_path()
    if not path.is_file():
        pytest.skip(f"no full NB101 enumeration cache at {path}; run `narank enumerate --count`")
    table = en.read_space(path)
    assert len(table) == 423_624
    hashes = pd.read_csv(nb101_csv, usecols=["hash"])["hash"].to_numpy(dtype="U32")
    assert np.isin(hashes, table.hashes).all()
