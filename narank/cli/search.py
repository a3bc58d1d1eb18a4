"""`narank search`: budgeted search with the NAR ranker against its peers under one protocol."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import numpy as np

from narank.cli import args as num
from narank.cli.device import add_device_argument
from narank.errors import NarankError
from narank.spaces import space_names
from narank.threads import add_threads_argument

HELP = "search a space under a lookup budget: narank vs BANANAS, XGBoost-on-GRAF, REA, random"
DESCRIPTION = (
    HELP + ". Each method may look up at most --budget ground-truth accuracies per seed, under one "
    "protocol: the same pool and initial cells, and no cell computing the same function as one "
    "already looked up. The summary reports the accuracy of the cell each method picks. Prints "
    "only; a plot is written only where --plot says. Needs the space's table (see data/README.md)."
)


def add_parser(subparsers: Any) -> None:
    """Register the `search` subcommand."""
    p = subparsers.add_parser("search", help=HELP, description=DESCRIPTION)
    p.add_argument("--space", default="nb201",
                   help=f"search space: {', '.join(space_names())}, or a spec file (.yaml/.json) "
                        "(default nb201)")
    p.add_argument("--dataset", help="dataset of the space (default: its first, cifar10)")
    p.add_argument("--budget", type=num.int_in(None, num.MAX_BUDGET), default=100,
                   help="ground-truth lookups per run (default 100)")
    p.add_argument("--seeds", type=num.int_in(None, num.MAX_SEEDS), default=10,
                   help="number of seeds (default 10)")
    p.add_argument("--first-seed", type=num.seed_value, default=0, help="first seed (default 0)")
    p.add_argument("--methods", default="narank,rea,random,uniform",
                   help="comma list of narank (joint tier sampler narrowed by the SED prior), "
                        "narank-joint (no prior), narank-nar (NAR's original sampler), uniform "
                        "(uniform candidates), bananas, xgb-graf, rea, random, sed, tenas (default "
                        "narank,rea,random,uniform)")
    p.add_argument("--data", help="benchmark table file or data folder (default $NARANK_DATA, ./data)")
    p.add_argument("--plot", metavar="PNG", help="write the best-so-far plot to this PNG file "
                   "(default: no plot, no file written)")
    p.add_argument("--no-plot", action="store_true", help="no plot (the default; kept for old scripts)")
    p.add_argument("--out", help="write the cell each run picks (method, seed, id, accuracies, lookups) to "
                   "this file: .csv, .parquet or .json by the extension (default: none)")
    own = p.add_argument_group(
        "your own table", "a CSV of architectures and accuracies for any space (instead of the official "
        "table; also the candidate cells of a real search on a space that cannot be listed)")
    own.add_argument("--table", help="CSV file with one architecture per line")
    own.add_argument("--arch-column", default="arch", help="its architecture column (default arch)")
    own.add_argument("--label-column", default="accuracy", help="its accuracy column (default accuracy)")
    real = p.add_argument_group(
        "real search", "train (or run a program on) the cells the method picks instead of looking them up: "
        "one method, one seed (--first-seed); resumable from --run-dir")
    how = real.add_mutually_exclusive_group()
    how.add_argument("--evaluate", metavar="CMD", help="run CMD per cell: {arch} (the cell as written), {id} "
                     "and {out} (a JSON file for {\"accuracy\": ...}) are filled in; else the last number "
                     "it prints is the accuracy")
    how.add_argument("--train", metavar="IMAGES", help="train the space's network on IMAGES: digits, a "
                     "folder of CIFAR python batches, or an image folder (one sub-folder per class)")
    real.add_argument("--test-images", help="with --train: also report accuracy on these images")
    real.add_argument("--epochs", type=num.int_in(1, 10_000), default=3, help="training epochs (default 3)")
    real.add_argument("--width", type=num.int_in(1, 4096), default=8, help="stem channels (default 8)")
    real.add_argument("--cells-per-stage", type=num.int_in(1, 64), default=1,
                      help="cells per stage (default 1)")
    real.add_argument("--batch-size", type=num.int_in(1, 1_000_000), default=64,
                      help="batch size (default 64)")
    real.add_argument("--lr", type=num.positive_float, default=0.05, help="learning rate (default 0.05)")
    real.add_argument("--schedule", choices=("cosine", "constant"), default="cosine",
                      help="learning-rate schedule (default cosine)")
    real.add_argument("--resolution", type=num.int_in(4, 1024), default=8, help="image size (default 8)")
    real.add_argument("--eval-timeout", type=num.positive_float, default=3600.0,
                      help="with --evaluate: seconds per evaluation before it counts as failed "
                           "(default 3600)")
    real.add_argument("--workers", type=num.int_in(None, num.MAX_WORKERS), default=1,
                      help="evaluations at once on a Dask LocalCluster of that many processes (default 1)")
    real.add_argument("--scheduler", help="address of a running Dask scheduler to evaluate on")
    real.add_argument("--run-dir", help="folder of the search's state (default: a new folder in the cache, "
                      "printed); re-run with --resume DIR after a kill")
    real.add_argument("--resume", metavar="DIR", help="continue the real search saved in DIR: nothing that "
                      "finished is evaluated again")
    add_threads_argument(p)
    add_device_argument(p, used=False)  # used by --train's evaluations; the ranker stays on the CPU
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def _user_table(space: Any, args: argparse.Namespace) -> Any:
    """The user's --table, read for `space` (unparseable lines reported; clear errors)."""
    from narank.benchmarks.user_table import read_user_csv

    return read_user_csv(space, args.table, args.arch_column, (args.label_column,))


