"""What search is for, not only that it runs: the oracle counts and reveals the documented
columns, tier statistics and KL by hand, the sampler's draws follow its target histogram, the
NAR loop queries the cells its ranker scores best, and guided search beats random search on
fixed seeds (NB201, small budgets)."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from narank.benchmarks import BenchmarkTable, NotInTableError, load_table
from narank.errors import NarankError
from narank.search.harness import run_method
from narank.search.loop import SearchConfig
from narank.search.oracle import BudgetExhausted, DuplicateLookup, Oracle, OracleTable, oracle_table
from narank.search.tier_stats import (
    TierSampler,
    bin_index,
    cell_key,
    kl_divergence,
    space_features,
    space_pool,
    tier_stats_from,
)
from narank.spaces import get_space

torch.set_num_threads(1)
NB201 = get_space("nb201")
SEEDS = (0, 1, 2)
BUDGET, INIT, K = 40, 10, 5
SMALL = SearchConfig(init=INIT, k=K, candidates=128, stats_samples=500, epochs=15, update_epochs=5,
                     dim=16, layers=2)


@pytest.fixture(scope="module")
def table(nb201_csv: Path) -> BenchmarkTable:
    return load_table("nb201", nb201_csv)


# ------------------------------------------------------------------------------ oracle


def test_oracle_reveals_validation_and_records_test_accuracy(table):
    c100 = OracleTable(table, "cifar100")
    valid, test = table.targets("cifar100_valid_acc"), table.targets("cifar100_test_acc")
    assert c100.best_valid == pytest.approx(np.nanmax(valid))
    assert c100.best_test == pytest.approx(np.max(test))
    oracle = Oracle(c100, 3)
    cells = [NB201.parse(i) for i in (0, 77, 4096, 5000)]
    assert oracle.query(cells[0]) == pytest.approx(valid[0])  # the search metric: validation
    assert oracle.used == 1 and oracle.remaining == 2
    assert oracle.seen(cells[0]) and not oracle.seen(cells[1])
    oracle.query(cells[1])
    with pytest.raises(DuplicateLookup):  # the protocol: a repeat is refused, not charged
        oracle.query(cells[0])
    oracle.query(cells[2])
    assert oracle.used == 3 and oracle.remaining == 0
    with pytest.raises(BudgetExhausted):
        oracle.query(cells[3])
    q = oracle.history[1]
    assert (q.id, q.valid_acc, q.test_acc) == (NB201.canonical_id(cells[1]), valid[77], test[77])
    assert Oracle(c100, 1).budget == 1
    with pytest.raises(NarankError):
        Oracle(c100, 0)


def test_oracle_refuses_cells_without_ground_truth_without_charging(table):
    frame = table.metrics.iloc[:50].copy()
    frame.loc[frame.index[3], "cifar10_valid_acc"] = np.nan
    frame.loc[frame.index[7], "cifar10_test_acc"] = np.nan
    small = OracleTable(BenchmarkTable("nb201", frame), "cifar10")
    inside, missing, outside = NB201.parse(0), NB201.parse(3), NB201.parse(1000)
    assert small.has(inside) and not small.has(missing) and not small.has(outside)
    oracle = Oracle(small, 5)
    assert oracle.has(inside) and not oracle.has(outside)
    for cell in (missing, outside):
        with pytest.raises(NotInTableError):
            oracle.query(cell)
    assert oracle.used == 0 and oracle.history == []
    cid, valid, test = small.lookup(inside)
    assert (cid, valid, test) == (frame.index[0], frame["cifar10_valid_acc"].iloc[0],
                                  frame["cifar10_test_acc"].iloc[0])
    assert small.lookup(NB201.parse(7))[2] is None  # no test accuracy: None, not NaN


# ------------------------------------------------------------------------ tier statistics


def test_bin_index_and_kl_by_hand():
    edges = [0.0, 1.0, 2.0, 3.0]
    got = bin_index(np.array([-5, 0, 0.5, 1, 2.999, 3, 10]), edges)
    assert got.tolist() == [0, 0, 0, 1, 2, 2, 2]  # right-closed bins, outside values clipped
    assert kl_divergence([1, 3], [2, 2], eps=0) == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5))
    assert kl_divergence([5, 5], [1, 1]) == pytest.approx(0.0, abs=1e-12)  # counts are normalised
    assert kl_divergence([1, 0], [0, 1], eps=1e-3) == pytest.approx(
        (1.001 * math.log(1.001 / 0.001) + 0.001 * math.log(0.001 / 1.001)) / 1.002)


def test_tier_statistics_by_hand():
    feats = {"flops_M": np.array([0.0, 1.0, 2.0, 3.0]), "params_M": np.array([0.0, 0.0, 1.0, 1.0]),
             "n_conv": np.array([0, 1, 2, 2])}
    stats = tier_stats_from("nb201", "cifar10", feats, np.array([1, 1, 2, 3]), k=3, bins=2)
    assert stats["edges"]["flops_M"] == pytest.approx([-0.003, 1.5, 3.003])
    assert stats["edges"]["params_M"] == pytest.approx([-0.001, 0.5, 1.001])
    assert stats["edges"]["n_conv"] == [-0.5, 0.5, 1.5, 2.5]  # one bin per count
    assert stats["hist"]["flops_M"] == [[2, 0], [0, 1], [0, 1]]
    assert stats["hist"]["n_conv"] == [[1, 1, 0], [0, 0, 1], [0, 0, 1]]
    assert stats["joint"]["hist"] == [[2, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 1]]  # flops bin x params bin
    assert stats["counts"] == [2, 1, 1] and stats["n_samples"] == 4 and stats["tiers"] == 3
    assert (stats["space"], stats["dataset"], stats["version"]) == ("nb201", "cifar10", 1)
    assert stats["kl"]["flops_M"] == pytest.approx(kl_divergence([2, 0], [0, 2]))
    assert stats["kl_top_bottom"] == pytest.approx(kl_divergence([2, 0, 0, 0], [0, 0, 0, 2]))
    assert stats["kl_top_bottom"] > 5
    same = tier_stats_from("nb201", "cifar10", feats, np.array([1, 2, 1, 2]), k=2, bins=2)
    assert same["kl_top_bottom"] == pytest.approx(0.0, abs=1e-12)  # top tier looks like the rest


def _two_bin_stats(ratio: int = 3) -> tuple[dict, int, int]:
    """Statistics whose top tier holds cells of two joint bins, `ratio` : 1."""
    feats = space_features("nb201", "cifar10")
    base = tier_stats_from("nb201", "cifar10", feats, np.full(len(feats["flops_M"]), 2), k=5)
    sampler = TierSampler(base)
    bins = sampler.joint_bin(feats["flops_M"], feats["params_M"])
    iso = np.array([cell_key(c) for c in NB201.enumerate()], dtype=object)
    distinct = {b: len(set(iso[bins == b].tolist())) for b in np.unique(bins).tolist()}
    b1, b2 = sorted(distinct, key=lambda b: -distinct[b])[:2]
    tiers = np.full(len(bins), 3)
    tiers[np.flatnonzero(bins == b1)[:300]] = 1
    tiers[np.flatnonzero(bins == b2)[:300 // ratio]] = 1
    return tier_stats_from("nb201", "cifar10", feats, tiers, k=5, edges=base["edges"]), b1, b2


def test_sampler_draws_follow_the_top_tier_histogram():
    stats, b1, b2 = _two_bin_stats()
    sampler = TierSampler(stats, threshold=0.05, random_frac=0.0)
    assert sampler.active
    res = sampler.sample(200, np.random.default_rng(0), space_pool("nb201", "cifar10"))
    assert len(res.cells) == 200 and res.targeted.all() and res.misses == 0
    feats = space_features("nb201", "cifar10")
    idx = np.array([c.index for c in res.cells])
    bins = sampler.joint_bin(feats["flops_M"][idx], feats["params_M"][idx])
    assert set(bins.tolist()) == {b1, b2}
    assert 0.65 < np.mean(bins == b1) < 0.85  # 3 : 1 in the histogram -> 3/4 of the draws
    mixed = TierSampler(stats, random_frac=0.5).sample(40, np.random.default_rng(1), space_pool("nb201",
                                                                                                 "cifar10"))
    assert mixed.targeted.sum() == 20 and len(mixed.cells) == 40


def test_sampler_fills_its_quota_when_few_cells_remain():
    """Late in a search almost every cell is excluded: the sampler keeps drawing while it still
    finds new cells (here it needs well over 100 rounds of draws), and returns every one left."""
    pool = space_pool("nb201", "cifar10")
    counts = Counter(cell_key(c) for c in NB201.enumerate())
    left = {key for key, _ in counts.most_common()[100:250]}  # 150 functions of 6 to 30 cells each
    res = TierSampler(_two_bin_stats()[0], uniform=True).sample(150, np.random.default_rng(0), pool,
                                                                 exclude=set(counts) - left)
    assert not res.active and res.misses == 0 and not res.targeted.any()
    assert {cell_key(c) for c in res.cells} == left


# ------------------------------------------------------------------------- the NAR loop


@pytest.fixture(scope="module")
def searched(table):
    """narank and random search on NB201 CIFAR-100, budget 40, three seeds; narank's ranker calls."""
    from narank.predictor import Ranker

    otable = oracle_table(table, "cifar100")
    original = Ranker.rank
    calls: list[list] = []

    def recording_rank(self, cells):
        scores, tiers = original(self, cells)
        calls[-1].append((list(cells), np.asarray(scores).copy(), np.asarray(tiers).copy()))
        return scores, tiers

    guided, unguided = [], []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Ranker, "rank", recording_rank)
        for seed in SEEDS:
            calls.append([])
            guided.append(run_method("narank", otable, BUDGET, seed, SMALL))
    for seed in SEEDS:
        unguided.append(run_method("random", otable, BUDGET, seed))
    return guided, unguided, calls


