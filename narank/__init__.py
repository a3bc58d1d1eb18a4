"""narank: rank neural architectures before training them."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {"load_pretrained": "narank.pretrained", "list_pretrained": "narank.pretrained",
         "Ranker": "narank.predictor", "load_table": "narank.benchmarks", "get_space": "narank.spaces",
         "space_names": "narank.spaces", "read_user_csv": "narank.benchmarks.user_table",
         "Search": "narank.search.ask_tell", "nas": "narank.search.nas", "from_spec": "narank.specs",
         "clear_caches": "narank.caches"}


def __getattr__(name: str) -> Any:
    """Import the torch-heavy parts on first use, so `import narank` stays light."""
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'narank' has no attribute {name!r}")


__all__ = ["Ranker", "Search", "__version__", "clear_caches", "from_spec", "get_space", "list_pretrained",
           "load_pretrained", "load_table", "nas", "read_user_csv", "space_names"]
