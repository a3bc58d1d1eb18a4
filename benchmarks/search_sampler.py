"""Ablation of the tier-statistics samplers: what one search round gets from each, on a fixed ranker.

For each dataset and seed, a search ranker (the loop's settings) is trained on the seed's shared
initial cells (n = 10 and 30 of `initial_order`), then each sampler draws 256 candidates from the
pool (looked-up cells excluded) with the same statistics sample of 2000 ranked cells:

- `uniform`: uniform cells;
- `nar`: NAR's sampler (FLOPs x params targets from the top tier, KL gate 0.05, 20% random);
- `nar-nogate`: the same without the gate and without the random share;
- `joint`: the joint tier sampler (`JointTierSampler`: the ranker's tier-1 rate per joint bin of
  every cell feature), and `joint^2` (that rate squared: sharper).

Measured per draw: the mean reported accuracy of the candidates, their share in the pool's top 5%
(by validation accuracy), and what a round would look up: the true accuracy of the best (by
validation) of the ranker's 10 top candidates, among the sampled candidates alone and among them
plus the neighbours of the 5 best labelled cells (the loop's real candidate set), with the share
of those 10 that came from the sampler. Writes benchmarks/results/search_sampler.md / .json
(read by benchmarks/search.py into search.md).

    NARANK_DATA=/work/shared/data nice -n 10 .venv/bin/python benchmarks/search_sampler.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).resolve().parent / "results"
SAMPLERS = ("uniform", "nar", "nar-nogate", "joint", "joint^2")


def draw(name: str, pool: Any, stat_idx: np.ndarray, tiers: np.ndarray, exclude: set,
         rng: np.random.Generator, otable: Any) -> list:
    """256 candidates from sampler `name`, all using the same ranked statistics sample."""
    from narank.search.tier_stats import (
        JointTierSampler,
        TierSampler,
        pool_keys,
        tier_stats_from,
        uniform_candidates,
    )

    if name == "uniform":
        return uniform_candidates(256, rng, pool, exclude=exclude).cells
    if name.startswith("nar"):
        feats = {k: pool.features[k][stat_idx] for k in ("flops_M", "params_M")}
        stats = tier_stats_from(otable.space, otable.dataset, feats, tiers, 5)
        gate, frac = (0.05, 0.2) if name == "nar" else (-1.0, 0.0)
        return TierSampler(stats, gate, frac).sample(256, rng, pool, exclude=exclude).cells
    power = 2.0 if name == "joint^2" else 1.0
    return JointTierSampler(pool, pool_keys(pool), stat_idx, tiers, power=power).sample(
        256, rng, exclude=exclude).cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--labelled", default="10,30")
    parser.add_argument("--groups", default="nb201/cifar10,nb201/cifar100,nb201/imagenet16_120")
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)

    import torch
    from scipy.stats import wilcoxon

    torch.set_num_threads(1)
    from narank.benchmarks import load_table
    from narank.search.loop import SearchConfig, make_ranker
    from narank.search.oracle import Oracle, oracle_table
    from narank.search.protocol import fresh_neighbours, initial_cells, search_pool
    from narank.search.tier_stats import cell_key

    cfg = SearchConfig()
    rows: list[dict[str, Any]] = []
    for group in args.groups.split(","):
        space_name, dataset = group.split("/")
        otable = oracle_table(load_table(space_name, args.data), dataset)
        pool = search_pool(otable)
        pos = [otable.pos[otable.space.canonical_id(c)] for c in pool.cells]
        valid = otable.valid[pos]
        reported = (otable.test if otable.test is not None else otable.valid)[pos]
        top5 = np.nanquantile(valid, 0.95)
        by_id = {otable.space.canonical_id(c): i for i, c in enumerate(pool.cells)}
        for n in (int(x) for x in args.labelled.split(",")):
            for seed in range(args.seeds):
                oracle = Oracle(otable, n)
                labelled = initial_cells(otable, seed, n)
                accs = [oracle.query(c) for c in labelled]
                ranker = make_ranker(otable.space, dataset, cfg, seed)
                ranker.fit(labelled, accs)
                rng = np.random.default_rng([seed, n])
                stat_idx = rng.integers(0, len(pool.cells), size=cfg.stats_samples)
                _, tiers = ranker.rank([pool.cells[i] for i in stat_idx.tolist()])
                best = [labelled[j] for j in np.argsort(-np.asarray(accs))[:cfg.mutate_top].tolist()]
                for name in SAMPLERS:
                    srng = np.random.default_rng([seed, n, 1])
                    cands = [c for c in draw(name, pool, stat_idx, tiers, oracle.keys, srng, otable)
                             if oracle.fresh(c)]
                    idx = np.array([by_id[otable.space.canonical_id(c)] for c in cands])
                    near = fresh_neighbours(oracle, best, srng, {cell_key(c) for c in cands})
                    row = {"group": group, "n": n, "seed": seed, "sampler": name,
                           "mean_acc": float(np.nanmean(reported[idx])),
                           "top5_share": float(np.mean(valid[idx] >= top5))}
                    for label, pool_cands in (("alone", cands), ("with_neighbours", cands + near)):
                        scores, ctiers = ranker.rank(pool_cands)
                        top = np.lexsort((-scores, ctiers != 1))[:cfg.k]
                        ids = np.array([by_id[otable.space.canonical_id(pool_cands[i])] for i in top])
                        row[f"round_{label}"] = float(reported[ids[int(np.nanargmax(valid[ids]))]])
                        if label == "with_neighbours":
                            row["from_sampler"] = float(np.mean(top < len(cands)))
                    rows.append(row)
                print(f"{group} n={n} seed={seed}", file=sys.stderr, flush=True)
    out = Path(args.out)
    (out / "search_sampler.json").write_text(json.dumps({"rows": rows}, indent=1))

    md = ["### Sampler ablation on a fixed ranker (`benchmarks/search_sampler.py`)", "",
          f"A search ranker trained on the seed's n initial cells ({args.seeds} seeds); each sampler "
          "draws 256 candidates from the same ranked statistics sample. *mean acc* = mean reported "
          "accuracy of the candidates; *top 5%* = their share in the pool's best 5% (validation); "
          "*round, sampled only* / *round, + neighbours* = reported accuracy of the best (by "
          "validation) of the 10 cells the ranker would look up from the sampled candidates alone / "
          "from them plus the new neighbours of the 5 best labelled cells (the loop's candidate set), "
          "p = paired Wilcoxon vs `uniform` on that column; *from sampler* = share of those 10 "
          "taken from the sampled candidates.", "",
          "| dataset | n | sampler | mean acc | top 5% | round, sampled only | p | round, + neighbours "
          "| p | from sampler |", "|---|---|---|---|---|---|---|---|---|---|"]
    summary: dict[str, Any] = {}
    for group in args.groups.split(","):
        for n in (int(x) for x in args.labelled.split(",")):
            mine = [r for r in rows if r["group"] == group and r["n"] == n]
            base = {r["seed"]: r for r in mine if r["sampler"] == "uniform"}
            for name in SAMPLERS:
                sel = sorted((r for r in mine if r["sampler"] == name), key=lambda r: r["seed"])
                if not sel:
                    continue
                cells = []
                for col in ("round_alone", "round_with_neighbours"):
                    a = np.array([r[col] for r in sel])
                    b = np.array([base[r["seed"]][col] for r in sel])
                    p = (float(wilcoxon(a, b).pvalue) if name != "uniform" and np.any(a != b) else 1.0)
                    cells.append(f"{a.mean():.2f} | {'-' if name == 'uniform' else f'{p:.3f}'}")
                    summary.setdefault(f"{group}/{n}/{name}", {})[col] = {"mean": float(a.mean()), "p": p}
                md.append(f"| {group} | {n} | {name} | {np.mean([r['mean_acc'] for r in sel]):.2f} | "
                          f"{np.mean([r['top5_share'] for r in sel]):.1%} | {cells[0]} | {cells[1]} | "
                          f"{np.mean([r['from_sampler'] for r in sel]):.0%} |")
    (out / "search_sampler.json").write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    (out / "search_sampler.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