def run_real(args: argparse.Namespace, space: Any, dataset: str) -> int:
    """A search that evaluates what it picks (--evaluate / --train / --resume)."""
    import time
    from pathlib import Path

    from narank.checkpoint import check_output_dir, check_output_path
    from narank.engine import check_scheduler, check_workers
    from narank.evaluators import CommandEvaluator, TrainingEvaluator
    from narank.paths import cache_dir
    from narank.search.ask_tell import Search
    from narank.search.harness import parse_methods
    from narank.search.nas import load_evaluator, resume_search, run_search, save_evaluator

    check_workers(args.workers)
    check_scheduler(args.scheduler)
    if args.plot is not None:
        check_output_path(args.plot, "plot", "--plot")
    if args.out is not None:
        from narank.cli.output import check_table_path

        check_table_path(args.out, "search history")
    table = _user_table(space, args) if args.table else None
    if args.resume:
        run_dir = Path(args.resume)
        evaluator = load_evaluator(run_dir)
        search = resume_search(run_dir, table)
    else:
        methods = parse_methods(args.methods)
        if len(methods) != 1:
            raise NarankError(f"a real search runs one method, got --methods {args.methods}; name one")
        if args.evaluate:
            evaluator = CommandEvaluator(args.evaluate, timeout=args.eval_timeout)
        else:
            evaluator = TrainingEvaluator(images=args.train, epochs=args.epochs, channels=args.width,
                                          cells=args.cells_per_stage, batch_size=args.batch_size, lr=args.lr,
                                          schedule=args.schedule, resolution=args.resolution,
                                          test_images=args.test_images, seed=args.first_seed,
                                          device=args.device).check()
        if table is None and space.enumerate() is None:
            raise NarankError(f"{space.name} cannot be listed as a whole: give --table with the candidate "
                              "cells to search among")
        run_dir = Path(args.run_dir) if args.run_dir else (
            cache_dir() / "search" / f"{space.name}-{methods[0]}-{time.strftime('%Y%m%d-%H%M%S')}")
        check_output_dir(run_dir, "search state", "--run-dir")
        if (run_dir / "search.json").exists():
            raise NarankError(f"{run_dir} holds a search already: continue it with --resume {run_dir}, or "
                              "choose another --run-dir")
        if hasattr(evaluator, "checkpoint_dir"):
            from dataclasses import replace

            evaluator = replace(evaluator, checkpoint_dir=str(run_dir / "training"))
        search = Search(space, methods[0], dataset, args.budget, args.first_seed, table)
        run_dir.mkdir(parents=True, exist_ok=True)
        save_evaluator(run_dir, evaluator)
        search.save(run_dir / "search.json")
    print(f"narank search: state in {run_dir} (continue after a kill with --resume {run_dir})",
          file=sys.stderr)
    from narank.threads import set_threads

    set_threads(args.threads)
    result = run_search(search, evaluator, args.workers, args.scheduler, run_dir, progress=not args.json)
    trials = result.search.trials()
    best = result.best
    summary = {"space": search.space.name, "dataset": search.dataset, "method": search.method,
               "budget": search.budget, "seed": search.random_state, "evaluator": evaluator.settings(),
               "run_dir": str(run_dir), "evaluated_now": result.evaluated,
               "seconds": round(result.seconds, 2),
               "failed": sum(not t.ok for t in trials), "best": best.to_json() if best else None,
               "history": [t.to_json() for t in trials]}
    if args.plot is not None:
        result.plot(args.plot)
        summary["plot"] = args.plot
    if args.out is not None:
        from narank.cli.output import write_columns

        keys = ("n", "id", "arch", "value", "test", "error")
        write_columns(args.out, {k: [t.to_json()[k] for t in trials] for k in keys})
        summary["out"] = args.out
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(f"{search.method} on {search.space.name}/{search.dataset}: {len(trials)} evaluations "
              f"({result.evaluated} now, {summary['failed']} failed) in {result.seconds:.1f} s")
        if best is not None:
            print(f"best: {best.arch}  accuracy {best.value:.2f}"
                  + (f"  test {best.test:.2f}" if best.test is not None else ""))
        for key in ("plot", "out"):
            if key in summary:
                print(f"{key}: {summary[key]}")
    return 0


