"""Whether a torch device named cpu, cuda or cuda:N exists on this machine: one check shared by the
command line (`--device`) and the library (the training evaluator's `device`)."""

from __future__ import annotations

import re

#: the device names narank accepts
DEVICE = re.compile(r"cpu|cuda(:\d{1,3})?")


def cuda_problem(name: str) -> str | None:
    """None when `name` can be used here, else what is missing (CUDA, or that GPU index)."""
    if not name.startswith("cuda"):
        return None
    import torch

    if not torch.cuda.is_available():
        return "CUDA is not available here"
    index = int(name.partition(":")[2] or 0)
    count = torch.cuda.device_count()
    if index >= count:
        return f"this machine has {count} CUDA device(s), cuda:0 to cuda:{count - 1}"
    return None


def device_problem(name: object) -> str | None:
    """None when `name` is a device narank accepts and this machine has; else one line saying why not."""
    if not isinstance(name, str) or not DEVICE.fullmatch(name):
        return f"{name!r} is not a device narank uses: give 'cpu', 'cuda' or 'cuda:N'"
    problem = cuda_problem(name)
    return None if problem is None else f"device {name!r}: {problem}; use 'cpu'"


def worker_device(name: str) -> str:
    """`cuda` inside a Dask worker of a local cluster means that worker's own GPU: worker k of a
    cluster takes cuda:(k mod the GPUs it sees), so N workers spread over the machine's GPUs.
    Elsewhere (this process, a named index, the CPU) the name stands as given."""
    if name != "cuda":
        return name
    try:
        from distributed import get_worker

        position = int(get_worker().name)
    except (ImportError, ValueError, TypeError):  # not in a worker, or a worker named by its user
        return name
    import torch

    count = torch.cuda.device_count()
    return f"cuda:{position % count}" if count else name
