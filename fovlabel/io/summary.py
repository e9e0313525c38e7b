"""What ``fovlabel show`` prints, from one streamed pass over a label set."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import LabelSetError
from .layout import PAIRS_FILE, frames_file as frames_file_of
from .metadata import LabelSetMetadata
from .reading import _check_pair_values, _open_label_set, _read_all, image_root_of


def summarize_label_set(path, rows: int = 5, batch_rows: int = 1 << 18) -> dict:
    """What ``fovlabel show`` prints, without loading the pairs table: counts from the metadata,
    overlap quantiles and the best ``rows`` pairs from one streamed pass over pairs.parquet
    (memory: 4 bytes a pair for the overlaps, plus one batch), roles and flags from the frames."""
    folder, meta, pairs_pq, frames_pq = _open_label_set(path)
    present = frames_pq.schema_arrow.names
    # kept as Arrow (no Python object a frame): counts with pyarrow.compute, keys by take
    frames = _read_all(frames_file_of(folder), frames_pq,
                       columns=[c for c in ("key", "group", "role", "usable", "flag", "image_path") if c in present])
    n_pairs = pairs_pq.metadata.num_rows
    overlap = np.empty(n_pairs, np.float32)
    best: pa.Table | None = None
    filled = 0
    try:
        # without pre-buffering, a pass holds one batch, not the whole file
        stream = pq.ParquetFile(folder / PAIRS_FILE, pre_buffer=False, page_checksum_verification=True)
        for batch in stream.iter_batches(batch_size=batch_rows):
            _check_pair_values(folder, batch, frames.num_rows, filled)
            values = batch.column("overlap").to_numpy()
            overlap[filled:filled + len(values)] = values
            filled += len(values)
            if rows > 0 and len(values):
                k = min(rows, len(values))
                top = np.argpartition(-values, k - 1)[:k]
                chunk = pa.Table.from_batches([batch]).take(pa.array(top))
                best = chunk if best is None else pa.concat_tables([best, chunk])
                if best.num_rows > 4 * rows:  # keep it small
                    order = np.argsort(-best.column("overlap").to_numpy(), kind="stable")[:rows]
                    best = best.take(pa.array(order))
    except (pa.ArrowException, OSError) as exc:
        raise LabelSetError(f"{folder / PAIRS_FILE}: cannot be read whole (damaged): {str(exc).splitlines()[0]}") from None
    quantiles = {}
    if n_pairs:  # in place: the overlaps are ours, no second copy
        values = np.quantile(overlap, [0.1, 0.5, 0.9], overwrite_input=True)
        quantiles = {f"q{int(q * 100)}": float(v) for q, v in zip((0.1, 0.5, 0.9), values)}
    top_rows = []
    if best is not None and best.num_rows:
        order = np.lexsort((best.column("frame_b").to_numpy(), best.column("frame_a").to_numpy(),
                            -best.column("overlap").to_numpy()))[:rows]
        best = best.take(pa.array(order))
        ids_a, ids_b = best.column("frame_a"), best.column("frame_b")
        best = best.to_pandas()
        best.insert(0, "group", frames.column("group").take(ids_a).to_pylist())
        best.insert(3, "key_a", frames.column("key").take(ids_a).to_pylist())
        best.insert(4, "key_b", frames.column("key").take(ids_b).to_pylist())
        try:  # absolute, from the recorded dataset root, when it is still there
            base = image_root_of(meta) if "image_path" in frames.column_names else None
        except LabelSetError:
            base = None
        if base is not None:
            for name, ids in (("path_a", ids_a), ("path_b", ids_b)):
                best[name] = [None if p is None else str((base / p).resolve())
                              for p in frames.column("image_path").take(ids).to_pylist()]
        top_rows = best.to_dict("records")
    roles = _counts(frames.column("role")) if "role" in frames.column_names else {"none": frames.num_rows}
    unusable = pc.invert(frames.column("usable"))
    flags = (_counts(pc.filter(frames.column("flag"), unusable)) if "flag" in frames.column_names
             else ({"unusable": int(pc.sum(unusable).as_py() or 0)} if pc.any(unusable).as_py() else {}))
    typed = LabelSetMetadata.from_dict(meta)
    return {
        "label_set": str(path),
        "fovlabel_version": meta["fovlabel_version"],
        "schema_version": meta["schema_version"],
        "labeller": meta["labeller"],
        "input": {k: meta["input"].get(k) for k in ("format", "path", "fingerprint")},
        "run": typed.run_settings,
        "params": typed.labeller_params,
        "frames": int(frames.num_rows),
        "roles": roles,
        "unusable": flags,
        "groups": meta.get("groups", {}),
        "pairs": int(n_pairs),
        "ranks": {k: int(v) for k, v in meta.get("ranks", {}).items()},
        "overlap_quantiles": quantiles,
        "best_pairs": top_rows,
    }


def _counts(column) -> dict:
    """{value: count} of a string column, nulls counted as "none"."""
    counts = pc.value_counts(pc.fill_null(column, "none"))
    return {str(v["values"]): int(v["counts"]) for v in counts.to_pylist()}