def test_loop_queries_the_best_scored_candidates(searched):
    """Each round looks up the K best candidates: tier 1 first, then by score, and while SED's
    gate is open, by the mean of that rank and SED's rank (recomputed here from the recorded
    scores)."""
    from narank.proxies.sed import sed_scores
    from narank.search.loop import selection_order

    guided, _, calls = searched
    gated = 0
    for run, run_calls in zip(guided, calls, strict=True):
        rounds = run_calls[1::2]  # each round ranks the statistics sample, then the candidates
        assert len(rounds) == (BUDGET - INIT) // K
        for r, (cands, scores, tiers) in enumerate(rounds):
            start = INIT + r * K
            queried = {cell_key(q.cell) for q in run.history[:start]}
            on = run.info["rounds"][r]["prior_on"]
            gated += on
            order = selection_order(scores, tiers, sed_scores(cands) if on else None, SMALL.prior_weight)
            if not on:
                assert order.tolist() == np.lexsort((-scores, tiers != 1)).tolist()
            expected = []
            for i in order.tolist():
                if len(expected) == K:
                    break
                if cell_key(cands[i]) not in queried:
                    queried.add(cell_key(cands[i]))
                    expected.append(NB201.canonical_id(cands[i]))
            assert [q.id for q in run.history[start:start + K]] == expected, f"seed {run.seed} round {r}"
    assert gated > 0, "SED's gate never opened: the prior branch went untested"


