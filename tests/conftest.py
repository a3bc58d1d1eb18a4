"""Shared fixtures: the real benchmark data, found through $NARANK_DATA."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _require(path: Path) -> Path:
    if path.exists():
        return path
    reason = (
        f"benchmark data not found at {path}; set NARANK_DATA to the shared data folder "
        "(e.g. NARANK_DATA=../shared/data)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real data folder; fails under CI=true when absent, skips otherwise."""
    return _require(Path(os.environ.get("NARANK_DATA", "data")))


@pytest.fixture(scope="session")
def nb201_csv(data_root: Path) -> Path:
    return _require(data_root / "nb201" / "nb201.csv")


@pytest.fixture(scope="session")
def nb101_csv(data_root: Path) -> Path:
    return _require(data_root / "nb101" / "nb101.csv")


@pytest.fixture(scope="session")
def nb101_naslib_csv(data_root: Path) -> Path:
    return _require(data_root / "nb101" / "nb101_naslib292.csv")


@pytest.fixture(scope="session")
def c10(nb201_csv: Path):
    """The NB201 CIFAR-10 oracle table the search tests query (loaded once per session)."""
    from narank.benchmarks import load_table
    from narank.search.oracle import oracle_table

    return oracle_table(load_table("nb201", nb201_csv), "cifar10")
