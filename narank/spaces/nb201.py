"""NAS-Bench-201 cells: arch strings, official index, isomorphism key, closed-form costs."""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

import numpy as np

from narank.errors import InvalidCellError, NarankError
from narank.spaces.base import SearchSpace, TableColumns, as_rng, register
from narank.spaces.interchange import edge_cell_to_networkx, edge_ops_from_networkx, is_networkx

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
DATASETS = ("cifar10", "cifar100", "imagenet16_120")
NUM_CLASSES = {"cifar10": 10, "cifar100": 100, "imagenet16_120": 120}
NUM_NODES = 4
NUM_EDGES = len(EDGES)
NUM_CELLS = len(OPS) ** NUM_EDGES
INDEX_FILE = "data/nb201_index.txt.gz"

_OP_ID = {op: i for i, op in enumerate(OPS)}
_POW5 = np.array([5 ** (NUM_EDGES - 1 - e) for e in range(NUM_EDGES)], dtype=np.int64)

# Closed forms in the op counts (none, skip, conv1x1, conv3x3, avgpool); see data SOURCES.md.
_PARAMS_BASE = {"cifar10": 0.073306, "cifar100": 0.079156, "imagenet16_120": 0.080456}
_PARAMS_SLOPE = np.array([0.0, 0.0, 0.028, 0.24304, 0.0])
_FLOPS_BASE = {"cifar10": 7.943872, "cifar100": 7.949632, "imagenet16_120": 1.993792}
_CIFAR_FLOPS_SLOPE = np.array([0.0, 0.0, 4.36224, 35.81952, 1.29024])
_FLOPS_SLOPE = {
    "cifar10": _CIFAR_FLOPS_SLOPE,
    "cifar100": _CIFAR_FLOPS_SLOPE,
    "imagenet16_120": np.array([0.0, 0.0, 1.09056, 8.95488, 0.32256]),
}
_PARAMS_SLOPE_T = tuple(_PARAMS_SLOPE.tolist())
_FLOPS_SLOPE_T = {ds: tuple(v.tolist()) for ds, v in _FLOPS_SLOPE.items()}
_DATASET_ALIASES = {
    "c10": "cifar10",
    "c100": "cifar100",
    "imagenet16-120": "imagenet16_120",
    "imagenet": "imagenet16_120",
    "in16": "imagenet16_120",
}


def dataset_name(name: str) -> str:
    """Normalise a dataset name (e.g. 'ImageNet16-120' -> 'imagenet16_120') or raise."""
    key = str(name).strip().lower()
    if key in ("cifar10-valid", "cifar10_valid"):
        raise NarankError(
            f"{name!r} is not a separate dataset here: narank's NB201 'cifar10' already searches and "
            "trains on the cifar10-valid model's validation accuracy (cifar10_valid_acc) and reports "
            "the train+valid model's test accuracy (cifar10_test_acc); use cifar10"
        )
    key = _DATASET_ALIASES.get(key, key)
    if key not in DATASETS:
        raise NarankError(
            f"unknown NB201 dataset {name!r}: use one of {', '.join(DATASETS)}"
        )
    return key


