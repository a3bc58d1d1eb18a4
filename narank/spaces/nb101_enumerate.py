"""Enumerate the whole NB101 space (423,624 cells) and cache it on disk.

Method: list every upper-triangular graph shape with 2..7 vertices and at most 9 edges in
which every vertex lies on an input->output path; keep one shape per isomorphism class (a
canonical code: the smallest bitmask over the interior-vertex relabellings that keep the
matrix upper-triangular); then hash every op labelling of every shape with the official
hash, in parallel, and keep one cell per hash. Shape dedupe leaves ~451k labelled graphs to
hash instead of ~1.29M.

The cache is one `.npz` file (md5 digests, packed matrices and ops, a sha256 checksum),
written atomically and checked on load; a bad cache is rebuilt with a warning.
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import itertools
import os
import sys
import warnings
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from narank.atomic import atomic_write
from narank.caches import Cache
from narank.errors import DataFileError, InvalidCellError
from narank.paths import cache_dir as default_cache_dir
from narank.spaces.base import DenseCells
from narank.spaces.nb101 import (
    INPUT,
    MAX_EDGES,
    MAX_VERTICES,
    NUM_CELLS,
    OPS,
    OUTPUT,
    Matrix,
    NB101Cell,
    _summed_costs,
    neighbours,
    network_base_costs,
    wl_hash,
)

CACHE_VERSION = 1
_CHUNK_GRAPHS = 10_000  # labelled graphs per parallel task
_ARRAYS = ("digests", "codes", "sizes", "op_codes")
_MEMO: Cache[tuple[Path, int, int], SpaceTable] = Cache("NB101 enumerations", 2)


# ----------------------------------------------------------------- packing of cells


def edge_bit(src: int, dst: int) -> int:
    """Bit index of edge src->dst (src < dst) in the official column-major bitmask."""
    return src + dst * (dst - 1) // 2


def matrix_to_code(matrix: Matrix) -> int:
    """Pack an upper-triangular matrix into an int bitmask (`edge_bit` order)."""
    n = len(matrix)
    return sum(1 << edge_bit(x, y) for y in range(n) for x in range(y) if matrix[x][y])


def code_to_matrix(code: int, n: int) -> Matrix:
    """Unpack a bitmask into an n x n matrix of 0/1 tuples."""
    return tuple(tuple(int(x < y and (code >> edge_bit(x, y)) & 1) for y in range(n)) for x in range(n))


def ops_to_code(ops: tuple[str, ...]) -> int:
    """Pack interior ops as base-3 digits (vertex 1 is the least significant digit)."""
    return sum(OPS.index(op) * 3**i for i, op in enumerate(ops[1:-1]))


def code_to_ops(code: int, n: int) -> tuple[str, ...]:
    """Unpack base-3 op digits into the full op tuple with input/output."""
    interior = tuple(OPS[(code // 3**i) % 3] for i in range(n - 2))
    return (INPUT, *interior, OUTPUT)


# ------------------------------------------------------------------- graph shapes


def full_dag_codes(n: int, max_edges: int = MAX_EDGES) -> np.ndarray:
    """Bitmasks of n-vertex DAGs with <= max_edges edges where every vertex is on an
    input->output path (only vertex 0 lacks in-edges, only vertex n-1 lacks out-edges)."""
    nbits = n * (n - 1) // 2
    codes = np.arange(2**nbits, dtype=np.uint32)
    edges = np.zeros(len(codes), dtype=np.uint32)
    for b in range(nbits):
        edges += (codes >> np.uint32(b)) & np.uint32(1)
    ok = edges <= max_edges
    for v in range(n):
        if v < n - 1:
            out_mask = sum(1 << edge_bit(v, y) for y in range(v + 1, n))
            ok &= (codes & np.uint32(out_mask)) != 0
        if v > 0:
            in_mask = sum(1 << edge_bit(x, v) for x in range(v))
            ok &= (codes & np.uint32(in_mask)) != 0
    return codes[ok]


def _relabel(codes: np.ndarray, n: int, perm: list[int]) -> np.ndarray:
    """Codes after renaming vertex v to perm[v]; graphs that stop being upper-triangular
    get the max uint32 (never the minimum)."""
    new = np.zeros_like(codes)
    bad = np.zeros(len(codes), dtype=bool)
    for y in range(n):
        for x in range(y):
            bit = (codes >> np.uint32(edge_bit(x, y))) & np.uint32(1)
            px, py = perm[x], perm[y]
            if px < py:
                new |= bit << np.uint32(edge_bit(px, py))
            else:
                bad |= bit.astype(bool)
    return np.where(bad, np.uint32(0xFFFFFFFF), new)


def canonical_codes(codes: np.ndarray, n: int) -> np.ndarray:
    """Isomorphism-canonical code of each shape: the min over interior relabellings.

    Input and output are the unique source and sink, so only interior vertices move.
    """
    best = codes.copy()
    for interior in itertools.permutations(range(1, n - 1)):
        best = np.minimum(best, _relabel(codes, n, [0, *interior, n - 1]))
    return best


def unique_shapes(max_vertices: int = MAX_VERTICES, max_edges: int = MAX_EDGES) -> list[tuple[int, int]]:
    """One (num_vertices, code) per unlabelled shape up to isomorphism, sorted."""
    shapes = []
    for n in range(2, max_vertices + 1):
        canon = np.unique(canonical_codes(full_dag_codes(n, max_edges), n))
        shapes.extend((n, int(c)) for c in canon)
    return shapes


# ------------------------------------------------------------------------ labelling


def label_shapes(shapes: list[tuple[int, int]]) -> list[tuple[bytes, int, int, int]]:
    """Hash every op labelling of each shape: (md5 digest, code, size, op code), first per hash."""
    seen: dict[bytes, tuple[bytes, int, int, int]] = {}
    for n, code in shapes:
        ins, outs = neighbours(code_to_matrix(code, n))
        for op_code, interior in enumerate(itertools.product(range(len(OPS)), repeat=n - 2)):
            labels = [-1, *reversed(interior), -2]
            digest = bytes.fromhex(wl_hash(ins, outs, labels))
            if digest not in seen:
                seen[digest] = (digest, code, n, op_code)
    return list(seen.values())


def _chunks(shapes: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Split shapes into tasks of about `_CHUNK_GRAPHS` labelled graphs each."""
    chunks, current, weight = [], [], 0
    for shape in shapes:
        current.append(shape)
        weight += 3 ** (shape[0] - 2)
        if weight >= _CHUNK_GRAPHS:
            chunks.append(current)
            current, weight = [], 0
    if current:
        chunks.append(current)
    return chunks


