"""The NAS-Bench-101 search space: validated cells, the official hash, parameter/FLOP counts.

A cell is a DAG of at most 7 vertices and 9 edges given as an upper-triangular 0/1 matrix
plus one op per vertex ("input", interior ops from `OPS`, "output"). Cells are always kept
pruned (every vertex lies on an input->output path), as the official `ModelSpec` does.
The whole space (423,624 cells) is enumerated in `narank.spaces.nb101_enumerate`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from narank.errors import InvalidCellError, NarankError
from narank.spaces.base import SearchSpace, TableColumns, register
from narank.spaces.interchange import is_networkx, node_cell_from_networkx, node_cell_to_networkx

OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
INPUT = "input"
OUTPUT = "output"
MAX_VERTICES = 7
MAX_EDGES = 9
NUM_CELLS = 423_624  # official number of unique cells (checked by the enumeration)

# The official CIFAR-10 network around the cell.
STEM_CHANNELS = 128
NUM_STACKS = 3
MODULES_PER_STACK = 3
NUM_CLASSES = 10
IMAGE_SIZE = 32
_KERNEL = {"conv3x3-bn-relu": 3, "conv1x1-bn-relu": 1}
_MAXPOOL_WINDOW = 9  # 3x3 comparisons per output element

Matrix = tuple[tuple[int, ...], ...]


# ----------------------------------------------------------------------------- hashing


def _md5(text: str) -> str:
    """Hex md5 of a string, the building block of the official module hash."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def neighbours(matrix: Sequence[Sequence[int]]) -> tuple[list[list[int]], list[list[int]]]:
    """In- and out-neighbour lists of every vertex (precomputed once per graph shape)."""
    n = len(matrix)
    ins = [[w for w in range(n) if matrix[w][v]] for v in range(n)]
    outs = [[w for w in range(n) if matrix[v][w]] for v in range(n)]
    return ins, outs


def wl_hash(ins: list[list[int]], outs: list[list[int]], labels: Sequence[int]) -> str:
    """Official NB101 module hash from neighbour lists and int labels (-1 input, -2 output)."""
    n = len(labels)
    hashes = [_md5(str((len(outs[v]), len(ins[v]), labels[v]))) for v in range(n)]
    for _ in range(n):
        hashes = [
            _md5(
                "".join(sorted([hashes[w] for w in ins[v]]))
                + "|"
                + "".join(sorted([hashes[w] for w in outs[v]]))
                + "|"
                + hashes[v]
            )
            for v in range(n)
        ]
    return _md5(str(sorted(hashes)))


def labels_of(ops: Sequence[str]) -> list[int]:
    """Official integer labels: -1 input, op index in `OPS` for interior vertices, -2 output."""
    return [-1] + [OPS.index(op) for op in ops[1:-1]] + [-2]


def module_hash(matrix: Sequence[Sequence[int]], ops: Sequence[str]) -> str:
    """Official module hash of an already pruned (matrix, ops) pair."""
    ins, outs = neighbours(matrix)
    return wl_hash(ins, outs, labels_of(ops))


# -------------------------------------------------------------------------- validation


def _as_matrix(adjacency: Any) -> np.ndarray:
    """Turn a list/array into a square 2-D int matrix of 0/1, or raise naming the problem."""
    try:
        arr = np.asarray(adjacency)
    except (ValueError, TypeError) as exc:
        raise InvalidCellError(
            f"adjacency is not a rectangular matrix ({exc}); pass a square list of lists of 0/1"
        ) from exc
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise InvalidCellError(
            f"adjacency must be a square matrix, got shape {arr.shape}; pass a V x V list of lists of 0/1"
        )
    if arr.shape[0] < 2:
        raise InvalidCellError(
            f"adjacency has {arr.shape[0]} vertices; a cell needs at least input and output"
        )
    if arr.dtype.kind not in "biuf" or not ((arr == 0) | (arr == 1)).all():
        raise InvalidCellError("adjacency entries must all be 0 or 1")
    return arr.astype(np.int8)


