"""The same job on a Dask cluster: a LocalCluster and a real `dask scheduler` with two `dask worker`
processes on localhost give the same bytes as a local run, also when a worker is killed mid-run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE, cli
from fovlabel import annotate
from fovlabel.errors import ConfigError
from fovlabel.progress import Progress

pytest.importorskip("distributed", reason="dask.distributed (the dask extra) is not installed")
DASK = Path(sys.executable).parent / "dask"


def _pairs_bytes(folder: Path) -> bytes:
    return (folder / "pairs.parquet").read_bytes()


def test_a_local_dask_cluster_writes_the_same_bytes(tmp_path):
    annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "here", chunk_frames=25)
    annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "dask", chunk_frames=25, scheduler="dask-local:2")
    assert _pairs_bytes(tmp_path / "here") == _pairs_bytes(tmp_path / "dask")
    assert (tmp_path / "here" / "_frames" / "frames.parquet").read_bytes() == (tmp_path / "dask" / "_frames" / "frames.parquet").read_bytes()


def test_the_3d_labeller_runs_there_too(tmp_path):
    room = ROOT / "sample_data" / "rgbd_room" / "frames.csv"
    common = dict(labeller="cloud3d", mode="within", reader_options={"pose": "cam_to_world"}, chunk_frames=4)
    annotate(room, "csv", out=tmp_path / "here", **common)
    annotate(room, "csv", out=tmp_path / "dask", scheduler="dask-local:2", **common)
    assert _pairs_bytes(tmp_path / "here") == _pairs_bytes(tmp_path / "dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(tmp_path):
    """A `dask scheduler` and two `dask worker` processes (one thread each) on localhost."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PATH": f"{DASK.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    log = open(tmp_path / "dask.log", "w")
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], stdout=log, stderr=log, env=env)]
    from distributed import Client

    deadline = time.monotonic() + 60
    while True:  # the scheduler up
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            assert time.monotonic() < deadline, (tmp_path / "dask.log").read_text()
            time.sleep(0.2)
    workers = [subprocess.Popen([str(DASK), "worker", address, "--nthreads", "1", "--nworkers", "1",
                                 "--no-dashboard", "--death-timeout", "30"], stdout=log, stderr=log, env=env)
               for _ in range(2)]
    procs += workers
    with Client(address, timeout=30) as client:
        client.wait_for_workers(2, timeout=60)
    try:
        yield address, workers
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from make_msls_like import make

    root = tmp_path_factory.mktemp("city") / "msls"
    make(root, 30_000, cities=2, seed=4)
    return root


def test_a_running_scheduler_with_two_workers_gives_the_same_bytes_even_when_one_dies(cluster, city, tmp_path):
    address, workers = cluster
    common = dict(preset="msls", chunk_frames=300)
    annotate(city, "msls", out=tmp_path / "here", **common)
    annotate(city, "msls", out=tmp_path / "remote", scheduler=address, **common)
    assert _pairs_bytes(tmp_path / "here") == _pairs_bytes(tmp_path / "remote")

    killed = {}

    def kill_one(name, done, total):
        if name == "labelling" and done == 2 and not killed:
            workers[0].kill()  # SIGKILL: no goodbye to the scheduler
            killed["at"] = (done, total)

    annotate(city, "msls", out=tmp_path / "survived", scheduler=address,
             progress=Progress("quiet", callback=kill_one), **common)
    done, total = killed["at"]
    assert done < total  # it died mid-run
    assert workers[0].wait(timeout=10) != 0
    assert _pairs_bytes(tmp_path / "here") == _pairs_bytes(tmp_path / "survived")


def test_bad_schedulers_are_one_line(tmp_path):
    for bad in ("dask-local:0", "dask:2", "tcp://nohost", "http://127.0.0.1:8786"):
        with pytest.raises(ConfigError, match="scheduler must be 'local', 'dask-local:N'"):
            annotate(SAMPLE, "msls", preset="msls", scheduler=bad)
    result = cli("annotate", SAMPLE, "--format", "msls", "--preset", "msls", "--out", tmp_path / "x",
                 "--scheduler", f"tcp://127.0.0.1:{_free_port()}", "-q")
    assert result.exit_code == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.partial").exists()
