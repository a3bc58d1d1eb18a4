"""`narank evolve`: evolve an EZNAS zero-cost proxy by genetic programming (DEAP) on labelled cells."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from narank.cli import args as num
from narank.cli.device import add_device_argument
from narank.spaces import space_names
from narank.threads import add_threads_argument

HELP = "evolve a zero-cost proxy (EZNAS) on labelled cells; writes a program usable as --proxy eznas:FILE"
DESCRIPTION = (
    HELP + ". Statistics of each cell's small network at initialization (C=8, one cell per stage, "
    "batch 8 of real 8x8 images: scikit-learn's digits, or --images CIFAR batches resized to 8x8) "
    "are computed once per pool; fitness is Kendall tau on random subsets of the evolution pool, the "
    "program is chosen on a separate validation pool. Re-running the same command resumes a killed run "
    "from its last finished generation: its working folder (checkpoint, statistics) is in the cache "
    "($NARANK_CACHE, else the user cache folder), named after --out and printed; it is removed when the "
    "run finishes unless --keep-run-dir, and a --run-dir you name is always kept."
)


def add_parser(subparsers: Any) -> None:
    """Register the `evolve` subcommand."""
    p = subparsers.add_parser("evolve", help=HELP, description=DESCRIPTION)
    p.add_argument("--space", required=True, help=f"search space: {', '.join(space_names())}")
    p.add_argument("--dataset", help="dataset whose accuracy is the fitness (default: the space's first)")
    p.add_argument("--population", type=num.int_in(1, num.MAX_POPULATION), default=50,
                   help="programs per generation (default 50)")
    p.add_argument("--generations", type=num.int_in(1, num.MAX_GENERATIONS), default=15,
                   help="generations (default 15)")
    p.add_argument(
        "--islands",
        type=num.int_in(1, num.MAX_DEPTH),
        default=1,
        help="sub-populations evolving apart, exchanging their best programs every 5 generations (default 1)",
    )
    p.add_argument(
        "--pool",
        type=num.int_in(None, num.MAX_CELLS),
        default=300,
        help="cells in the evolution pool (default 300); the "
        "validation pool has half as many, distinct cells",
    )
    p.add_argument(
        "--seed", type=num.seed_value, default=0,
        help="seed of the pools, the GP and the networks (default 0)"
    )
    p.add_argument(
        "--workers", type=num.int_in(None, num.MAX_WORKERS), default=1,
        help="worker processes (a Dask LocalCluster); 1 = in this process"
    )
    p.add_argument("--scheduler", help="address of a running Dask scheduler to use, e.g. tcp://host:8786")
    p.add_argument("--out", required=True, help="program file to write (JSON; the formula also in .txt)")
    p.add_argument(
        "--images",
        default="digits",
        help="CIFAR-10/100 python batch file or folder (data_batch_1 ...); default: digits",
    )
    p.add_argument("--batch", type=num.int_in(None, num.MAX_BATCH), default=8,
                   help="images per pass (default 8)")
    p.add_argument("--run-dir", help="checkpoint and statistics folder, kept after the run (default: a "
                   "folder in the cache named after --out, removed when the run finishes)")
    p.add_argument("--keep-run-dir", action="store_true",
                   help="keep the default working folder after a finished run (default: removed)")
    p.add_argument("--data", help="benchmark table file or data folder (default $NARANK_DATA)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    add_threads_argument(p)
    add_device_argument(p, used=False)
    p.set_defaults(func=run)


def default_run_dir(out: Path) -> Path:
    """The working folder of an evolution writing `out`: in the cache, named after the output file
    (its stem and a digest of its absolute path), so re-running the same command finds it again."""
    import hashlib

    from narank.paths import cache_dir

    digest = hashlib.sha1(str(out.resolve()).encode()).hexdigest()[:10]
    return cache_dir() / "evolve" / f"{out.stem}-{digest}"


def _plain(value: Any) -> Any:
    """JSON-ready: NaN and inf as None (JSON has no NaN), numpy numbers as Python ones."""
    import math

    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and not math.isfinite(value) else value


def run(args: argparse.Namespace) -> int:
    """Evolve, choose on the validation pool, save the program, print its formula and taus."""
    from narank.benchmarks import load_table
    from narank.checkpoint import check_output_dir, check_output_path
    from narank.cli.device import check_device
    from narank.engine import check_scheduler, check_workers
    from narank.errors import NarankError
    from narank.eznas.evolve import EvolveConfig, evolve
    from narank.eznas.state import refuse_pickles
    from narank.eznas.stats import GAUSSIAN, StatsSettings
    from narank.images import load_images
    from narank.spaces import get_space
    from narank.threads import set_threads

    space = get_space(args.space)
    dataset = space.dataset(args.dataset)
    check_workers(args.workers)
    check_scheduler(args.scheduler)
    config = EvolveConfig(
        population=args.population, generations=args.generations, seed=args.seed, islands=args.islands
    ).check()
    if args.pool < 10:
        raise NarankError(f"--pool must be at least 10 cells, got {args.pool}")
    if args.batch < 2:
        raise NarankError(f"--batch must be at least 2 images, got {args.batch}")
    out = Path(args.out)
    if out.suffix.lower() != ".json":
        raise NarankError(f"--out must name a .json file, got {args.out!r}")
    check_output_path(args.out, "program")
    check_output_path(out.with_suffix(".txt"), "program's formula")
    run_dir = Path(args.run_dir) if args.run_dir else default_run_dir(out)
    check_output_dir(run_dir, "run folder", "--run-dir" if args.run_dir else "--run-dir (default: cache)")
    check_device(args.device, "evolve", used=False)
    images = args.images if args.images in ("digits", GAUSSIAN) else str(Path(args.images).resolve())
    if images != GAUSSIAN:
        load_images(images, args.batch, 8, args.seed)  # a clear error now if the images cannot be read
    refuse_pickles(run_dir)
    if not args.json:
        print(f"run folder: {run_dir}", file=sys.stderr)
    set_threads(args.threads)
    table = load_table(space, args.data)
    settings = StatsSettings(batch=args.batch, images=images, seed=args.seed)
    result = evolve(
        space,
        table,
        dataset,
        config,
        args.pool,
        run_dir,
        settings,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=not args.json,
    )
    result.program.save(out)
    keep = args.run_dir is not None or args.keep_run_dir
    if not keep:
        import shutil

        shutil.rmtree(run_dir, ignore_errors=True)  # finished: a re-run starts afresh
    meta = result.program.meta
    summary = {
        "formula": result.program.formula,
        "out": str(out),
        "evolution_tau": meta["evo_tau"],
        "validation_tau": meta["val_tau"],
        "control_tau": meta["control_tau"],
        "passes_control": meta["passes_control"],
        **({"control_note": meta["control_note"]} if meta.get("control_note") else {}),
        "evolution_seconds": meta["evolution_seconds"],
        "run_dir": str(run_dir),
        "run_dir_kept": keep,
    }
    if args.json:
        print(json.dumps({k: _plain(v) for k, v in summary.items()}))
        return 0
    for key, value in summary.items():
        if key == "run_dir":
            value = f"{value} ({'kept' if keep else 'removed: the run finished; --keep-run-dir keeps it'})"
        if key != "run_dir_kept":
            print(f"{key}: {value}")
    return 0
