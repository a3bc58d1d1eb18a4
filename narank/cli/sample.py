"""`narank sample`: top cells of a trained ranker, sampled by its stored tier statistics (no data needed)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from narank.errors import NarankError

HELP = "sample and rank cells with a (pretrained) ranker's tier statistics; no benchmark data needed"


def add_parser(subparsers: Any) -> None:
    """Register the `sample` subcommand."""
    p = subparsers.add_parser("sample", help=HELP, description=HELP)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--pretrained", help="shipped ranker name, e.g. nb201-imagenet16_120")
    src.add_argument("--checkpoint", help="path of a ranker checkpoint saved by narank train")
    p.add_argument("--top", type=int, default=10, help="number of cells to print (default 10)")
    p.add_argument("--candidates", type=int, default=2000,
                   help="cells sampled before ranking (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.add_argument("--data", help="benchmark table file or data folder, for true accuracies "
                   "(default $NARANK_DATA, ./data; optional)")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=run)


def _load(args: argparse.Namespace):
    from narank.predictor import Ranker
    from narank.pretrained import load_pretrained

    if args.pretrained:
        return load_pretrained(args.pretrained)
    return Ranker.load(args.checkpoint)


def _truth(space: str, dataset: str, data: str | None):
    """An OracleTable for true accuracies, or None when there is no benchmark table."""
    from narank.benchmarks import find_table_file, load_table
    from narank.search.oracle import oracle_table

    if data is None and find_table_file(space) is None:
        return None
    return oracle_table(load_table(space, data), dataset)


def top_cells(ranker: Any, top: int, candidates: int, seed: int) -> tuple[list[tuple[Any, dict]], dict]:
    """Sample candidates with the ranker's tier statistics, keep tier 1 first, order by score."""
    from narank.search.tier_stats import TierSampler, check_stats, compute_tier_stats, space_pool

    stats = ranker.manifest.get("tier_stats")
    note = "stored"
    if stats is None:
        stats, note = compute_tier_stats(ranker, n_samples=max(candidates, 2000), seed=seed), "computed"
    stats = check_stats(stats)
    if stats["space"] != ranker.space:
        raise NarankError(f"tier statistics are for {stats['space']}, the ranker for {ranker.space}")
    rng = np.random.default_rng(seed)
    drawn = TierSampler(stats).sample(candidates, rng, space_pool(ranker.space, ranker.dataset))
    scores, tiers = ranker.predict(drawn.cells)
    order = np.lexsort((-scores, tiers))[:top]
    rows = []
    for i in order.tolist():
        cell = drawn.cells[i]
        row: dict[str, Any] = {}
        if ranker.space == "nb201":
            row["arch"] = cell.arch_str
            row["index"] = cell.index
        else:
            row["hash"] = cell.hash
            row.update(cell.to_dict())
        row["score"] = float(scores[i])
        row["tier"] = int(tiers[i])
        rows.append((cell, row))
    info = {"tier_stats": note, "kl_top_bottom": float(stats["kl_top_bottom"]),
            "targeted": bool(drawn.active), "candidates": len(drawn.cells)}
    return rows, info


def run(args: argparse.Namespace) -> int:
    """Print the top cells, with their true accuracies when a benchmark table is present."""
    import torch

    if args.top < 1 or args.candidates < 1:
        raise NarankError("--top and --candidates must be at least 1")
    torch.set_num_threads(1)
    ranker = _load(args)
    pairs, info = top_cells(ranker, args.top, args.candidates, args.seed)
    truth = _truth(ranker.space, ranker.dataset, args.data)
    rows = []
    for cell, row in pairs:
        if truth is not None:
            if truth.has(cell):
                _, valid, test = truth.lookup(cell)
                row["valid_acc"] = valid
                if test is not None:
                    row["test_acc"] = test
            else:
                row["ground_truth"] = "no ground truth (cell not in the benchmark table)"
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    name = args.pretrained or args.checkpoint
    print(f"{ranker.space} {ranker.dataset}, ranker {name}: top {len(rows)} of {info['candidates']} "
          f"sampled cells (tier statistics {info['tier_stats']}, KL top/bottom "
          f"{info['kl_top_bottom']:.3f}, {'targeted' if info['targeted'] else 'uniform'} sampling)")
    if truth is None:
        print("no benchmark table found: true accuracies not shown", file=sys.stderr)
    for k, row in enumerate(rows, start=1):
        acc = ""
        if "valid_acc" in row:
            acc = f"  valid {row['valid_acc']:.2f}"
            if "test_acc" in row:
                acc += f"  test {row['test_acc']:.2f}"
        elif "ground_truth" in row:
            acc = "  (no ground truth)"
        ident = row.get("arch") or f"{row['hash']}  ops={row['ops'][1:-1]}"
        print(f"{k:>3}. score {row['score']:+.3f}  tier {row['tier']}{acc}  {ident}")
    return 0
