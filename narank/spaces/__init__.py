"""Search spaces behind one protocol (`SearchSpace`), found by name in a registry.

`get_space("nb201").parse(...)` turns user input into a cell; `space_of(cell)` finds a cell's
space. A new space is one module that subclasses `SearchSpace` and registers itself with
`register` (a class decorator); another package adds one through the entry-point group
"narank.spaces" without editing narank.
"""

from __future__ import annotations

from typing import Any

from narank.spaces.base import (
    BUILTIN_MODULES,
    SPACES,
    MissingCapability,
    SearchSpace,
    TableColumns,
    get_space,
    register,
    space_names,
    space_of,
)

BUILTIN = BUILTIN_MODULES


def parse_cell(space: str | SearchSpace, obj: Any) -> Any:
    """A cell of `space` from any input its parser accepts (see `SearchSpace.parse`)."""
    return get_space(space).parse(obj)


def canonical_id(cell: Any) -> str:
    """The canonical id of a cell of any registered space."""
    return space_of(cell).canonical_id(cell)


__all__ = [
    "BUILTIN",
    "SPACES",
    "MissingCapability",
    "SearchSpace",
    "TableColumns",
    "canonical_id",
    "get_space",
    "parse_cell",
    "register",
    "space_names",
    "space_of",
]
