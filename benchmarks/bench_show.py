"""``fovlabel show`` on a large label set, against a named baseline measured in the same run.

    python benchmarks/bench_show.py [--pairs 16000000] [--frames 200000]

Writes a synthetic label set (random pairs with valid ids, overlaps and ranks, fovlabel
metadata) and runs, each in a fresh child process so that its peak memory (max RSS) is its own:

- fovlabel show: counts from the metadata, one streamed pass for quantiles and the best pairs;
- baseline "load it whole": ``read_pairs(with_keys=True)`` into pandas, then the same quantiles and
  best pairs from the DataFrame (what ``show`` did in fovlabel 0.1).

Prints seconds and peak MiB for both and their ratio. Target: show under 2 s and 300 MB at 16M.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _child import measured  # noqa: E402

BASELINE = """
import sys
from fovlabel import read_pairs
pairs = read_pairs(sys.argv[1], with_keys=True)
q = [pairs["overlap"].quantile(x) for x in (0.1, 0.5, 0.9)]
print(pairs.sort_values("overlap", ascending=False).head(5).to_string(index=False))
"""
SHOW = """
import sys
from fovlabel.cli import main
sys.argv = ["fovlabel", "show", sys.argv[1]]
main()
"""


def make_label_set(out: Path, n_pairs: int, n_frames: int, seed: int = 0) -> None:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from fovlabel.io.labelset import frames_to_arrow
    from fovlabel.io.metadata import LabelSetMetadata
    from fovlabel.readers import finalize_frames
    from fovlabel.schema import PAIRS_SCHEMA, rank_from_overlap

    import numpy as np

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True)
    frames = finalize_frames(pd.DataFrame({
        "key": [f"img{i:07d}" for i in range(n_frames)], "group": "city",
        "role": np.where(np.arange(n_frames) % 4 == 0, "query", "database"),
        "source_file": "raw.csv", "source_row": np.arange(1, n_frames + 1)}), out)
    a = rng.integers(0, n_frames, n_pairs).astype(np.int32)
    b = rng.integers(0, n_frames, n_pairs).astype(np.int32)
    overlap = rng.random(n_pairs).astype(np.float32)
    rank = rank_from_overlap(overlap, 0.5)
    values, counts = np.unique(rank, return_counts=True)
    meta = LabelSetMetadata(labeller="weak2d", config={"positive": 0.5}, input={"path": "synthetic", "format": "csv",
                            "fingerprint": "sha256:0"}, fovlabel_version="bench", label_set_id="sha256:bench",
                            run={"positive": 0.5, "keep_zero": False, "mode": "within"}, params={},
                            frames=n_frames, pairs=n_pairs, ranks={str(int(v)): int(c) for v, c in zip(values, counts)})
    table = pa.table({"frame_a": a, "frame_b": b, "overlap": overlap,
                      "distance_m": (rng.random(n_pairs) * 50).astype(np.float32),
                      "heading_diff_deg": (rng.random(n_pairs) * 180).astype(np.float32), "rank": rank},
                     schema=PAIRS_SCHEMA).replace_schema_metadata(meta.schema_metadata())
    pq.write_table(table, out / "pairs.parquet", row_group_size=1 << 20)
    from fovlabel.io.layout import FRAMES_FILE

    (out / FRAMES_FILE).parent.mkdir(exist_ok=True)
    pq.write_table(frames_to_arrow(frames, meta), out / FRAMES_FILE)


def child(code: str, *args) -> tuple[float, float]:
    return measured(code, *args, quiet=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=16_000_000)
    ap.add_argument("--frames", type=int, default=200_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        labels = Path(tmp) / "labels"
        # made in a child: a child's max RSS counts the parent's pages it was forked with
        subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import bench_show; "
                        "bench_show.make_label_set(bench_show.Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))",
                        str(Path(__file__).parent), str(labels), str(args.pairs), str(args.frames)], check=True)
        size = (labels / "pairs.parquet").stat().st_size / 2**20
        print(f"label set: {args.pairs:,} pairs, {args.frames:,} frames, pairs.parquet {size:.0f} MiB")
        show_s, show_mb = child(SHOW, labels)
        base_s, base_mb = child(BASELINE, labels)
        print(f"  fovlabel show            : {show_s:6.2f} s, peak {show_mb:7.0f} MiB (python start-up included)")
        print(f"  baseline: load it whole  : {base_s:6.2f} s, peak {base_mb:7.0f} MiB")
        print(f"  ratio                    : {base_s / show_s:6.1f} x faster, {base_mb / show_mb:.1f} x less memory")


if __name__ == "__main__":
    main()
