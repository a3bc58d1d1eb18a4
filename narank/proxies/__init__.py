"""Zero-cost proxies: SED (topology only), TE-NAS NTK condition number and linear regions."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from narank.proxies.sed import (
    sed_nb101,
    sed_nb101_nodes,
    sed_nb201,
    sed_nb201_nodes,
    sed_node_features,
    sed_score,
)

# Torch-based parts load on first use, so importing SED stays light.
_LAZY = {
    "PROXIES": "narank.proxies.cache",
    "proxy": "narank.proxies.registry",
    "proxy_names": "narank.proxies.registry",
    "score": "narank.proxies.registry",
    "compute_scores": "narank.proxies.cache",
    "linear_regions": "narank.proxies.linear_regions",
    "ProxyResult": "narank.proxies.ntk",
    "ntk_condition_number": "narank.proxies.ntk",
    "sed_search": "narank.proxies.zero_shot",
    "tenas_search": "narank.proxies.zero_shot",
    "suite_scores": "narank.proxies.zc_suite",
    "zc_proxy": "narank.proxies.zc_suite",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'narank.proxies' has no attribute {name!r}")


__all__ = [
    "sed_nb101",
    "sed_nb101_nodes",
    "sed_nb201",
    "sed_nb201_nodes",
    "sed_node_features",
    "sed_score",
    *_LAZY,
]
