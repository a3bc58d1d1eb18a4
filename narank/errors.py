"""Exceptions that carry a user-facing message: what is wrong and how to fix it."""

from typing import Any


class NarankError(Exception):
    """Base of every error narank raises on bad input; the CLI prints it on one line, exit 2."""


class InvalidCellError(NarankError, ValueError):
    """A cell that breaks a rule of its search space (the message names the rule)."""


class InvalidParameterError(NarankError, ValueError):
    """An estimator parameter outside its allowed values (raised by `fit`, as scikit-learn does)."""


class DataFileError(NarankError, OSError):
    """A benchmark or cache file that is missing, truncated or malformed."""


class CheckpointError(NarankError, ValueError):
    """A checkpoint that is missing, corrupt, truncated or incompatible."""


def __getattr__(name: str) -> Any:
    """`NotFittedError` is built on first use: it subclasses scikit-learn's, which is slow to import."""
    if name != "NotFittedError":
        raise AttributeError(f"module 'narank.errors' has no attribute {name!r}")
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    class NotFittedError(NarankError, SklearnNotFittedError):
        """A ranker used (predict, save, ...) before `fit` or `Ranker.load`."""

    NotFittedError.__module__ = __name__
    NotFittedError.__qualname__ = "NotFittedError"
    globals()["NotFittedError"] = NotFittedError
    return NotFittedError
