"""Places for GSV-Cities-style training: fovlabel's overlap places against the two rules in use,
built from the same frames and measured by the same label set, in one run.

- **overlap** (``--to gsv-cities``): every pair in a place overlaps >= 0.5, no pair across places
  of a city overlaps at all;
- **25 m cliques** (CliqueMining's rule): greedy cliques of frames all within 25 m of each other,
  heading ignored;
- **100 m apart** (GSV-Cities' published rule): places around seeds at least 100 m apart, each the
  seed's frames within 12.5 m.

All keep places of 4 to 20 frames. For each: frames kept, places, and false negatives: pairs of
frames in two different places of one city whose overlap (the label set's, within mode: every
pair within reach was labelled) is above 0. The goal: zero false negatives while keeping more
frames than the 100 m rule. Beside them, for sets of up to 5,000 frames, the most frames the
overlap rules allow at all (an integer program, :func:`optimum`): how far the greedy is from the
best, and whether more than the 100 m rule's count can be kept at all.

    python benchmarks/bench_gsv_places.py [--msls-frames 20000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "benchmarks"))


def distance_places(x, y, group, radius_m, min_images, max_images, apart_m=None):
    """Greedy places by distance: seeds with most frames within ``radius_m`` first; a place is the
    seed's free frames, nearest first, all pairwise within 2 x ``radius_m`` (a clique at 25 m when
    radius is 12.5) or, with ``apart_m``, within ``radius_m`` of a seed at least ``apart_m`` from
    every kept seed."""
    from scipy.spatial import cKDTree

    n = len(x)
    place = np.full(n, -1)
    count = 0
    for g in np.unique(group):
        idx = np.flatnonzero(group == g)
        tree = cKDTree(np.c_[x[idx], y[idx]])
        near = tree.query_ball_point(np.c_[x[idx], y[idx]], radius_m if apart_m else 2 * radius_m)
        order = np.argsort([-len(v) for v in near], kind="stable")
        seeds = []
        for s in order:
            if place[idx[s]] >= 0:
                continue
            if apart_m and any(np.hypot(x[idx[s]] - x[idx[t]], y[idx[s]] - y[idx[t]]) < apart_m for t in seeds):
                continue
            cand = sorted((k for k in near[s] if place[idx[k]] < 0 and k != s),
                          key=lambda k: np.hypot(x[idx[k]] - x[idx[s]], y[idx[k]] - y[idx[s]]))
            members = [s]
            for k in cand:
                if len(members) == max_images:
                    break
                if apart_m or all(np.hypot(x[idx[k]] - x[idx[m]], y[idx[k]] - y[idx[m]]) <= 2 * radius_m
                                  for m in members):
                    members.append(k)
            if len(members) >= min_images:
                place[idx[members]] = count
                count += 1
                seeds.append(s)
    return place


def optimum(n, a, b, v, usable, min_overlap=0.5, min_images=4, max_images=20, time_limit=120.0):
    """The most frames any placement under the overlap rules keeps: an integer program (scipy's
    milp, HiGHS). x_i = frame i kept. A pair 0 < overlap < min_overlap: not both kept. Kept frames
    that overlap must be one place, so a kept frame's kept neighbours overlap each other strongly:
    x_i + x_j + x_k <= 2 for a path i-k-j whose ends are not a strong pair (added lazily, where the
    solution breaks one). Size: a kept frame has min_images - 1 to max_images - 1 kept strong
    partners. Returns (frames kept, the solver's bound on the optimum); equal when it is proven."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    strong = v >= min_overlap
    pairs = set(zip(a[strong].tolist(), b[strong].tolist()))
    pairs |= {(j, i) for i, j in pairs}
    near = [set() for _ in range(n)]
    for i, j in zip(a.tolist(), b.tolist()):
        near[i].add(j)
        near[j].add(i)
    rows = [([i, j], [1, 1], -np.inf, 1) for i, j in zip(a[~strong].tolist(), b[~strong].tolist())]
    for i in range(n):
        mates = sorted(j for j in near[i] if (i, j) in pairs)
        d = len(mates)
        rows.append((mates + [i], [1] * d + [-(min_images - 1)], 0, np.inf))
        rows.append((mates + [i], [1] * d + [d], -np.inf, max_images - 1 + d))
    while True:
        cells = [(r, c, w) for r, (cols, coef, _, _) in enumerate(rows) for c, w in zip(cols, coef)]
        r, c, w = (np.array(t) for t in zip(*cells))
        matrix = coo_matrix((w, (r, c)), shape=(len(rows), n)).tocsr()
        result = milp(-np.ones(n), integrality=np.ones(n), bounds=Bounds(0, usable.astype(float)),
                      constraints=LinearConstraint(matrix, [row[2] for row in rows], [row[3] for row in rows]),
                      options={"time_limit": time_limit})
        kept = set(np.flatnonzero(np.round(result.x)).tolist())
        cuts = [([i, j, k], [1, 1, 1], -np.inf, 2) for k in kept
                for i in near[k] & kept for j in near[k] & kept if i < j and (i, j) not in pairs]
        if not cuts:
            return len(kept), int(np.floor(-result.mip_dual_bound + 1e-6))
        rows += cuts


def score(place, group, a, b, v):
    across = (place[a] >= 0) & (place[b] >= 0) & (place[a] != place[b]) & (group[a] == group[b]) & (v > 0)
    inside = (place[a] >= 0) & (place[a] == place[b])
    return {"frames": int((place >= 0).sum()), "places": int(len(np.unique(place[place >= 0]))),
            "false negatives": int(across.sum()), "inside pairs >= 0.5": float(np.mean(v[inside] >= 0.5))
            if inside.any() else float("nan")}


def run(name, dataset, fmt, max_optimum=5000, **settings):
    from fovlabel import annotate, read_label_frames, read_pairs
    from fovlabel.exporters.gsv_cities import overlap_places

    with tempfile.TemporaryDirectory() as tmp:
        labels = Path(tmp) / "labels"
        started = time.perf_counter()
        annotate(dataset, fmt, mode="within", keep_zero=False, out=labels, **settings)
        labelled = time.perf_counter() - started
        frames, pairs = read_label_frames(labels), read_pairs(labels)
    a, b, v = (pairs[c].to_numpy() for c in ("frame_a", "frame_b", "overlap"))
    group = frames["group"].to_numpy(dtype=object)
    usable = frames["usable"].to_numpy()
    x = frames["x_m"].to_numpy(np.float64, na_value=np.nan)
    y = frames["y_m"].to_numpy(np.float64, na_value=np.nan)
    if np.isnan(x).all():
        x, y = frames["plane_x_m"].to_numpy(np.float64, na_value=np.nan), frames["plane_y_m"].to_numpy(np.float64, na_value=np.nan)
    x, y = np.where(usable, x, 1e12), np.where(usable, y, 1e12)
    started = time.perf_counter()
    rules = {"overlap (fovlabel)": overlap_places(len(frames), a, b, v, usable, 0.5, 4, 20)}
    took = time.perf_counter() - started
    rules["25 m cliques"] = distance_places(x, y, group, 12.5, 4, 20)
    rules["100 m apart"] = distance_places(x, y, group, 12.5, 4, 20, apart_m=100.0)
    print(f"\n{name}: {len(frames):,} frames ({int(usable.sum()):,} usable), {len(pairs):,} pairs with overlap > 0; "
          f"labelling {labelled:.1f} s, overlap places {took:.2f} s")
    if len(frames) <= max_optimum:
        started = time.perf_counter()
        best, bound = optimum(len(frames), a, b, v, usable)
        proven = "proven" if best == bound else f"bound {bound}, 120 s limit"
        print(f"  the most frames the overlap rules allow (integer program): {best} ({proven}; "
              f"{time.perf_counter() - started:.0f} s)")
    print(f"  {'rule':<20} {'frames':>8} {'places':>7} {'false negatives':>16} {'inside >= 0.5':>14}")
    for rule, place in rules.items():
        s = score(place, group, a, b, v)
        print(f"  {rule:<20} {s['frames']:>8,} {s['places']:>7,} {s['false negatives']:>16,} "
              f"{s['inside pairs >= 0.5']:>14.1%}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--msls-frames", type=int, default=20000)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    run("Munich (weak 2D, msls preset)", SHARED / "gps_heading/munich_4seasons/derived/msls_like", "msls",
        preset="msls")
    run("KITTI 06 (strong 2D, camera FoV, 30 m)", SHARED / "poses/kitti_odometry/06.txt", "kitti",
        labeller="strong2d", fov_deg="intrinsics", fx=707.09, width=1226.0, radius_m=30.0)
    from make_msls_like import make

    with tempfile.TemporaryDirectory() as tmp:
        make(Path(tmp), args.msls_frames, cities=2, seed=0)
        run(f"MSLS-like ({args.msls_frames:,} frames, 2 cities, weak 2D)", Path(tmp), "msls", preset="msls")


if __name__ == "__main__":
    main()
