"""``fovlabel view`` on a large label set: how soon the first map is served, how long a click's
matches take, and the server's memory, beside the naive way measured in the same run.

    python benchmarks/bench_view.py [--frames 1600000] [--cities 8] [--clicks 50] [--keep DIR]

1. Makes an MSLS-like set (benchmarks/make_msls_like.py) and labels it (``fovlabel annotate
   --preset msls --jobs 2``; not timed), unless ``--keep DIR`` holds them from an earlier run.
2. Starts ``fovlabel view LABELS --port 0 --no-browser`` and times, from the start of the
   process: the page, ``/api/info`` and the first ``/api/map`` of the whole set (the app is
   ready: the map can be drawn), then the pair index (``/api/status`` ready: clicks answer).
3. ``--clicks`` frames picked at random: ``/api/frame/ID`` (a frame and its matches in rank
   order), each timed; the median and the slowest.
4. The baseline: what a click would cost without the index, one pandas ``read_parquet`` of the
   pairs table's ids and overlaps, filtered for one frame (best of 3).
5. The server's peak memory (VmHWM of its process).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from make_msls_like import make  # noqa: E402


def get(url: str):
    with urllib.request.urlopen(url, timeout=300) as r:
        return r.read()


def peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=1_600_000)
    ap.add_argument("--cities", type=int, default=8)
    ap.add_argument("--clicks", type=int, default=50)
    ap.add_argument("--keep", type=Path, help="make the set and its labels here and keep them")
    args = ap.parse_args()
    fovlabel = Path(sys.executable).with_name("fovlabel")
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        root, labels = work / f"msls_{args.frames}", work / f"labels_{args.frames}"
        if not (labels / "pairs.parquet").exists():
            make(root, args.frames, args.cities)
            subprocess.run([fovlabel, "annotate", root, "--format", "msls", "--preset", "msls", "--out", labels,
                            "--jobs", "2", "--quiet", "--overwrite"], check=True, stdout=subprocess.DEVNULL)
        import pyarrow.parquet as pq

        n_frames = pq.ParquetFile(labels / "_frames" / "frames.parquet").metadata.num_rows
        n_pairs = pq.ParquetFile(labels / "pairs.parquet").metadata.num_rows
        print(f"label set: {n_frames:,} frames, {n_pairs:,} pairs")
        start = time.perf_counter()
        proc = subprocess.Popen([fovlabel, "view", labels, "--port", "0", "--no-browser"], stdout=subprocess.PIPE,
                                text=True)
        try:
            line = proc.stdout.readline()
            url = re.search(r"http://\S+/", line).group(0)
            listening = time.perf_counter() - start
            get(url)
            info = json.loads(get(url + "api/info"))
            x0, y0, x1, y1 = info["bounds"]
            first = json.loads(get(url + f"api/map?x0={x0}&y0={y0}&x1={x1}&y1={y1}&w=1200&h=800"))
            ready = time.perf_counter() - start
            drawn = sum(first["cells"]["count"]) if "cells" in first else len(first["points"]["id"])
            print(f"  listening after {listening:.2f} s; first map served after {ready:.2f} s "
                  f"({drawn:,} frames on it, {'counted on a grid' if 'cells' in first else 'one by one'})")
            while not json.loads(get(url + "api/status"))["ready"]:
                time.sleep(0.1)
            indexed = time.perf_counter() - start
            print(f"  pair index, histogram and summary ready after {indexed:.2f} s")
            rng = np.random.default_rng(0)
            times, counts = [], []
            for i in rng.choice(n_frames, args.clicks, replace=False):
                t = time.perf_counter()
                answer = json.loads(get(url + f"api/frame/{int(i)}"))
                times.append(time.perf_counter() - t)
                counts.append(len(answer["matches"]))
            times = np.array(times) * 1000
            print(f"  a click's matches ({args.clicks} random frames, {np.mean(counts):.0f} matches on average): "
                  f"median {np.median(times):.0f} ms, slowest {times.max():.0f} ms")
            print(f"  server peak memory {peak_mib(proc.pid):,.0f} MiB (VmHWM)")
        finally:
            proc.terminate()
            proc.wait()
        import pandas as pd

        naive = []
        for _ in range(3):
            t = time.perf_counter()
            pairs = pd.read_parquet(labels / "pairs.parquet", columns=["frame_a", "frame_b", "overlap"])
            pairs[(pairs["frame_a"] == 7) | (pairs["frame_b"] == 7)].sort_values("overlap")
            naive.append(time.perf_counter() - t)
            del pairs
        print(f"  baseline, a full read and scan of the pairs for one click: {min(naive) * 1000:,.0f} ms (best of 3); "
              f"the median click is {min(naive) * 1000 / np.median(times):,.0f}x faster")


if __name__ == "__main__":
    main()
