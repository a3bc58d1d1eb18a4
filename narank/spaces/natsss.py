"""NATS-Bench size search space (NATS-SSS): one fixed NB201 cell, 5 channel widths.

A configuration is 5 widths, each from 8, 16, ..., 64 (8^5 = 32,768), written like the
benchmark as "64:64:64:64:64". The official index enumerates the widths with the first
position slowest and the last fastest (NATS-Bench `main-sss.py`, `traverse_net`), so
index = sum_i (w_i / 8 - 1) * 8^(4 - i). Every configuration is a distinct network.

Network (xautodl `DynamicShapeTinyNet`, one cell per stage): stem conv3x3 (c0) + BN;
cell c0->c0; ResNet reduction c0->c1; cell c1->c2; reduction c2->c3; cell c3->c4; BN-ReLU,
pool, dense. In a cell a->b the edges out of node 0 map a->b (skip_connect becomes a 1x1
conv + BN when a != b) and the other edges b->b. Ground truth (MONET's files) has test
accuracy only (90 epochs): both `train` and `evaluate` columns are test accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from narank.errors import DataFileError, InvalidCellError, NarankError
from narank.spaces.base import SearchSpace, TableColumns, as_rng, register
from narank.spaces.nb201 import NUM_CLASSES

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
OPS = ("nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_3x3")
EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
WIDTHS = (8, 16, 24, 32, 40, 48, 56, 64)
NUM_POSITIONS = 5
NUM_CELLS = len(WIDTHS) ** NUM_POSITIONS
DATASETS = ("cifar10", "cifar100", "imagenet16_120")
RESOLUTION = {"cifar10": 32, "cifar100": 32, "imagenet16_120": 16}
#: MONET's file name of each dataset (benchmark_scores/<name>-NATS.csv)
MONET_FILES = {"cifar10": "Cifar10-NATS.csv", "cifar100": "Cifar100-NATS.csv",
               "imagenet16_120": "ImageNet-NATS.csv"}
#: (input width position, output width position) of the cell of each stage
STAGES = ((0, 0), (1, 2), (3, 4))

_POW8 = np.array([8 ** (NUM_POSITIONS - 1 - i) for i in range(NUM_POSITIONS)], dtype=np.int64)
_ALIASES = {"c10": "cifar10", "c100": "cifar100", "imagenet16-120": "imagenet16_120",
            "imagenet": "imagenet16_120", "in16": "imagenet16_120", "imagenet16": "imagenet16_120"}
_EXAMPLE = "'64:64:64:64:64' (5 widths from 8, 16, ..., 64), an index 0..32767"
#: `channels` of a shrunk network: the width a 64 position gets, or 5 explicit widths
Widths = int | Sequence[int] | None
_FIX = "re-download the file, or re-create it with `narank convert`"


@dataclass(frozen=True)
class NATSSSCell:
    """One size-space configuration: the 5 channel widths, validated on construction."""

    channels: tuple[int, ...]

    def __post_init__(self) -> None:
        raw = self.channels
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
            raise InvalidCellError(f"NATS-SSS channels must be a sequence of 5 widths, got {raw!r}")
        if len(raw) != NUM_POSITIONS:
            raise InvalidCellError(
                f"a NATS-SSS configuration has {NUM_POSITIONS} widths, got {len(raw)}: {list(raw)!r}; "
                f"write it like {_EXAMPLE}")
        widths = []
        for pos, w in enumerate(raw):
            if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or int(w) not in WIDTHS:
                raise InvalidCellError(
                    f"NATS-SSS width {w!r} at position {pos} is not allowed: each of the 5 widths "
                    f"must be one of {', '.join(map(str, WIDTHS))}")
            widths.append(int(w))
        object.__setattr__(self, "channels", tuple(widths))

    @cached_property
    def index(self) -> int:
        """Official NATS-SSS index: first position slowest, last fastest."""
        return int(np.dot(np.array(self.channels) // 8 - 1, _POW8))

    @property
    def config_str(self) -> str:
        """Official configuration string, e.g. '8:16:24:32:40'."""
        return ":".join(map(str, self.channels))

    def __str__(self) -> str:
        return self.config_str


# ----------------------------------------------------------------------------- cells


@lru_cache(maxsize=1)
def all_cells() -> tuple[NATSSSCell, ...]:
    """All 32,768 configurations in official index order."""
    return tuple(NATSSSCell(tuple(row)) for row in all_channels().tolist())


@lru_cache(maxsize=1)
def all_channels() -> np.ndarray:
    """Widths of every configuration in index order, int array [32768, 5] (read-only)."""
    digits = (np.arange(NUM_CELLS)[:, None] // _POW8[None, :]) % len(WIDTHS)
    out = (digits + 1) * 8
    out.setflags(write=False)
    return out


def from_index(index: Any) -> NATSSSCell:
    """The configuration with an official index 0..32767."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise InvalidCellError(f"NATS-SSS index must be an int, got {index!r}")
    if not 0 <= int(index) < NUM_CELLS:
        raise InvalidCellError(
            f"NATS-SSS index {index} is out of range: valid indices are 0..{NUM_CELLS - 1}")
    return all_cells()[int(index)]


