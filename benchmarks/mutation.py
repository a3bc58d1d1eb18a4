"""Mutation testing of narank's core modules with mutmut 3; writes benchmarks/results/mutation.md.

How to run (from the repository root, with the dev extra installed: `pip install -e '.[dev]'`):

    NARANK_DATA=../shared/data nice -n 10 .venv/bin/python benchmarks/mutation.py --ref HEAD
    ... --modules metrics,model/losses   # only these modules
    ... --sample 0                       # every mutant in scope (about 1,500: hours), not 20 per module
    ... --fresh                          # forget earlier verdicts
    ... --report-only                    # only rewrite the report from the last verdicts

NOT part of CI or `make test`: mutation testing runs the relevant tests once per mutant, and most
mutants here train a small ranker or run a search. The default sample (20 mutants per module plus
the important survivors) took about an hour on the two shared cores; every mutant in scope would
take several. Run it by hand after changing the core modules or their tests.

What it does:

- It builds a scratch project in .mutation/ (git-ignored): narank/ from the work tree, or with
  `--ref REF` from that commit (`git archive`; nothing in the checkout changes), so other people's
  half-done edits in a shared checkout neither break nor blur the run. tests/ and the files tests
  read (benchmarks/train_shipped.py, train_predictor.py) come from the same place, except that
  selected test files the commit does not have yet (new tests) come from the work tree;
  pyproject.toml (the mutmut settings) always comes from the work tree. mutmut runs there.
- The modules, the test selection and the per-mutant timeout live in pyproject.toml
  `[tool.mutmut]` (`only_mutate`, `pytest_add_cli_args_test_selection`, `timeout_multiplier`,
  `timeout_constant`). mutmut copies narank/ and tests/ into .mutation/mutants/, records on
  one clean run which tests execute which function, and then runs for each mutant only the tests
  that executed its function: each module gets the fast tests relevant to it. Each mutant is
  forked from a clean fork server (torch is not fork-safe once it has run) and killed after
  (clean duration of its tests + timeout_constant) x timeout_multiplier seconds of wall time.
- Which mutants run: per module, those of the functions in SCOPE (below; plumbing, layer-size
  constructors and other spaces' code paths are left out), a seeded random sample of `--sample`
  of them (the same ones on every run while the source is unchanged), plus the IMPORTANT ones.
- The tests run with NARANK_DATA (default ../shared/data, as .ci/run) and one torch thread
  (OMP_NUM_THREADS=1, MKL_NUM_THREADS=1).
- Re-runnable and incremental: mutmut keeps its verdicts in .mutation/mutants/. A re-run runs
  only the chosen mutants not yet killed (survived, timeout, no tests, not run), since the tests
  only grow; mutmut itself resets the verdicts of functions whose source changed. `--fresh`
  deletes the earlier verdicts and runs every chosen mutant.
- It then reads .mutation/mutants/narank/**.meta and writes the report: killed / survived /
  timeout / no-tests counts and the mutation score per module, date, machine load, wall time,
  the survivors that matter (with the mutated line) and the tests that now kill them, the
  examples of broken behaviour planted by hand, and the remaining survivors with a short reason.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
WORK = ROOT / ".mutation"  # the scratch project mutmut runs in
TIMING = WORK / "timing.json"  # wall times of the runs behind the report
COPIED = ("narank", "benchmarks/train_shipped.py", "train_predictor.py")  # from the work tree or --ref
MUTMUT = Path(sys.executable).with_name("mutmut")

# mutmut's exit code of a mutant's test run -> verdict (mutmut.stats.status_by_exit_code)
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          2: "interrupted", None: "not checked", 36: "timeout", -24: "timeout", 24: "timeout",
          152: "timeout", 255: "timeout", -11: "segfault", -9: "segfault", 37: "type check"}

VERDICTS = ("killed", "survived", "timeout", "no tests")

# Functions whose mutants are run, per module (a module not listed: all of its functions). The
# rest stay "not run": argument plumbing, constructors whose mutants only change layer sizes,
# and code paths of other spaces, left out to keep the run near an hour on a busy machine.
SCOPE: dict[str, tuple[tuple[str, ...], str]] = {
    "narank/model/tiers.py": (("tier_edges", "assign_tiers", "cut_tiers", "TierDecoder.forward"),
                              "TierDecoder.__init__ (layer sizes; TierDecoder.update is decorated, so "
                              "mutmut skips it: tests/test_behaviour_model.py checks it by hand)"),
    "narank/model/ranker.py": (("RankerConfig.__post_init__", "RankerConfig.to_dict", "NARanker.forward"),
                               "NARanker.__init__ (layer sizes)"),
    "narank/train.py": (("TrainConfig.__post_init__", "default_train_config", "make_optimizer",
                         "make_scheduler", "_fit"),
                        "train_ranker (the CLI recipe: argument checks and file handling, slow tests), "
                        "fit_model (an RNG-forking wrapper), _state, TrainConfig.to_dict"),
    "narank/evaluate.py": (("evaluate_ranker", "baseline_metrics"),
                           "evaluate_saved (checkpoint loading and argument checks)"),
    "narank/search/tier_stats.py": (("_count_edges", "_cost_edges", "bin_index", "kl_divergence",
                                     "tier_stats_from", "TierSampler.joint_bin",
                                     "TierSampler.sample"),
                                    "compute_tier_stats, check_stats, CellPool, space_pool, sample_space, "
                                    "uniform_stats, TierSampler.__init__ (plumbing and validation)"),
    "narank/search/loop.py": (("SearchRun.pick", "SearchRun.curve", "SearchRun.truncated",
                               "ranker_search"),
                              "query_dict, make_ranker, search_pool (plumbing)"),
    "narank/search/baselines.py": (("random_search", "rea"), "uniform_search (one-line wrapper)"),
    "narank/proxies/sed.py": (("conv_gain", "nb201_gains", "_entropy", "propagate_edges",
                               "sed_nb201_nodes", "sed_nb201"),
                              "the NB101 / NATS-SSS / design-variant code paths (over 500 mutants of "
                              "formulas still being revised; NB201 SED is the shipped proxy)"),
}


def in_scope(path: str, name: str) -> bool:
    funcs = SCOPE.get(path, (None, ""))[0]
    return funcs is None or function_of(name) in funcs


# The survivors judged important (on the first run, with the existing tests and the first
# behaviour tests), what each mutant breaks and the test that now kills it, keyed by mutmut's
# mutant name. They are always re-run; the report shows each one's mutated line and verdict.
_BS, _BM = "tests/test_behaviour_search.py", "tests/test_behaviour_model.py"
_BE = "tests/test_behaviour_eval.py"
IMPORTANT: dict[str, tuple[str, str]] = {
    "narank.search.loop.x_ranker_search__mutmut_118": (
        "the neighbours of the best cells never become candidates: the loop loses its local search",
        f"{_BS}::test_candidates_include_every_new_neighbour_of_the_best_cells_once"),
    "narank.search.loop.x_ranker_search__mutmut_119": (
        "only neighbours already looked up are kept (the same loss)",
        f"{_BS}::test_candidates_include_every_new_neighbour_of_the_best_cells_once"),
    "narank.search.loop.x_ranker_search__mutmut_121": (
        "neighbours are not de-duplicated: a candidate can appear twice",
        f"{_BS}::test_candidates_include_every_new_neighbour_of_the_best_cells_once"),
    "narank.search.loop.xǁSearchRunǁtruncated__mutmut_2": (
        "a run cut at a budget forgets that budget",
        f"{_BS}::test_candidates_include_every_new_neighbour_of_the_best_cells_once"),
    "narank.search.baselines.x_rea__mutmut_66": (
        "REA accepts a child it already looked up: budget spent on repeats",
        f"{_BS}::test_rea_evolves_children_of_its_population_and_never_repeats_a_lookup"),
    "narank.search.tier_stats.xǁTierSamplerǁsample__mutmut_109": (
        "the sampler gives up after 50 rounds while it is still finding cells: too few candidates "
        "late in a search", f"{_BS}::test_sampler_fills_its_quota_when_few_cells_remain"),
    "narank.search.tier_stats.xǁTierSamplerǁsample__mutmut_27": (
        "a uniform draw reports `misses = None` instead of 0",
        f"{_BS}::test_sampler_fills_its_quota_when_few_cells_remain"),
    "narank.search.oracle.xǁOracleTableǁlookup__mutmut_12": (
        "a cell without test accuracy is reported with NaN instead of None",
        f"{_BS}::test_oracle_refuses_cells_without_ground_truth_without_charging"),
    "narank.proxies.sed.x_nb201_gains__mutmut_13": (
        "SED's 1x1-conv gain uses a 2x2 kernel (the values change, the op order does not)",
        f"{_BS}::test_sed_of_nb201_cells_by_hand"),
    "narank.proxies.sed.x_nb201_gains__mutmut_17": (
        "SED's 3x3-conv gain takes the channels as the kernel size",
        f"{_BS}::test_sed_of_nb201_cells_by_hand"),
    "narank.train.x__fit__mutmut_73": (
        "batches of exactly two cells are skipped: a two-cell batch never trains",
        f"{_BM}::test_a_batch_of_two_cells_still_trains"),
    "narank.train.x_make_scheduler__mutmut_1": (
        "the learning-rate schedule starts one epoch in by default",
        f"{_BM}::test_schedule_warms_up_linearly_then_decays_by_cosine_to_zero"),
    "narank.metrics.x_ranking_metrics__mutmut_13": (
        "the metrics refuse a two-cell evaluation", f"{_BE}::test_ranking_metrics_by_hand"),
    "narank.metrics.x_ranking_metrics__mutmut_31": (
        "precision at the top 1 % is reported under another key (no test read it)",
        f"{_BE}::test_ranking_metrics_by_hand"),
    "narank.baselines.x_onehot_features__mutmut_16": (
        "the forest's features of a single cell fail (encodes with `cells[1]`)",
        f"{_BE}::test_ranking_metrics_by_hand"),
}

# Surviving mutants left alone on purpose: why (by mutant name, else by function).
_EQUIVALENT_DTYPE = "equivalent: the values are already of that dtype, or the dtype does not matter there"
LEFT_ALONE: dict[str, str] = {
    "ranking_metrics": _EQUIVALENT_DTYPE,
    "precision_at_top": "equivalent unless accuracies tie exactly at the cut: numpy's default sort of "
                        "these small arrays is stable as well",
    "onehot_features": _EQUIVALENT_DTYPE,
    "kl_divergence": _EQUIVALENT_DTYPE,
    "propagate_edges": _EQUIVALENT_DTYPE,
    "narank.train.x__fit__mutmut_5": "equivalent: targets are only compared, float64 or float32",
    "narank.train.x__fit__mutmut_94": "gradient-clipping threshold 5 -> 6: no behaviour pins it",
    "random_forest_scores": "n_jobs (parallelism only) or the number of trees (no behaviour pins 200)",
    "cut_tiers": "equivalent on these inputs: numpy's default sort keeps equal values in order here",
    "NARanker.forward": "equivalent: squeeze(+1) of a [B, 1] tensor is squeeze(-1)",
    "ranker_search": "the diagnostic `info['rounds']` record (rounding, key names)",
    "narank.search.baselines.x_random_search__mutmut_26": "the run's method label",
    "narank.search.baselines.x_rea__mutmut_98": "a key of the run's info record",
    "narank.search.baselines.x_rea__mutmut_26": "with a budget <= the population the last cell is a child "
                                                "instead of random: not pinned",
    "narank.search.baselines.x_rea__mutmut_76": "the rare fallback (100 failed mutations) draws with a fresh "
                                                "RNG: only its determinism changes",
}

# Examples of core behaviours broken on purpose, planted by hand in a scratch copy of
# narank (commit ad2f633) on the date of this run: does the suite before this change (`tests/`
# without the behaviour files) notice, and which new test fails.
PLANTED: list[tuple[str, str, str, str]] = [
    ("search ignores its ranker's scores", "loop: `order = rng.permutation(len(cands))`",
     "passes (tests/test_search.py)",
     f"{_BS}::test_loop_queries_the_best_scored_candidates, "
     "::test_guided_search_beats_random_search_on_fixed_seeds"),
    ("a tier cut off by one", "tiers.assign_tiers: `<` -> `<=`", "passes (test_ranker, test_search)",
     f"{_BM}::test_assign_tiers_at_and_around_the_edges"),
    ("evaluation on the wrong column", "evaluate_ranker: `labelled(table, cols.train)`",
     "fails (test_cli_train)", f"{_BE}::test_evaluation_judges_held_out_cells_on_test_accuracy"),
    ("a tier decoder that never learns", "NARanker.forward: tier logits `.detach()`",
     "fails (test_ranker)", f"{_BM}::test_training_teaches_the_tier_decoder_and_the_score_head"),
    ("a score head that never learns", "NARanker.forward: scores from `emb.detach()`, detached",
     "fails (test_ranker)", f"{_BM}::test_training_teaches_the_tier_decoder_and_the_score_head"),
    ("a loss term with the wrong sign", "nar_loss: `ce - lam * rank`", "fails (test_ranker)",
     f"{_BM}::test_nar_loss_is_cross_entropy_plus_lambda_times_ranking"),
    ("a baseline fed the wrong features", "random_forest_scores: features in reverse row order",
     "fails (test_metrics)", f"{_BE}::test_baselines_see_the_cells_and_use_the_same_split_and_columns"),
]


def config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]


def module_key(path: str) -> str:
    """'narank/model/losses.py' -> 'model/losses' (the names --modules takes)."""
    return path.removeprefix("narank/").removesuffix(".py")


def dotted(path: str) -> str:
    """'narank/model/losses.py' -> 'narank.model.losses' (the prefix of its mutant names)."""
    return path.removesuffix(".py").replace("/", ".")


def meta_of(path: str) -> dict[str, int | None]:
    """{mutant name: exit code} from mutmut's meta file of a module ({} before any run)."""
    meta = WORK / "mutants" / (path + ".meta")
    if not meta.exists():
        return {}
    return json.loads(meta.read_text())["exit_code_by_key"]


