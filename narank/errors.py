"""Exceptions that carry a user-facing message: what is wrong and how to fix it."""


class NarankError(Exception):
    """Base of every error narank raises on bad input; the CLI prints it on one line, exit 2."""


class InvalidCellError(NarankError, ValueError):
    """A cell that breaks a rule of its search space (the message names the rule)."""


class DataFileError(NarankError, OSError):
    """A benchmark or cache file that is missing, truncated or malformed."""


class CheckpointError(NarankError, ValueError):
    """A checkpoint that is missing, corrupt, truncated or incompatible."""
