"""Ask/tell search, in the manner of Optuna: any registered search method proposes cells (`ask`),
something measures them (a table, a training run, a user's command), the results are told back
(`tell`), and the whole state saves and resumes.

    s = Search("nb201", method="narank", dataset="cifar10", budget=40, random_state=0)
    while not s.finished:
        cells = s.ask(2)                       # up to 2 cells (fewer while the method waits)
        s.tell(cells[0], 91.2)                 # or s.tell(cell, None, error="...") when it failed
    s.best, s.history; s.save("run.json"); Search.load("run.json")
    s.optimize(evaluator)                      # or the loop above, serially, with any evaluator

The table-driven search (`narank search` on a benchmark table, `benchmarks/search.py`) is this same
loop: `narank.search.harness.run_method` asks, looks the cells up in the table and tells.

The method's own code runs unchanged in a worker thread: where it would look a cell up, it hands
the cell out through `ask` and waits for `tell`. A model-guided method hands out a whole round (its
`k` picks) at once, so a round's evaluations run in parallel, each told as it finishes; the next
round needs every result of this one (the surrogate is fit on them), so it starts when the last
one is told. REA proposes each child from the population updated with the previous child's result
(one evaluation at a time after its initial population); random search hands out its whole budget
at once. Methods are deterministic given their seed and the told values (whatever order results
arrive in), so saving keeps only the settings and the history: loading replays the history (no
cell is evaluated twice) and the search continues exactly where it stopped. A failed evaluation
is recorded as failed, never asked again (nor any cell computing the same function) and does not
stop the search.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from narank.checkpoint import load_state, save_state
from narank.errors import CheckpointError, NarankError
from narank.evaluators.base import Evaluator, evaluate_safely
from narank.search.methods import SEARCH_METHODS, method_names
from narank.search.oracle import EvaluationFailed, OracleTable
from narank.spaces import SearchSpace, TableColumns, get_space

FORMAT = "narank-search/1"
STATE_VERSION = 1  # 1: the versioned, checksummed JSON envelope of narank.checkpoint; 0: a bare state_dict


class SearchStateError(NarankError):
    """A saved search that cannot be resumed (damaged, another format, other settings)."""


@dataclass
class Trial:
    """One told evaluation: the cell, its accuracy (None when it failed) and what else was said."""

    id: str
    arch: str
    value: float | None
    test: float | None = None
    error: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    n: int = 0  # its place in the order the method asked for cells (the history is in telling order)

    @property
    def ok(self) -> bool:
        return self.value is not None

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "id": self.id, "arch": self.arch, "value": self.value, "test": self.test,
                "error": self.error, "info": self.info}


class EvaluatedTable:
    """What a search method sees as its table when results are told instead of looked up: every
    cell of the pool can be evaluated (`has`), and `lookup_many` hands cells out and waits.
    With an OracleTable (the table-driven search), `has` is the table's own: cells with ground truth."""

    def __init__(self, search: Search, pool_table: Any = None, truth: OracleTable | None = None) -> None:
        self._search = search
        self._truth = truth
        self.space = search.space
        self.dataset = search.dataset
        self.columns = TableColumns("accuracy", "accuracy", "params_M", None)
        self.table = pool_table
        self.test = None
        if truth is not None:
            self.pos = truth.pos
        elif pool_table is not None:
            self.pos = pool_table.positions
        else:
            cells = self.space.enumerate()
            if cells is None:
                raise NarankError(f"{self.space.name} cannot be listed as a whole: give a table of the "
                                  "candidate cells to search among (--table)")
            self.pos = {self.space.canonical_id(c): i for i, c in enumerate(cells)}

    def has(self, cell: Any) -> bool:
        cid = self.space.canonical_id(cell)
        if cid in self._search._failed_ids:
            return False
        return self._truth.has(cell) if self._truth is not None else cid in self.pos

    def lookup(self, cell: Any) -> tuple[str, float, float | None]:
        (result,) = self.lookup_many([cell])
        if isinstance(result, EvaluationFailed):
            raise result
        return result

    def lookup_many(self, cells: list) -> list[Any]:
        return self._search._evaluate_in_thread(cells)


