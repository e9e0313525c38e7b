"""gcl-msls export of a large city: peak memory of the row-block writer against a named baseline.

    python benchmarks/bench_export_gcl.py [--queries 10000] [--database 30000]

Makes an MSLS city (queries and database frames along a grid of streets, both directions),
labels it (msls preset), then, each in a fresh child process so that its peak memory (max RSS,
from wait4) is its own:

- fovlabel export --to gcl-msls: the dense n_query x n_database matrix written in row blocks;
- baseline "dense in memory": the same matrix built whole with numpy and written with one h5py
  call (what a script without blocks does).

Prints seconds and peak MiB of both and the ratio. Target: under 500 MB at 10,000 x 30,000.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _child import measured  # noqa: E402

MAKE = """
import sys
import numpy as np
from pathlib import Path
root, nq, nd = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
for role, n in (("query", nq), ("database", nd)):
    folder = root / "train_val" / "bigcity" / role
    folder.mkdir(parents=True)
    street = rng.integers(0, 40, n)            # 40 streets running north, 200 m apart
    along = rng.uniform(0, 3000, n)            # 3 km long
    north = rng.random(n) < 0.5
    lat = 47.0 + along / 111_000.0
    lon = 8.0 + (street * 200.0 + np.where(north, 3.0, -3.0)) / 76_000.0
    ca = np.mod(np.round(np.where(north, 0.0, 180.0) + rng.normal(0, 5, n), 3), 360.0)  # "%.3f" never 360
    with open(folder / "raw.csv", "w") as f:
        f.write(",key,lon,lat,ca,captured_at,pano\\n")
        for i in range(n):
            f.write(f"{i},{role[0]}{i:06d},{lon[i]:.8f},{lat[i]:.8f},{ca[i]:.3f},{1600000000000 + i},False\\n")
"""
LABEL = """
import sys
from fovlabel import annotate
annotate(sys.argv[1], "msls", preset="msls", out=sys.argv[2])
"""
EXPORT = """
import sys
from fovlabel.exporters import export
export(sys.argv[1], "gcl-msls", sys.argv[2])
"""
DENSE = """
import sys, h5py, numpy as np
from fovlabel import read_pairs, read_label_frames
pairs, frames = read_pairs(sys.argv[1]), read_label_frames(sys.argv[1])
q = frames.index[frames["role"] == "query"].to_numpy(); d = frames.index[frames["role"] == "database"].to_numpy()
row = np.full(len(frames), -1); col = np.full(len(frames), -1); row[q] = range(len(q)); col[d] = range(len(d))
fov = np.zeros((len(q), len(d)), np.float32)
fov[row[pairs["frame_a"]], col[pairs["frame_b"]]] = pairs["overlap"]
with h5py.File(sys.argv[2] + "/dense_gt.h5", "w") as f:
    f["fov"] = fov
    f["sim"] = (fov >= 0.5).astype(np.uint8)
"""


def child(code: str, *args) -> tuple[float, float]:
    return measured(code, *args, quiet=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--database", type=int, default=30_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        child(MAKE, tmp / "msls", args.queries, args.database)
        child(LABEL, tmp / "msls", tmp / "labels")
        (tmp / "dense").mkdir()
        blocks_s, blocks_mb = child(EXPORT, tmp / "labels", tmp / "export")
        dense_s, dense_mb = child(DENSE, tmp / "labels", tmp / "dense")
        size = (tmp / "export" / "train_val" / "bigcity_gt.h5").stat().st_size / 2**20
        print(f"city: {args.queries:,} queries x {args.database:,} database frames; gt file {size:.0f} MiB")
        print(f"  fovlabel gcl-msls (row blocks): {blocks_s:6.1f} s, peak {blocks_mb:6.0f} MiB")
        print(f"  baseline: dense in memory     : {dense_s:6.1f} s, peak {dense_mb:6.0f} MiB")
        print(f"  ratio                         : {dense_mb / blocks_mb:6.1f} x less memory")


if __name__ == "__main__":
    main()
