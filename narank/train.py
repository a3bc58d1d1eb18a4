"""Training: the project's default settings, the seeded resumable loop, and `train_ranker`.

`default_train_config` resolves the project's training defaults (constants in
`narank.training_data`): the settings that produced the shipped checkpoints and
benchmarks/results/ranking.md. `Ranker`, `narank train` and `train_predictor.py` all resolve
their unset epochs / batch size / lambda through it.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch_geometric.data import Batch, Data
from tqdm.auto import tqdm

from narank.errors import NarankError
from narank.model.losses import nar_loss
from narank.model.ranker import NARanker
from narank.spaces import SearchSpace, get_space
from narank.threads import torch_rng
from narank.training_data import DEFAULT_LR, DEFAULT_WEIGHT_DECAY, default_epochs_batch

if TYPE_CHECKING:  # pragma: no cover - typing only
    from narank.predictor import Ranker


@dataclass
class TrainConfig:
    """Resolved optimisation settings of one fit (stored in every checkpoint as `train_config`)."""

    epochs: int
    batch_size: int
    lam: float
    seed: int = 0
    lr: float = DEFAULT_LR
    weight_decay: float = DEFAULT_WEIGHT_DECAY

    def __post_init__(self) -> None:
        if self.epochs < 0 or self.batch_size < 2 or self.lr <= 0 or self.lam < 0:
            raise ValueError(f"bad training settings: {self}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_train_config(space: str | SearchSpace, n_train: int, seed: int = 0) -> TrainConfig:
    """The project defaults: 300 epochs / batch 128 up to 1,000 cells, 150 / 256 above; lam = space's.

    These produced the shipped checkpoints and benchmarks/results/ranking.md, with one budget
    exception: the 10,000-cell shipped NB101 ranker trained 100 epochs (benchmarks/train_shipped.py).
    """
    epochs, batch_size = default_epochs_batch(n_train)
    return TrainConfig(epochs=epochs, batch_size=batch_size, lam=get_space(space).nar_lambda, seed=seed)


def make_optimizer(model: NARanker, cfg: TrainConfig) -> torch.optim.Optimizer:
    return torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


def warmup_steps(cfg: TrainConfig, steps_per_epoch: int) -> int:
    """Steps of linear warm-up: 5% of the run's planned steps (at least 1)."""
    return max(1, cfg.epochs * steps_per_epoch // 20)


def make_scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int,
                   start_epoch: int = 0, warm: int | None = None):
    """Linear warm-up over `warm` steps (default 5% of the run), then cosine decay to zero at `cfg.epochs`.

    A function of the step count only. A resumed run keeps the warm-up length of the run it
    continues (passed as `warm`), so resuming to a larger `epochs` never repeats the warm-up: it
    continues on the cosine curve stretched to end at the new total, i.e. from the step it
    reached it uses the learning rate a run planned for the new total would use there.
    """
    total = max(1, cfg.epochs * steps_per_epoch)
    warm = warmup_steps(cfg, steps_per_epoch) if warm is None else max(1, int(warm))

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm))))

    offset = start_epoch * steps_per_epoch
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda step: factor(step + offset))


def fit_model(model: NARanker, graphs: Sequence[Data], targets: np.ndarray, tiers: np.ndarray,
              cfg: TrainConfig, state: dict[str, Any] | None = None,
              progress: bool = True,
              on_epoch: Callable[[int, dict[str, Any]], None] | None = None,
              device: str = "cpu") -> dict[str, Any]:
    """Train `model` in place on `device` (it ends on the CPU); `state` (from a checkpoint) resumes
    at its epoch; returns new state.

    Randomness comes from `cfg.seed` (or the resumed state) on a forked torch RNG, so the
    caller's global torch RNG is left as it was. Dropout draws from that global RNG, so fits in
    one process take turns (`narank.threads.torch_rng`): two searches fitting at once in threads
    stay reproducible.
    `on_epoch(epoch, state)` runs after every epoch (e.g. to write a resumable checkpoint).
    """
    with torch_rng():
        try:
            return _fit(model.to(device), graphs, targets, tiers, cfg, state, progress, on_epoch, device)
        finally:
            model.cpu()