def _die_with_parent() -> None:
    """Worker initializer: ask Linux to end this worker when its parent dies (even by SIGKILL).

    The standard library has no such option, and neither joblib's loky nor multiprocessing ends
    workers of a parent killed with SIGKILL; prctl(PR_SET_PDEATHSIG) does, where it exists.
    """
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: workers end when they next find the pool gone
        pass


def _run_chunks(chunks: list, n_jobs: int, progress: bool) -> list[list]:
    """Label the chunks, in parallel when n_jobs > 1, with a progress bar on stderr."""
    total = sum(3 ** (n - 2) for chunk in chunks for n, _ in chunk)
    bar = tqdm(total=total, desc="NB101 enumeration", unit="graph", file=sys.stderr, disable=not progress)
    results = []
    with bar, contextlib.ExitStack() as stack:
        if n_jobs > 1:
            from concurrent.futures import ProcessPoolExecutor

            pool = stack.enter_context(ProcessPoolExecutor(n_jobs, initializer=_die_with_parent))
            results_iter = pool.map(label_shapes, chunks)
        else:
            results_iter = map(label_shapes, chunks)
        for chunk, result in zip(chunks, results_iter):
            results.append(result)
            bar.update(sum(3 ** (n - 2) for n, _ in chunk))
    return results


# ---------------------------------------------------------------------- the table