def parse_arch_str(arch_str: str) -> tuple[str, ...]:
    """Parse an official arch string into its 6 ops in EDGES order (strict)."""
    if not isinstance(arch_str, str):
        raise InvalidCellError(f"NB201 arch string must be a str, got {type(arch_str).__name__}")
    text = arch_str.strip()
    example = "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|"
    if len(text) < 2 or not (text.startswith("|") and text.endswith("|")):
        raise InvalidCellError(
            f"malformed NB201 arch string {arch_str!r}: it must start and end with '|', "
            f"like {example}"
        )
    nodes = text[1:-1].split("|+|")
    if len(nodes) != NUM_NODES - 1:
        raise InvalidCellError(
            f"malformed NB201 arch string {arch_str!r}: found {len(nodes)} node group(s), "
            f"expected 3 separated by '+' (nodes 1, 2, 3), like {example}"
        )
    ops: list[str] = []
    for node, group in enumerate(nodes, start=1):
        edges = group.split("|")
        if len(edges) != node:
            raise InvalidCellError(
                f"malformed NB201 arch string {arch_str!r}: node {node} has {len(edges)} "
                f"edge(s), expected {node} (one from each of nodes 0..{node - 1})"
            )
        for source, edge in enumerate(edges):
            op, sep, src = edge.partition("~")
            if not sep:
                raise InvalidCellError(
                    f"malformed NB201 arch string {arch_str!r}: edge {edge!r} into node {node} "
                    f"must look like 'op~{source}'"
                )
            if op not in _OP_ID:
                raise InvalidCellError(
                    f"malformed NB201 arch string {arch_str!r}: unknown op {op!r} on edge "
                    f"{source}->{node}; valid ops are {', '.join(OPS)}"
                )
            if src != str(source):
                raise InvalidCellError(
                    f"malformed NB201 arch string {arch_str!r}: edge {len(ops) + 1} "
                    f"({op}) into node {node} reads from '~{src}', expected '~{source}' "
                    f"(list the inputs of node {node} as ~0..~{node - 1} in order)"
                )
            ops.append(op)
    return tuple(ops)


def format_arch_str(ops: Sequence[str]) -> str:
    """Format 6 ops (EDGES order) as an official arch string."""
    groups, k = [], 0
    for node in range(1, NUM_NODES):
        groups.append("|".join(f"{ops[k + i]}~{i}" for i in range(node)))
        k += node
    return "|" + "|+|".join(groups) + "|"


@lru_cache(maxsize=1)
def _index_tables() -> tuple[np.ndarray, np.ndarray]:
    """(index -> base-5 code, code -> index), read from the packaged index file."""
    try:
        raw = resources.files("narank.spaces").joinpath(INDEX_FILE).read_bytes()
        lines = gzip.decompress(raw).decode("ascii").split()
    except (OSError, EOFError) as exc:
        raise NarankError(
            f"narank/spaces/{INDEX_FILE}: cannot read the packaged NB201 index ({exc}); "
            "reinstall narank or run scripts/build_nb201_index.py"
        ) from exc
    digits = np.array([[int(c) for c in line] for line in lines], dtype=np.int64)
    if digits.shape != (NUM_CELLS, NUM_EDGES):
        raise NarankError(
            f"narank/spaces/{INDEX_FILE}: expected {NUM_CELLS} six-digit codes, got "
            f"{digits.shape[0]}; rebuild it with scripts/build_nb201_index.py"
        )
    codes = digits @ _POW5
    inverse = np.full(NUM_CELLS, -1, dtype=np.int64)
    inverse[codes] = np.arange(NUM_CELLS)
    return codes, inverse


def _iso_string(op_ids: Sequence[int]) -> str:
    """The canonical 'unique string' of a cell (see NB201Cell.iso_key)."""
    nodes = ["0"]
    k = 0
    for node in range(1, NUM_NODES):
        terms = []
        for source in range(node):
            op, inp = op_ids[k], nodes[source]
            k += 1
            if op == 0 or inp == "#":
                terms.append("#")
            elif op == 1:
                terms.append(inp)
            else:
                terms.append(f"({inp})@{OPS[op]}")
        nodes.append("+".join(sorted(terms)))
    return nodes[-1]


