"""EZNAS: statistics, safe primitives, programs (save/load, the published formula by hand), evolution."""

from __future__ import annotations

import math
import pickle
import random

import numpy as np
import pytest
import torch
from torch import nn

from narank.eznas import evolve as ev
from narank.eznas.primitives import LOGDET_FLOOR, namespace
from narank.eznas.program import PUBLISHED, Program, published
from narank.eznas.state import load_checkpoint
from narank.eznas.stats import TENSORS, NetworkStats, Packed, StatsSettings, collect_stats, conv_blocks
from narank.spaces import get_space

CELL = "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|none~2|"
SMALL = StatsSettings(channels=4, batch=4, resolution=8)


@pytest.fixture(scope="module")
def cell():
    return get_space("nb201").parse(CELL)


@pytest.fixture(scope="module")
def stats(cell):
    return collect_stats(cell, SMALL)


def test_statistic_shapes_per_block(cell, stats):
    torch.manual_seed(SMALL.seed)
    model = get_space("nb201").network(cell, channels=4, cells=1, num_classes=10)
    blocks = conv_blocks(model)
    # 3 conv edges per cell x 3 stages + 2 per reduction block x 2
    assert len(stats.blocks) == len(blocks) == 13
    for block, module in zip(stats.blocks, blocks):
        conv = module[1]
        assert set(block) == set(TENSORS) and len(TENSORS) == 22
        c_in, c_out = conv.in_channels, conv.out_channels
        for name, packed in block.items():
            shape = packed.values.shape
            if name == "w" or name.startswith("gw"):
                assert shape == tuple(conv.weight.shape)
            elif "_in_" in name:
                assert shape[:2] == (4, c_in)
            else:
                assert shape[:2] == (4, c_out)
            assert packed.values.dtype == np.float16
    # the data and noise passes differ, the weight is shared
    b = stats.block_arrays().__next__()
    assert not np.allclose(b["a_in_data"], b["a_in_noise"])


def test_packing_keeps_tiny_gradients():
    x = np.array([1e-9, -3e-10, 0.0], dtype=np.float32)
    assert np.allclose(Packed.pack(x).unpack(), x, rtol=1e-3, atol=0)


def test_statistics_deterministic_per_seed(cell):
    a = collect_stats(cell, SMALL).blocks[2]
    b = collect_stats(cell, SMALL).blocks[2]
    c = collect_stats(cell, StatsSettings(channels=4, batch=4, resolution=8, seed=1)).blocks[2]
    assert all(np.array_equal(a[k].values, b[k].values) and a[k].scale == b[k].scale for k in a)
    assert not np.array_equal(a["w"].values, c["w"].values)


@pytest.mark.parametrize(
    "x",
    [
        np.zeros((3, 2, 4, 4)),
        -np.abs(np.random.default_rng(0).normal(size=(3, 2, 4, 4))),
        np.ones((3, 2, 4, 4)),
        np.full((2, 2, 1, 1), -1e30),
    ],
    ids=["zeros", "negatives", "singular", "huge"],
)
def test_primitives_safe(x):
    """Every primitive on zeros, negatives, singular (all-ones) and huge tensors: no error, finite."""
    names = namespace()
    for name, fn in names.items():
        if name == "one":
            continue
        with np.errstate(all="ignore"):
            if name.endswith("_s"):
                arity = 2 if name[:-2] in ("add", "sub", "mul", "div", "max", "min") else 1
                value = fn(*([float(x.flat[0])] * arity))
            else:
                binary = name.rsplit("_", 1)[0] in (
                    "add",
                    "sub",
                    "mul",
                    "div",
                    "max",
                    "min",
                    "greater",
                    "less",
                    "cosine",
                )
                value = fn(x, x) if binary else fn(x)
        overflowing = (
            "square",
            "exp",
            "mul",
            "sum",
            "frobenius",
            "inv",
            "div",
            "std",
            "add",
            "sub",
            "kernel_logdet",
        )
        if name.startswith(overflowing) and np.abs(x).max() > 1e20:
            continue  # float overflow of huge values is allowed: it becomes NaN at scoring
        assert np.all(np.isfinite(value)), (name, value)


