"""NATS-SSS: parsing, official index order, exact parameter counts against the real tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import narank.spaces.natsss as natsss  # registers the space until it is in BUILTIN
from narank.errors import DataFileError, InvalidCellError, NarankError
from narank.networks.nb201 import count_params
from narank.spaces import get_space, space_of

SPACE = natsss.SPACE
MONET = natsss.MONET_FILES


@pytest.fixture(scope="module")
def monet_dir(data_root: Path) -> Path:
    folder = data_root / "natssss_monet"
    if not (folder / MONET["cifar10"]).is_file():
        pytest.fail(f"{folder}: the NATS-SSS files are missing from the data folder")
    return folder


@pytest.fixture(scope="module")
def table(monet_dir: Path):
    return SPACE.read_table(monet_dir / MONET["cifar10"])


def _macs(net: torch.nn.Module, resolution: int) -> tuple[int, torch.Size]:
    """Multiply-adds of convs and dense layers (dense bias included), counted with hooks."""
    total = [0]

    def hook(mod: torch.nn.Module, _inp: object, out: torch.Tensor) -> None:
        if isinstance(mod, torch.nn.Conv2d):
            k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels * mod.out_channels // mod.groups
            total[0] += k * out.shape[2] * out.shape[3]
        elif isinstance(mod, torch.nn.Linear):
            total[0] += (mod.in_features + (mod.bias is not None)) * mod.out_features

    handles = [m.register_forward_hook(hook) for m in net.modules()]
    with torch.no_grad():
        out = net.eval()(torch.randn(2, 3, resolution, resolution))
    for h in handles:
        h.remove()
    return total[0], out.shape


# ----------------------------------------------------------------------------- parsing


@pytest.mark.parametrize("obj", ["8:16:24:32:40", " 8:16:24:32:40 ", [8, 16, 24, 32, 40], (8, 16, 24, 32, 40),
                                 np.array([8, 16, 24, 32, 40]), {"channels": [8, 16, 24, 32, 40]},
                                 {"channels": "8:16:24:32:40"}, {"arch": "8:16:24:32:40"},
                                 {"index": 668}, 668, np.int64(668), "668"])
def test_parse_forms(obj):
    cell = SPACE.parse(obj)
    assert cell.channels == (8, 16, 24, 32, 40)
    assert cell.index == 0 * 4096 + 1 * 512 + 2 * 64 + 3 * 8 + 4 == 668
    assert SPACE.parse(cell) is cell


def test_round_trips():
    for cell in SPACE.sample(200, rng=1):
        assert SPACE.parse(cell.config_str) == cell
        assert SPACE.parse(SPACE.canonical_id(cell)) == cell
        assert SPACE.parse(SPACE.describe(cell)) == cell
        assert SPACE.resolve_id(cell.config_str) == str(cell.index)
        assert SPACE.iso_key(cell) == SPACE.canonical_id(cell)
        assert space_of(cell) is SPACE
    assert SPACE.describe(SPACE.parse("64:64:64:64:64")) == {
        "space": "natsss", "id": "32767", "index": 32767, "channels": [64] * 5, "arch": "64:64:64:64:64"}
    assert get_space("natsss") is SPACE
    assert SPACE.is_id("0") and SPACE.is_id("32767")
    assert not any(SPACE.is_id(t) for t in ("32768", "007", "8:8:8:8:8", "", "-1"))


@pytest.mark.parametrize("obj, words", [
    ("8:16:24:32", "found 4 width"),
    ("8:16:24:32:40:48", "found 6 width"),
    ("8:16:x:32:40", "position 2"),
    ("8:16:12:32:40", "width 12 at position 2"),
    ("8:16:24:32:72", "must be one of 8, 16"),
    ([8, 16, 24], "has 5 widths, got 3"),
    ([8, 16, 24, 32, 40.0], "position 4"),
    (32768, "out of range"),
    ("99999", "out of range"),
    (-1, "out of range"),
    (True, "cannot read"),
    (1.5, "cannot read"),
    ("wide", "cannot read"),
    ({"widths": [8] * 5}, "'channels', 'arch' or 'index'"),
])
def test_parse_errors(obj, words):
    with pytest.raises(InvalidCellError, match=words):
        SPACE.parse(obj)


def test_datasets_and_columns():
    assert SPACE.dataset(None) == "cifar10"
    assert SPACE.dataset("ImageNet16-120") == SPACE.dataset("in16") == "imagenet16_120"
    with pytest.raises(NarankError, match="choose from"):
        SPACE.dataset("svhn")
    cols = SPACE.columns("cifar100")
    assert cols == SPACE.columns("cifar100", target="test")
    assert cols.train == cols.evaluate == "cifar100_test_acc" and not cols.has_test
    assert (cols.params, cols.flops) == ("cifar100_params_M", "cifar100_flops_M")
    with pytest.raises(NarankError, match="target"):
        SPACE.columns("cifar10", target="train")


# ----------------------------------------------------------------------------- the space


def test_enumeration_order():
    cells = SPACE.enumerate()
    assert len(cells) == SPACE.size == 32768 and cells is SPACE.enumerate()
    assert [c.index for c in cells[:100]] == list(range(100))
    assert cells[0].config_str == "8:8:8:8:8" and cells[-1].config_str == "64:64:64:64:64"
    assert cells[1].config_str == "8:8:8:8:16" and cells[8].config_str == "8:8:8:16:8"  # last fastest
    assert cells[4096].config_str == "16:8:8:8:8"
    idx = np.random.default_rng(0).integers(0, 32768, 500)
    assert all(cells[i].index == i for i in idx)
    assert len({c.channels for c in cells}) == 32768


def test_sample_mutate_neighbours():
    a, b = SPACE.sample(50, rng=7), SPACE.sample(50, rng=7)
    assert a == b and a != SPACE.sample(50, rng=8)
    gen = np.random.default_rng(3)
    for cell in SPACE.sample(300, rng=gen):
        new = SPACE.mutate(cell, gen)
        diff = [p for p in range(5) if new.channels[p] != cell.channels[p]]
        assert len(diff) == 1 and SPACE.canonical_id(new) != SPACE.canonical_id(cell)
    cell = SPACE.parse("8:64:32:32:16")
    nbrs = SPACE.neighbours(cell)
    assert len(nbrs) == len(set(nbrs)) == 35
    assert all(sum(x != y for x, y in zip(n.channels, cell.channels)) == 1 for n in nbrs)


def test_encode_and_features():
    cells = [SPACE.parse(i) for i in (0, 668, 32767)]
    enc = SPACE.encode(cells)
    assert enc.shape == (3, 40) and (enc.sum(axis=1) == 5).all()
    assert enc[1].reshape(5, 8).argmax(axis=1).tolist() == [0, 1, 2, 3, 4]
    feats = SPACE.cell_features(cells, "cifar100")
    assert set(feats) == {"flops_M", "params_M", *(f"width:{p}" for p in range(5))}
    assert feats["width:4"].tolist() == [8, 40, 64]
    assert feats["params_M"][1] == SPACE.params_M(cells[1], "cifar100")


def test_graph_view():
    from narank.graphs import NODE_TYPES
    from narank.spaces.nb201 import graph_structure

    cell = SPACE.parse("16:32:48:64:8")
    labels, edges = SPACE.structure(cell)
    assert (labels, edges) == graph_structure(natsss.OPS)  # NB201's own view of the fixed cell
    assert set(labels) <= set(SPACE.node_labels) <= set(NODE_TYPES)
    values = SPACE.node_values(cell)
    assert values.shape == (8, 11) and SPACE.node_value_width == 11
    assert np.allclose(values[:, :5], np.array(cell.channels) / 64)
    assert values[0, 5:].tolist() == [0.25, 0.25, 0.5, 0.5, 1.0, 1.0]  # input node: 16, 32, 64
    assert values[4, 5:].tolist() == [0.25, 0.25, 0.5, 0.75, 1.0, 0.125]  # skip 0->3
    for ds in natsss.DATASETS:
        flops, params = SPACE.node_costs(cell, ds)
        assert flops.shape == params.shape == (8,) and flops[0] == flops[-1] == params[0] == 0
        assert params[4] > 0  # width-changing skips are projections
        base_p, base_f = natsss.base_costs(natsss.channels_matrix([cell]), natsss.NUM_CLASSES[ds],
                                           natsss.RESOLUTION[ds])
        assert np.isclose(params.sum() + base_p[0] / 1e6, SPACE.params_M(cell, ds))
        assert np.isclose(flops.sum() + base_f[0] / 1e6, SPACE.flops_M(cell, ds))
    assert SPACE.node_costs(SPACE.parse("16:16:16:16:16"))[1][4] == 0  # identity skips


def test_sed_matches_nb201_at_equal_widths():
    from narank.proxies.sed import residual_reduction, sed_nb201_nodes
    from narank.spaces.nb201 import OPS

    ids = np.array([[OPS.index(op) for op in natsss.OPS]])
    for c in (8, 16, 64):
        got = SPACE.sed_nodes([SPACE.parse([c] * 5)])[0]
        cell = sed_nb201_nodes(ids, c)[0]
        assert np.allclose(got[:-1], cell[:-1])
        # the frozen SED's output adds the two reduction blocks, per cell of the network (docs/sed.md)
        assert np.isclose(got[-1], cell[-1] + 2 * residual_reduction(c, c) / 3)
    scores = [SPACE.sed_nodes([SPACE.parse([c] * 5)])[0][-1] for c in (8, 32, 64)]
    assert scores == sorted(scores)


# ----------------------------------------------------------------------------- costs vs truth


@pytest.mark.parametrize("dataset", natsss.DATASETS)
def test_closed_form_params_equal_table_all_rows(monet_dir: Path, dataset: str):
    df = pd.read_csv(monet_dir / MONET[dataset])
    assert len(df) == 32768 and (df["index"].to_numpy() == np.arange(32768)).all()
    ours = natsss.num_params(natsss.all_channels(), natsss.NUM_CLASSES[dataset])
    assert int((ours == df["num_param"].to_numpy()).sum()) == 32768


def test_best_rows_are_the_documented_ones(table):
    best = {"cifar10": (32698, 93.65), "cifar100": (32623, 71.34), "imagenet16_120": (32702, 47.40)}
    for ds, (index, acc) in best.items():
        values = table.targets(f"{ds}_test_acc")
        assert int(values.argmax()) == index and round(values.max(), 2) == acc
    assert SPACE.parse(32698).config_str == "64:64:56:64:24"
    assert table.query(0)["cifar10_test_acc"] == 79.79


@pytest.mark.parametrize("dataset", natsss.DATASETS)
def test_torch_network_matches_closed_forms(dataset: str):
    rng = np.random.default_rng({"cifar10": 10, "cifar100": 100, "imagenet16_120": 120}[dataset])
    cells = [SPACE.parse(0), SPACE.parse(32767), *SPACE.sample(18, rng)]
    classes = natsss.NUM_CLASSES[dataset]
    for cell in cells:
        net = SPACE.network(cell, dataset)
        assert count_params(net) == round(SPACE.params_M(cell, dataset) * 1e6)
        macs, shape = _macs(net, natsss.RESOLUTION[dataset])
        assert shape == (2, classes)
        assert macs == round(SPACE.flops_M(cell, dataset) * 1e6)


def test_shrunk_networks():
    cell = SPACE.parse("8:16:32:48:64")
    assert SPACE.net_config(cell, channels=8)["channels"] == "1:2:4:6:8"
    assert SPACE.net_config(cell, channels=1)["channels"] == "1:1:1:1:1"
    cfg = SPACE.net_config(cell, "imagenet16_120", channels=16, cells=2)
    assert cfg["N"] == 2 and cfg["num_classes"] == 120 and cfg["genotype"] == natsss.ARCH
    net = SPACE.network(cell, "cifar100", channels=8, cells=2, num_classes=7)
    assert net(torch.randn(2, 3, 16, 16)).shape == (2, 7)
    with pytest.raises(NarankError, match="channels"):
        SPACE.network(cell, channels=0)


# ----------------------------------------------------------------------------- tables


def test_table(table):
    assert len(table) == 32768 and table.space is SPACE
    assert table.ids[:3] == ["0", "1", "2"] and table.metrics.index.name == "id"
    cells = table.cells()
    assert cells[668].config_str == "8:16:24:32:40"
    for ds in natsss.DATASETS:
        assert not np.isnan(table.targets(f"{ds}_test_acc")).any()
    ids = ["5", "8:8:8:8:16", 32767]
    assert table.targets("cifar10_params_M", ids).tolist() == [
        SPACE.params_M(SPACE.parse(i)) for i in ids]


def test_canonical_csv_round_trip(table, tmp_path: Path):
    out = tmp_path / "natsss.csv"
    table.metrics.to_csv(out, index=False)
    again = SPACE.read_table(out)
    pd.testing.assert_frame_equal(again.metrics, table.metrics, check_exact=False, rtol=1e-9)


def _write(frame: pd.DataFrame, folder: Path, name: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    frame.to_csv(path, index=False)
    return path


def test_bad_monet_files(monet_dir: Path, tmp_path: Path):
    good = pd.read_csv(monet_dir / MONET["cifar10"])
    bad = good.copy()
    bad.loc[100, "num_param"] += 16
    with pytest.raises(DataFileError, match=r"Cifar10-NATS.csv: line 102, column 'num_param'.*index 100"):
        SPACE.read_table(_write(bad, tmp_path / "a", MONET["cifar10"]))
    bad = good.astype({"accuracy": object})
    bad.loc[7, "accuracy"] = "abc"
    with pytest.raises(DataFileError, match=r"line 9, column 'accuracy': 'abc' is not a number"):
        SPACE.read_table(_write(bad, tmp_path / "b", MONET["cifar10"]))
    with pytest.raises(DataFileError, match="32,767 data rows"):
        SPACE.read_table(_write(good.iloc[:-1], tmp_path / "c", MONET["cifar10"]))
    with pytest.raises(DataFileError, match="missing column.*num_param"):
        SPACE.read_table(_write(good.drop(columns="num_param"), tmp_path / "d", MONET["cifar10"]))
    swapped = good.copy()
    swapped.loc[[3, 4], "index"] = [4, 3]
    with pytest.raises(DataFileError, match="line 5, column 'index': expected 3"):
        SPACE.read_table(_write(swapped, tmp_path / "e", MONET["cifar10"]))
    # an NB201 file of the same format is refused by its parameter counts
    wrong = pd.read_csv(monet_dir / MONET["cifar100"])
    with pytest.raises(DataFileError, match="num_param"):
        SPACE.read_table(_write(wrong, tmp_path / "f", MONET["cifar10"]))
    # a lone file reads without its siblings
    alone = SPACE.read_table(_write(good, tmp_path / "g", MONET["cifar10"]))
    assert "cifar100_test_acc" not in alone.metrics.columns
    with pytest.raises(DataFileError, match="file not found"):
        SPACE.read_table(tmp_path / "missing" / "natsss.csv")


def test_bad_canonical_file(table, tmp_path: Path):
    frame = table.metrics.reset_index(drop=True)
    bad = frame.copy()
    bad.loc[10, "arch"] = "8:8:8:8:8"
    with pytest.raises(DataFileError, match=r"line 12, column 'arch'.*index 10 \(8:8:8:16:24\)"):
        SPACE.read_table(_write(bad, tmp_path / "a", "natsss.csv"))
    bad = frame.copy()
    bad.loc[3, "imagenet16_120_params_M"] = 1.0
    with pytest.raises(DataFileError, match="line 5, column 'imagenet16_120_params_M'"):
        SPACE.read_table(_write(bad, tmp_path / "b", "natsss.csv"))
    bad = frame.copy()
    bad.loc[0, "cifar100_test_acc"] = 180.0
    with pytest.raises(DataFileError, match="line 2, column 'cifar100_test_acc'.*percent"):
        SPACE.read_table(_write(bad, tmp_path / "c", "natsss.csv"))
    with pytest.raises(DataFileError, match="no accuracy column"):
        SPACE.read_table(_write(frame[["index", "arch"]], tmp_path / "d", "natsss.csv"))


def test_table_announcement_names_every_file_read(data_root, capsys, monkeypatch):
    """MONET keeps one file per dataset and narank reads them together: the stderr line names them
    all, not only Cifar10-NATS.csv, whatever dataset is asked for."""
    from narank.benchmarks import loader

    monkeypatch.delenv("NARANK_QUIET_TABLES", raising=False)
    monkeypatch.setattr(loader, "_ANNOUNCED", set())
    monkeypatch.setattr(loader, "_CACHE", {})
    loader.load_table("natsss", data_root)
    err = capsys.readouterr().err
    assert "Cifar10-NATS.csv" in err and "Cifar100-NATS.csv" in err and "ImageNet-NATS.csv" in err, err
