"""Evaluate by training the space's own network (`space.network`) on an image set.

Deterministic for a (cell, seed): the weights come from `seed`, the validation split and every
epoch's batch order from `seed` and the epoch; so a killed training resumed from its per-epoch
checkpoint (`checkpoint_dir`) ends exactly as an uninterrupted one. Returns validation accuracy
(%), and test accuracy where `test_images` is given.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from narank.errors import NarankError
from narank.evaluators.base import Evaluation, EvaluationError

SCHEDULES = ("cosine", "constant")


@dataclass(frozen=True)
class TrainingEvaluator:
    images: str = "digits"
    epochs: int = 3
    channels: int = 8
    cells: int = 1
    batch_size: int = 64
    lr: float = 0.05
    schedule: str = "cosine"
    resolution: int = 8
    val_fraction: float = 0.3
    test_images: str | None = None
    device: str = "cpu"
    seed: int = 0
    checkpoint_dir: str | None = None
    name: str = "training"

    def __post_init__(self) -> None:
        for key, low, high in (("epochs", 1, 10_000), ("channels", 1, 4096), ("cells", 1, 64),
                               ("batch_size", 1, 1_000_000), ("resolution", 4, 1024)):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise NarankError(f"training {key} must be an integer in [{low}, {high}], got {value!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise NarankError(f"the learning rate must be a finite number > 0, got {self.lr!r}")
        if self.schedule not in SCHEDULES:
            raise NarankError(f"learning-rate schedule {self.schedule!r}: use one of {', '.join(SCHEDULES)}")
        if not 0 < self.val_fraction < 1:
            raise NarankError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        if not 0 <= self.seed < 2**32:
            raise NarankError(f"seed must be in [0, 2**32), got {self.seed}")

    def settings(self) -> dict[str, Any]:
        """What the accuracy depends on (not where checkpoints go, nor the device)."""
        return {k: v for k, v in asdict(self).items() if k not in ("checkpoint_dir", "device")}

    def check(self) -> TrainingEvaluator:
        """Read the image sets and check the device now, before any search starts (clear errors)."""
        from narank.evaluators.images import image_set

        image_set(self.images, self.resolution)
        if self.test_images:
            image_set(self.test_images, self.resolution)
        _device(self.device)
        return self

    def _checkpoint(self, cid: str) -> Path | None:
        if self.checkpoint_dir is None:
            return None
        key = hashlib.sha1(json.dumps([cid, self.settings()], sort_keys=True).encode()).hexdigest()[:16]
        return Path(self.checkpoint_dir) / f"train-{key}.pt"

    def __call__(self, space: Any, cell: Any) -> Evaluation:
        import torch
        from torch import nn

        from narank.devices import worker_device
        from narank.evaluators.images import image_set
        from narank.threads import set_threads, torch_rng

        set_threads(None)
        device = _device(worker_device(self.device))
        x, y, classes = image_set(self.images, self.resolution)
        order = np.random.default_rng([self.seed, 1]).permutation(len(x))
        n_val = max(1, int(round(self.val_fraction * len(x))))
        val, train = order[:n_val], order[n_val:]
        with torch_rng(self.seed):  # seeded weights; the caller's global torch RNG is left as it was
            model = space.network(cell, channels=self.channels, cells=self.cells, num_classes=classes)
        model = model.to(device)
        opt = torch.optim.SGD(model.parameters(), lr=self.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
        steps = self.epochs * math.ceil(len(train) / self.batch_size)
        sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps) if self.schedule == "cosine"
                 else torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0))
        start_epoch = 0
        ckpt = self._checkpoint(space.canonical_id(cell))
        if ckpt is not None and ckpt.is_file():
            state = torch.load(ckpt, map_location=device, weights_only=True)
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            start_epoch = int(state["epoch"])
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        loss_fn = nn.CrossEntropyLoss()
        for epoch in range(start_epoch, self.epochs):
            model.train()
            perm = np.random.default_rng([self.seed, 2, epoch]).permutation(train)
            for i in range(0, len(perm), self.batch_size):
                idx = torch.from_numpy(perm[i:i + self.batch_size])
                opt.zero_grad()
                loss = loss_fn(model(xt[idx].to(device)), yt[idx].to(device))
                if not torch.isfinite(loss):
                    raise EvaluationError(f"training diverged (loss {loss.item()}) at epoch {epoch + 1}")
                loss.backward()
                opt.step()
                sched.step()
            if ckpt is not None:
                from narank.atomic import atomic_write

                state = {"epoch": epoch + 1, "model": model.state_dict(), "optimizer": opt.state_dict(),
                         "scheduler": sched.state_dict()}
                atomic_write(ckpt, lambda fh, s=state: torch.save(s, fh))
        value = _accuracy(model, xt[torch.from_numpy(val)], yt[torch.from_numpy(val)], device)
        test = None
        if self.test_images:
            tx, ty, _ = image_set(self.test_images, self.resolution)
            test = _accuracy(model, torch.from_numpy(tx), torch.from_numpy(ty), device)
        if ckpt is not None:
            ckpt.unlink(missing_ok=True)
        return Evaluation(value, test, info={"epochs": self.epochs, "train_images": int(len(train))})


def _accuracy(model: Any, x: Any, y: Any, device: Any) -> float:
    import torch

    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 512):
            correct += int((model(x[i:i + 512].to(device)).argmax(1).cpu() == y[i:i + 512]).sum())
    return 100.0 * correct / len(x)


def _device(name: str) -> Any:
    import torch

    from narank.devices import device_problem

    problem = device_problem(name)
    if problem is not None:
        raise NarankError(problem)
    return torch.device(name)
