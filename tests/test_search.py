"""Search: budget accounting, per-seed determinism, sampler constraints, `sample` without data."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from narank.benchmarks import BenchmarkTable, NotInTableError, load_table
from narank.cli import main
from narank.errors import NarankError
from narank.search.bananas import bananas_search
from narank.search.baselines import random_search, rea, uniform_search
from narank.search.harness import parse_methods, run_method, summarise
from narank.search.loop import SearchConfig, make_ranker, ranker_search
from narank.search.oracle import BudgetExhausted, DuplicateLookup, Oracle, oracle_table
from narank.search.predictor_guided import GuidedConfig, xgb_search
from narank.search.protocol import initial_cells
from narank.search.tier_stats import (
    CellPool,
    TierSampler,
    bin_index,
    cell_key,
    compute_tier_stats,
    space_features,
    space_pool,
    tier_stats_from,
)
from narank.spaces import nb101, nb201

torch.set_num_threads(1)
FAST = SearchConfig(init=8, k=4, candidates=48, mutate_top=2, stats_samples=200, epochs=4,
                    update_epochs=2, dim=16, layers=1)


FAST_GUIDED = GuidedConfig(init=8, k=4, candidates=48, mutate_top=2)
QUERY_METHODS = ["narank", "narank-noprior", "narank-nar", "uniform", "uniform-noprior", "bananas",
                 "xgb-graf", "rea", "random"]


def _run(method: str, otable, budget: int, seed: int):
    if method == "narank":
        return ranker_search(otable, budget, seed, FAST)
    if method == "narank-noprior":
        return ranker_search(otable, budget, seed, replace(FAST, prior=None))
    if method == "uniform-noprior":
        return uniform_search(otable, budget, seed, replace(FAST, prior=None))
    if method == "narank-nar":
        return ranker_search(otable, budget, seed, replace(FAST, sampler="nar", random_frac=0.2, prior=None))
    if method == "uniform":
        return uniform_search(otable, budget, seed, FAST)
    if method == "bananas":
        return bananas_search(otable, budget, seed, FAST_GUIDED)
    if method == "xgb-graf":
        return xgb_search(otable, budget, seed, FAST_GUIDED)
    return rea(otable, budget, seed) if method == "rea" else random_search(otable, budget, seed)


# ------------------------------------------------------------------------- budget accounting


def test_oracle_counts_every_lookup_and_stops_at_budget(c10):
    oracle = Oracle(c10, 3)
    cells = initial_cells(c10, 0, 4)
    for cell in cells[:3]:
        oracle.query(cell)
    assert oracle.used == 3 and oracle.remaining == 0
    with pytest.raises(BudgetExhausted):
        oracle.query(cells[3])
    assert oracle.used == 3


def test_oracle_refuses_a_functional_duplicate_without_charging(c10):
    # two cells with different ids computing the same function (the same NB201 unique string)
    a = nb201.NB201Cell(("nor_conv_3x3", "none", "none", "none", "none", "none"))
    b = nb201.NB201Cell(("nor_conv_3x3", "none", "avg_pool_3x3", "none", "none", "none"))
    assert c10.space.canonical_id(a) != c10.space.canonical_id(b) and cell_key(a) == cell_key(b)
    oracle = Oracle(c10, 5)
    oracle.query(a)
    assert oracle.seen(b) and not oracle.fresh(b)
    with pytest.raises(DuplicateLookup):
        oracle.query(b)
    assert oracle.used == 1


@pytest.mark.parametrize("method", QUERY_METHODS)
def test_methods_spend_exactly_the_budget_under_the_protocol(c10, method):
    run = _run(method, c10, 14, seed=1)
    assert run.queries == 14
    assert len({cell_key(q.cell) for q in run.history}) == 14  # no function looked up twice
    pick = run.pick()
    assert pick.valid_acc == max(q.valid_acc for q in run.history)
    assert len(run.curve()) == 14
    # the shared initial cells: every method starts from the same prefix of the seed's order
    n_init = 10 if method == "rea" else 8
    first = [c10.space.canonical_id(c) for c in initial_cells(c10, 1, n_init)]
    assert [q.id for q in run.history[:n_init]] == first


@pytest.mark.parametrize("method", QUERY_METHODS)
def test_truncated_run_equals_smaller_budget(c10, method):
    long, short = _run(method, c10, 20, seed=5), _run(method, c10, 14, seed=5)
    assert [q.id for q in long.truncated(14).history] == [q.id for q in short.history]


def test_nb101_methods_draw_from_the_pool(nb101_csv: Path):
    full = load_table("nb101", nb101_csv)
    small = BenchmarkTable("nb101", full.metrics.iloc[:1500])  # a small pool: mutations leave it often
    otable = oracle_table(small, "cifar10")
    for method in ("rea", "xgb-graf"):
        run = _run(method, otable, 24, seed=0)
        assert run.queries == 24 and all(otable.has(q.cell) for q in run.history)
        assert len({cell_key(q.cell) for q in run.history}) == 24


# ------------------------------------------------------------------------------ determinism


@pytest.mark.parametrize("method", QUERY_METHODS)
def test_same_seed_same_run(c10, method):
    a, b = _run(method, c10, 16, seed=7), _run(method, c10, 16, seed=7)
    assert [q.id for q in a.history] == [q.id for q in b.history]
    c = _run(method, c10, 16, seed=8)
    assert [q.id for q in a.history] != [q.id for q in c.history]


# ------------------------------------------------------------------------------- sampler


def _synthetic_stats(dataset: str = "cifar10") -> dict:
    """Tier 1 = the most expensive fifth of the space: a clearly skewed top tier."""
    feats = space_features("nb201", dataset)
    order = np.argsort(-feats["flops_M"], kind="stable")
    tiers = np.empty(len(order), dtype=int)
    tiers[order] = np.arange(len(order)) * 5 // len(order) + 1
    return tier_stats_from("nb201", dataset, feats, tiers, 5)


def test_stats_are_json_and_skewed():
    stats = _synthetic_stats()
    assert json.loads(json.dumps(stats)) == stats
    assert stats["kl_top_bottom"] > 1.0
    assert sum(stats["counts"]) == nb201.NUM_CELLS


def test_sampler_honours_targets_exclusions_and_random_fraction():
    stats = _synthetic_stats()
    sampler = TierSampler(stats, threshold=0.1, random_frac=0.25)
    assert sampler.active
    pool = space_pool("nb201", "cifar10")
    exclude = {c.iso_key for c in nb201.sample(500, 0)}
    res = sampler.sample(200, np.random.default_rng(0), pool, exclude=exclude)
    assert len(res.cells) == 200
    keys = [cell_key(c) for c in res.cells]
    assert len(set(keys)) == 200 and not set(keys) & exclude
    assert res.misses == 0 and res.targeted.sum() == 150
    top = np.asarray(stats["joint"]["hist"][0])
    feats = space_features("nb201", "cifar10")
    idx = np.array([c.index for c in res.cells])
    bins = sampler.joint_bin(feats["flops_M"][idx], feats["params_M"][idx])
    assert (top[bins[res.targeted]] > 0).all()  # every targeted cell fits a top-tier bin
    cut = stats["edges"]["flops_M"][int(bin_index([np.min(feats["flops_M"][idx][res.targeted])],
                                                  stats["edges"]["flops_M"])[0])]
    assert cut > np.median(feats["flops_M"])


def test_sampler_is_uniform_below_threshold_or_when_asked():
    stats = _synthetic_stats()
    pool = space_pool("nb201", "cifar10")
    for sampler in (TierSampler(stats, threshold=1e9), TierSampler(stats, uniform=True)):
        res = sampler.sample(50, np.random.default_rng(1), pool)
        assert not res.active and not res.targeted.any() and len(res.cells) == 50


def test_nb101_sampler_gives_valid_cells():
    rng = np.random.default_rng(0)
    cells = nb101.sample(300, rng)
    from narank.search.tier_stats import cell_features

    feats = cell_features("nb101", cells, "cifar10")
    tiers = np.where(feats["params_M"] >= np.quantile(feats["params_M"], 0.8), 1, 3)
    stats = tier_stats_from("nb101", "cifar10", feats, tiers, 5)
    assert "num_vertices" in stats["hist"] and "op:maxpool3x3" in stats["hist"]
    pool = space_pool("nb101", "cifar10")
    assert isinstance(pool, CellPool) and pool.cells is None
    res = TierSampler(stats, threshold=0.0, max_tries=50).sample(20, rng, pool)
    assert len(res.cells) == 20
    for cell in res.cells:
        again = nb101.NB101Cell.from_spec(cell.matrix, cell.ops)  # re-validates the rules
        assert again.hash == cell.hash
        assert cell.num_vertices <= nb101.MAX_VERTICES and cell.num_edges <= nb101.MAX_EDGES


# ------------------------------------------------------------------- NB101 ground truth


def test_nb101_lookup_says_no_ground_truth(nb101_csv: Path):
    otable = oracle_table(load_table("nb101", nb101_csv), "cifar10")
    oracle = Oracle(otable, 5)
    outside = next(c for c in nb101.sample(200, 0) if not otable.has(c))
    with pytest.raises(NotInTableError, match="no ground truth"):
        oracle.query(outside)
    assert oracle.used == 0
    run = run_method("random", otable, 5, 0)
    assert run.queries == 5 and run.pick().test_acc is None


# ------------------------------------------------------------------ sample without data


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A small NB201 ranker trained on a synthetic target (no benchmark data), with tier stats."""
    cells = nb201.sample(120, 0, replace=False)
    target = np.array([c.flops_M("cifar10") for c in cells])
    ranker = make_ranker("nb201", "cifar10", SearchConfig(epochs=6, dim=16, layers=1), 0)
    ranker.fit(cells, target)
    ranker.manifest["tier_stats"] = compute_tier_stats(ranker, n_samples=1000, seed=0)
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    ranker.save(path)
    return path


