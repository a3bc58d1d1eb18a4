"""The benchmark harness: every results file declared, with provenance that matches the code; quick runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks import common, harness
from benchmarks.registry import BENCHMARKS, BY_NAME

ROOT = Path(__file__).parents[1]


def entries() -> dict[str, dict]:
    return common.read_provenance(common.RESULTS)


def test_every_results_file_is_declared_by_a_benchmark():
    undeclared = [p for p in harness.results_files() if harness.owner(p) is None]
    assert not undeclared, f"declared by no benchmark (benchmarks/registry.py): {undeclared}"


def test_every_results_file_has_provenance():
    """PROVENANCE.json vouches for each file as it is now (`python -m benchmarks provenance` rewrites it)."""
    report = harness.check(entries())
    assert not report.missing, f"no provenance for the file as it is now: {report.missing}"


def test_readme_linked_results_have_provenance_and_are_full_runs():
    linked = harness.readme_linked()
    assert "benchmarks/results/ranking.md" in linked and "benchmarks/results/proxies.md" in linked
    known = entries()
    report = harness.check(known)
    assert not [p for p in linked if p not in known], "README links a results file without provenance"
    assert not report.partial_linked, f"README links partial runs: {report.partial_linked}"


def test_results_were_produced_by_the_current_code():
    """A results file whose declared code changed since it was produced is stale: re-run its benchmark
    (`python -m benchmarks provenance` names the files that changed), or record that its numbers come
    from the older code (`python -m benchmarks provenance --acknowledge NAME`): an acknowledgement holds
    for the code as it is when it is made, and any later change makes the file stale again."""
    stale = harness.check(entries()).stale
    assert not stale, f"{len(stale)} stale results file(s):\n" + "\n".join(
        f"  {p}: {why}" for p, why in sorted(stale.items()))


def _one_entry() -> tuple[str, dict]:
    path, entry = next((p, e) for p, e in sorted(entries().items())
                       if e.get("benchmark") == "zc_size" and e.get("commit"))
    return path, json.loads(json.dumps(entry))


def test_an_entry_written_before_its_file_was_committed_is_derived_again():
    """Results are committed after their run; an entry saying 'not committed' must not outlive that
    commit just because the file did not change (it once did, and the check kept failing)."""
    path, entry = _one_entry()
    unvouched = {path: {**entry, "commit": None, "note": "not committed: no provenance"}}
    assert harness.compute(unvouched)[path]["commit"]
    assert harness.compute({path: entry})[path] == entry  # a vouched entry is kept as it is


def test_an_acknowledgement_holds_for_todays_code_only():
    path, entry = _one_entry()
    now = harness.current_digest(BY_NAME["zc_size"], {})
    entry.pop("acknowledged", None)
    assert path not in harness.check({path: {**entry, "code_digest": now}}).stale
    older = {**entry, "code_digest": "0" * 40}
    assert path in harness.check({path: older}).stale
    assert harness.results_status(BY_NAME["zc_size"], {path: older}, {}).startswith("older code: ")
    assert harness.results_status(BY_NAME["zc_size"], {path: {**entry, "code_digest": now}}, {}) == "current"
    known = {path: dict(older)}
    assert harness.acknowledge(known, ["zc_size"]) == [path]
    mark = known[path]["acknowledged"]
    assert mark["code_digest"] == now and mark["since"] == entry["commit"] and "not re-run" in mark["reason"]
    assert path not in harness.check(known).stale
    # the code changes again: the acknowledgement no longer covers it
    known[path]["acknowledged"]["code_digest"] = "1" * 40
    assert path in harness.check(known).stale
    # an acknowledgement the code no longer needs is dropped
    current = {path: {**entry, "code_digest": now, "acknowledged": mark}}
    assert harness.acknowledge(current, ["zc_size"]) == [] and "acknowledged" not in current[path]


def test_declarations_name_real_files():
    for b in BENCHMARKS:
        assert b.outputs and b.code[0] == f"benchmarks/{b.name}.py", b.name
        missing = [c for c in b.code if not (ROOT / c).exists()]
        assert not missing, f"{b.name} declares code that does not exist: {missing}"
        for need in b.needs:
            other, name = need.split(":")
            assert any(Path(name).match(o) for o in BY_NAME[other].outputs), need
        assert all((ROOT / b.home / r).exists() for r in b.records), b.name
        assert (b.quick is None) == bool(b.no_quick), b.name


def test_no_benchmark_edits_sys_path():
    for path in (ROOT / "benchmarks").glob("*.py"):
        assert "sys.path.insert" not in path.read_text(), path.name


def test_readme_shows_the_current_benchmark_list():
    text = (ROOT / "README.md").read_text()
    block = text.split(harness.LIST_BEGIN, 1)[1].split(harness.LIST_END, 1)[0]
    assert block.strip() == harness.listing(markdown=True).strip(), \
        "README's benchmark list is out of date: run `python -m benchmarks list --markdown`"


def test_list_names_every_benchmark():
    out = subprocess.run([sys.executable, "-m", "benchmarks", "list"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    for b in BENCHMARKS:
        assert f"{b.name}: " in out and "last full run" in out


def test_records_replace_rows_of_the_same_key(tmp_path):
    records = common.Records(tmp_path / "runs.jsonl", key=("size", "seed"))
    records.add([{"size": 10, "seed": 0, "tau": 0.1}, {"size": 10, "seed": 1, "tau": 0.2}])
    rows = records.add([{"size": 10, "seed": 0, "tau": 0.3}])
    assert sorted((r["seed"], r["tau"]) for r in rows) == [(0, 0.3), (1, 0.2)]
    calls = []
    todo = [{"size": 10, "seed": s} for s in range(3)]
    records.run(todo, lambda item: calls.append(item) or [{**item, "tau": 0.5}], settings_digest="abc")
    assert len(calls) == 3  # no row had this settings digest
    records.run(todo, lambda item: calls.append(item) or [], settings_digest="abc")
    assert len(calls) == 3


def test_code_digest_sees_a_changed_or_missing_file(tmp_path):
    a = common.code_digest({"x.py": b"1"})
    assert a == common.code_digest({"x.py": b"1"})
    assert a != common.code_digest({"x.py": b"2"}) != common.code_digest({"x.py": None})


def _quick(name: str, data_root: Path, scratch: Path) -> dict:
    before = {p: common.file_sha1(p) for p in common.RESULTS.iterdir() if p.is_file()}
    env = {**os.environ, "NARANK_DATA": str(data_root.resolve()), "BENCHMARKS_SCRATCH": str(scratch)}
    done = subprocess.run([sys.executable, "-m", "benchmarks", "run", name, "--quick"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert {p: common.file_sha1(p) for p in before} == before, "a quick run wrote over the committed results"
    return json.loads((scratch / common.PROVENANCE).read_text())["files"]


def test_quick_search_writes_its_outputs_to_scratch(data_root, tmp_path):
    files = _quick("search", data_root, tmp_path)
    for name in ("search.md", "search.json", "search_runs.json"):
        assert (tmp_path / "search" / name).exists()
    entry = next(e for p, e in files.items() if p.endswith("search/search.md"))
    assert entry["benchmark"] == "search" and entry["full"] is False and entry["code_digest"]


def test_quick_search_sampler_writes_its_outputs_to_scratch(data_root, tmp_path):
    _quick("search_sampler", data_root, tmp_path)
    rows = json.loads((tmp_path / "search_sampler" / "search_sampler.json").read_text())["rows"]
    assert {r["sampler"] for r in rows} >= {"uniform", "joint"}


def test_quick_is_refused_where_a_benchmark_has_no_profile():
    import dataclasses

    without = dataclasses.replace(BY_NAME["train_shipped"], quick=None, no_quick="no size flags")
    assert harness.run(without, quick=True) == 2
