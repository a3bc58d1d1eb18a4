"""Search spaces behind one protocol (`SearchSpace`), found by name in a registry.

`get_space("nb201").parse(...)` turns user input into a cell; `space_of(cell)` finds a cell's
space. A new space is one module that subclasses `SearchSpace` and registers itself with
`register` (a class decorator); another package adds one through the entry-point group
"narank.spaces" without editing narank. A space's networks, SED node view and table reader may
also be registered apart from it, under its name, in `NETWORKS`, `SED_VIEWS` and `TABLE_READERS`
(how the built-in spaces get theirs from the modules above them).
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

from narank.spaces.base import (
    BUILTIN_MODULES,
    NETWORKS,
    SED_VIEWS,
    SPACES,
    TABLE_READERS,
    MissingCapability,
    NetworkBuilder,
    SearchSpace,
    TableColumns,
    TableReader,
    get_space,
    register,
    space_names,
    space_of,
)

BUILTIN = BUILTIN_MODULES


def parse_cell(space: str | SearchSpace, obj: Any) -> Any:
    """A cell of `space` from any input its parser accepts (see `SearchSpace.parse`)."""
    return get_space(space).parse(obj)


def from_spec(path: str | os.PathLike) -> SearchSpace:
    """The space a spec file (YAML or JSON) declares, registered under its name and path (see
    `narank.specs`, a layer above the spaces, imported on use; docs/specs.md)."""
    return import_module("narank.specs").from_spec(path)


def canonical_id(cell: Any) -> str:
    """The canonical id of a cell of any registered space."""
    return space_of(cell).canonical_id(cell)


__all__ = [
    "BUILTIN",
    "NETWORKS",
    "SED_VIEWS",
    "SPACES",
    "TABLE_READERS",
    "MissingCapability",
    "NetworkBuilder",
    "SearchSpace",
    "TableColumns",
    "TableReader",
    "canonical_id",
    "from_spec",
    "get_space",
    "parse_cell",
    "register",
    "space_names",
    "space_of",
]
