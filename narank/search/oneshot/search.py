"""One-shot search on the NB201 supernet: DARTS (first order) and GDAS, each plain or TopoNAS-simplified.

Weights and alpha are optimised alternately on two halves of the images (weights on the first, alpha
on the second), as in DARTS. Every random draw of step t (its batches, GDAS's Gumbel noise) is a
function of (seed, t), and the checkpoint holds the model and both optimisers, so a search resumed
after a kill ends exactly where an uninterrupted one does.
"""

from __future__ import annotations

import math
import os
import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from narank.checkpoint import load_state, save_state
from narank.errors import CheckpointError, NarankError
from narank.search.oneshot.supernet import SPACE, Supernet, alpha_table, entropy, is_collapsed

METHODS = ("darts", "gdas")
FORMAT = "narank-oneshot"
STATE_VERSION = 1  # 1: the versioned, checksummed envelope of narank.checkpoint; 0: a bare state dict


@dataclass
class OneShotConfig:
    """Everything that determines a search (the checkpoint refuses to resume under another one)."""

    method: str = "darts"
    topo: bool = False
    kernel_norm: bool = True
    steps: int = 100
    seed: int = 0
    channels: int = 16
    cells: int = 5
    batch: int = 64
    size: int = 32
    images: str = "digits"
    n_images: int | None = None
    lr: float = 0.025
    lr_min: float = 0.001
    momentum: float = 0.9
    weight_decay: float = 3e-4
    arch_lr: float = 3e-4
    arch_weight_decay: float = 1e-3
    grad_clip: float = 5.0
    tau_max: float = 10.0
    tau_min: float = 0.1
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        """Raise NarankError on a value no search can use."""
        if self.method not in METHODS:
            raise NarankError(f"unknown one-shot method {self.method!r}: use one of {', '.join(METHODS)}")
        for name in ("steps", "channels", "cells", "batch", "size"):
            if getattr(self, name) < 1:
                raise NarankError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.lr <= 0 or self.arch_lr <= 0:
            raise NarankError("learning rates must be positive")


