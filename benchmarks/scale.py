"""Scale-out figures: whole-space NB101 ranking, NTK sweeps on 1 vs 2 Dask workers, the result store.

    NARANK_DATA=../shared/data python benchmarks/scale.py            # writes benchmarks/results/scale.md

(a) all 423,624 NB101 cells ranked by the shipped ranker (wall, peak RSS, each run in a fresh
process); (b) NTK κ over NB101 cells with 1 and 2 LocalCluster workers, run side by side, and
the projected whole-space time on N machines; (c) result-store write/read rates and the share
of cells a sweep killed with SIGKILL recomputes when restarted. Every section states the load.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"


def load() -> str:
    """The machine's 1-minute load average and its core count, for the record."""
    return f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def child(code: str, *args: str) -> dict:
    """Run `code` in a fresh Python process; it prints one JSON line last."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


RANK = """
    import json, resource, sys, time
    import narank
    from narank.rank import rank_space
    from narank.threads import set_threads
    workers, threads = int(sys.argv[1]), int(sys.argv[2])
    set_threads(threads)
    start = time.perf_counter()
    ranker = narank.load_pretrained("nb101")
    r = rank_space("nb101", ranker, workers=workers, progress=False)
    wall = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"n": len(r.ids), "wall": wall, "rss_mb": rss, "top": str(r.ids[r.top(1)][0])}))
"""

NTK = """
    import json, sys, time
    from narank.proxies.cache import compute_scores
    from narank.spaces.nb101 import sample
    from narank.threads import set_threads
    n, workers = int(sys.argv[1]), int(sys.argv[2])
    set_threads(1)  # one core per worker, as each Dask worker has
    cells = sample(n, 0)
    client, startup = None, 0.0
    if workers > 1:  # start narank's cluster and import torch in its workers before the clock starts
        from narank.engine import dask_client
        t0 = time.perf_counter()
        cluster = dask_client(workers)  # kept referenced: the cluster lives as long as the context
        client = cluster.__enter__()
        compute_scores("ntk", sample(2 * workers, 1), client=client, use_cache=False, progress=False)
        startup = time.perf_counter() - t0
    start = time.perf_counter()
    compute_scores("ntk", cells, client=client, use_cache=False, progress=False)
    print(json.dumps({"n": n, "workers": workers, "wall": time.perf_counter() - start, "startup": startup}))
"""

KILLED = """
    import sys
    from narank.proxies import cache
    from narank.proxies.cache import compute_scores
    from narank.spaces.nb201 import all_cells
    root, n, log = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "a")
    real = cache.compute_one
    def logged(proxy, cell, params):
        value = real(proxy, cell, params)
        log.write("x\\n"); log.flush()
        return value
    cache.compute_one = logged
    compute_scores("ntk", list(all_cells()[:n]), cache_root=root, progress=False,
                   n_inits=1, batch_size=8, channels=4, resolution=8)
    print('{"done": true}')
