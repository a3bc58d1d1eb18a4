#!/usr/bin/env python
"""Few-shot transfer: a shipped NB201 CIFAR-10 ranker fine-tuned on a few labels of another dataset.

For CIFAR-100 and ImageNet16-120 targets, per seed: zero-shot (the CIFAR-10 ranker as it is),
fine-tuned at 10 / 20 / 50 labels (`Ranker.fit(..., init="nb201-cifar10")`), and from scratch at
the same sizes and at 156. Labels are the target's validation accuracy; judged on its test accuracy
(and, like for like, on the validation accuracy) over every labelled cell that is neither in the
split's training cells nor in the shipped ranker's training cells (its manifest lists them).
The fine-tune rule itself was chosen on design pairs (the CIFAR-100 and ImageNet16-120 rankers
fine-tuned on CIFAR-10 labels), reported apart.

    python -m benchmarks.transfer [--seeds 5] [--results DIR] [--quick] [--no-design]
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import Records, kendall_tau, markdown_table, settings_digest
from narank.benchmarks import load_table
from narank.predictor import Ranker
from narank.pretrained import load_pretrained
from narank.spaces import get_space
from narank.training_data import labelled

SOURCE = "nb201-cifar10"
TARGETS = ("cifar100", "imagenet16_120")
SHOTS = (10, 20, 50)
SCRATCH_ONLY = (156,)
RESULTS = Path(__file__).parent / "results"


def previous_rule(ranker: Ranker, cells: list, y: np.ndarray, seed: int) -> Ranker:
    """The fine-tune rule before this one, for comparison: `ranker` (fine-tuned from a source) with
    the source's trees boosted `FINE_TUNE_TREES` more on the labels, and its blend re-calibrated."""
    from narank.graph_features import graph_features
    from narank.model.tabular import fit_tabular

    other = copy.deepcopy(ranker)
    space = get_space(ranker.manifest_["space"])
    names = tuple(ranker.manifest_["graph_features"])
    values = graph_features(space, cells, ranker.manifest_["dataset"], names)
    other.tabular_ = fit_tabular(other._standardized(values), y, seed, ranker.tabular_.copy())
    other.calibrate_blend(seed)
    return other


def transfer_run(source_name: str, target: str, seed: int, shots: tuple[int, ...], scratch: tuple[int, ...],
                 epochs: int | None, data: str | None) -> list[dict]:
    """Rows of one (source, target, seed): zero-shot, fine-tuned (and by the previous rule) and
    from-scratch τ on the same held-out cells."""
    torch.set_num_threads(1)
    source = load_pretrained(source_name)
    space = get_space("nb201")
    cols = space.columns(target, "valid")
    table = load_table("nb201", data)
    cells, label, ids = labelled(table, cols.train)
    judge = table.targets(cols.evaluate, ids)
    seen = set(source.manifest["train_ids"])
    pool = np.array([i for i, cid in enumerate(ids) if cid not in seen and np.isfinite(judge[i])])
    order = np.random.default_rng(seed).permutation(pool)
    held = order[max(shots + scratch):]  # one held-out set for every size
    held_cells = [cells[i] for i in held]
    base = {"source": source_name, "target": target, "seed": seed, "n_test": len(held)}

    def row(method: str, size: int, scores: np.ndarray, **extra: float) -> dict:
        return {**base, "size": size, "method": method, **extra,
                "kendall_tau": kendall_tau(scores, judge[held]),
                "kendall_tau_label": kendall_tau(scores, label[held])}

    rows = [row("zero-shot", 0, source.predict(held_cells))]
    for size in (*shots, *scratch):
        train = order[:size]
        x, y = [cells[i] for i in train], label[train]
        runs = [("scratch", None)] * (size in scratch or source_name == SOURCE) \
            + [("fine-tuned", source)] * (size in shots)
        for how, init in runs:
            params = source.get_params() if init is not None else {"space": "nb201"}
            ranker = Ranker(**{**params, "dataset": target, "random_state": seed})
            if epochs is not None:
                ranker.set_params(epochs=epochs)
            start = time.process_time()
            ranker.fit(x, y, init=init)
            cpu = time.process_time() - start
            rows.append(row(how, size, ranker.predict(held_cells), fit_cpu_seconds=cpu))
            if init is not None:
                rows.append(row("previous rule", size, previous_rule(ranker, x, y, seed).predict(held_cells)))
    return rows


#: pairs the fine-tune rule was chosen on (source -> target); never the reported pairs
DESIGN_PAIRS = (("nb201-cifar100", "cifar10"), ("nb201-imagenet16_120", "cifar10"))


