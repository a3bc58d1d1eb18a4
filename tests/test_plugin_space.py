"""A space and a proxy from outside the package (tests/plugins/tiny_space.py, found through its
entry points): with a user's CSV of labels, the ranker trains and scores it, `narank proxies` runs
SED, a zero-cost suite proxy and the plug-in's own proxy on it, and `narank search` searches it.
Nothing inside narank/ names it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import kendalltau

from narank.errors import DataFileError

ROOT = Path(__file__).parents[1]
PLUGINS = ROOT / "tests" / "plugins"
CSV = PLUGINS / "tiny.csv"


def narank(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NARANK_QUIET_TABLES": "1", "NARANK_CACHE": str(cwd / "cache"),
           "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "narank", *args], capture_output=True, timeout=600,
                          cwd=cwd, env=env)


def test_nothing_inside_narank_names_the_plugin():
    text = "\n".join(p.read_text() for p in (ROOT / "narank").rglob("*.py"))
    assert "tiny_space" not in text and "TinySpace" not in text and "tiny-depth" not in text


def test_ranker_trains_and_scores_the_plugin_space():
    from narank.benchmarks import load_table
    from narank.predictor import Ranker
    from narank.spaces import get_space

    space = get_space("tiny")
    table = load_table(space, CSV)
    cells, y = table.cells(), table.targets("accuracy", table.ids)
    assert len(cells) == 400
    ranker = Ranker("tiny", "digits", dim=32, layers=2, epochs=60, random_state=0).fit(cells[:100], y[:100])
    tau = kendalltau(ranker.predict(cells[100:]), y[100:])[0]
    assert tau > 0.5, tau


def test_cli_proxies_on_the_plugin_space(tmp_path):
    from narank.proxies.cache import compute_scores
    from narank.spaces import get_space

    space = get_space("tiny")
    for proxy in ("sed", "synflow", "tiny-depth"):
        done = narank("proxies", "--space", "tiny", "--dataset", "digits", "--proxy", proxy,
                      "--data", str(CSV), "--limit", "12", "--out", str(tmp_path / f"{proxy}.csv"),
                      "--json", cwd=tmp_path)
        assert done.returncode == 0, done.stderr.decode()
        summary = json.loads(done.stdout.decode().strip().splitlines()[-1])
        assert summary["space"] == "tiny" and summary["n"] == 12 and summary["kendall_tau"] is not None
        lines = (tmp_path / f"{proxy}.csv").read_text().splitlines()[1:]
        cells = [space.parse(line.rsplit(",", 1)[0]) for line in lines]
        scores = np.array([float(line.rsplit(",", 1)[1]) for line in lines])
        if proxy != "synflow":  # the same numbers in this process (synflow: checked finite)
            again = compute_scores(proxy, cells, "digits", use_cache=False, progress=False)
            assert np.allclose(scores, again)
        assert np.isfinite(scores).all()


def test_cli_search_on_the_plugin_space(tmp_path):
    done = narank("search", "--space", "tiny", "--dataset", "digits", "--data", str(CSV), "--budget", "30",
                  "--seeds", "2", "--methods", "narank,random", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    out = json.loads(done.stdout.decode())
    from narank.benchmarks import load_table

    table = load_table("tiny", CSV)
    best = float(table.targets("accuracy", table.ids).max())
    assert out["space"] == "tiny" and set(out["methods"]) == {"narank", "random"}
    for method in out["methods"].values():
        picks = [run[out["metric"]] for run in method["runs"]]  # the table's one accuracy column
        assert len(picks) == 2 and all(0 < p <= best + 1e-9 for p in picks)
        assert method["queries_max"] <= 30


def test_user_csv_reports_bad_lines_and_refuses_duplicates(tmp_path, capsys):
    from narank.benchmarks.user_table import read_user_csv

    rows = CSV.read_text().splitlines()
    (tmp_path / "some.csv").write_text("\n".join([rows[0], rows[1], "conv|nope,50", rows[2], ""]))
    table = read_user_csv("tiny", tmp_path / "some.csv")
    assert len(table) == 2 and "line 3" in capsys.readouterr().err
    (tmp_path / "dup.csv").write_text("\n".join([rows[0], rows[1], rows[2], rows[1], ""]))
    with pytest.raises(DataFileError, match="lines 2 and 4 are the same architecture"):
        read_user_csv("tiny", tmp_path / "dup.csv")
    (tmp_path / "nan.csv").write_text("\n".join([rows[0], rows[1].rsplit(",", 1)[0] + ",abc", ""]))
    with pytest.raises(DataFileError, match="not a finite number"):
        read_user_csv("tiny", tmp_path / "nan.csv")


def test_python_uses_the_cli_thread_default(monkeypatch):
    """Ranker.fit/predict from Python run on narank's thread count (1 unless $NARANK_THREADS says
    otherwise), not torch's all-cores default, and leave the caller's setting as it was."""
    import torch

    from narank.predictor import Ranker
    from narank.spaces import get_space

    monkeypatch.delenv("NARANK_THREADS", raising=False)
    monkeypatch.setattr("narank.threads._chosen", None)
    monkeypatch.setattr("narank.threads.available_cores", lambda: 2)
    space = get_space("tiny")
    cells = space.sample(40, 0)
    seen = []
    real = Ranker._forward

    def probe(self, cells):
        seen.append(torch.get_num_threads())
        return real(self, cells)

    monkeypatch.setattr(Ranker, "_forward", probe)
    torch.set_num_threads(2)
    ranker = Ranker("tiny", "digits", dim=8, layers=1, epochs=2, random_state=0)
    ranker.fit(cells, [space.params_M(c) for c in cells])
    ranker.predict(cells)
    assert seen[-1] == 1 and torch.get_num_threads() == 2
    monkeypatch.setenv("NARANK_THREADS", "2")
    ranker.predict(cells)
    assert seen[-1] == 2
