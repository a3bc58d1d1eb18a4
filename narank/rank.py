"""Score every cell of a search space with a ranker, in blocks, in bulk.

Spaces that offer `dense_cells` (NB101: 423,624 cells) are scored from padded arrays: no cell
objects, graphs built by `narank.graphs.dense_batch` in one vectorized step per block. Other
spaces go through `Ranker.rank` over their `enumerate()` list. Blocks run through
`narank.engine.map_items`, so `workers`/`scheduler` spread them over processes or machines.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from narank.engine import check_scheduler, check_workers, map_items
from narank.errors import NarankError
from narank.spaces import SearchSpace, get_space

#: cells per block: amortises the per-block cost; larger blocks raise the peak memory (whole NB101 with
#: the default ranker: 4096 cells, 1.26 GB; 1024 cells, 0.81 GB; the same CPU seconds)
BLOCK = 1024


@dataclass
class SpaceRanking:
    """Scores and tiers (1 = best) of every cell of a space, in the space's fixed order."""

    space: str
    ids: np.ndarray
    scores: np.ndarray
    tiers: np.ndarray

    def top(self, k: int) -> np.ndarray:
        """Positions of the k best-scored cells, best first."""
        k = min(int(k), len(self.scores))
        if k <= 0:
            return np.zeros(0, dtype=np.int64)
        part = np.argpartition(-self.scores, k - 1)[:k]
        return part[np.argsort(-self.scores[part], kind="stable")]


def score_dense(ranker: Any, dense: Any) -> tuple[np.ndarray, np.ndarray]:
    """(scores, tiers) of one `DenseCells` block: graphs and graph-level features built in bulk,
    scored by `Ranker.score_graphs` as `Ranker.rank` scores cell objects."""
    from narank.graph_features import dense_graph_features
    from narank.graphs import dense_batch

    features = tuple(ranker.manifest["node_features"])
    gnames = tuple(ranker.manifest.get("graph_features", ()))
    batch = dense_batch(ranker.manifest["space"], dense, features)
    values = dense_graph_features(ranker.manifest["space"], dense, gnames) if gnames else None
    gnn, logits, tab = ranker.score_graphs(batch, values)
    scores = ranker.blend_scores(gnn, tab)
    return scores.astype(np.float32), (logits.argmax(axis=1) + 1).astype(np.int8)


def _dense_block(span: tuple[int, int], space: str, ranker: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Engine task: (ids, scores, tiers) of cells [start, stop) of the space's bulk order."""
    dense = get_space(space).dense_cells(span[0], span[1], ranker.manifest["dataset"])
    return (dense.ids, *score_dense(ranker, dense))


def _cell_block(cells: list, ranker: Any) -> tuple[np.ndarray, np.ndarray]:
    """Engine task: score a list of cells through `Ranker.rank`."""
    scores, tiers = ranker.rank(cells)
    return np.asarray(scores, dtype=np.float32), np.asarray(tiers, dtype=np.int8)


def bulk_refusal(space: SearchSpace, ranker: Any) -> str | None:
    """Why the bulk path (`dense_batch`, no cell objects) cannot score this space with this ranker;
    None when it can."""
    from narank.graph_features import dense_graph_refusal
    from narank.graphs import dense_supported

    if space.dense_count() is None:
        return f"{space.name} has no bulk path"
    if not dense_supported(space, ranker.manifest["node_features"]):
        return f"the bulk path does not build node features {list(ranker.manifest['node_features'])}"
    why = dense_graph_refusal(space, ranker.manifest.get("graph_features", ()))
    return f"the bulk path does not compute its graph-level features: {why}" if why else None


def rank_space(space: str | SearchSpace, ranker: Any, *, block: int = BLOCK, workers: int = 1,
               scheduler: str | None = None, client: Any = None, progress: bool = True) -> SpaceRanking:
    """Scores and tiers of every cell of `space` under `ranker` (a fitted `Ranker`): through the bulk
    path where it serves, else through the space's listed cells."""
    space = get_space(space)
    check_workers(workers)
    check_scheduler(scheduler)
    if not hasattr(ranker, "model_"):
        raise NarankError("rank_space needs a fitted ranker (Ranker.load or load_pretrained)")
    if ranker.manifest["space"] != space.name:
        raise NarankError(f"this ranker is for {ranker.manifest['space']} cells, not {space.name}")
    if block < 1:
        raise NarankError(f"block must be a positive number of cells, got {block}")
    engine = dict(workers=workers, scheduler=scheduler, client=client, progress=progress,
                  desc=f"rank {space.name}", unit="cell")
    refusal = bulk_refusal(space, ranker)
    if refusal is None:
        n = int(space.dense_count())
        spans = [(a, min(a + block, n)) for a in range(0, n, block)]
        scores = np.empty(n, dtype=np.float32)
        tiers = np.empty(n, dtype=np.int8)
        id_blocks: list[np.ndarray] = [np.zeros(0, dtype=str)] * len(spans)
        for k, (i, s, t) in map_items(_dense_block, spans, shared={"space": space.name, "ranker": ranker},
                                      weight=lambda span: span[1] - span[0], **engine):
            a, b = spans[k]
            id_blocks[k], scores[a:b], tiers[a:b] = i, s, t
        return SpaceRanking(space.name, np.concatenate(id_blocks), scores, tiers)
    cells = space.enumerate()
    if cells is None:
        raise NarankError(
            f"{space.name} is too large to list as cells, and {refusal}: it cannot be ranked whole "
            "with this ranker; use a ranker the bulk path serves, "
            "or score chosen cells with Ranker.rank(cells)")
    cells = list(cells)
    spans = [(a, min(a + block, len(cells))) for a in range(0, len(cells), block)]
    scores = np.empty(len(cells), dtype=np.float32)
    tiers = np.empty(len(cells), dtype=np.int8)
    for k, (s, t) in map_items(_cell_block, [cells[a:b] for a, b in spans], shared={"ranker": ranker},
                               weight=len, **engine):
        a, b = spans[k]
        scores[a:b], tiers[a:b] = s, t
    ids = np.asarray([space.canonical_id(c) for c in cells])
    return SpaceRanking(space.name, ids, scores, tiers)


def write_ranking(ranking: SpaceRanking, path: str | os.PathLike) -> None:
    """Write (id, score, tier) per cell to a Parquet file, atomically."""
    from narank.store import write_table

    write_table(path, id=ranking.ids, score=ranking.scores, tier=ranking.tiers)