def verdicts(path: str) -> dict[str, str]:
    return {k: STATUS.get(v, "suspicious") for k, v in meta_of(path).items()}


def environment() -> dict[str, str]:
    env = dict(os.environ)
    data = env.get("NARANK_DATA") or str((ROOT.parent / "shared" / "data").resolve())
    env.update(NARANK_DATA=str(Path(data).resolve()), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONHASHSEED="0")
    env.pop("CI", None)  # a missing data folder should fail the clean run loudly either way
    return env


def _sync(src: Path, dst: Path) -> None:
    """Make `dst` a copy of `src`; unchanged files keep their mtime (mutmut's "source changed" test)."""
    if src.is_dir():
        dst.mkdir(parents=True, exist_ok=True)
        names = {c.name for c in src.iterdir() if c.name != "__pycache__"}
        for child in dst.iterdir():
            if child.name not in names and child.name != "__pycache__":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        for name in sorted(names):
            _sync(src / name, dst / name)
    elif not dst.exists() or dst.read_bytes() != src.read_bytes():
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)  # a fresh mtime: mutmut regenerates the mutants of a changed module


def build_project(ref: str | None) -> str:
    """Fill WORK with the code to mutate (work tree, or commit `ref`) and the work tree's tests."""
    WORK.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        if ref is None:
            source, label = ROOT, "the work tree"
        else:
            sha = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout.strip()
            archive = subprocess.run(["git", "archive", "--format=tar", ref, *COPIED], cwd=ROOT,
                                     check=True, capture_output=True).stdout
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(tmp, filter="data")
            source, label = Path(tmp), f"commit {sha} (`--ref {ref}`)"
        for name in COPIED:
            _sync(source / name, WORK / name)
        if ref is None:
            _sync(ROOT / "tests", WORK / "tests")
        else:  # the commit's tests, plus the selected test files it does not have yet (new tests)
            subprocess.run(["git", "archive", "--format=tar", "-o", str(Path(tmp, "t.tar")), ref, "tests"],
                           cwd=ROOT, check=True)
            with tarfile.open(Path(tmp, "t.tar")) as tar:
                tar.extractall(Path(tmp, "t"), filter="data")
            for arg in config().get("pytest_add_cli_args_test_selection", []):
                new = ROOT / arg.split("::")[0]
                old = Path(tmp, "t", arg.split("::")[0])
                if arg.startswith("tests/") and new.is_file() and not old.exists():
                    shutil.copyfile(new, old)
            _sync(Path(tmp, "t", "tests"), WORK / "tests")
    _sync(ROOT / "pyproject.toml", WORK / "pyproject.toml")
    # mutmut copies the unmutated modules into mutants/ only once: drop the copies that went stale.
    mutated = set(config()["only_mutate"])
    copies = WORK / "mutants" / "narank"
    if copies.exists():
        for copy in copies.rglob("*"):
            rel = copy.relative_to(WORK / "mutants")
            if copy.is_file() and copy.suffix not in (".meta", ".spans") and str(rel) not in mutated:
                origin = WORK / rel
                if not origin.exists() or origin.read_bytes() != copy.read_bytes():
                    copy.unlink()
    return label