def _fit(model: NARanker, graphs: Sequence[Data], targets: np.ndarray, tiers: np.ndarray,
         cfg: TrainConfig, state: dict[str, Any] | None, progress: bool,
         on_epoch: Callable[[int, dict[str, Any]], None] | None, device: str) -> dict[str, Any]:
    n = len(graphs)
    y = torch.as_tensor(np.asarray(targets, dtype=np.float32), device=device)
    t = torch.as_tensor(np.asarray(tiers, dtype=np.int64), device=device)
    batch_size = min(cfg.batch_size, n)
    steps = (n + batch_size - 1) // batch_size
    opt = make_optimizer(model, cfg)
    start = 0
    warm = warmup_steps(cfg, steps)
    gen = torch.Generator().manual_seed(cfg.seed)
    if state is not None:
        opt.load_state_dict(state["optimizer"])
        gen.set_state(state["generator"])
        if "torch_rng" in state:  # dropout's RNG; checkpoints before 0.2 did not keep it
            torch.set_rng_state(state["torch_rng"])
        start = int(state["epoch"])
        warm = int(state.get("warmup_steps", warm))  # states before 0.2 did not keep it
    else:
        torch.manual_seed(cfg.seed)
    sched = make_scheduler(opt, cfg, steps, start, warm)
    model.train()
    bar = tqdm(range(start, cfg.epochs), desc="train", disable=not progress, leave=False,
               initial=start, total=cfg.epochs)
    last: dict[str, float] = {}
    for epoch in bar:
        perm = torch.randperm(n, generator=gen)
        for s in range(steps):
            idx = perm[s * batch_size:(s + 1) * batch_size]
            if len(idx) < 2:
                continue
            batch = Batch.from_data_list([graphs[i] for i in idx.tolist()]).to(device)
            idx = idx.to(device)
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
            on_epoch(epoch + 1, _state(opt, gen, epoch + 1, last, warm))
    model.eval()
    return _state(opt, gen, max(start, cfg.epochs), last, warm)


def _state(opt: torch.optim.Optimizer, gen: torch.Generator, epoch: int,
           last: dict[str, float], warm: int) -> dict[str, Any]:
    return {"optimizer": opt.state_dict(), "generator": gen.get_state(),
            "torch_rng": torch.get_rng_state(), "epoch": epoch, "last_loss": dict(last),
            "warmup_steps": warm}


# ------------------------------------------------------------------ the whole recipe


DEFAULT_CHECKPOINT_EVERY = 10


