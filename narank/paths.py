"""Where benchmark data lives: an explicit path, else $NARANK_DATA, else ./data."""

from __future__ import annotations

import os
from pathlib import Path

from narank.errors import DataFileError

ENV_VAR = "NARANK_DATA"


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """The data folder to use, in order of precedence: `path`, $NARANK_DATA, ./data."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path("data")


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """Folder for derived caches (enumerations, proxy values, evolve runs): `path`, else $NARANK_CACHE,
    else the platform's user cache folder (platformdirs: ~/.cache/narank on Linux), else ~/.cache/narank."""
    if path is not None:
        return Path(path)
    env = os.environ.get("NARANK_CACHE")
    if env:
        return Path(env)
    try:
        from platformdirs import user_cache_dir
    except ImportError:
        return Path.home() / ".cache" / "narank"
    return Path(user_cache_dir("narank"))


def find_file(relative: str, path: str | os.PathLike | None = None) -> Path:
    """Locate `relative` under the data folder, or raise an error saying where to put it."""
    root = data_dir(path)
    candidate = Path(path) if path is not None and Path(path).is_file() else root / relative
    if not candidate.is_file():
        raise DataFileError(
            f"{candidate}: file not found. Put the benchmark file at <data>/{relative}, where "
            f"<data> is the path you pass, else ${ENV_VAR}, else ./data (see README, 'Data')."
        )
    return candidate
