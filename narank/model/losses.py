"""NAR training loss: tier cross-entropy plus a pairwise logistic ranking loss on the score."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def pairwise_ranking_loss(scores: Tensor, targets: Tensor) -> Tensor:
    """Mean over ordered pairs with different targets of log(1 + exp(-(s_i - s_j) sign(y_i - y_j)))."""
    ds = scores.unsqueeze(1) - scores.unsqueeze(0)
    sign = torch.sign(targets.unsqueeze(1) - targets.unsqueeze(0))
    mask = sign != 0
    if not bool(mask.any()):
        return scores.sum() * 0.0
    return F.softplus(-ds[mask] * sign[mask]).mean()


def nar_loss(tier_logits: Tensor, scores: Tensor, tiers: Tensor, targets: Tensor,
             lam: float) -> tuple[Tensor, Tensor, Tensor]:
    """Total loss = CE(tier) + lam * ranking; returns (total, ce, ranking)."""
    ce = F.cross_entropy(tier_logits, tiers)
    rank = pairwise_ranking_loss(scores, targets)
    return ce + lam * rank, ce, rank
