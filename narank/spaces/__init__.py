"""Search spaces: NAS-Bench-101 and NAS-Bench-201 cells, parsed from any user input."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from narank.errors import InvalidCellError

SPACES = ("nb101", "nb201")


def check_space(space: str) -> str:
    """Return `space` if it is a known search space name, else raise a clear error."""
    if space not in SPACES:
        raise InvalidCellError(f"unknown search space {space!r}: use one of {', '.join(SPACES)}")
    return space


def _nb101():
    from narank.spaces import nb101

    return nb101


def _json(value: Any, what: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise InvalidCellError(f"{what} is not valid JSON ({exc}): {value!r}") from exc
    return value


def parse_cell(space: str, obj: Any):
    """A cell of `space` from an arch string, index, dict, (adjacency, ops) pair or a cell."""
    from narank.spaces import nb201

    check_space(space)
    if space == "nb201":
        if isinstance(obj, nb201.NB201Cell):
            return obj
        if isinstance(obj, dict):
            if "arch" in obj or "arch_str" in obj:
                return parse_cell(space, obj.get("arch", obj.get("arch_str")))
            if "index" in obj:
                return parse_cell(space, obj["index"])
            raise InvalidCellError(
                f"NB201 cell dict needs an 'arch' (arch string) or 'index' key, got {sorted(obj)}"
            )
        if isinstance(obj, str):
            text = obj.strip()
            if text.isdigit():
                return nb201.NB201Cell.from_index(int(text))
            return nb201.cell_from_str(text)
        if isinstance(obj, (list, tuple)) and len(obj) == nb201.NUM_EDGES:
            return nb201.NB201Cell(tuple(obj))
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
            return nb201.NB201Cell.from_index(int(obj))
        raise InvalidCellError(
            f"cannot read an NB201 cell from {obj!r}: give an arch string like "
            "'|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
            "nor_conv_3x3~1|nor_conv_3x3~2|', an index 0..15624, or {\"arch\": ...}"
        )
    nb101 = _nb101()
    if isinstance(obj, nb101.NB101Cell):
        return obj
    if isinstance(obj, dict):
        adjacency = obj.get("adjacency", obj.get("matrix", obj.get("module_adjacency")))
        ops = obj.get("ops", obj.get("module_operations"))
        if adjacency is None or ops is None:
            raise InvalidCellError(
                f"NB101 cell dict needs 'adjacency' and 'ops' keys, got {sorted(obj)}"
            )
        return nb101.NB101Cell.from_spec(_json(adjacency, "adjacency"), _json(ops, "ops"))
    if isinstance(obj, (list, tuple)) and len(obj) == 2:
        return nb101.NB101Cell.from_spec(_json(obj[0], "adjacency"), _json(obj[1], "ops"))
    raise InvalidCellError(
        f"cannot read an NB101 cell from {obj!r}: give {{\"adjacency\": [[...]], \"ops\": "
        "[\"input\", ..., \"output\"]} or an (adjacency, ops) pair"
    )


def space_of(cell: Any) -> str:
    """The search space name of a cell object."""
    from narank.spaces import nb201

    if isinstance(cell, nb201.NB201Cell):
        return "nb201"
    if type(cell).__name__ == "NB101Cell" and isinstance(cell, _nb101().NB101Cell):
        return "nb101"
    raise InvalidCellError(f"not a narank cell: {cell!r} (expected an NB101Cell or NB201Cell)")


def canonical_id(cell: Any) -> str:
    """Stable id of a cell: NB201 its official index as a string, NB101 its module hash."""
    if space_of(cell) == "nb201":
        return str(cell.index)
    return str(cell.hash)
