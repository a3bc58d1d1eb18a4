"""One way to persist resumable state (`narank.checkpoint.save_state` / `load_state`): round trips in
both forms, a one-line refusal for each kind of bad file, and the files of older narank still load."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from narank.checkpoint import load_state, save_state
from narank.errors import CheckpointError

KIND = "narank-test-state"


class _Payload:
    """Unpickling this touches MARKER (what an attacker's file would do)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _state() -> dict:
    return {"step": 7, "weights": {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)},
            "history": [{"loss": 0.25, "ok": True, "note": None}], "pair": (1, 2.5), "seed": 2**80 + 1}


def _refused(path: Path, *fragments: str, kind: str = KIND, versions=(1,)) -> str:
    """The message of the CheckpointError that loading `path` raises; it names the file, on one line."""
    with pytest.raises(CheckpointError) as info:
        load_state(path, kind, versions)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


# ------------------------------------------------------------------ round trips


def test_binary_round_trip_is_a_weights_only_torch_file(tmp_path):
    path = save_state(tmp_path / "sub" / "s.pt", KIND, 2, _state())
    assert path == tmp_path / "sub" / "s.pt" and not list(path.parent.glob("*.tmp"))
    version, state = load_state(path, KIND, (1, 2))
    assert version == 2 and state["step"] == 7 and state["history"] == _state()["history"]
    assert torch.equal(state["weights"]["w"], _state()["weights"]["w"])
    assert tuple(state["pair"]) == (1, 2.5) and state["seed"] == 2**80 + 1
    raw = torch.load(path, weights_only=True)  # nothing beyond tensors and plain data
    assert raw["format"] == KIND and raw["format_version"] == 2 and raw["checksum"].startswith("sha256:")


def test_text_round_trip_is_json_a_user_can_read(tmp_path):
    state = {"history": [{"id": "a", "value": 91.5}], "budget": 10, "pair": (1, 2), 10: "ten", 2: "two"}
    path = save_state(tmp_path / "s.json", KIND, 1, state, text=True)
    raw = json.loads(path.read_text())
    assert raw["format"] == KIND and raw["format_version"] == 1 and raw["checksum"].startswith("sha256:")
    assert raw["state"]["history"] == [{"id": "a", "value": 91.5}]
    version, got = load_state(path, KIND, [1])  # int keys and tuples come back as JSON gives them
    assert version == 1 and got == {"history": [{"id": "a", "value": 91.5}], "budget": 10, "pair": [1, 2],
                                    "10": "ten", "2": "two"}


def test_saving_again_replaces_the_file(tmp_path):
    path = tmp_path / "s.json"
    save_state(path, KIND, 1, {"n": 1}, text=True)
    save_state(path, KIND, 1, {"n": 2}, text=True)
    assert load_state(path, KIND, (1,)) == (1, {"n": 2})


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize("text", [False, True])
def test_missing_file_is_refused(tmp_path, text):
    _refused(tmp_path / "absent", "no such", "check the path")


@pytest.mark.parametrize("text", [False, True])
def test_truncated_file_is_refused(tmp_path, text):
    path = save_state(tmp_path / "s", KIND, 1, _state() if not text else {"n": list(range(50))}, text=text)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    _refused(path, "corrupt or truncated", "delete it to start over")


def test_empty_file_is_refused(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    _refused(tmp_path / "empty", "corrupt or truncated")


@pytest.mark.parametrize("text", [False, True])
def test_file_of_another_kind_is_refused(tmp_path, text):
    path = save_state(tmp_path / "s", "narank-other", 1, {"n": 1}, text=text)
    _refused(path, f"not a {KIND} file", "it is a narank-other file", "check the path")


def test_files_without_a_narank_header_are_refused(tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    _refused(tmp_path / "foreign.pt", f"not a {KIND} file", "no narank format header")
    (tmp_path / "foreign.json").write_text('{"history": []}')
    _refused(tmp_path / "foreign.json", "no narank format header")
    (tmp_path / "list.json").write_text("[1, 2]")
    _refused(tmp_path / "list.json", "no narank format header")


def test_a_ranker_checkpoint_is_not_a_state_file(tmp_path):
    from narank.checkpoint import save_checkpoint

    path = save_checkpoint(tmp_path / "r.pt", {"space": "nb201"}, {"model": {"w": torch.zeros(2)}})
    _refused(path, "it is a narank-ranker file")


def test_a_pickle_that_would_run_code_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"format": KIND, "format_version": 1, "state": {"x": _Payload(marker)}}, tmp_path / "evil.pt")
    _refused(tmp_path / "evil.pt", "corrupt or truncated")
    assert not marker.exists()