def test_sample_works_without_data(checkpoint, tmp_path, monkeypatch, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("NARANK_DATA", str(empty))
    monkeypatch.chdir(empty)
    assert main(["sample", "--checkpoint", str(checkpoint), "--top", "4", "--candidates", "300",
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 4
    for row in rows:
        assert {"arch_str", "score", "tier"} <= set(row) and "test_acc" not in row
        nb201.NB201Cell.from_str(row["arch_str"])
    assert [r["tier"] for r in rows] == sorted(r["tier"] for r in rows)


def test_sample_by_pretrained_name(checkpoint, tmp_path, monkeypatch, capsys):
    import narank.pretrained as pretrained

    (tmp_path / "manifest.json").write_text(json.dumps({"tiny": {"file": str(checkpoint)}}))
    monkeypatch.setattr(pretrained, "CHECKPOINT_DIR", tmp_path)
    monkeypatch.setattr(pretrained, "MANIFEST", tmp_path / "manifest.json")
    monkeypatch.setenv("NARANK_DATA", str(tmp_path))
    assert main(["sample", "--pretrained", "tiny", "--top", "2", "--candidates", "100"]) == 0
    assert "tier statistics stored" in capsys.readouterr().out
    assert main(["sample", "--pretrained", "nope"]) == 2


# ----------------------------------------------------------------------------------- CLI


def test_search_cli_json_and_plot(c10, nb201_csv, tmp_path, capsys):
    plot = tmp_path / "p.png"
    assert main(["search", "--data", str(nb201_csv), "--budget", "12", "--seeds", "2",
                 "--methods", "rea,random", "--json", "--plot", str(plot)]) == 0
    out = json.loads(capsys.readouterr().out)
    for name in ("rea", "random"):
        m = out["methods"][name]
        assert {"test_acc_mean", "test_acc_std", "optimum_rate", "queries_max", "runs"} <= set(m)
        assert m["queries_max"] <= 12 and len(m["runs"]) == 2
        assert {"seed", "arch", "valid_acc", "test_acc", "queries"} <= set(m["runs"][0])
    assert plot.is_file() and plot.stat().st_size > 1000


def test_search_cli_bad_input(capsys):
    assert main(["search", "--methods", "narank,bogus", "--no-plot"]) == 2
    assert "bogus" in capsys.readouterr().err
    with pytest.raises(NarankError):
        parse_methods("")


def test_summary_counts_optimum(c10):
    runs = {"random": [run_method("random", c10, 10, s) for s in range(3)]}
    summary = summarise(runs, c10, 10)
    m = summary["methods"]["random"]
    assert 0.0 <= m["optimum_rate"] <= 1.0 and m["queries_max"] == 10
    assert summary["optimum"]["test_acc"] == pytest.approx(c10.best_test)


def test_run_method_refuses_unknown_settings(c10):
    with pytest.raises(NarankError, match="unknown search setting"):
        run_method("rea", c10, 12, 0, candidate=5)


def test_plot_panels_split_the_methods(c10, tmp_path):
    from matplotlib.image import imread

    from narank.search.harness import plot_curves

    runs = {m: [run_method(m, c10, 14, s) for s in range(2)] for m in ("rea", "random")}
    one, two = tmp_path / "one.png", tmp_path / "two.png"
    plot_curves(runs, 14, str(one), "t", optimum=94.37)
    plot_curves(runs, 14, str(two), "t", optimum=94.37, ceiling=94.0,
                panels=[("a", ("rea",)), ("b", ("random", "not-run"))])
    h1, w1 = imread(one).shape[:2]
    h2, w2 = imread(two).shape[:2]
    assert h1 == h2 and w2 == 2 * w1  # one panel per group, each the single plot's width
