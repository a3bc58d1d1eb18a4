"""Write wide.csv, the labels of examples/specs/wide.yaml: 120 sampled cells trained with narank's
training evaluator on scikit-learn's digits (2 epochs, width 4, 8x8 images; validation accuracy).
Real (tiny) trainings, not a formula: run `python examples/specs/make_wide_csv.py` (a few minutes)."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import yaml

from narank.engine import map_items
from narank.evaluators import TrainingEvaluator, evaluate_safely
from narank.specs import from_spec

HERE = Path(__file__).parent
# the spec without its table (the table is what this script writes)
SPEC = Path(tempfile.gettempdir()) / "narank-wide-untabled.yaml"
EVALUATOR = TrainingEvaluator(epochs=2, channels=4, cells=1, resolution=8, batch_size=64, seed=0)


def evaluate(label: str) -> float | None:
    space = from_spec(SPEC)
    return evaluate_safely(EVALUATOR, space, space.parse(label)).value


if __name__ == "__main__":
    spec = yaml.safe_load((HERE / "wide.yaml").read_text())
    spec.pop("table", None)
    SPEC.write_text(yaml.safe_dump(spec))
    space = from_spec(SPEC)
    seen: dict[str, str] = {}
    for cell in space.sample(400, 0):
        seen.setdefault(str(space.iso_key(cell)), space.label(cell))
    labels = list(seen.values())[:120]
    values: dict[int, float | None] = dict(map_items(evaluate, labels, workers=2, desc="training"))
    with open(HERE / "wide.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["arch", "accuracy"])
        for i, label in enumerate(labels):
            if values[i] is not None:
                writer.writerow([label, f"{values[i]:.3f}"])