def test_altered_binary_file_is_refused(tmp_path):
    path = save_state(tmp_path / "s.pt", KIND, 1, _state())
    payload = torch.load(path, weights_only=True)
    payload["state"]["weights"]["w"][0, 0] = 100.0  # still a valid file: only the checksum tells
    torch.save(payload, path)
    _refused(path, "does not match the checksum", "restore it, or delete it")
    payload["state"]["weights"]["w"][0, 0] = 0.0
    torch.save(payload, path)
    assert load_state(path, KIND, (1,))[1]["step"] == 7  # the original content verifies again


def test_altered_text_file_is_refused(tmp_path):
    path = save_state(tmp_path / "s.json", KIND, 1, {"history": [{"value": 91.5}]}, text=True)
    raw = json.loads(path.read_text())
    raw["state"]["history"][0]["value"] = 99.0
    path.write_text(json.dumps(raw, indent=1))
    _refused(path, "does not match the checksum")
    del raw["checksum"]
    raw["state"]["history"][0]["value"] = 91.5
    path.write_text(json.dumps(raw))
    _refused(path, "does not match the checksum")  # a versioned file without its checksum


@pytest.mark.parametrize("text", [False, True])
def test_version_changed_by_hand_is_refused(tmp_path, text):
    path = save_state(tmp_path / "s", KIND, 1, {"n": 1}, text=text)
    if text:
        raw = json.loads(path.read_text())
        raw["format_version"] = 2
        path.write_text(json.dumps(raw))
    else:
        raw = torch.load(path, weights_only=True)
        raw["format_version"] = 2
        torch.save(raw, path)
    _refused(path, "does not match the checksum", versions=(1, 2))


@pytest.mark.parametrize("text", [False, True])
def test_file_of_a_newer_narank_is_refused(tmp_path, text):
    path = save_state(tmp_path / "s", KIND, 3, {"n": 1}, text=text)
    _refused(path, "format version 3", "newer narank", "reads 0, 1", "upgrade narank", versions=(0, 1))


def test_a_version_no_longer_read_is_refused(tmp_path):
    path = save_state(tmp_path / "s", KIND, 1, {"n": 1})
    _refused(path, "format version 1 is not read", "reads 2", versions=(2,))


def test_a_bare_state_reads_as_version_0_only_where_asked(tmp_path):
    (tmp_path / "old.json").write_text(json.dumps({"format": KIND, "history": [1]}))
    assert load_state(tmp_path / "old.json", KIND, (0, 1)) == (0, {"format": KIND, "history": [1]})
    _refused(tmp_path / "old.json", "format version 0 is not read", versions=(1,))


# ------------------------------------------------------------------ the three users and their old files


def test_ask_tell_search_saves_the_envelope_and_loads_a_bare_state_dict(tmp_path):
    from narank.search.ask_tell import FORMAT, Search, SearchStateError

    s = Search("nb201", "random", "cifar10", budget=6, random_state=1)
    for n, cell in enumerate(s.ask(3)):
        s.tell(cell, 80.0 + n)
    path = s.save(tmp_path / "search.json")
    assert path == tmp_path / "search.json"
    raw = json.loads(path.read_text())
    assert raw["format"] == FORMAT and raw["format_version"] == 1 and raw["state"] == s.state_dict()
    (tmp_path / "old.json").write_text(json.dumps(s.state_dict(), indent=1))  # what narank wrote before
    for saved in (path, tmp_path / "old.json"):
        again = Search.load(saved)
        assert [(t.id, t.value) for t in again._replay.values()] == [(t.id, t.value) for t in s.history]
        assert (again.method, again.budget, again.random_state) == ("random", 6, 1)
    raw["state"]["budget"] = 60
    path.write_text(json.dumps(raw))
    with pytest.raises(SearchStateError, match="does not match the checksum"):
        Search.load(path)
    with pytest.raises(SearchStateError, match="no such"):
        Search.load(tmp_path / "absent.json")


