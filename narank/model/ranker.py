"""The NAR ranker network: graph encoder, tier decoder and score head."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn
from torch_geometric.data import Batch

from narank.model.encoders import ENCODERS, GraphEncoder
from narank.model.tiers import TierDecoder
from narank.training_data import (
    DEFAULT_DIM,
    DEFAULT_DROPOUT,
    DEFAULT_ENCODER,
    DEFAULT_HEADS,
    DEFAULT_LAYERS,
    DEFAULT_TIERS,
)


@dataclass
class RankerConfig:
    """Architecture hyper-parameters of a ranker (stored in every checkpoint)."""

    in_dim: int
    dim: int = DEFAULT_DIM
    layers: int = DEFAULT_LAYERS
    encoder: str = DEFAULT_ENCODER
    heads: int = DEFAULT_HEADS
    dropout: float = DEFAULT_DROPOUT
    tiers: int = DEFAULT_TIERS
    #: width of the per-cell graph-feature vector `batch.g` (0: none; see narank.graph_features)
    graph_dim: int = 0

    def __post_init__(self) -> None:
        if self.encoder not in ENCODERS:
            raise ValueError(f"unknown encoder {self.encoder!r}; choose from {ENCODERS}")
        if self.dim % self.heads:
            raise ValueError(f"dim {self.dim} must be divisible by heads {self.heads}")
        if self.tiers < 2:
            raise ValueError(f"need at least 2 tiers, got {self.tiers}")

    def to_dict(self) -> dict:
        return asdict(self)


class NARanker(nn.Module):
    """Maps a batch of cell graphs to (tier logits [B, K], scores [B], graph embeddings [B, d]).

    With `graph_dim` > 0, each cell's graph-level feature vector (`batch.g`, standardized by the
    `graph_mean` / `graph_std` buffers set from the training cells) goes through a small MLP and
    is added to the pooled embedding before the tier and score heads.
    """

    def __init__(self, config: RankerConfig):
        super().__init__()
        self.config = config
        self.encoder = GraphEncoder(config.in_dim, config.dim, config.layers, config.encoder,
                                    config.heads, config.dropout)
        self.tier_head = TierDecoder(config.dim, config.tiers, config.heads)
        self.score_head = nn.Sequential(
            nn.Linear(config.dim, config.dim), nn.GELU(), nn.Linear(config.dim, 1)
        )
        if config.graph_dim:
            self.register_buffer("graph_mean", torch.zeros(config.graph_dim))
            self.register_buffer("graph_std", torch.ones(config.graph_dim))
            self.graph_proj = nn.Sequential(nn.Linear(config.graph_dim, config.dim), nn.GELU(),
                                            nn.Linear(config.dim, config.dim))

    def set_graph_stats(self, mean: Tensor, std: Tensor) -> None:
        """Standardization of the graph features (from unlabelled feature rows only)."""
        self.graph_mean.copy_(mean)
        self.graph_std.copy_(torch.where(std > 1e-8, std, torch.ones_like(std)))

    def standardize(self, g: Tensor) -> Tensor:
        """Raw graph-feature rows as the network sees them (the training cells' standardization)."""
        return (g.float() - self.graph_mean) / self.graph_std

    def forward(self, batch: Batch) -> tuple[Tensor, Tensor, Tensor]:
        nodes, emb = self.encoder(batch.x, batch.edge_index, batch.edge_attr, batch.batch)
        if self.config.graph_dim:
            g = getattr(batch, "g", None)
            if g is None or g.shape[-1] != self.config.graph_dim:
                raise ValueError(f"this ranker needs {self.config.graph_dim} graph features per cell "
                                 "(batch.g); build batches through Ranker, which adds them")
            emb = emb + self.graph_proj(self.standardize(g))
        logits = self.tier_head(nodes, batch.batch, emb)
        return logits, self.score_head(emb).squeeze(-1), emb
