"""Weak 2D labeller throughput, against a named baseline measured in the same run.

    python benchmarks/bench_weak2d.py [--pairs 1000000] [--frames 100000] [--jobs 1 2]

1. Kernel: fovlabel's exact sector overlap vs the baseline "per-pair shapely loop": for each pair,
   build the two sectors as shapely polygons with 32 points per arc and take
   intersection.area / union.area. Both run on the same candidate pairs (all pairs of a synthetic
   street grid whose apexes are closer than 2r), single-threaded. Prints pairs/s for both and the
   ratio, and how far the 32-point polygons are from the exact values.
2. End to end: a synthetic city of ~100k frames (lat/lon CSV) read, projected, paired, labelled and
   written to Parquet by ``fovlabel.annotate``, in a fresh child process per ``--jobs`` value so
   that its peak memory (of the whole process tree; benchmarks/_child.py) is its own. Prints
   frames/s, pairs and peak memory.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _child import run_measured  # noqa: E402

EARTH_R = 6_378_137.0


def street_grid(blocks: int, block_m=100.0, step_m=5.0, seed=0):
    """Frames every step_m along both directions of every street of a blocks x blocks grid:
    x, y (metres) and compass heading, with 1.5 m / 3° noise."""
    rng = np.random.default_rng(seed)
    xs, ys, hs = [], [], []
    along = np.arange(0.0, blocks * block_m, step_m)
    for k in range(blocks + 1):
        c = k * block_m
        for heading, x, y in ((0.0, np.full_like(along, c + 3), along), (180.0, np.full_like(along, c - 3), along[::-1]),
                              (90.0, along, np.full_like(along, c - 3)), (270.0, along[::-1], np.full_like(along, c + 3))):
            xs.append(x)
            ys.append(y)
            hs.append(np.full_like(along, heading))
    x, y, h = (np.concatenate(v) for v in (xs, ys, hs))
    n = len(x)
    return (x + rng.normal(0, 1.5, n), y + rng.normal(0, 1.5, n),
            (h + rng.normal(0, 3.0, n)) % 360.0)


def shapely_loop(xa, ya, ha, xb, yb, hb, fov_deg, radius_m, n_arc=32):
    import shapely

    def sector(x, y, h):
        centre = math.radians(90.0 - h)
        half = math.radians(fov_deg) / 2
        t = np.linspace(centre - half, centre + half, n_arc)
        ring = np.column_stack([x + radius_m * np.cos(t), y + radius_m * np.sin(t)])
        return shapely.Polygon(np.vstack([[x, y], ring]))

    out = np.empty(len(xa))
    for i in range(len(xa)):
        a = sector(xa[i], ya[i], ha[i])
        b = sector(xb[i], yb[i], hb[i])
        inter = a.intersection(b).area
        out[i] = inter / a.union(b).area if inter > 0 else 0.0
    return out


def bench_kernel(n_pairs: int, fov_deg=90.0, radius_m=50.0):
    from scipy.spatial import cKDTree

    from fovlabel.geometry.sector import sector_overlap

    x, y, h = street_grid(12)
    found = cKDTree(np.column_stack([x, y])).query_pairs(2 * radius_m, output_type="ndarray")
    found = found[np.random.default_rng(1).permutation(len(found))[:n_pairs]]
    a, b = found[:, 0], found[:, 1]
    print(f"kernel: {len(a):,} candidate pairs (street grid, apexes < {2 * radius_m:g} m apart), "
          f"fov {fov_deg:g}, radius {radius_m:g} m")
    xa, ya, ha, xb, yb, hb = x[a], y[a], h[a], x[b], y[b], h[b]
    sector_overlap(xa[:10], ya[:10], ha[:10], xb[:10], yb[:10], hb[:10])  # compile / load cache
    t0 = time.perf_counter()
    exact = sector_overlap(xa, ya, ha, xb, yb, hb, fov_deg_a=fov_deg, radius_m_a=radius_m)
    t_kernel = time.perf_counter() - t0
    t0 = time.perf_counter()
    approx = shapely_loop(xa, ya, ha, xb, yb, hb, fov_deg, radius_m)
    t_shapely = time.perf_counter() - t0
    k_rate, s_rate = len(a) / t_kernel, len(a) / t_shapely
    print(f"  fovlabel exact kernel : {k_rate:>12,.0f} pairs/s ({t_kernel:.2f} s, 1 thread)")
    print(f"  shapely loop, 32 pts  : {s_rate:>12,.0f} pairs/s ({t_shapely:.2f} s)")
    print(f"  ratio                 : {k_rate / s_rate:>12.1f} x")
    print(f"  |exact - 32-pt polygon|: mean {np.abs(exact - approx).mean():.2e}, max {np.abs(exact - approx).max():.2e}; "
          f"pairs with overlap > 0: {(exact > 0).mean():.1%}")


def make_city_csv(path: Path, frames: int):
    blocks = max(1, int(round((-1 + math.sqrt(1 + 4 * frames / 80)) / 2)))
    x, y, h = street_grid(blocks)
    h = np.round(h, 3) % 360.0  # printed with 3 decimals: 359.9996 must not become "360.000"
    lat0, lon0 = 48.137, 11.575
    lat = lat0 + np.degrees(y / EARTH_R)
    lon = lon0 + np.degrees(x / (EARTH_R * math.cos(math.radians(lat0))))
    with open(path, "w") as f:
        f.write("key,lat,lon,heading_deg\n")
        for i in range(len(x)):
            f.write(f"f{i:07d},{lat[i]:.8f},{lon[i]:.8f},{h[i]:.3f}\n")
    return len(x)


def e2e_child(csv: str, out: str, jobs: int):
    import fovlabel

    t0 = time.perf_counter()
    summary = fovlabel.annotate(csv, "csv", out=out, mode="within", jobs=jobs, fov_deg=90.0, radius_m=50.0)
    seconds = time.perf_counter() - t0
    print(f"{summary.frames} {summary.pairs} {seconds}")


def bench_e2e(frames: int, jobs_list):
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "city.csv"
        n = make_city_csv(csv, frames)
        print(f"end to end: synthetic city of {n:,} frames (lat/lon CSV), within mode, fov 90, radius 50 m, "
              "to Parquet")
        # warm the numba cache so that compile time is not counted
        subprocess.run([sys.executable, "-c", "import fovlabel; fovlabel.weak_fov_overlap(0, 0, 0, 1, 1, 0)"], check=True)
        for jobs in jobs_list:
            out = Path(tmp) / f"labels-{jobs}"
            _, tree, _, stdout = run_measured([sys.executable, __file__, "--e2e-child", csv, out, jobs], quiet=True)
            n_frames, n_pairs, seconds = stdout.split()
            seconds = float(seconds)
            size = sum(p.stat().st_size for p in out.iterdir()) / 2**20
            print(f"  jobs={jobs}: {int(n_frames) / seconds:>10,.0f} frames/s ({seconds:.1f} s), "
                  f"{int(n_pairs):,} pairs, {size:.0f} MiB on disk, peak memory {tree:.0f} MiB "
                  "(the whole process tree)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=1_000_000)
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--e2e-child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.e2e_child:
        e2e_child(args.e2e_child[0], args.e2e_child[1], int(args.e2e_child[2]))
        return
    bench_kernel(args.pairs)
    bench_e2e(args.frames, args.jobs)


if __name__ == "__main__":
    main()
