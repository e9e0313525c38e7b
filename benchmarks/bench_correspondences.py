"""Correspondence kernel throughput beside a numpy implementation of the same reprojection, on
the same pixels of the same real pairs, in one run.

    python benchmarks/bench_correspondences.py [--repeat 5]

Pixels: every valid depth pixel of frame a for the pairs (0,20), (200,220), (0,100), (0,300),
(0,980) of ../shared/data/rgbd/7scenes_redkitchen_every20 (640x480 Kinect depth, about 1.4M
pixels in all). Both implementations get the decoded depth images, cameras and poses, and return
the projected pixel, both depths and the status of every pixel; single thread, best of
``--repeat``. Prints pixels/s (each one a candidate correspondence) and correspondences kept/s, and
the ratio. The numpy baseline is tests/naive.py's reference (array operations, one at a time).
Then the whole ``fovlabel.correspondences`` run over the label set's pairs (decoding included).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
KITCHEN = ROOT.parent / "shared" / "data" / "rgbd" / "7scenes_redkitchen_every20"
sys.path.insert(0, str(ROOT / "tests"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if not KITCHEN.exists():
        sys.exit(f"{KITCHEN} is absent (../shared/data is not beside the project)")
    import naive

    from fovlabel import annotate
    from fovlabel.correspondences import _RgbdSource, correspondences, reproject
    from fovlabel.io.labelset import dataset_root_of, read_label_frames, read_pairs

    with tempfile.TemporaryDirectory() as tmp:
        labels = Path(tmp) / "labels"
        annotate(KITCHEN, "7scenes", labeller="cloud3d", mode="within", out=labels)
        frames = read_label_frames(labels)
        src = _RgbdSource(frames, dataset_root_of(read_pairs(labels).attrs["fovlabel"]))
        index = {int(k[-6:]): i for i, k in enumerate(frames["key"])}
        jobs = []
        for a, b in ((0, 20), (200, 220), (0, 100), (0, 300), (0, 980)):
            i, j = index[a], index[b]
            depth_a, valid = src.depth(i)
            depth_b, _ = src.depth(j)
            vs, us = np.divmod(valid, depth_a.shape[1])
            jobs.append((depth_a, us, vs, src.camera(i), src.pose(i), depth_b, src.camera(j), src.pose(j)))
        n = sum(len(job[1]) for job in jobs)

        def kernel():
            return sum(int((reproject(da, us, vs, ca, 1000.0, pa, db, cb, 1000.0, pb)[4] == 0).sum())
                       for da, us, vs, ca, pa, db, cb, pb in jobs)

        def numpy_ref():
            return sum(int((naive.reproject_pixels(da, us, vs, (ca.fx, ca.fy, ca.cx, ca.cy), 1000.0, *pa, db,
                                                   (cb.fx, cb.fy, cb.cx, cb.cy), 1000.0, *pb, 0.05)[4] == 0).sum())
                       for da, us, vs, ca, pa, db, cb, pb in jobs)

        kernel()  # compile or load
        rates = {}
        for name, fn in (("kernel", kernel), ("numpy", numpy_ref)):
            best = np.inf
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                kept = fn()
                best = min(best, time.perf_counter() - t0)
            rates[name] = (n / best, kept / best, kept)
        print(f"{n:,} pixels of a (5 redkitchen pairs, all valid depth), best of {args.repeat}, 1 thread")
        for name, label in (("kernel", "Numba kernel"), ("numpy", "numpy, same reprojection")):
            px, kept, count = rates[name]
            print(f"  {label:<25}: {px:>13,.0f} pixels/s, {kept:>12,.0f} correspondences/s ({count:,} kept)")
        print(f"  ratio kernel / numpy     : {rates['kernel'][0] / rates['numpy'][0]:>13.1f} x")
        t0 = time.perf_counter()
        summary = correspondences(labels, Path(tmp) / "corr", min_overlap=0.3, per_pair=1000)
        seconds = time.perf_counter() - t0
        print(f"  whole run (min overlap 0.3, 1000 a pair, decoding included): {summary['pairs']} pairs, "
              f"{summary['rows']:,} rows in {seconds:.2f} s")


if __name__ == "__main__":
    main()
