"""Ten million frames on one machine: the MSLS-like generator's cities at 10M frames beside the
same generator at 1.6M, measured in the same run.

    python benchmarks/bench_ten_million.py [--frames 10000000] [--base 1600000] [--cities 30]
                                           [--jobs 2] [--dask] [--keep DIR]

1. Makes both sets (benchmarks/make_msls_like.py; not timed).
2. Runs the ``fovlabel annotate`` program (``--preset msls --jobs 2``) on each: wall time, peak
   memory of the whole process tree, and the large run's time per frame against the base run's
   (the goal: within 1.2x, i.e. linear; peak under 8 GiB).
3. ``--dask``: the large run again through ``--scheduler dask-local:2``: its pairs.parquet and
   frames.parquet must be byte-identical to the local run's (their sha256 are printed).
4. Lists the bytes per frame of every structure that grows with the frames, measured here on the
   large set: the frames table by kind of column, the labeller's state, the chunk plan, the pair
   load and the fingerprint's largest transient.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from _child import run_measured  # noqa: E402
from make_msls_like import make  # noqa: E402


def annotate_argv(root: Path, labels: Path, jobs: int, scheduler: str | None = None) -> list:
    program = Path(sys.executable).with_name("fovlabel")
    argv = [program, "annotate", root, "--format", "msls", "--preset", "msls", "--out", labels, "--overwrite",
            "--jobs", jobs, "--quiet"]
    return argv + (["--scheduler", scheduler] if scheduler else [])


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def _object_bytes(values: np.ndarray) -> int:
    """A column of Python objects: its pointers and each distinct object once."""
    seen = {}
    for v in values:
        if v is not None and id(v) not in seen:
            seen[id(v)] = sys.getsizeof(v)
    return 8 * len(values) + sum(seen.values())


def structures(root: Path) -> list[tuple[str, float]]:
    """(structure, bytes per frame) of everything in a run that grows with the frames."""
    import pyarrow as pa

    from fovlabel.config import make_config
    from fovlabel.labellers import get_labeller
    from fovlabel.pairs import group_modes, plan_chunks
    from fovlabel.readers import read_frames

    frames = read_frames(root, "msls", threads=2)
    n = len(frames)
    rows = []
    kinds: dict[str, float] = {}
    buffers = set()  # arrays shared by several columns (the empty float ones) count once
    for name in frames.columns:
        column = frames[name]
        if column.dtype == object:
            values = column.to_numpy()
            size = _object_bytes(values)
            kind = (f"{name} (a Python str a frame)" if name in ("key", "image_path")
                    else "text columns of few values (8-byte pointers: role, group, crs, source_file, flag, ...)")
        else:
            address = column.to_numpy().__array_interface__["data"][0] if column.dtype == np.float64 else None
            size = 0 if address is not None and address in buffers else column.memory_usage(index=False, deep=True)
            buffers.add(address)
            empty = column.isna().all()
            kind = ("numbers the reader leaves empty (poses, intrinsics, plane; NaN or null)" if empty
                    else "numbers the reader fills (ids, lat/lon, x/y, headings, time, usable)")
        kinds[kind] = kinds.get(kind, 0.0) + size / n
    rows += [(f"frames table: {k}", v) for k, v in kinds.items()]
    rows.append(("frames table, all", sum(kinds.values())))
    config = make_config("msls")
    labeller = get_labeller("weak2d")
    state = labeller.prepare(frames, config.params).state
    sectors = state["sectors"]
    state_bytes = sum(getattr(sectors, a).nbytes for a in vars(sectors) if isinstance(getattr(sectors, a), np.ndarray))
    rows.append(("labeller state (sectors: x, y, heading, fov, radius; grid headings)",
                 (state_bytes + state["heading_deg"].nbytes) / n))
    load = labeller.pair_load(state, frames, config.run.chunk_frames)
    rows.append(("pair load (one float a frame, while planning)", load.nbytes / n))
    chunks = plan_chunks(frames, group_modes(frames, config.run.mode), config.run.chunk_frames, load,
                         labeller.chunk_pairs)
    targets = {id(c.targets): c.targets.nbytes for c in chunks}
    rows.append(("chunk plan (anchor rows; a group's targets once)",
                 (sum(c.anchors.nbytes for c in chunks) + sum(targets.values())) / n))
    widest = max(("key", "image_path"), key=lambda c: frames[c].str.len().mean())
    arrow = pa.array(frames[widest].to_numpy(), type=pa.large_string(), from_pandas=True)
    rows.append((f"fingerprint, while it runs: the Arrow copy of one text column ({widest})", arrow.nbytes / n))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=10_000_000)
    ap.add_argument("--base", type=int, default=1_600_000)
    ap.add_argument("--cities", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--dask", action="store_true", help="also run the large set on dask-local:JOBS and compare bytes")
    ap.add_argument("--keep", type=Path, help="make the sets here and keep them (default: a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        runs = {}
        for size in (args.base, args.frames):
            root = work / f"msls_{size}"
            if not root.exists():
                make(root, size, args.cities)
            labels = work / f"labels_{size}"
            seconds, peak, _, _ = run_measured(annotate_argv(root, labels, args.jobs), quiet=True)
            n = pq.ParquetFile(labels / "_frames" / "frames.parquet").metadata.num_rows
            pairs = pq.ParquetFile(labels / "pairs.parquet").metadata.num_rows
            runs[size] = (n, seconds, peak, labels)
            print(f"{n:>11,} frames in {args.cities} cities, {pairs:,} pairs: {seconds:7.1f} s at --jobs {args.jobs}, "
                  f"{1e6 * seconds / n:.1f} µs a frame, peak {peak:,.0f} MiB (whole process tree); "
                  f"load average {os.getloadavg()[0]:.2f}")
        (n0, s0, _, _), (n1, s1, p1, labels) = runs[args.base], runs[args.frames]
        print(f"  time per frame, {n1:,} against {n0:,} frames: {(s1 / n1) / (s0 / n0):.2f}x (goal <= 1.2); "
              f"peak {p1 / 1024:.2f} GiB (goal < 8)")
        if args.dask:
            dask_labels = work / "labels_dask"
            seconds, peak, _, _ = run_measured(
                annotate_argv(work / f"msls_{args.frames}", dask_labels, args.jobs, f"dask-local:{args.jobs}"), quiet=True)
            same = all(sha256(labels / f) == sha256(dask_labels / f) for f in ("pairs.parquet", "_frames/frames.parquet"))
            print(f"  dask-local:{args.jobs}: {seconds:.1f} s, peak {peak:,.0f} MiB (scheduler, workers and all); "
                  f"pairs.parquet {sha256(dask_labels / 'pairs.parquet')} and frames.parquet "
                  f"{sha256(dask_labels / '_frames/frames.parquet')}: {'the same bytes' if same else 'DIFFERENT'} "
                  f"as the local run; load average {os.getloadavg()[0]:.2f}")
        print(f"  bytes per frame of what grows with the frames ({n1:,} frames):")
        for name, per_frame in structures(work / f"msls_{args.frames}"):
            print(f"    {per_frame:7.1f}  {name}")


if __name__ == "__main__":
    main()
