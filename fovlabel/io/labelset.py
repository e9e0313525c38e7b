"""Label sets on disk: a directory holding ``pairs.parquet`` and ``_frames/frames.parquet`` (io.layout).

Both files carry the same JSON metadata under the ``fovlabel`` key of the Parquet schema metadata:
schema version, fovlabel version, labeller, every parameter, the input's path, format and
fingerprint, per-group modes and the counts. Plain Parquet: pandas, pyarrow, polars and duckdb
read the files as they are.

This module is the label set's public face; each job is a module of its own:

- :mod:`~fovlabel.io.layout`: the files of a label set and of its partial folder (LABEL_SET);
- :mod:`~fovlabel.io.fingerprint`: the frames fingerprint and the tables' data hashes;
- :mod:`~fovlabel.io.frames`: the frames table encoded for frames.parquet and decoded back;
- :mod:`~fovlabel.io.parquet_stream`: finished Parquet files written as their rows come;
- :mod:`~fovlabel.io.parts`: the resumable parts writer (``<out>.partial``);
- :mod:`~fovlabel.io.labelset_writer`: the label-set writer;
- :mod:`~fovlabel.io.reading`: reading, checked (read_pairs, read_label_frames, read_metadata);
- :mod:`~fovlabel.io.verify` and :mod:`~fovlabel.io.summary`: ``fovlabel verify`` and ``show``.

Every name this module had before the split is still importable from it (for one version).
"""

from __future__ import annotations

from .fingerprint import TableDigest, frames_fingerprint, table_digest
from .frames import canonical_frames, frames_to_arrow
from .labelset_writer import FRAMES_ROW_GROUP_ROWS, LabelSetWriter
from .layout import FRAMES_FILE, LABEL_SET, PAIRS_FILE, PARTS_DIR, PLAN_FILE, SPILL_DIR
from .parquet_stream import FINISHED_OPTIONS, PART_OPTIONS, ROW_GROUP_ROWS, FinishedStream, dictionary_columns
from .parts import PartsWriter, plan_id
from .paths import PLOTS_DIR
from .reading import (
    _check_pair_values,
    _open_label_set,
    _open_parquet,
    _read_all,
    both_directions,
    check_frame_paths,
    dataset_root_of,
    image_root_of,
    read_label_frames,
    read_metadata,
    read_pairs,
)
from .summary import summarize_label_set

__all__ = [
    "FINISHED_OPTIONS", "FRAMES_FILE", "FRAMES_ROW_GROUP_ROWS", "LABEL_SET", "PAIRS_FILE", "PARTS_DIR",
    "PART_OPTIONS", "PLAN_FILE", "PLOTS_DIR", "ROW_GROUP_ROWS", "SPILL_DIR", "FinishedStream", "LabelSetWriter",
    "PartsWriter", "TableDigest", "both_directions", "canonical_frames", "check_frame_paths", "dataset_root_of",
    "dictionary_columns", "frames_fingerprint", "frames_to_arrow", "image_root_of", "plan_id", "read_label_frames",
    "read_metadata", "read_pairs", "summarize_label_set", "table_digest",
    "_check_pair_values", "_open_label_set", "_open_parquet", "_read_all",
]
