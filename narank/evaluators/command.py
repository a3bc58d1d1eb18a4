"""Evaluate by running any program per cell (language-agnostic).

The command is a template: `{arch}` (the cell as users write it), `{id}` (its canonical id) and
`{out}` (a JSON file the program may write) are filled in each argument; no shell is involved, so
an architecture string cannot inject commands. The accuracy is `{"accuracy": ...}` from `{out}`
(and `"test_accuracy"` when given), else the last number the program printed.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from narank.errors import NarankError
from narank.evaluators.base import Evaluation, EvaluationError

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
FIELDS = ("arch", "id", "out")


def check_command(command: str) -> list[str]:
    """The command's arguments, or a NarankError naming what is wrong (before any evaluation)."""
    try:
        args = shlex.split(command)
    except ValueError as exc:
        raise NarankError(f"--evaluate: cannot split {command!r} into arguments ({exc})") from None
    if not args:
        raise NarankError("--evaluate needs a command, e.g. 'python train.py --arch {arch} --out {out}'")
    for arg in args:
        for name in re.findall(r"{([^{}]*)}", arg):
            if name not in FIELDS:
                raise NarankError(f"--evaluate: unknown field {{{name}}} in {command!r}; use {{arch}}, "
                                  "{id} and {out}")
    if not any("{arch}" in a or "{id}" in a for a in args):
        raise NarankError(f"--evaluate: {command!r} does not say which cell: put {{arch}} (or {{id}}) in it")
    return args


@dataclass(frozen=True)
class CommandEvaluator:
    command: str
    timeout: float = 3600.0
    name: str = "command"

    def __post_init__(self) -> None:
        check_command(self.command)
        if not self.timeout > 0:
            raise NarankError(f"the evaluation timeout must be positive seconds, got {self.timeout}")

    def settings(self) -> dict[str, Any]:
        return {"kind": self.name, "command": self.command}

    def __call__(self, space: Any, cell: Any) -> Evaluation:
        with tempfile.TemporaryDirectory(prefix="narank-eval-") as tmp:
            out = Path(tmp) / "result.json"
            fields = {"arch": space.label(cell), "id": space.canonical_id(cell), "out": str(out)}
            args = [re.sub(r"{(arch|id|out)}", lambda m: fields[m.group(1)], a)
                    for a in check_command(self.command)]
            try:
                done = subprocess.run(args, capture_output=True, text=True, timeout=self.timeout)
            except subprocess.TimeoutExpired:
                raise EvaluationError(f"timed out after {self.timeout:g} s") from None
            except OSError as exc:
                raise EvaluationError(f"cannot run {args[0]!r}: {exc.strerror or exc}") from None
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
                raise EvaluationError(f"command exited with {done.returncode}: {last}")
            if out.is_file():
                try:
                    data = json.loads(out.read_text())
                    test = data.get("test_accuracy")
                    return Evaluation(float(data["accuracy"]), None if test is None else float(test))
                except (ValueError, KeyError, TypeError) as exc:
                    raise EvaluationError(f'{{out}} must hold {{"accuracy": number}} ({exc})') from None
            numbers = _NUMBER.findall(done.stdout)
            if not numbers:
                raise EvaluationError("the command printed no number and wrote no {out} file")
            return Evaluation(float(numbers[-1]))
