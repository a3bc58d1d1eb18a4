"""networkx as the interchange for cells: what researchers hold architectures in.

Edge-labelled cells (NB201 and spec spaces) are DiGraphs on nodes 0..N-1 (input 0, output N-1)
whose edges i -> j carry `op`; a missing edge reads as the space's `none` op. Node-labelled cells
(NB101) are DiGraphs whose nodes 0..n-1 carry `op` (`input` first, `output` last). Reading checks
what a user can get wrong: a cycle, a node or edge without `op`, an op outside the space, nodes
that are not 0..N-1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from narank.errors import InvalidCellError


def is_networkx(obj: Any) -> bool:
    """True for a networkx graph (checked without importing networkx)."""
    return type(obj).__module__.startswith("networkx.") and hasattr(obj, "nodes") and hasattr(obj, "edges")


def _check_dag(graph: Any, what: str) -> None:
    import networkx as nx

    if not graph.is_directed():
        raise InvalidCellError(f"{what}: give a networkx.DiGraph (edges point from input to output)")
    if not nx.is_directed_acyclic_graph(graph):
        cycle = " -> ".join(str(u) for u, _ in nx.find_cycle(graph))
        raise InvalidCellError(f"{what}: the graph has a cycle ({cycle}); a cell is acyclic")


def edge_cell_to_networkx(nodes: int, edges: Sequence[tuple[int, int]], ops: Sequence[str]) -> Any:
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(range(nodes))
    graph.add_edges_from((i, j, {"op": op}) for (i, j), op in zip(edges, ops))
    return graph


def edge_ops_from_networkx(graph: Any, nodes: int, edges: Sequence[tuple[int, int]], valid: Sequence[str],
                           none: str | None, what: str) -> tuple[str, ...]:
    """The op of every edge of `edges` (in that order) from a DiGraph with `op` on its edges."""
    _check_dag(graph, what)
    if set(graph.nodes) != set(range(nodes)):
        raise InvalidCellError(f"{what}: nodes must be 0..{nodes - 1} (input 0, output {nodes - 1}), "
                               f"got {sorted(graph.nodes, key=str)}")
    wanted = set(edges)
    for i, j, data in graph.edges(data=True):
        if (i, j) not in wanted:
            raise InvalidCellError(f"{what}: edge {i} -> {j} is not an edge of the cell (edges go from a "
                                   "lower to a higher node)")
        if "op" not in data:
            raise InvalidCellError(f"{what}: edge {i} -> {j} has no 'op' attribute")
        if data["op"] not in valid:
            raise InvalidCellError(f"{what}: edge {i} -> {j} has op {data['op']!r}, not one of "
                                   f"{', '.join(valid)}")
    ops = []
    for i, j in edges:
        if graph.has_edge(i, j):
            ops.append(graph.edges[i, j]["op"])
        elif none is None:
            raise InvalidCellError(f"{what}: edge {i} -> {j} is missing and the space has no 'none' op")
        else:
            ops.append(none)
    return tuple(ops)


def node_cell_to_networkx(matrix: Sequence[Sequence[int]], ops: Sequence[str]) -> Any:
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from((v, {"op": op}) for v, op in enumerate(ops))
    graph.add_edges_from((i, j) for i, row in enumerate(matrix) for j, x in enumerate(row) if x)
    return graph


def node_cell_from_networkx(graph: Any, what: str) -> tuple[list[list[int]], list[str]]:
    """(upper-triangular adjacency, ops) from a DiGraph with `op` on its nodes 0..n-1."""
    _check_dag(graph, what)
    n = graph.number_of_nodes()
    if set(graph.nodes) != set(range(n)):
        raise InvalidCellError(f"{what}: nodes must be numbered 0..{n - 1} in topological order")
    missing = [v for v in range(n) if "op" not in graph.nodes[v]]
    if missing:
        raise InvalidCellError(f"{what}: node(s) {missing} have no 'op' attribute")
    matrix = [[0] * n for _ in range(n)]
    for i, j in graph.edges:
        if i >= j:
            raise InvalidCellError(f"{what}: edge {i} -> {j} goes backwards; number the nodes in "
                                   "topological order")
        matrix[i][j] = 1
    return matrix, [graph.nodes[v]["op"] for v in range(n)]
