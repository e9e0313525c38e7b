"""Reading @UTM image folders: fovlabel's vpr-folders reader on N names against the floor of
splitting the same names on "@" and casting the three numeric fields (the least any reader of
this format does), measured in the same run.

    python benchmarks/bench_vpr_folders.py --names 1000000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def make(root: Path, n: int) -> None:
    """A split of n names (half queries) listed in <folder>_images_paths.txt (no image files:
    the reader reads names, not pixels)."""
    from fovlabel.io.utm_names import format_name

    rng = np.random.default_rng(0)
    split = root / "images" / "test"
    for folder, count in (("database", n - n // 2), ("queries", n // 2)):
        (split / folder).mkdir(parents=True)
        east = 690000 + rng.uniform(0, 5000, count)
        north = 5330000 + rng.uniform(0, 5000, count)
        lines = [format_name(e, no, 32, "U", 48.1, 11.5, pano_id=f"{folder[0]}{i}", heading=h)
                 for i, (e, no, h) in enumerate(zip(east, north, rng.uniform(0, 360, count)))]
        (split / f"{folder}_images_paths.txt").write_text("\n".join(lines) + "\n")


def floor(root: Path) -> float:
    started = time.perf_counter()
    for folder in ("database", "queries"):
        text = (root / "images" / "test" / f"{folder}_images_paths.txt").read_text().splitlines()
        fields = [line.split("@") for line in text]
        np.array([(f[1], f[2], f[9]) for f in fields], dtype=np.float64)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=1_000_000)
    args = parser.parse_args()
    from fovlabel import read_frames

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make(root, args.names)
        base = floor(root)
        started = time.perf_counter()
        frames = read_frames(root, "vpr-folders")
        took = time.perf_counter() - started
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"names: {len(frames):,}; vpr-folders reader {took:.2f} s; floor (split and cast) {base:.2f} s; "
          f"ratio {took / base:.2f}x")


if __name__ == "__main__":
    main()
