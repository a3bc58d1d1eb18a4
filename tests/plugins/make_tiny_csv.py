"""Write tiny.csv: 400 sampled tiny cells and a label a user could have measured (synthetic here:
more live 1x1 convs on longer paths score higher, plus seeded noise). Run from tests/plugins:
`python make_tiny_csv.py`; the file is committed so tests need not run this."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from tiny_space import TinySpace, depth

space = TinySpace()
rng = np.random.default_rng(0)
seen: dict[str, object] = {}
for cell in space.sample(2000, rng):
    seen.setdefault(space.canonical_id(cell), cell)
cells = list(seen.values())[:400]
with open(Path(__file__).with_name("tiny.csv"), "w", newline="") as fh:
    writer = csv.writer(fh)
    writer.writerow(["arch", "accuracy"])
    for cell in cells:
        convs = sum(op == "nor_conv_1x1" for op in space.iso_key(cell).split("|"))
        alive = space.iso_key(cell) != "|".join(["none"] * 10)
        acc = 50 + 20 * alive + 3 * convs + 4 * depth(cell) + rng.normal(0, 2)
        writer.writerow([cell.arch, f"{min(acc, 99.0):.3f}"])
