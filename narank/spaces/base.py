"""The `SearchSpace` contract every space honours, and the registry that names the spaces.

Everything outside `narank.spaces` asks a space object (found by name with `get_space`, or
from a cell with `space_of`) instead of testing the space's name. A new space is one module
that subclasses `SearchSpace` and calls `register`; the common test suite
(`tests/test_space_contract.py`) then checks it like every other space.

Networks, SED's node view and table readers live above the spaces (narank.networks,
narank.proxies, narank.benchmarks): those modules register a space's implementation under its
name in the capability registries here (`NETWORKS`, `SED_VIEWS`, `TABLE_READERS`, `TABLE_LOADERS`),
which import them by name on first use, so no space imports them. Torch-based parts (`network`)
import torch lazily, so parsing, hashing and enumeration stay light. NASLib's verbs are the guide
for names: `sample`, `mutate`, `neighbours`, `query` (on the table), `canonical_id` (NASLib's
`get_hash`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import numpy as np

from narank.errors import InvalidCellError, NarankError
from narank.registry import Registry, UnknownNameError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd
    from torch import nn

Cell = Any
#: a `narank.benchmarks.BenchmarkTable`, named without importing it (benchmarks sit above spaces)
Table = Any
T = TypeVar("T")
#: modules of narank.spaces that register the built-in spaces when a space is first asked for
BUILTIN_MODULES = ("nb101", "nb201", "natsss")


_SED_HINT = "implement sed_nodes on the space (narank.proxies.sed has the building blocks)"
_TABLE_HINT = "implement columns/read_table/table_cells (narank.benchmarks.user_table reads any CSV)"
_COST_HINT = "implement params_M/flops_M/node_costs on the space"
_NET_HINT = "implement net_config/network on the space (or register them in NETWORKS)"


class MissingCapability(NarankError, NotImplementedError):
    """A space asked for something it does not offer (a table, networks, costs, a proxy's view)."""


@dataclass(frozen=True)
class TableColumns:
    """Which benchmark columns a space/dataset uses.

    `train` is the accuracy a ranker is fitted on and a search looks up (the validation
    accuracy where the benchmark has one); `evaluate` is the accuracy held-out metrics and
    search results are reported on (test accuracy where there is one; else equal to `train`).
    """

    train: str
    evaluate: str
    params: str
    flops: str | None

    @property
    def has_test(self) -> bool:
        """True when the reported accuracy is a different column from the searched one."""
        return self.evaluate != self.train


@dataclass(frozen=True)
class DenseCells:
    """A block of cells as padded arrays, for scoring a whole space without cell objects.

    Node v of cell i exists where `labels[i, v] >= 0` (nodes numbered topologically, input
    first, output last); `labels` index the space's `node_labels`; `adj[i, s, d]` is a forward
    edge; the costs are `node_costs` per node (0 on padding); `flops_M` / `params_M`, where a
    space gives them, are the whole networks' (`cell_features`), for bulk graph-level features.
    """

    ids: np.ndarray  # (m,) canonical ids
    labels: np.ndarray  # (m, N) int, -1 = no node
    adj: np.ndarray  # (m, N, N) bool
    node_flops_M: np.ndarray  # (m, N) float
    node_params_M: np.ndarray  # (m, N) float
    flops_M: np.ndarray | None = None  # (m,) float
    params_M: np.ndarray | None = None  # (m,) float

    def __len__(self) -> int:
        return len(self.ids)


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A numpy Generator from a Generator, an int seed or None."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


# ------------------------------------------------------------ capability registries


@dataclass(frozen=True)
class NetworkBuilder:
    """A space's networks, registered in `NETWORKS` under the space's name. Both take the space
    first, then what `SearchSpace.net_config`/`network` take: (space, cell, dataset, **size)."""

    net_config: Callable[..., dict[str, Any]]
    network: Callable[..., nn.Module]


@dataclass(frozen=True)
class TableReader:
    """A space's benchmark-table reader, registered in `TABLE_READERS` under the space's name:
    `read_table(space, file, **options)` -> table, `table_cells(space, metrics)` -> cells."""

    read_table: Callable[..., Table]
    table_cells: Callable[[SearchSpace, pd.DataFrame], list[Cell]]


#: space name -> its networks; narank.networks.builtin registers the built-in spaces'
NETWORKS: Registry[NetworkBuilder] = Registry("network builder", "narank.networks",
                                              ("narank.networks.builtin",))
#: space name -> its SED node view, `view(space, cells)` -> per-node values of each cell
SED_VIEWS: Registry[Callable[[SearchSpace, Sequence[Cell]], list[np.ndarray]]] = Registry(
    "SED node view", "narank.sed_views", ("narank.proxies.sed_views",))
#: space name -> its bulk SED, `view(space, dense)` -> the SED score of each `DenseCells` row
DENSE_SED_VIEWS: Registry[Callable[[SearchSpace, DenseCells], np.ndarray]] = Registry(
    "bulk SED view", "narank.dense_sed_views", ("narank.proxies.sed_views",))
#: space name -> its table reader; narank.benchmarks.readers registers the built-in spaces'
TABLE_READERS: Registry[TableReader] = Registry("table reader", "narank.table_readers",
                                                ("narank.benchmarks.readers",))
#: how `SearchSpace.table` finds and reads a table ("files": narank.benchmarks.load_table)
TABLE_LOADERS: Registry[Callable[[SearchSpace, Any], Table]] = Registry(
    "table loader", "narank.table_loaders", ("narank.benchmarks.readers",))


class SearchSpace(ABC):
    """One search space. The abstract members are the core contract every space answers about its
    cells (parse, ids, isomorphism, sampling, structure, description); the rest are optional
    capabilities (costs, networks, a benchmark table, SED's node view, bulk access) whose default
    raises `MissingCapability` naming the space and what it lacks."""

    #: registry name, e.g. "nb201"
    name: str = ""
    #: human-readable name, e.g. "NAS-Bench-201"
    title: str = ""
    #: datasets with ground truth; the first is the default
    datasets: tuple[str, ...] = ("cifar10",)
    #: NAR's weight of the pairwise ranking loss for this space
    nar_lambda: float = 1.0
    #: training-set sizes of the literature (benchmarks), and the CLI's default size
    train_sizes: tuple[int, ...] = ()
    default_train_size: int = 1000
    #: labels a node of this space's graphs can carry (op names, 'input', 'output')
    node_labels: tuple[str, ...] = ()
    #: benchmark table files under the data folder, in order of preference
    table_files: tuple[str, ...] = ()
    #: the canonical table a user is told to put in place when none is found
    canonical_table: str = ""
    #: what the canonical id is called in files (a CSV column header)
    id_name: str = "id"
    #: width of `node_values` (space-specific numeric node features); 0 when there are none
    node_value_width: int = 0
    #: most nodes a cell's graph has (the default `encode` pads to it); 0 when not declared
    max_nodes: int = 0

    # ------------------------------------------------------------------ cells

    @abstractmethod
    def owns(self, cell: Any) -> bool:
        """True when `cell` is a cell object of this space."""

    @abstractmethod
    def parse(self, obj: Any) -> Cell:
        """A validated cell from user input (string, index, dict, tuple, cell), or InvalidCellError."""

    def parse_many(self, objs: Any) -> list[Cell]:
        """`parse` over an iterable (a single string or dict counts as one cell)."""
        if isinstance(objs, (str, dict)) or not isinstance(objs, Iterable) or self.owns(objs):
            objs = [objs]
        return [self.parse(o) for o in objs]

    @abstractmethod
    def canonical_id(self, cell: Cell) -> str:
        """The id every table, cache and checkpoint speaks (NASLib's `get_hash`)."""

    @abstractmethod
    def iso_key(self, cell: Cell) -> Hashable:
        """Equal for cells that compute the same function."""

    @abstractmethod
    def describe(self, cell: Cell) -> dict[str, Any]:
        """JSON-ready description: `space`, `id` and the fields a user writes the cell with."""

    def label(self, cell: Cell) -> str:
        """One-line human-readable form of a cell (an arch string, a channel list, ...)."""
        return self.canonical_id(cell)

    def resolve_id(self, key: Any) -> str:
        """Canonical id of a cell, an id string, or anything `parse` accepts."""
        if isinstance(key, str) and self.is_id(key.strip()):
            return key.strip()
        return self.canonical_id(self.parse(key))

    def is_id(self, text: str) -> bool:
        """True when `text` is already a canonical id of this space (no parsing needed)."""
        return False

    def dataset(self, name: str | None) -> str:
        """The canonical name of a dataset of this space (None = the default), or a clear error."""
        if name is None:
            return self.datasets[0]
        key = str(name).strip().lower().replace("-", "_")
        if key not in self.datasets:
            raise NarankError(f"dataset {name!r} is not in {self.name}; choose from "
                              f"{', '.join(self.datasets)}")
        return key

    # ------------------------------------------------------------ the space

    @property
    def size(self) -> int | None:
        """Number of distinct cells (canonical ids) in the space, when known."""
        return None

    def enumerate(self) -> Sequence[Cell] | None:
        """Every cell in a fixed order when the space is small enough to list, else None."""
        return None

    def list_cells(self, cache_dir: Any = None, jobs: int | None = None) -> list[str]:
        """Every cell as the text users write it (`label`), in a fixed order; `cache_dir`/`jobs`
        serve spaces that must enumerate themselves first (NB101)."""
        cells = self.enumerate()
        if cells is None:
            raise NarankError(f"{self.name} has no enumeration of all its cells")
        return [self.label(c) for c in cells]

    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> list[Cell]:
        """`n` random cells (NASLib's `sample_random_architecture`), seeded by `rng`."""

    @abstractmethod
    def mutate(self, cell: Cell, rng: np.random.Generator | int | None = None) -> Cell:
        """A random cell one edit away with a different canonical id."""

    @abstractmethod
    def neighbours(self, cell: Cell, rng: np.random.Generator | int | None = None) -> list[Cell]:
        """Single-edit neighbours (all of them where few, else a random selection)."""

    # ------------------------------------------------------------------ costs

    def params_M(self, cell: Cell, dataset: str | None = None) -> float:  # noqa: N802
        """Parameters of the full benchmark network, in millions."""
        self.lacks("costs (params/FLOPs)", _COST_HINT)

    def flops_M(self, cell: Cell, dataset: str | None = None) -> float:  # noqa: N802
        """FLOPs of the full benchmark network, in millions."""
        self.lacks("costs (params/FLOPs)", _COST_HINT)

    def cell_features(self, cells: Sequence[Cell], dataset: str | None = None) -> dict[str, np.ndarray]:
        """Per-cell numbers for tier statistics: `flops_M`, `params_M` and space-specific counts."""
        return {"flops_M": np.array([self.flops_M(c, dataset) for c in cells], dtype=float),
                "params_M": np.array([self.params_M(c, dataset) for c in cells], dtype=float)}

    def encode(self, cells: Sequence[Cell]) -> np.ndarray:
        """A fixed-length float vector per cell (one-hot ops and the like) for tabular baselines."""
        if not self.max_nodes:
            self.lacks("fixed-length encoding", "set max_nodes on the space or implement encode")
        n, labels = self.max_nodes, {label: i for i, label in enumerate(self.node_labels)}
        out = np.zeros((len(cells), n * len(labels) + n * n), dtype=np.float32)
        for row, cell in zip(out, cells):
            names, edges = self.structure(cell)
            for v, label in enumerate(names):
                row[v * len(labels) + labels[label]] = 1.0
            for a, b in edges:
                row[n * len(labels) + a * n + b] = 1.0
        return out

    # ------------------------------------------------------------------ graphs

    @abstractmethod
    def structure(self, cell: Cell) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
        """Graph view of a cell: node labels (from `node_labels`) and forward edges, nodes
        numbered in topological order with the input first and the output last."""

    def node_costs(self, cell: Cell, dataset: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(MFLOPs, M params) each graph node adds to the whole network (0 for input/output)."""
        self.lacks("costs (params/FLOPs)", _COST_HINT)

    def node_values(self, cell: Cell, dataset: str | None = None) -> np.ndarray | None:
        """Space-specific numeric node features (e.g. channel widths), shape [nodes, k], or None."""
        return None

    def dense_count(self) -> int | None:
        """Number of cells `dense_cells` serves (the whole space), or None when it serves none."""
        return None

    def dense_cells(self, start: int, stop: int, dataset: str | None = None) -> DenseCells:
        """Cells [start, stop) of the whole space (a fixed order) as `DenseCells`, for bulk scoring.

        Spaces too large to list as objects (NB101) offer this instead of `enumerate`.
        """
        raise NarankError(f"{self.name} offers no bulk access to its cells; use enumerate()")

    def sed_nodes(self, cells: Sequence[Cell]) -> list[np.ndarray]:
        """Per-node SED values of each cell (the output node's value is the cell's SED score)."""
        return self._served(SED_VIEWS, "SED node view", _SED_HINT)(self, cells)

    # ---------------------------------------------------------------- networks

    def net_config(self, cell: Cell, dataset: str | None = None, **size: Any) -> dict[str, Any]:
        """The network's configuration, like nas_201_api's `get_net_config` (JSON-ready)."""
        return self._served(NETWORKS, "networks", _NET_HINT).net_config(self, cell, dataset, **size)

    def network(self, cell: Cell, dataset: str | None = None, **size: Any) -> nn.Module:
        """The PyTorch network of a cell: the benchmark's size by default; `size` shrinks it
        (`channels`, `cells` per stage, `num_classes`) for zero-cost proxies."""
        return self._served(NETWORKS, "networks", _NET_HINT).network(self, cell, dataset, **size)

    # ----------------------------------------------------------- ground truth

    def columns(self, dataset: str | None = None, target: str = "valid") -> TableColumns:
        """Benchmark columns for a dataset; `target` 'test' trains on test accuracy where allowed."""
        self.lacks("benchmark table", _TABLE_HINT)

    def read_table(self, file: Any, **options: Any) -> Table:
        """Read one benchmark file of this space into a validated table (clear errors); `options`
        go to the space's reader (NB101: `include_extra`)."""
        return self._served(TABLE_READERS, "benchmark table", _TABLE_HINT).read_table(self, file, **options)

    def table_cells(self, metrics: pd.DataFrame) -> list[Cell]:
        """Cell objects of a table's rows, in row order."""
        return self._served(TABLE_READERS, "benchmark table", _TABLE_HINT).table_cells(self, metrics)

    def table(self, data: Any = None) -> Table:
        """This space's benchmark table from a file or data folder (else $NARANK_DATA, ./data),
        found, read and cached by narank.benchmarks' loader."""
        return TABLE_LOADERS.get("files")(self, data)

    def to_networkx(self, cell: Cell) -> Any:
        """The cell as a networkx.DiGraph. By default the graph view (`structure`: nodes carry `op`);
        spaces that store ops on edges (NB201) or nodes (NB101) give that form, which `parse` reads."""
        from narank.spaces.interchange import node_cell_to_networkx

        labels, edges = self.structure(cell)
        matrix = [[int((i, j) in set(edges)) for j in range(len(labels))] for i in range(len(labels))]
        return node_cell_to_networkx(matrix, labels)

    # ------------------------------------------------------------------ capabilities

    def lacks(self, what: str, how: str) -> NoReturn:
        """Raise the one-line error for a capability this space does not offer."""
        raise MissingCapability(f"search space {self.name!r} has no {what}: {how}")

    def _served(self, registry: Registry[T], what: str, how: str) -> T:
        """This space's entry in a capability registry, or the one-line error saying it lacks `what`."""
        if self.name not in registry:
            self.lacks(what, how)
        return registry.get(self.name)

    def has(self, *methods: str) -> bool:
        """True when the space offers every named optional method (rather than lacking it): its
        class overrides the method, or a capability registry holds an entry for its name."""
        return all(getattr(type(self), m) is not getattr(SearchSpace, m)
                   or (m in _SERVED_BY and self.name in _SERVED_BY[m]) for m in methods)

    # ------------------------------------------------------------------ misc

    def __repr__(self) -> str:
        return f"<search space {self.name}>"

    def __str__(self) -> str:
        return self.name

    def __reduce__(self) -> tuple:
        return (get_space, (self.name,))


def _as_space(name: str, obj: Any) -> SearchSpace:
    """A registered object as a space instance (a SearchSpace subclass is instantiated)."""
    space = obj() if isinstance(obj, type) else obj
    if not isinstance(space, SearchSpace):
        raise NarankError(f"{name!r} is registered as a search space but is a {type(obj).__name__}, "
                          "not a narank.spaces.SearchSpace")
    if not space.name:
        raise NarankError(f"{type(space).__name__} has no name")
    return space


#: optional methods a capability registry serves when the space's class does not override them
_SERVED_BY: dict[str, Registry[Any]] = {"net_config": NETWORKS, "network": NETWORKS, "sed_nodes": SED_VIEWS,
                                        "read_table": TABLE_READERS, "table_cells": TABLE_READERS}


#: the search spaces: narank's own modules, then entry points of group "narank.spaces"
SPACES: Registry[SearchSpace] = Registry(
    "search space", "narank.spaces", tuple(f"narank.spaces.{m}" for m in BUILTIN_MODULES), _as_space
)


def register(space: Any) -> Any:
    """Register a space (an instance, or a SearchSpace subclass to instantiate) under its `name`;
    usable as a class decorator. The last registration of a name wins."""
    SPACES.register(getattr(space, "name", None) or None, space)
    return space


def space_names() -> list[str]:
    """Names of the registered spaces."""
    return SPACES.names()


def get_space(space: str | SearchSpace) -> SearchSpace:
    """The registered space of that name (a space object is returned as is), the space a spec file
    declares (a .yaml/.yml/.json path: `narank.specs.from_spec`), or a clear error."""
    if isinstance(space, SearchSpace):
        return space
    if isinstance(space, str) and space.lower().endswith((".yaml", ".yml", ".json")):
        from importlib import import_module

        return import_module("narank.specs").from_spec(space)  # a plug-in layer above spaces
    try:
        return SPACES.get(space)
    except UnknownNameError as exc:
        raise InvalidCellError(str(exc)) from None


def space_of(cell: Any) -> SearchSpace:
    """The space a cell object belongs to."""
    for entry in SPACES:
        if entry.obj.owns(cell):
            return entry.obj
    raise InvalidCellError(f"not a narank cell: {cell!r} (expected a cell of one of "
                           f"{', '.join(space_names())}; parse user input with get_space(name).parse)")