class Search:
    """An ask/tell search with any registered method over a space (see the module docstring).

    `table` (a BenchmarkTable) restricts the pool to its cells (needed for spaces that cannot be
    listed, e.g. NB101); its accuracies are never read here: an evaluator gives the values. An
    OracleTable also restricts the cells offered to those with ground truth (the table-driven
    search). `cfg` is the base loop config object handed to the method (in-process use; not saved).
    """

    def __init__(self, space: str | SearchSpace, method: str = "narank", dataset: str | None = None,
                 budget: int = 100, random_state: int = 0, table: Any = None,
                 settings: dict[str, Any] | None = None, cfg: Any = None) -> None:
        self.space = get_space(space)
        self.dataset = self.space.dataset(dataset)
        if method not in SEARCH_METHODS or SEARCH_METHODS.entry(method).info["zero_shot"]:
            raise NarankError(f"unknown ask/tell search method {method!r}; choose from "
                              f"{', '.join(method_names(zero_shot=False))}")
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
            raise NarankError(f"budget must be a positive number of evaluations, got {budget!r}")
        if isinstance(random_state, bool) or not isinstance(random_state, int) \
                or not 0 <= random_state < 2**32:
            raise NarankError(f"random_state must be an integer in [0, 2**32), got {random_state!r}")
        self.method, self.budget, self.random_state = method, budget, random_state
        self.settings = dict(settings or {})
        self.cfg = cfg
        truth = table if isinstance(table, OracleTable) else None
        self.table = truth.table if truth is not None else table
        self.history: list[Trial] = []
        self._failed_ids: set[str] = set()
        self._order: dict[str, int] = {}  # canonical id -> place in the asking order
        self._replay: dict[str, Trial] = {}
        self._cond = threading.Condition()
        self._pending: list[Any] = []  # asked by the method, not yet handed out
        self._out: dict[str, Any] = {}  # handed out, not yet told
        self._results: dict[str, Any] = {}
        self._waiting = False
        self._awaiting: list[str] = []  # ids the method waits for while `_waiting`
        self._done = False
        self._error: BaseException | None = None
        self._otable = EvaluatedTable(self, self.table, truth)
        self.run: Any = None  # what the method returned (a SearchRun), once it has ended
        self._threads: int | None = None  # the caller's torch (OpenMP) threads, set in the method's thread
        self._thread = threading.Thread(target=self._run, name=f"narank-search-{method}", daemon=True)

    # ------------------------------------------------------------------ the method's side

    def _run(self) -> None:
        try:
            if self._threads is not None:  # OpenMP's thread count is per thread: the caller's, here too
                import torch

                torch.set_num_threads(self._threads)
            self.run = SEARCH_METHODS.get(self.method)(self._otable, self.budget, self.random_state,
                                                       self.cfg, self.settings)
        except BaseException as exc:  # handed to the caller of ask()
            self._error = exc
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def _evaluate_in_thread(self, cells: list) -> list[Any]:
        ids = [self.space.canonical_id(c) for c in cells]
        with self._cond:
            for cell, cid in zip(cells, ids):
                self._order[cid] = len(self._order)
                if cid in self._replay:  # told in a saved run: not evaluated again
                    self._record(cell, self._replay.pop(cid))
                else:
                    self._pending.append(cell)
            self._waiting, self._awaiting = True, ids
            self._cond.notify_all()
            self._cond.wait_for(lambda: all(i in self._results for i in ids))
            self._waiting = False
            return [self._results.pop(i) for i in ids]

    # ------------------------------------------------------------------ the caller's side

    @property
    def finished(self) -> bool:
        """True when the method has spent its budget (or ended) and every result is told; raises
        the method's own error if it stopped on one (e.g. every initial evaluation failed)."""
        if not self._thread.is_alive() and not self._done:
            return False
        with self._cond:
            self._raise_error()
            return self._done and not self._pending and not self._out

    def _raise_error(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    @property
    def running(self) -> list[Any]:
        """Cells handed out by `ask` and not yet told."""
        with self._cond:
            return list(self._out.values())

    def ask(self, n: int = 1) -> list[Any]:
        """Up to `n` cells to evaluate next; fewer (or none) while the method waits for results of
        cells already handed out."""
        if n < 1:
            raise NarankError(f"ask for at least one cell, got {n}")
        if not self._thread.is_alive() and not self._done:
            torch = sys.modules.get("torch")
            self._threads = None if torch is None else torch.get_num_threads()
            self._thread.start()  # on first use: a loaded history is in place before the method runs
        with self._cond:
            # the method is computing unless it has asked (pending), ended, or waits on handed-out cells
            self._cond.wait_for(lambda: self._pending or self._done or (self._waiting and self._out))
            self._raise_error()
            out = self._pending[:n]
            del self._pending[:n]
            for cell in out:
                self._out[self.space.canonical_id(cell)] = cell
            return out

    def tell(self, cell: Any, value: float | None, test: float | None = None, error: str | None = None,
             **info: Any) -> Trial:
        """Report a handed-out cell's accuracy; `value` None or NaN (or an `error`) records a failure."""
        cell = self.space.parse(cell)
        cid = self.space.canonical_id(cell)
        with self._cond:
            if cid not in self._out:
                raise NarankError(f"{self.space.label(cell)} was not handed out by ask() "
                                  "(or was told already)")
            cell = self._out.pop(cid)
            bad = value is None or not math.isfinite(float(value))
            trial = Trial(cid, self.space.label(cell), None if bad else float(value),
                          None if test is None or not math.isfinite(float(test)) else float(test),
                          (error or "no accuracy (None or NaN)") if bad else None, dict(info))
            self._record(cell, trial)
            self._cond.notify_all()
        return trial

    def optimize(self, evaluator: Evaluator | Callable[[Any, Any], Any],
                 on_trial: Callable[[Trial], None] | None = None) -> Search:
        """Run the search to its end serially: ask every cell the method has asked for, evaluate it
        (`evaluator(space, cell) -> Evaluation`; an exception, a timeout or NaN is told as a failed
        evaluation, never raised) and tell it; `on_trial` sees each told trial. The table-driven
        search and a one-worker real search are this loop."""
        while not self.finished:
            for cell in self.ask(self.budget):
                result = evaluate_safely(evaluator, self.space, cell)
                trial = self.tell(cell, result.value, result.test, result.error,
                                  seconds=round(result.seconds, 3), **result.info)
                if on_trial is not None:
                    on_trial(trial)
        return self

    def _record(self, cell: Any, trial: Trial) -> None:
        trial.n = self._order[trial.id]
        self.history.append(trial)
        if trial.ok:
            self._results[trial.id] = (trial.id, trial.value, trial.test)
        else:
            self._failed_ids.add(trial.id)
            self._results[trial.id] = EvaluationFailed(f"{trial.arch}: {trial.error}")

    def trials(self) -> list[Trial]:
        """The history in the order the method asked for the cells (equal for equal runs, whatever
        order parallel evaluations finished in)."""
        return sorted(self.history, key=lambda t: t.n)

    @property
    def best(self) -> Trial | None:
        """The evaluated cell with the highest accuracy (the method's pick rule)."""
        ok = [t for t in self.trials() if t.ok]
        return max(ok, key=lambda t: t.value) if ok else None

    # ------------------------------------------------------------------ state

    def state_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "space": self.space.name, "dataset": self.dataset, "method": self.method,
                "budget": self.budget, "random_state": self.random_state, "settings": self.settings,
                "table": None if self.table is None or self.table.source is None else str(self.table.source),
                "history": [t.to_json() for t in self.history]}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the settings and the told history as JSON, atomically, once the method is idle
        (asked, waiting for results, or done): no computation of this search runs on in the
        background, where it would share torch's global random state with another search."""
        if self._thread.is_alive():
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._done or (
                    self._waiting and not all(i in self._results for i in self._awaiting)))
        return save_state(path, FORMAT, STATE_VERSION, self.state_dict(), text=True)

    @classmethod
    def load(cls, path: str | os.PathLike, table: Any = None) -> Search:
        """A search continuing a saved one (or a bare `state_dict` JSON of an older narank: version 0):
        its history is replayed as the method asks for it."""
        try:
            _, state = load_state(path, FORMAT, (0, STATE_VERSION))
        except CheckpointError as exc:
            raise SearchStateError(str(exc)) from None
        if table is None and state.get("table"):
            from narank.benchmarks import load_table

            table = load_table(state["space"], state["table"])
        search = cls(state["space"], state["method"], state["dataset"], state["budget"],
                     state["random_state"], table, state.get("settings"))
        for t in state["history"]:
            search._replay[t["id"]] = Trial(t["id"], t["arch"], t["value"], t.get("test"), t.get("error"),
                                            t.get("info") or {}, t.get("n", 0))
        return search
