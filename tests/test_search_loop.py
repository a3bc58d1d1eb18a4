"""One search loop: the table-driven search runs through the ask/tell Search, records failed
lookups without crashing or asking them again, and on Dask workers evaluations are asynchronous
(a free worker takes the next cell at once; nobody waits for the slowest of a batch)."""

from __future__ import annotations

import math
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from narank.evaluators.base import Evaluation
from narank.search.ask_tell import Search
from narank.search.harness import run_method, table_search
from narank.search.oracle import OracleTable


class FlakyTable(OracleTable):
    """An oracle table whose lookups crash for some cells and give NaN for others."""

    def lookup(self, cell: Any) -> tuple[str, float, float | None]:
        cid, valid, test = super().lookup(cell)
        if int(cid) % 4 == 0:
            raise RuntimeError(f"simulated crash on {cid}")
        if int(cid) % 4 == 1:
            return cid, float("nan"), test
        return cid, valid, test


@pytest.mark.parametrize("method", ["narank", "rea", "random", "xgb-graf"])
def test_table_search_records_failed_lookups_and_goes_on(c10, method):
    flaky = FlakyTable(c10.table, "cifar10")
    search = table_search(method, flaky, 24, 1)
    trials = search.trials()
    failed = [t for t in trials if not t.ok]
    ids = [t.id for t in trials]
    assert len(ids) == len(set(ids)) == 24 and search.finished  # every lookup spent, none twice
    assert failed and all(int(t.id) % 4 in (0, 1) for t in failed)
    assert any("simulated crash" in t.error for t in failed) and any("NaN" in t.error or "nan" in t.error
                                                                      for t in failed)
    keys = [search.space.iso_key(search.space.parse(t.arch)) for t in trials]
    assert len(keys) == len(set(keys))  # nor any cell computing the same function
    run = run_method(method, flaky, 24, 1)
    assert [q.id for q in run.history] == [t.id for t in trials if t.ok]
    assert [f["id"] for f in run.info["failed"]] == [t.id for t in failed]
    assert all(math.isfinite(q.valid_acc) for q in run.history)


def test_a_method_that_stops_on_an_error_raises_it_from_the_loop():
    """REA cannot go on when its whole initial population failed: the loop raises that error
    instead of ending quietly without a result."""
    from narank.errors import NarankError

    def broken(space: Any, cell: Any) -> Evaluation:
        raise RuntimeError("no GPU")

    search = Search("nb201", "rea", "cifar10", budget=12, random_state=0)
    with pytest.raises(NarankError, match="initial population failed"):
        search.optimize(broken)
    assert len(search.history) == 10 and not any(t.ok for t in search.history)
    assert all("no GPU" in t.error for t in search.history)


def test_zero_shot_methods_still_run_without_lookups(c10):
    run = run_method("sed", c10, 10, 0)
    assert run.queries == 0 and run.chosen is not None and run.pick() is run.chosen


@dataclass(frozen=True)
class SlowFirst:
    """A picklable evaluator: the first evaluation to start sleeps `slow` seconds, the others
    `fast`; every start and end is logged with its time (the accuracy is a hash of the cell)."""

    log: str
    slow: float = 4.0
    fast: float = 0.05
    name: str = "slow-first"

    def settings(self) -> dict[str, Any]:
        return {"kind": self.name}

    def __call__(self, space: Any, cell: Any) -> Evaluation:
        label = space.label(cell)
        try:
            os.close(os.open(Path(self.log).with_suffix(".first"), os.O_CREAT | os.O_EXCL))
            wait = self.slow
        except FileExistsError:
            wait = self.fast
        with open(self.log, "a") as fh:
            fh.write(f"start {time.time()} {wait}\n")
        time.sleep(wait)
        with open(self.log, "a") as fh:
            fh.write(f"end {time.time()} {wait}\n")
        return Evaluation(50 + zlib.crc32(label.encode()) % 4000 / 100)


@pytest.mark.parametrize("method", ["random", "rea"])
def test_dask_evaluations_do_not_wait_for_the_slowest(tmp_path, method):
    """Two workers, 8 evaluations handed out together, the first one slow: the other worker runs
    all the rest while it sleeps. A loop waiting for the slowest of each batch of two would start
    only one more evaluation in that time."""
    from distributed import Client, LocalCluster

    from narank.search.nas import run_search

    log = tmp_path / "log.txt"
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with cluster, Client(cluster) as client:
        search = Search("nb201", method, "cifar10", budget=8, random_state=0)
        result = run_search(search, SlowFirst(str(log)), client=client, progress=False, store_root=tmp_path)
    events = [line.split() for line in log.read_text().splitlines()]
    slow_end = next(float(t) for kind, t, wait in events if kind == "end" and float(wait) > 1)
    before = [t for kind, t, wait in events if kind == "start" and float(wait) < 1 and float(t) < slow_end]
    assert len(before) == 7  # every other evaluation started (and ended) before the slow one ended
    assert len(result.search.trials()) == 8 and result.evaluated == 8
    told_first = [t.info["seconds"] < 1 for t in result.search.history]
    assert told_first[:7] == [True] * 7 and not told_first[7]  # each told as it finished
    serial = Search("nb201", method, "cifar10", budget=8, random_state=0).optimize(SlowFirst(str(log), 0, 0))
    assert [t.id for t in serial.trials()] == [t.id for t in result.search.trials()]  # same picks
