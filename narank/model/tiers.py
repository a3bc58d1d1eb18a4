"""Quality tiers: equal-quantile cuts of training accuracies and running-mean tier embeddings."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn
from torch_geometric.utils import to_dense_batch


def tier_edges(accuracies: np.ndarray, k: int) -> np.ndarray:
    """The k-1 accuracy thresholds that cut `accuracies` into k equal quantiles."""
    if k < 2:
        raise ValueError(f"need at least 2 tiers, got {k}")
    if len(accuracies) < k:
        raise ValueError(f"need at least {k} labelled cells to cut {k} tiers, got {len(accuracies)}")
    return np.quantile(np.asarray(accuracies, dtype=float), np.linspace(1, 0, k + 1)[1:-1])


def assign_tiers(accuracies: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Tier index per accuracy: 0 is the best tier (tier 1 in the paper), k-1 the worst."""
    acc = np.asarray(accuracies, dtype=float)
    return (acc[:, None] < np.asarray(edges)[None, :]).sum(axis=1).astype(np.int64)


def cut_tiers(accuracies: np.ndarray, k: int) -> np.ndarray:
    """Tier of each accuracy under equal quantiles of `accuracies` itself (ranks, so ties split)."""
    acc = np.asarray(accuracies, dtype=float)
    order = np.argsort(-acc, kind="stable")
    tiers = np.empty(len(acc), dtype=np.int64)
    tiers[order] = np.arange(len(acc)) * k // len(acc)
    return tiers


class TierDecoder(nn.Module):
    """K tier logits: each tier embedding attends to the architecture's node states.

    Tier embeddings are the running mean of the graph embeddings of the training
    architectures in each tier (a buffer, updated with `update`), plus a learned query offset.
    """

    def __init__(self, dim: int, k: int, heads: int = 4, momentum: float = 0.1):
        super().__init__()
        self.k = k
        self.momentum = momentum
        self.register_buffer("centers", torch.zeros(k, dim))
        self.register_buffer("initialized", torch.zeros(k, dtype=torch.bool))
        self.query = nn.Parameter(torch.randn(k, dim) * 0.02)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Sequential(nn.Linear(2 * dim, dim), nn.GELU(), nn.Linear(dim, 1))

    @torch.no_grad()
    def update(self, graph_emb: Tensor, tiers: Tensor) -> None:
        """Move each tier's centre toward the mean embedding of this batch's members."""
        for t in tiers.unique().tolist():
            mean = graph_emb[tiers == t].mean(dim=0)
            if not bool(self.initialized[t]):
                self.centers[t] = mean
                self.initialized[t] = True
            else:
                self.centers[t].lerp_(mean, self.momentum)

    def forward(self, nodes: Tensor, batch: Tensor, graph_emb: Tensor) -> Tensor:
        """Tier logits [B, K] (higher = more likely that tier)."""
        dense, mask = to_dense_batch(nodes, batch)
        queries = (self.centers + self.query).unsqueeze(0).expand(dense.size(0), -1, -1)
        attended, _ = self.attn(queries, dense, dense, key_padding_mask=~mask, need_weights=False)
        attended = self.norm(attended + queries)
        pair = torch.cat([attended, graph_emb.unsqueeze(1).expand_as(attended)], dim=-1)
        return self.out(pair).squeeze(-1)
