"""Moved to `narank.networks.nb201`; this alias keeps narank/search/oneshot/supernet.py (owned
elsewhere) importing until it imports `narank.networks.nb201` itself. Remove it then."""

from narank.networks.nb201 import (
    DATASETS_ALL,
    EDGES,
    OPS,
    MixedEdge,
    NB201Cell,
    NB201Network,
    ReLUConvBN,
    ResidualReduction,
    ThinCellNetwork,
    Zero,
    build_nb201,
    cell_ops,
    count_params,
    make_op,
    set_active_ops,
)

__all__ = ["DATASETS_ALL", "EDGES", "OPS", "MixedEdge", "NB201Cell", "NB201Network", "ReLUConvBN",
           "ResidualReduction", "ThinCellNetwork", "Zero", "build_nb201", "cell_ops", "count_params",
           "make_op", "set_active_ops"]
