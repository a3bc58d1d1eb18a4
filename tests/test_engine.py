"""The Dask engine: serial and LocalCluster sweeps agree, a lost worker loses no result, bad settings fail."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from narank.engine import EngineError, dask_client, map_items
from narank.proxies.cache import _proxy_value, compute_scores, default_params
from narank.spaces.nb201 import all_cells

TINY_NTK = dict(n_inits=1, batch_size=8, channels=4, resolution=8)


@pytest.fixture(scope="module")
def client():
    """narank's real LocalCluster: 2 worker processes, one thread each."""
    with dask_client(workers=2) as c:
        yield c


def test_cluster_workers_keep_glibc_default_trimming(client):
    """Dask's MALLOC_TRIM_THRESHOLD_=65536 makes torch allocations page-fault (NTK 1.7x slower)."""
    envs = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert len(envs) == 2 and set(envs.values()) == {None}


def test_serial_map_keeps_order_and_values():
    out = dict(map_items(abs, [-3, 2, -1], progress=False))
    assert out == {0: 3, 1: 2, 2: 1}


def test_cluster_sweep_equals_serial(client):
    cells = list(all_cells()[:6])
    serial = compute_scores("ntk", cells, use_cache=False, progress=False, **TINY_NTK)
    dist = compute_scores("ntk", cells, use_cache=False, progress=False, client=client, **TINY_NTK)
    np.testing.assert_array_equal(serial, dist)


def test_killed_worker_still_gives_complete_results(client):
    cells = list(all_cells()[100:112])
    shared = {"proxy": "ntk", "params": default_params("ntk", "cifar10", 0, **TINY_NTK)}
    serial = [_proxy_value(c, **shared) for c in cells]
    got: dict[int, float] = {}
    killed = False
    for i, value in map_items(_proxy_value, cells, client=client, chunk_size=1, shared=shared,
                              progress=False):
        got[i] = value
        if not killed:  # kill one worker process while the others' tasks are in flight
            pids = client.run(os.getpid)
            os.kill(pids[sorted(pids)[0]], signal.SIGKILL)
            killed = True
    assert killed and sorted(got) == list(range(len(cells)))
    np.testing.assert_array_equal([got[i] for i in range(len(cells))], serial)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_bad_worker_count(workers):
    with pytest.raises(EngineError, match="--workers"), dask_client(workers=workers):
        pass


@pytest.mark.parametrize("address", ["foo", "localhost:8786", "tcp://"])
def test_bad_scheduler_address(address):
    with pytest.raises(EngineError, match="scheduler address"), dask_client(scheduler=address):
        pass


def test_unreachable_scheduler_fails_clearly():
    with pytest.raises(EngineError, match="cannot reach"), dask_client(scheduler="tcp://127.0.0.1:1",
                                                                        timeout=1):
        pass


def test_cli_errors_exit_2(tmp_path, capsys):
    from narank.cli import main

    base = ["rank", "--space", "nb101", "--pretrained", "nb101"]
    assert main([*base, "--workers", "0"]) == 2
    assert main([*base, "--scheduler", "nowhere"]) == 2
    assert main([*base, "--out", str(tmp_path)]) == 2  # a folder: refused before the 423,624 cells
    assert main(["proxies", "--space", "nb201", "--proxy", "ntk", "--workers", "0"]) == 2
    assert "error" in capsys.readouterr().err


def _plus_first(x: float, k: list[float]) -> float:
    return x + k[0]


def test_calls_with_equal_shared_values_do_not_lose_each_others_data(client):
    """Equal shared values used to share one scattered key; releasing it cancelled the next call."""
    for _ in range(4):
        out = dict(map_items(_plus_first, list(range(12)), client=client, shared={"k": [1.0, 2.0]},
                             progress=False))
        assert out == {i: i + 1.0 for i in range(12)}