def all_mutants(path: str) -> list[str]:
    """Every mutant name of a module, as mutmut generates them (same settings, no run needed)."""
    from mutmut.mutation.file_mutation import mutate_file_contents

    cwd = os.getcwd()
    os.chdir(WORK)  # mutmut reads its settings (do_not_mutate_patterns) from the cwd's pyproject
    try:
        made = mutate_file_contents(path, (WORK / path).read_text(), None, None)
    finally:
        os.chdir(cwd)
    return sorted(f"{dotted(path)}.{name}" for name in made.mutant_names)


def chosen(path: str, sample: int) -> list[str]:
    """The mutants of a module that are run: those in SCOPE, at most `sample` of them (0 = all),
    drawn with a fixed seed per module, so re-runs pick the same ones while the source is unchanged."""
    names = [n for n in all_mutants(path) if in_scope(path, n)]
    random.Random(path).shuffle(names)  # a smaller sample is a prefix of a larger one
    return sorted(names[:sample] if sample else names)


def run_set(path: str, sample: int) -> list[str]:
    """The mutants of a module that are run: the sample, plus its IMPORTANT ones."""
    return sorted(set(chosen(path, sample)) | {n for n in IMPORTANT if n.rsplit(".", 1)[0] == dotted(path)})


def run_mutmut(names: list[str], max_children: int, env: dict[str, str]) -> float:
    """One `mutmut run` over the given mutants (one clean run and warm-up for all); wall seconds."""
    print(f"running {len(names)} mutants", flush=True)
    start = time.time()
    nice = ["nice", "-n", "10"] if os.nice(0) < 10 else []  # under `nice -n 10` already: no more
    cmd = [*nice, str(MUTMUT), "run", "--max-children", str(max_children), *names]
    log = WORK / "mutmut.log"
    with open(log, "w") as fh:
        code = subprocess.run(cmd, cwd=WORK, env=env, stdout=fh, stderr=subprocess.STDOUT).returncode
    seconds = time.time() - start
    if code != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise SystemExit(f"mutmut failed (exit {code}); see {log}:\n" + "\n".join(tail))
    print(f"done in {seconds / 60:.1f} min", flush=True)
    return seconds


