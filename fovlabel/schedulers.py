"""Where a run's chunks are labelled: here (and in ``--jobs`` joblib worker processes), or on a
Dask cluster when one machine is not enough.

``scheduler`` (``annotate --scheduler``, the pipeline TOML key ``scheduler``):

- ``None`` or ``"local"``: this process, with ``jobs`` worker processes (joblib), as always;
- ``"dask-local:N"``: a Dask ``LocalCluster`` of N single-threaded worker processes, started for
  the run and closed after it;
- ``"tcp://HOST:PORT"``: a running ``dask scheduler`` with ``dask worker`` processes that see the
  same file system (the dataset, and fovlabel installed in the same environment).

The per-frame state is sent to the workers once (scattered, broadcast), not once a chunk; the
chunks are submitted in order and their tables come back in chunk order into the same resumable
writer, so the label set is byte-identical to a local run. A worker that dies mid-run loses
nothing: Dask runs its chunks again elsewhere (a chunk is a pure function of the state).
"""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager

from .errors import ConfigError

_LOCAL = re.compile(r"^dask-local:(\d+)$")
#: tcp://HOST:PORT, HOST a name, an IPv4 address or a bracketed IPv6 one ([::1])
_TCP = re.compile(r"^tcp://(\[[0-9A-Fa-f:.]+\]|[^:/\s\[\]]+):(\d+)$")
CONNECT_TIMEOUT_S = 10
#: a Dask scheduler sends its handshake as soon as a connection opens; a service that sends
#: nothing this long after is not one (an HTTP server waits for a request: Dask would wait forever)
HANDSHAKE_TIMEOUT_S = 5


def _cores() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_scheduler(scheduler) -> str | None:
    """The scheduler as given, checked: None (local), "dask-local:N" or "tcp://HOST:PORT"."""
    if scheduler is None or scheduler == "local":
        return None
    text = str(scheduler)
    m = _LOCAL.match(text)
    if m and int(m.group(1)) >= 1:
        if int(m.group(1)) > _cores():  # single-threaded workers: more than the cores only wait
            raise ConfigError(f"dask-local:{m.group(1)} asks for more workers than this machine's {_cores()} "
                              f"core(s); use at most dask-local:{_cores()}, or a cluster (tcp://HOST:PORT)")
        return text
    t = _TCP.match(text)
    if t and 0 < int(t.group(2)) < 65536:
        return text
    raise ConfigError(f"scheduler must be 'local', 'dask-local:N' (N >= 1) or 'tcp://HOST:PORT' (an IPv6 host "
                      f"in brackets: tcp://[::1]:8786); got {text!r}")


def probe_scheduler(address: str) -> None:
    """Refuse, within seconds, an address where no Dask scheduler answers: nothing listening, or a
    service that sends no handshake (Dask's own client would wait for it forever)."""
    import socket

    host, port = _TCP.match(address).groups()
    host = host.strip("[]")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S) as sock:
            sock.settimeout(HANDSHAKE_TIMEOUT_S)
            try:
                first = sock.recv(1)
            except socket.timeout:
                first = None
    except OSError as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc}") from None
    if not first:
        raise ConfigError(f"{address} answered but sent no Dask handshake within {HANDSHAKE_TIMEOUT_S} s: it is "
                          "not a Dask scheduler (start one with 'dask scheduler')")


def _distributed():
    try:
        import distributed
    except ImportError as exc:
        raise ConfigError(f"a Dask scheduler needs dask.distributed ({exc}): pip install 'fovlabel[dask]'") from None
    return distributed


@contextmanager
def dask_client(scheduler: str):
    """A ``distributed.Client`` for the scheduler (a LocalCluster started and closed here)."""
    distributed = _distributed()
    m = _LOCAL.match(scheduler)
    cluster = None
    try:
        if m:
            cluster = distributed.LocalCluster(n_workers=int(m.group(1)), threads_per_worker=1, processes=True,
                                               dashboard_address=None)
            client = distributed.Client(cluster)
        else:
            probe_scheduler(scheduler)
            client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def dask_chunk_tables(scheduler: str, fn, state, todo, *args):
    """(chunk index, table) of every chunk in ``todo``, in order, computed as ``fn(state, chunk,
    *args)`` on the cluster; the state scattered to every worker once."""
    with dask_client(scheduler) as client:
        if not client.scheduler_info().get("workers"):
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
        shared = client.scatter(state, broadcast=True)
        run_id = uuid.uuid4().hex  # task keys of this run only: a shared scheduler keeps others'
        futures = [client.submit(fn, shared, chunk, *args, key=f"fovlabel-{run_id}-{chunk.index}", pure=False)
                   for chunk in todo]
        for chunk, future in zip(todo, futures):
            table = future.result()
            future.release()
            yield chunk.index, table
