"""README's code blocks run as written (with the benchmark data), so README cannot drift.

Every ```python block runs in a fresh interpreter. Every line of every ```bash block runs,
except the `make` lines (they set up .venv and run this very suite; `make demo`'s job is
`python -m narank.demo`). Commands that train or search for minutes get options appended that
make them small (argparse keeps the last value of an option), so each still runs as written,
only shorter: see SMALLER; python blocks get the same calls with smaller budgets: see SMALLER_PY.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
TINY_TRAIN = ["--epochs", "3", "--dim", "8", "--layers", "1", "--quiet"]
# (command words a line starts with) -> options appended to keep it short
SMALLER: list[tuple[tuple[str, ...], list[str]]] = [
    (("narank", "train", "--resume"), ["--epochs", "5", "--quiet"]),
    (("narank", "train"), TINY_TRAIN),
    (("python", "train_predictor.py"), ["--train-size", "50", *TINY_TRAIN]),
    (("narank", "search"), ["--seeds", "1", "--budget", "20"]),
    (("narank", "evolve"), ["--population", "6", "--islands", "1", "--generations", "1", "--pool", "24",
                             "--workers", "1"]),
    (("narank", "proxies", "--proxy", "eznas:prog.json"), ["--limit", "20"]),
]
# python blocks: (text in README, what it becomes here) -- the same calls with smaller budgets
SMALLER_PY: list[tuple[str, str]] = [
    ('narank.Ranker("nb201", "cifar10", random_state=0)',
     'narank.Ranker("nb201", "cifar10", random_state=0, epochs=20)'),
    ('tune(narank.Ranker("nb201", "cifar10")', 'tune(narank.Ranker("nb201", "cifar10", epochs=10)'),
    ("n_trials=12)", "n_trials=2)"),
]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def commands() -> list[list[str]]:
    """Every command line of README's bash blocks, as argv (comments removed)."""
    out = []
    for block in blocks("bash"):
        for line in block.splitlines():
            argv = shlex.split(line, comments=True)
            if argv:
                out.append(argv)
    return out


def test_readme_has_no_placeholders():
    for block in blocks("bash") + blocks("python"):
        code = "\n".join(line.split(" #")[0] for line in block.splitlines())
        assert "..." not in code and "…" not in code, code
    assert (ROOT / "examples" / "cells_nb201.jsonl").is_file()
    for argv in commands():
        for word in argv:
            if word.startswith("examples/") or word.endswith(".py"):
                assert (ROOT / word).is_file(), word


def _smaller(argv: list[str]) -> list[str]:
    for prefix, extra in SMALLER:
        if all(p in argv for p in prefix) and argv[0] == prefix[0]:
            return argv + extra
    return argv


def test_readme_python_blocks_run(data_root, tmp_path):
    # one torch thread, as every narank command uses by default (more threads than free cores
    # make small models many times slower on a busy machine)
    env = {**os.environ, "NARANK_DATA": str(data_root), "NARANK_QUIET_TABLES": "1", "OMP_NUM_THREADS": "1"}
    code = blocks("python")
    for text, small in SMALLER_PY:
        assert sum(b.count(text) for b in code) == 1, f"README no longer has {text!r}: update SMALLER_PY"
        code = [b.replace(text, small) for b in code]
    for block in code:
        done = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]


def test_readme_commands_run(data_root, tmp_path, monkeypatch, capsys):
    """`narank ...` lines run through `narank.cli.main` in this process (the same code as the
    console script, without a new interpreter per line); `python ...` lines in a subprocess."""
    from narank.cli import main

    (tmp_path / "examples").symlink_to(ROOT / "examples")
    (tmp_path / "train_predictor.py").symlink_to(ROOT / "train_predictor.py")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NARANK_DATA", str(data_root))
    monkeypatch.setenv("NARANK_QUIET_TABLES", "1")
    ran = []
    for argv in commands():
        if argv[0] == "make":
            continue
        assert argv[0] in ("narank", "python"), argv
        argv = _smaller(argv)
        if argv[0] == "narank":
            code = main(argv[1:])
            err = capsys.readouterr().err
        else:
            done = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True, timeout=900)
            code, err = done.returncode, done.stderr
        assert code == 0, f"{shlex.join(argv)}\n{err[-3000:]}"
        ran.append(argv[1])
    assert {"describe", "train", "evaluate", "search", "sample"} <= set(ran)


@pytest.mark.parametrize("line", ["make demo", "make test"])
def test_readme_make_targets_exist(line):
    target = line.split()[1]
    assert re.search(rf"^{target}:", (ROOT / "Makefile").read_text(), flags=re.M)
    assert line in README.read_text()


def test_linked_results_are_committed_runs():
    """Every results file README links to exists and is not a partial run (benchmarks/proxies.py
    marks a run with skipped parts 'not the committed result'; one was committed unnoticed)."""
    linked = re.findall(r"\(benchmarks/results/([\w.-]+\.md)\)", README.read_text())
    assert "ranking.md" in linked and "proxies.md" in linked
    for name in linked:
        text = (ROOT / "benchmarks" / "results" / name).read_text()
        assert "not the committed result" not in text, f"{name} is a partial run"
