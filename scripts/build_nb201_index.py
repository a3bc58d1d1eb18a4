"""Build narank/spaces/data/nb201_index.txt.gz: the official NB201 index order as op codes.

Usage: python scripts/build_nb201_index.py [path/to/nb201.csv]

Line i of the output holds the 6-digit op code of the cell with official index i: one digit
per edge in arch-string order, the digit being the op's position in nb201.OPS.
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from narank.paths import data_dir  # noqa: E402
from narank.spaces.nb201 import INDEX_FILE, NUM_CELLS, OPS, parse_arch_str  # noqa: E402


def build(csv_path: Path, out_path: Path) -> int:
    """Write the gzip index file from the canonical CSV; return the number of cells."""
    codes: list[str] = []
    with csv_path.open(newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            if int(row["index"]) != len(codes):
                raise SystemExit(f"{csv_path}:{line}: expected index {len(codes)}, got {row['index']}")
            ops = parse_arch_str(row["arch_str"])
            codes.append("".join(str(OPS.index(op)) for op in ops))
    if len(codes) != NUM_CELLS or len(set(codes)) != NUM_CELLS:
        raise SystemExit(f"{csv_path}: expected {NUM_CELLS} distinct cells, got {len(set(codes))}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(("\n".join(codes) + "\n").encode("ascii"))
    return len(codes)


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else data_dir() / "nb201" / "nb201.csv"
    target = ROOT / "narank" / "spaces" / INDEX_FILE
    print(f"wrote {build(source, target)} codes to {target}")
