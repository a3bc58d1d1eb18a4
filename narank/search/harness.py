"""Run search methods over seeds in one harness; summarise (JSON schema of `narank search`) and plot."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from narank.errors import NarankError
from narank.evaluators.base import Evaluation
from narank.search.ask_tell import Search
from narank.search.baselines import random_search, rea, uniform_search
from narank.search.loop import SearchConfig, SearchRun, nar_config, query_dict, ranker_search
from narank.search.methods import SEARCH_METHODS, colors, method_names, search_method
from narank.search.oracle import OracleTable, Query
from narank.spaces import SearchSpace

TOL = 1e-6


def __getattr__(name: str) -> Any:
    """The registered methods (plug-ins included) under their historical names."""
    if name == "QUERY_METHODS":  # methods that spend lookups; every one follows `narank.search.protocol`
        return method_names(zero_shot=False)
    if name == "ZERO_SHOT":
        return method_names(zero_shot=True)
    if name == "METHODS":
        return method_names()
    if name == "DEFAULT_METHODS":
        return tuple(e.name for e in sorted(SEARCH_METHODS, key=lambda e: e.info["default"])
                     if e.info["default"])
    if name == "COLORS":  # one colour per method in every plot
        return colors()
    raise AttributeError(f"module 'narank.search.harness' has no attribute {name!r}")


def parse_methods(text: str | Sequence[str]) -> list[str]:
    """Method names from 'a,b,c' (or a list), checked against METHODS."""
    names = [m.strip().lower() for m in (text.split(",") if isinstance(text, str) else text)]
    names = [m for m in names if m]
    bad = [m for m in names if m not in SEARCH_METHODS]
    if bad or not names:
        raise NarankError(f"unknown search method(s) {bad or names}; choose from "
                          f"{', '.join(method_names())}")
    return list(dict.fromkeys(names))


def _zero_shot_fn(method: str) -> Callable[..., Any]:
    """`sed_search` / `tenas_search` from narank.proxies.zero_shot, imported lazily."""
    try:
        from narank.proxies import zero_shot
    except ModuleNotFoundError as exc:
        if exc.name != "narank.proxies.zero_shot":
            raise
        raise NarankError(f"method {method!r} needs narank.proxies.zero_shot, which is not "
                          "installed in this narank; use narank, rea, random or uniform") from exc
    fn = getattr(zero_shot, f"{method}_search", None)
    if fn is None:
        raise NarankError(f"narank.proxies.zero_shot has no {method}_search function")
    return fn


def _as_cell(space: SearchSpace, obj: Any) -> Any:
    """The cell a zero-shot method returned (a cell, arch string, index, dict or (cell, score))."""
    if isinstance(obj, dict):
        for key in ("cell", "arch", "arch_str", "index", "hash"):
            if key in obj:
                return _as_cell(space, obj[key])
    if isinstance(obj, tuple) and len(obj) == 2 and not isinstance(obj[0], (int, str)):
        return _as_cell(space, obj[0])
    return space.parse(obj)


def zero_shot_search(method: str, otable: OracleTable, seed: int) -> SearchRun:
    """Run a zero-shot method (0 lookups) and look its pick up for the report only."""
    fn = _zero_shot_fn(method)
    offered = {"space": otable.space, "dataset": otable.dataset, "seed": seed, "table": otable.table}
    params = inspect.signature(fn).parameters
    kwargs = {k: v for k, v in offered.items() if k in params}
    cell = _as_cell(otable.space, fn(**kwargs))
    cid, valid, test = otable.lookup(cell)
    return SearchRun(method, seed, 0, [], chosen=Query(cell, cid, valid, test))


def run_method(method: str, otable: OracleTable, budget: int, seed: int,
               cfg: SearchConfig | None = None, **settings: Any) -> SearchRun:
    """One run of the registered `method` with `budget` lookups and seed `seed` on the table, through
    the ask/tell `Search` (`table_search`); records its wall time.

    `settings` (e.g. `k=20`) override the loop settings of the model-guided methods that have
    them (`SearchConfig` for the ranker loops, `GuidedConfig` for BANANAS and XGBoost).
    """
    from narank.search.predictor_guided import GuidedConfig

    unknown = sorted(k for k in settings if not hasattr(SearchConfig, k) and not hasattr(GuidedConfig, k))
    if unknown:
        raise NarankError(f"unknown search setting(s) {unknown}: not a field of SearchConfig or GuidedConfig")
    if method not in SEARCH_METHODS:
        raise NarankError(f"unknown search method {method!r}; choose from {', '.join(method_names())}")
    start = time.perf_counter()
    if SEARCH_METHODS.entry(method).info["zero_shot"]:  # no lookups to ask for: its pick is looked up
        run = SEARCH_METHODS.get(method)(otable, budget, seed, cfg, settings)
    else:
        run = table_search(method, otable, budget, seed, cfg, **settings).run
    run.info["seconds"] = time.perf_counter() - start
    return run


@dataclass(frozen=True)
class OracleEvaluator:
    """The table-driven search's evaluator: the searched and reported accuracy of a cell from an
    OracleTable already in memory (`TableEvaluator` loads a table file, e.g. on a Dask worker)."""

    otable: OracleTable
    name: str = "oracle"

    def settings(self) -> dict[str, Any]:
        return {"kind": self.name, "dataset": self.otable.dataset}

    def __call__(self, space: SearchSpace, cell: Any) -> Evaluation:
        _, valid, test = self.otable.lookup(cell)
        return Evaluation(valid, test)


def table_search(method: str, otable: OracleTable, budget: int, seed: int, cfg: Any = None,
                 **settings: Any) -> Search:
    """The ask/tell `Search` of `method` run to its end on the table: ask -> look up -> tell (the one
    search loop; a lookup that fails is told as a failed evaluation). `search.run` is the method's
    SearchRun; `run.info["failed"]` lists the failed evaluations, if any."""
    search = Search(otable.space, method, otable.dataset, budget, seed, otable, settings, cfg)
    search.optimize(OracleEvaluator(otable))
    failed = [{"id": t.id, "arch": t.arch, "error": t.error} for t in search.trials() if not t.ok]
    if failed:
        search.run.info["failed"] = failed
    return search


def _ranker_cfg(base: SearchConfig, settings: dict[str, Any]) -> SearchConfig:
    return replace(base, **{k: v for k, v in settings.items() if hasattr(base, k)})


def _guided(settings: dict[str, Any]) -> Any:
    from narank.search.predictor_guided import GuidedConfig

    return replace(GuidedConfig(), **{k: v for k, v in settings.items() if hasattr(GuidedConfig, k)})


@search_method("narank", color="C3", default=1)
def _narank(otable, budget, seed, cfg, settings):
    return ranker_search(otable, budget, seed, _ranker_cfg(cfg or SearchConfig(), settings))


@search_method("narank-noprior", color="C6")
def _narank_noprior(otable, budget, seed, cfg, settings):
    return ranker_search(otable, budget, seed, _ranker_cfg(cfg or SearchConfig(prior=None), settings),
                         method="narank-noprior")


@search_method("narank-nar", color="C1")
def _narank_nar(otable, budget, seed, cfg, settings):
    return ranker_search(otable, budget, seed, _ranker_cfg(cfg or nar_config(), settings),
                         method="narank-nar")


@search_method("narank-blend", color="tab:brown")
def _narank_blend(otable, budget, seed, cfg, settings):
    return ranker_search(otable, budget, seed, _ranker_cfg(cfg or SearchConfig(recipe="blend"), settings),
                         method="narank-blend")


@search_method("uniform", color="C4", default=4)
def _uniform(otable, budget, seed, cfg, settings):
    return uniform_search(otable, budget, seed, _ranker_cfg(cfg or SearchConfig(), settings))


@search_method("uniform-noprior", color="C8")
def _uniform_noprior(otable, budget, seed, cfg, settings):
    return uniform_search(otable, budget, seed, _ranker_cfg(cfg or SearchConfig(prior=None), settings),
                          method="uniform-noprior")


@search_method("bananas", color="C2")
def _bananas(otable, budget, seed, cfg, settings):
    from narank.search.bananas import bananas_search

    return bananas_search(otable, budget, seed, _guided(settings))


@search_method("xgb-graf", color="C0")
def _xgb_graf(otable, budget, seed, cfg, settings):
    from narank.search.predictor_guided import xgb_search

    return xgb_search(otable, budget, seed, _guided(settings))


@search_method("rea", color="C5", default=2)
def _rea(otable, budget, seed, cfg, settings):
    return rea(otable, budget, seed)


@search_method("random", color="C7", default=3)
def _random(otable, budget, seed, cfg, settings):
    return random_search(otable, budget, seed)


@search_method("sed", color="tab:olive", zero_shot=True)
def _sed(otable, budget, seed, cfg, settings):
    return zero_shot_search("sed", otable, seed)


@search_method("tenas", color="C9", zero_shot=True)
def _tenas(otable, budget, seed, cfg, settings):
    return zero_shot_search("tenas", otable, seed)


def _metric(q: Query) -> float:
    return q.test_acc if q.test_acc is not None else q.valid_acc


def summarise(runs: dict[str, list[SearchRun]], otable: OracleTable, budget: int) -> dict[str, Any]:
    """Summary in the `narank search --json` schema (runs are cut at `budget` lookups)."""
    has_test = otable.test is not None
    best = otable.best_test if has_test else otable.best_valid
    out: dict[str, Any] = {
        "space": otable.space.name,
        "dataset": otable.dataset,
        "budget": budget,
        "metric": "test_acc" if has_test else "valid_acc",
        "optimum": {"test_acc": otable.best_test, "valid_acc": otable.best_valid},
        "columns": {"searched": otable.columns.train, "reported": otable.columns.evaluate},
        "methods": {},
    }
    notes = []
    if otable.space.enumerate() is None:
        notes.append(f"{otable.space.title}: searched over the {len(otable.pos):,} cells with ground "
                     "truth in the table")
    if not has_test:
        notes.append(f"the table has one accuracy column ({otable.columns.train}): it is both "
                     "searched and reported")
    if notes:
        out["note"] = "; ".join(notes)
    for name, method_runs in runs.items():
        rows, values, hits, vhits, qhits, secs = [], [], [], [], [], []
        for run in method_runs:
            run = run.truncated(budget) if run.chosen is None else run
            pick = run.pick()
            if pick is None:
                continue
            row = {"seed": run.seed, **query_dict(pick), "queries": run.queries}
            row.setdefault("test_acc", None)
            rows.append(row)
            values.append(_metric(pick))
            hits.append(_metric(pick) >= best - TOL)
            vhits.append(pick.valid_acc >= otable.best_valid - TOL)
            qhits.append(any(_metric(q) >= best - TOL for q in run.history) or hits[-1])
            secs.append(run.info.get("seconds", float("nan")))
        vals = np.asarray(values, dtype=float)
        out["methods"][name] = {
            "test_acc_mean": float(vals.mean()) if has_test and len(vals) else None,
            "test_acc_std": float(vals.std()) if has_test and len(vals) else None,
            "valid_acc_mean": float(np.mean([r["valid_acc"] for r in rows])) if rows else None,
            "optimum_rate": float(np.mean(hits)) if hits else 0.0,
            "valid_optimum_rate": float(np.mean(vhits)) if vhits else 0.0,
            "queried_optimum_rate": float(np.mean(qhits)) if qhits else 0.0,
            "queries_max": max((r["queries"] for r in rows), default=0),
            "seconds_mean": float(np.nanmean(secs)) if secs else None,
            "runs": rows,
        }
    return out


def format_summary(summary: dict[str, Any]) -> str:
    """Plain-text table of a summary."""
    metric = summary["metric"]
    opt = summary["optimum"][metric]
    cols = summary.get("columns", {"searched": "validation accuracy", "reported": metric})
    lines = [f"{summary['space']} {summary['dataset']}, budget {summary['budget']} lookups; "
             f"pick = best {cols['searched']}, reported: {cols['reported']} (optimum {opt:.2f})",
             f"{'method':<10} {'runs':>4} {metric + ' mean ± std':>22} {'optimum':>8} "
             f"{'best-valid':>10} {'queries':>7} {'s/run':>6}"]
    for name, m in summary["methods"].items():
        n = len(m["runs"])
        mean = m["test_acc_mean"] if m["test_acc_mean"] is not None else m["valid_acc_mean"]
        std = m["test_acc_std"]
        if std is None:
            std = float(np.std([r["valid_acc"] for r in m["runs"]])) if n else 0.0
        secs = m["seconds_mean"]
        lines.append(f"{name:<10} {n:>4} {mean:>14.2f} ± {std:<5.2f} {m['optimum_rate'] * n:>5.0f}/{n:<2} "
                     f"{m['valid_optimum_rate'] * n:>7.0f}/{n:<2} {m['queries_max']:>7} "
                     f"{secs if secs is not None else float('nan'):>6.1f}")
    lines.append(f"optimum = chosen cell has the best {cols['reported']} in the table; best-valid = "
                 f"chosen cell has the best {cols['searched']}")
    if "note" in summary:
        lines.append(summary["note"])
    return "\n".join(lines)


def plot_curves(runs: dict[str, list[SearchRun]], budget: int, path: str, title: str,
                optimum: float | None = None, ylabel: str = "test accuracy of pick (%)",
                panels: Sequence[tuple[str, Sequence[str]]] | None = None,
                ceiling: float | None = None) -> None:
    """Best-so-far accuracy of the pick against lookups: mean over seeds with a band of ± one
    standard error of the mean (narrow enough to tell methods apart), one colour per method.
    `panels` = [(subtitle, method names), ...] draws side-by-side panels with a shared y axis
    (e.g. peers | ablations) so that no panel holds too many bands. `ceiling`: the accuracy of the
    best-validation cell, the best any pick-by-validation search can report (drawn when below the
    optimum)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [(sub, [m for m in names if m in runs]) for sub, names in panels or [("", list(runs))]]
    groups = [(sub, names) for sub, names in groups if names]
    fig, axes = plt.subplots(1, len(groups), figsize=(7 * len(groups), 4.5), sharey=True, squeeze=False)
    x = np.arange(1, budget + 1)
    lows = []
    for ax, (sub, names) in zip(axes[0], groups):
        for i, name in enumerate(names):
            method_runs = runs[name]
            color = colors().get(name, f"C{i % 10}")
            if any(r.chosen is not None for r in method_runs):
                values = [_metric(r.chosen) for r in method_runs if r.chosen is not None]
                ax.axhline(float(np.mean(values)), color=color, ls="--", lw=1.2,
                           label=f"{name} (0 lookups, mean of {len(values)})")
                continue
            curves = [r.truncated(budget).curve() for r in method_runs]
            curves = [c + [c[-1]] * (budget - len(c)) for c in curves if c]
            if not curves:
                continue
            arr = np.asarray(curves, dtype=float)
            mean, sem = arr.mean(axis=0), arr.std(axis=0) / np.sqrt(len(arr))
            ax.plot(x, mean, color=color, label=f"{name} ({len(arr)} seeds)")
            ax.fill_between(x, mean - sem, mean + sem, color=color, alpha=0.18)
            lows.append(float(np.min(mean[min(len(mean) - 1, budget // 5):])))
        if optimum is not None:
            ax.axhline(optimum, color="k", ls=":", lw=1, label=f"optimum {optimum:.2f}")
        if ceiling is not None and (optimum is None or ceiling < optimum - TOL):
            ax.axhline(ceiling, color="k", ls="--", lw=0.8, label=f"best-validation cell {ceiling:.2f}")
        ax.set_xlabel("ground-truth lookups (band: ± 1 standard error over seeds)")
        ax.set_title(f"{title}: {sub}" if sub else title)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    if lows and optimum is not None:
        span = optimum - min(lows)
        axes[0][0].set_ylim(min(lows) - 0.3 * span - 0.05, optimum + 0.1 * span + 0.05)
    axes[0][0].set_ylabel(ylabel)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
