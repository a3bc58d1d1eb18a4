"""What the model pieces are for, not only that they run: the NAR loss against hand-computed
values, tier cuts at their exact edges, a tier decoder and score head that learn, the training
loop's learning-rate schedule and settings (all small and fast, no benchmark data)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch

from narank.graphs import node_dim, to_graphs
from narank.model.losses import nar_loss, pairwise_ranking_loss
from narank.model.ranker import NARanker, RankerConfig
from narank.model.tiers import TierDecoder, assign_tiers, cut_tiers, tier_edges
from narank.spaces import get_space
from narank.train import TrainConfig, default_train_config, fit_model, make_scheduler

torch.set_num_threads(1)
NB201 = get_space("nb201")


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


# ------------------------------------------------------------------------------ losses


def test_pairwise_loss_is_the_mean_logistic_loss_over_ordered_pairs():
    y = torch.tensor([1.0, 2.0, 3.0])
    # concordant scores: each of the 6 ordered pairs costs softplus(-|s_i - s_j|)
    right = pairwise_ranking_loss(torch.tensor([0.0, 1.0, 3.0]), y)
    assert right.item() == pytest.approx((softplus(-1) + softplus(-3) + softplus(-2)) / 3, rel=1e-6)
    wrong = pairwise_ranking_loss(torch.tensor([3.0, 1.0, 0.0]), y)
    assert wrong.item() == pytest.approx((softplus(3) + softplus(2) + softplus(1)) / 3, rel=1e-6)
    # the tied pair (targets 1, 1) is left out: 4 ordered pairs remain
    tied = pairwise_ranking_loss(torch.tensor([0.0, 5.0, 1.0]), torch.tensor([1.0, 1.0, 2.0]))
    assert tied.item() == pytest.approx((softplus(-1) + softplus(4)) / 2, rel=1e-6)
    only_ties = pairwise_ranking_loss(torch.tensor([0.0, 5.0], requires_grad=True), torch.tensor([1.0, 1.0]))
    assert only_ties.item() == 0.0 and only_ties.requires_grad


def test_pairwise_loss_gradient_raises_the_better_cell():
    scores = torch.zeros(3, requires_grad=True)
    pairwise_ranking_loss(scores, torch.tensor([3.0, 1.0, 2.0])).backward()
    grad = scores.grad.numpy()
    assert grad[0] < 0 < grad[1]  # descent raises the best cell's score and lowers the worst's
    assert grad[2] == pytest.approx(0.0, abs=1e-7)  # the middle one is pulled both ways equally


def test_nar_loss_is_cross_entropy_plus_lambda_times_ranking():
    logits = torch.tensor([[2.0, 0.0, 0.0, 0.0, 0.0],
                           [0.0, 1.0, 0.0, 0.0, 0.0],
                           [0.0, 0.0, 0.0, 0.0, 3.0]])
    tiers = torch.tensor([0, 1, 4])
    scores = torch.tensor([2.0, 1.0, 0.0])
    targets = torch.tensor([90.0, 80.0, 70.0])

    def nll(row: list[float], t: int) -> float:
        return -(row[t] - math.log(sum(math.exp(v) for v in row)))

    ce_hand = np.mean([nll(logits[i].tolist(), int(tiers[i])) for i in range(3)])
    rank_hand = (softplus(-1) + softplus(-2) + softplus(-1)) / 3
    total, ce, rank = nar_loss(logits, scores, tiers, targets, lam=2.5)
    assert ce.item() == pytest.approx(ce_hand, rel=1e-6)
    assert rank.item() == pytest.approx(rank_hand, rel=1e-6)
    assert total.item() == pytest.approx(ce_hand + 2.5 * rank_hand, rel=1e-6)
    assert nar_loss(logits, scores, tiers, targets, lam=0.0)[0].item() == pytest.approx(ce_hand, rel=1e-6)


# ------------------------------------------------------------------------------- tiers


def test_tier_edges_are_the_hand_computed_quantiles_best_first():
    edges = tier_edges(np.arange(10.0), 5)  # the 80 / 60 / 40 / 20 % quantiles of 0..9
    assert edges == pytest.approx([7.2, 5.4, 3.6, 1.8])
    assert tier_edges(np.arange(5.0), 5) == pytest.approx([3.2, 2.4, 1.6, 0.8])  # as many cells as tiers
    assert tier_edges(np.array([0.0, 1.0]), 2) == pytest.approx([0.5])
    with pytest.raises(ValueError):
        tier_edges(np.arange(4.0), 5)
    with pytest.raises(ValueError):
        tier_edges(np.arange(10.0), 1)


def test_assign_tiers_at_and_around_the_edges():
    edges = np.array([7.2, 5.4, 3.6, 1.8])
    # a value on an edge belongs to the better tier; just below it, to the next worse one
    assert assign_tiers(edges, edges).tolist() == [0, 1, 2, 3]
    assert assign_tiers(edges - 1e-9, edges).tolist() == [1, 2, 3, 4]
    assert assign_tiers(np.array([100.0, -100.0]), edges).tolist() == [0, 4]
    assert assign_tiers(np.arange(10.0), edges).tolist() == [4, 4, 3, 3, 2, 2, 1, 1, 0, 0]


def test_cut_tiers_by_hand_with_uneven_sizes_and_ties():
    # best first: 6, 5, 4 -> tier 0; 3, 2 -> tier 1; 1, 0 -> tier 2 (rank * k // n)
    acc = np.array([5.0, 1.0, 4.0, 2.0, 3.0, 0.0, 6.0])
    assert cut_tiers(acc, 3).tolist() == [0, 2, 0, 1, 1, 2, 0]
    assert cut_tiers(np.ones(4), 2).tolist() == [0, 0, 1, 1]  # ties split in input order
    rng = np.random.default_rng(0)
    acc = rng.permutation(100).astype(float)
    # the training cut and the quantile edges stored in checkpoints agree on the training cells
    assert np.array_equal(assign_tiers(acc, tier_edges(acc, 5)), cut_tiers(acc, 5))


# ------------------------------------------------------------------------ tier decoder


def _decoder(k: int = 3, dim: int = 8) -> TierDecoder:
    torch.manual_seed(0)
    return TierDecoder(dim, k, heads=2, momentum=0.25).eval()


def test_decoder_centres_are_running_means_of_their_tier():
    dec = _decoder()
    emb = torch.tensor([[1.0] * 8, [3.0] * 8, [5.0] * 8])
    dec.update(emb, torch.tensor([0, 0, 2]))
    assert torch.allclose(dec.centers[0], torch.full((8,), 2.0))  # first batch: the plain mean
    assert torch.allclose(dec.centers[2], torch.full((8,), 5.0))
    assert torch.equal(dec.centers[1], torch.zeros(8)) and dec.initialized.tolist() == [True, False, True]
    dec.update(torch.full((1, 8), 10.0), torch.tensor([0]))
    assert torch.allclose(dec.centers[0], torch.full((8,), 2.0 + 0.25 * (10.0 - 2.0)))


def _nodes(sizes: list[int], dim: int = 8, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    nodes = torch.randn(sum(sizes), dim, generator=gen)
    batch = torch.cat([torch.full((n,), i) for i, n in enumerate(sizes)])
    return nodes, batch


def test_decoder_logits_use_each_tier_query_the_nodes_and_the_embedding():
    dec = _decoder()
    nodes, batch = _nodes([3, 6])
    emb = torch.randn(2, 8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        base = dec(nodes, batch, emb)
        assert base.shape == (2, 3)
        # a graph's logits do not depend on another graph's nodes (padding is masked out)
        alone = dec(nodes[:3], torch.zeros(3, dtype=torch.long), emb[:1])
        assert torch.allclose(alone, base[:1], atol=1e-5)
        # moving one tier's centre changes that tier's logit only
        dec.centers[1] += 1.0
        moved = dec(nodes, batch, emb)
        assert not torch.allclose(moved[:, 1], base[:, 1])
        assert torch.allclose(moved[:, [0, 2]], base[:, [0, 2]], atol=1e-6)
        dec.centers[1] -= 1.0
        # the node states and the graph embedding both matter
        assert not torch.allclose(dec(nodes * 2, batch, emb), base)
        assert not torch.allclose(dec(nodes, batch, emb + 1.0), base)


# ------------------------------------------------------------------------------ ranker


def _truth(cells) -> np.ndarray:
    """Synthetic accuracy: conv3x3 count minus half the pooling count (learnable from the graph)."""
    return np.array([c.ops.count("nor_conv_3x3") - 0.5 * c.ops.count("avg_pool_3x3") for c in cells])


def _model(tiers: int = 5, dim: int = 16, heads: int = 2) -> NARanker:
    torch.manual_seed(0)
    return NARanker(RankerConfig(in_dim=node_dim((), NB201), dim=dim, layers=2, encoder="gin",
                                 heads=heads, tiers=tiers))


def test_ranker_network_outputs_logits_scores_and_embeddings_of_each_cell():
    model = _model(tiers=3, dim=8, heads=2).eval()
    cells = NB201.sample(4, 0)
    batch = Batch.from_data_list(to_graphs(cells, (), "cifar10"))
    with torch.no_grad():
        logits, scores, emb = model(batch)
        assert logits.shape == (4, 3) and scores.shape == (4,) and emb.shape == (4, 8)
        assert torch.allclose(scores, model.score_head(emb).squeeze(-1))
        nodes, emb2 = model.encoder(batch.x, batch.edge_index, batch.edge_attr, batch.batch)
        assert torch.allclose(emb, emb2)
        assert torch.allclose(logits, model.tier_head(nodes, batch.batch, emb))
        assert len(model.encoder.layers) == 2 and model.tier_head.k == 3
        assert len(set(np.round(scores.numpy(), 6).tolist())) == 4  # different cells, different scores


def test_ranker_config_checks_its_values():
    assert RankerConfig(in_dim=4, dim=8, heads=2, tiers=2).tiers == 2
    for bad in (dict(encoder="mlp"), dict(dim=10, heads=4), dict(tiers=1)):
        with pytest.raises(ValueError):
            RankerConfig(in_dim=4, **bad)
    assert RankerConfig(in_dim=4, dim=8, heads=2).to_dict()["in_dim"] == 4


def _ce_and_tau(model: NARanker, graphs, tiers: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from scipy.stats import kendalltau

    model.eval()
    with torch.no_grad():
        logits, scores, _ = model(Batch.from_data_list(graphs))
    ce = torch.nn.functional.cross_entropy(logits, torch.as_tensor(tiers)).item()
    return ce, kendalltau(scores.numpy(), y).statistic


def test_training_teaches_the_tier_decoder_and_the_score_head():
    cells = NB201.sample(80, np.random.default_rng(0))
    y = _truth(cells) + np.random.default_rng(0).normal(0, 0.01, len(cells))
    tiers = cut_tiers(y, 5)
    graphs = to_graphs(cells, (), "cifar10")
    model = _model()
    ce0, tau0 = _ce_and_tau(model, graphs, tiers, y)
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    cfg = TrainConfig(epochs=25, batch_size=16, lam=1.0, seed=0, lr=3e-3)
    state = fit_model(model, graphs, y, tiers, cfg, progress=False)
    ce1, tau1 = _ce_and_tau(model, graphs, tiers, y)
    after = model.state_dict()
    for name in ("tier_head.query", "tier_head.attn.in_proj_weight", "tier_head.out.0.weight",
                 "score_head.0.weight", "score_head.2.weight", "encoder.embed.weight"):
        assert not torch.allclose(after[name], before[name]), f"{name} did not learn"
    head = model.tier_head
    assert bool(head.initialized.all()) and float(head.centers.abs().sum()) > 0
    assert ce1 < 0.8 * ce0, (ce0, ce1)  # the decoder learned the training tiers
    assert tau1 > 0.6 and tau1 > tau0 + 0.3, (tau0, tau1)  # the score head learned the order
    assert state["epoch"] == 25 and set(state["last_loss"]) == {"loss", "ce", "rank"}
    # the cosine schedule has run to its end: the learning rate is back to zero
    assert state["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.0, abs=1e-9)


# ------------------------------------------------------------------------ training setup


def test_schedule_warms_up_linearly_then_decays_by_cosine_to_zero():
    param = torch.nn.Parameter(torch.zeros(1))

    def lrs(cfg: TrainConfig, steps: int, start_epoch: int = 0, n: int = 0) -> list[float]:
        opt = torch.optim.SGD([param], lr=1.0)
        # the default start is epoch 0
        args = (start_epoch,) if start_epoch else ()
        sched = make_scheduler(opt, cfg, steps, *args)
        out = []
        for _ in range(n or cfg.epochs * steps):
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return out

    cfg = TrainConfig(epochs=10, batch_size=2, lam=1.0)
    got = lrs(cfg, 4)  # 40 steps, 2 of warm-up (5 %)
    assert got[:3] == pytest.approx([0.5, 1.0, 1.0])
    expected = [0.5 * (1 + math.cos(math.pi * (s - 2) / 38)) for s in range(2, 40)]
    assert got[2:] == pytest.approx(expected)
    assert got[21] == pytest.approx(0.5)
    # resuming at epoch 5 continues the same curve
    assert lrs(cfg, 4, start_epoch=5, n=3) == pytest.approx(got[20:23])
    short = lrs(TrainConfig(epochs=2, batch_size=2, lam=1.0), 3)  # 6 steps: 1 step of warm-up
    assert short[0] == pytest.approx(1.0) and short[1] == pytest.approx(1.0)
    assert short[-1] == pytest.approx(0.5 * (1 + math.cos(math.pi * 4 / 5)))


def test_default_training_settings():
    small, large = default_train_config("nb201", 1000, seed=3), default_train_config("nb101", 1001)
    assert (small.epochs, small.batch_size, small.lam, small.seed) == (300, 128, 1.0, 3)
    assert (large.epochs, large.batch_size, large.lam) == (150, 256, 9.0)
    assert small.lr == pytest.approx(2e-3) and small.weight_decay == pytest.approx(1e-4)
    TrainConfig(epochs=0, batch_size=2, lam=0.0)  # the smallest valid settings
    for bad in (dict(epochs=-1), dict(batch_size=1), dict(lr=0.0), dict(lam=-0.1)):
        with pytest.raises(ValueError):
            TrainConfig(**{**dict(epochs=1, batch_size=2, lam=1.0), **bad})
    assert TrainConfig(epochs=1, batch_size=2, lam=1.0).to_dict()["batch_size"] == 2


def test_a_batch_of_two_cells_still_trains():
    cells = NB201.sample(2, 5)
    graphs = to_graphs(cells, (), "cifar10")
    model = _model(dim=8)
    before = model.score_head[0].weight.detach().clone()
    cfg = TrainConfig(epochs=2, batch_size=2, lam=1.0)
    fit_model(model, graphs, np.array([1.0, 2.0]), np.array([1, 0]), cfg, progress=False)
    assert not torch.allclose(model.score_head[0].weight, before)  # the smallest batch is not skipped
