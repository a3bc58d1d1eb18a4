"""Any CSV of architectures and numbers as a benchmark table of any space.

One column holds the architecture in a form the space's parser accepts (an arch string, an
index, JSON); the label columns hold numbers. Lines whose architecture the space cannot parse are
reported by line number on stderr and left out (the good ones are kept, as `describe --file` does);
two lines with the same canonical id, a label that is not a finite number, or no usable line at
all are errors that name the file and the fix.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from narank.benchmarks.table import BenchmarkTable
from narank.errors import DataFileError, InvalidCellError
from narank.spaces import SearchSpace, get_space

SHOWN = 5  # bad lines named in a report


def _parse_arch(space: SearchSpace, text: str):
    text = text.strip()
    if text[:1] in "[{":
        try:
            return space.parse(json.loads(text))
        except json.JSONDecodeError:
            pass
    return space.parse(text)


def read_user_csv(space: str | SearchSpace, file: str | os.PathLike, arch_column: str = "arch",
                  label_columns: Sequence[str] = ("accuracy",), costs: bool | None = None,
                  quiet: bool = False) -> BenchmarkTable:
    """A BenchmarkTable of `space` from a user's CSV, indexed by canonical id (see module doc).

    `costs` adds `params_M` (and `flops_M`) from the space where the CSV has none; by default
    where the space has costs.
    """
    space = get_space(space)
    if costs is None:
        costs = space.has("params_M")
    file = Path(file)
    try:
        frame = pd.read_csv(file, dtype={arch_column: str})
    except FileNotFoundError:
        raise DataFileError(f"{file}: file not found") from None
    except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{file}: not a readable CSV ({exc})") from None
    missing = [c for c in (arch_column, *label_columns) if c not in frame.columns]
    if missing:
        raise DataFileError(f"{file}: no column(s) {missing}; it has {list(frame.columns)}. Name the "
                            "architecture and label columns (--arch-column, --label-column)")
    cells, ids, keep, bad = [], [], [], []
    for row, text in enumerate(frame[arch_column].tolist()):
        line = row + 2  # the header is line 1
        try:
            cell = _parse_arch(space, "" if pd.isna(text) else str(text))
        except InvalidCellError as exc:
            bad.append(f"line {line}: {exc}")
            continue
        cells.append(cell)
        ids.append(space.canonical_id(cell))
        keep.append(row)
    if not keep:
        raise DataFileError(f"{file}: no line holds a {space.name} architecture in column {arch_column!r}"
                            + (f" ({bad[0]})" if bad else ""))
    if bad and not quiet:
        more = f" (and {len(bad) - SHOWN} more)" if len(bad) > SHOWN else ""
        print(f"narank: {file}: {len(bad)} line(s) left out, not {space.name} architectures: "
              + "; ".join(bad[:SHOWN]) + more, file=sys.stderr)
    metrics = frame.iloc[keep].reset_index(drop=True)
    seen: dict[str, int] = {}
    for i, cid in enumerate(ids):
        if cid in seen:
            raise DataFileError(f"{file}: lines {keep[seen[cid]] + 2} and {keep[i] + 2} are the same "
                                f"architecture ({cid}); keep one line per architecture")
        seen[cid] = i
    for column in label_columns:
        values = pd.to_numeric(metrics[column], errors="coerce").to_numpy(dtype=float)
        wrong = np.flatnonzero(~np.isfinite(values))
        if len(wrong):
            raise DataFileError(f"{file}: column {column!r} line {keep[wrong[0]] + 2} is "
                                f"{metrics[column].iloc[wrong[0]]!r}, not a finite number")
        metrics[column] = values
    if costs and "params_M" not in metrics.columns:
        metrics["params_M"] = [space.params_M(c) for c in cells]
    if costs and "flops_M" not in metrics.columns:
        metrics["flops_M"] = [space.flops_M(c) for c in cells]
    metrics.index = pd.Index(ids, name=space.id_name)
    table = BenchmarkTable(space, metrics.drop(columns=[arch_column]), source=file)
    table._cells = cells
    return table
