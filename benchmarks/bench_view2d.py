"""The view-consistent 2D kernel's throughput, beside the plain sector kernel and a shapely
implementation of the same measure, on the same pairs in one run.

    python benchmarks/bench_view2d.py [--pairs 1000000] [--shapely-pairs 20000] [--theta 60]

Pairs: candidate pairs of a synthetic street grid (frames every 5 m along both directions of every
street, apexes closer than 2r = 100 m, fov 90°), as in bench_weak2d.py. Each kernel runs single
threaded on prepared per-frame arrays (fovlabel.geometry.sector.Sectors, what the labeller calls);
the best of ``--repeat`` runs counts. Baseline "shapely, same measure": per pair, the two sectors
and the two excluded discs as shapely polygons (32 points an arc, 64 a circle),
(A ∩ B) minus (the discs' union, or their intersection past 90°), area over the union: on the
first ``--shapely-pairs`` of the same pairs (it is slow; pairs/s does not depend on how many).
Prints pairs/s of each and the ratios, and how far the 32-point polygons are from the exact value.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_weak2d import street_grid  # noqa: E402


def shapely_view(xa, ya, ha, xb, yb, hb, fov_deg, radius_m, theta_deg, n_arc=32):
    """The view-consistent IoU of each pair with shapely polygons."""
    import shapely

    def sector(x, y, h):
        centre = math.radians(90.0 - h)
        half = math.radians(fov_deg) / 2
        t = np.linspace(centre - half, centre + half, n_arc)
        return shapely.Polygon(np.vstack([[x, y], np.column_stack([x + radius_m * np.cos(t), y + radius_m * np.sin(t)])]))

    def disc(x, y, r):
        t = np.linspace(0, 2 * math.pi, 2 * n_arc, endpoint=False)
        return shapely.Polygon(np.column_stack([x + r * np.cos(t), y + r * np.sin(t)]))

    theta = math.radians(theta_deg)
    out = np.empty(len(xa))
    for i in range(len(xa)):
        a, b = sector(xa[i], ya[i], ha[i]), sector(xb[i], yb[i], hb[i])
        inter = a.intersection(b)
        if inter.is_empty:
            out[i] = 0.0
            continue
        length = math.hypot(xb[i] - xa[i], yb[i] - ya[i])
        seen = inter
        if length > 1e-9:
            mx, my = (xa[i] + xb[i]) / 2, (ya[i] + yb[i]) / 2
            nx, ny = -(yb[i] - ya[i]) / length, (xb[i] - xa[i]) / length
            r = length / (2 * math.sin(theta))
            d = length * math.cos(theta) / (2 * math.sin(theta))
            d1, d2 = disc(mx + d * nx, my + d * ny, r), disc(mx - d * nx, my - d * ny, r)
            seen = inter.difference(d1.union(d2) if theta_deg < 90 else d1.intersection(d2))
        out[i] = seen.area / (a.area + b.area - inter.area)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=1_000_000)
    ap.add_argument("--shapely-pairs", type=int, default=20_000)
    ap.add_argument("--theta", type=float, default=60.0)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from scipy.spatial import cKDTree

    from fovlabel.geometry.sector import Sectors

    fov, radius = 90.0, 50.0
    x, y, h = street_grid(12)
    found = cKDTree(np.column_stack([x, y])).query_pairs(2 * radius, output_type="ndarray")
    found = found[np.random.default_rng(1).permutation(len(found))[:args.pairs]]
    a, b = np.ascontiguousarray(found[:, 0]), np.ascontiguousarray(found[:, 1])
    sectors = Sectors(x, y, h, fov, radius)
    sectors.overlap(a[:10], b[:10])  # compile or load the kernels
    sectors.overlap(a[:10], b[:10], "iou", args.theta)

    def best_rate(theta):
        rates = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            values = sectors.overlap(a, b, "iou", theta)
            rates.append(len(a) / (time.perf_counter() - t0))
        return max(rates), values

    plain_rate, plain = best_rate(None)
    view_rate, view = best_rate(args.theta)
    m = min(args.shapely_pairs, len(a))
    t0 = time.perf_counter()
    approx = shapely_view(x[a[:m]], y[a[:m]], h[a[:m]], x[b[:m]], y[b[:m]], h[b[:m]], fov, radius, args.theta)
    shapely_rate = m / (time.perf_counter() - t0)
    print(f"{len(a):,} candidate pairs (street grid, apexes < {2 * radius:g} m apart), fov {fov:g}, "
          f"radius {radius:g} m, max view angle {args.theta:g}°; best of {args.repeat}, 1 thread")
    print(f"  view-consistent kernel      : {view_rate:>12,.0f} pairs/s")
    print(f"  plain sector kernel         : {plain_rate:>12,.0f} pairs/s  (view / plain: {view_rate / plain_rate:.2f})")
    print(f"  shapely, same measure, 32 pt: {shapely_rate:>12,.0f} pairs/s  (on {m:,} of the pairs)")
    print(f"  ratio view kernel / shapely : {view_rate / shapely_rate:>12.1f} x")
    err = np.abs(view[:m] - approx)
    print(f"  |exact - 32-pt polygons|    : mean {err.mean():.2e}, max {err.max():.2e}; pairs with overlap > 0: "
          f"plain {(plain > 0).mean():.1%}, view {(view > 0).mean():.1%}")


if __name__ == "__main__":
    main()
