"""Score the cells of a space with a proxy and judge it against the benchmark's accuracy."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from narank.engine import check_scheduler, check_workers
from narank.errors import NarankError
from narank.proxies.registry import get_proxy
from narank.spaces import SearchSpace, get_space


@dataclass
class ProxySweep:
    """Proxy scores of cells (in order), their canonical ids, and a JSON-ready summary."""

    cells: list
    ids: list[str]
    scores: np.ndarray
    summary: dict[str, Any] = field(default_factory=dict)


def sweep_cells(space: SearchSpace, data: str | os.PathLike | None) -> tuple[list, Any]:
    """(cells to score, table or None): every cell where the space can be listed, else the table's."""
    from narank.benchmarks import find_table_file, load_table

    table = load_table(space, data) if data is not None or find_table_file(space) is not None else None
    cells = space.enumerate()
    if cells is not None:
        return list(cells), table
    if table is None:
        raise NarankError(f"{space.name} cannot be listed in full: it needs its benchmark table to "
                          "choose cells; set NARANK_DATA or pass --data")
    return list(table.cells()), table


def proxy_sweep(space: str | SearchSpace, proxy: str, dataset: str | None = None, limit: int | None = None,
                seed: int = 0, workers: int = 1, use_cache: bool = True, progress: bool = True,
                data: str | os.PathLike | None = None, scheduler: str | None = None,
                client: Any = None) -> ProxySweep:
    """Score (a seeded sample of `limit`) cells; Spearman/Kendall against the reported accuracy.

    `workers` > 1 runs a Dask LocalCluster, `scheduler` joins an existing Dask cluster.
    """
    from scipy.stats import kendalltau, spearmanr

    from narank.proxies.cache import check_proxy, compute_scores

    space = get_space(space)
    proxy = check_proxy(proxy)
    dataset = space.dataset(dataset)
    if limit is not None and limit < 1:
        raise NarankError(f"limit must be a positive number of cells, got {limit}")
    check_workers(workers)
    check_scheduler(scheduler)
    cells, table = sweep_cells(space, data)
    if limit is not None and limit < len(cells):
        pick = np.sort(np.random.default_rng(seed).choice(len(cells), limit, False))
        cells = [cells[int(i)] for i in pick]
    start = time.perf_counter()
    scores = compute_scores(proxy, cells, dataset=dataset, seed=seed, workers=workers,
                            use_cache=use_cache, progress=progress, scheduler=scheduler, client=client)
    seconds = (time.perf_counter() - start) / len(cells)
    ids = [space.canonical_id(c) for c in cells]
    summary: dict[str, Any] = {
        "space": space.name, "proxy": proxy, "dataset": dataset, "n": len(cells),
        "seconds_per_cell": seconds, "spearman_rho": None, "kendall_tau": None,
    }
    if table is not None:
        column = space.columns(dataset).evaluate
        in_table = np.array([cid in table for cid in ids])
        acc = np.full(len(ids), np.nan)
        if in_table.any():
            acc[in_table] = table.targets(column, [cid for cid, ok in zip(ids, in_table) if ok])
        lower = ":" not in proxy and get_proxy(proxy).lower_is_better  # eznas:FILE is higher-better
        oriented = -scores if lower else scores
        ok = ~np.isnan(oriented) & ~np.isnan(acc)
        if ok.sum() >= 2:
            summary["spearman_rho"] = float(spearmanr(oriented[ok], acc[ok])[0])
            summary["kendall_tau"] = float(kendalltau(oriented[ok], acc[ok])[0])
        summary["target"] = column
        summary["orientation"] = "-score (lower is better)" if lower else "score"
        summary["n_nan"] = int((~ok).sum())
    return ProxySweep(cells, ids, scores, summary)
