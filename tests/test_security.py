"""No file a user hands narank runs code: EZNAS program files, the official NB201 .pth, EZNAS run
folders; and narank's own Dask cluster admits no other process.

Each file attack plants a payload that would create a marker file; the command must refuse the
file (one line, exit 2) and the marker must not exist afterwards.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from narank.errors import NarankError

ROOT = Path(__file__).parents[1]


class _Payload:
    """Unpickling this runs `touch MARKER` (what an attacker's file would do)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def narank(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NARANK_QUIET_TABLES": "1"}
    return subprocess.run([sys.executable, "-m", "narank", *args], capture_output=True, timeout=300,
                          cwd=cwd, env=env)


def refused(done: subprocess.CompletedProcess, command: str) -> str:
    err = done.stderr.decode().strip()
    assert done.returncode == 2, (done.returncode, err)
    assert err.count("\n") == 0 and err.startswith(f"narank {command}: error: ") and "Traceback" not in err
    return err


FORMULAS = [
    "__import__('os').system('touch {m}')",  # the classic: a call with a string argument
    "exec(open('{m}','w'))",
    "mean_in(g_in_data) + __import__('os').system('touch {m}')",
    "mean_in(__builtins__)",
    "mean_in(g_in_data.__class__)",
    "lambda: 1",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_program_file_cannot_run_code(tmp_path, formula):
    from narank.eznas.program import Program

    marker = tmp_path / "pwned"
    path = tmp_path / "prog.json"
    path.write_text(json.dumps({"formula": formula.format(m=marker)}))
    with pytest.raises(NarankError, match=r"unexpected token|unknown name"):
        Program.load(path)
    assert not marker.exists()


def test_program_file_refused_by_the_cli_with_the_token_named(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "prog.json"
    path.write_text(json.dumps({"formula": f"__import__('os').system('touch {marker}')"}))
    err = refused(narank("proxies", "--space", "nb201", "--proxy", f"eznas:{path}", "--limit", "2",
                         "--out", str(tmp_path / "out.csv"), cwd=tmp_path), "proxies")
    assert "unexpected token \"'os'\"" in err
    assert not marker.exists() and not (tmp_path / "out.csv").exists()


def test_parser_reads_every_formula_deap_writes():
    """Round trip: the evolution's own random programs parse back to the same tree and spelling."""
    import random

    from deap import gp

    from narank.eznas.program import parse_tree, pset

    random.seed(0)
    for _ in range(300):
        tree = gp.PrimitiveTree(gp.genHalfAndHalf(pset(), 1, 5))
        if tree.root.ret is not float:
            continue
        again = parse_tree(str(tree))
        assert str(again) == str(tree) and [n.name for n in again] == [n.name for n in tree]


def test_formula_nesting_and_length_are_bounded():
    from narank.eznas.formula import MAX_CHARS, MAX_DEPTH
    from narank.eznas.program import Program

    deep = "mean_in(" + "abs_in(" * (MAX_DEPTH + 5) + "g_in_data" + ")" * (MAX_DEPTH + 6)
    with pytest.raises(NarankError, match="nested deeper"):
        Program(deep)
    with pytest.raises(NarankError, match="at most"):
        Program("mean_in(" + " " * MAX_CHARS + "g_in_data)")


def _evil_pth(path: Path, marker: Path) -> Path:
    import torch

    torch.save({"arch2infos": {0: _Payload(marker)}, "meta_archs": ["x"]}, path)
    return path


def test_malicious_pth_refused(tmp_path):
    from narank.benchmarks.nb201_pth import load_pth
    from narank.errors import DataFileError

    marker = tmp_path / "pwned"
    pth = _evil_pth(tmp_path / "NAS-Bench-201-v1_1-096897.pth", marker)
    with pytest.raises(DataFileError, match=r"it asks for posix.system.*never code"):
        load_pth(pth)
    assert not marker.exists()
    (tmp_path / "junk.pth").write_bytes(b"not a torch file")
    with pytest.raises(DataFileError, match="not a file written by torch.save"):
        load_pth(tmp_path / "junk.pth")
    err = refused(narank("convert", "--space", "nb201", "--pth", str(pth), "--out", str(tmp_path / "o.csv"),
                         cwd=tmp_path), "convert")
    assert "never code" in err and not marker.exists() and not (tmp_path / "o.csv").exists()


def test_plain_pth_content_is_read(tmp_path):
    """What the official file holds (nested dicts, lists, tuples, numpy floats) loads as data."""
    import numpy as np
    import torch

    from narank.benchmarks.nb201_pth import load_pth

    content = {"meta_archs": ["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"],
               "arch2infos": {0: {"full": {"all_results": {("cifar10", 777): {"eval_acc1es": {
                   "ori-test@199": np.float64(93.1)}, "params": 1.5}}}}},
               "evaluated_indexes": {0}}
    torch.save(content, tmp_path / "b.pth")
    got = load_pth(tmp_path / "b.pth")
    value = got["arch2infos"][0]["full"]["all_results"][("cifar10", 777)]["eval_acc1es"]["ori-test@199"]
    assert float(value) == 93.1 and got["evaluated_indexes"] == {0}


def test_planted_run_directory_pickle_refused(tmp_path):
    marker = tmp_path / "pwned"
    run_dir = tmp_path / "prog.run"
    run_dir.mkdir()
    (run_dir / "checkpoint.pkl").write_bytes(pickle.dumps(_Payload(marker)))
    (run_dir / "pool_evolution.pkl").write_bytes(pickle.dumps(_Payload(marker)))
    err = refused(narank("evolve", "--space", "nb201", "--out", str(tmp_path / "prog.json"),
                         "--run-dir", str(run_dir), "--pool", "10", "--population", "4", "--generations", "1",
                         cwd=tmp_path), "evolve")
    assert "pickle" in err and not marker.exists() and not (tmp_path / "prog.json").exists()


def test_damaged_state_files_are_one_clear_error(tmp_path):
    from narank.eznas import evolve as ev
    from narank.eznas.state import StateFileError

    bad = tmp_path / "pool.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(StateFileError, match="delete it"):
        ev.load_pool(bad)
    import numpy as np

    np.savez(tmp_path / "foreign.npz", header=np.array(json.dumps({"format": "other"})))
    with pytest.raises(StateFileError, match="not a narank-eznas-pool/1"):
        ev.load_pool(tmp_path / "foreign.npz")
    # an object array would need pickle: np.load(allow_pickle=False) refuses it
    np.savez(tmp_path / "obj.npz", header=np.array([_Payload(tmp_path / "pwned")], dtype=object))
    with pytest.raises(StateFileError):
        ev.load_pool(tmp_path / "obj.npz")
    assert not (tmp_path / "pwned").exists()


def test_pool_file_round_trip(tmp_path):
    import numpy as np

    from narank.eznas import evolve as ev
    from narank.eznas.stats import TENSORS, NetworkStats, Packed

    rng = np.random.default_rng(0)
    nets = [NetworkStats([{n: Packed.pack(rng.standard_normal((2, 3, 4, 4))) for n in TENSORS[:3]},
                          {"w": Packed.pack(rng.standard_normal((3, 3, 1, 1)))}], 0.5, {"blocks": 2}),
            NetworkStats([], 0.0, {"blocks": 0})]
    path = ev.save_pool(tmp_path / "p.npz", nets, {"ids": ["a", "b"]})
    again, meta = __import__("narank.eznas.state", fromlist=["x"]).load_pool_file(path)
    assert meta == {"ids": ["a", "b"]} and len(again) == 2 and again[1].blocks == []
    for a, b in zip(nets[0].blocks, again[0].blocks):
        assert a.keys() == b.keys()
        for k in a:
            assert np.array_equal(a[k].values, b[k].values) and a[k].scale == b[k].scale
    assert again[0].seconds == 0.5 and again[0].info == {"blocks": 2}


def test_local_cluster_admits_no_other_process():
    """narank's LocalCluster: TLS with temporary credentials, no dashboard or HTTP routes; a client
    without the credentials (plain TCP, or TLS with its own certificate) cannot join."""
    import urllib.error
    import urllib.request

    from distributed import Client
    from distributed.security import Security

    from narank.engine import dask_client

    with dask_client(2) as client:
        address = client.scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        assert client.submit(sum, [1, 2]).result() == 3  # narank itself works
        port = client.cluster.scheduler.http_server.port
        assert port != 8787
        for route in ("/info/main/workers.html", "/json/identity.json", "/status", "/health"):
            with pytest.raises(urllib.error.HTTPError, match="404"):
                urllib.request.urlopen(f"http://127.0.0.1:{port}{route}", timeout=5)
        for intruder in (lambda: Client(address.replace("tls://", "tcp://"), timeout=3),
                         lambda: Client(address, timeout=3, security=Security.temporary())):
            with pytest.raises((OSError, TimeoutError, TypeError)):
                intruder()


def test_no_code_path_can_unpickle_or_eval():
    """A static guard: no module of narank or benchmarks calls eval/exec, DEAP's from_string, an
    unrestricted pickle load, or torch.load without weights_only=True (images.py's restricted
    unpickler is the one subclass of pickle.Unpickler allowed)."""
    import ast

    bad = []
    for path in [*ROOT.glob("narank/**/*.py"), *ROOT.glob("benchmarks/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            where = f"{path.relative_to(ROOT)}:{node.lineno} {name}"
            if name in ("eval", "exec", "pickle.load", "pickle.loads", "gp.PrimitiveTree.from_string"):
                bad.append(where)
            kw = {k.arg: k.value for k in node.keywords}

            def is_const(key: str, value: bool, kw=kw) -> bool:
                return isinstance(kw.get(key), ast.Constant) and kw[key].value is value

            if name.endswith("torch.load") and not is_const("weights_only", True):
                bad.append(where)
            if name.endswith(("np.load", "numpy.load")) and not is_const("allow_pickle", False):
                bad.append(where)
    assert not bad, bad