def test_logdet_singular_and_hand_value():
    names = namespace()
    ones = np.ones((1, 1, 3, 3))
    assert names["logdet_in"](ones).item() == LOGDET_FLOOR
    m = np.array([[[[2.0, 1.0], [1.0, 3.0]]]])  # det 5
    assert names["logdet_in"](m).item() == pytest.approx(math.log(5))
    assert names["logdet_in"](-m).item() == pytest.approx(math.log(5))  # |det|
    assert np.isfinite(names["kernel_logdet_in"](np.zeros((4, 3, 2, 2))))


def test_program_round_trip(tmp_path, stats):
    program = Program("mean_out(mul_out(a_out_data, g_out_noise))", SMALL, {"note": "x"})
    path = program.save(tmp_path / "prog.json")
    assert (tmp_path / "prog.txt").read_text().strip() == program.formula
    again = Program.load(path)
    assert again.formula == program.formula and again.settings == program.settings
    assert again.score_stats(stats) == program.score_stats(stats)
    assert math.isfinite(program.score_stats(stats))


def test_program_errors(tmp_path):
    from narank.errors import NarankError

    with pytest.raises(NarankError, match="unknown name 'nope'"):
        Program("mean_in(nope)")
    with pytest.raises(NarankError, match="'sign_in' gives In, but float is needed"):
        Program("sign_in(g_in_data)")
    with pytest.raises(NarankError, match="expected ','"):
        Program("cosine_in(g_in_data)")
    with pytest.raises(NarankError, match="after the end"):
        Program("mean_in(g_in_data) one")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(NarankError, match="'formula'"):
        Program.load(bad)
    with pytest.raises(NarankError, match="no such"):
        Program.load(tmp_path / "missing.json")


def test_nan_block_gives_nan_score():
    block = {name: Packed.pack(np.ones((2, 2, 2, 2), np.float32)) for name in TENSORS}
    block["a_in_data"] = Packed(np.full((2, 2, 2, 2), np.nan, np.float16), 1.0)
    stats = NetworkStats([block])
    assert math.isnan(Program("mean_in(a_in_data)").score_stats(stats))
    assert Program("mean_in(g_in_data)").score_stats(stats) == 1.0


def test_published_formula_by_hand():
    """frobenius(sigmoid(logdet(sign(dL/d relu input)))) on one ReLU-Conv-BN block, 2x2 images."""
    torch.manual_seed(3)
    block = nn.Sequential(nn.ReLU(), nn.Conv2d(3, 2, 1, bias=False), nn.BatchNorm2d(2))
    model = nn.Sequential(block, nn.Flatten(), nn.Linear(8, 10))
    x = torch.randn(2, 3, 2, 2)
    y = torch.tensor([1, 7])
    noise = torch.randn(2, 3, 2, 2)
    stats = collect_stats(None, StatsSettings(batch=2, resolution=2), batch=(x, y, noise), model=model)
    # by hand: the gradient of the loss at the block input, through autograd on a fresh copy
    xr = x.clone().requires_grad_(True)
    model.train()
    nn.functional.cross_entropy(model(xr), y).backward()
    s = np.sign(xr.grad.numpy())  # [2, 3, 2, 2]
    total = 0.0
    for b in range(2):
        for c in range(3):
            (p, q), (r, t) = s[b, c]
            det = abs(p * t - q * r)  # 0 or 2 for a matrix of signs
            sigmoid = 1.0 / (1.0 + math.exp(-math.log(det))) if det > 0 else 0.0  # log det = -1000
            total += sigmoid**2
    assert 0 < total < 6
    assert published().score_stats(stats) == pytest.approx(math.sqrt(total), rel=1e-6)
    assert PUBLISHED.startswith("frobenius_in(sigmoid_in(logdet_in(sign_in(g_in_data")


