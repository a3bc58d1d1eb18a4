"""`narank oneshot`: gradient-based one-shot search (DARTS, GDAS) on NB201, plain or TopoNAS-simplified.

Argument parsing and printing only; the search is `narank.search.oneshot.OneShotSearch`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from narank.cli import args as num
from narank.cli.device import add_device_argument, check_device
from narank.errors import NarankError
from narank.threads import add_threads_argument

HELP = "one-shot gradient search (DARTS/GDAS) on NB201, optionally with TopoNAS path simplification"
DESCRIPTION = (
    "Search NB201 with a weight-sharing supernet: weights and architecture weights alpha are trained "
    "alternately on two halves of the images (first-order DARTS, or GDAS's Gumbel sampling). --topo "
    "merges each edge's 1x1 and 3x3 convolutions into one 3x3 path (narank's reading of TopoNAS, "
    "docs/toponas.md). Images: scikit-learn's digits (1,797 8x8 images resized, grey replicated to "
    "3 channels) unless --images names CIFAR-10 python batches. Prints the final alpha, the derived "
    "cell, its NB201 test accuracies (if the table is found), seconds per step and peak memory. With "
    "--checkpoint a killed search resumes where it stopped."
)


def add_parser(sub: Any) -> None:
    """Register the `oneshot` subcommand."""
    p = sub.add_parser("oneshot", help=HELP, description=DESCRIPTION)
    p.add_argument("--space", default="nb201", help="search space (only nb201 has a one-shot supernet)")
    p.add_argument("--method", default="darts", choices=("darts", "gdas"),
                   help="gradient method (default darts)")
    p.add_argument("--topo", action="store_true", help="TopoNAS-simplified supernet (default: plain)")
    p.add_argument("--no-kernel-norm", action="store_true",
                   help="with --topo: mix the raw kernels (ablation; default: normalise each candidate)")
    p.add_argument("--steps", type=num.int_in(1, num.MAX_STEPS), default=100,
                   help="search steps (default 100)")
    p.add_argument("--seed", type=num.seed_value, default=0,
                   help="seed of data split, init and sampling (default 0)")
    p.add_argument("--channels", type=num.int_in(1, num.MAX_WIDTH), default=16,
                   help="width C (default 16, NB201's)")
    p.add_argument("--cells", type=num.int_in(1, num.MAX_DEPTH), default=5,
                   help="cells per stage N (default 5, NB201's)")
    p.add_argument("--batch", type=num.int_in(1, num.MAX_BATCH), default=64, help="batch size (default 64)")
    p.add_argument("--size", type=num.int_in(1, num.MAX_WIDTH), default=32,
                   help="image side in pixels (default 32)")
    p.add_argument("--images", default="digits",
                   help="'digits' (default) or a CIFAR-10 python batch file / folder with data_batch_1..5")
    p.add_argument("--n-images", type=num.int_in(1, num.MAX_CELLS),
                   help="use this many images (default: all)")
    p.add_argument("--arch-lr", type=num.positive_float, default=3e-4,
                   help="alpha learning rate (default 3e-4)")
    p.add_argument("--lr", type=num.positive_float, default=0.025,
                   help="weight learning rate (default 0.025)")
    add_device_argument(p)
    p.add_argument("--checkpoint", help="checkpoint file: resumed from if present, written atomically")
    p.add_argument("--checkpoint-every", type=num.int_in(None, num.MAX_STEPS), default=25,
                   help="steps between checkpoints (default 25)")
    p.add_argument("--data", help="NB201 table file or data folder (default $NARANK_DATA, ./data)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_threads_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run or resume the search and print its result."""
    from narank.search.oneshot.supernet import SPACE as SUPERNET_SPACE
    from narank.spaces import get_space

    if get_space(args.space) is not SUPERNET_SPACE:  # the supernet says which space it searches
        raise NarankError(f"--space {args.space}: one-shot search has an {SUPERNET_SPACE.title} supernet "
                          f"only; use --space {SUPERNET_SPACE.name}")
    if args.checkpoint_every < 1:
        raise NarankError("--checkpoint-every must be at least 1")
    if args.images != "digits" and not Path(args.images).exists():
        raise NarankError(f"--images {args.images}: no such file or folder (give CIFAR-10 python batches)")
    if args.checkpoint is not None:
        from narank.checkpoint import check_output_path

        check_output_path(args.checkpoint, "checkpoint", "--checkpoint")
    device = check_device(args.device, "oneshot")
    from narank.threads import set_threads

    set_threads(args.threads)
    from narank.search.oneshot import OneShotConfig, OneShotSearch

    cfg = OneShotConfig(method=args.method, topo=args.topo, kernel_norm=not args.no_kernel_norm,
                        steps=args.steps, seed=args.seed, channels=args.channels, cells=args.cells,
                        batch=args.batch, size=args.size, images=str(args.images), n_images=args.n_images,
                        lr=args.lr, arch_lr=args.arch_lr)
    search = OneShotSearch(cfg, device=device)
    bar = None
    if not args.no_progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.steps, desc=f"{cfg.method}{' topo' if cfg.topo else ''}", unit="step",
                   file=sys.stderr)

    def progress(step: int, rec: dict[str, float]) -> None:
        if bar is not None:
            bar.n = step
            bar.set_postfix(loss=f"{rec['train_loss']:.3f}", val=f"{rec['valid_acc']:.2f}", refresh=False)
            bar.refresh()

    result = search.run(args.checkpoint, args.checkpoint_every, progress, data=args.data)
    if bar is not None:
        bar.close()
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    kind = "TopoNAS-simplified" if cfg.topo else "plain"
    print(f"{cfg.method} on nb201 ({kind} supernet, C={cfg.channels}, "
          f"N={cfg.cells}, batch {cfg.batch}, {cfg.size}x{cfg.size} {cfg.images}), {result['steps']} steps")
    print("final softmax(alpha) per edge (none, skip, 1x1, 3x3, pool), normalised entropy:")
    for e, (row, h) in enumerate(zip(result["alpha"], result["entropy"])):
        print(f"  edge {e}: " + " ".join(f"{v:.3f}" for v in row.values()) + f"   H={h:.3f}")
    if result["mean_entropy"] > 0.99:
        print("alpha is still near uniform (mean entropy > 0.99): the search has not decided; "
              "run more --steps or raise --arch-lr")
    print(f"derived cell: {result['arch']} (index {result['index']})"
          + ("  COLLAPSED (" + ("all skip" if result["all_skip"] else "parameter-free") + ")"
             if result["collapsed"] else ""))
    acc = result["test_acc"]
    if acc is None:
        print("no NB201 table found: test accuracies not shown", file=sys.stderr)
    else:
        print("NB201 test accuracy: " + ", ".join(f"{ds} {v:.2f}" for ds, v in acc.items()))
    sps = result["seconds_per_step"]
    print(f"{'n/a' if sps is None else f'{sps:.3f}'} s/step, peak memory {result['peak_rss_MB']:.0f} MB "
          "(process ru_maxrss)")
    return 0