def name_by_columns(summary: dict[str, Any], cols: Any) -> dict[str, Any]:
    """The summary with its accuracies keyed by the column actually used: a table with one accuracy
    column (NATS-SSS: test accuracy only) is searched and reported on it, so its values are
    `test_acc`, never `valid_acc`."""
    if cols.has_test:
        return summary
    key = cols.train.removeprefix(f"{summary['dataset']}_")
    out = {**summary, "metric": key, "optimum": {key: summary["optimum"]["valid_acc"]}}
    out["methods"] = {}
    for name, m in summary["methods"].items():
        runs = [{**{k: v for k, v in r.items() if k not in ("valid_acc", "test_acc")}, key: r["valid_acc"]}
                for r in m["runs"]]
        values = [r[key] for r in runs]
        m = {k: v for k, v in m.items() if not k.startswith(("valid_", "test_acc_"))}  # valid = test here
        out["methods"][name] = {f"{key}_mean": float(np.mean(values)) if values else None,
                                f"{key}_std": float(np.std(values)) if values else None, **m, "runs": runs}
    return out


def format_text(summary: dict[str, Any], cols: Any) -> str:
    """The harness's text table of a `summarise` result, with the column names of a one-accuracy
    table (see name_by_columns): its `valid_acc` header and best-valid column name the column used."""
    from narank.search.harness import format_summary

    text = format_summary(summary)
    if cols.has_test:
        return text
    key = cols.train.removeprefix(f"{summary['dataset']}_")
    header = f"{key} mean ± std"
    return text.replace(f"{'valid_acc mean ± std':>22}", f"{header:>22}", 1).replace(
        " best-valid", f"{'best-' + key.removesuffix('_acc'):>11}", 1).replace(
        "; best-valid =", f"; best-{key.removesuffix('_acc')} =")


def _rows(summary: dict[str, Any]) -> dict[str, list]:
    """One row per run (the cell it picked, its accuracies, its lookups), as columns for `write_columns`."""
    runs = [(method, r) for method, m in summary["methods"].items() for r in m["runs"]]
    accuracies = [k for k in ("valid_acc", "test_acc") if any(r.get(k) is not None for _, r in runs)]
    columns: dict[str, list] = {"method": [method for method, _ in runs]}
    for key in ("seed", "id", "arch", *accuracies, "queries"):
        columns[key] = [r.get(key) for _, r in runs]
    return columns


