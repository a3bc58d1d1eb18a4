"""Training loop for the NAR ranker: seeded, resumable, with a progress bar."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Batch, Data
from tqdm.auto import tqdm

from narank.model.losses import nar_loss
from narank.model.ranker import NARanker

# NAR's weight of the ranking loss per search space (REFERENCE.md section 2).
NAR_LAMBDA = {"nb101": 9.0, "nb201": 1.0}


@dataclass
class TrainConfig:
    """Optimisation hyper-parameters (stored in every checkpoint)."""

    epochs: int = 300
    lr: float = 2e-3
    weight_decay: float = 1e-4
    batch_size: int = 128
    lam: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.epochs < 0 or self.batch_size < 2 or self.lr <= 0 or self.lam < 0:
            raise ValueError(f"bad training settings: {self}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_train_config(space: str, n_train: int, seed: int = 0) -> TrainConfig:
    """The settings the benchmarks and shipped rankers use: fewer, larger steps past 1,000 cells."""
    large = n_train > 1000
    return TrainConfig(epochs=150 if large else 300, batch_size=256 if large else 128,
                       lam=NAR_LAMBDA[space], seed=seed)


def make_optimizer(model: NARanker, cfg: TrainConfig) -> torch.optim.Optimizer:
    return torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


def make_scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int,
                   start_epoch: int = 0):
    """Linear warm-up over 5% of the steps, then cosine decay to zero at `cfg.epochs`.

    A function of the step count only, so a resumed run with more epochs stretches the decay.
    """
    total = max(1, cfg.epochs * steps_per_epoch)
    warm = max(1, total // 20)

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm))))

    offset = start_epoch * steps_per_epoch
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda step: factor(step + offset))


def fit_model(model: NARanker, graphs: Sequence[Data], targets: np.ndarray, tiers: np.ndarray,
              cfg: TrainConfig, state: dict[str, Any] | None = None,
              progress: bool = True,
              on_epoch: Callable[[int, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Train `model` in place; `state` (from a checkpoint) resumes at its epoch; returns new state.

    `on_epoch(epoch, state)` is called after every epoch (e.g. to write a resumable checkpoint).
    """
    n = len(graphs)
    y = torch.as_tensor(np.asarray(targets, dtype=np.float32))
    t = torch.as_tensor(np.asarray(tiers, dtype=np.int64))
    batch_size = min(cfg.batch_size, n)
    steps = (n + batch_size - 1) // batch_size
    opt = make_optimizer(model, cfg)
    start = 0
    gen = torch.Generator().manual_seed(cfg.seed)
    if state is not None:
        opt.load_state_dict(state["optimizer"])
        gen.set_state(state["generator"])
        start = int(state["epoch"])
    else:
        torch.manual_seed(cfg.seed)
    sched = make_scheduler(opt, cfg, steps, start)
    model.train()
    bar = tqdm(range(start, cfg.epochs), desc="train", disable=not progress, leave=False,
               initial=start, total=cfg.epochs)
    last = {}
    for epoch in bar:
        perm = torch.randperm(n, generator=gen)
        for s in range(steps):
            idx = perm[s * batch_size:(s + 1) * batch_size]
            if len(idx) < 2:
                continue
            batch = Batch.from_data_list([graphs[i] for i in idx.tolist()])
            logits, scores, emb = model(batch)
            loss, ce, rank = nar_loss(logits, scores, t[idx], y[idx], cfg.lam)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            model.tier_head.update(emb.detach(), t[idx])
            last = {"loss": loss.item(), "ce": ce.item(), "rank": rank.item()}
        bar.set_postfix(loss=f"{last.get('loss', float('nan')):.3f}")
        if on_epoch is not None:
            on_epoch(epoch + 1, _state(opt, gen, epoch + 1, last))
    model.eval()
    return _state(opt, gen, cfg.epochs, last)


def _state(opt: torch.optim.Optimizer, gen: torch.Generator, epoch: int,
           last: dict[str, float]) -> dict[str, Any]:
    return {"optimizer": opt.state_dict(), "generator": gen.get_state(), "epoch": epoch,
            "last_loss": dict(last)}