def test_oneshot_search_loads_a_checkpoint_of_the_old_form(tmp_path):
    from narank.search.oneshot import OneShotConfig, OneShotSearch
    from narank.search.oneshot.search import FORMAT

    torch.set_num_threads(1)
    cfg = OneShotConfig(method="gdas", topo=True, steps=2, seed=3, channels=4, cells=1, batch=8, size=8,
                        n_images=48)
    ref = OneShotSearch(cfg)
    ref.run()
    old = tmp_path / "old.pt"
    torch.save({"format": FORMAT, **ref.state()}, old)  # what narank wrote before: no version, no checksum
    new = tmp_path / "new.pt"
    ref.save(new)
    assert torch.load(new, weights_only=True)["format_version"] == 1
    for path in (old, new):
        resumed = OneShotSearch(cfg)
        resumed.load(path)
        assert resumed.step_done == 2 and resumed.history == ref.history
        for (name, a), b in zip(ref.model.state_dict().items(), resumed.model.state_dict().values()):
            torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    payload = torch.load(new, weights_only=True)
    payload["state"]["step"] = 1
    torch.save(payload, new)
    with pytest.raises(CheckpointError, match="does not match the checksum"):
        OneShotSearch(cfg).load(new)


def _caches() -> dict[str, dict[str, np.ndarray]]:
    return {"cache": {"a + b": np.array([0.5, 1.5, 2.5]), "a * b": np.array([3.0, -1.0, np.nan])},
            "control": {}}


def _assert_same_caches(got: dict, want: dict) -> None:
    assert {k: list(c) for k, c in got.items()} == {k: list(c) for k, c in want.items()}
    for name, cache in want.items():
        for formula, scores in cache.items():
            np.testing.assert_array_equal(got[name][formula], scores)


def test_eznas_checkpoint_round_trip_keeps_plain_data(tmp_path):
    from narank.eznas.state import CHECKPOINT_FORMAT, load_checkpoint, save_checkpoint

    random.seed(4)
    state = {"generation": 2, "fitness": [np.float64(0.25), 0.5], "py_random": random.getstate(),
             "np_random": np.random.default_rng(4).bit_generator.state}
    path = save_checkpoint(tmp_path / "checkpoint.pt", state, _caches())
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == CHECKPOINT_FORMAT and raw["format_version"] == 1
    got, caches = load_checkpoint(path)
    assert got == json.loads(json.dumps(state)) and type(got["fitness"][0]) is float
    _assert_same_caches(caches, _caches())


def test_eznas_checkpoint_of_the_old_form_loads(tmp_path):
    from narank.eznas.state import CHECKPOINT_FORMAT, _write_npz, load_checkpoint

    state = {"generation": 2, "population": ["a + b", "a * b"]}
    caches = {"cache": _caches()["cache"]}
    header = {"format": CHECKPOINT_FORMAT, "state": state, "caches": {k: list(c) for k, c in caches.items()}}
    arrays = {f"cache_{k}": np.array([c[f] for f in c], dtype=np.float64).reshape(len(c), -1)
              for k, c in caches.items()}
    path = _write_npz(tmp_path / "checkpoint.npz", header, arrays)  # what narank wrote before
    got, got_caches = load_checkpoint(path)
    assert got == state
    _assert_same_caches(got_caches, caches)


def test_eznas_checkpoint_refusals_are_state_file_errors(tmp_path):
    from narank.eznas.state import StateFileError, load_checkpoint, save_checkpoint

    with pytest.raises(StateFileError, match="no such"):
        load_checkpoint(tmp_path / "absent.pt")
    path = save_checkpoint(tmp_path / "checkpoint.pt", {"generation": 1}, _caches())
    payload = torch.load(path, weights_only=True)
    payload["state"]["caches"]["cache"]["scores"][0, 0] = 9.0
    torch.save(payload, path)
    with pytest.raises(StateFileError, match="does not match the checksum"):
        load_checkpoint(path)
    save_state(path, "narank-eznas-checkpoint/1", 1, {"state": {}})  # verified, yet without its caches
    with pytest.raises(StateFileError, match="damaged EZNAS checkpoint"):
        load_checkpoint(path)
