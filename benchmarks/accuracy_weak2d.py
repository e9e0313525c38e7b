"""Largest error of the exact sector kernel against the shapely reference (tests/naive.py,
equal-area 4096-point polygons) on the test suite's cases (tests/cases.py): 10,000 random and
degenerate pairs, and 2,400 tangent and near-tangent circles.

    python benchmarks/accuracy_weak2d.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import naive  # noqa: E402
from cases import random_cases, tangent_cases  # noqa: E402

from fovlabel.geometry.sector import sector_overlap  # noqa: E402


def main():
    n = 10_000
    ha, fa, ra, xb, yb, hb, fb, rb = random_cases(n, seed=7)
    kw = dict(fov_deg_a=fa, radius_m_a=ra, fov_deg_b=fb, radius_m_b=rb)
    iou = sector_overlap(0.0, 0.0, ha, xb, yb, hb, **kw)
    ioa = sector_overlap(0.0, 0.0, ha, xb, yb, hb, measure="ioa", **kw)
    ref_iou, ref_ioa = naive.sector_overlaps_many(np.zeros(n), np.zeros(n), ha, fa, ra, xb, yb, hb, fb, rb)
    print(f"{n:,} pairs: max |iou - reference| {np.abs(iou - ref_iou).max():.2e}, "
          f"max |ioa - reference| {np.abs(ioa - ref_ioa).max():.2e}, overlap > 0 in {(iou > 0).mean():.1%}")
    n = 2_400
    xa, ya, ha, fa, ra, xb, yb, hb, fb, rb, external = tangent_cases(n, seed=5)
    kw = dict(fov_deg_a=fa, radius_m_a=ra, fov_deg_b=fb, radius_m_b=rb)
    iou = sector_overlap(xa, ya, ha, xb, yb, hb, **kw)
    ref_iou, _ = naive.sector_overlaps_many(np.zeros(n), np.zeros(n), ha, fa, ra, xb - xa, yb - ya, hb, fb, rb)
    err = np.abs(iou - ref_iou)
    print(f"{n:,} tangent pairs: max |iou - reference| {err.max():.2e} (external {err[external].max():.2e}, "
          f"internal {err[~external].max():.2e})")


if __name__ == "__main__":
    main()
