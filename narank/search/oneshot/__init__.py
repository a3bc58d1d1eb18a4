"""Gradient-based one-shot NAS on NB201 (DARTS, GDAS), plain or with TopoNAS's path simplification."""

from narank.search.oneshot.search import METHODS, OneShotConfig, OneShotSearch, lookup_accuracies
from narank.search.oneshot.supernet import (
    PlainEdge,
    SimplifiedEdge,
    Supernet,
    alpha_table,
    entropy,
    is_collapsed,
    normalize_kernel,
)

__all__ = ["METHODS", "OneShotConfig", "OneShotSearch", "PlainEdge", "SimplifiedEdge", "Supernet",
           "alpha_table", "entropy", "is_collapsed", "lookup_accuracies", "normalize_kernel"]