def test_cifar_batch_images_feed_the_statistics(tmp_path, cell):
    """A tiny file in the CIFAR-10 python batch format is read and used as the data pass."""
    rng = np.random.default_rng(0)
    batch = {b"data": rng.integers(0, 256, (6, 3072), dtype=np.uint8), b"labels": [0, 1, 2, 3, 4, 5]}
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(batch))
    settings = StatsSettings(channels=4, batch=4, resolution=8, images=str(path))
    stats = collect_stats(cell, settings)
    digits = collect_stats(cell, SMALL)
    a = next(stats.block_arrays())["a_in_data"]
    assert a.shape[0] == 4 and not np.allclose(a, next(digits.block_arrays())["a_in_data"])


def test_fitness_counts_failures():
    acc = np.arange(10.0)
    subsets = [np.arange(10)]
    assert ev.fitness(acc.copy(), acc, subsets) == (pytest.approx(1.0), "ok")
    assert ev.fitness(np.where(acc > 5, np.nan, acc), acc, subsets) == (ev.WORST, "nan")
    assert ev.fitness(np.ones(10), acc, subsets) == (ev.WORST, "constant")


def _synthetic_pool(tmp_path, n=48, seed=0):
    """Random statistics whose output-side tensors share one scale per network, the others not;
    accuracy = a known program's score, so tau 1 is reachable only through output-side tensors."""
    rng = np.random.default_rng(seed)
    nets = []
    for _ in range(n):
        out_scale = rng.uniform(0.1, 3)
        blocks = []
        for _b in range(2):
            block = {}
            for name in TENSORS:
                shape = (2, 2, 1, 1) if name == "w" or name.startswith("gw") else (4, 2, 3, 3)
                scale = out_scale if "_mid_" in name or "_out_" in name else rng.uniform(0.1, 3)
                block[name] = Packed.pack(rng.normal(size=shape).astype(np.float32) * scale)
            blocks.append(block)
        nets.append(NetworkStats(blocks))
    answer = Program("frobenius_out(a_mid_noise)")
    acc = np.array([answer.score_stats(s) for s in nets])
    path = ev.save_pool(tmp_path / "pool.npz", nets, {"synthetic": seed})
    return path, acc


def test_evolution_improves_on_synthetic_problem(tmp_path):
    path, acc = _synthetic_pool(tmp_path)
    config = ev.EvolveConfig(population=24, generations=8, seed=0, subsets=2, subset_size=32)
    cache, log, _, control = ev.evolve_on_pool(path, acc, config, tmp_path / "run", progress=False)
    assert log[-1]["best"] >= 0.9 and log[-1]["best"] >= log[0]["best"]
    assert log[-1]["median"] >= log[0]["median"] + 0.5  # the population, not one lucky program
    assert "out" in log[-1]["best_formula"]  # found through the output-side tensors
    assert len(cache) > config.population  # new programs were made and scored


@pytest.mark.parametrize("islands", [1, 2])
def test_evolution_resumes_identically(tmp_path, islands):
    path, acc = _synthetic_pool(tmp_path, n=24)
    kw = {"seed": 5, "subsets": 1, "subset_size": 20, "islands": islands, "migration_every": 2}
    full = ev.EvolveConfig(population=10, generations=3, **kw)
    _, log_full, _, _ = ev.evolve_on_pool(path, acc, full, tmp_path / "a", progress=False)
    random.seed(123)  # the resumed run must restore its own RNG states, not use the process's
    part = ev.EvolveConfig(population=10, generations=2, **kw)
    ev.evolve_on_pool(path, acc, part, tmp_path / "b", progress=False)
    random.seed(999)
    _, log_resumed, _, _ = ev.evolve_on_pool(path, acc, full, tmp_path / "b", progress=False)
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in log_full]
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in log_resumed] == strip
    state, caches = load_checkpoint(tmp_path / "b" / ev.CHECKPOINT)
    assert state["generation"] == 3 and set(caches) == {"cache", "control"}
    from narank.errors import NarankError

    other = ev.EvolveConfig(population=12, generations=3, **kw)
    with pytest.raises(NarankError, match="different evolution run"):
        ev.evolve_on_pool(path, acc, other, tmp_path / "b", progress=False)


