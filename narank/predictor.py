"""`Ranker`: the user-facing NAR ranker, a scikit-learn-style estimator of cells.

    r = Ranker("nb201", "cifar10").fit(cells, accuracies)   # or Ranker.load / load_pretrained
    r.predict(cells)        # scores, higher = better predicted accuracy
    r.predict_tier(cells)   # tiers 1 (best) .. K
    r.rank(cells)           # (scores, tiers) in one pass
    r.score(cells, acc)     # Kendall tau of the scores against `acc`

The constructor only stores parameters (`get_params` / `set_params` / `sklearn.base.clone`
work); `fit` validates them, resolves the unset ones (epochs, batch_size, lam) through
`narank.train.default_train_config`, and sets the fitted attributes `model_`, `tier_edges_`
and `manifest_`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator

import narank
from narank.checkpoint import check_output_path, load_checkpoint, save_checkpoint
from narank.devices import device_problem
from narank.errors import CheckpointError, InvalidCellError, InvalidParameterError, NarankError
from narank.graph_features import graph_feature_names, graph_features, resolve_graph_features
from narank.graphs import check_node_features, graph_key, node_dim, to_batch, to_graphs
from narank.metrics import ranking_metrics
from narank.model.ranker import NARanker, RankerConfig
from narank.model.tiers import assign_tiers, cut_tiers, tier_edges
from narank.spaces import SearchSpace, get_space, space_of
from narank.threads import torch_rng, torch_work
from narank.train import TrainConfig, default_train_config, fit_model
from narank.training_data import (
    DEFAULT_DIM,
    DEFAULT_DROPOUT,
    DEFAULT_ENCODER,
    DEFAULT_GRAPH_FEATURES,
    DEFAULT_HEADS,
    DEFAULT_LAYERS,
    DEFAULT_LR,
    DEFAULT_NODE_FEATURES,
    DEFAULT_TABULAR,
    DEFAULT_TIERS,
    DEFAULT_WEIGHT_DECAY,
    ENCODERS,
    TABULAR_HEADS,
)


def check_space_dataset(space: str | SearchSpace, dataset: str | None) -> tuple[SearchSpace, str]:
    """(space, canonical dataset name), or a NarankError naming the valid choices."""
    space = get_space(space)
    return space, space.dataset(dataset)


def _not_fitted(what: str) -> Exception:
    from narank.errors import NotFittedError  # built lazily: it subclasses scikit-learn's

    return NotFittedError(f"this Ranker is not fitted yet; call fit(cells, y) or Ranker.load(path) "
                          f"before {what}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    real = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    return real and bool(np.isfinite(value))


def _plain(value: Any) -> Any:
    """A JSON-able / torch-weights_only-safe copy of a parameter value."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _names(value: Any, what: str) -> list[str]:
    """Feature names from a sequence or a comma-separated string."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, Iterable):
        raise NarankError(f"{what} must be a sequence of names, got {value!r}")
    return [str(v).strip() for v in value]


def _features(value: Any) -> tuple[str, ...]:
    """Node feature names from a sequence or a comma-separated string."""
    return check_node_features(_names(value, "node_features"))


def feature_designs(node_features: Sequence[str], graph_features: Sequence[str]) -> dict[str, str]:
    """Design versions of the features whose formula can change between narank versions (SED's
    frozen design), recorded in checkpoints so a ranker is never fed features it was not trained on."""
    from narank.proxies.sed import FROZEN

    return {"sed": FROZEN.name} if "sed" in (*node_features, *graph_features) else {}


def _graph_features(value: Any, space: SearchSpace) -> tuple[str, ...]:
    """Graph-level feature names (narank.graph_features) from a sequence or a comma-separated string;
    "auto": every one the space offers."""
    return resolve_graph_features(space, _names(value, "graph_features"))


def _int_at_least(low: int, none_ok: bool = False) -> Callable[[Any], bool]:
    return lambda v: (none_ok and v is None) or (_is_int(v) and v >= low)


def _number_in(low: float, high: float = np.inf, none_ok: bool = False, low_open: bool = False
               ) -> Callable[[Any], bool]:
    return lambda v: (none_ok and v is None) or (
        _is_number(v) and (v > low if low_open else v >= low) and v < high)


#: what each parameter may be, checked by `fit` (space, dataset and feature names are checked where
#: they are resolved, with the choices named; `device` by `narank.devices`)
_CONSTRAINTS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "encoder": (lambda v: v in ENCODERS, f"one of {', '.join(ENCODERS)}"),
    "dim": (_int_at_least(1), "an integer >= 1"),
    "layers": (_int_at_least(1), "an integer >= 1"),
    "heads": (_int_at_least(1), "an integer >= 1"),
    "tiers": (_int_at_least(2), "an integer >= 2"),
    "dropout": (_number_in(0, 1), "a number in [0, 1)"),
    "epochs": (_int_at_least(1, none_ok=True), "None (the project default) or an integer >= 1"),
    "batch_size": (_int_at_least(2, none_ok=True), "None (the project default) or an integer >= 2"),
    "lr": (_number_in(0, low_open=True), "a positive number"),
    "weight_decay": (_number_in(0), "a number >= 0"),
    "lam": (_number_in(0, none_ok=True), "None (the space's default) or a number >= 0"),
    "pretrain": (_int_at_least(0), "an integer >= 0 (unlabelled cells; 0 = none)"),
    "tabular": (lambda v: v is None or v in TABULAR_HEADS, f"None or one of {', '.join(TABULAR_HEADS)}"),
    "random_state": (_int_at_least(0, none_ok=True), "None or an integer >= 0"),
    "warm_start": (lambda v: isinstance(v, bool | np.bool_), "True or False"),
    "verbose": (lambda v: isinstance(v, bool | np.bool_ | int), "True or False"),
}


class Ranker(BaseEstimator):
    """A NAR ranker for one search space and dataset: graph encoder, tier decoder, score head,
    blended with a tabular model of the same cells.

    Parameters: the search `space` and `dataset`; extra `node_features`; per-cell
    `graph_features` added to the pooled embedding (`narank.graph_features`: graf, params,
    flops, sed; default "auto": all that the space offers); `tabular` = "xgb" (default) also
    fits XGBoost on those standardized graph features, and `predict` averages the two halves'
    scores as quantiles of their scores on unlabelled cells (None: the GNN alone); the network
    (`encoder`, `dim`, `layers`, `heads`, `dropout`, `tiers`); training (`epochs`, `lr`,
    `weight_decay`, `batch_size`, `lam` = weight of the ranking loss; None = the project
    default for the training-set size, see `narank.train.default_train_config`);
    `random_state` seeds weights and batches without touching the global torch RNG;
    `warm_start` makes `fit` continue from the current weights; `verbose` shows a progress bar;
    `pretrain` > 0 first pretrains the encoder on that many unlabelled cells of the space
    (`narank.pretrain`: predict GRAF/params/FLOPs/SED; cached per process) before fitting;
    `device` ("cpu", "cuda", "cuda:N") is where fits and predictions run; the network rests on the
    CPU between calls, so checkpoints are device-free and load anywhere (on the CPU by default).
    """

    def __init__(self, space: str = "nb201", dataset: str = "cifar10",
                 node_features: Sequence[str] = DEFAULT_NODE_FEATURES,
                 graph_features: Sequence[str] = DEFAULT_GRAPH_FEATURES, encoder: str = DEFAULT_ENCODER,
                 dim: int = DEFAULT_DIM, layers: int = DEFAULT_LAYERS, heads: int = DEFAULT_HEADS,
                 dropout: float = DEFAULT_DROPOUT, tiers: int = DEFAULT_TIERS,
                 epochs: int | None = None, lr: float = DEFAULT_LR,
                 weight_decay: float = DEFAULT_WEIGHT_DECAY, batch_size: int | None = None,
                 lam: float | None = None, random_state: int | None = 0, warm_start: bool = False,
                 verbose: bool = False, pretrain: int = 0, tabular: str | None = DEFAULT_TABULAR,
                 device: str = "cpu"):
        self.space = space
        self.dataset = dataset
        self.node_features = node_features
        self.graph_features = graph_features
        self.encoder = encoder
        self.dim = dim
        self.layers = layers
        self.heads = heads
        self.dropout = dropout
        self.tiers = tiers
        self.epochs = epochs
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.lam = lam
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.pretrain = pretrain
        self.tabular = tabular
        self.device = device

    # ---------------------------------------------------------------- parameters

    def _validate(self) -> tuple[SearchSpace, str, tuple[str, ...], RankerConfig]:
        """Check every parameter (errors name the bad value); (space, dataset, features, net config)."""
        space, dataset = check_space_dataset(self.space, self.dataset)
        features = _features(self.node_features)
        graph_dim = len(graph_feature_names(space, _graph_features(self.graph_features, space)))
        for name, (allowed, what) in _CONSTRAINTS.items():
            value = getattr(self, name)
            if not allowed(value):
                raise InvalidParameterError(f"{name} must be {what}, got {value!r}")
        if self.dim % self.heads:
            raise InvalidParameterError(f"dim {self.dim} must be divisible by heads {self.heads}")
        if self.tabular is not None and not graph_dim:
            raise InvalidParameterError("tabular needs graph features (its inputs); set graph_features or "
                                        "tabular=None")
        self._device()
        config = RankerConfig(in_dim=node_dim(features, space), dim=int(self.dim), layers=int(self.layers),
                              encoder=self.encoder, heads=int(self.heads), dropout=float(self.dropout),
                              tiers=int(self.tiers), graph_dim=graph_dim)
        return space, dataset, features, config

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags: `fit`/`predict` take cells (objects or their text), not a 2-D array."""
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = True
        return tags

    def train_settings(self, n_train: int) -> TrainConfig:
        """The training settings a fit on `n_train` cells uses: set parameters, else project defaults."""
        return self._settings(self._validate()[0], n_train)

    def _settings(self, space: SearchSpace, n_train: int) -> TrainConfig:
        if self.random_state is None:
            seed = int(np.random.default_rng().integers(2**31))
        else:
            seed = int(self.random_state)
        cfg = default_train_config(space, n_train, seed)
        return TrainConfig(epochs=cfg.epochs if self.epochs is None else int(self.epochs),
                           batch_size=cfg.batch_size if self.batch_size is None else int(self.batch_size),
                           lam=cfg.lam if self.lam is None else float(self.lam), seed=seed,
                           lr=float(self.lr), weight_decay=float(self.weight_decay))

    # ---------------------------------------------------------------- fitted state

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    def _check_fitted(self, what: str) -> None:
        if not hasattr(self, "model_"):
            raise _not_fitted(what)

    @property
    def manifest(self) -> dict[str, Any]:
        """The fitted ranker's manifest (the same dict `save` writes; add keys to it), else {}."""
        return getattr(self, "manifest_", {})

    @property
    def trained_epochs(self) -> int | None:
        """Epochs done by the resumable training state, or None when there is none."""
        state = getattr(self, "_train_state", None)
        return None if state is None else int(state["epoch"])

    # ---------------------------------------------------------------- data in

    def _cells(self, cells: Any) -> list:
        """Cells of this ranker's space from any input its parser accepts (one or many)."""
        space = get_space(self.space)
        try:
            return space.parse_many(cells)
        except InvalidCellError:
            items = [cells] if isinstance(cells, str | dict) or not isinstance(cells, Iterable) else cells
            for obj in items:
                try:
                    other = space_of(obj)
                except InvalidCellError:
                    continue
                if other.name != space.name:
                    raise InvalidCellError(f"this ranker is for {space.name} cells, not {other.name} "
                                           f"cells: {other.label(obj)}") from None
            raise

    # ---------------------------------------------------------------- training

    @torch_work
    def fit(self, cells: Iterable, y: Sequence[float], *, init: str | os.PathLike | Ranker | None = None,
            checkpoint: str | os.PathLike | None = None, checkpoint_every: int = 0, resume: bool = False,
            manifest_extra: dict[str, Any] | None = None) -> Ranker:
        """Cut tiers from `y` (accuracies) and train; returns self.

        Starts from fresh weights seeded by `random_state`, unless `warm_start` (continue the
        current weights) or `resume` (continue a loaded checkpoint's training state, optimiser,
        random generators and learning-rate schedule included, up to `epochs`: the result equals
        an uninterrupted run's). With `checkpoint`, a resumable checkpoint is written atomically
        every `checkpoint_every` epochs (0: only at the end); the path is checked before training
        starts. `manifest_extra` entries are added to the manifest (also of those checkpoints).

        `init` (a shipped ranker's name, a checkpoint path or a fitted Ranker of the same space,
        features and network) fine-tunes its network on the new labels: few-shot transfer to another
        dataset, gently (`FINE_TUNE_EPOCHS` unless `epochs` is set, a tenth of `lr`). Its XGBoost
        trees are kept as they are: trees boosted further on 10-50 labels lowered τ well below the
        init's on the pairs this rule was chosen on (see `benchmarks/transfer.py`).
        Its training cells stay listed in `manifest_["train_ids"]`, and graph features are
        re-standardized for this ranker's dataset on the init's training cells (no labels).
        """
        space, dataset, features, config = self._validate()
        gnames = _graph_features(self.graph_features, space)
        cells = self._cells(cells)
        acc = np.asarray(y, dtype=float).reshape(-1)
        if len(cells) != len(acc):
            raise NarankError(f"{len(cells)} cells but {len(acc)} accuracies")
        if not np.all(np.isfinite(acc)):
            raise NarankError("accuracies contain NaN or inf; drop those cells first")
        if len(acc) < max(2, config.tiers):
            raise NarankError(f"need at least {max(2, config.tiers)} labelled cells to cut {config.tiers} "
                              f"tiers, got {len(acc)}")
        if not _is_int(checkpoint_every) or checkpoint_every < 0:
            raise NarankError(f"checkpoint_every must be an integer >= 0, got {checkpoint_every!r}")
        if checkpoint is not None:
            check_output_path(checkpoint, "checkpoint")
        settings = self._settings(space, len(cells))
        if init is not None:
            if resume:
                raise NarankError("init starts a new fine-tune; it cannot be combined with resume")
            self._adopt(resolve_init(init), space, dataset)
            # a gentle fine-tune: few labels must correct the init, not overwrite it
            epochs = FINE_TUNE_EPOCHS if self.epochs is None else settings.epochs
            settings = dataclasses.replace(settings, lr=settings.lr * FINE_TUNE_LR_SCALE, epochs=epochs)
        fitted = hasattr(self, "model_")
        keep_weights = resume or (init is not None) or (self.warm_start and fitted)
        state = None
        if resume:
            state = getattr(self, "_train_state", None)
            if not fitted or state is None:
                raise CheckpointError("nothing to resume: load a checkpoint with training state first")
            done = int(state["epoch"])
            if settings.epochs <= done:
                raise NarankError(f"already trained {done} epochs; set epochs > {done} to resume")
        if keep_weights:
            old = self.manifest_
            same = ([old["space"], old["dataset"] if init is None else dataset, list(old["node_features"]),
                     list(old.get("graph_features", [])), old.get("params", {}).get("tabular")]
                    == [space.name, dataset, list(features), list(gnames), self.tabular])
            if not same or self.model_.config != config:
                raise NarankError("warm_start/resume continue the current network, but the space, dataset, "
                                  "node features or network parameters changed; set warm_start=False")
            model = self.model_
        else:
            with torch_rng(settings.seed):
                model = NARanker(config)
        pretrained = None
        if self.pretrain and not keep_weights:
            from narank.pretrain import pretrained_state

            encoder_state, pretrained = pretrained_state(config, space, dataset, features, int(self.pretrain),
                                                         progress=bool(self.verbose))
            model.encoder.load_state_dict(encoder_state)
        edges = tier_edges(acc, config.tiers)
        train_ids = [space.canonical_id(c) for c in cells]
        if keep_weights:  # the network has seen the earlier cells too
            seen = set(train_ids)
            train_ids = [i for i in self.manifest_.get("train_ids", []) if i not in seen] + train_ids
        self.model_ = model
        self.tier_edges_ = edges
        self.manifest_ = self._describe(space, dataset, features, gnames, edges, settings, train_ids)
        if pretrained is not None:
            self.manifest_["pretrain"] = pretrained
        elif keep_weights and "pretrain" in old:
            self.manifest_["pretrain"] = old["pretrain"]
        if init is not None:
            self.manifest_["init"] = old.get("name", old.get("init_source", "a fitted ranker"))
        self.manifest_.update(manifest_extra or {})
        self._train_state = state

        def save_every(epoch: int, train_state: dict[str, Any]) -> None:
            if checkpoint is not None and checkpoint_every > 0 and epoch % checkpoint_every == 0:
                self._train_state = train_state
                self.save(checkpoint)

        graphs = to_graphs(cells, features, dataset)
        if gnames:
            values = torch.as_tensor(graph_features(space, cells, dataset, gnames), dtype=torch.float32)
            if not keep_weights:  # standardize with the training cells' features (no labels)
                model.set_graph_stats(values.mean(0), values.std(0) if len(values) > 1
                                      else torch.ones(values.shape[1]))
            for graph, row in zip(graphs, values, strict=True):
                graph.g = row[None, :]
        self._train_state = fit_model(model, graphs, acc, cut_tiers(acc, config.tiers), settings,
                                      state=state, progress=bool(self.verbose), on_epoch=save_every,
                                      device=self._device())
        if self.tabular is not None:
            from narank.model.tabular import fit_tabular

            if init is None:  # a fine-tune keeps the init's trees (see the docstring)
                start = getattr(self, "tabular_", None) if keep_weights else None
                self.tabular_ = fit_tabular(self._standardized(values.numpy()), acc, settings.seed, start)
            self.calibrate_blend(settings.seed)
        else:
            self.__dict__.pop("tabular_", None)
        if checkpoint is not None:
            self.save(checkpoint)
        return self

    def calibrate_blend(self, seed: int) -> None:
        """Record where each half's scores of `BLEND_CELLS` unlabelled cells (drawn with `seed`) fall:
        the quantiles `blend_scores` maps both halves onto (call again after changing a half)."""
        unlabelled = self.predict_parts(get_space(self.manifest_["space"]).sample(BLEND_CELLS, seed))
        self.manifest_["blend"] = {k: np.quantile(v, BLEND_LEVELS).tolist() for k, v in unlabelled.items()}

    def _adopt(self, source: Ranker, space: SearchSpace, dataset: str) -> None:
        """Take `source`'s weights and trees to fine-tune (`fit(init=...)`); check they fit."""
        import copy

        if source.manifest_["space"] != space.name:
            raise NarankError(f"init is a {source.manifest_['space']} ranker; this one is for {space.name}")
        mine, theirs = architecture_params(self), architecture_params(source)
        differ = sorted(k for k in mine if _plain(mine[k]) != _plain(theirs.get(k)))
        if differ:
            raise NarankError(f"init differs from this ranker in {', '.join(differ)}; create the Ranker "
                              f"with the init's settings (Ranker(**load_pretrained(name).get_params()))")
        self.model_ = copy.deepcopy(source.model_)
        self.tier_edges_ = source.tier_edges_
        self.manifest_ = {**source.manifest_, "init_source": source.manifest_.get("name", "a fitted ranker")}
        if getattr(source, "tabular_", None) is not None:
            self.tabular_ = source.tabular_.copy()
        gnames = tuple(source.manifest_.get("graph_features", ()))
        if gnames and source.manifest_["dataset"] != dataset:
            # costs differ by dataset: re-standardize on the cells the source standardized on, so the
            # features that do not depend on the dataset (GRAF, SED) keep exactly their statistics
            # and the trees' split points still fall where they fell
            try:
                cells = [space.parse(i) for i in source.manifest_["train_ids"]]
            except (InvalidCellError, NarankError):
                cells = space.sample(RESTANDARDIZE_CELLS, self.random_state)
            values = torch.as_tensor(graph_features(space, cells, dataset, gnames), dtype=torch.float32)
            self.model_.set_graph_stats(values.mean(0), values.std(0))

    def _standardized(self, values: np.ndarray) -> np.ndarray:
        """Graph features as the network sees them (the training cells' standardization)."""
        with torch.inference_mode():
            return self.model_.standardize(torch.as_tensor(np.asarray(values, dtype=np.float32))).numpy()

    def _describe(self, space: SearchSpace, dataset: str, features: tuple[str, ...], gnames: tuple[str, ...],
                  edges: np.ndarray, settings: TrainConfig, train_ids: list[str]) -> dict[str, Any]:
        """The manifest written into checkpoints: what this ranker is and how it was trained."""
        return {
            "space": space.name,
            "dataset": dataset,
            "tiers": int(self.tiers),
            "tier_edges": edges.tolist(),
            "node_features": list(features),
            "graph_features": list(gnames),
            "params": {**{k: _plain(v) for k, v in self.get_params().items()}, "space": space.name,
                       "dataset": dataset, "node_features": list(features),
                       "graph_features": list(gnames)},
            "train_config": settings.to_dict(),
            "feature_designs": feature_designs(features, gnames),
            "train_ids": train_ids,
            "narank_version": narank.__version__,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }

    # ---------------------------------------------------------------- inference

    @torch.inference_mode()
    def _forward(self, cells: Any, batch_size: int = 4096) -> tuple[np.ndarray, np.ndarray]:
        """(blended scores, tier logits) per cell."""
        gnn, logits, tab = self._forward_parts(cells, batch_size)
        return self.blend_scores(gnn, tab), logits

    def blend_scores(self, gnn: np.ndarray, tab: np.ndarray | None) -> np.ndarray:
        """The mean of the GNN's and the tabular model's scores, each mapped to its quantile among its
        own scores of unlabelled cells of the space (a rank average that does not depend on which
        cells are scored together); without a tabular half: the GNN's score."""
        stats = self.manifest_.get("blend")
        if tab is None or not stats:
            return gnn
        return ((_quantile(gnn, stats["gnn"]) + _quantile(tab, stats["tabular"])) / 2).astype(np.float32)

    @torch.inference_mode()
    def _forward_parts(self, cells: Any,
                       batch_size: int = 4096) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(GNN scores, tier logits, tabular scores or None) per cell; each distinct graph goes
        through the network once."""
        self._check_fitted("predicting")
        cells = self._cells(cells)
        features = tuple(self.manifest_["node_features"])
        gnames = tuple(self.manifest_.get("graph_features", ()))
        dataset = self.manifest_["dataset"]
        space = get_space(self.manifest_["space"])
        self.model_.eval()
        first: dict = {}
        # graph features need not follow the graph (e.g. params of dead ops): they join the key
        values = graph_features(space, cells, dataset, gnames).astype(np.float32) if gnames else None
        keys = ([(graph_key(c, features), row.tobytes()) for c, row in zip(cells, values, strict=True)]
                if gnames else [graph_key(c, features) for c in cells])
        slot = np.array([first.setdefault(k, len(first)) for k in keys], dtype=np.int64)
        rows = np.zeros(len(first), dtype=np.int64)
        rows[slot] = np.arange(len(cells))
        unique = [None] * len(first)
        for c, i in zip(cells, slot, strict=True):
            if unique[i] is None:
                unique[i] = c
        parts = [self.score_graphs(to_batch(unique[start:start + batch_size], features, dataset),
                                   None if values is None else values[rows[start:start + batch_size]])
                 for start in range(0, len(unique), batch_size)]
        if not parts:
            empty = np.zeros(0, dtype=np.float32)
            return empty, np.zeros((0, self.model_.config.tiers), dtype=np.float32), \
                (empty if getattr(self, "tabular_", None) is not None else None)
        gnn, logits, tab = (np.concatenate(p) if p[0] is not None else None for p in zip(*parts, strict=True))
        return gnn[slot], logits[slot], None if tab is None else tab[slot]

    @torch.inference_mode()
    def score_graphs(self, batch: Any, values: np.ndarray | None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(GNN scores, tier logits, tabular scores or None) of a built graph batch and its raw
        graph-feature rows (None without graph features), on the ranker's `device`: the one place
        where the network and the trees score cells (`predict`, and the bulk path of `narank.rank`)."""
        self._check_fitted("predicting")
        if values is not None:
            batch.g = torch.from_numpy(np.asarray(values, dtype=np.float32))
        device = self._device()
        model = self.model_.to(device).eval()
        try:
            logits, scores, _ = model(batch.to(device))
        finally:
            self.model_.cpu()
        trees = getattr(self, "tabular_", None)
        tab = self.tabular_scores(values) if values is not None and trees is not None else None
        return scores.cpu().numpy(), logits.cpu().numpy(), tab

    def _device(self) -> str:
        """The torch device of this ranker's work; one line (exit 2) when it is absent here."""
        problem = device_problem(self.device)
        if problem is not None:
            raise InvalidParameterError(problem)
        return self.device

    def tabular_scores(self, values: np.ndarray) -> np.ndarray:
        """The tabular half's scores of raw graph-feature rows (`graph_features` of the manifest's)."""
        from narank.model.tabular import predict_tabular

        return predict_tabular(self.tabular_, self._standardized(values))

    @torch_work
    def predict_parts(self, cells: Any) -> dict[str, np.ndarray]:
        """Each half's own score per cell: {"gnn": ..., "tabular": ...} (no tabular key without one);
        `predict` is their standardized average. For ablations: the recipe without the GNN."""
        gnn, _, tab = self._forward_parts(cells)
        return {"gnn": gnn} if tab is None else {"gnn": gnn, "tabular": tab}

    @torch_work
    def predict(self, cells: Any) -> np.ndarray:
        """A score per cell; higher = better predicted accuracy."""
        return self._forward(cells)[0]

    @torch_work
    def predict_tier(self, cells: Any) -> np.ndarray:
        """Predicted tier per cell, 1 = best (as in the NAR paper) ... K = worst."""
        return self._forward(cells)[1].argmax(axis=1) + 1

    @torch_work
    def rank(self, cells: Any) -> tuple[np.ndarray, np.ndarray]:
        """(scores, tiers 1..K) in one pass."""
        scores, logits = self._forward(cells)
        return scores, logits.argmax(axis=1) + 1

    def score(self, cells: Any, y: Sequence[float]) -> float:
        """Kendall tau between the predicted scores and accuracies `y` (higher = better ranking)."""
        return float(ranking_metrics(self.predict(cells), np.asarray(y, dtype=float))["kendall_tau"])

    def true_tiers(self, accuracies: Sequence[float]) -> np.ndarray:
        """Tiers 1..K that accuracies fall in under the training cut."""
        self._check_fitted("true_tiers")
        return assign_tiers(np.asarray(accuracies), self.tier_edges_) + 1

    # ---------------------------------------------------------------- files

    def save(self, path: str | os.PathLike, with_training_state: bool = True) -> None:
        """Write weights + manifest atomically (optionally the optimiser state, for resuming)."""
        self._check_fitted("save()")
        state: dict[str, Any] = {"model": self.model_.state_dict()}
        if getattr(self, "tabular_", None) is not None:
            from narank.model.tabular import to_bytes

            state["tabular"] = torch.frombuffer(bytearray(to_bytes(self.tabular_)), dtype=torch.uint8)
        if with_training_state and getattr(self, "_train_state", None) is not None:
            state["training"] = self._train_state
        save_checkpoint(path, self.manifest_, state)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Ranker:
        """Load a checkpoint written by `save` (or a shipped one); errors say what is wrong."""
        payload = load_checkpoint(path)
        m = payload["manifest"]
        try:
            ranker = cls(**_params_of(m))
            _, _, _, config = ranker._validate()
            if "config" in m and m["config"].get("in_dim", config.in_dim) != config.in_dim:
                raise ValueError(f"in_dim {m['config']['in_dim']} does not match the node features")
            with torch_rng():  # the weights are overwritten just below
                model = NARanker(config)
            model.load_state_dict(payload["model"])
            saved = m.get("feature_designs", {})
            current = feature_designs(m["node_features"], m.get("graph_features", ()))
            changed = {k: (v, current.get(k)) for k, v in saved.items() if current.get(k) != v}
            if changed:
                raise ValueError("its features are computed differently now: " + ", ".join(
                    f"{k} was {old} when it was trained, is {new} now" for k, (old, new) in changed.items()))
            edges = np.asarray(m["tier_edges"], dtype=float)
            if edges.shape != (config.tiers - 1,):
                raise ValueError(f"{len(edges)} tier edges for {config.tiers} tiers")
            tabular = None
            if ranker.tabular is not None and "tabular" in payload and "blend" in m:
                from narank.model.tabular import from_bytes

                tabular = from_bytes(payload["tabular"].numpy().tobytes())
            elif ranker.tabular is not None and "training" not in payload:
                # only a checkpoint written during training (resumable) is saved before the tabular half
                raise ValueError("its tabular half is missing")
        except (KeyError, TypeError, RuntimeError, ValueError, NarankError) as exc:
            raise CheckpointError(f"{path}: incompatible checkpoint ({type(exc).__name__}: "
                                  f"{str(exc).splitlines()[0] if str(exc) else ''}); re-train it with "
                                  "this narank version") from exc
        model.eval()
        ranker.model_ = model
        ranker.tier_edges_ = edges
        ranker.manifest_ = dict(m)
        ranker._train_state = payload.get("training")
        if tabular is not None:
            ranker.tabular_ = tabular
        return ranker