"""


def section_rank(lines: list[str]) -> None:
    lines += ["## (a) All 423,624 NB101 cells ranked (shipped `nb101` ranker, `narank.rank.rank_space`)", "",
              "Each run in a fresh process: load the ranker, score every cell from the enumeration "
              "cache in 4,096-cell blocks (graphs built in bulk by `dense_batch`), keep scores and "
              "tiers. Scores equal `ranker.predict` over the cells (tests/test_rank.py).", "",
              "| engine | torch threads | cells | wall (s) | peak RSS, main process (MB) | load before |",
              "|---|---|---|---|---|---|"]
    for workers, threads in ((1, 2), (2, 1)):
        before = load()
        res = child(RANK, str(workers), str(threads))
        engine = "in process" if workers == 1 else f"LocalCluster, {workers} workers"
        lines.append(f"| {engine} | {threads} | {res['n']:,} | {res['wall']:.1f} | {res['rss_mb']:.0f} | "
                     f"{before} |")
        print(lines[-1], flush=True)
    lines += ["", "Wall includes loading the ranker and the enumeration cache (not building it). With "
              "workers, the RSS column is the main process only; each worker holds its own model and "
              "cache.", ""]


def section_ntk(lines: list[str], n: int) -> None:
    lines += [f"## (b) NTK κ over {n} NB101 cells: 1 vs 2 workers (default NTK settings, no store)", ""]
    walls: dict[int, list[float]] = {1: [], 2: []}
    loads, startups = [], []
    for _ in range(2):  # alternate, so both see the same machine load
        for workers in (1, 2):
            loads.append(os.getloadavg()[0])
            result = child(NTK, str(n), str(workers))
            walls[workers].append(result["wall"])
            if workers > 1:
                startups.append(result["startup"])
            print(workers, walls[workers][-1], flush=True)
    one, two = min(walls[1]), min(walls[2])
    per_cell = one / n
    lines += ["| workers | wall (s), best of 2 | s per cell |", "|---|---|---|",
              f"| 1 (in process, 1 torch thread) | {one:.1f} | {one / n:.3f} |",
              f"| 2 (LocalCluster, already started) | {two:.1f} | {two / n:.3f} |", "",
              f"Starting the 2-worker LocalCluster and importing torch in its workers took "
              f"{min(startups):.1f} s (not in the wall times above: a cluster is started once per "
              "sweep, and the sweep is what scales). The cluster is narank's own "
              "(`narank.engine.dask_client`): its workers run without Dask's default "
              "`MALLOC_TRIM_THRESHOLD_=65536`, which made NTK about 1.7x slower per cell in a worker "
              "than in-process (the 0.98x of the previous version of this file).", "",
              f"Speed-up 2 vs 1 worker: **{one / two:.2f}×** (runs alternated; 1-minute load during the "
              f"runs {min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} cores, so other jobs shared "
              "the cores).", "",
              "Projected NTK over all 423,624 NB101 cells from the measured "
              f"{per_cell:.3f} s per cell per core (perfect scaling assumed, Dask overhead ignored):", "",
              "| machines × cores | hours |", "|---|---|"]
    for machines, cores in ((1, 2), (10, 16), (50, 32)):
        lines.append(f"| {machines} × {cores} | {423_624 * per_cell / (machines * cores) / 3600:.2f} |")
    lines.append("")


def section_store(lines: list[str], kill_cells: int) -> None:
    from narank.store import ResultStore

    ids = [str(i) for i in range(15_625)]
    values = np.random.default_rng(0).random(len(ids))
    lines += ["## (c) Result store (Parquet via pyarrow)", "", f"Before: {load()}.", "",
              "| operation | rows | seconds | rows/s |", "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        store = ResultStore(Path(tmp) / "s")
        start = time.perf_counter()
        for a in range(0, len(ids), 500):
            store.append(ids[a:a + 500], value=values[a:a + 500])
        write = time.perf_counter() - start
        lines.append(f"| append in 500-row parts ({len(store.parts())} parts) | {len(ids):,} | {write:.3f} | "
                     f"{len(ids) / write:,.0f} |")
        start = time.perf_counter()
        n_read = len(ResultStore(store.path).read()["id"])
        read_many = time.perf_counter() - start
        lines.append(f"| read one proxy, all NB201 cells, from {len(store.parts())} parts | {n_read:,} | "
                     f"{read_many:.3f} | {n_read / read_many:,.0f} |")
        store.compact()
        start = time.perf_counter()
        fresh = ResultStore(store.path)
        vals, found = fresh.lookup(ids)
        read_one = time.perf_counter() - start
        assert found.all() and np.array_equal(vals, values)
        lines.append(f"| read + look up all NB201 ids, after compaction (1 part) | {len(ids):,} | "
                     f"{read_one:.4f} | {len(ids) / read_one:,.0f} |")

        root, log = Path(tmp) / "cache", Path(tmp) / "done.log"
        proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(KILLED), str(root), str(kill_cells),
                                 str(log)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not log.exists() or len(log.read_text().splitlines()) < kill_cells // 2:
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        done_before = len(log.read_text().splitlines())
        folder = next((root / "store").rglob("meta.json")).parent
        stored = len(ResultStore(folder))
        log.unlink()
        child(KILLED, str(root), str(kill_cells), str(log))
        computed_after = len(log.read_text().splitlines())
        assert computed_after == kill_cells - stored
        redone = done_before - stored
        lines += ["", f"Resume after `kill -9`: an NTK sweep (tiny settings) over {kill_cells} NB201 cells "
                  f"was killed after {done_before} cells had finished; {stored} were in the store. "
                  f"The restart computed {computed_after} cells: {redone} of them had been computed "
                  f"before the kill = **{100 * redone / kill_cells:.1f}%** of the sweep recomputed "
                  "(results are appended once 1% of the sweep is pending, at most every 0.2 s and at least "
                  "every 2 s).", ""]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ntk-cells", type=int, default=1000)
    parser.add_argument("--kill-cells", type=int, default=400)
    parser.add_argument("--skip", nargs="*", default=[], choices=["rank", "ntk", "store"])
    parser.add_argument("--results", type=Path, default=RESULTS, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    lines = ["# Scale-out: whole-space ranking, Dask sweeps, result store", "",
             "Written by `benchmarks/scale.py`. Machine: "
             f"{os.cpu_count()} cores, shared with other jobs; each section states the load.", ""]
    if "rank" not in args.skip:
        section_rank(lines)
    if "ntk" not in args.skip:
        section_ntk(lines, args.ntk_cells)
    if "store" not in args.skip:
        section_store(lines, args.kill_cells)
    out = args.results / "scale.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(out.read_text())


if __name__ == "__main__":
    main()