def write_report(rows: list[dict], path: Path, source_manifest: dict) -> None:
    """transfer.md: mean ± std τ per pair, method and size, the targets checked, and the design pairs."""
    def pick(source: str, target: str, method: str, size: int, key: str = "kendall_tau") -> list[float]:
        return [r[key] for r in rows if (r["source"], r["target"], r["method"], r["size"])
                == (source, target, method, size)]

    def cell(source: str, target: str, method: str, size: int, key: str = "kendall_tau") -> str:
        v = pick(source, target, method, size, key)
        return f"{np.mean(v):.3f} ± {np.std(v):.3f}" if v else "–"

    def mean(target: str, method: str, size: int) -> float | None:
        v = pick(SOURCE, target, method, size)
        return float(np.mean(v)) if v else None

    def table(source: str, target: str, sizes: list[int], methods: list[tuple[str, str]],
              key: str = "kendall_tau") -> list[str]:
        body = [[label, *[cell(source, target, m, 0 if m == "zero-shot" else s, key) for s in sizes]]
                for label, m in methods]
        return markdown_table(["labels", *map(str, sizes)], body) + [""]

    seeds = sorted({r["seed"] for r in rows})
    sizes = sorted({r["size"] for r in rows if r["size"] and r["source"] == SOURCE})
    lines = ["# Few-shot transfer (generated by `benchmarks/transfer.py`; do not edit)", "",
             f"Source: the shipped `{SOURCE}` ranker (trained on {len(source_manifest['train_ids'])} cells "
             "with the default recipe). Targets: NB201 CIFAR-100 and ImageNet16-120, labels = the "
             "target's validation accuracy, judged on its test accuracy over every labelled cell outside "
             "the split's training cells and the source's training cells (one held-out set per seed). "
             f"Kendall τ, mean ± std over {len(seeds)} seeds (seeds {seeds[0]}–{seeds[-1]}). "
             "*Fine-tuned*: `Ranker.fit(cells, y, init=\"nb201-cifar10\")`: the GNN continues from the "
             "source's weights for 50 epochs at a tenth of the learning rate, the source's XGBoost trees are "
             "kept as they are, graph features are re-standardized for the target on the source's training "
             "cells. *Previous rule*: the same, with the trees boosted 20 more rounds on the labels (what "
             "`init=` did before). The epochs and learning rate were fixed after one look at CIFAR-100 "
             "seed 0 with 20 labels (300 epochs at the full rate and 100 trees fell below zero-shot "
             "there); keeping the trees was chosen on the design pairs (last section: other sources, "
             "CIFAR-10 labels). *Zero-shot*: the source ranker unchanged.", ""]
    methods = [("zero-shot (CIFAR-10 ranker as it is)", "zero-shot"),
               ("fine-tuned from CIFAR-10", "fine-tuned"),
               ("fine-tuned, previous rule (+20 trees)", "previous rule"), ("from scratch", "scratch")]
    for target in TARGETS:
        if not any((r["source"], r["target"]) == (SOURCE, target) for r in rows):
            continue
        lines += [f"## {target}", ""] + table(SOURCE, target, sizes, methods)
        lines += ["Like for like (judged on the held-out cells' validation accuracy, the label learnt):", ""]
        lines += table(SOURCE, target, sizes, methods, "kendall_tau_label")
        tuned, zero = mean(target, "fine-tuned", 20), mean(target, "zero-shot", 0)
        big = mean(target, "scratch", 156)
        if tuned is not None and zero is not None and big is not None:
            above = "met" if tuned >= zero + .02 else f"**missed by {zero + .02 - tuned:.3f}**"
            scratch = "met" if tuned >= big else f"**missed by {big - tuned:.3f}**"
            lines += [f"Goals at 20 labels: fine-tuned {tuned:.3f} vs zero-shot + .02 = {zero + .02:.3f}: "
                      f"{above}; vs from scratch at 156 = {big:.3f}: {scratch}.", ""]
        cpu = [r["fit_cpu_seconds"] for r in rows
               if (r["source"], r["target"], r["method"]) == (SOURCE, target, "fine-tuned")]
        if cpu:
            lines += [f"Fine-tune CPU time (1 thread): {np.mean(cpu):.1f} s per fit on average.", ""]
    design = [(s, t) for s, t in DESIGN_PAIRS if any((r["source"], r["target"]) == (s, t) for r in rows)]
    if design:
        lines += ["## Design pairs: how the fine-tune rule was chosen", "",
                  "Shipped rankers of other datasets fine-tuned on CIFAR-10 labels (held out: every labelled "
                  "cell outside the first 50 of each seed's order and the source's training cells). On these "
                  "pairs, boosting the source's trees on the few labels (the previous rule) fell well below "
                  "the source's zero-shot τ at every size; keeping them stayed near it or above it. That "
                  "decided the rule, before the reported pairs were run with it.", ""]
        for source, target in design:
            shots = sorted({r["size"] for r in rows
                            if (r["source"], r["target"]) == (source, target) and r["size"]})
            lines += [f"### {source} → {target}", ""]
            lines += table(source, target, shots, [("zero-shot", "zero-shot"),
                                                   ("fine-tuned (trees kept)", "fine-tuned"),
                                                   ("previous rule (+20 trees)", "previous rule")])
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--target", action="append", choices=TARGETS)
    parser.add_argument("--data", help="data folder (default $NARANK_DATA, ./data)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="output folder")
    parser.add_argument("--quick", action="store_true", help="1 seed, 10 labels, 20 epochs (minutes)")
    parser.add_argument("--no-design", action="store_true", help="skip the design pairs")
    args = parser.parse_args(argv)
    shots, scratch, epochs = (SHOTS, SCRATCH_ONLY, None) if not args.quick else ((10,), (), 20)
    seeds = 1 if args.quick else args.seeds
    settings = {"shots": shots, "scratch": scratch, "epochs": epochs, "rule": "trees kept",
                "source": load_pretrained(SOURCE).manifest.get("checksum") or SOURCE}
    records = Records(args.results / "transfer_runs.jsonl", ("source", "target", "seed", "size", "method"))
    pairs = [(SOURCE, t, scratch) for t in args.target or TARGETS]
    if not (args.quick or args.no_design):
        pairs += [(s, t, ()) for s, t in DESIGN_PAIRS]
    todo = [{"source": s, "target": t, "seed": k, "size": 0, "method": "zero-shot", "scratch": sc}
            for s, t, sc in pairs for k in range(seeds)]
    rows = records.run(todo, lambda item: transfer_run(item["source"], item["target"], item["seed"], shots,
                                                       item["scratch"], epochs, args.data),
                       settings_digest(settings))
    write_report(rows, args.results / "transfer.md", load_pretrained(SOURCE).manifest)
    print((args.results / "transfer.md").read_text())


if __name__ == "__main__":
    main()
