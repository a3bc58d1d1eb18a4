"""Node-labelled spaces without code (NB101-like DAGs from a spec). NB101 written as a spec is
NB101 (same hashes for the same matrices, same isomorphism classes, sampling, costs, SED and
network size); a small node spec passes the space contract and, with a user CSV, trains a ranker,
computes proxies and searches end to end; bad specs are one clear error."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import test_space_contract as contract
from scipy.stats import kendalltau

from narank.errors import InvalidCellError
from narank.spaces import get_space
from narank.specs import NodeSpecSpace, SpecError, from_spec

ROOT = Path(__file__).parents[1]
SPECS = ROOT / "examples" / "specs"
OPS = ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"]


def _permuted(matrix, ops, rng):
    """The same cell with its interior vertices renumbered (another topological order)."""
    m = np.asarray(matrix)
    n = len(ops)
    while True:
        inner = rng.permutation(np.arange(1, n - 1))
        order = np.r_[0, inner, n - 1]
        p = m[np.ix_(order, order)]
        if not np.tril(p).any():  # still upper-triangular: a topological order
            return p, [ops[i] for i in order]


def test_nb101_as_a_spec_gives_nb101_ids_and_classes():
    spec, nb = from_spec(SPECS / "nb101.yaml"), get_space("nb101")
    assert isinstance(spec, NodeSpecSpace) and spec.size is None
    cells = nb.sample(300, 0)
    # the same draws from the same seed, and the same hash for the same matrices
    assert [c.hash for c in spec.sample(300, 0)] == [c.hash for c in cells]
    for cell in cells:
        twin = spec.parse({"adjacency": [list(r) for r in cell.matrix], "ops": list(cell.ops)})
        assert spec.canonical_id(twin) == nb.canonical_id(cell) and twin.matrix == cell.matrix
    # raw (unpruned) matrices: the same pruning, limits and hash, or the same refusal
    rng = np.random.default_rng(1)
    agreed = 0
    for _ in range(300):
        matrix = np.triu(rng.integers(0, 2, (7, 7)), 1)
        ops = ["input", *rng.choice(OPS, 5).tolist(), "output"]
        try:
            want = nb.parse((matrix, ops)).hash
        except InvalidCellError:
            with pytest.raises(InvalidCellError):
                spec.parse((matrix, ops))
            continue
        assert spec.parse((matrix, ops)).hash == want
        agreed += 1
    assert agreed > 50
    # isomorphism classes: renumbered vertices keep the class in both spaces
    for cell in cells[:100]:
        m, ops = _permuted(cell.matrix, cell.ops, rng)
        assert spec.parse((m, ops)).hash == nb.parse((m, ops)).hash == cell.hash
    assert len({c.hash for c in cells}) == len({spec.iso_key(spec.parse(nb.describe(c))) for c in cells})
    # mutation: NB101's rule, the same edit for the same seed (cells with an op vertex)
    for i, cell in enumerate([c for c in cells if len(c.ops) > 2][:40]):
        assert spec.mutate(spec.parse(nb.describe(cell)), i).hash == nb.mutate(cell, i).hash


def test_nb101_as_a_spec_has_nb101_costs_sed_and_network():
    spec, nb = from_spec(SPECS / "nb101.yaml"), get_space("nb101")
    cells = nb.sample(40, 2)
    twins = [spec.parse(nb.describe(c)) for c in cells]
    assert np.allclose([spec.params_M(t) for t in twins], [nb.params_M(c) for c in cells])
    assert np.allclose([spec.flops_M(t) for t in twins], [nb.flops_M(c) for c in cells])
    for a, b in zip(spec.sed_nodes(twins), nb.sed_nodes(cells)):
        assert np.allclose(a, b, atol=1e-12)
    for cell, twin in zip(cells[:3], twins[:3]):
        a = spec.network(twin, channels=8, cells=1)
        b = nb.network(cell, channels=8, cells=1)
        assert sum(p.numel() for p in a.parameters()) == sum(p.numel() for p in b.parameters())
        assert spec.structure(twin) == nb.structure(cell)


@pytest.mark.parametrize("check", [
    contract.test_registry_finds_every_space_by_name_and_by_cell,
    contract.test_parse_round_trips_descriptions_and_refuses_garbage,
    contract.test_ids_and_iso_keys,
    contract.test_sampling_is_seeded_and_mutation_makes_one_edit,
    contract.test_costs_features_and_encoding_agree,
    contract.test_graph_view,
    contract.test_network_builds_small_and_config_is_json,
], ids=lambda f: f.__name__.removeprefix("test_"))
def test_small_node_spec_passes_the_space_contract(check, monkeypatch):
    space = from_spec(SPECS / "small_dags.yaml")
    monkeypatch.setattr(contract, "SPACES", [*contract.SPACES, space.name])  # listed at its import
    check(space, space.sample(12, np.random.default_rng(7)))


def test_small_node_spec_enumerates_and_parses_every_form():
    import networkx as nx

    import narank.spaces

    space = from_spec(SPECS / "small_dags.yaml")
    assert narank.spaces.from_spec(SPECS / "small_dags.yaml") is space is get_space("small-dags")
    contract.test_enumeration_lists_each_cell_once(space)
    cells = space.enumerate()
    assert all(space.owns(c) for c in cells[:50]) and len({c.hash for c in cells}) == len(cells)
    assert {c.hash for c in space.sample(200, 0)} <= {c.hash for c in cells}
    cell = cells[123]
    assert space.parse(123) is cell and space.parse(cell.hash) is cell
    assert space.parse(space.label(cell)) == cell and space.parse(json.loads(space.label(cell))) == cell
    graph = space.to_networkx(cell)
    assert isinstance(graph, nx.DiGraph) and space.parse(graph) == cell
    # the smallest space counted by hand: input -> output, and input -> v -> output with or
    # without the direct edge, for each op
    tiny = NodeSpecSpace("tiny-dags", 3, 3, OPS)
    assert tiny.size == 1 + 2 * len(OPS)
    for c in tiny.enumerate():
        assert tiny.mutate(c, 0).hash != c.hash and tiny.neighbours(c)


def test_node_cells_are_refused_with_the_rule():
    space = from_spec(SPECS / "small_dags.yaml")
    for obj, words in [
        (([[0, 1], [0, 0]], ["input", "conv_9x9"]), "start with 'input' and end with 'output'"),
        (([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "conv_9x9", "output"]), "unknown op"),
        (([[0, 0], [0, 0]], ["input", "output"]), "disconnected"),
        (([[0, 1], [1, 0]], ["input", "output"]), "not a DAG"),
        ((np.triu(np.ones((6, 6), int), 1), ["input", *OPS, OPS[0], "output"]), "too many vertices"),
        ((np.triu(np.ones((5, 5), int), 1), ["input", *OPS, "output"]), "too many edges"),
        ("0123456789abcdef0123456789abcdef", "hash alone"),
        ("conv", "write it as JSON"),
    ]:
        with pytest.raises(InvalidCellError, match=words):
            space.parse(obj)


def _label(space, cell) -> float:
    """A made-up accuracy, a deterministic function of the cell: convs and depth help, pools cost."""
    ops = cell.ops
    depth = space.structure(cell)
    return round(80 + 2.0 * ops.count("conv3x3-bn-relu") + 1.0 * ops.count("conv1x1-bn-relu")
                 - 1.5 * ops.count("maxpool3x3") + 0.5 * len(depth[1]) + 0.3 * cell.matrix[0][-1], 3)


def test_small_node_spec_with_a_user_csv_end_to_end(tmp_path):
    """A node spec and a user's CSV of made-up labels: the ranker learns it, proxies run on it,
    narank search searches it, all from the spec alone."""
    from narank.benchmarks import load_table
    from narank.predictor import Ranker
    from narank.proxies.cache import compute_scores

    space = NodeSpecSpace("labels-maker", 5, 7, OPS)
    every = space.enumerate()
    with open(tmp_path / "dags.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["arch", "acc"])
        for i in np.random.default_rng(0).choice(len(every), 150, replace=False):
            cell = every[i]
            writer.writerow([space.label(cell), _label(space, cell)])
    spec_file = tmp_path / "dags.yaml"
    spec_file.write_text("name: user-dags\nfamily: node\nmax_vertices: 5\nmax_edges: 7\n"
                         f"ops: [{', '.join(OPS)}]\ndatasets: [digits]\n"
                         "table: {file: dags.csv, arch_column: arch, label_column: acc}\n")
    space = from_spec(spec_file)
    table = load_table(space)
    cells, y = table.cells(), table.targets("acc", table.ids)
    assert len(cells) == 150 and get_space(str(spec_file)) is space
    ranker = Ranker(space.name, "digits", dim=32, layers=2, epochs=40, random_state=0)
    ranker.fit(cells[:100], y[:100])
    assert kendalltau(ranker.predict(cells[100:]), y[100:])[0] > 0.6
    for proxy in ("sed", "synflow"):
        scores = compute_scores(proxy, cells[:6], "digits", use_cache=False, progress=False)
        assert np.isfinite(scores).all()
    env = {**os.environ, "NARANK_QUIET_TABLES": "1", "NARANK_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "narank", "search", "--space", str(spec_file),
                           "--budget", "20", "--seeds", "1", "--methods", "narank,random", "--json"],
                          capture_output=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-1500:]
    out = json.loads(done.stdout.decode())
    assert out["space"] == "user-dags" and set(out["methods"]) == {"narank", "random"}


NODE = "name: x\nfamily: node\n"


@pytest.mark.parametrize(("text", "words"), [
    (NODE + "max_vertices: 5\nmax_edges: 7\nops: [conv3x3-bn-relu, conv_9x9]\n", "unknown op 'conv_9x9'"),
    (NODE + "max_vertices: 5\nmax_edges: 11\nops: [maxpool3x3]\n",
     "'max_edges' 11 is more than 5 vertices allow .* lower max_edges to 10"),
    (NODE + "max_vertices: 1\nmax_edges: 1\nops: [maxpool3x3]\n", "'max_vertices' must be an integer from 3"),
    (NODE + "max_vertices: 2\nmax_edges: 1\nops: [maxpool3x3]\n", "'max_vertices' must be an integer from 3"),
    (NODE + "max_vertices: 13\nmax_edges: 9\nops: [maxpool3x3]\n", "'max_vertices' must be an integer"),
    (NODE + "max_vertices: 5\nmax_edges: 1\nops: [maxpool3x3]\n", "'max_edges' must be an integer of at"),
    (NODE + "max_vertices: 5\nops: [maxpool3x3]\n", "'max_edges' must be an integer"),
    (NODE + "max_vertices: 5\nmax_edges: 7\nops: [none, maxpool3x3]\n", "'none' means no connection"),
    (NODE + "max_vertices: 5\nmax_edges: 7\nops: []\n", "at least one op name"),
    (NODE + "max_vertices: 5\nmax_edges: 7\nops: [maxpool3x3, maxpool3x3]\n", "twice"),
    (NODE + "nodes: 4\nmax_vertices: 5\nmax_edges: 7\nops: [maxpool3x3]\n",
     r"unknown key\(s\) \['nodes'\] for family 'node'"),
    ("name: x\nfamily: graph\nnodes: 4\nops: [none, skip_connect]\n", "family 'graph' is not supported"),
])
def test_bad_node_specs_are_one_clear_error(tmp_path, text, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SpecError, match=words) as info:
        from_spec(path)
    message = str(info.value)
    assert message.startswith(str(path.resolve())) and "\n" not in message


def test_a_bad_node_spec_exits_2_on_one_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(NODE + "max_vertices: 4\nmax_edges: 9\nops: [maxpool3x3]\n")
    done = subprocess.run([sys.executable, "-m", "narank", "search", "--space", str(path), "--budget", "5"],
                          capture_output=True, cwd=tmp_path, timeout=300)
    err = done.stderr.decode().strip()
    assert done.returncode == 2 and len(err.splitlines()) == 1, err
    assert str(path) in err and "lower max_edges to 6" in err
