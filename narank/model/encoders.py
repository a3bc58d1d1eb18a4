"""Graph encoders: node states and a graph embedding for each cell graph (PyG layers only)."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.nn import GINEConv, GPSConv, TransformerConv, global_max_pool, global_mean_pool

from narank.training_data import ENCODERS


def _mlp(dim: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * dim, dim))


class _TransformerLayer(nn.Module):
    """TransformerConv over the DAG (both directions, typed by edge_attr) + feed-forward, pre-norm."""

    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.conv = TransformerConv(dim, dim // heads, heads=heads, edge_dim=2, dropout=dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = _mlp(dim, dropout)

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, batch: Tensor) -> Tensor:
        x = x + self.conv(self.norm1(x), edge_index, edge_attr)
        return x + self.ff(self.norm2(x))


class _GINLayer(nn.Module):
    """GINE message passing with a residual connection and layer norm."""

    def __init__(self, dim: int, dropout: float):
        super().__init__()
        self.conv = GINEConv(_mlp(dim, dropout), edge_dim=2, train_eps=True)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, batch: Tensor) -> Tensor:
        return self.norm(x + self.conv(x, edge_index, edge_attr))


class _GPSLayer(nn.Module):
    """GraphGPS: local GINE message passing plus global multi-head attention within each cell."""

    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        local = GINEConv(_mlp(dim, dropout), edge_dim=2, train_eps=True)
        self.conv = GPSConv(dim, local, heads=heads, dropout=dropout, norm="layer_norm")

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, batch: Tensor) -> Tensor:
        return self.conv(x, edge_index, batch, edge_attr=edge_attr)


class GraphEncoder(nn.Module):
    """Embed node features, run `layers` encoder layers, pool to one vector per graph."""

    def __init__(self, in_dim: int, dim: int = 64, layers: int = 3, kind: str = "gps",
                 heads: int = 4, dropout: float = 0.0):
        super().__init__()
        if kind not in ENCODERS:
            raise ValueError(f"unknown encoder {kind!r}; choose from {ENCODERS}")
        self.embed = nn.Linear(in_dim, dim)
        if kind == "transformer":
            self.layers = nn.ModuleList(_TransformerLayer(dim, heads, dropout) for _ in range(layers))
        elif kind == "gin":
            self.layers = nn.ModuleList(_GINLayer(dim, dropout) for _ in range(layers))
        else:
            self.layers = nn.ModuleList(_GPSLayer(dim, heads, dropout) for _ in range(layers))
        self.readout = nn.Sequential(nn.Linear(2 * dim, dim), nn.GELU(), nn.LayerNorm(dim))

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor,
                batch: Tensor) -> tuple[Tensor, Tensor]:
        """Return (node states [N, dim], graph embeddings [B, dim])."""
        h = self.embed(x)
        for layer in self.layers:
            h = layer(h, edge_index, edge_attr, batch)
        pooled = torch.cat([global_mean_pool(h, batch), global_max_pool(h, batch)], dim=-1)
        return h, self.readout(pooled)
