"""SED: a data-free, running-free score from topology alone (entropy-power propagation).

Each node of a cell carries the entropy power v (the variance of the Gaussian that its local
patch sums up) relative to the cell input; an op multiplies it by a gain derived from the
Gaussian model, a node summing independent paths adds their entropy powers, and a node
concatenating channel groups (NB101's output) has, per channel, the channel-weighted mean of
the groups' entropies (a block-diagonal multivariate Gaussian). The value of a node is its
local entropy h = 1/2 log v. How a design turns this into a cell score (which widths, whether
the network's cells are averaged) is a `SedDesign`; the named designs, today's `sed-v1` among
them, are in `benchmarks.sed_variants`, and `FROZEN` is the one every space uses. See
docs/sed.md for the derivation and the selection.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NB201_EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
NB101_OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")

# Entropy of a dead node (no path from the input): a finite floor so features stay usable.
FLOOR = -10.0
# ReLU keeps half the second moment of a zero-mean Gaussian: E[relu(x)^2] = sigma^2 / 2.
RELU_GAIN = 0.5
# Variance of the maximum of 9 i.i.d. standard normals (3x3 max-pool of a Gaussian patch).
MAX9_VAR = 0.3573533263578139
# Network skeletons: (cell input width, cell output width) of every cell of the network.
NB201_STEM = 16
NB201_NETWORK = tuple((c, c) for c in (16, 32, 64) for _ in range(5))
NB101_STEM = 128
NB101_NETWORK = ((128, 128), (128, 128), (128, 128), (128, 256), (256, 256), (256, 256),
                 (256, 512), (512, 512), (512, 512))
NB101_MAX_VERTICES = 7


@dataclass(frozen=True)
class SedDesign:
    """One SED design: every choice that turns the entropy-power model into a score.

    - `macro`: False scores the cell at the stem width only; True averages the node entropies
      over every cell of the network skeleton, each at its own widths (h adds up along a stack
      of cells, so the network's entropy is the sum; the mean keeps the scale of one cell).
    - `split`: NB101 only. True gives each vertex the channels the official network gives it
      (the output width split among the output's feeders), so a conv's variety k^2 C / 2 uses
      its real input width; False uses the cell's width for every vertex (sed-v1).
    - `concat`: NB101 output only. "entropy": per channel, the channel-weighted mean of the
      feeders' entropies (concatenated independent blocks: joint entropy = sum of blocks');
      "power": the plain mean of their entropy powers (sed-v1).
    - `relu`: second-moment factor of ReLU (1/2 for a zero-mean Gaussian; 1 ignores it).
    - `pool_gain`: NB201 avg-pool gain (1/9: mean of 9 independent terms).
    - `combine` (round 2): "path" propagates entropy powers along the paths of the cell (round 1:
      gains multiply along a path, paths add); "local" lets batch norm reset every op's input to
      unit variance, so each op node carries only its own local entropy change 1/2 log g, and
      the cell's change is the sum over the live op nodes (those on an input->output path).
    - `merge` (local only): a node summing m live independent unit-variance inputs gains
      1/2 log m, added to the node that sums (NB201: to the output node).
    - `proj` (local only, NB101): the input's 1x1 conv-BN-ReLU projections are ops too, each a
      local change 1/2 log(C_in / 2) carried by the vertex it feeds.
    - `reductions` (local, macro only): the network's downsampling blocks join the sum (added to
      the output node, per cell of the network). They differ between cells only in NATS-SSS
      (ResNet blocks at the searched widths); in NB201 and NB101 they are the same for every
      cell, a constant that is left out.
    - `round`: the design round that introduced it (1: NB201 development only; 2: docs/sed.md).
    """

    name: str
    macro: bool = True
    split: bool = True
    concat: str = "entropy"
    relu: float = RELU_GAIN
    pool_gain: float = 1.0 / 9.0
    combine: str = "path"
    merge: bool = False
    proj: bool = True
    reductions: bool = False
    round: int = 1
    note: str = ""


# The design every space uses: round 2 (docs/sed.md), chosen by the declared rule (highest
# minimum development rho over NB201 C10 valid, the NB101 development half and the NATS-SSS C10
# development half) among the designs of `benchmarks.sed_variants.DESIGNS`.
FROZEN = SedDesign(
    "sed-v3", combine="local", macro=True, split=False, merge=True, reductions=True, round=2,
    note="local entropy changes summed over the live ops, the merge term, the whole network "
         "skeleton (cells at their widths + reduction blocks), cell width for every NB101 vertex",
)


def conv_gain(kernel: int, channels: float, relu: float = RELU_GAIN) -> float:
    """Entropy-power gain of ReLU-conv: k*k*C independent half-power Gaussian terms summed."""
    return relu * kernel * kernel * channels


def nb201_gains(channels: float = 16, design: SedDesign | None = None) -> np.ndarray:
    """Gain of each NB201 op (OPS order): none 0, skip 1, convs k^2 C / 2, avg-pool 1/9."""
    d = design or FROZEN
    return np.array([0.0, 1.0, conv_gain(1, channels, d.relu), conv_gain(3, channels, d.relu),
                     d.pool_gain])


def _entropy(v: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        h = 0.5 * np.log(v)
    return np.where(v > 0, h, FLOOR)


def nb201_op_ids(cells: Iterable[object]) -> np.ndarray:
    """(n, 6) op indices of NB201 cells (cells, or anything the NB201 space's strict parser reads)."""
    from narank.spaces import get_space

    space = get_space("nb201")
    return np.asarray([space.parse(c).op_ids for c in cells], dtype=np.int64).reshape(-1, 6)


def propagate_edges(gains: np.ndarray) -> np.ndarray:
    """Per-node entropies (n, 8) of 4-node cells whose 6 edges (NB201 order) have `gains` (n, 6).

    v_0 = 1, v_j = sum over edges i->j of g_ij v_i; nodes: input, the 6 edge nodes (the entropy
    power the edge delivers, g_ij v_i), output (node 3).
    """
    g = np.asarray(gains, dtype=float).reshape(-1, 6)
    v = [np.ones(len(g))]
    edge_v = np.zeros_like(g)
    for j in (1, 2, 3):
        total = np.zeros(len(g))
        for e, (i, jj) in enumerate(NB201_EDGES):
            if jj == j:
                edge_v[:, e] = v[i] * g[:, e]
                total += edge_v[:, e]
        v.append(total)
    return np.concatenate([_entropy(v[0])[:, None], _entropy(edge_v), _entropy(v[3])[:, None]], 1)


def live_edges(gains: np.ndarray) -> np.ndarray:
    """(n, 6) bool: the edges (NB201 order) of 4-node cells that lie on an input->output path
    of edges with a non-zero gain."""
    alive = np.asarray(gains, dtype=float).reshape(-1, 6) > 0
    n = len(alive)
    reach = np.zeros((n, 4), dtype=bool)
    reach[:, 0] = True
    for e, (i, j) in enumerate(NB201_EDGES):  # edges are in order of their head node
        reach[:, j] |= reach[:, i] & alive[:, e]
    back = np.zeros((n, 4), dtype=bool)
    back[:, 3] = True
    for e, (i, j) in reversed(list(enumerate(NB201_EDGES))):
        back[:, i] |= back[:, j] & alive[:, e]
    return np.stack([alive[:, e] & reach[:, i] & back[:, j] for e, (i, j) in enumerate(NB201_EDGES)], 1)


def local_edges(gains: np.ndarray, merge: bool = False) -> np.ndarray:
    """Per-node local entropy changes (n, 8) of 4-node cells with edge `gains` (n, 6).

    Input node 0; a live edge 1/2 log g (its op's change on a unit-variance input), a dead edge
    FLOOR; output: the sum of the live edges' changes (plus 1/2 log m for every node summing
    m >= 1 live edges if `merge`), FLOOR when no path is live."""
    g = np.asarray(gains, dtype=float).reshape(-1, 6)
    live = live_edges(g)
    with np.errstate(divide="ignore"):
        return _local_nodes(np.where(live, 0.5 * np.log(np.where(live, g, 1.0)), FLOOR), live, merge)


# (edge -> head node) one-hot: live edges @ _INTO counts the live inputs of nodes 1, 2, 3
_INTO = np.array([[j == jj for jj in (1, 2, 3)] for _, j in NB201_EDGES], dtype=float)


def _local_nodes(h: np.ndarray, live: np.ndarray, merge: bool) -> np.ndarray:
    """(n, 8) nodes from the live edges' local changes `h` (n, 6): see `local_edges`."""
    h = np.where(live, h, FLOOR)
    total = np.where(live, h, 0.0).sum(1)
    if merge:
        total = total + 0.5 * np.log(np.maximum(live @ _INTO, 1)).sum(1)
    out = np.where(live.any(1), total, FLOOR)
    return np.concatenate([np.zeros((len(h), 1)), h, out[:, None]], 1)


@lru_cache(maxsize=64)
def _mean_op_changes(widths: tuple[int, ...], design: SedDesign) -> np.ndarray:
    """Each NB201 op's local change 1/2 log g, averaged over cells at `widths` (-inf for none)."""
    with np.errstate(divide="ignore"):
        per_op = np.mean([0.5 * np.log(nb201_gains(c, design)) for c in widths], axis=0)
    per_op.flags.writeable = False
    return per_op


def cell_nodes(gains: np.ndarray, design: SedDesign) -> np.ndarray:
    """Per-node SED (n, 8) of 4-node cells with edge `gains` (n, 6) under the design's combine."""
    if design.combine == "path":
        return propagate_edges(gains)
    if design.combine == "local":
        return local_edges(gains, design.merge)
    raise ValueError(f"unknown combine rule {design.combine!r}")


def sed_nb201_nodes(op_ids: np.ndarray, channels: int | None = None,
                    design: SedDesign | None = None) -> np.ndarray:
    """Per-node SED of NB201 cells, shape (n, 8): input, the 6 edge-op nodes, output.

    `channels` fixes the width (one cell at that width, whatever the design); otherwise the
    design decides: the stem width, or the mean over the network's 15 cells (16/32/64)."""
    d = design or FROZEN
    op_ids = np.asarray(op_ids, dtype=np.int64).reshape(-1, 6)
    if channels is not None:
        widths: Sequence[int] = (channels,)
    else:
        widths = [c for c, _ in NB201_NETWORK] if d.macro else (NB201_STEM,)
    if d.combine == "local":
        # which edges are live does not depend on the width, so the mean over the network's cells
        # is the mean of each op's local change over their widths (one pass, not one per cell)
        per_op = _mean_op_changes(tuple(widths), d)
        return _local_nodes(per_op[op_ids], live_edges(op_ids != 0), d.merge)
    unique, counts = np.unique(widths, return_counts=True)
    return np.average([cell_nodes(nb201_gains(c, d)[op_ids], d) for c in unique], axis=0, weights=counts)


def sed_nb201(cells: Iterable[object] | np.ndarray, channels: int | None = None,
              design: SedDesign | None = None) -> np.ndarray:
    """Cell SED scores of NB201 cells (higher = predicted better); op-id arrays are accepted."""
    ids = cells if isinstance(cells, np.ndarray) else nb201_op_ids(cells)
    return sed_nb201_nodes(ids, channels, design)[:, -1]


# ----------------------------------------------------------------------------- NATS-SSS


def natsss_edge_gains(c_in: np.ndarray, c_out: np.ndarray, design: SedDesign | None = None) -> np.ndarray:
    """(n, 6) gains of the fixed NATS-SSS cell c_in -> c_out: edges out of node 0 read c_in
    channels, the others c_out; a 3x3 conv k^2 C / 2, an identity skip 1, a width-changing
    skip (1x1 conv + BN, no ReLU) C_in."""
    from narank.spaces.natsss import OPS

    d = design or FROZEN
    c_in, c_out = np.asarray(c_in, dtype=float), np.asarray(c_out, dtype=float)
    cols = []
    for op, (i, _) in zip(OPS, NB201_EDGES, strict=True):
        c = c_in if i == 0 else c_out
        cols.append(conv_gain(3, 1, d.relu) * c if op == "nor_conv_3x3" else np.where(c == c_out, 1.0, c))
    return np.stack(cols, axis=1)


def sed_natsss_nodes(channels: np.ndarray, design: SedDesign | None = None) -> np.ndarray:
    """Per-node SED (n, 8) of NATS-SSS width configurations (n, 5).

    The network has one cell per stage: (c0->c0), (c1->c2), (c3->c4). A macro design averages
    the node entropies over the 3 cells; otherwise only the first (stem-width) cell counts."""
    from narank.spaces.natsss import STAGES

    d = design or FROZEN
    ch = np.asarray(channels, dtype=float).reshape(-1, 5)
    stages = STAGES if d.macro else STAGES[:1]
    nodes = np.mean([cell_nodes(natsss_edge_gains(ch[:, a], ch[:, b], d), d) for a, b in stages], axis=0)
    if d.combine == "local" and d.macro and d.reductions:
        live = nodes[:, -1] > FLOOR
        red = sum(residual_reduction(ch[:, a], ch[:, b], d) for a, b in ((0, 1), (2, 3)))
        nodes[:, -1] = np.where(live, nodes[:, -1] + red / len(stages), FLOOR)
    return nodes


def residual_reduction(c_in: np.ndarray, c_out: np.ndarray, design: SedDesign | None = None) -> np.ndarray:
    """Local entropy change of a ResNet reduction block c_in -> c_out (NB201 / NATS-SSS): ReLU-conv3x3
    (stride 2) c_in -> c_out and ReLU-conv3x3 c_out -> c_out, each 1/2 log(9 C_in / 2); shortcut:
    2x2 avg-pool (gain 1/4) then a 1x1 conv (no ReLU, gain c_in); with `merge`, the sum of
    the two branches adds 1/2 log 2."""
    d = design or FROZEN
    c_in, c_out = np.asarray(c_in, dtype=float), np.asarray(c_out, dtype=float)
    h = 0.5 * (np.log(conv_gain(3, c_in, d.relu)) + np.log(conv_gain(3, c_out, d.relu)) + np.log(c_in / 4))
    return h + (0.5 * np.log(2) if d.merge else 0.0)


# ----------------------------------------------------------------------------- NB101


def _nb101_spec(cell: object) -> tuple[np.ndarray, tuple[str, ...]]:
    """(matrix, ops) of an NB101 cell, or of anything the NB101 space's strict parser reads."""
    from narank.spaces import get_space

    parsed = get_space("nb101").parse(cell)
    return np.asarray(parsed.matrix, dtype=np.int64), parsed.ops


def nb101_padded(
    specs: Sequence[tuple[np.ndarray, Sequence[str]]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pad pruned NB101 specs to 7 vertices: (adjacency (n,7,7) bool, op codes (n,7), sizes (n,)).

    Interior vertex i keeps index i, the output moves to index 6, padding vertices have no
    edges. Op codes: 0 conv3x3, 1 conv1x1, 2 max-pool, 3 input/output/padding."""
    n_max = NB101_MAX_VERTICES
    adj = np.zeros((len(specs), n_max, n_max), dtype=bool)
    ops = np.full((len(specs), n_max), 3, dtype=np.int64)
    sizes = np.zeros(len(specs), dtype=np.int64)
    code = {op: i for i, op in enumerate(NB101_OPS)}
    for k, (m, names) in enumerate(specs):
        m = np.asarray(m, dtype=bool)
        n = m.shape[0]
        pos = np.r_[np.arange(n - 1), n_max - 1]
        adj[k][np.ix_(pos, pos)] = m
        ops[k, 1:n - 1] = [code[o] for o in names[1:n - 1]]
        sizes[k] = n
    return adj, ops, sizes


def nb101_channels(adj: np.ndarray, c_in: int, c_out: int, exact: bool = False) -> np.ndarray:
    """Channels of every (padded) vertex, vectorized: the output width split evenly among its
    feeders, other vertices the max of the vertices they feed.

    `exact` is the official integer rule (`narank.spaces.nb101.vertex_channels`: +1 leftovers to
    the lowest-numbered feeders), which depends on how the vertices are numbered; SED uses the
    fractional split C_out / feeders so that isomorphic cells score the same."""
    n, out = adj.shape[0], NB101_MAX_VERTICES - 1
    feed = adj[:, 1:out, out]
    nf = feed.sum(1)
    ch = np.zeros((n, NB101_MAX_VERTICES))
    ch[:, 0], ch[:, out] = c_in, c_out
    if exact:
        base, extra = np.divmod(c_out, np.maximum(nf, 1))
        rank = np.cumsum(feed, axis=1) - 1
        ch[:, 1:out] = np.where(feed, base[:, None] + (rank < extra[:, None]), 0)
    else:
        ch[:, 1:out] = np.where(feed, c_out / np.maximum(nf, 1)[:, None], 0)
    for t in range(out - 1, 0, -1):
        fed = np.where(adj[:, t, 1:out], ch[:, 1:out], 0).max(axis=1)
        ch[:, t] = np.where(feed[:, t - 1], ch[:, t], np.maximum(ch[:, t], fed))
    return ch


def nb101_cell_entropies(adj: np.ndarray, ops: np.ndarray, c_in: int, c_out: int,
                         design: SedDesign | None = None) -> np.ndarray:
    """Per-vertex entropies (n, 7) of padded NB101 cells in a c_in -> c_out cell slot.

    Interior vertex t: v_t = g(op_t, C_t) (sum of its predecessors' v + the 1x1-conv-BN-ReLU
    projection of the input, gain C_in / 2, when input feeds it). Output: the feeders'
    entropies concatenated (design.concat), each summed with the input->output projection
    when that edge exists. Padding vertices get FLOOR."""
    d = design or FROZEN
    out = NB101_MAX_VERTICES - 1
    n = adj.shape[0]
    ch = nb101_channels(adj, c_in, c_out) if d.split else np.full((n, NB101_MAX_VERTICES), float(c_out))
    if d.combine == "local":
        return nb101_local(adj, ops, ch, c_in, d)
    if d.combine != "path":
        raise ValueError(f"unknown combine rule {d.combine!r}")
    proj = d.relu * c_in
    v = np.zeros((n, NB101_MAX_VERTICES))
    v[:, 0] = 1.0
    for t in range(1, out):
        inc = (adj[:, 1:t, t] * v[:, 1:t]).sum(1) + adj[:, 0, t] * proj
        gain = np.select([ops[:, t] == 0, ops[:, t] == 1, ops[:, t] == 2],
                         [conv_gain(3, 1, d.relu) * ch[:, t], conv_gain(1, 1, d.relu) * ch[:, t], MAX9_VAR],
                         0.0)
        v[:, t] = gain * inc
    feed = adj[:, 1:out, out]
    direct = adj[:, 0, out] * proj
    inner = v[:, 1:out] + direct[:, None]
    if d.concat == "entropy":
        w = np.where(feed, ch[:, 1:out], 0.0)
        total = w.sum(1)
        with np.errstate(divide="ignore", invalid="ignore"):
            h_mix = (w * 0.5 * np.log(np.where(feed, inner, 1.0))).sum(1) / np.where(total > 0, total, 1)
        h_out = np.where(feed.any(1), h_mix, _entropy(direct))
    elif d.concat == "power":
        nf = feed.sum(1)
        mean = np.where(feed, v[:, 1:out], 0.0).sum(1) / np.maximum(nf, 1)
        h_out = _entropy(mean + direct)
    else:
        raise ValueError(f"unknown concat rule {d.concat!r}")
    h = _entropy(v)
    h[:, out] = h_out
    return h


def nb101_local(adj: np.ndarray, ops: np.ndarray, ch: np.ndarray, c_in: float,
                d: SedDesign) -> np.ndarray:
    """Per-vertex local entropy changes (n, 7) of padded, pruned NB101 cells (vertex widths `ch`).

    Interior vertex t: its op's change on a unit-variance input, 1/2 log g (conv k^2 C_t / 2,
    max-pool 0.357), plus, if the input feeds t and `d.proj`, the projection's 1/2 log(C_in / 2),
    plus 1/2 log m_t with `d.merge` (m_t live inputs summed). Output: the sum of the interior
    vertices' values, plus its own projection and merge (concatenation itself changes no
    channel's entropy). Padding vertices: FLOOR."""
    out = NB101_MAX_VERTICES - 1
    n = adj.shape[0]
    real = ops[:, 1:out] < 3
    k2 = np.where(ops[:, 1:out] == 0, 9.0, 1.0)
    gain = np.where(ops[:, 1:out] == 2, MAX9_VAR, d.relu * k2 * ch[:, 1:out])
    with np.errstate(divide="ignore"):
        h = 0.5 * np.log(np.where(real, gain, 1.0))
    proj = 0.5 * np.log(d.relu * c_in) if d.proj else 0.0
    h = h + adj[:, 0, 1:out] * proj
    if d.merge:
        m = adj[:, :out, 1:out].sum(1)
        h = h + 0.5 * np.log(np.maximum(m, 1))
    h_out = np.where(real, h, 0.0).sum(1) + adj[:, 0, out] * proj
    if d.merge:
        h_out = h_out + 0.5 * np.log(adj[:, 1:out, out].any(1).astype(float) + adj[:, 0, out])
    vals = np.full((n, NB101_MAX_VERTICES), FLOOR)
    vals[:, 0] = 0.0
    vals[:, 1:out] = np.where(real, h, FLOOR)
    vals[:, out] = h_out
    return vals


def sed_nb101_batch(specs: Sequence[tuple[np.ndarray, Sequence[str]]], channels: int | None = None,
                    design: SedDesign | None = None) -> list[np.ndarray]:
    """Per-vertex SED of many pruned NB101 specs (matrix, ops), vectorized; one array per cell
    (input first, output last). `channels` fixes a single c -> c cell slot; otherwise the design
    decides: the first cell (128 -> 128), or the mean over the network's 9 cells."""
    adj, ops, sizes = nb101_padded(specs)
    h = sed_nb101_padded(adj, ops, channels, design)
    return [np.r_[row[:n - 1], row[-1]] for row, n in zip(h, sizes, strict=True)]


def sed_nb101_padded(adj: np.ndarray, ops: np.ndarray, channels: int | None = None,
                     design: SedDesign | None = None) -> np.ndarray:
    """Per-vertex SED (n, 7) of padded NB101 cells (`nb101_padded`'s adjacency and op codes)."""
    d = design or FROZEN
    if channels is not None:
        slots: Sequence[tuple[int, int]] = ((channels, channels),)
    else:
        slots = NB101_NETWORK if d.macro else NB101_NETWORK[:1]
    unique, counts = np.unique(np.asarray(slots), axis=0, return_counts=True)
    return np.average([nb101_cell_entropies(adj, ops, a, b, d) for a, b in unique], axis=0, weights=counts)


def sed_nb101_nodes(cell: object, channels: int | None = None, design: SedDesign | None = None) -> np.ndarray:
    """Per-vertex SED of one NB101 cell (input first, output last)."""
    return sed_nb101_batch([_nb101_spec(cell)], channels, design)[0]


def sed_nb101(cells: Iterable[object], channels: int | None = None,
              design: SedDesign | None = None) -> np.ndarray:
    """Cell SED scores of NB101 cells (NB101Cell objects or (adjacency, ops) pairs)."""
    specs = [_nb101_spec(c) for c in cells]
    return np.array([nodes[-1] for nodes in sed_nb101_batch(specs, channels, design)])


def nb101_specs_from_json(adjacency: Iterable[str], ops: Iterable[str]) -> list[tuple[np.ndarray, list[str]]]:
    """(matrix, ops) specs from a table's JSON columns, through the strict NB101 parser."""
    from narank.spaces import get_space

    space = get_space("nb101")
    out = []
    for a, o in zip(adjacency, ops, strict=True):
        cell = space.parse((json.loads(a), json.loads(o)))
        out.append((np.asarray(cell.matrix), list(cell.ops)))
    return out


# ----------------------------------------------------------------------------- any space


def sed_node_features(cell: object) -> np.ndarray:
    """Per-node SED of one cell of any space, as its space computes it (graph node order)."""
    from narank.spaces import space_of

    return np.asarray(space_of(cell).sed_nodes([cell])[0], dtype=float)


def sed_scores(cells: Sequence[object]) -> np.ndarray:
    """SED scores of many cells of one space (vectorized where the space allows)."""
    from narank.spaces import space_of

    if not cells:
        return np.zeros(0)
    return np.array([nodes[-1] for nodes in space_of(cells[0]).sed_nodes(cells)], dtype=float)


def sed_score(cell: object) -> float:
    """SED score of one cell of any space."""
    return float(sed_node_features(cell)[-1])
