"""NB201 cells: arch strings, official index, iso key, closed-form costs, sampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narank.errors import InvalidCellError, NarankError
from narank.spaces import canonical_id, get_space, nb201, parse_cell, space_names, space_of
from narank.spaces.nb201 import NB201Cell

BEST_C10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


@pytest.fixture(scope="module")
def nb201_frame(nb201_csv: Path) -> pd.DataFrame:
    return pd.read_csv(nb201_csv)


@pytest.fixture(scope="module")
def merged_frame(data_root: Path) -> pd.DataFrame:
    path = data_root / "nb201_merged" / "nb201_all_15625.csv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return pd.read_csv(path, usecols=["index", "arch_str", "unique_str"])


def test_all_cells_distinct_and_indexed():
    cells = nb201.all_cells()
    assert len(cells) == nb201.NUM_CELLS == 15625
    assert len(set(cells)) == 15625
    assert [c.index for c in cells[:50]] == list(range(50))
    assert all(c.index == i for i, c in enumerate(cells))
    assert NB201Cell.from_index(6111).arch_str == BEST_C10


def test_arch_strings_and_index_match_the_table(nb201_frame):
    cells = nb201.all_cells()
    assert [c.arch_str for c in cells] == list(nb201_frame["arch_str"])
    for i in (0, 1, 857, 6111, 9930, 15624):
        cell = NB201Cell.from_str(nb201_frame["arch_str"][i])
        assert cell.index == i
        assert NB201Cell.from_str(cell.arch_str) == cell


def test_round_trip_every_cell():
    for cell in nb201.all_cells():
        assert nb201.parse_arch_str(cell.arch_str) == cell.ops
    assert NB201Cell.from_op_ids(cell.op_ids) == cell


def test_iso_key_is_the_unique_str_partition(merged_frame):
    cells = nb201.all_cells()
    keys = [c.iso_key for c in cells]
    assert len(set(keys)) == 6466
    # Same string as the benchmark's unique_str, hence the same partition.
    assert keys == list(merged_frame["unique_str"])
    ours = pd.Series(keys).factorize()[0]
    theirs = merged_frame["unique_str"].factorize()[0]
    assert np.array_equal(ours, theirs)


def test_iso_key_examples():
    a = NB201Cell.from_str("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")
    b = NB201Cell.from_str("|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")
    assert a.iso_key == b.iso_key == "#+#+0"  # nodes 1 and 2 are dead ends
    # Skip edges are identities: a skip chain equals a direct skip edge.
    c = NB201Cell.from_str("|skip_connect~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|")
    d = NB201Cell.from_str("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")
    assert c.iso_key == "#+#+0" and d.iso_key == "#+#+0"
    # Quirks kept from the benchmark's unique_str, so the partition matches the data: the
    # '#' of a `none` edge stays in a node's sum, so swapping nodes 1 and 2 (edge 1->2 none)
    # gives a different key, and a node whose inputs are all dead ('#+#') is not folded to '#'.
    e = NB201Cell.from_str("|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|none~0|skip_connect~1|skip_connect~2|")
    f = NB201Cell.from_str("|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|none~0|skip_connect~1|skip_connect~2|")
    assert e.iso_key == "#+#+(0)@nor_conv_3x3+(0)@nor_conv_1x1"
    assert f.iso_key == "#+#+(0)@nor_conv_1x1+(0)@nor_conv_3x3"
    g = NB201Cell.from_str("|none~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|")
    assert g.iso_key == "#+#+(#+#)@nor_conv_3x3"


@pytest.mark.parametrize("dataset", nb201.DATASETS)
def test_params_and_flops_closed_forms(nb201_frame, dataset):
    cells = nb201.all_cells()
    params = nb201_frame[f"{dataset}_params_M"].to_numpy()
    flops = nb201_frame[f"{dataset}_flops_M"].to_numpy()
    assert np.array_equal(nb201.params_M_batch(cells, dataset), params)
    assert np.array_equal(nb201.flops_M_batch(nb201.all_ops_matrix(), dataset), flops)
    assert [c.params_M(dataset) for c in cells] == params.tolist()
    assert [c.flops_M(dataset) for c in cells] == flops.tolist()


def test_op_counts_and_matrices():
    cell = NB201Cell.from_str(BEST_C10)
    assert cell.op_counts().tolist() == [0, 1, 1, 4, 0]
    ops = nb201.ops_matrix([cell, NB201Cell.from_index(0)])
    assert ops.shape == (2, 6) and ops.dtype == np.int8
    assert ops[0].tolist() == [3, 3, 3, 1, 3, 2]
    assert nb201.op_counts_matrix(ops)[0].tolist() == [0, 1, 1, 4, 0]
    assert np.array_equal(nb201.all_ops_matrix()[6111], ops[0])
    assert nb201.dataset_name("ImageNet16-120") == "imagenet16_120"
    with pytest.raises(NarankError, match="unknown NB201 dataset"):
        cell.params_M("mnist")


def test_sample_and_mutate_are_seeded():
    a = nb201.sample(100, np.random.default_rng(7))
    b = nb201.sample(100, 7)
    assert a == b and len(a) == 100
    assert a != nb201.sample(100, 8)
    unique = nb201.sample(15625, 0, replace=False)
    assert len(set(unique)) == 15625
    rng1, rng2 = np.random.default_rng(3), np.random.default_rng(3)
    cell = NB201Cell.from_str(BEST_C10)
    for _ in range(200):
        m1, m2 = nb201.mutate(cell, rng1), nb201.mutate(cell, rng2)
        assert m1 == m2
        assert sum(x != y for x, y in zip(m1.ops, cell.ops)) == 1
        cell = m1


def test_sample_is_roughly_uniform():
    counts = np.bincount([c.index for c in nb201.sample(156250, 1)], minlength=15625)
    assert counts.sum() == 156250 and counts.max() < 35
    assert abs(counts.std() - np.sqrt(10)) < 0.1  # Poisson(10) spread, no favoured cells


@pytest.mark.parametrize(
    ("arch", "message"),
    [
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|", "found 2 node group"),
        ("|a~0|+|b~0|c~1|+|d~0|e~1|f~2|+|g~0|", "found 4 node group"),
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|+|none~0|none~1|none~2|", "node 2 has 1 edge"),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|none~2|", "node 3 has 4 edge"),
        ("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown op 'conv'"),
        ("|none~0|+|none~0|none~2|+|none~0|none~1|none~2|", "reads from '~2', expected '~1'"),
        ("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", "reads from '~1', expected '~0'"),
        ("|none|+|none~0|none~1|+|none~0|none~1|none~2|", "must look like 'op~0'"),
        ("none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "start and end with '|'"),
        ("", "start and end"),
    ],
)
def test_malformed_arch_strings(arch, message):
    with pytest.raises(InvalidCellError, match=message.replace("|", r"\|").replace("(", r"\(")):
        NB201Cell.from_str(arch)


def test_invalid_cells_and_indices():
    with pytest.raises(InvalidCellError, match="needs 6 ops"):
        NB201Cell(("none",) * 5)
    with pytest.raises(InvalidCellError, match="unknown NB201 op 'conv'"):
        NB201Cell(("conv",) * 6)
    with pytest.raises(InvalidCellError, match="out of range"):
        NB201Cell.from_index(15625)
    with pytest.raises(InvalidCellError, match="must be an int"):
        NB201Cell.from_index("3")  # type: ignore[arg-type]


def test_parse_cell_and_ids():
    cell = NB201Cell.from_index(6111)
    assert {"nb101", "nb201"} <= set(space_names())
    for obj in (BEST_C10, 6111, "6111", {"arch": BEST_C10}, {"index": 6111}, list(cell.ops), cell):
        assert parse_cell("nb201", obj) == cell
    assert canonical_id(cell) == "6111"
    assert space_of(cell) is get_space("nb201") and space_of(cell).name == "nb201"
    with pytest.raises(InvalidCellError, match="unknown search space 'nb301'"):
        parse_cell("nb301", BEST_C10)
    with pytest.raises(InvalidCellError, match="cannot read an NB201 cell"):
        parse_cell("nb201", 3.5)
    with pytest.raises(InvalidCellError, match="not a narank cell"):
        space_of("x")


def test_cifar10_valid_is_refused_with_the_reason():
    with pytest.raises(NarankError, match="already searches and trains on the cifar10-valid"):
        nb201.dataset_name("cifar10-valid")
    assert nb201.dataset_name("ImageNet16-120") == "imagenet16_120"
