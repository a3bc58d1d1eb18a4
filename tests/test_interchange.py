"""networkx as the interchange: every space exports its cells as DiGraphs, and the spaces that
store ops on edges (NB201, spec spaces) or on nodes (NB101) parse them back, with clear errors."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from narank.errors import InvalidCellError
from narank.spaces import get_space, space_names
from narank.specs import from_spec

SPEC = Path(__file__).parents[1] / "examples" / "specs" / "wide.yaml"


@pytest.mark.parametrize("name", ["nb201", "nb101", "spec"])
def test_round_trip(name):
    space = from_spec(SPEC) if name == "spec" else get_space(name)
    for cell in space.sample(20, 3):
        graph = space.to_networkx(cell)
        assert isinstance(graph, nx.DiGraph) and nx.is_directed_acyclic_graph(graph)
        assert space.canonical_id(space.parse(graph)) == space.canonical_id(cell)


@pytest.mark.parametrize("name", space_names())
def test_every_space_exports_a_dag_with_ops(name):
    space = get_space(name)
    for cell in space.sample(5, 0):
        graph = space.to_networkx(cell)
        assert nx.is_directed_acyclic_graph(graph)
        on_nodes = all("op" in d for _, d in graph.nodes(data=True))
        on_edges = graph.number_of_edges() > 0 and all("op" in d for *_, d in graph.edges(data=True))
        assert on_nodes or on_edges


def test_nb201_edges_and_errors():
    space = get_space("nb201")
    g = nx.DiGraph()
    g.add_edge(0, 1, op="nor_conv_3x3")
    g.add_edge(1, 3, op="skip_connect")
    g.add_nodes_from(range(4))
    assert space.label(space.parse(g)) == "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|"
    bad = g.copy()
    bad.add_edge(3, 0, op="none")
    with pytest.raises(InvalidCellError, match="cycle"):
        space.parse(bad)
    bad = g.copy()
    bad.edges[0, 1].pop("op")
    with pytest.raises(InvalidCellError, match="no 'op' attribute"):
        space.parse(bad)
    bad = g.copy()
    bad.edges[0, 1]["op"] = "conv_9x9"
    with pytest.raises(InvalidCellError, match="'conv_9x9', not one of"):
        space.parse(bad)
    bad = g.copy()
    bad.add_node(7)
    with pytest.raises(InvalidCellError, match="nodes must be 0..3"):
        space.parse(bad)
    with pytest.raises(InvalidCellError, match="DiGraph"):
        space.parse(nx.Graph(g))


def test_nb101_nodes_and_errors():
    space = get_space("nb101")
    g = nx.DiGraph()
    g.add_nodes_from([(0, {"op": "input"}), (1, {"op": "conv3x3-bn-relu"}), (2, {"op": "output"})])
    g.add_edges_from([(0, 1), (1, 2)])
    cell = space.parse(g)
    assert cell.ops == ("input", "conv3x3-bn-relu", "output")
    g.nodes[1]["op"] = "conv9x9"
    with pytest.raises(InvalidCellError, match="conv9x9"):
        space.parse(g)
    del g.nodes[1]["op"]
    with pytest.raises(InvalidCellError, match="no 'op' attribute"):
        space.parse(g)
    g.nodes[1]["op"] = "conv3x3-bn-relu"
    g.add_edge(2, 0)
    with pytest.raises(InvalidCellError, match="cycle"):
        space.parse(g)
