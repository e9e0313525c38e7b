"""Run code in a fresh child process and measure it: wall time, and peak memory of the whole
process tree (the child and every process it starts, e.g. joblib or Dask workers), so that
neither the parent's pages nor other programs count.

Sampled every ``SAMPLE_S`` from Linux /proc: the tree's peak is the largest sum of the processes'
resident set sizes (VmRSS; pages shared between processes count once per process, an upper
bound), and never less than the largest high-water mark (VmHWM) of any one of them, which is
exact for that process since its exec. (wait4's max RSS is not used: on Linux it keeps the high
mark of the moment after the fork, when the child still counts the parent's pages.)"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

SAMPLE_S = 0.02


def _memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB; zeros once it is gone."""
    rss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


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
    peak, high = [0], {}
    done = threading.Event()

    def sample():
        while not done.is_set():
            total = 0
            for p in _tree(proc.pid):
                rss, hwm = _memory_kib(p)
                total += rss
                high[p] = max(high.get(p, 0), hwm)
            peak[0] = max(peak[0], total)
            done.wait(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read()
    _, status = os.waitpid(proc.pid, 0)
    done.set()
    sampler.join()
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child failed: {' '.join(map(str, argv))[:200]}")
    own = high.get(proc.pid, 0) / 1024.0
    return seconds, max(peak[0], *high.values(), 0) / 1024.0, own, out


def measured(code: str, *args, quiet: bool = False) -> tuple[float, float]:
    """(seconds, peak MiB of the whole process tree) of ``python -c code args...``."""
    seconds, tree, _, out = run_measured([sys.executable, "-c", code, *args], quiet=quiet)
    if not quiet and out:
        sys.stdout.write(out)
    return seconds, tree