def test_evolution_resumes_a_run_folder_of_the_old_form(tmp_path):
    """A run folder whose checkpoint is the `.npz` of an older narank resumes as a current one does
    (the same log), and the first checkpoint written then replaces the old file."""
    from narank.eznas.state import CHECKPOINT_FORMAT, _write_npz

    path, acc = _synthetic_pool(tmp_path, n=24)
    kw = {"seed": 5, "subsets": 1, "subset_size": 20}
    full = ev.EvolveConfig(population=10, generations=3, **kw)
    _, log_full, _, _ = ev.evolve_on_pool(path, acc, full, tmp_path / "a", progress=False)
    run_dir = tmp_path / "b"
    ev.evolve_on_pool(path, acc, ev.EvolveConfig(population=10, generations=2, **kw), run_dir, progress=False)
    state, caches = load_checkpoint(run_dir / ev.CHECKPOINT)
    state["log"][0]["from"] = "npz"  # shows that the run resumed instead of starting over
    header = {"format": CHECKPOINT_FORMAT, "state": state, "caches": {k: list(c) for k, c in caches.items()}}
    arrays = {f"cache_{k}": np.array([c[f] for f in c], dtype=np.float64).reshape(len(c), -1)
              for k, c in caches.items()}
    _write_npz(run_dir / ev.LEGACY_CHECKPOINT, header, arrays)  # what narank wrote before
    (run_dir / ev.CHECKPOINT).unlink()
    _, log_resumed, _, _ = ev.evolve_on_pool(path, acc, full, run_dir, progress=False)
    assert log_resumed[0]["from"] == "npz"
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in log_full]
    assert [{k: v for k, v in r.items() if k not in ("seconds", "from")} for r in log_resumed] == strip
    assert (run_dir / ev.CHECKPOINT).is_file() and not (run_dir / ev.LEGACY_CHECKPOINT).exists()


def _population(run_dir):
    state, _ = load_checkpoint(run_dir / ev.CHECKPOINT)
    return state["population"], state["fitness"]


@pytest.mark.parametrize("every, moves", [(1, True), (5, False)])
def test_islands_exchange_only_their_best_at_migration(tmp_path, every, moves):
    """With every program kept (elite = island size), a generation changes an island only through
    migration: the other island's best replaces its worst, and nothing moves between migrations."""
    path, acc = _synthetic_pool(tmp_path, n=24)
    kw = {"population": 8, "seed": 3, "subsets": 1, "subset_size": 20, "islands": 2, "elite": 4,
          "migration_every": every, "migrants": 1}
    ev.evolve_on_pool(path, acc, ev.EvolveConfig(generations=1, **kw), tmp_path / "r", progress=False)
    before, fit = _population(tmp_path / "r")
    ev.evolve_on_pool(path, acc, ev.EvolveConfig(generations=2, **kw), tmp_path / "r", progress=False)
    after, _ = _population(tmp_path / "r")
    best = [max(zip(fit[a:a + 4], before[a:a + 4]))[1] for a in (0, 4)]
    worst = [min(zip(fit[a:a + 4], before[a:a + 4]))[1] for a in (0, 4)]
    for island, other in ((0, 1), (1, 0)):
        expected = set(before[4 * island:4 * island + 4])
        if moves:
            expected = expected - {worst[island]} | {best[other]}
        assert set(after[4 * island:4 * island + 4]) == expected


def test_island_settings_checked():
    from narank.errors import NarankError

    assert ev.EvolveConfig(population=10, islands=3).island_sizes() == [4, 3, 3]
    with pytest.raises(NarankError, match="at least 4 programs each"):
        ev.EvolveConfig(population=10, islands=3).check()


