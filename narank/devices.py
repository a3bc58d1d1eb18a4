"""Whether a torch device named cpu, cuda or cuda:N exists on this machine: one check shared by the
command line (`--device`) and the library (the training evaluator's `device`)."""

from __future__ import annotations


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
