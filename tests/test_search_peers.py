"""The joint tier sampler, BANANAS' path encoding and the predictor-guided peers, checked by what
they are for: draws that follow the target statistics, encodings by hand, guided beating random."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import chisquare

from narank.benchmarks import BenchmarkTable, load_table
from narank.errors import NarankError
from narank.proxies.sed import sed_scores
from narank.search.bananas import cell_paths, path_encoding
from narank.search.harness import run_method
from narank.search.loop import SearchConfig, prior_region, prior_scores, ranker_search, selection_order
from narank.search.oracle import oracle_table
from narank.search.predictor_guided import GuidedConfig
from narank.search.tier_stats import (
    CellPool,
    JointTierSampler,
    feature_keys,
    pool_keys,
    pool_prior,
    space_pool,
)
from narank.spaces import get_space, nb201

NB201 = get_space("nb201")
CONV3 = nb201.OPS.index("nor_conv_3x3")


class FixedRanker:
    """A fixed 'ranker': tier 1 for cells with at least three 3x3 convolutions, else tier 5."""

    def rank(self, cells):
        conv = np.array([sum(op == "nor_conv_3x3" for op in c.ops) for c in cells])
        return conv.astype(float), np.where(conv >= 3, 1, 5)


def test_feature_keys_group_equal_feature_rows_only():
    feats = {"op:a": np.array([0, 1, 1, 2]), "flops_M": np.array([1.0, 5.0, 5.0, 9.0])}
    keys = feature_keys(feats, cost_bins=2)
    assert keys[1] == keys[2] and len({keys[0], keys[1], keys[3]}) == 3


def test_joint_sampler_probability_by_hand():
    pool = space_pool("nb201", "cifar10")
    keys = pool_keys(pool)
    idx = np.arange(len(pool.cells))
    _, tiers = FixedRanker().rank(pool.cells)
    sampler = JointTierSampler(pool, keys, idx, tiers, alpha=0.0)
    # with the whole pool as the statistics sample, P(bin) = tier-1 cells of the bin / all tier-1
    expected = np.bincount(keys[tiers == 1], minlength=len(sampler.p)) / (tiers == 1).sum()
    assert np.allclose(sampler.p, expected)


def test_joint_sampler_draws_follow_its_target_distribution():
    pool = space_pool("nb201", "cifar10")
    rng = np.random.default_rng(0)
    sampler = JointTierSampler.for_pool(pool, FixedRanker(), 3000, rng, random_frac=0.0)
    res = sampler.sample(400, rng)
    assert len(res.cells) == 400 and res.targeted.all()
    conv = np.array([sum(op == "nor_conv_3x3" for op in c.ops) for c in res.cells])
    uniform_rate = np.mean(FixedRanker().rank(pool.cells)[1] == 1)
    assert uniform_rate < 0.15 and np.mean(conv >= 3) > 0.9  # the top tier's region, not the pool's
    # the number of 3x3 convolutions follows the sampler's own target distribution
    keys = pool_keys(pool)
    conv_of_key = np.zeros(len(sampler.p), dtype=int)
    pool_conv = np.array([c.op_counts()[CONV3] for c in pool.cells])
    conv_of_key[keys] = pool_conv
    target = np.bincount(conv_of_key, weights=sampler.p, minlength=7)
    seen = np.bincount(conv, minlength=7)
    mask = target * 400 >= 5
    f_exp = target[mask] / target[mask].sum() * seen[mask].sum()
    assert chisquare(seen[mask], f_exp).pvalue > 0.001


def test_allowed_mask_restricts_targeted_and_random_draws():
    pool = space_pool("nb201", "cifar10")
    sed = pool_prior(pool, "sed")
    allowed = sed >= np.quantile(sed, 0.9)
    rng = np.random.default_rng(1)
    sampler = JointTierSampler.for_pool(pool, FixedRanker(), 2000, rng, allowed=allowed, random_frac=0.5)
    res = sampler.sample(300, rng)
    assert len(res.cells) == 300 and 0 < res.targeted.sum() < 300
    drawn = sed_scores(res.cells)
    assert drawn.min() >= np.quantile(sed, 0.9) - 1e-12
    with pytest.raises(NarankError, match="allowed no cell"):
        JointTierSampler(pool, pool_keys(pool), np.arange(10), np.ones(10), allowed=np.zeros(len(sed), bool))


def test_prior_gate_follows_the_labelled_evidence():
    pool = space_pool("nb201", "cifar10")
    rng = np.random.default_rng(2)
    labelled = pool.random(20, rng)[0]
    sed = sed_scores(labelled)
    cfg = SearchConfig(prior="sed", prior_top=0.1)
    mask, info = prior_region(cfg, pool, labelled, list(sed))  # the prior orders them perfectly
    assert info["prior_on"] and info["prior_tau"] > 0.9
    share = mask.mean()
    assert 0.1 <= share < 0.15  # ties (isomorphic cells share SED) may add a little
    assert pool_prior(pool, "sed")[mask].min() >= pool_prior(pool, "sed")[~mask].max()
    mask, info = prior_region(cfg, pool, labelled, list(-sed))  # the prior is wrong on this data
    assert mask is None and not info["prior_on"] and info["prior_tau"] < -0.9
    assert prior_region(SearchConfig(prior=None), pool, labelled, list(sed)) == (None, {})
    with pytest.raises(NarankError, match="unknown prior"):
        SearchConfig(prior="accuracy")


def test_prior_scores_are_looked_up_once_the_pool_has_them(monkeypatch):
    pool = space_pool("nb201", "cifar10")
    cfg = SearchConfig(prior="sed")
    cells = pool.random(30, np.random.default_rng(3))[0]
    computed = prior_scores(cfg, pool, cells)
    np.testing.assert_allclose(computed, sed_scores(cells))
    pool_prior(pool, "sed")  # what the gate computes once the prior is trusted
    small = CellPool(pool.space, pool.dataset, cells[:5])
    pool_prior(small, "sed")
    import narank.graph_features as gf

    def refuse(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(gf, "graph_features", refuse)
    np.testing.assert_array_equal(prior_scores(cfg, pool, cells), computed)  # by exact cell
    with pytest.raises(AssertionError, match="computed again"):  # a cell outside the pool
        prior_scores(cfg, small, cells)


def test_selection_order_by_hand():
    scores = np.array([0.9, 0.5, 0.8, 0.1])
    tiers = np.array([2, 1, 1, 3])
    assert selection_order(scores, tiers).tolist() == [2, 1, 0, 3]  # tier 1 first, then by score
    prior = np.array([10.0, 0.0, 1.0, 5.0])  # prior ranks: 0, 3, 2, 1
    # equal weights: mean ranks 1.0, 2.0, 1.0, 2.0 -> ties broken by the ranker's order
    assert selection_order(scores, tiers, prior, 0.5).tolist() == [2, 0, 1, 3]
    assert selection_order(scores, tiers, prior, 1.0).tolist() == [0, 3, 2, 1]
    assert selection_order(scores, tiers, prior, 0.0).tolist() == [2, 1, 0, 3]


def test_zero_cost_prior_guides_the_search_to_better_cells(c10):
    """The same loop, ranker and initial cells, with and without the SED prior: with it, the
    lookups after the initial cells are better (NB201 CIFAR-10, 4 seeds, 30 lookups)."""
    cfg = SearchConfig(epochs=20, update_epochs=8, candidates=128, dim=16)
    with_prior, without = [], []
    for seed in range(4):
        for runs, c in ((with_prior, cfg), (without, SearchConfig(**{**cfg.to_dict(), "prior": None}))):
            run = ranker_search(c10, 30, seed, c)
            runs.append(np.mean([q.test_acc for q in run.history[10:]]))
    assert np.mean(with_prior) > np.mean(without) + 0.3, (with_prior, without)


def test_path_encoding_by_hand():
    cell = NB201.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+"
                       "|avg_pool_3x3~0|none~1|nor_conv_1x1~2|")
    assert sorted(cell_paths(NB201, cell)) == ["avg_pool_3x3", "nor_conv_3x3>nor_conv_1x1",
                                               "nor_conv_3x3>skip_connect>nor_conv_1x1"]
    x = path_encoding(NB201, [cell])
    assert x.shape[0] == 1 and x.sum() == 3 and set(np.unique(x)) <= {0.0, 1.0}
    dead = NB201.parse("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert cell_paths(NB201, dead) == [] and path_encoding(NB201, [dead]).sum() == 0


@pytest.fixture(scope="module")
def small_pool(nb101_csv: Path):
    """2,000 NB101 cells with ground truth: a small pool the guided methods must search well."""
    full = load_table("nb101", nb101_csv)
    return oracle_table(BenchmarkTable("nb101", full.metrics.iloc[:2000]), "cifar10")


@pytest.mark.parametrize("method", ["bananas", "xgb-graf"])
def test_predictor_guided_peers_beat_random_on_a_small_pool(small_pool, method):
    from narank.search.bananas import bananas_search
    from narank.search.predictor_guided import xgb_search

    fn = bananas_search if method == "bananas" else xgb_search
    cfg = GuidedConfig(init=10, k=5, candidates=64, mutate_top=3)
    guided, rand = [], []
    for seed in range(3):
        run = fn(small_pool, 30, seed, cfg)
        base = run_method("random", small_pool, 30, seed)
        assert [q.id for q in run.history[:10]] == [q.id for q in base.history[:10]]
        guided.append(np.mean([q.valid_acc for q in run.history[10:]]))
        rand.append(np.mean([q.valid_acc for q in base.history[10:]]))
    assert np.mean(guided) > np.mean(rand) + 1.0, (guided, rand)