def test_candidates_are_distinct_programs():
    """A program that orders the pool like a better one (a monotone transform of it) is not a
    second candidate; one that orders it differently is."""
    base = np.arange(20.0)
    cache = {"a": base, "a cubed": base**3 + 1, "b": np.roll(base, 7), "b twin": np.roll(base, 7) * 2}
    assert ev.distinct_programs(list(cache), cache, 5, 0.99) == ["a", "b"]
    assert ev.distinct_programs(list(cache), cache, 1, 0.99) == ["a"]


def test_evolve_cli_end_to_end(tmp_path, nb201_csv, capsys):
    """`narank evolve` on a tiny pool writes a program `narank proxies --proxy eznas:` reads."""
    from narank.cli import main

    out = tmp_path / "prog.json"
    args = [
        "evolve",
        "--space",
        "nb201",
        "--population",
        "6",
        "--generations",
        "2",
        "--pool",
        "12",
        "--out",
        str(out),
        "--data",
        str(nb201_csv),
        "--json",
        "--batch",
        "4",
    ]
    assert main(args) == 0
    program = Program.load(out)
    assert program.settings.batch == 4 and len(program.meta["evolution_ids"]) == 12
    assert not set(program.meta["evolution_ids"]) & set(program.meta["validation_ids"])
    capsys.readouterr()
    assert (
        main(
            [
                "proxies",
                "--space",
                "nb201",
                "--proxy",
                f"eznas:{out}",
                "--limit",
                "3",
                "--no-cache",
                "--data",
                str(nb201_csv),
                "--json",
            ]
        )
        == 0
    )
    assert '"n": 3' in capsys.readouterr().out
    assert main(args) == 0  # a finished run resumes: nothing left to do, same program
    assert Program.load(out).formula == program.formula


def test_evolve_cli_bad_input(tmp_path, capsys):
    from narank.cli import main

    assert main(["evolve", "--space", "nb201", "--population", "2", "--out", str(tmp_path / "p.json")]) == 2
    assert "--population" in capsys.readouterr().err
    assert main(["evolve", "--space", "nb201", "--out", str(tmp_path / "p.txt")]) == 2
    assert (
        main(
            [
                "evolve",
                "--space",
                "nb201",
                "--out",
                str(tmp_path / "p.json"),
                "--images",
                str(tmp_path / "nothing"),
            ]
        )
        == 2
    )
    assert main(["proxies", "--space", "nb201", "--proxy", "eznas:/no/such.json"]) == 2


def test_program_as_ranker_node_feature(tmp_path, monkeypatch, cell):
    from narank.eznas.features import register_program_feature
    from narank.graphs import to_graph

    monkeypatch.setenv("NARANK_CACHE", str(tmp_path / "cache"))
    program = Program("mean_out(abs_out(g_out_data))", SMALL)
    path = program.save(tmp_path / "feature.json")
    register_program_feature(path, "eznas-test")
    column = to_graph(cell, ("eznas-test",)).x[:, -1].numpy()
    value = program.score(cell)
    assert np.allclose(column, np.sign(value) * np.log1p(abs(value)), rtol=1e-5)


def test_gaussian_images_only_when_asked(cell, stats):
    """'gaussian' replaces the data pass by noise (an explicit option); the noise pass is unchanged."""
    noisy = collect_stats(cell, StatsSettings(channels=4, batch=4, resolution=8, images="gaussian"))
    first, base = next(noisy.block_arrays()), next(stats.block_arrays())
    assert np.array_equal(first["a_in_noise"], base["a_in_noise"])
    assert not np.allclose(first["a_in_data"], base["a_in_data"])


