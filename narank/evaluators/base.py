"""The evaluator interface: `evaluator(space, cell) -> Evaluation`, picklable (it runs on Dask
workers), with `settings()` naming everything its numbers depend on (the result store's key)."""

from __future__ import annotations

import math
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Protocol

from narank.errors import NarankError


class EvaluationError(NarankError):
    """An evaluation that produced no accuracy (the message says why)."""


@dataclass
class Evaluation:
    """An accuracy (None when the evaluation failed), a test accuracy where there is one, and notes."""

    value: float | None
    test: float | None = None
    error: str | None = None
    seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)


class Evaluator(Protocol):
    name: str

    def settings(self) -> dict[str, Any]: ...

    def __call__(self, space: Any, cell: Any) -> Evaluation: ...


def evaluate_safely(evaluator: Evaluator, space: Any, cell: Any) -> Evaluation:
    """Run one evaluation and never raise: an exception, a timeout or a non-finite accuracy becomes
    a failed Evaluation whose `error` says what happened (a search records it and goes on)."""
    start = time.perf_counter()
    try:
        result = evaluator(space, cell)
    except Exception as exc:  # noqa: BLE001 - any failure of user code is a failed evaluation
        lines = traceback.format_exception_only(type(exc), exc)
        return Evaluation(None, error=lines[-1].strip()[:500], seconds=time.perf_counter() - start)
    result.seconds = result.seconds or time.perf_counter() - start
    if result.value is None or not math.isfinite(result.value):
        result.error = result.error or f"non-finite accuracy {result.value!r}"
        result.value = None
    return result
