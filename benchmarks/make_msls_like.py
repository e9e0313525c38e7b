"""An MSLS-like benchmark set in the MSLS layout, of any size, made here (no data is downloaded).

    python benchmarks/make_msls_like.py OUT --frames 200000 [--cities 8] [--seed 0]

Each city is a street grid driven in both directions, a frame every 2-3 m with GPS noise
(1.5 m) and compass noise (3°), a share of the streets driven a second time (revisits, 20%), and
about 25% of the frames, whole drives at a time, in the query set; the rest is the database.
Cities lie in different UTM zones. Written as ``OUT/<city>/{query,database}/raw.csv``
(``key, lon, lat, ca, captured_at, pano``), what ``fovlabel annotate OUT --format msls`` reads.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

EARTH_M_PER_DEG = 111_320.0


def city_frames(n_frames: int, rng: np.random.Generator, block_m=100.0):
    """x, y (metres), compass heading and drive id of about ``n_frames`` frames of one city."""
    per_block_street = 2 * block_m / 2.5  # two directions, a frame every ~2.5 m
    blocks = max(1, int(math.sqrt(n_frames / (2 * per_block_street * 1.2))))
    xs, ys, hs, drives = [], [], [], []
    drive = 0
    for k in range(blocks + 1):
        c = k * block_m
        for heading, horizontal in ((0.0, False), (180.0, False), (90.0, True), (270.0, True)):
            for visit in range(2 if rng.random() < 0.2 else 1):  # revisits
                along = np.cumsum(rng.uniform(2.0, 3.0, int(blocks * block_m / 2.5)))
                along = along[along < blocks * block_m]
                if heading in (180.0, 270.0):
                    along = along[::-1]
                side = 3.0 if heading in (0.0, 270.0) else -3.0
                x, y = (along, np.full_like(along, c + side)) if horizontal else (np.full_like(along, c + side), along)
                xs.append(x)
                ys.append(y)
                hs.append(np.full_like(along, heading))
                drives.append(np.full(len(along), drive))
                drive += 1
    x, y, h, d = (np.concatenate(v) for v in (xs, ys, hs, drives))
    n = len(x)
    return (x + rng.normal(0, 1.5, n), y + rng.normal(0, 1.5, n), (h + rng.normal(0, 3.0, n)) % 360.0, d)


def make(out: Path, frames: int, cities: int = 8, seed: int = 0) -> int:
    rng = np.random.default_rng(seed)
    total = 0
    for k in range(cities):
        x, y, h, drive = city_frames(frames // cities, rng)
        lat0, lon0 = 40.0 + 2.0 * (k % 15), -120.0 + 6.0 * k  # one UTM zone a city (30 cities: up to 68°N, 54°E)
        lat = lat0 + y / EARTH_M_PER_DEG
        lon = lon0 + x / (EARTH_M_PER_DEG * math.cos(math.radians(lat0)))
        query_drives = rng.random(int(drive.max()) + 1) < 0.25
        is_query = query_drives[drive]
        city = f"city{k:02d}"
        for role, mask in (("query", is_query), ("database", ~is_query)):
            folder = out / city / role
            folder.mkdir(parents=True, exist_ok=True)
            n = int(mask.sum())
            pd.DataFrame({
                "key": [f"{city}_{role[0]}{i:07d}" for i in range(n)],
                "lon": np.round(lon[mask], 7), "lat": np.round(lat[mask], 7),
                "ca": np.round(h[mask], 3) % 360.0,
                "captured_at": 1_600_000_000_000 + np.arange(n) * 1000, "pano": False,
            }).to_csv(folder / "raw.csv", index=False)
        total += len(x)
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--cities", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(f"{make(args.out, args.frames, args.cities, args.seed):,} frames in {args.cities} cities: {args.out}")


if __name__ == "__main__":
    main()