def _params_of(m: dict[str, Any]) -> dict[str, Any]:
    """Ranker parameters from a manifest; old manifests (`config` + `train_config`) are mapped."""
    if "params" in m:
        params = dict(m["params"])
    else:
        config, train = m["config"], m["train_config"]
        params = {"encoder": config["encoder"], "dim": config["dim"], "layers": config["layers"],
                  "heads": config["heads"], "dropout": config["dropout"], "tiers": config["tiers"],
                  "epochs": train["epochs"], "lr": train["lr"], "weight_decay": train["weight_decay"],
                  "batch_size": train["batch_size"], "lam": train["lam"], "random_state": train["seed"]}
    params.setdefault("tabular", None)  # rankers saved before the tabular half existed
    params.setdefault("graph_features", ())
    params.update(space=m["space"], dataset=m["dataset"], node_features=tuple(m["node_features"]),
                  graph_features=tuple(m.get("graph_features", ())), warm_start=False, verbose=False,
                  device="cpu")  # where it was trained need not exist here
    return params


#: parameters a fine-tune (`fit(init=...)`) may change; the others define the network and features
_NOT_ARCHITECTURE = {"space", "dataset", "epochs", "lr", "weight_decay", "batch_size", "lam", "random_state",
                     "warm_start", "verbose", "pretrain", "device"}
