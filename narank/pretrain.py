"""Self-supervised pretraining of the ranker's graph encoder on unlabelled cells.

Every space has far more cells than labels. Before fitting on the few labelled cells, the
encoder learns to predict free properties of many unlabelled ones from their graphs: the
GRAF vector, log params, log FLOPs and the SED score (`narank.graph_features`), all
standardized, through a linear head on the pooled embedding (MSE). No accuracy is used.

The result depends on the space, dataset, node features, network shape and the pretraining
settings only (seeded 0), not on the labelled cells, so it is computed once per process
and reused by every fit that asks for it (a one-off cost, reported separately).
"""

from __future__ import annotations

import time
from typing import Any

import torch
from torch import nn
from torch_geometric.data import Batch
from tqdm.auto import tqdm

from narank.caches import Cache
from narank.graph_features import ALL_GRAPH_FEATURES, graph_features
from narank.graphs import to_graphs
from narank.model.encoders import GraphEncoder
from narank.spaces.base import SearchSpace
from narank.threads import torch_rng

#: what the encoder learns to predict
PRETRAIN_TARGETS = ALL_GRAPH_FEATURES
PRETRAIN_EPOCHS = 15
PRETRAIN_BATCH = 256
PRETRAIN_LR = 2e-3
PRETRAIN_SEED = 0

_CACHE: Cache[tuple, tuple[dict[str, torch.Tensor], dict[str, Any]]] = Cache("pretrained encoders", 4)


def unlabelled_cells(space: SearchSpace, n: int, seed: int = PRETRAIN_SEED) -> list:
    """`n` cells of the space without looking at any table: all of it when it has at most `n`."""
    cells = space.enumerate()
    if cells is not None and len(cells) <= n:
        return list(cells)
    return space.sample(n, seed)


def pretrain_encoder(encoder: GraphEncoder, space: SearchSpace, dataset: str, node_features: tuple[str, ...],
                     n_cells: int, epochs: int = PRETRAIN_EPOCHS, progress: bool = False
                     ) -> dict[str, Any]:
    """Train `encoder` in place to predict PRETRAIN_TARGETS of `n_cells` unlabelled cells.

    Returns a summary (cells, epochs, seconds, first and last epoch's mean loss). Seeded, and
    the caller's global torch RNG is left untouched.
    """
    start = time.time()
    cells = unlabelled_cells(space, n_cells)
    targets = graph_features(space, cells, dataset, PRETRAIN_TARGETS)
    std = targets.std(axis=0)
    keep = std > 1e-8  # constant columns (e.g. NATS-SSS's fixed graph) teach nothing
    y = torch.as_tensor((targets[:, keep] - targets[:, keep].mean(axis=0)) / std[keep], dtype=torch.float32)
    graphs = to_graphs(cells, node_features, dataset)
    dim = encoder.readout[0].out_features
    losses = []
    with torch_rng(PRETRAIN_SEED):
        head = nn.Linear(dim, y.shape[1])
        params = list(encoder.parameters()) + list(head.parameters())
        opt = torch.optim.AdamW(params, lr=PRETRAIN_LR, weight_decay=1e-4)
        steps = max(1, (len(graphs) + PRETRAIN_BATCH - 1) // PRETRAIN_BATCH)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=PRETRAIN_LR, total_steps=epochs * steps)
        gen = torch.Generator().manual_seed(PRETRAIN_SEED)
        encoder.train()
        for _ in tqdm(range(epochs), desc="pretrain", disable=not progress, leave=False):
            perm = torch.randperm(len(graphs), generator=gen)
            total = 0.0
            for s in range(steps):
                idx = perm[s * PRETRAIN_BATCH:(s + 1) * PRETRAIN_BATCH]
                batch = Batch.from_data_list([graphs[i] for i in idx.tolist()])
                _, emb = encoder(batch.x, batch.edge_index, batch.edge_attr, batch.batch)
                loss = nn.functional.mse_loss(head(emb), y[idx])
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 5.0)
                opt.step()
                sched.step()
                total += loss.item() * len(idx)
            losses.append(total / len(graphs))
        encoder.eval()
    return {"cells": len(cells), "epochs": int(epochs), "targets": list(PRETRAIN_TARGETS),
            "seconds": round(time.time() - start, 2),
            "loss_first_epoch": float(losses[0]) if losses else None,
            "loss_last_epoch": float(losses[-1]) if losses else None}


def pretrained_state(config: Any, space: SearchSpace, dataset: str, node_features: tuple[str, ...],
                     n_cells: int, progress: bool = False) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(encoder state dict, summary) of a pretrained encoder for this network shape; cached."""
    key = (space.name, dataset, tuple(node_features), config.in_dim, config.dim, config.layers,
           config.encoder, config.heads, config.dropout, int(n_cells), PRETRAIN_EPOCHS)
    if key not in _CACHE:
        with torch_rng(PRETRAIN_SEED):
            encoder = GraphEncoder(config.in_dim, config.dim, config.layers, config.encoder,
                                   config.heads, config.dropout)
        info = pretrain_encoder(encoder, space, dataset, tuple(node_features), n_cells, progress=progress)
        _CACHE[key] = ({k: v.clone() for k, v in encoder.state_dict().items()}, info)
    state, info = _CACHE[key]
    return {k: v.clone() for k, v in state.items()}, dict(info)


def encoder_distance(a: nn.Module, b: nn.Module) -> float:
    """Sum of absolute differences of two encoders' weights (0 when equal)."""
    with torch.no_grad():
        return float(sum((p - q).abs().sum() for p, q in zip(a.parameters(), b.parameters(), strict=True)))