@dataclass(frozen=True)
class NB201Cell:
    """One NB201 cell: 6 ops in EDGES order, validated on construction."""

    ops: tuple[str, ...]

    def __post_init__(self) -> None:
        if isinstance(self.ops, str) or not isinstance(self.ops, Sequence):
            raise InvalidCellError(
                f"NB201 cell ops must be a sequence of {NUM_EDGES} op names, got {self.ops!r}"
            )
        ops = tuple(self.ops)
        if len(ops) != NUM_EDGES:
            raise InvalidCellError(
                f"NB201 cell needs {NUM_EDGES} ops (edges {EDGES}), got {len(ops)}: {ops!r}"
            )
        for e, op in enumerate(ops):
            if op not in _OP_ID:
                raise InvalidCellError(
                    f"unknown NB201 op {op!r} on edge {EDGES[e][0]}->{EDGES[e][1]}; "
                    f"valid ops are {', '.join(OPS)}"
                )
        object.__setattr__(self, "ops", ops)

    @classmethod
    def from_str(cls, arch_str: str) -> NB201Cell:
        """Cell from an official arch string."""
        return cls(parse_arch_str(arch_str))

    @classmethod
    def from_index(cls, index: int) -> NB201Cell:
        """Cell with the given official NB201 index (0..15624)."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise InvalidCellError(f"NB201 index must be an int, got {index!r}")
        if not 0 <= int(index) < NUM_CELLS:
            raise InvalidCellError(
                f"NB201 index {index} is out of range: valid indices are 0..{NUM_CELLS - 1}"
            )
        return all_cells()[int(index)]

    @classmethod
    def from_op_ids(cls, op_ids: Sequence[int]) -> NB201Cell:
        """Cell from 6 op ids (positions in OPS)."""
        try:
            return cls(tuple(OPS[int(i)] for i in op_ids))
        except IndexError as exc:
            raise InvalidCellError(f"NB201 op ids must be in 0..4, got {list(op_ids)}") from exc

    @cached_property
    def op_ids(self) -> tuple[int, ...]:
        """Op ids (positions in OPS) in EDGES order."""
        return tuple(_OP_ID[op] for op in self.ops)

    @cached_property
    def code(self) -> int:
        """Base-5 number of the op ids (0..15624); not the official index."""
        return int(np.dot(self.op_ids, _POW5))

    @cached_property
    def arch_str(self) -> str:
        """Official arch string."""
        return format_arch_str(self.ops)

    @cached_property
    def index(self) -> int:
        """Official NB201 / NATS-Bench-tss index."""
        return int(_index_tables()[1][self.code])

    @cached_property
    def iso_key(self) -> str:
        """Key shared by cells computing the same function: NB201's 'unique string'.

        Each node is the sorted '+'-join of its incoming terms; a term is '#' for a `none` edge
        or an input equal to '#', the input itself for skip_connect, else '(input)@op'. It equals
        the benchmark's `unique_str` (6,466 classes), quirks included: a node whose inputs are
        all dead is written '#+#' and is not folded to '#'.
        """
        return _iso_string(self.op_ids)

    def op_counts(self) -> np.ndarray:
        """Number of edges with each op, in OPS order (int array of 5)."""
        return np.bincount(np.asarray(self.op_ids), minlength=len(OPS))

    def params_M(self, dataset: str = "cifar10") -> float:  # noqa: N802 - interface name
        """Parameters of the full network (millions), exact closed form."""
        ds = dataset_name(dataset)
        return round(_PARAMS_BASE[ds] + sum(_PARAMS_SLOPE_T[i] for i in self.op_ids), 6)

    def flops_M(self, dataset: str = "cifar10") -> float:  # noqa: N802 - interface name
        """MFLOPs of the full network as the NB201 API counts them, exact closed form."""
        ds = dataset_name(dataset)
        slope = _FLOPS_SLOPE_T[ds]
        return round(_FLOPS_BASE[ds] + sum(slope[i] for i in self.op_ids), 6)

    def to_dict(self) -> dict:
        """JSON-ready description: index, arch string and iso key."""
        return {"index": self.index, "arch_str": self.arch_str, "iso_key": self.iso_key}

    def __str__(self) -> str:
        return self.arch_str


@lru_cache(maxsize=1)
def all_cells() -> tuple[NB201Cell, ...]:
    """All 15,625 cells in official index order."""
    codes = _index_tables()[0]
    digits = (codes[:, None] // _POW5[None, :]) % len(OPS)
    return tuple(NB201Cell(tuple(OPS[i] for i in row)) for row in digits.tolist())


@lru_cache(maxsize=1)
def _by_arch_str() -> dict[str, NB201Cell]:
    return {cell.arch_str: cell for cell in all_cells()}


def cell_from_str(arch_str: str) -> NB201Cell:
    """Like NB201Cell.from_str, returning the shared cached instance (fast for bulk use)."""
    cell = _by_arch_str().get(arch_str) if isinstance(arch_str, str) else None
    return cell if cell is not None else NB201Cell.from_str(arch_str)


def all_ops_matrix() -> np.ndarray:
    """Op ids of all cells in official index order, int8 array [15625, 6]."""
    codes = _index_tables()[0]
    return ((codes[:, None] // _POW5[None, :]) % len(OPS)).astype(np.int8)


def ops_matrix(cells: Iterable[NB201Cell]) -> np.ndarray:
    """Op ids of the given cells, int8 array [n, 6]."""
    rows = [cell.op_ids for cell in cells]
    return np.array(rows, dtype=np.int8).reshape(len(rows), NUM_EDGES)


def _as_ops(cells_or_ops: Iterable[NB201Cell] | np.ndarray) -> np.ndarray:
    if isinstance(cells_or_ops, np.ndarray):
        return cells_or_ops.reshape(-1, NUM_EDGES)
    return ops_matrix(cells_or_ops)


def op_params_M(op: str) -> float:  # noqa: N802 - matches params_M
    """Parameters (millions) one op adds to the whole network (the closed form's slope)."""
    return float(_PARAMS_SLOPE_T[_OP_ID[op]])


def op_flops_M(op: str, dataset: str = "cifar10") -> float:  # noqa: N802 - matches flops_M
    """MFLOPs one op adds to the whole network on `dataset` (the closed form's slope)."""
    return float(_FLOPS_SLOPE_T[dataset_name(dataset)][_OP_ID[op]])


def op_counts_matrix(cells_or_ops: Iterable[NB201Cell] | np.ndarray) -> np.ndarray:
    """Op counts per cell, int array [n, 5] (cells or an [n, 6] op-id matrix)."""
    ops = _as_ops(cells_or_ops).astype(np.int64)
    return (ops[:, :, None] == np.arange(len(OPS))[None, None, :]).sum(axis=1)


def params_M_batch(cells_or_ops: Iterable[NB201Cell] | np.ndarray, dataset: str = "cifar10"):
    """Parameters (millions) of many cells, float array [n]."""
    ds = dataset_name(dataset)
    counts = op_counts_matrix(cells_or_ops)
    return np.round(_PARAMS_BASE[ds] + counts @ _PARAMS_SLOPE, 6)


def flops_M_batch(cells_or_ops: Iterable[NB201Cell] | np.ndarray, dataset: str = "cifar10"):
    """MFLOPs of many cells, float array [n]."""
    ds = dataset_name(dataset)
    counts = op_counts_matrix(cells_or_ops)
    return np.round(_FLOPS_BASE[ds] + counts @ _FLOPS_SLOPE[ds], 6)


def sample(
    n: int, rng: np.random.Generator | int | None = None, replace: bool = True
) -> list[NB201Cell]:
    """`n` cells drawn uniformly from the 15,625 (seeded by `rng`, a Generator or int)."""
    if n < 0 or (not replace and n > NUM_CELLS):
        raise NarankError(f"cannot sample {n} NB201 cells (replace={replace})")
    gen = as_rng(rng)
    idx = gen.integers(0, NUM_CELLS, size=n) if replace else gen.choice(NUM_CELLS, n, False)
    cells = all_cells()
    return [cells[i] for i in idx.tolist()]


def mutate(cell: NB201Cell, rng: np.random.Generator | int | None = None) -> NB201Cell:
    """A copy of `cell` with one uniformly chosen edge changed to a different op."""
    gen = as_rng(rng)
    edge = int(gen.integers(NUM_EDGES))
    new = int(gen.integers(len(OPS) - 1))
    if new >= cell.op_ids[edge]:
        new += 1
    ops = list(cell.ops)
    ops[edge] = OPS[new]
    return NB201Cell(tuple(ops))


# ----------------------------------------------------------------------------- the space


def _live_edges(ops: Sequence[str]) -> list[bool]:
    """Which edges carry information from the input to the output (not `none`, not dead-ended)."""
    reach_in = [True, False, False, False]
    for (src, dst), op in zip(EDGES, ops, strict=True):
        if op != "none" and reach_in[src]:
            reach_in[dst] = True
    reach_out = [False, False, False, True]
    for (src, dst), op in reversed(list(zip(EDGES, ops, strict=True))):
        if op != "none" and reach_out[dst]:
            reach_out[src] = True
    return [op != "none" and reach_in[s] and reach_out[d] for (s, d), op in zip(EDGES, ops, strict=True)]


@lru_cache(maxsize=16384)
def graph_structure(ops: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    """Edge-ops become nodes (input, 6 op nodes, output); ops off every input->output path act
    as `none` (nothing flows), so cells that compute the same function get the same graph."""
    live = _live_edges(ops)
    labels = ("input", *(op if ok else "none" for op, ok in zip(ops, live, strict=True)), "output")
    edges: list[tuple[int, int]] = []
    for k, (src, dst) in enumerate(EDGES):
        if not live[k]:
            continue
        node = k + 1
        if src == 0:
            edges.append((0, node))
        for k2, (src2, _) in enumerate(EDGES):
            if src2 == dst and live[k2]:
                edges.append((node, k2 + 1))
        if dst == 3:
            edges.append((node, 7))
    return labels, tuple(edges)


class NB201Space(SearchSpace):
    """NAS-Bench-201: 6 edges x 5 ops, 15,625 cells, three datasets."""

    name = "nb201"
    title = "NAS-Bench-201"
    datasets = DATASETS
    nar_lambda = 1.0
    train_sizes = (78, 156, 469, 781, 1563)
    default_train_size = 1563
    node_labels = ("input", "output", *OPS)
    table_files = ("nb201/nb201_official.csv", "nb201/nb201.csv")
    canonical_table = "nb201/nb201.csv"
    id_name = "index"

    def owns(self, cell: Any) -> bool:
        return isinstance(cell, NB201Cell)

    def parse(self, obj: Any) -> NB201Cell:
        if isinstance(obj, NB201Cell):
            return obj
        if is_networkx(obj):
            return NB201Cell(edge_ops_from_networkx(obj, NUM_NODES, EDGES, OPS, "none", "NB201 cell graph"))
        if isinstance(obj, dict):
            if "arch" in obj or "arch_str" in obj:
                return self.parse(obj.get("arch", obj.get("arch_str")))
            if "index" in obj:
                return self.parse(obj["index"])
            raise InvalidCellError(
                f"NB201 cell dict needs an 'arch' (arch string) or 'index' key, got {sorted(obj)}"
            )
        if isinstance(obj, str):
            text = obj.strip()
            if text.isdigit():
                return NB201Cell.from_index(int(text))
            return cell_from_str(text)
        if isinstance(obj, (list, tuple)) and len(obj) == NUM_EDGES:
            return NB201Cell(tuple(obj))
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
            return NB201Cell.from_index(int(obj))
        raise InvalidCellError(
            f"cannot read an NB201 cell from {obj!r}: give an arch string like "
            "'|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
            "nor_conv_3x3~1|nor_conv_3x3~2|', an index 0..15624, or {\"arch\": ...}"
        )

    def is_id(self, text: str) -> bool:
        return text.isdigit() and int(text) < NUM_CELLS

    def canonical_id(self, cell: NB201Cell) -> str:
        return str(cell.index)

    def iso_key(self, cell: NB201Cell) -> str:
        return cell.iso_key

    def to_networkx(self, cell: NB201Cell) -> Any:
        """Nodes 0..3, an `op` on every edge i -> j (NB201 stores ops on edges)."""
        return edge_cell_to_networkx(NUM_NODES, EDGES, cell.ops)

    def describe(self, cell: NB201Cell) -> dict[str, Any]:
        return {"space": self.name, "id": self.canonical_id(cell), **cell.to_dict()}

    def label(self, cell: NB201Cell) -> str:
        return cell.arch_str

    def dataset(self, name: str | None) -> str:
        return DATASETS[0] if name is None else dataset_name(name)

    @property
    def size(self) -> int:
        return NUM_CELLS

    def enumerate(self) -> tuple[NB201Cell, ...]:
        return all_cells()

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> list[NB201Cell]:
        return sample(n, rng)

    def mutate(self, cell: NB201Cell, rng: np.random.Generator | int | None = None) -> NB201Cell:
        return mutate(cell, rng)

    def neighbours(self, cell: NB201Cell, rng: np.random.Generator | int | None = None) -> list[NB201Cell]:
        """All 24 cells that differ on one edge."""
        out = []
        for e in range(NUM_EDGES):
            for op in OPS:
                if op != cell.ops[e]:
                    out.append(NB201Cell((*cell.ops[:e], op, *cell.ops[e + 1:])))
        return out

    def params_M(self, cell: NB201Cell, dataset: str | None = None) -> float:  # noqa: N802
        return cell.params_M(self.dataset(dataset))

    def flops_M(self, cell: NB201Cell, dataset: str | None = None) -> float:  # noqa: N802
        return cell.flops_M(self.dataset(dataset))

    def cell_features(self, cells: Sequence[NB201Cell], dataset: str | None = None) -> dict[str, np.ndarray]:
        """flops_M, params_M and the count of each op (`op:<name>`), vectorized."""
        ds = self.dataset(dataset)
        ops = ops_matrix(cells)
        counts = op_counts_matrix(ops)
        out = {"flops_M": flops_M_batch(ops, ds), "params_M": params_M_batch(ops, ds)}
        for i, op in enumerate(OPS):
            out[f"op:{op}"] = counts[:, i].astype(float)
        return out

    def encode(self, cells: Sequence[NB201Cell]) -> np.ndarray:
        """One-hot op per edge (30 values)."""
        ops = ops_matrix(cells).astype(np.int64)
        out = np.zeros((len(ops), NUM_EDGES, len(OPS)), dtype=np.float32)
        out[np.arange(len(ops))[:, None], np.arange(NUM_EDGES)[None, :], ops] = 1.0
        return out.reshape(len(ops), -1)

    def structure(self, cell: NB201Cell) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
        return graph_structure(cell.ops)

    def node_costs(self, cell: NB201Cell, dataset: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Closed-form slope of each computing op node; dead ops and input/output cost nothing."""
        ds = self.dataset(dataset)
        labels = self.structure(cell)[0]
        flops = np.array([op_flops_M(op, ds) if op in _OP_ID else 0.0 for op in labels])
        params = np.array([op_params_M(op) if op in _OP_ID else 0.0 for op in labels])
        return flops, params

    def columns(self, dataset: str | None = None, target: str = "valid") -> TableColumns:
        """Search/train on validation accuracy (or test, if asked); always report test accuracy."""
        ds = self.dataset(dataset)
        if target not in ("valid", "test"):
            raise NarankError(f"target must be 'valid' or 'test', got {target!r}")
        return TableColumns(f"{ds}_{target}_acc", f"{ds}_test_acc", f"{ds}_params_M", f"{ds}_flops_M")



SPACE = register(NB201Space())
