"""The built-in spaces' benchmark-table readers, registered in `narank.spaces.base.TABLE_READERS`
under each space's name, and the file loader `SearchSpace.table` uses (`TABLE_LOADERS["files"]`).

`SearchSpace.read_table`/`table_cells`/`table` look them up there, so the spaces never import the
benchmarks that sit above them. Each reader gives clear errors for a file of another space.
Light to import: pandas and the table class load on the first read, so a missing table is still
reported before anything heavy loads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from narank.benchmarks.loader import load_table
from narank.errors import DataFileError
from narank.spaces import natsss, nb101, nb201
from narank.spaces.base import TABLE_LOADERS, TABLE_READERS, SearchSpace, TableReader

if TYPE_CHECKING:  # pragma: no cover - typing only (pandas is slow to import)
    import pandas as pd

    from narank.benchmarks.table import BenchmarkTable


def read_nb201_table(space: SearchSpace, file: Any) -> BenchmarkTable:
    """An NB201 CSV or the official .pth."""
    from narank.benchmarks.table import BenchmarkTable

    file = Path(file)
    if file.suffix.lower() == ".tfrecord":
        raise DataFileError(f"{file}: a .tfrecord file is an NB101 benchmark, not {space.name}")
    if file.suffix.lower() == ".pth":
        from narank.benchmarks.nb201_pth import read_nb201_pth

        frame = read_nb201_pth(file)
        frame.index = frame["index"].astype(str).to_numpy()
        frame.index.name = "id"
        return BenchmarkTable(space, frame, source=file)
    from narank.benchmarks.csv_tables import read_nb201_csv

    return read_nb201_csv(file)


def nb201_table_cells(space: SearchSpace, metrics: pd.DataFrame) -> list[nb201.NB201Cell]:
    """Rows are keyed by the official index."""
    everything = nb201.all_cells()
    return [everything[int(i)] for i in metrics.index]


def read_nb101_table(space: SearchSpace, file: Any, include_extra: bool = False) -> BenchmarkTable:
    """A CSV (plus the NAS-Bench-Suite-Zero cells next to it when `include_extra`) or the
    official .tfrecord."""
    from narank.benchmarks import csv_tables
    from narank.benchmarks.table import BenchmarkTable

    file = Path(file)
    suffix = file.suffix.lower()
    if suffix == ".pth":
        raise DataFileError(f"{file}: a .pth file is an NB201 benchmark, not {space.name}")
    if suffix == ".tfrecord":
        from narank.benchmarks.tfrecord import read_nb101_tfrecord

        frame = read_nb101_tfrecord(file)
        frame.index = frame["hash"].to_numpy()
        frame.index.name = "id"
        return BenchmarkTable(space, frame, source=file)
    extra = []
    if include_extra and (file.parent.parent / nb101.NB101_EXTRA).is_file():
        extra.append(file.parent.parent / nb101.NB101_EXTRA)
    return csv_tables.read_nb101_csv(file, extra=extra)


def nb101_table_cells(space: SearchSpace, metrics: pd.DataFrame) -> list[nb101.NB101Cell]:
    """Rows carry the cell's adjacency and ops as JSON."""
    return [nb101.NB101Cell.from_spec(json.loads(adj), json.loads(ops))
            for adj, ops in zip(metrics["adjacency"], metrics["ops"], strict=True)]


def read_natsss_table(space: SearchSpace, file: Any) -> BenchmarkTable:
    """A canonical `natsss.csv`, or MONET's `<Dataset>-NATS.csv` (its siblings are read too),
    validated row by row; parameter counts must equal the closed form."""
    import pandas as pd

    from narank.benchmarks.table import BenchmarkTable

    path = Path(file)
    if path.name.lower() in {n.lower() for n in natsss.MONET_FILES.values()}:
        frame = natsss.read_monet(path)
    else:
        frame = natsss.read_canonical(path)
    frame.index = pd.Index([str(i) for i in range(natsss.NUM_CELLS)], name="id")
    table = BenchmarkTable(space, frame, source=path)
    if path.name in natsss.MONET_FILES.values():  # one file per dataset: the siblings were read too
        table.read_from = [f for f in (path.parent / n for n in natsss.MONET_FILES.values()) if f.is_file()]
    return table


def natsss_table_cells(space: SearchSpace, metrics: pd.DataFrame) -> list[natsss.NATSSSCell]:
    """Rows are keyed by the official index."""
    everything = natsss.all_cells()
    return [everything[int(i)] for i in metrics.index]


TABLE_READERS.register("nb201", TableReader(read_nb201_table, nb201_table_cells))
TABLE_READERS.register("nb101", TableReader(read_nb101_table, nb101_table_cells))
TABLE_READERS.register("natsss", TableReader(read_natsss_table, natsss_table_cells))
TABLE_LOADERS.register("files", load_table)
