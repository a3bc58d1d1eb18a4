"""Spaces without code: a spec file gives a full space. NB201 written as a spec is NB201 (same
cells, isomorphism classes, graphs and SED); a new spec space with a user CSV trains a ranker,
computes proxies and searches end to end; bad specs are one clear error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import kendalltau

from narank.specs import SpecError, from_spec

ROOT = Path(__file__).parents[1]
SPECS = ROOT / "examples" / "specs"


def test_nb201_as_a_spec_is_nb201():
    from narank.spaces import get_space

    spec, nb = from_spec(SPECS / "nb201.yaml"), get_space("nb201")
    cells = list(nb.enumerate())
    twins = [spec.parse(nb.label(c)) for c in cells]
    assert len(spec.enumerate()) == 15625 and len({spec.iso_key(c) for c in spec.enumerate()}) == 6466
    classes: dict = {}
    for cell, twin in zip(cells, twins):  # the same partition into functions
        assert classes.setdefault(spec.iso_key(twin), nb.iso_key(cell)) == nb.iso_key(cell)
        assert spec.label(twin) == nb.label(cell)
    for cell, twin in zip(cells[::5], twins[::5]):
        assert spec.structure(twin) == nb.structure(cell)
    a = np.array([n for nodes in spec.sed_nodes(twins) for n in nodes])
    b = np.array([n for nodes in nb.sed_nodes(cells) for n in nodes])
    assert np.allclose(a, b, atol=1e-12)


def test_spec_network_matches_nb201_networks():
    """Same layers and parameter count as NB201's own network for a few cells."""
    from narank.spaces import get_space

    spec, nb = from_spec(SPECS / "nb201.yaml"), get_space("nb201")
    for cell in nb.sample(4, 0):
        a = spec.network(spec.parse(nb.label(cell)), channels=8, cells=1, num_classes=10)
        b = nb.network(cell, channels=8, cells=1, num_classes=10)
        assert sum(p.numel() for p in a.parameters()) == sum(p.numel() for p in b.parameters())


def test_new_spec_space_end_to_end(tmp_path):
    """examples/specs/wide.yaml (4 intermediate nodes, 3 ops) with its CSV of digits accuracies:
    the ranker learns it, proxies run on it, narank search searches it, all from the spec alone."""
    from narank.benchmarks import load_table
    from narank.predictor import Ranker
    from narank.proxies.cache import compute_scores

    space = from_spec(SPECS / "wide.yaml")
    table = load_table(space)
    cells, y = table.cells(), table.targets("accuracy", table.ids)
    assert len(cells) >= 100 and space.size == 3 ** 15
    ranker = Ranker(space.name, "digits", dim=32, layers=2, epochs=60, random_state=0).fit(cells[:70], y[:70])
    # the graphs the spec gives carry what the labels need: the ranker fits them (held-out tau on
    # these tiny 2-epoch labels is near 0: they are mostly training noise; see docs/ARCHITECTURE.md)
    assert kendalltau(ranker.predict(cells[:70]), y[:70])[0] > 0.5
    assert np.isfinite(ranker.predict(cells[70:])).all()
    for proxy in ("sed", "synflow"):
        scores = compute_scores(proxy, cells[:6], "digits", use_cache=False, progress=False)
        assert np.isfinite(scores).all()
    env = {**os.environ, "NARANK_QUIET_TABLES": "1", "NARANK_CACHE": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "narank", "search", "--space", str(SPECS / "wide.yaml"),
                           "--budget", "25", "--seeds", "1", "--methods", "narank,random", "--json"],
                          capture_output=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-1500:]
    out = json.loads(done.stdout.decode())
    assert out["space"] == "wide" and set(out["methods"]) == {"narank", "random"}


def test_a_plug_in_op_gets_its_own_graph_column(tmp_path):
    """An op registered from outside (not among narank.graphs.NODE_TYPES) is a graph label of its
    own: the built-in columns keep their place, the new op takes the next one, and a ranker
    trains on cells that use it."""
    import torch

    from narank.graphs import NODE_TYPES, label_vocabulary, node_dim, to_graph
    from narank.predictor import Ranker
    from narank.specs import edge_op
    from narank.specs.ops import OPS, RELU_GAIN

    edge_op("dil_conv_3x3_test", "op", lambda c: torch.nn.Conv2d(c, c, 3, padding=2, dilation=2),
            lambda c: RELU_GAIN)
    try:
        spec = "name: dil\nnodes: 4\nops: [none, skip_connect, dil_conv_3x3_test]\n"
        (tmp_path / "dil.yaml").write_text(spec)
        space = from_spec(tmp_path / "dil.yaml")
        vocab = label_vocabulary(space)
        assert vocab[:len(NODE_TYPES)] == NODE_TYPES and vocab[len(NODE_TYPES):] == ("dil_conv_3x3_test",)
        cells = space.sample(40, 0)
        cell = next(c for c in cells if "dil_conv_3x3_test" in space.structure(c)[0])
        graph = to_graph(cell)
        labels = space.structure(cell)[0]
        assert graph.x.shape[1] == node_dim((), space) == node_dim((), "nb201") + 1
        assert graph.x[labels.index("dil_conv_3x3_test"), len(NODE_TYPES)] == 1
        y = [space.structure(c)[0].count("dil_conv_3x3_test") for c in cells]
        ranker = Ranker(space.name, space.datasets[0], dim=16, layers=1, epochs=30, random_state=0,
                        graph_features=(), tabular=None).fit(cells, y)
        assert kendalltau(ranker.predict(cells), y)[0] > 0.5
    finally:
        OPS._entries.pop("dil_conv_3x3_test", None)


@pytest.mark.parametrize(("text", "words"), [
    ("name: x\nnodes: 4\nops: [none, skip_connect, conv_9x9]\n", "unknown op 'conv_9x9'"),
    ("name: x\nnodes: 4\nops: [none]\n", "at least two op names"),
    ("name: x\nnodes: 4\nops: [none, none]\n", "twice"),
    ("name: x\nnodes: 1\nops: [none, skip_connect]\n", "'nodes' must be an integer from 2"),
    ("name: x\nnodes: 4\nops: [none, skip_connect]\nextra: 1\n", "unknown key"),
    ("name: x\nfamily: graph\nnodes: 4\nops: [none, skip_connect]\n", "family 'graph' is not supported"),
    ("name: x\nfamily: node\nnodes: 4\nops: [none, skip_connect]\n", r"unknown key\(s\) \['nodes'\]"),
    ("name: x\nnodes: 4\nops: [none, skip_connect]\ntable: {file: missing.csv}\n", "does not exist"),
    ("- just a list\n", "a spec is a mapping"),
    ("name: x\nnodes: [\n", "not valid YAML"),
    ("!!python/object/apply:os.system ['touch pwned']\n", "not valid YAML"),
])
def test_bad_specs_are_one_clear_error(tmp_path, text, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SpecError, match=words):
        from_spec(path)
    assert not (tmp_path / "pwned").exists()
