"""Top cells of a trained ranker, sampled with its tier statistics (no benchmark data needed)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from narank.errors import NarankError
from narank.search.tier_stats import TierSampler, check_stats, compute_tier_stats, space_pool
from narank.spaces import get_space


def top_cells(ranker: Any, top: int, candidates: int, seed: int) -> tuple[list[tuple[Any, dict]], dict]:
    """Sample candidates with the ranker's tier statistics, keep tier 1 first, order by score.

    Returns [(cell, row)] with row = the space's description + `score` (the ranker's score, not
    an accuracy) + `tier`; and info on how the candidates were drawn.
    """
    if top < 1 or candidates < 1:
        raise NarankError("top and candidates must be at least 1")
    space = get_space(ranker.space)
    stats = ranker.manifest.get("tier_stats")
    note = "stored"
    if stats is None:
        stats, note = compute_tier_stats(ranker, n_samples=max(candidates, 2000), seed=seed), "computed"
    stats = check_stats(stats)
    if stats["space"] != space.name:
        raise NarankError(f"tier statistics are for {stats['space']}, the ranker for {space.name}")
    rng = np.random.default_rng(seed)
    drawn = TierSampler(stats).sample(candidates, rng, space_pool(space, ranker.dataset))
    scores, tiers = ranker.rank(drawn.cells)
    order = np.lexsort((-scores, tiers))[:top]
    rows = []
    for i in order.tolist():
        cell = drawn.cells[i]
        row = {k: v for k, v in space.describe(cell).items() if k != "space"}
        row["label"] = space.label(cell)
        row["score"] = float(scores[i])
        row["tier"] = int(tiers[i])
        rows.append((cell, row))
    info = {"tier_stats": note, "kl_top_bottom": float(stats["kl_top_bottom"]),
            "targeted": bool(drawn.active), "candidates": len(drawn.cells)}
    return rows, info


def with_truth(rows: list[tuple[Any, dict]], space: Any, dataset: str,
               data: str | os.PathLike | None) -> tuple[list[dict], bool]:
    """The rows with true accuracies added when a benchmark table is found; (rows, found)."""
    from narank.benchmarks import find_table_file, load_table
    from narank.search.oracle import oracle_table

    if data is None and find_table_file(space) is None:
        return [row for _, row in rows], False
    truth = oracle_table(load_table(space, data), dataset)
    out = []
    for cell, row in rows:
        if truth.has(cell):
            _, valid, test = truth.lookup(cell)
            row["valid_acc"] = valid
            if test is not None:
                row["test_acc"] = test
        else:
            row["ground_truth"] = "no ground truth (cell not in the benchmark table)"
        out.append(row)
    return out, True
