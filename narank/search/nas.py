"""Run an ask/tell search with real evaluations: serially, or up to N at once on Dask workers;
resumable from its run folder after a kill.

The run folder holds `search.json` (the settings and every told result, rewritten atomically after
each one) and per-evaluation training checkpoints. Every finished evaluation is also appended to
the Parquet result store, keyed by canonical id (`narank.store`). `resume` reloads the history:
nothing that finished is evaluated again.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from narank.engine import check_scheduler, check_workers, dask_client
from narank.errors import NarankError
from narank.evaluators.base import Evaluation, Evaluator, evaluate_safely
from narank.search.ask_tell import Search, Trial
from narank.store import ResultStore

STATE = "search.json"
EVALUATOR = "evaluator.json"


@dataclass
class NASResult:
    """The finished search, its run folder and its wall time."""

    search: Search
    run_dir: Path | None
    seconds: float  # from the first evaluation asked for to the last told (cluster start excluded)
    evaluated: int  # evaluations run by this call (not replayed from the history)
    setup_seconds: float = 0.0  # starting the Dask cluster (or joining it)

    @property
    def best(self) -> Trial | None:
        return self.search.best

    @property
    def history(self) -> list[Trial]:
        return self.search.history

    def curve(self) -> list[float | None]:
        """Best accuracy found after each evaluation, in asking order (None before the first success)."""
        best, out = None, []
        for trial in self.search.trials():
            if trial.ok and (best is None or trial.value > best):
                best = trial.value
            out.append(best)
        return out

    def plot(self, path: str | Path) -> Path:
        """Write the best-so-far curve to a PNG file."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from narank.search.methods import colors

        curve = self.curve()
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(range(1, len(curve) + 1), [float("nan") if v is None else v for v in curve],
                color=colors().get(self.search.method, "k"), label=self.search.method)
        ax.set_xlabel("evaluations")
        ax.set_ylabel("best accuracy so far (%)")
        ax.set_title(f"{self.search.space.name} / {self.search.dataset}")
        ax.legend()
        fig.tight_layout()
        from narank.atomic import atomic_write

        out = atomic_write(Path(path), lambda fh: fig.savefig(fh, format="png", dpi=120))
        plt.close(fig)
        return out


def _evaluate(evaluator: Evaluator, space_name: str, label: str) -> Evaluation:
    """Worker task: parse the cell where it runs (cells travel as text) and evaluate it safely."""
    from narank.spaces import get_space

    space = get_space(space_name)
    return evaluate_safely(evaluator, space, space.parse(label))


def evaluation_store(search: Search, evaluator: Evaluator, root: Path | None = None) -> ResultStore:
    """The Parquet store of one (space, evaluator settings) pair: results any search can reuse."""
    return ResultStore.for_settings(search.space.name, f"eval-{evaluator.name}",
                                    {"dataset": search.dataset, **evaluator.settings()}, root)


