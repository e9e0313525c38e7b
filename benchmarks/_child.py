"""Run code in a fresh child process and measure it: its own peak memory (from wait4), so that
neither the parent's pages nor other children count."""

from __future__ import annotations

import os
import subprocess
import sys
import time


def measured(code: str, *args, quiet: bool = False) -> tuple[float, float]:
    """(seconds, peak MiB) of ``python -c code args...``; exits on a failed child."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *map(str, args)],
                            stdout=subprocess.DEVNULL if quiet else None)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child failed: {code.strip().splitlines()[:2]}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024.0
