"""A dense scene: the TUM fr2_desk ground truth (20,956 poses of one desk, every frame within a few
metres of every other), strong 2D at radius 2 m and fov 60°, within mode: about 217M pairs.

Runs the ``fovlabel annotate`` program on it and prints the peak memory of the whole process tree
and its wall time against the kernel floor measured in the same run: the sector kernel alone on
the same candidate pairs in two threads (the labelling cannot be faster than its kernel), beside
the goals: under 2 GiB at ``--jobs 2`` and within 2x the floor.

    python benchmarks/bench_dense.py [--stride 1] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
FR2_DESK = ROOT.parent / "shared" / "data" / "poses" / "tum_rgbd_groundtruth" / "fr2_desk_groundtruth.txt"

FLOOR = """
import sys, time
from concurrent.futures import ThreadPoolExecutor
import numpy as np
from fovlabel import read_frames
from fovlabel.config import make_config
from fovlabel.labellers import get_labeller
from fovlabel.pairs import candidate_pairs

path, stride = sys.argv[1], int(sys.argv[2])
frames = read_frames(path, "tum", stride=stride if stride > 1 else None)
config = make_config(labeller="strong2d", radius_m=2.0, fov_deg=60.0, mode="within")
labeller = get_labeller("strong2d")
state = labeller.prepare(frames, config.params).state
labeller.warm_up()
sectors = state["sectors"]
rows = np.flatnonzero(frames["usable"].to_numpy())
pieces = np.array_split(rows, max(1, len(rows) // 500))
pairs = [candidate_pairs(sectors.x_m, sectors.y_m, sectors.radius_m, p, rows, True)[:2] for p in pieces]
total = sum(len(a) for a, _ in pairs)
started = time.perf_counter()
with ThreadPoolExecutor(2) as pool:
    list(pool.map(lambda ab: sectors.overlap(ab[0], ab[1], "iou"), pairs))
print(f"{time.perf_counter() - started:.3f} {total}")
"""


def main():
    import subprocess

    from _child import run_measured

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stride", type=int, default=1, help="every k-th pose (1: all 20,956)")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if not FR2_DESK.is_file():
        raise SystemExit(f"{FR2_DESK} is absent: the benchmark reads the shared recordings")
    print(f"load average {os.getloadavg()[0]:.2f}")
    floor_out = subprocess.run([sys.executable, "-c", FLOOR, str(FR2_DESK), str(args.stride)], capture_output=True,
                               text=True, check=True).stdout.split()
    floor_s, candidates = float(floor_out[0]), int(floor_out[1])
    with tempfile.TemporaryDirectory() as tmp:
        argv = [Path(sys.executable).parent / "fovlabel", "annotate", FR2_DESK, "--format", "tum",
                "--labeller", "strong2d", "--radius-m", "2", "--fov-deg", "60", "--mode", "within",
                "--jobs", str(args.jobs), "--out", Path(tmp) / "labels", "-q"]
        if args.stride > 1:
            argv += ["--stride", str(args.stride)]
        seconds, tree_mib, _, out = run_measured(argv)
        pairs = next(line for line in out.splitlines() if line.startswith("pairs:")).split()[1]
        size = (Path(tmp) / "labels" / "pairs.parquet").stat().st_size / 2**20
    print(f"fr2_desk, stride {args.stride}: {candidates:,} candidate pairs, {pairs} pairs written "
          f"({size:,.0f} MiB of Parquet)")
    print(f"  fovlabel annotate --jobs {args.jobs}: {seconds:.1f} s, peak {tree_mib:,.0f} MiB (whole process tree; "
          f"goal < 2,048 MiB)")
    print(f"  kernel floor (the sector kernel alone on the same candidates, 2 threads): {floor_s:.1f} s")
    print(f"  ratio: {seconds / floor_s:.2f}x the floor (goal <= 2x)")


if __name__ == "__main__":
    main()
