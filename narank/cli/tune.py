"""`narank tune`: Optuna tuning of a ranker on the training cells of `narank train`'s split.

Argument parsing and printing only; the search is `narank.tuning.tune` (k-fold CV inside the
training cells, the default settings as trial 0). The held-out cells are read only to judge the
refitted best ranker at the end, as `narank train` judges its ranker.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from typing import Any

from narank.cli import args as num
from narank.cli.device import add_device_argument
from narank.threads import add_threads_argument

HELP = "tune a ranker's settings by cross-validation on its training cells (Optuna); judge the best"
DESCRIPTION = (
    HELP + ". The training cells are the seeded split `narank train` uses with the same --space, "
    "--dataset, --train-size and --seed; trials are scored by --folds-fold Kendall tau inside them "
    "(the default settings are trial 0, poor trials are pruned early), and Optuna's progress bar shows "
    "on stderr. The best settings are refitted on all training cells, judged on the held-out cells "
    "and, with --out, saved as a checkpoint. Needs the space's table (see data/README.md)."
)


def add_parser(subparsers: Any) -> None:
    """Register the `tune` subcommand."""
    from narank.spaces import space_names

    p = subparsers.add_parser("tune", help=HELP, description=DESCRIPTION)
    p.add_argument("--space", default="nb201", choices=space_names(), help="search space (default nb201)")
    p.add_argument("--dataset", help="dataset (default: the space's first)")
    p.add_argument("--train-size", type=num.int_in(None, num.MAX_CELLS),
                   help="labelled training cells (default: the space's, as narank train)")
    p.add_argument("--seed", type=num.seed_value, default=0,
                   help="seed of the split, the folds, the sampler and training (default 0)")
    p.add_argument("--trials", type=num.int_in(1, 10_000), default=12, help="Optuna trials (default 12)")
    p.add_argument("--folds", type=num.int_in(2, 100), default=3, help="cross-validation folds (default 3)")
    p.add_argument("--epochs", type=num.int_in(1, num.MAX_EPOCHS),
                   help="training epochs of every fit (default: the project default for the fold size)")
    p.add_argument("--out", help="save the refitted best ranker to this checkpoint (default: not saved)")
    p.add_argument("--data", help="benchmark table file or data folder (default $NARANK_DATA, ./data)")
    p.add_argument("--json", action="store_true", help="print the result as JSON (no progress bar)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_threads_argument(p)
    add_device_argument(p, used=False)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Tune on the training cells, refit the best, judge it on the held-out cells, print, save."""
    from narank.benchmarks import require_table_file
    from narank.checkpoint import check_output_path, output_lock
    from narank.cli.device import check_device
    from narank.spaces import get_space
    from narank.training_data import check_train_size

    space = get_space(args.space)
    dataset = space.dataset(args.dataset)
    if args.train_size is not None:
        check_train_size(args.train_size)
    if args.out is not None:
        check_output_path(args.out, "checkpoint")
    check_device(args.device, "tune", used=False)
    require_table_file(space, args.data)  # before torch: errors in a second

    from narank.cli.train import format_metrics
    from narank.evaluate import evaluate_ranker
    from narank.predictor import Ranker
    from narank.threads import set_threads
    from narank.training_data import labelled, split
    from narank.tuning import tune

    set_threads(args.threads)
    table = space.table(args.data)
    cells, acc, _ = labelled(table, space.columns(dataset).train)
    size = args.train_size if args.train_size is not None else space.default_train_size
    train_pos, _ = split(len(cells), size, args.seed)
    estimator = Ranker(space.name, dataset, epochs=args.epochs, random_state=args.seed)
    with output_lock(args.out) if args.out is not None else contextlib.nullcontext():
        result = tune(estimator, [cells[i] for i in train_pos], acc[train_pos], n_trials=args.trials,
                      folds=args.folds, seed=args.seed, progress=not (args.json or args.quiet))
        best = result.best_estimator_
        metrics = evaluate_ranker(best, table)
        if args.out is not None:
            best.manifest_.update({"split_seed": args.seed, "target": "valid", "metrics": metrics})
            best.save(args.out)
    states = [t.state.name.lower() for t in result.study_.trials]
    summary = {"space": space.name, "dataset": dataset, "n_train": len(train_pos), "folds": args.folds,
               "trials": len(states), "pruned": states.count("pruned"), "best_params": result.best_params_,
               "cv_kendall_tau": result.best_score_, "checkpoint": args.out, **metrics}
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"tuned a {space.name}/{dataset} ranker on {len(train_pos)} cells: {summary['trials']} trials "
          f"({summary['pruned']} pruned), {args.folds}-fold CV Kendall tau of the best "
          f"{result.best_score_:.4f}")
    print("best settings: " + ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                                        for k, v in result.best_params_.items()))
    print("the best settings refitted on all training cells:")
    print(format_metrics(metrics))
    if args.out is not None:
        print(f"checkpoint: {args.out}")
    return 0
