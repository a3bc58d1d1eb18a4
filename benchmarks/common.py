"""Shared helpers of the benchmarks: code digests, provenance stamps, Markdown tables, resumable records."""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from narank.atomic import atomic_write_bytes

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
#: where `--quick` runs write (git-ignored; $BENCHMARKS_SCRATCH overrides): never over the committed results
SCRATCH = Path(os.environ.get("BENCHMARKS_SCRATCH") or ROOT / "benchmarks" / "work" / "quick")
PROVENANCE = "PROVENANCE.json"


def git(*args: str) -> str | None:
    """The stripped output of a git command in the repository, or None where git fails."""
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.decode(errors="replace").strip()


def git_commit() -> str:
    """HEAD's full hash, with "+dirty" where tracked files differ from it ("unknown" without git)."""
    head = git("rev-parse", "HEAD")
    if head is None:
        return "unknown"
    return head + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def _py_files(names: Iterable[str], folder: str) -> list[str]:
    """The .py files among `names` (repository paths) inside `folder`."""
    prefix = folder.rstrip("/") + "/"
    return sorted(n for n in names if n.startswith(prefix) and n.endswith(".py"))


def worktree_files(paths: Sequence[str]) -> dict[str, bytes | None]:
    """Contents of `paths` in the work tree; a folder stands for every .py file under it."""
    out: dict[str, bytes | None] = {}
    for p in paths:
        full = ROOT / p
        if full.is_dir():
            # the files git would commit (tracked, or new and not ignored): not build leftovers
            listed = git("ls-files", "--cached", "--others", "--exclude-standard", "--", p)
            names = ([n for n in listed.splitlines() if (ROOT / n).is_file()] if listed is not None else
                     [str(f.relative_to(ROOT)) for f in full.rglob("*.py") if "__pycache__" not in f.parts])
            out.update({n: (ROOT / n).read_bytes() for n in _py_files(names, p)})
            if not names:
                out[p + "/"] = None
        else:
            out[p] = full.read_bytes() if full.is_file() else None
    return out


def commit_files(commit: str, paths: Sequence[str]) -> dict[str, bytes | None]:
    """Contents of `paths` as they were at `commit` (None where a path did not exist then)."""
    listed = git("ls-tree", "-r", "--name-only", commit) or ""
    names = listed.splitlines()
    out: dict[str, bytes | None] = {}
    for p in paths:
        inside = _py_files(names, p)
        if inside:
            for n in inside:
                out[n] = _show(commit, n)
        elif p in names:
            out[p] = _show(commit, p)
        else:
            out[p + ("/" if (ROOT / p).is_dir() else "")] = None
    return out


def _show(commit: str, path: str) -> bytes | None:
    try:
        return subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, capture_output=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def code_digest(files: dict[str, bytes | None]) -> str:
    """SHA-1 over the files' paths and contents (a missing file counts as missing)."""
    h = hashlib.sha1()
    for name in sorted(files):
        content = files[name]
        h.update(name.encode() + b"\0" + (b"<missing>" if content is None else content) + b"\0")
    return h.hexdigest()


def settings_digest(settings: Any) -> str:
    """SHA-1 of a JSON-able value, key order ignored."""
    return hashlib.sha1(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def file_sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


def machine() -> dict[str, Any]:
    """Date (UTC), load average (1/5/15 min) and core count, for the record."""
    return {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "load": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}


def stamp(benchmark: str, code: Sequence[str], settings: Any, full: bool) -> dict[str, Any]:
    """The provenance of a run starting now: commit, code and settings digests, machine, full/partial."""
    return {"benchmark": benchmark, "source": "harness", "commit": git_commit(),
            "code_digest": code_digest(worktree_files(code)), "settings": settings,
            "settings_digest": settings_digest(settings), "full": full, **machine()}


def read_provenance(folder: Path) -> dict[str, dict[str, Any]]:
    """The provenance entries of `folder` (path relative to the repository -> entry)."""
    path = folder / PROVENANCE
    return json.loads(path.read_text())["files"] if path.exists() else {}


def write_provenance(folder: Path, files: dict[str, dict[str, Any]]) -> None:
    text = json.dumps({"about": "One entry per results file: the benchmark and the code that produced it. "
                       "Written by `python -m benchmarks provenance` / `run`; do not edit.",
                       "files": dict(sorted(files.items()))}, indent=1, sort_keys=False) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(folder / PROVENANCE, text.encode())


def add_run_arguments(parser: argparse.ArgumentParser, seeds: int, quick: str) -> None:
    """The flags of a resumable benchmark script run by the harness: --seeds, --jobs (Dask worker
    processes), --data, --results (its output folder) and --quick (`quick` says what it runs)."""
    parser.add_argument("--seeds", type=int, default=seeds)
    parser.add_argument("--jobs", type=int, default=1, help="Dask worker processes")
    parser.add_argument("--data", help="data folder (default $NARANK_DATA, ./data)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="output folder")
    parser.add_argument("--quick", action="store_true", help=quick)


def kendall_tau(scores: Any, truth: Any) -> float:
    """Kendall's tau of predicted scores against true accuracies, as every ranking table reports it."""
    from narank.metrics import ranking_metrics

    return float(ranking_metrics(scores, truth)["kendall_tau"])


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]], align: str = "") -> list[str]:
    """Markdown table lines; `align` has one of l/r/c per column (default left)."""
    sep = {"l": "---", "r": "---:", "c": ":---:"}
    marks = [sep[align[i]] if i < len(align) else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return lines


class Records:
    """Resumable JSON-lines records: one row per key, a row of the same key replaces the old one.

    `digest` names the field holding the digest of the settings that produced a row, so a row made
    with other settings counts as not done. A lock file serialises processes sharing the records."""

    def __init__(self, path: Path, key: Sequence[str], digest: str = "settings_sha1") -> None:
        self.path, self.key, self.digest = Path(path), tuple(key), digest

    def row_key(self, row: dict[str, Any]) -> tuple:
        return tuple(row[k] for k in self.key)

    def load(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def done(self, settings_digest: str | None = None) -> set[tuple]:
        """Keys recorded (with this settings digest, where one is given)."""
        return {self.row_key(r) for r in self.load()
                if settings_digest is None or r.get(self.digest) == settings_digest}

    def add(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Record `rows` (dropping recorded rows of the same keys); return every row now recorded."""
        keys = {self.row_key(r) for r in rows}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self.load()
            if any(self.row_key(r) in keys for r in current):
                current = [r for r in current if self.row_key(r) not in keys]
                atomic_write_bytes(self.path, "".join(json.dumps(r) + "\n" for r in current).encode())
            with self.path.open("a") as f:
                f.write("".join(json.dumps(r) + "\n" for r in rows))
        return current + rows

    def run(self, todo: Iterable[dict[str, Any]], compute: Callable[[dict[str, Any]], list[dict[str, Any]]],
            settings_digest: str | None = None) -> list[dict[str, Any]]:
        """Compute and record every key of `todo` not yet recorded (with this settings digest)."""
        done = self.done(settings_digest)
        for item in todo:
            if self.row_key(item) not in done:
                rows = compute(item)
                if settings_digest is not None:
                    rows = [{**r, self.digest: settings_digest} for r in rows]
                self.add(rows)
        return self.load()
