"""Run code in a fresh child process and measure it: wall time, and peak memory of the whole
process tree (the child and every process it starts, e.g. joblib or Dask workers), so that
neither the parent's pages nor other programs count.

The tree's peak is the largest sum of resident set sizes (VmRSS, Linux /proc) seen while sampling
every ``SAMPLE_S``; it counts pages shared between processes once per process (an upper bound).
The child's own peak (max RSS from wait4) is exact and never above the tree's."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

SAMPLE_S = 0.02


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    """pid and all its descendants (Linux: /proc/PID/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except OSError:
                pass
    return out


def run_measured(argv, *, quiet: bool = False) -> tuple[float, float, float, str]:
    """(seconds, peak MiB of the whole tree, peak MiB of the child alone, stdout) of ``argv``;
    exits on a failed child."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(map(str, argv)), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else None,
                            text=True)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], sum(_rss_kib(p) for p in _tree(proc.pid)))
            done.wait(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    sampler.join()
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child failed: {' '.join(map(str, argv))[:200]}")
    own = usage.ru_maxrss / 1024.0
    return seconds, max(peak[0] / 1024.0, own), own, out


def measured(code: str, *args, quiet: bool = False) -> tuple[float, float]:
    """(seconds, peak MiB of the whole process tree) of ``python -c code args...``."""
    seconds, tree, _, out = run_measured([sys.executable, "-c", code, *args], quiet=quiet)
    if not quiet and out:
        sys.stdout.write(out)
    return seconds, tree
