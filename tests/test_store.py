"""The Parquet result store: round trip, first row wins, compaction, resume, two concurrent writers."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from narank.atomic import atomic_write, atomic_write_bytes
from narank.proxies import cache as cache_mod
from narank.proxies.cache import compute_scores, proxy_store
from narank.spaces.nb201 import all_cells
from narank.store import ResultStore, StoreError

TINY_LR = dict(n_inits=1, n_samples=50)


def test_round_trip_lookup_and_first_row_wins(tmp_path):
    store = ResultStore(tmp_path / "s", {"what": "test"})
    assert len(store) == 0 and store.lookup(["a"])[1].tolist() == [False]
    store.append(["a", "b"], value=np.array([1.0, np.nan]))
    store.append(["b", "c"], value=np.array([9.0, 3.0]))
    values, found = store.lookup(["c", "b", "a", "z"])
    assert found.tolist() == [True, True, True, False]
    assert values[0] == 3.0 and np.isnan(values[1]) and values[2] == 1.0 and np.isnan(values[3])
    assert (tmp_path / "s" / "meta.json").is_file() and len(store.parts()) == 2
    assert store.compact() == 2 and len(store.parts()) == 1
    again = ResultStore(tmp_path / "s")
    assert sorted(again.read()["id"].tolist()) == ["a", "b", "c"]
    assert np.array_equal(again.lookup(["c", "a"])[0], [3.0, 1.0])


def test_corrupt_part_and_unwritable_folder(tmp_path):
    store = ResultStore(tmp_path / "s")
    store.append(["a"], value=[1.0])
    (tmp_path / "s" / "part-00000000000000000000-1-bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(StoreError, match="delete the file"):
        ResultStore(tmp_path / "s").read()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot write"):
        ResultStore(blocker / "s").append(["a"], value=[1.0])


def test_resume_computes_only_missing(tmp_path, monkeypatch):
    cells = list(all_cells()[:8])
    monkeypatch.setattr(cache_mod, "FLUSH_SECONDS", 0.0)  # every result is written at once
    real = cache_mod.compute_one
    calls: list[str] = []

    def crash_after_five(proxy, cell, params):
        if len(calls) == 5:
            raise KeyboardInterrupt("killed")
        calls.append(cell.arch_str if hasattr(cell, "arch_str") else str(cell))
        return real(proxy, cell, params)

    monkeypatch.setattr(cache_mod, "compute_one", crash_after_five)
    with pytest.raises(KeyboardInterrupt):
        compute_scores("lr", cells, cache_root=tmp_path, progress=False, **TINY_LR)
    store = proxy_store("lr", "nb201", "cifar10", cache_mod.default_params("lr", "cifar10", 0, **TINY_LR),
                        tmp_path)
    assert len(store) == 5  # nothing finished was lost
    counted: list[int] = []
    monkeypatch.setattr(cache_mod, "compute_one", lambda p, c, k: counted.append(1) or real(p, c, k))
    resumed = compute_scores("lr", cells, cache_root=tmp_path, progress=False, **TINY_LR)
    assert len(counted) == 3  # only the missing cells
    fresh = compute_scores("lr", cells, use_cache=False, progress=False, **TINY_LR)
    np.testing.assert_array_equal(resumed, fresh)


def test_flush_rule_bounds_what_a_kill_loses():
    """At most 1% of a sweep (or 0.2 s of work) is pending; a part is not written per cell."""
    due = cache_mod._flush_due
    assert due(10, 0.2, 1000) and not due(9, 1.9, 1000)      # 1% of 1,000 cells pending
    assert not due(10, 0.1, 1000)                            # ... but not more often than 0.2 s
    assert due(1, 2.0, 10**6) and due(2000, 0.0, 10**6)      # always by 2 s or 2,000 rows
    assert due(1, 0.2, 50) and not due(1, 0.19, 50)          # tiny sweeps: every result


WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from narank.store import ResultStore
    store = ResultStore(sys.argv[1])
    offset = int(sys.argv[2])
    for k in range(40):
        ids = [f"c{offset + 3 * k + j}" for j in range(3)]
        store.append(ids, value=np.array([float(offset + 3 * k + j) for j in range(3)]))
        if k % 10 == 9:
            store.compact()
""")


def test_two_concurrent_writers(tmp_path):
    path = tmp_path / "shared"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(offset)])
             for offset in (0, 60)]  # ids overlap in c60..c119
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    data = ResultStore(path).read()
    ids = data["id"].tolist()
    assert len(ids) == len(set(ids)) == 180
    assert all(float(i[1:]) == v for i, v in zip(ids, data["value"]))


def test_atomic_write_makes_folders_and_leaves_nothing_half_written(tmp_path):
    path = atomic_write_bytes(tmp_path / "a" / "b" / "out.bin", b"old")
    assert path.read_bytes() == b"old"

    def fail_midway(fh):
        fh.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, fail_midway)
    assert path.read_bytes() == b"old" and sorted(p.name for p in path.parent.iterdir()) == ["out.bin"]
