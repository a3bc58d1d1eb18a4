"""Map a function over many items: in this process, on a Dask LocalCluster, or on an existing cluster.

All parallel work in narank goes through `map_items`; Dask (`dask.distributed`) does the
scheduling, retries tasks lost with a worker and spreads work over machines. narank adds no
scheduling of its own: it only cuts the items into tasks and streams results back.

Two machines, one sweep (narank installed in the same environment on each):

    machine A$ dask scheduler                        # prints tcp://A:8786
    machine A$ dask worker tcp://A:8786 --nworkers 2 --nthreads 1
    machine B$ dask worker tcp://A:8786 --nworkers 2 --nthreads 1

On each worker machine, unset Dask's default glibc trim threshold first (it makes torch-heavy
proxies such as NTK ~1.7x slower; narank's own LocalCluster does this itself): put
`distributed: {nanny: {pre-spawn-environ: {MALLOC_TRIM_THRESHOLD_: null}}}` in a file in
~/.config/dask/ (e.g. narank.yaml).
    machine A$ narank proxies --space nb101 --proxy ntk --scheduler tcp://A:8786

On a shared machine, run the scheduler and workers with TLS so that no other user can join or
submit work. Dask does this with certificates (`distributed.Security`); narank's Client reads them
from Dask's configuration, for example:

    export DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION=True
    export DASK_DISTRIBUTED__COMM__TLS__CA_FILE=ca.pem
    export DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT=client.pem
    export DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY=client.key
    machine A$ dask scheduler --tls-ca-file ca.pem --tls-cert sched.pem --tls-key sched.key
    machine A$ narank proxies --space nb101 --proxy ntk --scheduler tls://A:8786

narank's own LocalCluster needs none of this: it always uses TLS with temporary credentials that
exist only in narank's processes, and serves no dashboard or HTTP routes (the scheduler's HTTP
server, which Dask always starts, listens on a random loopback port and answers nothing).

Dask's own launchers start the same thing on SSH hosts (`distributed.SSHCluster`),
Kubernetes (`dask-kubernetes`) or SLURM/PBS (`dask-jobqueue`); pass their scheduler address
to `--scheduler`.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from narank.errors import NarankError

_TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
#: No HTTP routes on the scheduler (dashboard, /info, /json, /health would tell the address to others).
_NO_HTTP = {"distributed.scheduler.http.routes": [], "distributed.worker.http.routes": []}
_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://[^\s/]+(:\d+)?/?$")


class EngineError(NarankError):
    """Bad engine settings (workers, scheduler address) or an unreachable cluster."""


def check_workers(workers: int | None) -> int:
    """`workers` as a positive int (None = 1), else an EngineError."""
    if workers is None:
        return 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise EngineError(f"--workers must be an integer >= 1, got {workers!r}")
    return workers


def check_scheduler(address: str | None) -> str | None:
    """A scheduler address like tcp://host:8786, or an EngineError saying what it should look like."""
    if address is None:
        return None
    if not isinstance(address, str) or not _ADDRESS.match(address.strip()):
        raise EngineError(f"bad scheduler address {address!r}: give one like tcp://host:8786 "
                          "(what `dask scheduler` prints)")
    return address.strip()


@contextlib.contextmanager
def dask_client(workers: int = 1, scheduler: str | None = None, client: Any = None,
                timeout: float = 10.0, resources: dict[str, float] | None = None) -> Iterator[Any]:
    """A Dask client: the one given, one joined to `scheduler`, a LocalCluster of `workers`
    processes (one thread each; each holding `resources`, e.g. {"GPU": 1}, that tasks may ask
    for), or None for in-process work (workers == 1)."""
    workers = check_workers(workers)
    scheduler = check_scheduler(scheduler)
    if client is not None:
        yield client
        return
    if scheduler is None and workers == 1:
        yield None
        return
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            own = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise EngineError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one with "
                              "`dask scheduler` and check the address") from exc
        with own:
            yield own
        return
    import dask

    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which makes glibc return
    # freed memory at once: torch then page-faults on every large allocation and NTK runs
    # 1.7x slower per cell than in this process (benchmarks/results/scale.md). None unsets it.
    # security=True: TLS with temporary credentials held in memory, so another process on the machine
    # cannot join the cluster and run code in its workers even if it finds the address.
    with dask.config.set({_TRIM: None, **_NO_HTTP}), \
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                         dashboard_address="127.0.0.1:0", worker_dashboard_address=None,
                         scheduler_kwargs={"dashboard": False}, security=True,
                         resources=resources) as cluster, \
            Client(cluster) as own:
        yield own


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def _run_chunk(fn: Callable[..., Any], items: Sequence[Any], kwargs: dict[str, Any]) -> list[Any]:
    """One task: `fn` over a slice of the items (runs on a worker)."""
    return [fn(item, **kwargs) for item in items]


def map_items(fn: Callable[..., Any], items: Sequence[Any], *, workers: int = 1, scheduler: str | None = None,
              client: Any = None, chunk_size: int | None = None, shared: dict[str, Any] | None = None,
              progress: bool = True, desc: str = "cells", unit: str = "cell",
              weight: Callable[[Any], int] | None = None) -> Iterator[tuple[int, Any]]:
    """Yield `(index, fn(items[index], **shared))` for every item, in completion order.

    Serial when `workers` == 1 and no scheduler/client is given; otherwise one Dask task per
    `chunk_size` items (default: about 8 tasks per worker, at most 64 items each). `shared`
    values are sent to the workers once. A task lost with a worker is retried by Dask. The
    progress bar (stderr) counts items done / total and their rate (`weight(item)` units per
    item when given, e.g. the cells in a block).
    """
    from tqdm.auto import tqdm

    items = list(items) if not isinstance(items, Sequence) else items
    kwargs = dict(shared or {})
    n = len(items)
    size_of = weight or (lambda _item: 1)
    with dask_client(workers, scheduler, client) as dc, \
            tqdm(total=sum(size_of(item) for item in items), desc=desc, unit=unit,
                 disable=not progress, file=sys.stderr, smoothing=0.1) as bar:
        if dc is None:
            for i, item in enumerate(items):
                yield i, fn(item, **kwargs)
                bar.update(size_of(item))
            return
        from distributed import as_completed

        nworkers = max(1, len(dc.nthreads()) or workers)
        size = chunk_size or max(1, min(64, -(-n // (8 * nworkers))))
        if kwargs:
            # hash=False: a fresh key per call, so equal values of an earlier call being released
            # cannot take this call's data with them; [v] keeps a sequence one object
            kwargs = {k: dc.scatter([v], broadcast=True, hash=False)[0] for k, v in kwargs.items()}
        spans = _chunks(n, size)
        futures = {dc.submit(_run_chunk, fn, list(items[a:b]), kwargs, pure=False): (a, b) for a, b in spans}
        try:
            for future in as_completed(futures):
                a, b = futures[future]
                for k, value in enumerate(future.result()):
                    yield a + k, value
                bar.update(sum(size_of(item) for item in items[a:b]))
                future.release()
        finally:
            for future in futures:
                future.cancel()
