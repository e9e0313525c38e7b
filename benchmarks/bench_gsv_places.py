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
frames than the 100 m rule.

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


def score(place, group, a, b, v):
    across = (place[a] >= 0) & (place[b] >= 0) & (place[a] != place[b]) & (group[a] == group[b]) & (v > 0)
    inside = (place[a] >= 0) & (place[a] == place[b])
    return {"frames": int((place >= 0).sum()), "places": int(len(np.unique(place[place >= 0]))),
            "false negatives": int(across.sum()), "inside pairs >= 0.5": float(np.mean(v[inside] >= 0.5))
            if inside.any() else float("nan")}


def run(name, dataset, fmt, **settings):
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
