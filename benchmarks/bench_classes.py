"""Place classes from overlap against CosPlace-style cells at a similar mean class size.

    python benchmarks/bench_classes.py [--min-overlap 0.5]

On Munich (MSLS layout, weak 2D, msls preset; database-database overlaps computed) and KITTI 06
(strong 2D, fov from intrinsics, 30 m), with the same pairs for both: fovlabel's classes
(``fovlabel.classes.place_classes``) and the baseline "CosPlace cells" (the UTM or ground-plane
cell of M metres x a 30° heading bin), M chosen from 2-40 m so that the mean class size is the
closest to fovlabel's. Prints, for each, the class count, mean size, the share of same-class
pairs with overlap >= the threshold, and leakage (the share of pairs with overlap >= the
threshold that cross classes); lower leakage is better.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--min-overlap", type=float, default=0.5)
    args = ap.parse_args()
    from fovlabel import annotate, read_label_frames
    from fovlabel.classes import cell_classes, class_quality, place_classes

    runs = {
        "Munich (weak2d, msls)": (SHARED / "gps_heading/munich_4seasons/derived/msls_like", "msls",
                                  dict(preset="msls")),
        "KITTI 06 (strong2d)": (SHARED / "poses/kitti_odometry/06.txt", "kitti",
                                dict(labeller="strong2d", fov_deg="intrinsics", fx=707.09, width=1226,
                                     radius_m=30.0, mode="within")),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, (path, fmt, kw) in runs.items():
            labels = Path(tmp) / fmt
            annotate(path, fmt, out=labels, **kw)
            report = place_classes(labels, args.min_overlap)
            a, b, v = report.pairs
            mean = np.mean(report.sizes)
            frames = read_label_frames(labels)
            best = None
            for cell in np.arange(2.0, 40.5, 0.5):
                c = cell_classes(frames, cell, 30.0)
                sizes = np.unique(c[c >= 0], return_counts=True)[1]
                if best is None or abs(sizes.mean() - mean) < abs(best[1] - mean):
                    best = (cell, sizes.mean(), len(sizes), c)
            cell, cell_mean, cell_n, c = best
            inside_c, leak_c = class_quality(c, a, b, v, args.min_overlap)
            print(f"{name}: {len(frames)} frames, {len(a):,} pairs, threshold {args.min_overlap:g}")
            print(f"  fovlabel classes      : {len(report.sizes):4d} classes, mean size {mean:5.1f}, "
                  f"inside {report.inside_share:6.1%}, leakage {report.leakage:6.1%}")
            print(f"  cells {cell:4.1f} m x 30°   : {cell_n:4d} classes, mean size {cell_mean:5.1f}, "
                  f"inside {inside_c:6.1%}, leakage {leak_c:6.1%}")
            print(f"  leakage ratio (cells / fovlabel): {leak_c / max(report.leakage, 1e-9):.2f}")


if __name__ == "__main__":
    main()