def run_search(search: Search, evaluator: Evaluator, workers: int = 1, scheduler: str | None = None,
               run_dir: str | Path | None = None, client: Any = None, progress: bool = True,
               store_root: Path | None = None) -> NASResult:
    """Ask, evaluate, tell until the search ends; up to `workers` evaluations run at once, and a
    new cell is asked for as soon as one finishes (within a model-guided method's round)."""
    workers = check_workers(workers)
    check_scheduler(scheduler)
    from tqdm.auto import tqdm

    run_dir = Path(run_dir) if run_dir is not None else None
    state = run_dir / STATE if run_dir is not None else None
    store = evaluation_store(search, evaluator, store_root)
    start = time.perf_counter()
    evaluated = 0
    bar = tqdm(total=search.budget, initial=len(search.history), desc=f"{search.method} evaluations",
               unit="cell", disable=not progress, file=sys.stderr)

    def told(cell: Any, result: Evaluation) -> None:
        nonlocal evaluated
        evaluated += 1
        search.tell(cell, result.value, result.test, result.error, seconds=round(result.seconds, 3),
                    **result.info)
        if state is not None:
            search.save(state)
        if result.value is not None:
            store.append([search.space.canonical_id(cell)], value=[result.value])
        bar.update(1)
        best = search.best
        bar.set_postfix(best=f"{best.value:.2f}" if best else "-")

    setup = 0.0
    try:
        with dask_client(workers, scheduler, client) as dc:
            setup = time.perf_counter() - start
            start = time.perf_counter()
            if dc is None:
                while not search.finished:
                    cells = search.ask(1)
                    if not cells and not search.running:
                        continue
                    for cell in cells:
                        told(cell, evaluate_safely(evaluator, search.space, cell))
            else:
                from distributed import wait

                slots = max(1, len(dc.nthreads()) or workers)
                running: dict[Any, Any] = {}
                while not search.finished:
                    free = slots - len(running)
                    for cell in search.ask(free) if free > 0 else []:
                        label = search.space.label(cell)
                        running[dc.submit(_evaluate, evaluator, search.space.name, label, pure=False)] = cell
                    if not running:
                        continue
                    done, _ = wait(list(running), return_when="FIRST_COMPLETED")
                    for future in done:
                        cell = running.pop(future)
                        try:
                            result = future.result()
                        except Exception as exc:  # a lost worker or an unpicklable result
                            result = Evaluation(None, error=f"worker failed: {type(exc).__name__}: {exc}")
                        told(cell, result)
    finally:
        bar.close()
    if state is not None:
        search.save(state)
    store.maybe_compact()
    return NASResult(search, run_dir, time.perf_counter() - start, evaluated, setup)


def nas(space: Any, method: str = "narank", dataset: str | None = None, budget: int = 100,
           evaluator: Evaluator | None = None, data: Any = None, random_state: int = 0, workers: int = 1,
           scheduler: str | None = None, run_dir: str | Path | None = None, progress: bool = False,
           **settings: Any) -> NASResult:
    """Run a search from Python, as `narank search` does: on the space's benchmark table (found in
    `data`, else $NARANK_DATA) unless an `evaluator` measures the cells (training, a command)."""
    from narank.benchmarks import load_table
    from narank.evaluators import TableEvaluator
    from narank.spaces import get_space

    space = get_space(space)
    dataset = space.dataset(dataset)
    table = None
    if evaluator is None:
        table = load_table(space, data)
        evaluator = TableEvaluator(str(table.source), dataset)
    elif space.enumerate() is None:
        table = load_table(space, data)
    s = Search(space, method, dataset, budget, random_state, table, settings)
    return run_search(s, evaluator, workers, scheduler, run_dir, progress=progress)


def save_evaluator(run_dir: str | Path, evaluator: Evaluator) -> Path:
    """Write what the evaluator is (its kind and fields) beside the search, so a resume uses it."""
    from dataclasses import asdict

    from narank.atomic import atomic_write_bytes

    return atomic_write_bytes(Path(run_dir) / EVALUATOR,
                              json.dumps({"kind": evaluator.name, **asdict(evaluator)}, indent=1).encode())


def load_evaluator(run_dir: str | Path) -> Evaluator:
    """The evaluator a run folder's search was started with."""
    from narank.evaluators import CommandEvaluator, TableEvaluator, TrainingEvaluator

    path = Path(run_dir) / EVALUATOR
    try:
        data = json.loads(path.read_text())
        kind = data.pop("kind")
        cls = {"training": TrainingEvaluator, "command": CommandEvaluator, "table": TableEvaluator}[kind]
        data.pop("name", None)
        return cls(**data)
    except FileNotFoundError:
        raise NarankError(f"{run_dir}: no {EVALUATOR} here; give the --run-dir of an earlier search") \
            from None
    except (ValueError, KeyError, TypeError) as exc:
        raise NarankError(f"{path}: not a readable evaluator description ({exc})") from None


def resume_search(run_dir: str | Path, table: Any = None) -> Search:
    """The search saved in `run_dir`, ready to continue (its history is replayed, not re-run)."""
    path = Path(run_dir) / STATE
    if not path.is_file():
        raise NarankError(f"{run_dir}: no {STATE} here; give the --run-dir of an earlier search")
    return Search.load(path, table)
