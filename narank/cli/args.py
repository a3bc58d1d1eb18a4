"""argparse `type=` functions for the numbers of every subcommand: bounded, finite, refused at parse time.

A number outside its range would otherwise end in a traceback deep in numpy or torch (a negative
seed), or run for ever (`--epochs 1e20`). Each function here refuses it while the command line is
parsed, so the CLI prints one line `narank <command>: error: argument --X: ...` and exits 2
before any work starts.

    p.add_argument("--seed", type=seed_value, default=0)
    p.add_argument("--epochs", type=int_in(1, MAX_EPOCHS))
    p.add_argument("--lr", type=positive_float)
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

SEED_MAX = 2**32 - 1  # numpy's legacy seeding and scikit-learn's random_state accept no more
# Generous but finite maxima: large enough for any real run, small enough to refuse typos.
MAX_EPOCHS = 100_000
MAX_CELLS = 10_000_000  # candidates, pools, sample limits, training and pretraining cells
MAX_STEPS = 10_000_000
MAX_BUDGET = 1_000_000
MAX_SEEDS = 100_000
MAX_POPULATION = 100_000
MAX_GENERATIONS = 100_000
MAX_WORKERS = 4_096
MAX_BATCH = 1_000_000
MAX_WIDTH = 65_536  # hidden width, channels, image side
MAX_DEPTH = 1_000  # layers, cells per stage, islands, tiers, heads


def _integer(text: str) -> int:
    """An integer from '12', '1_000' or an exactly integral '1e6'; ArgumentTypeError otherwise."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not math.isfinite(value) or not value.is_integer():
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer")
    return int(value)


def int_in(low: int | None, high: int) -> Callable[[str], int]:
    """A type function for integers in [low, high]; low None leaves the lower bound to the command
    (whose own message then names the rule, e.g. the train size)."""

    def parse(text: str) -> int:
        value = _integer(text)
        if low is None and value > high:
            raise argparse.ArgumentTypeError(f"{text} is too large: give an integer <= {high}")
        if low is not None and not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range: give an integer from {low} to {high}")
        return value

    parse.__name__ = "integer"
    return parse


def seed_value(text: str) -> int:
    """A random seed: an integer in [0, 2**32 - 1]."""
    value = _integer(text)
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"{text} is not a valid seed: give an integer from 0 to {SEED_MAX}")
    return value


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number: give an ordinary number")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (learning rates)."""
    value = _finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be a number > 0")
    return value


def nonnegative_float(text: str) -> float:
    """A finite number >= 0 (weight decay, loss weights)."""
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be a number >= 0")
    return value


def fraction(text: str) -> float:
    """A finite number in [0, 1) (dropout)."""
    value = _finite(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be a number in [0, 1)")
    return value
