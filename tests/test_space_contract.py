"""The SearchSpace contract, checked on every registered space (as scikit-learn runs its common
estimator checks on every estimator): a new space passes these or it is not done."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from narank.errors import InvalidCellError, NarankError
from narank.graphs import NODE_TYPES, node_dim, to_graph
from narank.spaces import get_space, space_names, space_of

SPACES = space_names()


@pytest.fixture(params=SPACES)
def space(request):
    return get_space(request.param)


@pytest.fixture
def cells(space):
    return space.sample(12, np.random.default_rng(7))


def test_registry_finds_every_space_by_name_and_by_cell(space, cells):
    assert get_space(space.name) is space and space.name in SPACES
    assert all(space_of(c) is space and space.owns(c) for c in cells)
    assert pickle.loads(pickle.dumps(space)) is space
    others = [get_space(n) for n in SPACES if n != space.name]
    assert not any(o.owns(cells[0]) for o in others)


def test_parse_round_trips_descriptions_and_refuses_garbage(space, cells):
    for cell in cells:
        info = space.describe(cell)
        assert info["space"] == space.name and info["id"] == space.canonical_id(cell)
        json.dumps(info)
        fields = {k: v for k, v in info.items() if k not in ("space", "id")}
        assert space.canonical_id(space.parse(fields)) == space.canonical_id(cell)
        assert space.parse(cell) is cell
        assert isinstance(space.label(cell), str) and space.label(cell)
    for bad in (3.5, None, {"nothing": 1}, object()):
        with pytest.raises(InvalidCellError):
            space.parse(bad)


def test_ids_and_iso_keys(space, cells):
    for cell in cells:
        cid = space.canonical_id(cell)
        assert isinstance(cid, str) and space.is_id(cid)
        assert space.resolve_id(cell) == cid == space.resolve_id(cid)
        fields = {k: v for k, v in space.describe(cell).items() if k not in ("space", "id")}
        assert space.iso_key(space.parse(fields)) == space.iso_key(cell)
        hash(space.iso_key(cell))
    assert not space.is_id("certainly not an id")


def test_sampling_is_seeded_and_mutation_makes_one_edit(space, cells):
    again = space.sample(12, np.random.default_rng(7))
    assert [space.canonical_id(c) for c in again] == [space.canonical_id(c) for c in cells]
    other = space.sample(12, np.random.default_rng(8))
    assert [space.canonical_id(c) for c in other] != [space.canonical_id(c) for c in cells]
    rng = np.random.default_rng(0)
    for cell in cells[:5]:
        child = space.mutate(cell, rng)
        assert space.owns(child) and space.canonical_id(child) != space.canonical_id(cell)
        near = space.neighbours(cell, rng)
        assert near and all(space.owns(c) for c in near)
        assert all(space.canonical_id(c) != space.canonical_id(cell) for c in near)


def test_enumeration_lists_each_cell_once(space):
    listed = space.enumerate()
    if listed is None:
        pytest.skip(f"{space.name} is not enumerated in memory")
    assert len(listed) == space.size
    picks = np.random.default_rng(0).choice(len(listed), 300, replace=False)
    ids = [space.canonical_id(listed[i]) for i in picks]
    assert len(set(ids)) == len(ids)
    labels = space.list_cells()
    assert len(labels) == space.size and labels[picks[0]] == space.label(listed[picks[0]])


def test_costs_features_and_encoding_agree(space, cells):
    for dataset in space.datasets:
        feats = space.cell_features(cells, dataset)
        params = np.array([space.params_M(c, dataset) for c in cells])
        flops = np.array([space.flops_M(c, dataset) for c in cells])
        assert np.allclose(feats["params_M"], params) and np.allclose(feats["flops_M"], flops)
        assert (params > 0).all() and (flops > 0).all()
        assert all(len(v) == len(cells) for v in feats.values())
    enc = space.encode(cells)
    assert enc.shape[0] == len(cells) and np.isfinite(enc).all()
    assert np.array_equal(space.encode(cells[:1])[0], enc[0])
    with pytest.raises(NarankError):
        space.dataset("mnist")
    assert space.dataset(None) == space.datasets[0]


def test_graph_view(space, cells):
    assert set(space.node_labels) <= set(NODE_TYPES)
    for cell in cells:
        labels, edges = space.structure(cell)
        assert labels[0] == "input" and labels[-1] == "output"
        assert set(labels) <= set(space.node_labels)
        assert all(0 <= s < d < len(labels) for s, d in edges)
        flops, params = space.node_costs(cell)
        assert flops.shape == params.shape == (len(labels),)
        assert (flops >= 0).all() and (params >= 0).all()
        assert params.sum() <= space.params_M(cell) + 1e-9
        sed = space.sed_nodes([cell])[0]
        assert len(sed) == len(labels) and np.isfinite(sed).all()
        if space.node_value_width:
            assert space.node_values(cell).shape == (len(labels), space.node_value_width)
        graph = to_graph(cell, ("flops", "params"))
        assert graph.x.shape == (len(labels), node_dim(("flops", "params"), space))


def test_network_builds_small_and_config_is_json(space, cells):
    import torch

    cell = cells[0]
    json.dumps(space.net_config(cell))
    net = space.network(cell, channels=4, cells=1, num_classes=7)
    with torch.no_grad():
        assert net(torch.randn(2, 3, 16, 16)).shape == (2, 7)


def test_core_contract_is_small_and_the_rest_is_asked_for():
    """At most 12 abstract members (growth is a decision); a space without a capability says so
    in one line naming the space and what it lacks."""
    from narank.spaces import MissingCapability, SearchSpace

    assert len(SearchSpace.__abstractmethods__) <= 12, sorted(SearchSpace.__abstractmethods__)

    class Bare(SearchSpace):
        name = "bare"
        owns = parse = canonical_id = iso_key = describe = sample = mutate = neighbours = structure = None

    bare = Bare()
    for call, what in [(lambda: bare.network(None), "networks"), (lambda: bare.params_M(None), "costs"),
                       (lambda: bare.sed_nodes([]), "SED node view"), (lambda: bare.read_table("x"), "table"),
                       (lambda: bare.encode([]), "encoding")]:
        with pytest.raises(MissingCapability, match=f"search space 'bare' has no .*{what}"):
            call()
    assert not bare.has("network") and get_space("nb201").has("network", "sed_nodes", "read_table")


def test_a_capability_registered_apart_from_the_space_serves_it():
    """A space's networks registered under its name (as narank.networks does for the built-in
    spaces) answer `network`/`net_config` and count for `has`, without the space defining them."""
    from narank.spaces import NETWORKS, NetworkBuilder, SearchSpace

    class Elsewhere(SearchSpace):
        name = "registered-elsewhere"
        owns = parse = canonical_id = iso_key = describe = sample = mutate = neighbours = structure = None

    space = Elsewhere()
    assert not space.has("network")
    NETWORKS.register(space.name, NetworkBuilder(lambda sp, cell, ds=None, **size: {"cell": cell, **size},
                                                 lambda sp, cell, ds=None, **size: (sp, cell, ds)))
    assert space.has("network", "net_config") and not space.has("sed_nodes")
    assert space.net_config("c", channels=4) == {"cell": "c", "channels": 4}
    assert space.network("c", "d") == (space, "c", "d")


def test_table_speaks_canonical_ids(space, request):
    source = getattr(space, "example_table", None) or request.getfixturevalue("data_root")
    table = space.table(source)
    assert table.space is space
    cols = space.columns()
    for col in (cols.train, cols.evaluate, cols.params):
        assert col in table.metrics.columns
    for cell, cid in list(zip(table.cells(), table.ids, strict=True))[:50]:
        assert space.canonical_id(cell) == cid
        assert table.query(cell)["id"] == cid


def test_a_ranker_learns_on_every_space(space, tmp_path):
    """Graphs of the space go through the model: a tiny ranker fits a cost target, saves and loads."""
    from narank.predictor import Ranker

    rng = np.random.default_rng(0)
    cells = space.sample(80, rng)
    y = np.array([space.params_M(c) for c in cells])
    ranker = Ranker(space.name, space.datasets[0], dim=16, layers=1, epochs=15, batch_size=16,
                    random_state=0).fit(cells, y)
    test = space.sample(60, np.random.default_rng(1))
    assert ranker.score(test, [space.params_M(c) for c in test]) > 0.3
    ranker.save(tmp_path / "r.pt")
    assert np.array_equal(Ranker.load(tmp_path / "r.pt").predict(test), ranker.predict(test))
