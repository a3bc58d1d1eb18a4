"""CPU seconds, wall seconds and peak memory of `narank rank`'s bulk path over all 423,624 NB101
cells with the shipped NB101 ranker (default recipe, 1 torch thread), printed as one JSON line.

Run in a fresh process by `benchmarks/ranking.py` (`python -m benchmarks.nb101_bulk_probe`), so
the peak memory is that of ranking alone, not of the benchmark around it.
"""

from __future__ import annotations

import json
import resource
import time


def main() -> None:
    import torch

    from narank import load_pretrained
    from narank.rank import rank_space

    torch.set_num_threads(1)
    ranker = load_pretrained("nb101")
    if ranker.tabular != "xgb" or not ranker.manifest["graph_features"]:
        raise SystemExit("the shipped NB101 ranker is not the default recipe: retrain it (train_shipped)")
    before = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.time()
    ranking = rank_space("nb101", ranker, progress=False)
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"cells": len(ranking.scores), "wall_s": time.time() - wall,
                      "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
                      "peak_rss_mb": after.ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
