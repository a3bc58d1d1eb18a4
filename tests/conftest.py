"""Shared fixtures: the real benchmark data, found through $NARANK_DATA."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

#: A plug-in package from outside narank (tests/plugins: the tiny space and its proxy), found by
#: narank's registries through its entry points as if it were pip-installed.
PLUGINS = Path(__file__).parent / "plugins"
sys.path.insert(0, str(PLUGINS))


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


#: the tables a data folder must hold for the tests that read "the data" as a whole
TABLES = ("nb201/nb201.csv", "nb101/nb101.csv")


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real data folder ($NARANK_DATA, else ./data) with its tables; fails under CI=true when
    absent, skips otherwise. ./data of a fresh clone holds only a README: that counts as absent."""
    root = Path(os.environ.get("NARANK_DATA", "data"))
    for table in TABLES:
        _require(root / table)
    return root


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