def run(args: argparse.Namespace) -> int:
    """Run every method for every seed, print the summary, write the plot and --out if asked."""
    from narank.benchmarks import require_table_file
    from narank.checkpoint import check_output_path
    from narank.cli.device import check_device
    from narank.cli.output import check_table_path, write_columns
    from narank.search.harness import parse_methods
    from narank.search.loop import SearchConfig
    from narank.spaces import get_space

    space = get_space(args.space)
    dataset = space.dataset(args.dataset)
    if args.evaluate or args.train or args.resume:
        return run_real(args, space, dataset)
    methods = parse_methods(args.methods)
    if args.budget < 1:
        raise NarankError(f"--budget must be at least 1, got {args.budget}")
    if args.seeds < 1:
        raise NarankError(f"--seeds must be at least 1, got {args.seeds}")
    if args.first_seed < 0:
        raise NarankError(f"--first-seed must be >= 0, got {args.first_seed}")
    if args.first_seed + args.seeds - 1 > num.SEED_MAX:
        raise NarankError(f"--first-seed {args.first_seed} with --seeds {args.seeds} runs past the largest "
                          f"seed {num.SEED_MAX}; lower --first-seed")
    plot = None if args.no_plot else args.plot
    if plot is not None:
        check_output_path(plot, "plot", "--plot")
    if args.out is not None:
        check_table_path(args.out, "search results")
    check_device(args.device, "search", used=bool(args.train))
    user_table = _user_table(space, args) if args.table else None
    if user_table is None:
        require_table_file(space, args.data)  # before torch loads: a missing table is reported at once
    cols = space.columns(dataset)
    if user_table is not None:
        from narank.spaces import TableColumns

        cols = TableColumns(args.label_column, args.label_column, "params_M", None)
    initial = SearchConfig().init
    if args.budget <= initial:
        print(f"narank search: warning: --budget {args.budget} is at most the {initial} initial random cells "
              "every method starts from, so every method looks up the same cells here; give --budget > "
              f"{initial} to compare them", file=sys.stderr)
    if not cols.has_test:
        print(f"narank search: note: {space.name} tables have no validation accuracy: cells are selected by "
              f"test accuracy ({cols.train}), the same accuracy that is reported", file=sys.stderr)

    from tqdm.auto import tqdm

    from narank.benchmarks import load_table
    from narank.search.harness import plot_curves, run_method, summarise
    from narank.search.oracle import oracle_table
    from narank.threads import set_threads

    set_threads(args.threads)
    if user_table is not None:
        from narank.search.oracle import OracleTable

        otable = OracleTable(user_table, dataset, cols)
    else:
        otable = oracle_table(load_table(space, args.data), dataset)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    runs: dict[str, list] = {m: [] for m in methods}
    bar = tqdm(total=len(methods) * len(seeds), desc="search", unit="run", file=sys.stderr,
               disable=args.json or not sys.stderr.isatty(), leave=False)
    for method in methods:
        for seed in seeds:
            bar.set_postfix(method=method, seed=seed)
            runs[method].append(run_method(method, otable, args.budget, seed))
            bar.update()
    bar.close()
    raw = summarise(runs, otable, args.budget)
    summary = name_by_columns(raw, cols)
    if plot is not None:
        from pathlib import Path

        Path(plot).parent.mkdir(parents=True, exist_ok=True)
        opt = summary["optimum"][summary["metric"]]
        plot_curves(runs, args.budget, plot, f"{space} {dataset}: best-so-far pick, "
                    f"{len(seeds)} seeds", opt, ylabel=f"{summary['metric']} of pick (%)")
        summary["plot"] = plot
    if args.out is not None:
        write_columns(args.out, _rows(summary))
        summary["out"] = args.out
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(format_text(raw, cols))
        for key in ("plot", "out"):
            if key in summary:
                print(f"{key}: {summary[key]}")
    return 0
