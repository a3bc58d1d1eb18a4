"""`--device` of the commands that run torch: cpu (default), cuda or cuda:N, checked before work.

`oneshot`, `train`, `evaluate`, `rank` and `search --train` (its evaluations) run on the device; the
other commands accept and check the option (so scripts can pass it everywhere) and say on stderr
that they run on the CPU.
"""

from __future__ import annotations

import argparse
import sys

from narank.devices import DEVICE
from narank.errors import NarankError


def device_name(text: str) -> str:
    """argparse type: 'cpu', 'cuda' or 'cuda:N' (other torch devices are not supported)."""
    name = text.strip().lower()
    if not DEVICE.fullmatch(name):
        raise argparse.ArgumentTypeError(f"{text!r} is not a supported device: give cpu, cuda or cuda:N")
    return name


def add_device_argument(p: argparse.ArgumentParser, used: bool = True) -> None:
    """Register `--device` on a subcommand parser; `used` says whether the command runs on it."""
    where = "" if used else " (accepted and checked; this command still runs on the CPU)"
    p.add_argument("--device", type=device_name, default="cpu",
                   help=f"torch device: cpu, cuda or cuda:N (default cpu){where}")


def check_device(name: str, command: str, used: bool = True) -> str:
    """The device if it exists here; NarankError (one line, exit 2) when CUDA or that GPU is absent.

    A command that cannot use the GPU yet (`used` False) says so on stderr and runs on the CPU.
    """
    from narank.devices import cuda_problem

    problem = cuda_problem(name)
    if problem is not None:
        fix = "; use --device cpu" if problem.startswith("CUDA") else ""
        raise NarankError(f"--device {name}: {problem}{fix}")
    if not name.startswith("cuda"):
        return name
    if not used:
        print(f"narank {command}: note: --device {name} is accepted, but {command} runs on the CPU "
              "for now", file=sys.stderr)
    return name