# ------------------------------------------------------------------------------ report


def mutated_line(name: str, path: str) -> str:
    """The changed line(s) of a mutant, '-old / +new', from mutmut's diff."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    cwd = os.getcwd()
    os.chdir(WORK)
    try:
        diff = get_diff_for_mutant(name, path=path)
    except Exception as exc:  # noqa: BLE001 - a report line, not a failure
        return f"(diff unavailable: {type(exc).__name__})"
    finally:
        os.chdir(cwd)
    lines = [ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    return " / ".join(f"{ln[0]} {ln[1:].strip()}" for ln in lines)


def function_of(name: str) -> str:
    """'narank.model.tiers.xǁTierDecoderǁforward__mutmut_3' -> 'TierDecoder.forward'."""
    func = name.rsplit(".", 1)[1].split("__mutmut_")[0]
    return func.removeprefix("x_").removeprefix("xǁ").replace("ǁ", ".")


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min) on {os.cpu_count()} cores"


def tally(path: str, names: list[str]) -> dict[str, int]:
    """Verdict counts of the chosen mutants of a module ('not run': no verdict yet)."""
    v = verdicts(path)
    got = [v.get(n, "not checked") for n in names]
    counts = {s: got.count(s) for s in VERDICTS}
    counts["not run"] = got.count("not checked")
    counts["other"] = len(got) - sum(counts.values())
    return counts


def score_of(c: dict[str, int]) -> float:
    judged = c["killed"] + c["survived"] + c["timeout"]
    return 100.0 * (c["killed"] + c["timeout"]) / judged if judged else float("nan")


def write_report(paths: list[str], timing: dict, results: Path = RESULTS) -> None:
    sample = int(timing.get("sample", 0))
    load_start, load_end = timing.get("load", ["unknown", "unknown"])
    keys = ("all", "in scope", "run", *VERDICTS, "not run", "other")
    rows, totals = [], dict.fromkeys(keys, 0)
    survivors: list[tuple[str, str]] = []
    for path in paths:
        names = run_set(path, sample)
        c = tally(path, names)
        c["all"] = len(all_mutants(path))
        c["in scope"] = len([n for n in all_mutants(path) if in_scope(path, n)])
        c["run"] = len(names)
        rows.append(f"| `{path}` | {c['all']} | {c['in scope']} | {c['run']} | {c['killed']} "
                    f"| {c['survived']} | {c['timeout']} | {c['no tests']} | {c['not run'] + c['other']} "
                    f"| {score_of(c):.0f}% |")
        for key in keys:
            totals[key] += c[key]
        v = verdicts(path)
        survivors += [(n, path) for n in names if v.get(n) == "survived"]
    cfg = config()
    scope_notes = [f"- `{path}`: not run: {why}" for path, (_, why) in SCOPE.items()]
    lines = [
        "# Mutation testing of the core modules",
        "",
        f"Written by `benchmarks/mutation.py` (mutmut {mutmut_version()}); not part of CI (it runs tests "
        "once per mutant: most of an hour on two shared cores). Re-run it by hand after changing these "
        "modules or their tests.",
        "",
        f"- date: {timing.get('date', dt.date.today().isoformat())}; code mutated: "
        f"{timing.get('source', 'the work tree')}",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average at the start of the last invocation {load_start}, at its end {load_end}",
        f"- wall time of the last invocation: {timing.get('last_seconds', 0) / 60:.1f} min; of all the "
        f"mutmut runs behind these numbers: {timing.get('total_seconds', 0) / 60:.1f} min "
        f"(`--max-children {timing.get('max_children', '?')}`, under `nice -n 10`)",
        f"- mutants run: {'all' if not sample else f'a seeded random sample of at most {sample}'} per "
        "module of those in scope (see below), plus the important survivors listed below",
        f"- per-mutant timeout: (clean duration of its tests + {cfg.get('timeout_constant')} s) x "
        f"{cfg.get('timeout_multiplier')} of wall time",
        "- tests: each mutant runs the tests of the selection in `pyproject.toml` `[tool.mutmut]` that "
        "executed its function on a clean run; NARANK_DATA = the shared data, one torch thread",
        "",
        "Score = (killed + timeout) / (killed + survived + timeout), over the mutants run. *No tests*: "
        "no selected test runs that function. mutmut mutates only undecorated functions and methods "
        "(not `@property`, `@lru_cache`, `@torch.no_grad()` ones, nor module constants), and here not "
        "the `raise` statements' messages nor progress output.",
        "",
        "| module | mutants | in scope | run | killed | survived | timeout | no tests | no verdict | score |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        f"| **all** | {totals['all']} | {totals['in scope']} | {totals['run']} | {totals['killed']} "
        f"| {totals['survived']} | {totals['timeout']} | {totals['no tests']} "
        f"| {totals['not run'] + totals['other']} | {score_of(totals):.0f}% |",
        "",
        "Out of scope (functions whose mutants are not run):",
        "",
        *scope_notes,
        "",
    ]
    if IMPORTANT:
        lines += ["## Important survivors of the first run, and the tests that now kill them", "",
                  "Survivors of the first run (existing tests plus the first behaviour tests, which already "
                  "killed the planted examples: see the next section).", "",
                  "| mutant | what it breaks | mutated line | now | killed by |", "|---|---|---|---|---|"]
        by_path = {dotted(p): p for p in paths}
        for name, (what, test) in IMPORTANT.items():
            path = by_path.get(name.rsplit(".", 1)[0], "")
            status = verdicts(path).get(name, "gone (source changed)") if path else "?"
            line = mutated_line(name, path).replace("|", "\\|") if path else ""
            lines.append(f"| `{function_of(name)}` ({name.rsplit('__mutmut_', 1)[1]}) | {what} | `{line}` | "
                         f"{status} | {test} |")
        lines.append("")
    lines += ["## Broken behaviours planted by hand", "",
              "Each bug was planted in a scratch copy of narank and the tests run against it (not by "
              "this script).", "",
              "| broken behaviour | planted as | suite before the behaviour tests | new test that fails |",
              "|---|---|---|---|",
              *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in PLANTED], ""]
    lines += ["## Remaining survivors", "",
              "Judged unimportant or equivalent (reason per function where one applies); each line is "
              "`function: -old / +new`.", ""]
    current = None
    for name, path in survivors:
        if path != current:
            lines += ["", f"**{path}**", ""]
            current = path
        func = function_of(name)
        why = LEFT_ALONE.get(name, LEFT_ALONE.get(func, ""))
        lines.append(f"- `{func}`: `{mutated_line(name, path)}`" + (f" ({why})" if why else ""))
    out = results / "mutation.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines).rstrip() + "\n")
    print(f"wrote {out}")


def mutmut_version() -> str:
    from importlib.metadata import version

    return version("mutmut")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", default="",
                        help="comma-separated subset, e.g. metrics,model/losses (default: every module "
                             "of [tool.mutmut] only_mutate)")
    parser.add_argument("--fresh", action="store_true",
                        help="forget earlier verdicts (.mutation/mutants/) and run every chosen mutant")
    parser.add_argument("--sample", type=int, default=20,
                        help="run at most this many mutants per module, a seeded random sample of those "
                             "in SCOPE (default 20; 0 = all of them)")
    parser.add_argument("--max-children", type=int, default=2, help="mutants run in parallel (default 2)")
    parser.add_argument("--ref", default=None,
                        help="mutate narank/ as of this git commit (e.g. HEAD) instead of the work tree")
    parser.add_argument("--report-only", action="store_true", help="only rewrite the report")
    parser.add_argument("--results", type=Path, default=RESULTS, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)

    os.chdir(ROOT)
    paths = list(config()["only_mutate"])
    if args.modules:
        wanted = {m.strip() for m in args.modules.split(",") if m.strip()}
        unknown = wanted - {module_key(p) for p in paths}
        if unknown:
            raise SystemExit(f"unknown module(s) {sorted(unknown)}; choose from "
                             f"{', '.join(module_key(p) for p in paths)}")
        selected = [p for p in paths if module_key(p) in wanted]
    else:
        selected = paths
    timing = json.loads(TIMING.read_text()) if TIMING.exists() and not args.fresh else {}
    load_start = load_average()
    if not args.report_only:
        if args.fresh and (WORK / "mutants").exists():
            shutil.rmtree(WORK / "mutants")
            timing = {}
        timing["source"] = build_project(args.ref)
        env = environment()
        if not Path(env["NARANK_DATA"], "nb201", "nb201.csv").exists():
            raise SystemExit(f"no benchmark data at {env['NARANK_DATA']}; set NARANK_DATA")
        timing["sample"] = args.sample
        todo = []
        for path in selected:
            old = {} if args.fresh else verdicts(path)
            todo += [n for n in run_set(path, args.sample) if old.get(n, "not checked") != "killed"]
        start = time.time()
        if todo:
            seconds = run_mutmut(todo, args.max_children, env)
            timing["total_seconds"] = round(timing.get("total_seconds", 0.0) + seconds, 1)
        else:
            print("every chosen mutant is already killed")
        timing["last_seconds"] = round(time.time() - start, 1)
        timing["load"] = [load_start, load_average()]
        timing["date"] = dt.date.today().isoformat()
        timing["max_children"] = args.max_children
        TIMING.write_text(json.dumps(timing, indent=1) + "\n")
    if not (WORK / "narank").exists():
        raise SystemExit("nothing to report yet: run without --report-only first")
    write_report(paths, timing, args.results.resolve())


if __name__ == "__main__":
    main()