def test_candidates_include_every_new_neighbour_of_the_best_cells_once(searched):
    guided, _, calls = searched
    for run, run_calls in zip(guided, calls, strict=True):
        for r, (cands, _, _) in enumerate(run_calls[1::2]):
            start = INIT + r * K
            keys = [cell_key(c) for c in cands]
            assert len(set(keys)) == len(keys), "a candidate appears twice"
            done = run.history[:start]
            queried = {cell_key(q.cell) for q in done}
            best = sorted(done, key=lambda q: -q.valid_acc)[:SMALL.mutate_top]
            near = {cell_key(n) for q in best for n in NB201.neighbours(q.cell)} - queried
            assert near <= set(keys), f"seed {run.seed} round {r}: neighbours of the best cells missing"
            assert not queried & set(keys)
    run = guided[0]
    short = run.truncated(25)
    assert short.budget == 25 and short.queries == 25 and short.history == run.history[:25]


def test_guided_search_beats_random_search_on_fixed_seeds(searched):
    guided, unguided, _ = searched

    def after_init(run) -> float:
        return float(np.mean([q.valid_acc for q in run.history[INIT:]]))

    g = [after_init(r) for r in guided]
    u = [after_init(r) for r in unguided]
    assert all(r.queries == BUDGET for r in guided + unguided)
    assert np.mean(g) > np.mean(u) + 3.0, (g, u)  # its queries are better cells
    assert min(g) > max(u) - 1.0, (g, u)
    pick_g = np.mean([r.pick().test_acc for r in guided])
    pick_u = np.mean([r.pick().test_acc for r in unguided])
    assert pick_g > pick_u, (pick_g, pick_u)