#: a fine-tune (`fit(init=...)`): epochs unless `epochs` is set, and the factor on `lr`
FINE_TUNE_EPOCHS = 50
FINE_TUNE_LR_SCALE = 0.1
#: unlabelled cells that re-standardize graph features for a fine-tune's dataset, where the source's
#: training ids cannot be parsed back into cells
RESTANDARDIZE_CELLS = 1000


def architecture_params(ranker: Ranker) -> dict[str, Any]:
    """The parameters that define a ranker's network and inputs (graph features resolved): what a
    fine-tune (`fit(init=...)`) must share with its init; training settings are not among them."""
    params = {k: v for k, v in ranker.get_params().items() if k not in _NOT_ARCHITECTURE}
    return {**params, "graph_features": _graph_features(params["graph_features"], get_space(ranker.space))}


def resolve_init(init: str | os.PathLike | Ranker) -> Ranker:
    """The fitted ranker `fit(init=...)` starts from: a Ranker, a checkpoint path, or a shipped name."""
    if isinstance(init, Ranker):
        init._check_fitted("using it as init")
        return init
    from narank.pretrained import list_pretrained, load_pretrained

    if isinstance(init, str) and init in list_pretrained():
        return load_pretrained(init)
    if os.path.exists(init):
        return Ranker.load(init)
    raise NarankError(f"init {str(init)!r} is neither a shipped ranker ({', '.join(list_pretrained())}) "
                      f"nor a checkpoint file")


#: unlabelled cells whose scores place each half's score on a common scale (`Ranker.blend_scores`)
BLEND_CELLS = 1000
BLEND_LEVELS = np.linspace(0, 1, 201)


def _quantile(x: np.ndarray, reference: Sequence[float]) -> np.ndarray:
    """Where `x` falls among reference quantiles (0..1), plus a tiny linear term so that scores beyond
    the reference's range stay ordered rather than tied at 0 or 1."""
    ref = np.asarray(reference, dtype=float)
    span = (ref[-1] - ref[0]) or 1.0
    x = np.asarray(x, dtype=float)
    return np.interp(x, ref, BLEND_LEVELS) + 1e-3 * (x - ref[0]) / span
