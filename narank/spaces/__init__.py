"""Search spaces behind one protocol (`SearchSpace`), found by name in a registry.

`get_space("nb201").parse(...)` turns user input into a cell; `space_of(cell)` finds a cell's
space. A new space is one module here that registers itself, plus its name in `BUILTIN`.
"""

from __future__ import annotations

from typing import Any

from narank.spaces.base import (
    SearchSpace,
    TableColumns,
    get_space,
    register,
    space_names,
    space_of,
)

# Modules that register the built-in spaces when first asked for a space.
BUILTIN = ("nb101", "nb201", "natsss")


def parse_cell(space: str | SearchSpace, obj: Any) -> Any:
    """A cell of `space` from any input its parser accepts (see `SearchSpace.parse`)."""
    return get_space(space).parse(obj)


def canonical_id(cell: Any) -> str:
    """The canonical id of a cell of any registered space."""
    return space_of(cell).canonical_id(cell)


__all__ = [
    "BUILTIN",
    "SearchSpace",
    "TableColumns",
    "canonical_id",
    "get_space",
    "parse_cell",
    "register",
    "space_names",
    "space_of",
]