def test_rea_evolves_children_of_its_population_and_never_repeats_a_lookup(table):
    otable = oracle_table(table, "cifar100")
    for seed in SEEDS:
        run = run_method("rea", otable, 100, seed)
        ids = [q.id for q in run.history]
        assert len(ids) == 100 and len(set(ids)) == 100, "a lookup was spent on a repeat"
        ops = [q.cell.ops for q in run.history]
        children = [any(sum(a != b for a, b in zip(ops[i], ops[j], strict=True)) == 1 for j in range(i))
                    for i in range(10, 100)]
        assert np.mean(children) > 0.9  # after the random population: one-edit mutants of earlier cells


# ---------------------------------------------------------------- SED (the zero-shot proxy)


def test_sed_of_nb201_cells_by_hand():
    from benchmarks.sed_variants import SED_V2  # the round-1 path model (docs/sed.md)
    from narank.proxies.sed import FLOOR, sed_nb201, sed_nb201_nodes

    OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")  # op ids

    # ops per edge (0->1, 0->2, 1->2, 0->3, 1->3, 2->3); gains at 16 channels: none 0, skip 1,
    # conv1x1 16/2 = 8, conv3x3 9*16/2 = 72, avg-pool 1/9; a node sums the powers of its inputs
    def h(v: float) -> float:
        return 0.5 * math.log(v)

    cases = {
        "skip_connect": (2.0, 4.0),  # v1 = 1, v2 = 1 + 1, v3 = 1 + 1 + 2
        "nor_conv_1x1": (8 * 9, 8 * (1 + 8 + 72)),
        "nor_conv_3x3": (72 * 73, 72 * (1 + 72 + 72 * 73)),
        "avg_pool_3x3": (10 / 81, (1 + 1 / 9 + 10 / 81) / 9),
    }
    for op, (v2, v3) in cases.items():
        nodes = sed_nb201_nodes(np.array([[OPS.index(op)] * 6]), channels=16, design=SED_V2)[0]
        g = {"skip_connect": 1.0, "nor_conv_1x1": 8.0, "nor_conv_3x3": 72.0, "avg_pool_3x3": 1 / 9}[op]
        edges = [g, g, g * g, g, g * g, g * v2]  # the power each edge delivers: g * v(source)
        assert nodes == pytest.approx([0.0, *[h(e) for e in edges], h(v3)]), op
        cell = NB201.parse(f"|{op}~0|+|{op}~0|{op}~1|+|{op}~0|{op}~1|{op}~2|")
        # the cell score: the output node's entropy
        assert sed_nb201(np.array([cell.op_ids]), 16, SED_V2)[0] == pytest.approx(h(v3))
    mixed = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|nor_conv_1x1~2|"
    nodes = sed_nb201_nodes(np.array([NB201.parse(mixed).op_ids]), channels=16, design=SED_V2)[0]
    assert nodes == pytest.approx([0.0, h(72), FLOOR, h(72), FLOOR, FLOOR, h(576), h(576)])