@dataclass(frozen=True)
class SpaceTable:
    """The enumerated space, sorted by hash: digests plus one packed cell per hash."""

    digests: np.ndarray  # (N, 16) uint8 md5 digests, sorted
    codes: np.ndarray  # (N,) uint32 adjacency bitmasks
    sizes: np.ndarray  # (N,) uint8 number of vertices
    op_codes: np.ndarray  # (N,) uint16 base-3 interior ops
    max_vertices: int = MAX_VERTICES
    max_edges: int = MAX_EDGES

    def __len__(self) -> int:
        """Number of cells."""
        return len(self.codes)

    @cached_property
    def hashes(self) -> np.ndarray:
        """Hex hashes as a read-only str array (sorted)."""
        hexed = binascii.hexlify(np.ascontiguousarray(self.digests).tobytes())
        out = np.frombuffer(hexed, dtype="S32").astype("U32")
        out.setflags(write=False)
        return out

    def cells(self) -> list[NB101Cell]:
        """All cells as NB101Cell (shared row tuples, hash pre-filled), in hash order."""
        matrices: dict[tuple[int, int], Matrix] = {}
        op_tuples: dict[tuple[int, int], tuple[str, ...]] = {}
        out = []
        for h, code, n, op_code in zip(
            self.hashes.tolist(), self.codes.tolist(), self.sizes.tolist(), self.op_codes.tolist()
        ):
            m = matrices.get((n, code))
            if m is None:
                m = matrices[(n, code)] = code_to_matrix(code, n)
            o = op_tuples.get((n, op_code))
            if o is None:
                o = op_tuples[(n, op_code)] = code_to_ops(op_code, n)
            out.append(NB101Cell._trusted(m, o, h))
        return out

    @cached_property
    def _shape_index(self) -> tuple[np.ndarray, np.ndarray]:
        """(unique (size << 32 | code) shape keys, each cell's shape number)."""
        keys = (self.sizes.astype(np.int64) << 32) | self.codes.astype(np.int64)
        uniq, inverse = np.unique(keys, return_inverse=True)
        return uniq, inverse.astype(np.int32)

    @cached_property
    def _shape_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per shape: adjacency (S, V, V) and per-vertex (FLOPs, params) for each op (S, V, 3).

        A vertex's costs depend only on the matrix and its own op, so three all-one-op
        labellings per shape give every cell's costs through the exact scalar code.
        """
        uniq, _ = self._shape_index
        v = self.max_vertices
        adj = np.zeros((len(uniq), v, v), dtype=bool)
        flops = np.zeros((len(uniq), v, len(OPS)), dtype=np.int64)
        params = np.zeros((len(uniq), v, len(OPS)), dtype=np.int64)
        for s, key in enumerate(uniq.tolist()):
            n, code = key >> 32, key & 0xFFFFFFFF
            matrix = code_to_matrix(code, n)
            adj[s, :n, :n] = np.asarray(matrix, dtype=bool)
            for k, op in enumerate(OPS):
                p, f = _summed_costs(matrix, (INPUT, *(op,) * (n - 2), OUTPUT))
                params[s, :n, k] = p
                flops[s, :n, k] = f
        return adj, flops, params

    def dense(self, start: int, stop: int) -> DenseCells:
        """Cells [start, stop) (hash order) as padded arrays; labels index `NB101Space.node_labels`."""
        _, shape_of = self._shape_index
        adj_s, flops_s, params_s = self._shape_arrays
        rows = slice(start, stop)
        shape = shape_of[rows]
        sizes = self.sizes[rows].astype(np.int64)
        op_codes = self.op_codes[rows].astype(np.int64)
        m, v = len(shape), self.max_vertices
        vertex = np.arange(v)
        # interior vertex t (1..n-2) has op digit t-1 of the base-3 op code
        digit = (op_codes[:, None] // 3 ** np.maximum(vertex - 1, 0)[None, :]) % 3
        interior = (vertex[None, :] >= 1) & (vertex[None, :] < sizes[:, None] - 1)
        labels = np.where(interior, 2 + digit, -1)  # node_labels = (input, output, *OPS)
        labels[:, 0] = 0
        labels[np.arange(m), sizes - 1] = 1
        k = np.where(interior, digit, 0)
        take = (shape[:, None], vertex[None, :], k)
        node_flops, node_params = flops_s[take], params_s[take]
        base_params, base_flops = network_base_costs()
        return DenseCells(ids=self.hashes[rows], labels=labels, adj=adj_s[shape],
                          node_flops_M=node_flops / 1e6, node_params_M=node_params / 1e6,
                          flops_M=(node_flops.sum(axis=1) + base_flops) / 1e6,
                          params_M=(node_params.sum(axis=1) + base_params) / 1e6)

    def cell(self, hash_: str) -> NB101Cell:
        """The cell with this hash, or InvalidCellError if the hash is not in the space."""
        i = int(np.searchsorted(self.hashes, hash_))
        if i >= len(self) or self.hashes[i] != hash_:
            raise InvalidCellError(
                f"hash {hash_!r} is not an NB101 cell; pass a 32-character official module hash"
            )
        n, code, op_code = int(self.sizes[i]), int(self.codes[i]), int(self.op_codes[i])
        return NB101Cell._trusted(code_to_matrix(code, n), code_to_ops(op_code, n), hash_)


def build_space(
    max_vertices: int = MAX_VERTICES,
    max_edges: int = MAX_EDGES,
    n_jobs: int | None = None,
    progress: bool = True,
) -> SpaceTable:
    """Enumerate the space from nothing (about a minute on 2 cores for the full space)."""
    jobs = n_jobs if n_jobs is not None else (os.cpu_count() or 1)
    results = _run_chunks(_chunks(unique_shapes(max_vertices, max_edges)), jobs, progress)
    first: dict[bytes, tuple[bytes, int, int, int]] = {}
    for result in results:
        for row in result:
            first.setdefault(row[0], row)
    rows = [first[d] for d in sorted(first)]
    table = SpaceTable(
        digests=np.frombuffer(b"".join(r[0] for r in rows), dtype=np.uint8).reshape(-1, 16),
        codes=np.array([r[1] for r in rows], dtype=np.uint32),
        sizes=np.array([r[2] for r in rows], dtype=np.uint8),
        op_codes=np.array([r[3] for r in rows], dtype=np.uint16),
        max_vertices=max_vertices,
        max_edges=max_edges,
    )
    if (max_vertices, max_edges) == (MAX_VERTICES, MAX_EDGES) and len(table) != NUM_CELLS:
        raise RuntimeError(f"enumeration found {len(table)} cells, expected {NUM_CELLS}")
    return table


# -------------------------------------------------------------------------- caching


def cache_path(cache_dir: Any = None, max_vertices: int = MAX_VERTICES, max_edges: int = MAX_EDGES) -> Path:
    """Cache file of an enumeration with these limits."""
    name = f"nb101_space_v{max_vertices}_e{max_edges}_c{CACHE_VERSION}.npz"
    return default_cache_dir(cache_dir) / name


def _checksum(arrays: dict[str, np.ndarray]) -> str:
    """sha256 over the payload arrays, to detect corruption on load."""
    digest = hashlib.sha256()
    for key in _ARRAYS:
        digest.update(np.ascontiguousarray(arrays[key]).tobytes())
    return digest.hexdigest()


def save_space(table: SpaceTable, path: Path) -> None:
    """Write the table atomically (`narank.atomic`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {key: getattr(table, key) for key in _ARRAYS}
    meta = np.array([CACHE_VERSION, table.max_vertices, table.max_edges], dtype=np.int64)
    atomic_write(path, lambda fh: np.savez(fh, meta=meta, checksum=np.array(_checksum(arrays)), **arrays))


def read_space(path: Path, max_vertices: int = MAX_VERTICES, max_edges: int = MAX_EDGES) -> SpaceTable:
    """Load and check a cache file; raise DataFileError saying what is wrong."""
    fix = f"delete {path} to rebuild it"
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in (*_ARRAYS, "meta", "checksum")}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise DataFileError(f"{path}: unreadable NB101 cache ({exc}); {fix}") from exc
    meta = arrays["meta"].tolist()
    if meta != [CACHE_VERSION, max_vertices, max_edges]:
        raise DataFileError(
            f"{path}: cache header {meta} does not match "
            f"[{CACHE_VERSION}, {max_vertices}, {max_edges}]; {fix}"
        )
    n = len(arrays["codes"])
    if arrays["digests"].shape != (n, 16) or any(len(arrays[k]) != n for k in _ARRAYS):
        raise DataFileError(f"{path}: cache arrays have inconsistent lengths; {fix}")
    if str(arrays["checksum"]) != _checksum(arrays):
        raise DataFileError(f"{path}: cache checksum mismatch (corrupt file); {fix}")
    table = SpaceTable(
        digests=arrays["digests"],
        codes=arrays["codes"],
        sizes=arrays["sizes"],
        op_codes=arrays["op_codes"],
        max_vertices=max_vertices,
        max_edges=max_edges,
    )
    if (max_vertices, max_edges) == (MAX_VERTICES, MAX_EDGES) and n != NUM_CELLS:
        raise DataFileError(f"{path}: cache holds {n} cells, expected {NUM_CELLS}; {fix}")
    return table


def load_space(
    cache_dir: Any = None,
    max_vertices: int = MAX_VERTICES,
    max_edges: int = MAX_EDGES,
    n_jobs: int | None = None,
    progress: bool = True,
) -> SpaceTable:
    """The enumerated space: from memory, else the disk cache, else built and cached.

    A cache that fails its checks is rebuilt (with a warning) and overwritten.
    """
    path = cache_path(cache_dir, max_vertices, max_edges)
    key = (path.resolve(), max_vertices, max_edges)
    if key in _MEMO:
        return _MEMO[key]
    table = None
    if path.exists():
        try:
            table = read_space(path, max_vertices, max_edges)
        except DataFileError as exc:
            warnings.warn(f"rebuilding the NB101 enumeration: {exc}", stacklevel=2)
    if table is None:
        table = build_space(max_vertices, max_edges, n_jobs, progress)
        save_space(table, path)
    _MEMO[key] = table
    return table


def clear_memo() -> None:
    """Forget tables loaded in this process (the disk cache stays)."""
    _MEMO.clear()
