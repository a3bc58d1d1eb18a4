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
from collections.abc import Callable
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


#: what a CUDA evaluation asks of its Dask worker: one GPU, which local workers hold one each (with
#: `--scheduler`, start workers with `--resources GPU=1`); `narank.devices.worker_device` picks it
GPU = {"GPU": 1}


def run_search(search: Search, evaluator: Evaluator, workers: int = 1, scheduler: str | None = None,
               run_dir: str | Path | None = None, client: Any = None, progress: bool = True,
               store_root: Path | None = None) -> NASResult:
    """Ask, evaluate, tell until the search ends; up to `workers` evaluations run at once.

    On Dask the loop is asynchronous: each result is told as soon as its evaluation finishes (in
    whatever order they finish), and a worker that frees up gets the next cell the method has
    asked for at once, never waiting for the slowest of a batch. A method waits only where its
    next proposal needs results still running (a model-guided round's last cells; REA's previous
    child): see `narank.search.ask_tell`. The picks do not depend on the finishing order."""
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

    def record(trial: Trial) -> None:  # after each tell: state saved, store appended, progress
        nonlocal evaluated
        evaluated += 1
        if state is not None:
            search.save(state)
        if trial.ok:
            store.append([trial.id], value=[trial.value])
        bar.update(1)
        best = search.best
        bar.set_postfix(best=f"{best.value:.2f}" if best else "-")

    setup = 0.0
    try:
        gpu = str(getattr(evaluator, "device", "cpu")).startswith("cuda")
        with dask_client(workers, scheduler, client, resources=GPU if gpu else None) as dc:
            setup = time.perf_counter() - start
            start = time.perf_counter()
            if dc is None:
                search.optimize(evaluator, record)
            else:
                if gpu:
                    check_gpu_workers(dc)
                _run_async(search, evaluator, dc, max(1, len(dc.nthreads()) or workers), record,
                           GPU if gpu else None)
    finally:
        bar.close()
    if state is not None:
        search.save(state)
    store.maybe_compact()
    return NASResult(search, run_dir, time.perf_counter() - start, evaluated, setup)


def check_gpu_workers(dc: Any) -> None:
    """An EngineError unless some worker of the cluster holds a GPU resource (else CUDA evaluations
    would wait for one forever)."""
    from narank.engine import EngineError

    workers = dc.scheduler_info(n_workers=-1)["workers"].values()
    if not any(w.get("resources", {}).get("GPU", 0) >= 1 for w in workers):
        raise EngineError("the evaluations run on CUDA, but no Dask worker holds a GPU: start each worker "
                          "with `dask worker ADDRESS --resources GPU=1` (one per GPU)")


def _run_async(search: Search, evaluator: Evaluator, dc: Any, slots: int,
               record: Callable[[Trial], None], resources: dict[str, float] | None = None) -> None:
    """Keep up to `slots` evaluations running on the Dask client `dc`: tell each as it completes
    and hand the freed worker the next cell the method has asked for. With `resources` ({"GPU": 1}
    for a CUDA evaluator) each evaluation runs only on a worker that holds them, one at a time."""
    from distributed import as_completed

    running: dict[Any, Any] = {}  # future -> cell
    done = as_completed()
    while True:
        free = slots - len(running)
        if free > 0 and not search.finished:
            # returns at once with what the method has asked for; blocks only while it computes
            # its next proposal with nothing of it running (then there is nothing else to wait for)
            for cell in search.ask(free):
                future = dc.submit(_evaluate, evaluator, search.space.name, search.space.label(cell),
                                   pure=False, resources=resources)
                running[future] = cell
                done.add(future)
        if not running:
            if search.finished:
                return
            continue
        future = next(done)  # the first evaluation to finish, whichever it is
        cell = running.pop(future)
        try:
            result = future.result()
        except Exception as exc:  # a lost worker or an unpicklable result
            result = Evaluation(None, error=f"worker failed: {type(exc).__name__}: {exc}")
        record(search.tell(cell, result.value, result.test, result.error,
                           seconds=round(result.seconds, 3), **result.info))


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
