"""The joint tier sampler, BANANAS' path encoding and the predictor-guided peers, checked by what
they are for: draws that follow the target statistics, encodings by hand, guided beating random."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import chisquare

from narank.benchmarks import BenchmarkTable, load_table
from narank.search.bananas import cell_paths, path_encoding
from narank.search.harness import run_method
from narank.search.oracle import oracle_table
from narank.search.predictor_guided import GuidedConfig
from narank.search.tier_stats import JointTierSampler, feature_keys, pool_keys, space_pool
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
