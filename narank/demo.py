"""The main job (`make demo`): what the shipped rankers do, with or without benchmark data.

Without data: load the shipped NB201 rankers, rank all 15,625 cells for CIFAR-100 and
ImageNet16-120, and sample top cells from their tier statistics. With data (found through
$NARANK_DATA or ./data): also show the true accuracies, train and judge a ranker on 156 cells,
and run a 100-query search.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from narank.benchmarks import find_table_file, load_table
from narank.cli import main as cli
from narank.pretrained import available, load_pretrained
from narank.spaces import get_space

PLOT = "demo-search.png"  # written to the current folder (the search prints its path)


def _section(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def rank_space(name: str, has_data: bool) -> None:
    """Score every cell of a shipped ranker's space and print the top five."""
    ranker = load_pretrained(name)
    space = get_space(ranker.space)
    cells = space.enumerate()
    start = time.time()
    scores, tiers = ranker.rank(cells)
    took = time.time() - start
    order = np.argsort(-scores)[:5]
    print(f"{name}: scored all {len(cells)} cells in {took:.2f} s; "
          f"{int((tiers == 1).sum())} predicted in tier 1 (rank score: higher = better predicted "
          "accuracy, not an accuracy)")
    table = load_table(space) if has_data else None
    column = space.columns(ranker.dataset).evaluate
    if table is not None:
        truth = table.targets(column)
        rank_of = {i: r + 1 for r, i in enumerate(np.argsort(-truth))}
    for i in order:
        line = f"  rank score {scores[i]:7.3f}  tier {tiers[i]}  {space.label(cells[i])}"
        if table is not None:
            line += f"  test {truth[i]:.2f}% (true rank {rank_of[i]} of {len(cells)})"
        print(line)


def main() -> int:
    from narank.threads import set_threads

    set_threads()  # 1 torch thread unless $NARANK_THREADS says otherwise (see narank/threads.py)
    shipped = available()
    if not shipped:
        print("no shipped rankers found in narank/checkpoints; run benchmarks/train_shipped.py")
        return 1
    has_data = find_table_file("nb201") is not None
    _section("shipped rankers (held-out metrics from their manifests)")
    for name, info in sorted(shipped.items()):
        print(f"  {name:22s} {info['space']}/{info['dataset']:15s} trained on {info['n_train']:>6} "
              f"cells, Kendall tau {info['kendall_tau']:.3f} on {info['n_test']} held-out cells")
    for name in ("nb201-cifar100", "nb201-imagenet16_120"):
        _section(f"rank the whole NB201 space with {name}")
        rank_space(name, has_data)
        _section(f"sample top cells from the tier statistics of {name}")
        cli(["sample", "--pretrained", name, "--top", "5"])
    if not has_data:
        print("\nNo benchmark data found (set NARANK_DATA or put the files in ./data, see README):"
              " skipping training, evaluation and search.")
        return 0
    _section("train a ranker on 156 NB201 CIFAR-10 cells and judge it on the other 15,469")
    code = cli(["train", "--space", "nb201", "--dataset", "cifar10", "--train-size", "156",
                "--out", "checkpoints/demo-nb201-cifar10-n156.pt"])
    if code:
        return code
    _section("search NB201 CIFAR-100 with 100 queries (narank vs REA vs random, 1 seed)")
    plot = Path.cwd() / PLOT  # the plot is a result, not a checkpoint: it goes here, and its path is printed
    return cli(["search", "--space", "nb201", "--dataset", "cifar100", "--budget", "100",
                "--seeds", "1", "--methods", "narank,rea,random", "--plot", str(plot)])


if __name__ == "__main__":
    sys.exit(main())
