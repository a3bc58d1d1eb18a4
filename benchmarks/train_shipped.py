#!/usr/bin/env python
"""Train the shipped pretrained rankers into narank/checkpoints/ and write their manifest.json.

Each NB201 ranker trains on 1,000 seeded random cells (6.4% of the space) and is judged on the
other 14,625; the NB101 ranker trains on 10,000 of the 30,001 real cells and is judged on the
other 20,001. Tier statistics for `narank sample` are stored in each checkpoint.

    python benchmarks/train_shipped.py [--only nb201-cifar100] [--data PATH]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from narank.benchmarks import load_table
from narank.evaluate import columns, evaluate_ranker, labelled, split
from narank.graphs import node_dim
from narank.model.ranker import RankerConfig
from narank.predictor import Ranker
from narank.pretrained import CHECKPOINT_DIR, MANIFEST
from narank.train import default_train_config

FEATURES = ("flops", "params")
SHIPPED = {
    "nb201-cifar10": ("nb201", "cifar10", 1000),
    "nb201-cifar100": ("nb201", "cifar100", 1000),
    "nb201-imagenet16_120": ("nb201", "imagenet16_120", 1000),
    "nb101": ("nb101", "cifar10", 10000),
}
SEED = 0


def train_one(name: str, data: str | None) -> dict:
    """Train, evaluate on the held-out cells, attach tier statistics, save; return the summary."""
    from narank.search.tier_stats import compute_tier_stats

    space, dataset, size = SHIPPED[name]
    table = load_table(space, data)
    train_col, _, _, _ = columns(space, dataset, "valid")
    cells, acc, _ = labelled(table, train_col)
    train_pos, _ = split(len(cells), size, SEED)
    config = RankerConfig(in_dim=node_dim(FEATURES), dim=64, layers=3, encoder="gin")
    train = default_train_config(space, size, SEED)
    if size > 1000:
        train.epochs = 100  # the 10,000-cell NB101 ranker: 100 epochs fit the time budget

    ranker = Ranker(space, dataset, FEATURES, config, train)
    start = time.time()
    ranker.fit([cells[i] for i in train_pos], acc[train_pos])
    fit_s = time.time() - start
    metrics = evaluate_ranker(ranker, table, "valid")
    ranker.manifest.update({"name": name, "metrics": metrics, "target": "valid",
                            "fit_seconds": round(fit_s, 1),
                            "tier_stats": compute_tier_stats(ranker, seed=SEED)})
    file = f"{name}.pt"
    ranker.save(CHECKPOINT_DIR / file, with_training_state=False)
    print(f"{name}: tau {metrics['kendall_tau']:.3f} on {metrics['n_test']} held-out cells, "
          f"fit {fit_s:.0f} s", flush=True)
    return {"file": file, "space": space, "dataset": dataset, "n_train": size,
            "n_test": metrics["n_test"], "kendall_tau": round(metrics["kendall_tau"], 4),
            "spearman_rho": round(metrics["spearman_rho"], 4),
            "tier_accuracy": round(metrics["tier_accuracy"], 4),
            "precision_at_5pct": round(metrics["precision_at_5pct"], 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--only", action="append", choices=sorted(SHIPPED))
    parser.add_argument("--data")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1 is fastest on a busy 2-core machine)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    CHECKPOINT_DIR.mkdir(parents=True, exist_ok=True)
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    for name in args.only or SHIPPED:
        manifest[name] = train_one(name, args.data)
        MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
