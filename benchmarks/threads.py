#!/usr/bin/env python
"""Torch threads on a small ranker: 1 vs 2 threads, on an idle machine and on a loaded one.

Writes benchmarks/results/threads.md. "Loaded" runs one busy-looping process per core next to
the training (what other jobs on a shared machine do). The training is a fixed number of epochs
of the default ranker (GIN, dim 64) on 156 NB201 cells with synthetic targets, so no benchmark
data is needed. Each setting runs in its own process (torch's thread pools are per process).

    python benchmarks/threads.py [--epochs 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"

CHILD = """
import time, numpy as np, torch
torch.set_num_threads({threads})
from narank.predictor import Ranker
from narank.spaces import get_space
cells = get_space("nb201").sample(156, 0)
y = np.random.default_rng(0).normal(size=len(cells))
Ranker("nb201", "cifar10", epochs=2, random_state=0).fit(cells, y)  # warm-up (imports, first calls)
t = time.perf_counter()
Ranker("nb201", "cifar10", epochs={epochs}, random_state=0).fit(cells, y)
print(time.perf_counter() - t)
"""


def _spin(stop: float) -> None:
    while time.time() < stop:
        pass


def run(threads: int, epochs: int, loaded: bool) -> float:
    """Seconds of one fit in a fresh process, with busy loops on every core if `loaded`."""
    spinners = []
    if loaded:
        stop = time.time() + 3600
        spinners = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(os.cpu_count() or 1)]
        for p in spinners:
            p.start()
    try:
        done = subprocess.run([sys.executable, "-c", CHILD.format(threads=threads, epochs=epochs)],
                              capture_output=True, text=True, check=True, timeout=3600)
        return float(done.stdout.strip().splitlines()[-1])
    finally:
        for p in spinners:
            p.terminate()
            p.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="training epochs per fit (default 20)")
    parser.add_argument("--repeats", type=int, default=3, help="fits per setting; the median is kept "
                        "(default 3)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    rows = []
    for loaded in (False, True):
        for threads in (1, 2):
            times = sorted(run(threads, args.epochs, loaded) for _ in range(args.repeats))
            rows.append((loaded, threads, times[len(times) // 2], times))
            print(rows[-1], flush=True)
    lines = ["# Torch threads: 1 vs 2 on a small ranker", "",
             f"Written by `benchmarks/threads.py`: one fit of the default ranker (GIN, dim 64), "
             f"{args.epochs} epochs on 156 NB201 cells, median of {args.repeats} runs, on a "
             f"{os.cpu_count()}-core machine. *idle* = no load added by the benchmark (on a shared "
             f"machine other jobs may still run); *loaded* = one busy-looping process per core "
             f"alongside.", "",
             "| machine | threads | seconds (median) | all runs |", "|---|---|---|---|"]
    for loaded, threads, median, times in rows:
        lines.append(f"| {'loaded' if loaded else 'idle'} | {threads} | {median:.2f} | "
                     f"{', '.join(f'{t:.2f}' for t in times)} |")
    base = {loaded: median for loaded, threads, median, _ in rows if threads == 1}
    lines += ["", "Ratio 2 threads / 1 thread: " + ", ".join(
        f"{'loaded' if loaded else 'idle'} {median / base[loaded]:.2f}x"
        for loaded, threads, median, _ in rows if threads == 2) + ".", "",
        "narank therefore runs torch on 1 thread unless `--threads` (or `$NARANK_THREADS`) asks for "
        "more, and never on more threads than the cores the process may use (`narank/threads.py`).", ""]
    out = args.results / "threads.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