def train_ranker(space: str | SearchSpace | None = "nb101", dataset: str | None = None,
                 train_size: int | None = None, seed: int = 0, target: str = "valid",
                 data: str | os.PathLike | None = None, out: str | os.PathLike | None = None,
                 resume: str | os.PathLike | None = None,
                 checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY, table: Any = None,
                 label_column: str | None = None, init: str | os.PathLike | None = None,
                 **ranker_params: Any) -> tuple[Ranker, dict[str, Any]]:
    """Train a ranker on a seeded split of a benchmark table, judge it on the rest, save it.

    `train_size` defaults to the space's `default_train_size`; `seed` seeds the split and
    (unless `random_state` is given) training; `ranker_params` are `Ranker` parameters, unset
    ones take the project defaults. `out` (may contain {space}, {dataset}, {n_train}, {seed})
    is where the checkpoint goes; None saves nothing (when resuming: `resume` itself). While
    training, a resumable checkpoint is written to `out` every `checkpoint_every` epochs
    (0: only at the end), atomically, so a killed run continues with `resume=out`.
    `resume` continues a checkpoint's training with its own settings up to `epochs` (the only
    parameter it accepts, with verbose); the result is the one an uninterrupted run would give;
    `space=None` (and `dataset=None`) then take the checkpoint's. Every argument and the output
    path are checked before the table is read or a model built. `table` (a BenchmarkTable, e.g. a
    user's CSV read by `narank.benchmarks.user_table.read_user_csv`) with its `label_column`
    replaces the space's benchmark table. `init` (a shipped ranker's name or a checkpoint path)
    fine-tunes that ranker on the split's labels (`Ranker.fit(init=...)`): the network and features
    are the init's, `ranker_params` may change the training settings only.
    Returns (ranker, summary of held-out metrics).
    """
    from narank.benchmarks import require_table_file
    from narank.checkpoint import check_output_path
    from narank.evaluate import evaluate_ranker
    from narank.predictor import Ranker, architecture_params, resolve_init
    from narank.training_data import check_train_size, labelled, split

    ranker = source = None
    if init is not None:
        if resume is not None:
            raise NarankError("--init starts a fine-tune from another ranker; it cannot be combined with "
                              "--resume")
        source = resolve_init(init)
        if space is not None and get_space(space).name != source.space:
            name = init if isinstance(init, str | os.PathLike) else "the init"
            raise NarankError(f"{name} is a {source.space} ranker; pass --space {source.space} to "
                              "fine-tune it")
        space = source.space
        # the init's network and inputs; training settings are the fine-tune's own (as in fit(init=...))
        ranker_params = {**architecture_params(source), **ranker_params}
    if resume is not None:
        ranker = Ranker.load(resume)
        space = ranker.space if space is None else space
        dataset = ranker.dataset if dataset is None else dataset
    space = get_space(space if space is not None else "nb101")
    dataset = space.dataset(dataset)
    cols = space.columns(dataset, target)
    if table is not None:
        from narank.spaces import TableColumns

        if label_column is None or label_column not in table.metrics.columns:
            raise NarankError(f"give the label column of your table (one of {list(table.metrics.columns)})")
        cols = TableColumns(label_column, label_column, "params_M", None)
    if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int) or checkpoint_every < 0:
        raise NarankError(f"checkpoint_every must be an integer >= 0 (0 = only at the end), "
                          f"got {checkpoint_every!r}")
    if train_size is not None:
        check_train_size(train_size)
    if resume is not None and out is None:
        out = resume
    if out is not None:
        out_fields = dict(space=space.name, dataset=dataset, seed=seed,
                          n_train=train_size if train_size is not None else space.default_train_size)
        try:
            check_output_path(str(out).format(**out_fields), "checkpoint")
        except (KeyError, IndexError, ValueError) as exc:
            raise NarankError(f"output path {out}: bad placeholder ({exc}); use {{space}}, {{dataset}}, "
                              "{n_train} or {seed}") from None
    if resume is None:
        Ranker(space=space.name, dataset=dataset, **ranker_params)._validate()
    if table is None:
        require_table_file(space, data)
    if ranker is not None:
        if ranker.space != space.name or ranker.dataset != dataset:
            raise NarankError(f"{resume} is a {ranker.space}/{ranker.dataset} ranker, not {space.name}/"
                              f"{dataset}; pass --space {ranker.space} --dataset {ranker.dataset}")
        if ranker.trained_epochs is None:
            raise NarankError(f"{resume} has no training state to resume (shipped checkpoints "
                              "are saved without it); train a new ranker instead")
        other = sorted(set(ranker_params) - {"epochs", "verbose", "device"})
        if other:
            raise NarankError(f"resuming continues {resume}'s own settings; only epochs can change, "
                              f"got {', '.join(other)}")
        ranker.set_params(**ranker_params)
        seed = int(ranker.manifest.get("split_seed", seed))
        target = str(ranker.manifest.get("target", target))
        if table is None:
            cols = space.columns(dataset, target)
    if table is None:
        table = space.table(data)
    cells, acc, ids = labelled(table, cols.train)
    start = time.time()
    if ranker is not None:
        path = _out_path(out, space, dataset, len(ranker.manifest["train_ids"]), seed)
        position = {cid: i for i, cid in enumerate(ids)}
        train_pos = [position[c] for c in ranker.manifest["train_ids"] if c in position]
        ranker.fit([cells[i] for i in train_pos], acc[train_pos], resume=True, checkpoint=path,
                   checkpoint_every=checkpoint_every,
                   manifest_extra={"split_seed": seed, "target": target})
    else:
        size = train_size if train_size is not None else space.default_train_size
        train_pos, _ = split(len(cells), size, seed)
        ranker_params.setdefault("random_state", seed)
        ranker = Ranker(space=space.name, dataset=dataset, **ranker_params)
        path = _out_path(out, space, dataset, len(train_pos), seed)
        ranker.fit([cells[i] for i in train_pos], acc[train_pos], checkpoint=path, init=source,
                   checkpoint_every=checkpoint_every, manifest_extra={"split_seed": seed, "target": target})
    fit_seconds = round(time.time() - start, 2)
    metrics = evaluate_ranker(ranker, table, target, columns=cols)
    n_train = len(ranker.manifest["train_ids"])
    ranker.manifest.update({"metrics": metrics, "target": target, "fit_seconds": fit_seconds})
    if path is not None:
        ranker.save(path)
    summary = {"checkpoint": None if path is None else str(path), "space": space.name,
               "dataset": dataset, "n_train": n_train, "fit_seconds": fit_seconds,
               "epochs": ranker.manifest["train_config"]["epochs"], **metrics}
    return ranker, summary


def _out_path(out: str | os.PathLike | None, space: SearchSpace, dataset: str, n_train: int,
              seed: int) -> Path | None:
    """`out` with its placeholders filled, checked to be a writable file path."""
    from narank.checkpoint import check_output_path

    if out is None:
        return None
    return check_output_path(str(out).format(space=space.name, dataset=dataset, n_train=n_train, seed=seed),
                             "checkpoint")