def test_shape_only_program_is_penalized():
    """sqrt(numel) of a block (Frobenius norm of a normalized tensor) ranks nets by width alone: its tau
    survives random tensors of the same shapes, so the evolution subtracts the excess; a program
    reading the values does not keep its tau on random tensors."""
    rng = np.random.default_rng(0)
    nets = []
    for width in range(1, 25):
        block = {name: Packed.pack(rng.normal(size=(2, width, 1, 1) if name.startswith(("w", "gw"))
                                              else (4, width, 2, 2)).astype(np.float32) * width)
                 for name in TENSORS}
        nets.append(NetworkStats([block]))
    acc = np.arange(24.0)
    shape = Program("frobenius_in(normalize_in(a_in_data))")
    values = Program("std_in(a_in_data)")
    control = [ev.random_like(s, i) for i, s in enumerate(nets)]
    assert ev.kendall(np.array([shape.score_stats(s) for s in nets]), acc) == pytest.approx(1.0)
    assert ev.shape_excess(np.array([shape.score_stats(s) for s in control]), acc, 0.2) == pytest.approx(0.8)
    assert ev.kendall(np.array([values.score_stats(s) for s in nets]), acc) > 0.95
    assert ev.shape_excess(np.array([values.score_stats(s) for s in control]), acc, 0.2) == 0.0


def test_build_network_leaves_the_global_rng_alone():
    import torch

    from narank.eznas.stats import StatsSettings, build_network
    from narank.spaces import get_space

    cell = get_space("nb201").enumerate()[123]
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    a = build_network(cell, StatsSettings())
    assert torch.equal(torch.rand(3), expected)
    b = build_network(cell, StatsSettings())
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_saved_pool_is_reused_by_its_sidecar_and_redone_for_other_cells(tmp_path, monkeypatch):
    space = get_space("nb201")
    cells = [space.parse(CELL), *space.sample(1, 1)]
    path = ev.compute_pool(cells, SMALL, 10, tmp_path / "pool.npz", progress=False)
    assert ev.pool_meta(path)["ids"] == [space.canonical_id(c) for c in cells]
    assert (tmp_path / "pool.meta.json").exists()

    def refuse(*args, **kwargs):
        raise AssertionError("statistics recomputed")

    monkeypatch.setattr(ev, "collect_stats", refuse)
    before = path.stat().st_mtime_ns
    assert ev.compute_pool(cells, SMALL, 10, path, progress=False) == path  # same cells: kept
    assert path.stat().st_mtime_ns == before
    with pytest.raises(AssertionError, match="recomputed"):
        ev.compute_pool(cells[:1], SMALL, 10, path, progress=False)  # other cells: redone


def test_pool_killed_between_its_two_writes_is_not_mistaken(tmp_path, monkeypatch):
    """The statistics are replaced, then the kill comes before the new sidecar: the old sidecar
    must not vouch for the new statistics."""
    one, two = NetworkStats([]), NetworkStats([], seconds=1.0)
    path = ev.save_pool(tmp_path / "pool.npz", [one], {"ids": ["a"]})
    real = ev.atomic_write_bytes

    def killed_at_sidecar(target, data):
        if str(target).endswith(".meta.json"):
            raise KeyboardInterrupt
        return real(target, data)

    monkeypatch.setattr(ev, "atomic_write_bytes", killed_at_sidecar)
    with pytest.raises(KeyboardInterrupt):
        ev.save_pool(path, [two], {"ids": ["b"]})
    assert ev.pool_meta(path) == {"ids": ["b"]}  # read from the statistics file itself


def test_published_proxy_at_the_papers_size(cell):
    """`eznas-published-full` is the published formula on NB201's full network with batch 16;
    `eznas-published` the same formula on the small default networks."""
    from narank.eznas.program import PUBLISHED_SIZE
    from narank.proxies.cache import compute_scores, default_params

    params = default_params("eznas-published-full", "cifar10", 0)
    assert (params["channels"], params["cells"], params["resolution"], params["batch"]) == (16, 5, 32, 16)
    full = compute_scores("eznas-published-full", [cell], use_cache=False, progress=False)[0]
    small = compute_scores("eznas-published", [cell], use_cache=False, progress=False)[0]
    assert full == pytest.approx(Program(PUBLISHED, PUBLISHED_SIZE).score(cell), rel=1e-6)
    assert small == pytest.approx(published().score(cell), rel=1e-6) and small != pytest.approx(full)
