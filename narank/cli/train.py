"""`narank train`: train a NAR ranker on a benchmark table and judge it on the held-out cells.

Only argument parsing and printing live here: the recipe is `narank.train.train_ranker`, and
every unset option takes the default of `Ranker` / `narank.train.default_train_config`. The
cheap checks (output path, table file) run before torch is imported, so a mistake is reported
in about a second.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path
from typing import Any

from narank import training_data as defaults
from narank.cli import args as num
from narank.cli.device import add_device_argument
from narank.threads import add_threads_argument

DESCRIPTION = (
    "Train a NAR ranker on a seeded random split of a space's benchmark table and report its "
    "ranking metrics on every cell it did not see. The checkpoint is written every "
    "--checkpoint-every epochs while training, so a killed run continues with --resume. "
    "Needs the space's table (see data/README.md)."
)
CHECKPOINT_EVERY = 10

# Ranker parameters the CLI exposes: option dest -> Ranker parameter name.
RANKER_OPTIONS = ("epochs", "lr", "weight_decay", "batch_size", "lam", "tiers", "encoder", "dim",
                  "layers", "heads", "dropout", "node_features", "graph_features", "pretrain", "tabular",
                  "device")


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a NAR ranker on a benchmark table (NB101 by default)",
                       description=DESCRIPTION)
    add_training_arguments(p)
    p.set_defaults(func=run)


def add_training_arguments(p: argparse.ArgumentParser) -> None:
    from narank.spaces import get_space, space_names

    names = space_names()
    auto = defaults.describe_defaults()
    p.add_argument("--space", choices=names,
                   help="search space (default nb101; with --resume: the checkpoint's)")
    p.add_argument("--dataset", help="dataset (default: the space's first): " + "; ".join(
        f"{s}: {', '.join(get_space(s).datasets)}" for s in names))
    p.add_argument("--train-size", type=num.int_in(None, num.MAX_CELLS),
                   help="labelled training cells (default: " + ", ".join(
                       f"{s} {get_space(s).default_train_size}" for s in names) + ")")
    p.add_argument("--seed", type=num.seed_value, default=0,
                   help="seed of the split and of training (default 0)")
    p.add_argument("--epochs", type=num.int_in(1, num.MAX_EPOCHS),
                   help=f"training epochs (default: {auto['epochs']})")
    p.add_argument("--lr", type=num.positive_float, help=f"learning rate (default {defaults.DEFAULT_LR:g})")
    p.add_argument("--weight-decay", type=num.nonnegative_float,
                   help=f"AdamW weight decay (default {defaults.DEFAULT_WEIGHT_DECAY:g})")
    p.add_argument("--batch-size", type=num.int_in(1, num.MAX_BATCH),
                   help=f"batch size (default: {auto['batch_size']})")
    p.add_argument("--lam", type=num.nonnegative_float,
                   help=f"weight of the ranking loss (default: {auto['lam']})")
    p.add_argument("--tiers", type=num.int_in(1, num.MAX_DEPTH),
                   help=f"quality tiers (default {defaults.DEFAULT_TIERS})")
    p.add_argument("--encoder", choices=defaults.ENCODERS,
                   help=f"graph encoder (default {defaults.DEFAULT_ENCODER})")
    p.add_argument("--dim", type=num.int_in(1, num.MAX_WIDTH),
                   help=f"hidden width (default {defaults.DEFAULT_DIM})")
    p.add_argument("--layers", type=num.int_in(1, num.MAX_DEPTH),
                   help=f"encoder layers (default {defaults.DEFAULT_LAYERS})")
    p.add_argument("--heads", type=num.int_in(1, num.MAX_DEPTH),
                   help=f"attention heads (default {defaults.DEFAULT_HEADS})")
    p.add_argument("--dropout", type=num.fraction, help=f"dropout (default {defaults.DEFAULT_DROPOUT:g})")
    p.add_argument("--node-features", help="comma-separated extra node features (flops, params, sed, ntk); "
                   f"'' for none (default {','.join(defaults.DEFAULT_NODE_FEATURES)})")
    p.add_argument("--graph-features", help="comma-separated per-cell features added to the pooled "
                   "embedding and fed to the tabular half (graf, params, flops, sed; '' for none; "
                   "default auto = all that the space offers)")
    p.add_argument("--tabular", choices=(*defaults.TABULAR_HEADS, "none"),
                   help=f"tabular model blended with the GNN's score (default {defaults.DEFAULT_TABULAR}; "
                        "none = the GNN alone)")
    p.add_argument("--pretrain", type=num.int_in(0, num.MAX_CELLS), metavar="N",
                   help="first pretrain the encoder on N unlabelled cells of the space (predicting GRAF, "
                        "params, FLOPs, SED; default 0 = none)")
    p.add_argument("--target", default="valid", choices=("valid", "test"),
                   help="accuracy to train on where the benchmark has both (evaluation is on test "
                        "accuracy where there is one; default valid)")
    p.add_argument("--out", help=f"checkpoint path (default {defaults.DEFAULT_OUT}; with --resume: "
                   "the resumed file)")
    p.add_argument("--checkpoint-every", type=num.int_in(0, num.MAX_EPOCHS), default=CHECKPOINT_EVERY,
                   metavar="N",
                   help=f"write the resumable checkpoint every N epochs, atomically (default "
                        f"{CHECKPOINT_EVERY}; 0 = only at the end)")
    p.add_argument("--resume", help="continue an interrupted or finished run from this checkpoint up to "
                   "its own epochs, or --epochs if larger (same result as an uninterrupted run; the "
                   "learning-rate warm-up is not repeated, the cosine decay is stretched to the new end)")
    p.add_argument("--init", metavar="NAME_OR_PATH",
                   help="fine-tune a shipped ranker (see `narank pretrained`) or a checkpoint on this "
                   "dataset's labels, e.g. --init nb201-cifar10 --dataset cifar100 --train-size 20: its "
                   "network continues at a tenth of the learning rate, its trees are kept")
    p.add_argument("--data", help="benchmark table file or data folder (default $NARANK_DATA, ./data)")
    p.add_argument("--table", help="your own CSV of architectures and accuracies instead of the benchmark "
                   "table (with --arch-column and --label-column)")
    p.add_argument("--arch-column", default="arch", help="--table's architecture column (default arch)")
    p.add_argument("--label-column", default="accuracy", help="--table's accuracy column (default accuracy)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_threads_argument(p)
    add_device_argument(p)


def ranker_params(args: argparse.Namespace) -> dict[str, Any]:
    """The Ranker parameters given on the command line (unset ones are left to the defaults)."""
    params = {k: getattr(args, k) for k in RANKER_OPTIONS if getattr(args, k, None) is not None}
    for key in ("node_features", "graph_features"):
        if key in params:
            params[key] = tuple(f.strip() for f in params[key].split(",") if f.strip())
    if params.get("tabular") == "none":
        params["tabular"] = None
    if params.get("device") == "cpu":  # --device's default is the library's: leave it to the library
        del params["device"]
    return params


def _target_path(args: argparse.Namespace) -> str | None:
    """The checkpoint file this run will write, placeholders filled as `narank.train` fills them;
    None when the placeholders are wrong (`train_ranker` then says which)."""
    from narank.spaces import get_space

    out = args.out if args.out is not None else (args.resume if args.resume else defaults.DEFAULT_OUT)
    if "{" not in out:
        return out
    if args.resume is not None:  # the checkpoint's own space, dataset, cells and split seed
        from narank.checkpoint import load_checkpoint

        m = load_checkpoint(args.resume)["manifest"]
        fields = dict(space=m.get("space"), dataset=m.get("dataset"), n_train=len(m.get("train_ids", [])),
                      seed=m.get("split_seed", args.seed))
    else:
        space = get_space(args.space or "nb101")
        fields = dict(space=space.name, dataset=space.dataset(args.dataset), seed=args.seed,
                      n_train=args.train_size if args.train_size is not None else space.default_train_size)
    try:
        return out.format(**fields)
    except (KeyError, IndexError, ValueError):
        return None


def run(args: argparse.Namespace) -> int:
    from narank.benchmarks import require_table_file
    from narank.checkpoint import check_output_path, output_lock
    from narank.cli.device import check_device
    from narank.errors import NarankError
    from narank.training_data import check_train_size

    if args.train_size is not None:
        check_train_size(args.train_size)
    init = None
    if args.init is not None:  # loaded once: its space serves the checks below, then it is fine-tuned
        from narank.predictor import resolve_init

        init = resolve_init(args.init)
        args.space = init.space if args.space is None else args.space
    if args.checkpoint_every < 0:
        raise NarankError(f"--checkpoint-every must be >= 0 (0 = only at the end), "
                          f"got {args.checkpoint_every}")
    target = _target_path(args)
    if target is not None:
        check_output_path(target, "checkpoint")
    if args.resume is not None and not Path(args.resume).is_file():
        raise NarankError(f"{args.resume}: checkpoint not found; --resume takes a file written by "
                          "`narank train` (it is written every --checkpoint-every epochs)")
    check_device(args.device, "train")
    table = None
    if args.table is not None:
        from narank.benchmarks.user_table import read_user_csv
        from narank.spaces import get_space

        user_space = get_space(args.space or "nb101")
        table = read_user_csv(user_space, args.table, args.arch_column, (args.label_column,))
    elif args.space is not None or args.resume is None:
        require_table_file(args.space or "nb101", args.data)  # before torch: errors in a second
    from narank.threads import set_threads
    from narank.train import train_ranker

    set_threads(args.threads)
    out = args.out if args.out is not None else (None if args.resume else defaults.DEFAULT_OUT)
    space = args.space if args.space is not None or args.resume is not None else "nb101"
    # a second run writing the same checkpoint is refused while this one holds the lock
    with output_lock(target) if target is not None else contextlib.nullcontext():
        _, summary = train_ranker(space, args.dataset, train_size=args.train_size, seed=args.seed,
                                  target=args.target, data=args.data, out=out, resume=args.resume,
                                  checkpoint_every=args.checkpoint_every, verbose=not args.quiet,
                                  table=table, label_column=args.label_column if table is not None else None,
                                  init=init,
                                  **ranker_params(args))
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"trained {summary['space']}/{summary['dataset']} ranker on {summary['n_train']} cells "
              f"({summary['epochs']} epochs) in {summary['fit_seconds']:.1f} s -> {summary['checkpoint']}")
        print(format_metrics(summary))
    return 0


def format_metrics(m: dict) -> str:
    """Readable one-block summary of held-out metrics."""
    return (f"held-out cells: {m['n_test']}\n"
            f"  Kendall tau       {m['kendall_tau']:.4f}\n"
            f"  Spearman rho      {m['spearman_rho']:.4f}\n"
            f"  tier accuracy     {m.get('tier_accuracy', float('nan')):.4f}\n"
            f"  precision@top-1%  {m['precision_at_1pct']:.4f}\n"
            f"  precision@top-5%  {m['precision_at_5pct']:.4f}")