def _check_ops(ops: Sequence[str], n: int) -> tuple[str, ...]:
    """Check the op list against the matrix size and the allowed labels."""
    if isinstance(ops, str):
        raise InvalidCellError("ops must be a list of op names, not a single string")
    if not isinstance(ops, Sequence | np.ndarray):
        raise InvalidCellError(f"ops must be a list of op names ('input', ..., 'output'), got "
                               f"{type(ops).__name__}: {ops!r}")
    ops = tuple(str(op) for op in ops)
    if len(ops) != n:
        raise InvalidCellError(
            f"ops has {len(ops)} entries but the adjacency matrix has {n} vertices; "
            "give one op per vertex, 'input' first and 'output' last"
        )
    if ops[0] != INPUT or ops[-1] != OUTPUT:
        raise InvalidCellError(
            f"ops must start with 'input' and end with 'output', got {ops[0]!r} ... {ops[-1]!r}"
        )
    for v, op in enumerate(ops[1:-1], start=1):
        if op not in OPS:
            raise InvalidCellError(
                f"unknown op {op!r} at vertex {v}; valid interior ops are {', '.join(OPS)}"
            )
    return ops


def _check_dag(arr: np.ndarray) -> None:
    """Reject diagonal or lower-triangular entries: NB101 cells are DAGs in topological order."""
    rows, cols = np.nonzero(np.tril(arr))
    if len(rows):
        src, dst = int(rows[0]), int(cols[0])
        raise InvalidCellError(
            f"not a DAG: edge {src}->{dst} is on or below the diagonal (a self-loop or cycle); "
            "the adjacency must be strictly upper-triangular with vertices in topological order"
        )


def _reachable(rows: list[list[int]], start: int) -> set[int]:
    """Vertices reachable from `start` following the 0/1 adjacency rows."""
    seen = {start}
    frontier = [start]
    while frontier:
        row = rows[frontier.pop()]
        for v, edge in enumerate(row):
            if edge and v not in seen:
                seen.add(v)
                frontier.append(v)
    return seen


