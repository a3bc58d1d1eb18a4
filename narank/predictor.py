"""`Ranker`: the user-facing NAR ranker — fit on labelled cells, score and tier new ones, save/load."""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch

import narank
from narank.checkpoint import load_checkpoint, save_checkpoint
from narank.errors import CheckpointError, NarankError
from narank.graphs import check_node_features, graph_key, node_dim, to_batch, to_graphs
from narank.model.ranker import NARanker, RankerConfig
from narank.model.tiers import assign_tiers, cut_tiers, tier_edges
from narank.spaces import SPACES, canonical_id, nb201, parse_cell
from narank.train import NAR_LAMBDA, TrainConfig, fit_model

DATASETS = {"nb201": nb201.DATASETS, "nb101": ("cifar10",)}


def check_space_dataset(space: str, dataset: str) -> None:
    """Raise a NarankError naming the valid choices for a bad space or dataset."""
    if space not in SPACES:
        raise NarankError(f"unknown space {space!r}; choose from {list(SPACES)}")
    if dataset not in DATASETS[space]:
        raise NarankError(f"dataset {dataset!r} is not in {space}; choose from {list(DATASETS[space])}")


class Ranker:
    """A trained (or trainable) NAR ranker for one search space and dataset."""

    def __init__(self, space: str = "nb201", dataset: str = "cifar10",
                 node_features: Sequence[str] = (), config: RankerConfig | None = None,
                 train_config: TrainConfig | None = None):
        check_space_dataset(space, dataset)
        self.space = space
        self.dataset = dataset
        self.node_features = check_node_features(node_features)
        self.config = config or RankerConfig(in_dim=node_dim(self.node_features))
        if self.config.in_dim != node_dim(self.node_features):
            raise NarankError(f"config.in_dim {self.config.in_dim} does not match the node features "
                              f"{list(self.node_features)} (width {node_dim(self.node_features)})")
        self.train_config = train_config or TrainConfig(lam=NAR_LAMBDA[space])
        torch.manual_seed(self.train_config.seed)
        self.model = NARanker(self.config)
        self.model.eval()
        self.tier_edges: np.ndarray | None = None
        self.manifest: dict[str, Any] = {}
        self._state: dict[str, Any] | None = None

    # ---------------------------------------------------------------- data in

    def cells(self, cells: Iterable) -> list:
        """Parse arch strings, indices, (adjacency, ops) pairs or cell objects of this space."""
        if isinstance(cells, str | dict) or not isinstance(cells, Iterable):
            cells = [cells]
        return [parse_cell(self.space, c) for c in cells]

    def graphs(self, cells: Sequence, targets: Sequence[float] | None = None) -> list:
        return to_graphs(cells, self.node_features, self.dataset, targets)

    # ---------------------------------------------------------------- training

    def fit(self, cells: Iterable, accuracies: Sequence[float], progress: bool = True,
            resume: bool = False, checkpoint: str | os.PathLike | None = None,
            checkpoint_every: int = 0) -> Ranker:
        """Cut tiers from `accuracies` and train; `resume` continues a loaded checkpoint's training.

        With `checkpoint` and `checkpoint_every`, a resumable checkpoint is written every that
        many epochs, so an interrupted run loses little.
        """
        cells = self.cells(cells)
        acc = np.asarray(accuracies, dtype=float)
        if len(cells) != len(acc):
            raise NarankError(f"{len(cells)} cells but {len(acc)} accuracies")
        if not np.all(np.isfinite(acc)):
            raise NarankError("accuracies contain NaN or inf; drop those cells first")
        k = self.config.tiers
        self.tier_edges = tier_edges(acc, k)
        tiers = cut_tiers(acc, k)
        state = self._state if resume else None
        if resume and state is None:
            raise CheckpointError("nothing to resume: load a checkpoint with training state first")
        self._describe(cells)

        def save_every(epoch: int, train_state: dict[str, Any]) -> None:
            if checkpoint is not None and checkpoint_every > 0 and epoch % checkpoint_every == 0:
                self._state = train_state
                self.save(checkpoint)

        self._state = fit_model(self.model, self.graphs(cells), acc, tiers, self.train_config,
                                state=state, progress=progress, on_epoch=save_every)
        return self

    @property
    def trained_epochs(self) -> int | None:
        """Epochs done by the resumable training state, or None when there is none."""
        return None if self._state is None else int(self._state["epoch"])

    def _describe(self, cells: Sequence) -> None:
        self.manifest.update({
            "space": self.space,
            "dataset": self.dataset,
            "tiers": self.config.tiers,
            "tier_edges": self.tier_edges.tolist(),
            "node_features": list(self.node_features),
            "config": self.config.to_dict(),
            "train_config": self.train_config.to_dict(),
            "train_ids": [canonical_id(c) for c in cells],
            "narank_version": narank.__version__,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        })

    # ---------------------------------------------------------------- inference

    @torch.inference_mode()
    def _forward(self, cells: Iterable, batch_size: int = 4096) -> tuple[np.ndarray, np.ndarray]:
        """(scores, tier logits) per cell; each distinct graph goes through the network once."""
        cells = self.cells(cells)
        self.model.eval()
        first: dict = {}
        slot = np.array([first.setdefault(graph_key(c, self.node_features), len(first))
                         for c in cells], dtype=np.int64)
        unique = [None] * len(first)
        for c, i in zip(cells, slot, strict=True):
            if unique[i] is None:
                unique[i] = c
        scores, logits = [], []
        for start in range(0, len(unique), batch_size):
            batch = to_batch(unique[start:start + batch_size], self.node_features, self.dataset)
            lg, sc, _ = self.model(batch)
            scores.append(sc.numpy())
            logits.append(lg.numpy())
        if not scores:
            return np.zeros(0), np.zeros((0, self.config.tiers))
        return np.concatenate(scores)[slot], np.concatenate(logits)[slot]

    def score(self, cells: Iterable) -> np.ndarray:
        """A score per cell; higher = better predicted accuracy."""
        return self._forward(cells)[0]

    def predict_tier(self, cells: Iterable) -> np.ndarray:
        """Predicted tier per cell, 1 = best (as in the NAR paper) … K = worst."""
        return self._forward(cells)[1].argmax(axis=1) + 1

    def predict(self, cells: Iterable) -> tuple[np.ndarray, np.ndarray]:
        """(scores, tiers 1..K) in one pass."""
        scores, logits = self._forward(cells)
        return scores, logits.argmax(axis=1) + 1

    def true_tiers(self, accuracies: Sequence[float]) -> np.ndarray:
        """Tiers 1..K that accuracies fall in under the training cut."""
        if self.tier_edges is None:
            raise NarankError("ranker is not trained: no tier cut yet")
        return assign_tiers(np.asarray(accuracies), self.tier_edges) + 1

    # ---------------------------------------------------------------- files

    def save(self, path: str | os.PathLike, with_training_state: bool = True) -> None:
        """Write weights + manifest atomically (optionally the optimiser state, for resuming)."""
        if self.tier_edges is None:
            raise NarankError("ranker is not trained; call fit() before save()")
        state: dict[str, Any] = {"model": self.model.state_dict()}
        if with_training_state and self._state is not None:
            state["training"] = self._state
        save_checkpoint(path, self.manifest, state)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Ranker:
        """Load a checkpoint written by `save`; errors say what is wrong with the file."""
        payload = load_checkpoint(path)
        m = payload["manifest"]
        try:
            ranker = cls(m["space"], m["dataset"], m["node_features"], RankerConfig(**m["config"]),
                         TrainConfig(**m["train_config"]))
            ranker.model.load_state_dict(payload["model"])
        except (KeyError, TypeError, RuntimeError, ValueError, NarankError) as exc:
            raise CheckpointError(f"{path}: incompatible checkpoint ({type(exc).__name__}: "
                                  f"{str(exc).splitlines()[0]}); re-train it with this narank "
                                  "version") from exc
        ranker.model.eval()
        ranker.tier_edges = np.asarray(m["tier_edges"])
        ranker.manifest = dict(m)
        ranker._state = payload.get("training")
        return ranker
