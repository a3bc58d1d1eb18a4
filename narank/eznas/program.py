"""An EZNAS program: a formula over a block's statistic tensors; saved as JSON, scored as a proxy.

A network's score is the program's value averaged over its conv blocks. Any non-finite block
value or numerical error makes the score NaN (never a silently skipped block).
"""

from __future__ import annotations

import functools
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from narank.atomic import atomic_write_bytes
from narank.errors import NarankError
from narank.eznas.formula import FormulaError, compile_prefix, parse_prefix
from narank.eznas.primitives import build_pset, namespace
from narank.eznas.stats import NetworkStats, StatsSettings, collect_stats

PUBLISHED = "frobenius_in(sigmoid_in(logdet_in(sign_in(g_in_data))))"
#: The size the paper reports the published formula at: NB201's full network (C=16, five cells per
#: stage, 32x32 inputs), batch 16; about 20x the statistics cost of the small default.
PUBLISHED_SIZE = StatsSettings(channels=16, cells=5, resolution=32, batch=16)
FORMAT = "narank-eznas-program/1"
_PSET = None


def pset():
    """The shared DEAP primitive set (built once per process)."""
    global _PSET
    if _PSET is None:
        _PSET = build_pset()
    return _PSET


def parse_tree(formula: str) -> Any:
    """The DEAP tree of a formula, read by narank's own parser (DEAP's `from_string` evaluates
    unknown tokens as Python); a FormulaError naming the bad token otherwise."""
    from deap import gp

    if not isinstance(formula, str):
        raise FormulaError(f"an EZNAS formula is a string, got {type(formula).__name__}")
    try:
        return gp.PrimitiveTree(parse_prefix(formula, pset()))
    except FormulaError as exc:
        raise FormulaError(f"{exc}; example: {PUBLISHED}") from None


def check_formula(formula: str) -> str:
    """`formula` in its canonical spelling if it parses as a typed EZNAS program, else a FormulaError."""
    return str(parse_tree(formula))


@dataclass
class Program:
    """A formula plus where it came from (settings of its statistics, evolution summary)."""

    formula: str
    settings: StatsSettings = field(default_factory=StatsSettings)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tree = parse_tree(self.formula)
        self.formula = str(tree)
        self._evaluate = compile_prefix(list(tree), namespace())

    # ------------------------------------------------------------------ scoring

    def block_value(self, block: Any) -> float:
        """The program on one block (a mapping name -> array); NaN on any numerical failure."""
        with np.errstate(all="ignore"):
            try:
                value = float(self._evaluate(block))
            except (ArithmeticError, ValueError, np.linalg.LinAlgError):
                return math.nan
        return value if math.isfinite(value) else math.nan

    def score_stats(self, stats: NetworkStats) -> float:
        """Mean of the block values (NaN if any block fails, or the network has no block)."""
        values = [self.block_value(b) for b in stats.block_arrays()]
        if not values or any(math.isnan(v) for v in values):
            return math.nan
        return float(np.mean(values))

    def score(self, cell: Any, num_classes: int = 10) -> float:
        """Collect the cell's statistics (this program's settings) and score them."""
        return self.score_stats(collect_stats(cell, self.settings, num_classes))

    # ------------------------------------------------------------------ files

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "formula": self.formula, "settings": self.settings.key(), "meta": self.meta}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the program as JSON (atomically) and its formula as text next to it (.txt)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, (json.dumps(self.to_json(), indent=2, default=float) + "\n").encode())
        path.with_suffix(".txt").write_text(self.formula + "\n")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Program:
        """Read a program saved by `save` (or any JSON with a 'formula'); clear errors otherwise."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise NarankError(
                f"{path}: no such EZNAS program file; write one with `narank evolve --out`"
            ) from None
        except (OSError, ValueError) as exc:
            raise NarankError(f"{path}: not a readable EZNAS program JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("formula"), str):
            raise NarankError(f"{path}: an EZNAS program is a JSON object with a 'formula' string")
        raw = data.get("settings") or {}
        known = set(StatsSettings().key())
        if not isinstance(raw, dict) or set(raw) - known:
            raise NarankError(f"{path}: 'settings' must be an object with keys from {sorted(known)}")
        return cls(data["formula"], StatsSettings(**raw), dict(data.get("meta") or {}))


def published(settings: StatsSettings | None = None) -> Program:
    """The published EZNAS proxy: frobenius(sigmoid(logdet(sign(gradient at the ReLU input, data))))."""
    return Program(PUBLISHED, settings or StatsSettings(), {"source": "EZNAS paper (Akhauri et al., 2022)"})


def eznas_score(
    cell: Any, formula: str = PUBLISHED, num_classes: int = 10, image_source: str = "digits", **settings: Any
) -> float:
    """One cell's score under a formula (the proxy-cache entry point)."""
    return compiled_program(formula, StatsSettings(images=image_source, **settings)).score(cell, num_classes)


@functools.lru_cache(maxsize=16)
def compiled_program(formula: str, settings: StatsSettings) -> Program:
    """A program parsed and compiled once per process, not once per cell of a sweep."""
    return Program(formula, settings)