def parse_config(text: str) -> NATSSSCell:
    """A configuration from its string '8:16:24:32:40' (strict, with a clear error)."""
    parts = [p.strip() for p in text.strip().split(":")]
    if len(parts) != NUM_POSITIONS:
        raise InvalidCellError(
            f"malformed NATS-SSS configuration {text!r}: found {len(parts)} width(s), expected "
            f"{NUM_POSITIONS} separated by ':', like {_EXAMPLE}")
    for pos, part in enumerate(parts):
        if not part.isdigit():
            raise InvalidCellError(
                f"malformed NATS-SSS configuration {text!r}: position {pos} is {part!r}, not a "
                f"whole number; use widths from {', '.join(map(str, WIDTHS))}")
    return NATSSSCell(tuple(int(p) for p in parts))


def channels_matrix(cells: Sequence[NATSSSCell]) -> np.ndarray:
    """Widths of the given cells, int array [n, 5]."""
    rows = [cell.channels for cell in cells]
    return np.array(rows, dtype=np.int64).reshape(len(rows), NUM_POSITIONS)


# ----------------------------------------------------------------------------- costs


def _stage_widths(ch: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(input width, output width) of the cell of each of the 3 stages, arrays [n]."""
    return [(ch[:, a], ch[:, b]) for a, b in STAGES]


def edge_costs(ch: np.ndarray, resolution: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """(parameters, multiply-adds) each of the 6 edges adds over the 3 cells, int arrays [n, 6].

    At stage s (resolution R_s = resolution / 2^s) a cell a->b has: conv3x3 out of node 0:
    9ab + 2b params (conv + BN), 9ab R^2 MACs; conv3x3 inside: 9b^2 + 2b, 9b^2 R^2; the skip
    out of node 0: nothing when a == b, else a 1x1 projection: ab + 2b, ab R^2.
    """
    ch = np.asarray(ch, dtype=np.int64).reshape(-1, NUM_POSITIONS)
    params = np.zeros((len(ch), len(EDGES)), dtype=np.int64)
    macs = np.zeros_like(params)
    for s, (a, b) in enumerate(_stage_widths(ch)):
        area = (resolution >> s) ** 2
        for e, (op, (src, _)) in enumerate(zip(OPS, EDGES, strict=True)):
            c_in = a if src == 0 else b
            if op == "nor_conv_3x3":
                params[:, e] += 9 * c_in * b + 2 * b
                macs[:, e] += 9 * c_in * b * area
            else:  # skip_connect: a projection only when the width changes
                change = c_in != b
                params[:, e] += change * (c_in * b + 2 * b)
                macs[:, e] += change * c_in * b * area
    return params, macs


def base_costs(ch: np.ndarray, num_classes: int, resolution: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """(parameters, multiply-adds) outside the cells, int arrays [n].

    Stem conv3x3 3->c0 + BN: 29 c0 params, 27 c0 R^2 MACs. Reduction a->b to resolution r:
    conv3x3 a->b + BN, conv3x3 b->b + BN, 1x1 shortcut a->b: 10ab + 9b^2 + 4b params,
    (10ab + 9b^2) r^2 MACs. Last BN 2 c4. Dense c4->K with bias: (c4 + 1) K params and MACs.
    """
    ch = np.asarray(ch, dtype=np.int64).reshape(-1, NUM_POSITIONS)
    c0, c1, c2, c3, c4 = ch.T
    params = 29 * c0 + 2 * c4 + (c4 + 1) * num_classes
    macs = 27 * c0 * resolution ** 2 + (c4 + 1) * num_classes
    for (a, b), r in (((c0, c1), resolution // 2), ((c2, c3), resolution // 4)):
        params = params + 10 * a * b + 9 * b * b + 4 * b
        macs = macs + (10 * a * b + 9 * b * b) * r * r
    return params, macs


def num_params(ch: np.ndarray, num_classes: int) -> np.ndarray:
    """Exact trainable parameter count of each configuration's network, int array [n]."""
    base, _ = base_costs(ch, num_classes)
    return base + edge_costs(ch)[0].sum(axis=1)


def num_macs(ch: np.ndarray, num_classes: int, resolution: int) -> np.ndarray:
    """Multiply-adds of convolutions and the dense layer (its bias adds included) per image."""
    _, base = base_costs(ch, num_classes, resolution)
    return base + edge_costs(ch, resolution)[1].sum(axis=1)


def params_M_batch(ch: np.ndarray, dataset: str = "cifar10") -> np.ndarray:  # noqa: N802
    """Parameters in millions (exact), float array [n]."""
    return np.round(num_params(ch, NUM_CLASSES[dataset]) / 1e6, 6)


def flops_M_batch(ch: np.ndarray, dataset: str = "cifar10") -> np.ndarray:  # noqa: N802
    """MFLOPs as multiply-adds of convs and the dense layer at 32x32 (CIFAR) or 16x16 (IN16)."""
    return np.round(num_macs(ch, NUM_CLASSES[dataset], RESOLUTION[dataset]) / 1e6, 6)


def scaled_widths(widths: Sequence[int], channels: Widths) -> tuple[int, ...]:
    """Widths of a shrunk network: an int `channels` is the width a 64-wide position gets
    (each width scales by channels/64, min 1); 5 ints are the widths themselves."""
    if channels is None:
        return tuple(widths)
    if isinstance(channels, (int, np.integer)) and not isinstance(channels, bool):
        if channels < 1:
            raise NarankError(f"channels must be >= 1, got {channels}")
        return tuple(max(1, round(w * int(channels) / WIDTHS[-1])) for w in widths)
    out = tuple(int(c) for c in channels)
    if len(out) != NUM_POSITIONS or min(out) < 1:
        raise NarankError(f"channels must be an int or {NUM_POSITIONS} positive widths, got {channels!r}")
    return out


# ----------------------------------------------------------------------------- SED


# ----------------------------------------------------------------------------- tables


def _read_csv(path: Path, required: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    if not path.is_file():
        raise DataFileError(f"{path}: file not found")
    try:
        df = pd.read_csv(path, dtype={"arch": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DataFileError(f"{path}: not a readable CSV ({msg}); {_FIX}") from exc
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataFileError(f"{path}: missing column(s) {', '.join(missing)} "
                            f"(found: {', '.join(map(str, df.columns))}); {_FIX}")
    return df


def _numeric(df: pd.DataFrame, path: Path, col: str, required: bool) -> np.ndarray:
    """Column `col` as floats; name the file, line and column of the first bad value."""
    import pandas as pd

    raw = df[col]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFileError(f"{path}: line {i + 2}, column {col!r}: {raw.iloc[i]!r} is not a number; {_FIX}")
    if required and values.isna().any():
        i = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise DataFileError(f"{path}: line {i + 2}, column {col!r}: missing value (the file looks "
                            f"truncated or damaged); {_FIX}")
    return values.to_numpy(dtype=np.float64)


def _check_rows(df: pd.DataFrame, path: Path) -> None:
    """Exactly one row per configuration, in official index order."""
    if len(df) != NUM_CELLS:
        raise DataFileError(f"{path}: has {len(df):,} data rows, expected {NUM_CELLS:,} (one per "
                            f"NATS-SSS configuration); the file is truncated or incomplete; {_FIX}")
    index = _numeric(df, path, "index", True)
    wrong = index != np.arange(NUM_CELLS)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise DataFileError(f"{path}: line {i + 2}, column 'index': expected {i}, got {df['index'].iloc[i]} "
                            f"(rows must be in official index order 0..{NUM_CELLS - 1}); {_FIX}")


def _check_accuracy(acc: np.ndarray, path: Path, col: str) -> None:
    bad = (acc < 0) | (acc > 100)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataFileError(f"{path}: line {i + 2}, column {col!r}: {acc[i]} is not an accuracy in "
                            f"percent (0..100); {_FIX}")


def _check_params(found: np.ndarray, expected: np.ndarray, path: Path, col: str, unit: str) -> None:
    wrong = ~np.isclose(found, expected, rtol=0.0, atol=0.5 if unit == "" else 5e-7)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise DataFileError(
            f"{path}: line {i + 2}, column {col!r}: {found[i]:g} parameters{unit} but the NATS-SSS "
            f"network of index {i} ({all_cells()[i].config_str}) has {expected[i]:g}; this is not "
            f"the NATS-SSS table ({int(wrong.sum())} rows differ); {_FIX}")


def read_monet(path: Path) -> pd.DataFrame:
    """MONET's `<Dataset>-NATS.csv` and its sibling files in the same folder, joined into the
    canonical frame; the file given must exist, missing siblings leave their dataset out."""
    import pandas as pd

    by_name = {name.lower(): ds for ds, name in MONET_FILES.items()}
    if path.name.lower() not in by_name:
        raise DataFileError(f"{path}: not a NATS-SSS table: expected natsss.csv or one of "
                            f"{', '.join(MONET_FILES.values())}")
    ch = all_channels()
    frame = pd.DataFrame({"index": np.arange(NUM_CELLS, dtype=np.int64),
                          "arch": [c.config_str for c in all_cells()]})
    for ds, name in MONET_FILES.items():
        file = path.parent / name
        if not file.is_file() and file != path:
            continue
        df = _read_csv(file, ("index", "num_param", "accuracy"))
        _check_rows(df, file)
        acc = _numeric(df, file, "accuracy", True)
        _check_accuracy(acc, file, "accuracy")
        expected = num_params(ch, NUM_CLASSES[ds])
        _check_params(_numeric(df, file, "num_param", True), expected, file, "num_param", "")
        frame[f"{ds}_test_acc"] = acc
        frame[f"{ds}_params_M"] = np.round(expected / 1e6, 6)
        frame[f"{ds}_flops_M"] = flops_M_batch(ch, ds)
        for src, dst in (("score", "ntk_score"), ("score_naswot", "naswot"), ("score_nasi", "nasi")):
            if src in df.columns:
                frame[f"{ds}_{dst}"] = _numeric(df, file, src, False)
    return frame


def read_canonical(path: Path) -> pd.DataFrame:
    """narank's `natsss/natsss.csv`: index, arch and per-dataset test_acc / params_M / flops_M."""
    df = _read_csv(path, ("index", "arch"))
    _check_rows(df, path)
    official = np.array([c.config_str for c in all_cells()], dtype=object)
    arch = df["arch"].astype(str).str.strip().to_numpy(dtype=object)
    wrong = arch != official
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise DataFileError(f"{path}: line {i + 2}, column 'arch': {df['arch'].iloc[i]!r} is not the "
                            f"configuration with official index {i} ({official[i]}); {_FIX}")
    accs = [f"{ds}_test_acc" for ds in DATASETS if f"{ds}_test_acc" in df.columns]
    if not accs:
        raise DataFileError(f"{path}: no accuracy column: expected one of "
                            f"{', '.join(f'{ds}_test_acc' for ds in DATASETS)}; {_FIX}")
    df["index"] = np.arange(NUM_CELLS, dtype=np.int64)
    df["arch"] = official
    for col in df.columns:
        if col not in ("index", "arch"):
            df[col] = _numeric(df, path, col, col in accs)
    for col in accs:
        _check_accuracy(df[col].to_numpy(), path, col)
    for ds in DATASETS:
        if f"{ds}_params_M" in df.columns:
            expected = np.round(num_params(all_channels(), NUM_CLASSES[ds]) / 1e6, 6)
            _check_params(df[f"{ds}_params_M"].to_numpy(), expected, path, f"{ds}_params_M", " (M)")
    return df


# ----------------------------------------------------------------------------- the space


class NATSSSSpace(SearchSpace):
    """NATS-Bench size space: the fixed NB201 cell with 5 searched widths, 32,768 networks."""

    name = "natsss"
    title = "NATS-Bench size space"
    datasets = DATASETS
    nar_lambda = 1.0
    train_sizes = (328, 3277)  # ~1% and ~10% of the space
    default_train_size = 3277  # 10%, as NB201's default 1563 of 15,625
    node_labels = ("input", "output", "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
    table_files = ("natsss/natsss.csv", "natssss_monet/Cifar10-NATS.csv")
    canonical_table = "natssss_monet/Cifar10-NATS.csv"
    id_name = "index"
    node_value_width = NUM_POSITIONS + 2 * len(STAGES)  # see `node_values`

    # ------------------------------------------------------------------ cells

    def owns(self, cell: Any) -> bool:
        return isinstance(cell, NATSSSCell)

    def parse(self, obj: Any) -> NATSSSCell:
        """A configuration from '8:16:24:32:40', an index (int or digits), 5 widths, a dict with
        'channels', 'arch' or 'index', or a cell."""
        if isinstance(obj, NATSSSCell):
            return obj
        if isinstance(obj, dict):
            for key in ("channels", "arch", "index"):
                if key in obj:
                    return self.parse(obj[key])
            raise InvalidCellError(
                f"NATS-SSS cell dict needs a 'channels', 'arch' or 'index' key, got {sorted(obj)}")
        if isinstance(obj, str):
            text = obj.strip()
            if text.isdigit():
                return from_index(int(text))
            if ":" in text:
                return parse_config(text)
            raise InvalidCellError(f"cannot read a NATS-SSS configuration from {obj!r}: give {_EXAMPLE}, "
                                   "or {\"channels\": [...]}")
        if isinstance(obj, (int, np.integer)) and not isinstance(obj, bool):
            return from_index(int(obj))
        if isinstance(obj, (list, tuple, np.ndarray)):
            return NATSSSCell(tuple(obj))
        raise InvalidCellError(f"cannot read a NATS-SSS configuration from {obj!r}: give {_EXAMPLE}, "
                               "5 widths as a list, or {\"channels\": [...]}")

    def is_id(self, text: str) -> bool:
        return text.isdigit() and text == str(int(text)) and int(text) < NUM_CELLS

    def canonical_id(self, cell: NATSSSCell) -> str:
        return str(cell.index)

    def iso_key(self, cell: NATSSSCell) -> str:
        """Every configuration is a distinct network: the canonical id."""
        return str(cell.index)

    def describe(self, cell: NATSSSCell) -> dict[str, Any]:
        return {"space": self.name, "id": self.canonical_id(cell), "index": cell.index,
                "channels": list(cell.channels), "arch": cell.config_str}

    def label(self, cell: NATSSSCell) -> str:
        return cell.config_str

    def dataset(self, name: str | None) -> str:
        if name is None:
            return DATASETS[0]
        key = str(name).strip().lower()
        key = _ALIASES.get(key, key).replace("-", "_")
        if key not in DATASETS:
            raise NarankError(f"dataset {name!r} is not in {self.name}; choose from {', '.join(DATASETS)}")
        return key

    # ------------------------------------------------------------ the space

    @property
    def size(self) -> int:
        return NUM_CELLS

    def enumerate(self) -> tuple[NATSSSCell, ...]:
        return all_cells()

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> list[NATSSSCell]:
        """`n` configurations drawn uniformly with replacement."""
        if n < 0:
            raise NarankError(f"cannot sample {n} NATS-SSS configurations")
        cells = all_cells()
        return [cells[i] for i in as_rng(rng).integers(0, NUM_CELLS, size=n).tolist()]

    def mutate(self, cell: NATSSSCell, rng: np.random.Generator | int | None = None) -> NATSSSCell:
        """One uniformly chosen position changed to one of the 7 other widths."""
        gen = as_rng(rng)
        pos = int(gen.integers(NUM_POSITIONS))
        old = WIDTHS.index(cell.channels[pos])
        new = int(gen.integers(len(WIDTHS) - 1))
        new += new >= old
        return NATSSSCell((*cell.channels[:pos], WIDTHS[new], *cell.channels[pos + 1:]))

    def neighbours(self, cell: NATSSSCell, rng: np.random.Generator | int | None = None) -> list[NATSSSCell]:
        """All 35 configurations that differ at one position (in a fixed order; `rng` unused)."""
        ch = cell.channels
        return [NATSSSCell((*ch[:p], w, *ch[p + 1:])) for p in range(NUM_POSITIONS) for w in WIDTHS
                if w != ch[p]]

    # ------------------------------------------------------------------ costs

    def params_M(self, cell: NATSSSCell, dataset: str | None = None) -> float:  # noqa: N802
        """Trainable parameters (millions), exact closed form (`num_params`)."""
        return float(params_M_batch(channels_matrix([cell]), self.dataset(dataset))[0])

    def flops_M(self, cell: NATSSSCell, dataset: str | None = None) -> float:  # noqa: N802
        """Millions of multiply-adds of the convs and the dense layer (see `num_macs`)."""
        return float(flops_M_batch(channels_matrix([cell]), self.dataset(dataset))[0])

    def cell_features(self, cells: Sequence[NATSSSCell], dataset: str | None = None) -> dict[str, np.ndarray]:
        """flops_M, params_M and each position's width (`width:0`..`width:4`), vectorized."""
        ds = self.dataset(dataset)
        ch = channels_matrix(cells)
        out = {"flops_M": flops_M_batch(ch, ds), "params_M": params_M_batch(ch, ds)}
        for p in range(NUM_POSITIONS):
            out[f"width:{p}"] = ch[:, p].astype(float)
        return out

    def encode(self, cells: Sequence[NATSSSCell]) -> np.ndarray:
        """One-hot width per position (40 values)."""
        ch = channels_matrix(cells) // 8 - 1
        out = np.zeros((len(ch), NUM_POSITIONS, len(WIDTHS)), dtype=np.float32)
        out[np.arange(len(ch))[:, None], np.arange(NUM_POSITIONS)[None, :], ch] = 1.0
        return out.reshape(len(ch), -1)

    # ------------------------------------------------------------------ graphs

    def structure(self, cell: NATSSSCell) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
        """NB201's graph view of the fixed cell (the same for every configuration)."""
        return _STRUCTURE

    def node_costs(self, cell: NATSSSCell, dataset: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """MFLOPs and M params of each edge-op node summed over the 3 cells (stem, reductions
        and classifier belong to no node)."""
        ds = self.dataset(dataset)
        params, macs = edge_costs(channels_matrix([cell]), RESOLUTION[ds])
        zero = np.zeros(1)
        return (np.concatenate([zero, macs[0] / 1e6, zero]), np.concatenate([zero, params[0] / 1e6, zero]))

    def node_values(self, cell: NATSSSCell, dataset: str | None = None) -> np.ndarray:
        """[8, 11] widths / 64: the 5 widths on every node, then per stage (in, out) of the node
        (input node: the cell's input width twice; output node: its output width twice; an edge
        op: its own in and out width)."""
        w = np.asarray(cell.channels, dtype=np.float32) / WIDTHS[-1]
        out = np.zeros((len(EDGES) + 2, NUM_POSITIONS + 2 * len(STAGES)), dtype=np.float32)
        out[:, :NUM_POSITIONS] = w
        for s, (a, b) in enumerate(STAGES):
            col = NUM_POSITIONS + 2 * s
            out[0, col:col + 2] = w[a]
            out[-1, col:col + 2] = w[b]
            for e, (src, _) in enumerate(EDGES):
                out[e + 1, col:col + 2] = (w[a] if src == 0 else w[b], w[b])
        return out

    # ----------------------------------------------------------- ground truth

    def columns(self, dataset: str | None = None, target: str = "valid") -> TableColumns:
        """Test accuracy for both searching and reporting: the benchmark files have no validation
        accuracy, so target 'valid' and 'test' both mean the test column."""
        ds = self.dataset(dataset)
        if target not in ("valid", "test"):
            raise NarankError(f"target must be 'valid' or 'test', got {target!r}")
        return TableColumns(f"{ds}_test_acc", f"{ds}_test_acc", f"{ds}_params_M", f"{ds}_flops_M")



def _graph_structure() -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    """Input node 0, edge-op nodes 1..6 (EDGES order), output node 7; all edges are live."""
    edges: list[tuple[int, int]] = []
    for k, (src, dst) in enumerate(EDGES):
        if src == 0:
            edges.append((0, k + 1))
        edges.extend((k + 1, k2 + 1) for k2, (src2, _) in enumerate(EDGES) if src2 == dst)
        if dst == 3:
            edges.append((k + 1, len(EDGES) + 1))
    return ("input", *OPS, "output"), tuple(edges)


_STRUCTURE = _graph_structure()
SPACE = register(NATSSSSpace())
