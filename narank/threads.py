"""Torch CPU threads: one place that decides how many, so no command oversubscribes the machine.

torch uses every core by default. On a shared or busy machine that makes small graph models
40-100x slower (threads spin waiting for each other; see benchmarks/results/threads.md), so
narank runs torch on 1 thread unless asked, and never on more threads than the cores this
process may use.

    from narank.threads import add_threads_argument, set_threads
    add_threads_argument(parser)          # --threads N (default 1)
    set_threads(args.threads)             # before any torch work; returns the number used
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from narank.errors import NarankError

DEFAULT_THREADS = 1
ENV_VAR = "NARANK_THREADS"
_chosen: int | None = None  # what set_threads chose (the CLI's --threads), kept by `torch_work`
F = TypeVar("F", bound=Callable[..., Any])


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells, else the CPU count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - macOS / Windows
        return max(1, os.cpu_count() or 1)


def resolve_threads(requested: int | None = None) -> int:
    """The thread count to use: `requested`, else $NARANK_THREADS, else 1; capped at the free cores.

    0 means "all cores this process may use". Negative or non-integer values are refused.
    """
    if requested is None:
        env = os.environ.get(ENV_VAR, "").strip()
        if env:
            try:
                requested = int(env)
            except ValueError:
                raise NarankError(f"${ENV_VAR}={env!r} is not an integer; set it to a thread count "
                                  "(0 = all cores) or unset it") from None
        else:
            requested = DEFAULT_THREADS
    if isinstance(requested, bool) or not isinstance(requested, int) or requested < 0:
        raise NarankError(f"threads must be an integer >= 0 (0 = all cores), got {requested!r}")
    cores = available_cores()
    return cores if requested == 0 else min(requested, cores)


def set_threads(requested: int | None = None) -> int:
    """Set torch's intra-op threads to `resolve_threads(requested)` and return that number.

    Imports torch only when called. Inter-op threads can be set only once per process, before
    any parallel work; later calls leave them as they are.
    """
    global _chosen
    n = resolve_threads(requested)
    import torch

    _chosen = n
    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(n)
    except RuntimeError:  # already set, or parallel work already started
        pass
    return n


def torch_work(fn: F) -> F:
    """Run `fn` on narank's thread count, the same from Python as from the CLI: what `set_threads`
    chose in this process, else $NARANK_THREADS, else 1; torch's setting is restored afterwards."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(_chosen if _chosen is not None else resolve_threads(None))
        try:
            return fn(*args, **kwargs)
        finally:
            torch.set_num_threads(before)

    return run  # type: ignore[return-value]


def add_threads_argument(parser: argparse.ArgumentParser) -> None:
    """Add `--threads N` to a subcommand: default 1 (or $NARANK_THREADS), 0 = all free cores."""
    parser.add_argument(
        "--threads", type=int, default=None,
        help=f"torch CPU threads (default {DEFAULT_THREADS}, or ${ENV_VAR}; 0 = all cores this process "
             f"may use; never more than those: more threads than free cores slow training down)")


_RNG_LOCK = threading.RLock()


@contextlib.contextmanager
def torch_rng(seed: int | None = None) -> Iterator[None]:
    """torch's process-wide RNG for one piece of seeded work: forked (the caller's state comes back
    afterwards), seeded when `seed` is given, and held by one thread at a time, since dropout and
    weight init draw from it and a concurrent fork would rewind another thread's draws."""
    import torch

    with _RNG_LOCK, torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        yield