def prune(arr: np.ndarray, ops: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Drop vertices not on an input->output path (official ModelSpec pruning)."""
    n = arr.shape[0]
    forward = _reachable(arr.tolist(), 0)
    backward = _reachable(arr.T.tolist(), n - 1)
    keep = sorted(forward & backward)
    if len(keep) < 2:
        raise InvalidCellError(
            "input and output are disconnected: no path leads from vertex 0 to the last vertex; "
            "add edges so that the output is reachable from the input"
        )
    if len(keep) == n:
        return arr, ops
    return arr[np.ix_(keep, keep)], tuple(ops[v] for v in keep)


def _check_limits(arr: np.ndarray) -> None:
    """Enforce the NB101 size limits on the pruned cell."""
    n, e = arr.shape[0], int(arr.sum())
    if n > MAX_VERTICES:
        raise InvalidCellError(f"too many vertices: {n} after pruning, the NB101 limit is {MAX_VERTICES}")
    if e > MAX_EDGES:
        raise InvalidCellError(f"too many edges: {e} after pruning, the NB101 limit is {MAX_EDGES}")


def validate(adjacency: Any, ops: Sequence[str]) -> tuple[Matrix, tuple[str, ...]]:
    """Check, prune and limit-check a spec; return the pruned (matrix, ops) as tuples."""
    arr = _as_matrix(adjacency)
    ops_t = _check_ops(ops, arr.shape[0])
    _check_dag(arr)
    arr, ops_t = prune(arr, ops_t)
    _check_limits(arr)
    return tuple(tuple(int(x) for x in row) for row in arr.tolist()), ops_t


# ------------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class NB101Cell:
    """A pruned, valid NB101 cell; `==` compares matrix/ops, `.hash` is isomorphism-invariant."""

    matrix: Matrix
    ops: tuple[str, ...]

    def __post_init__(self) -> None:
        """Reject direct construction with an unpruned or invalid spec (use `from_spec`)."""
        matrix, ops = validate(self.matrix, self.ops)
        if matrix != tuple(map(tuple, self.matrix)) or len(ops) != len(self.ops):
            raise InvalidCellError(
                "NB101Cell(matrix, ops) needs an already pruned cell; "
                "build it with NB101Cell.from_spec(adjacency, ops), which prunes"
            )
        object.__setattr__(self, "matrix", matrix)
        object.__setattr__(self, "ops", ops)

    @classmethod
    def from_spec(cls, adjacency: Any, ops: Sequence[str]) -> NB101Cell:
        """Build a cell from a raw spec: validate, prune, then check the size limits."""
        matrix, ops_t = validate(adjacency, ops)
        return cls._trusted(matrix, ops_t)

    @classmethod
    def _trusted(cls, matrix: Matrix, ops: tuple[str, ...], hash_: str | None = None) -> NB101Cell:
        """Construct without re-validating (for data already known to be pruned and valid)."""
        cell = object.__new__(cls)
        object.__setattr__(cell, "matrix", matrix)
        object.__setattr__(cell, "ops", ops)
        if hash_ is not None:
            cell.__dict__["hash"] = hash_
        return cell

    @cached_property
    def hash(self) -> str:
        """Official NB101 module hash (isomorphism-invariant identity), computed once."""
        return module_hash(self.matrix, self.ops)

    @property
    def num_vertices(self) -> int:
        """Number of vertices, input and output included."""
        return len(self.ops)

    @property
    def num_edges(self) -> int:
        """Number of edges of the pruned cell."""
        return sum(map(sum, self.matrix))

    @property
    def adjacency(self) -> np.ndarray:
        """The adjacency matrix as a fresh int8 numpy array."""
        return np.array(self.matrix, dtype=np.int8)

    def to_dict(self) -> dict[str, list]:
        """JSON-ready {"adjacency": list of lists, "ops": list}."""
        return {"adjacency": [list(row) for row in self.matrix], "ops": list(self.ops)}

    def params(self) -> int:
        """Trainable parameters of the whole official CIFAR-10 network built on this cell."""
        return network_params(self.matrix, self.ops)

    @property
    def params_M(self) -> float:  # noqa: N802 - name fixed by the interface
        """Trainable parameters of the whole network, in millions."""
        return self.params() / 1e6

    def vertex_params(self) -> list[int]:
        """Per-vertex trainable parameters summed over the network's 9 cells (see `module_costs`)."""
        return _summed_costs(self.matrix, self.ops)[0]

    def vertex_flops(self) -> list[int]:
        """Per-vertex FLOPs summed over the network's 9 cells (see `module_costs`)."""
        return _summed_costs(self.matrix, self.ops)[1]

    def flops(self) -> int:
        """FLOPs of the whole network, counted as NAR counts them (see `network_flops`)."""
        return network_flops(self.matrix, self.ops)


# ------------------------------------------------------------------- channels and costs


def vertex_channels(in_channels: int, out_channels: int, matrix: Any) -> list[int]:
    """Channels of each vertex by the official rule: split the output among its feeders.

    The output channels are divided evenly among the interior vertices that feed the output
    (the remainder goes +1 to the lowest-numbered ones); any other interior vertex gets the
    max of the vertices it feeds. Input and output keep `in_channels` / `out_channels`.
    """
    m = matrix.tolist() if isinstance(matrix, np.ndarray) else matrix
    n = len(m)
    channels = [0] * n
    channels[0], channels[n - 1] = in_channels, out_channels
    if n == 2:
        return channels
    feeders = [v for v in range(1, n - 1) if m[v][n - 1]]
    base, extra = divmod(out_channels, len(feeders))
    for i, v in enumerate(feeders):
        channels[v] = base + (1 if i < extra else 0)
    for v in range(n - 3, 0, -1):
        if not m[v][n - 1]:
            targets = [channels[d] for d in range(v + 1, n - 1) if m[v][d]]
            channels[v] = max([channels[v], *targets])
    return channels


def module_plan() -> list[tuple[int, int, int]]:
    """(in_channels, out_channels, spatial positions) of each of the 9 cells, in order."""
    plan = []
    c_in, c_out, side = STEM_CHANNELS, STEM_CHANNELS, IMAGE_SIZE
    for stack in range(NUM_STACKS):
        if stack > 0:
            c_out, side = c_out * 2, (side + 1) // 2
        for _ in range(MODULES_PER_STACK):
            plan.append((c_in, c_out, side * side))
            c_in = c_out
    return plan


def _conv_bn(c_in: int, c_out: int, kernel: int) -> int:
    """Trainable parameters of conv (no bias) + batch norm (gamma and beta)."""
    return kernel * kernel * c_in * c_out + 2 * c_out


def module_costs(
    matrix: Matrix, ops: Sequence[str], c_in: int, c_out: int, hw: int
) -> tuple[list[int], list[int]]:
    """Per-vertex (params, FLOPs) of one cell with `c_in` -> `c_out` channels on `hw` pixels.

    A vertex owns its 1x1 input projection (when input feeds it) and its op; the output owns
    the input->output projection. FLOPs count a multiply-add as 2 for every convolution, 9
    per output element for a 3x3 max-pool, and one per element for each extra summand at a
    vertex (k inputs -> k-1 adds); batch norm, ReLU, truncation and concat count 0. This
    reproduces NAR's official per-vertex numbers.
    """
    n = len(ops)
    out = n - 1
    ch = vertex_channels(c_in, c_out, matrix)
    params, flops = [0] * n, [0] * n
    for t in range(1, out):
        c = ch[t]
        inputs = sum(matrix[s][t] for s in range(1, t))
        if matrix[0][t]:
            params[t] += _conv_bn(c_in, c, 1)
            flops[t] += 2 * c_in * c * hw
            inputs += 1
        flops[t] += (inputs - 1) * c * hw
        if ops[t] in _KERNEL:
            k = _KERNEL[ops[t]]
            params[t] += _conv_bn(c, c, k)
            flops[t] += 2 * k * k * c * c * hw
        else:
            flops[t] += _MAXPOOL_WINDOW * c * hw
    if matrix[0][out]:
        params[out] += _conv_bn(c_in, c_out, 1)
        flops[out] += 2 * c_in * c_out * hw
        if any(matrix[t][out] for t in range(1, out)):
            flops[out] += c_out * hw
    return params, flops


def _summed_costs(matrix: Matrix, ops: Sequence[str]) -> tuple[list[int], list[int]]:
    """Per-vertex params and FLOPs summed over the 9 cells of the network (memoised)."""
    key = tuple(map(tuple, np.asarray(matrix).tolist())), tuple(ops)
    params, flops = _summed_costs_cached(*key)
    return list(params), list(flops)


@lru_cache(maxsize=1 << 16)
def _summed_costs_cached(matrix: Matrix, ops: tuple[str, ...]) -> tuple[tuple[int, ...], ...]:
    params, flops = [0] * len(ops), [0] * len(ops)
    for c_in, c_out, hw in module_plan():
        p, f = module_costs(matrix, ops, c_in, c_out, hw)
        params = [a + b for a, b in zip(params, p)]
        flops = [a + b for a, b in zip(flops, f)]
    return tuple(params), tuple(flops)


def network_base_costs() -> tuple[int, int]:
    """(params, FLOPs) of everything outside the cells: stem, pools between stacks, classifier.

    FLOPs: stem conv, the 2x2 max-pools between stacks (4 per output element), global average
    pool (1 per input element) and the dense layer (2 per multiply-add + bias), as NAR counts them."""
    side = IMAGE_SIZE
    plan = module_plan()
    final_channels, final_hw = plan[-1][1], plan[-1][2]
    params = _conv_bn(3, STEM_CHANNELS, 3) + final_channels * NUM_CLASSES + NUM_CLASSES
    flops = 2 * 9 * 3 * STEM_CHANNELS * side * side
    for i, (c_in, _, hw) in enumerate(plan):
        if i > 0 and i % MODULES_PER_STACK == 0:
            flops += 4 * c_in * hw
    flops += final_channels * final_hw + 2 * final_channels * NUM_CLASSES + NUM_CLASSES
    return params, flops


def network_params(matrix: Matrix, ops: Sequence[str]) -> int:
    """Trainable parameters of stem + 9 cells + dense classifier (official network)."""
    return network_base_costs()[0] + sum(_summed_costs(matrix, ops)[0])


def network_flops(matrix: Matrix, ops: Sequence[str]) -> int:
    """FLOPs of the whole network (`network_base_costs` + the 9 cells' vertices); reproduces
    NAR's total `flops`."""
    return network_base_costs()[1] + sum(_summed_costs(matrix, ops)[1])


# ----------------------------------------------------------------- sampling and mutation


def _generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Accept a Generator or an int seed."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def random_cell(rng: np.random.Generator | int | None = None, max_tries: int = 10_000) -> NB101Cell:
    """One valid cell drawn like the official generator (random 7x7 DAG + ops, pruned, retried)."""
    gen = _generator(rng)
    for _ in range(max_tries):
        matrix = np.triu(gen.integers(0, 2, size=(MAX_VERTICES, MAX_VERTICES)), 1)
        interior = [OPS[i] for i in gen.integers(0, len(OPS), size=MAX_VERTICES - 2)]
        try:
            return NB101Cell.from_spec(matrix, [INPUT, *interior, OUTPUT])
        except InvalidCellError:
            continue
    raise InvalidCellError(f"no valid NB101 cell drawn in {max_tries} tries")


def sample(n: int, rng: np.random.Generator | int | None = None) -> list[NB101Cell]:
    """`n` valid cells drawn like the official random spec generator (duplicates possible)."""
    gen = _generator(rng)
    return [random_cell(gen) for _ in range(n)]


def _neighbour_specs(cell: NB101Cell) -> list[tuple[np.ndarray, list[str]]]:
    """Every single-change spec of a cell: each edge flipped, or one op changed."""
    specs = []
    n = cell.num_vertices
    for i in range(n):
        for j in range(i + 1, n):
            m = cell.adjacency
            m[i, j] ^= 1
            specs.append((m, list(cell.ops)))
    for v in range(1, n - 1):
        for op in OPS:
            if op != cell.ops[v]:
                ops = list(cell.ops)
                ops[v] = op
                specs.append((cell.adjacency, ops))
    return specs


def mutate(cell: NB101Cell, rng: np.random.Generator | int | None = None) -> NB101Cell:
    """A random valid cell one edge flip or one op change away, with a different hash.

    Candidates are tried in random order, so the result is uniform over the valid ones. The
    lone input->output cell has no such neighbour; it grows a vertex with a random op
    instead (input->v->output, keeping the input->output edge).
    """
    gen = _generator(rng)
    specs = _neighbour_specs(cell)
    for k in gen.permutation(len(specs)).tolist():
        matrix, ops = specs[k]
        try:
            child = NB101Cell.from_spec(matrix, ops)
        except InvalidCellError:
            continue
        if child.hash != cell.hash:
            return child
    op = OPS[int(gen.integers(len(OPS)))]
    return NB101Cell.from_spec([[0, 1, 1], [0, 0, 1], [0, 0, 0]], [INPUT, op, OUTPUT])


# -------------------------------------------------------------------- whole-space access


def enumerate_hashes(cache_dir: Any = None) -> np.ndarray:
    """All 423,624 official hashes (sorted, read-only str array), from the on-disk cache."""
    from narank.spaces import nb101_enumerate

    return nb101_enumerate.load_space(cache_dir).hashes


def all_specs(cache_dir: Any = None) -> list[NB101Cell]:
    """Every cell of the space, in the order of `enumerate_hashes()`."""
    from narank.spaces import nb101_enumerate

    return nb101_enumerate.load_space(cache_dir).cells()


def from_hash(hash_: str, cache_dir: Any = None) -> NB101Cell:
    """The cell with this official hash (a representative matrix), from the enumeration."""
    from narank.spaces import nb101_enumerate

    return nb101_enumerate.load_space(cache_dir).cell(hash_)


def count(cache_dir: Any = None) -> int:
    """Number of unique cells in the space (423,624), from the enumeration."""
    return len(enumerate_hashes(cache_dir))


# ----------------------------------------------------------------------------- the space


def _json(value: Any, what: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidCellError(f"{what} is not valid JSON ({exc}): {value!r}") from exc
    return value


_HASH_RE = re.compile(r"^[0-9a-f]{32}$")
NB101_EXTRA = "nb101/nb101_naslib292.csv"


class NB101Space(SearchSpace):
    """NAS-Bench-101: DAGs of at most 7 vertices and 9 edges, 423,624 unique cells, CIFAR-10."""

    name = "nb101"
    title = "NAS-Bench-101"
    datasets = ("cifar10",)
    nar_lambda = 9.0
    train_sizes = (100, 172, 424, 4236)
    default_train_size = 4236
    node_labels = (INPUT, OUTPUT, *OPS)
    table_files = ("nb101/nb101_official.csv", "nb101/nb101.csv")
    canonical_table = "nb101/nb101.csv"
    id_name = "hash"
    #: random single-edit neighbours a search looks at around a good cell
    n_neighbours = 24

    def owns(self, cell: Any) -> bool:
        return isinstance(cell, NB101Cell)

    def parse(self, obj: Any) -> NB101Cell:
        if isinstance(obj, NB101Cell):
            return obj
        if is_networkx(obj):
            return NB101Cell.from_spec(*node_cell_from_networkx(obj, "NB101 cell graph"))
        if isinstance(obj, dict):
            adjacency = obj.get("adjacency", obj.get("matrix", obj.get("module_adjacency")))
            ops = obj.get("ops", obj.get("module_operations"))
            if adjacency is None or ops is None:
                raise InvalidCellError(
                    f"NB101 cell dict needs 'adjacency' and 'ops' keys, got {sorted(obj)}"
                )
            return NB101Cell.from_spec(_json(adjacency, "adjacency"), _json(ops, "ops"))
        if isinstance(obj, (list, tuple)) and len(obj) == 2:
            return NB101Cell.from_spec(_json(obj[0], "adjacency"), _json(obj[1], "ops"))
        raise InvalidCellError(
            f"cannot read an NB101 cell from {obj!r}: give {{\"adjacency\": [[...]], \"ops\": "
            "[\"input\", ..., \"output\"]} or an (adjacency, ops) pair"
        )

    def is_id(self, text: str) -> bool:
        return bool(_HASH_RE.match(text))

    def canonical_id(self, cell: NB101Cell) -> str:
        return cell.hash

    def iso_key(self, cell: NB101Cell) -> str:
        return cell.hash

    def to_networkx(self, cell: NB101Cell) -> Any:
        """Vertices 0..n-1 carrying `op` (input first, output last), edges of the pruned matrix."""
        return node_cell_to_networkx(cell.matrix, cell.ops)

    def describe(self, cell: NB101Cell) -> dict[str, Any]:
        return {"space": self.name, "id": cell.hash, "hash": cell.hash, **cell.to_dict(),
                "num_vertices": cell.num_vertices, "num_edges": cell.num_edges}

    def label(self, cell: NB101Cell) -> str:
        return f"{cell.hash}  ops={list(cell.ops[1:-1])}"

    def dataset(self, name: str | None) -> str:
        if name not in (None, "cifar10"):
            raise NarankError(f"NB101 has only the cifar10 dataset, not {name!r}")
        return "cifar10"

    @property
    def size(self) -> int:
        return NUM_CELLS

    def list_cells(self, cache_dir: Any = None, jobs: int | None = None) -> list[str]:
        """All 423,624 official hashes, sorted, from the enumeration cache (built once if missing)."""
        from narank.spaces import nb101_enumerate

        return nb101_enumerate.load_space(cache_dir, n_jobs=jobs).hashes.tolist()

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> list[NB101Cell]:
        return sample(n, rng)

    def mutate(self, cell: NB101Cell, rng: np.random.Generator | int | None = None) -> NB101Cell:
        return mutate(cell, rng)

    def neighbours(self, cell: NB101Cell, rng: np.random.Generator | int | None = None) -> list[NB101Cell]:
        """`n_neighbours` random single-edit mutations (the full neighbourhood is large)."""
        gen = _generator(rng)
        return [mutate(cell, gen) for _ in range(self.n_neighbours)]

    def params_M(self, cell: NB101Cell, dataset: str | None = None) -> float:  # noqa: N802
        self.dataset(dataset)
        return cell.params_M

    def flops_M(self, cell: NB101Cell, dataset: str | None = None) -> float:  # noqa: N802
        self.dataset(dataset)
        return cell.flops() / 1e6

    def cell_features(self, cells: Sequence[NB101Cell], dataset: str | None = None) -> dict[str, np.ndarray]:
        """flops_M, params_M, num_vertices and the count of each op (`op:<name>`)."""
        self.dataset(dataset)
        out = {
            "flops_M": np.array([c.flops() / 1e6 for c in cells], dtype=float),
            "params_M": np.array([c.params_M for c in cells], dtype=float),
            "num_vertices": np.array([c.num_vertices for c in cells], dtype=float),
        }
        for op in OPS:
            out[f"op:{op}"] = np.array([sum(o == op for o in c.ops) for c in cells], dtype=float)
        return out

    def encode(self, cells: Sequence[NB101Cell]) -> np.ndarray:
        """Padded 7x7 upper triangle (21, output kept last) + one-hot interior ops (5 x 3)."""
        rows = []
        for cell in cells:
            n = len(cell.ops)
            matrix = np.asarray(cell.matrix)
            adj = np.zeros((MAX_VERTICES, MAX_VERTICES))
            adj[:n - 1, :n - 1] = matrix[:n - 1, :n - 1]
            adj[:n - 1, MAX_VERTICES - 1] = matrix[:n - 1, n - 1]
            ops = np.zeros((MAX_VERTICES - 2, len(OPS)))
            for i, op in enumerate(cell.ops[1:-1]):
                ops[i, OPS.index(op)] = 1
            rows.append(np.concatenate([adj[np.triu_indices(MAX_VERTICES, 1)], ops.ravel()]))
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)

    def structure(self, cell: NB101Cell) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
        src, dst = np.nonzero(np.asarray(cell.matrix))
        return tuple(cell.ops), tuple(zip(src.tolist(), dst.tolist(), strict=True))

    def node_costs(self, cell: NB101Cell, dataset: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per-vertex MFLOPs and M params summed over the network's 9 cells."""
        return (np.asarray(cell.vertex_flops(), dtype=float) / 1e6,
                np.asarray(cell.vertex_params(), dtype=float) / 1e6)

    def dense_count(self) -> int:
        return NUM_CELLS

    def dense_cells(self, start: int, stop: int, dataset: str | None = None):
        """Cells [start, stop) of the enumeration (hash order) as padded arrays, built in bulk."""
        from narank.spaces import nb101_enumerate

        self.dataset(dataset)
        return nb101_enumerate.load_space().dense(start, stop)

    def columns(self, dataset: str | None = None, target: str = "valid") -> TableColumns:
        """One accuracy only (a single run's validation accuracy): trained on and reported."""
        self.dataset(dataset)
        if target not in ("valid", "test"):
            raise NarankError(f"target must be 'valid' or 'test', got {target!r}")
        return TableColumns("cifar10_valid_acc", "cifar10_valid_acc", "params_M", "flops_M")



SPACE = register(NB101Space())
