"""Time the NB101 enumeration from nothing and from its cache; write a markdown table.

Run: `.venv/bin/python benchmarks/nb101_enumeration.py` (writes
benchmarks/results/nb101_enumeration.md). Uses a fresh temporary cache folder, so the user's
cache is neither read nor touched.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from narank.spaces import nb101_enumerate as en

RESULTS = Path(__file__).parent / "results"


def _timed(func):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def _fresh_process_count(cache: str) -> tuple[float, str]:
    """Wall time of a new interpreter that imports narank and counts from the cache."""
    code = f"from narank.spaces import nb101; print(nb101.count({cache!r}))"
    seconds, proc = _timed(
        lambda: subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    )
    return seconds, proc.stdout.strip()


def main(argv: list[str] | None = None) -> None:
    """Measure cold build, warm loads and cell construction; write the result table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as cache:
        en.clear_memo()
        cold, table = _timed(lambda: en.load_space(cache))
        size_mb = en.cache_path(cache).stat().st_size / 1e6
        en.clear_memo()
        warm, warm_table = _timed(lambda: en.load_space(cache).hashes)
        cells_s, cells = _timed(lambda: en.load_space(cache).cells())
        fresh, printed = _fresh_process_count(cache)
    rows = [
        ("enumerate from nothing (build + write cache)", cold, f"{len(table):,} cells"),
        ("load hashes from cache (in process)", warm, f"{len(warm_table):,} hashes"),
        ("`nb101.count()` in a new interpreter (incl. imports)", fresh, f"prints {printed}"),
        ("`all_specs()` after load (build NB101Cell objects)", cells_s, f"{len(cells):,} cells"),
    ]
    lines = [
        "# NB101 enumeration timings",
        "",
        f"{date.today()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average {load:.1f} at start (shared machine); "
        f"cache file {size_mb:.1f} MB. Targets: < 300 s cold on 2 cores, < 2 s warm.",
        "",
        "| step | seconds | result |",
        "|---|---:|---|",
        *[f"| {name} | {sec:.2f} | {what} |" for name, sec, what in rows],
        "",
    ]
    result = args.results / "nb101_enumeration.md"
    result.parent.mkdir(parents=True, exist_ok=True)
    result.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