def _rss_mb() -> float:
    """Current resident set size in MB (Linux /proc), for the baseline before the first step."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (getrusage's ru_maxrss, KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def gdas_weights(alpha: torch.Tensor, tau: float, gen: torch.Generator) -> torch.Tensor:
    """GDAS: Gumbel-softmax sample per edge, hard one-hot forward, straight-through gradient to alpha."""
    while True:
        gumbel = -torch.empty(alpha.shape).exponential_(generator=gen).log().to(alpha.device)
        probs = torch.softmax((alpha.log_softmax(-1) + gumbel) / tau, dim=-1)
        if torch.isfinite(probs).all():
            break
    one_hot = torch.zeros_like(probs).scatter_(-1, probs.argmax(-1, keepdim=True), 1.0)
    return one_hot - probs.detach() + probs


class OneShotSearch:
    """A search in progress: supernet, optimisers, data halves and the step counter."""

    def __init__(self, config: OneShotConfig, device: str = "cpu",
                 data: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        config.check()
        self.config, self.device = config, torch.device(device)
        x, y = data if data is not None else _load(config)
        num_classes = int(y.max()) + 1
        order = np.random.default_rng(config.seed).permutation(len(x))
        half = len(x) // 2
        if half < 1:
            raise NarankError(f"need at least 2 images to split into train/validation halves, got {len(x)}")
        self.train = (torch.from_numpy(x[order[:half]]).to(self.device),
                      torch.from_numpy(y[order[:half]]).to(self.device))
        self.valid = (torch.from_numpy(x[order[half:]]).to(self.device),
                      torch.from_numpy(y[order[half:]]).to(self.device))
        torch.manual_seed(config.seed)
        self.model = Supernet(config.channels, config.cells, max(num_classes, 2), config.topo,
                              config.kernel_norm).to(self.device)
        self.w_opt = torch.optim.SGD(self.model.weight_parameters(), lr=config.lr, momentum=config.momentum,
                                     weight_decay=config.weight_decay, nesterov=False)
        self.a_opt = torch.optim.Adam([self.model.alpha], lr=config.arch_lr, betas=(0.5, 0.999),
                                      weight_decay=config.arch_weight_decay)
        self.step_done = 0
        self.history: list[dict[str, float]] = []
        self.seconds: list[float] = []

    # ---------------------------------------------------------------- one step

    def _batch(self, part: tuple[torch.Tensor, torch.Tensor], t: int, which: int):
        n = len(part[0])
        rng = np.random.default_rng([self.config.seed, t, which])
        idx = torch.from_numpy(rng.choice(n, size=min(self.config.batch, n), replace=False)).to(self.device)
        return part[0][idx], part[1][idx]

    def _weights(self, t: int) -> tuple[torch.Tensor | None, bool]:
        cfg = self.config
        if cfg.method == "darts":
            return None, False
        frac = t / max(cfg.steps - 1, 1)
        tau = cfg.tau_max - (cfg.tau_max - cfg.tau_min) * frac
        gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + t)
        return gdas_weights(self.model.alpha, tau, gen), True

    def step(self) -> dict[str, float]:
        """One search step: a weight update on a train batch, then an alpha update on a validation batch."""
        cfg, t, model = self.config, self.step_done, self.model
        start = time.perf_counter()
        model.train()
        lr = cfg.lr_min + 0.5 * (cfg.lr - cfg.lr_min) * (1 + math.cos(math.pi * t / cfg.steps))
        for group in self.w_opt.param_groups:
            group["lr"] = lr
        xt, yt = self._batch(self.train, t, 0)
        weights, hard = self._weights(t)
        self.w_opt.zero_grad(set_to_none=True)
        w_loss = F.cross_entropy(model(xt, weights, hard), yt)
        w_loss.backward()
        torch.nn.utils.clip_grad_norm_(model.weight_parameters(), cfg.grad_clip)
        self.w_opt.step()
        xv, yv = self._batch(self.valid, t, 1)
        weights, hard = self._weights(t)
        self.a_opt.zero_grad(set_to_none=True)
        self.w_opt.zero_grad(set_to_none=True)
        logits = model(xv, weights, hard)
        a_loss = F.cross_entropy(logits, yv)
        a_loss.backward()
        self.a_opt.step()
        self.step_done += 1
        self.seconds.append(time.perf_counter() - start)
        rec = {"step": self.step_done, "train_loss": float(w_loss.detach()),
               "valid_loss": float(a_loss.detach()),
               "valid_acc": float((logits.argmax(1) == yv).float().mean())}
        self.history.append(rec)
        return rec

    # ---------------------------------------------------------------- checkpoints

    def state(self) -> dict[str, Any]:
        return {"config": asdict(self.config), "step": self.step_done,
                "model": self.model.state_dict(), "w_opt": self.w_opt.state_dict(),
                "a_opt": self.a_opt.state_dict(), "history": self.history}

    def save(self, path: str | os.PathLike) -> None:
        """Write the search state atomically, versioned and checksummed (`narank.checkpoint.save_state`)."""
        save_state(path, FORMAT, STATE_VERSION, self.state())

    def load(self, path: str | os.PathLike) -> None:
        """Resume from a checkpoint written by `save` under the same config (or by a narank of before
        the versioned format: version 0, the same state without an envelope)."""
        _, state = load_state(path, FORMAT, (0, STATE_VERSION))
        mine = asdict(self.config)
        diff = sorted(k for k in mine if state["config"].get(k) != mine[k])
        if diff:
            raise CheckpointError(f"{path}: checkpoint is of another search (differs in {', '.join(diff)}); "
                                  "use the same settings or another --checkpoint path")
        self.model.load_state_dict(state["model"])
        self.w_opt.load_state_dict(state["w_opt"])
        self.a_opt.load_state_dict(state["a_opt"])
        self.step_done, self.history = int(state["step"]), list(state["history"])

    # ---------------------------------------------------------------- the whole search

    def run(self, checkpoint: str | os.PathLike | None = None, every: int = 25,
            progress: Callable[[int, dict[str, float]], None] | None = None,
            data: str | None = None) -> dict[str, Any]:
        """Run (or resume) to `config.steps` steps, checkpointing every `every` steps; the result dict."""
        if checkpoint is not None and Path(checkpoint).exists():
            self.load(checkpoint)
        baseline = _rss_mb()
        while self.step_done < self.config.steps:
            rec = self.step()
            if progress is not None:
                progress(self.step_done, rec)
            last = self.step_done == self.config.steps
            if checkpoint is not None and (self.step_done % every == 0 or last):
                self.save(checkpoint)
        return self.result(baseline, data)

    def result(self, baseline_mb: float = float("nan"), data: str | None = None) -> dict[str, Any]:
        """Final alpha, the derived cell, its NB201 test accuracies (if the table is found), cost figures."""
        cell = self.model.derive()
        timed = self.seconds[2:] if len(self.seconds) > 4 else self.seconds
        out: dict[str, Any] = {
            "method": self.config.method, "topo": self.config.topo, "kernel_norm": self.config.kernel_norm,
            "config": asdict(self.config), "steps": self.step_done,
            "arch": cell.arch_str, "index": cell.index, "alpha": alpha_table(self.model.alpha),
            "entropy": entropy(self.model.alpha), **is_collapsed(cell),
            "seconds_per_step": float(np.mean(timed)) if timed else None,
            "timed_steps": len(timed), "peak_rss_MB": peak_rss_mb(), "baseline_rss_MB": baseline_mb,
            "final": self.history[-1] if self.history else None,
        }
        out["mean_entropy"] = float(np.mean(out["entropy"]))
        out["test_acc"] = lookup_accuracies(cell, data)
        return out


def lookup_accuracies(cell, data: str | None = None) -> dict[str, float] | None:
    """NB201 test accuracy of `cell` per dataset from the benchmark table, or None when no table is found."""
    from narank.benchmarks import find_table_file

    if data is None and find_table_file(SPACE) is None:
        return None
    table = SPACE.table(data)
    row = table.query(cell)
    return {ds: float(row[SPACE.columns(ds).evaluate]) for ds in SPACE.datasets
            if SPACE.columns(ds).evaluate in row}


def _load(config: OneShotConfig) -> tuple[np.ndarray, np.ndarray]:
    from narank.images import load_images

    return load_images(config.images, config.n_images, config.size, config.seed)
