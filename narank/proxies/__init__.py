"""Zero-cost proxies: SED (topology only), TE-NAS NTK condition number and linear regions."""

from narank.proxies.cache import PROXIES, compute_scores
from narank.proxies.linear_regions import linear_regions
from narank.proxies.ntk import ProxyResult, ntk_condition_number
from narank.proxies.sed import (
    sed_nb101,
    sed_nb101_nodes,
    sed_nb201,
    sed_nb201_nodes,
    sed_node_features,
    sed_score,
)

__all__ = [
    "PROXIES",
    "ProxyResult",
    "compute_scores",
    "linear_regions",
    "ntk_condition_number",
    "sed_nb101",
    "sed_nb101_nodes",
    "sed_nb201",
    "sed_nb201_nodes",
    "sed_node_features",
    "sed_score",
]
