"""``fovlabel verify``: a label set checked fully, as a list of small named checks.

Beyond what every reader checks (io.reading: both files readable and of one label set, row
counts, pair ids in range, overlaps in [0, 1]), each check in :data:`CHECKS` looks at one rule and
returns the problems it finds, each naming the file, the row and the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import LabelSetError
from ..schema import CORE_REQUIRED, PAIRS_SCHEMA, rank_from_overlap
from .fingerprint import table_digest
from .layout import PAIRS_FILE, frames_file as frames_file_of
from .reading import _check_pair_values, _open_label_set, _read_all, check_frame_paths
from .metadata import LabelSetMetadata


@dataclass
class _Set:
    """What the checks look at: the files, the tables and the pair columns, read once."""

    meta: dict
    frames_file: Path
    pairs_file: Path
    frames_pq: pq.ParquetFile
    pairs_pq: pq.ParquetFile
    frames: pa.Table
    pairs: pa.Table

    def __post_init__(self):
        self.metadata = LabelSetMetadata.from_dict(self.meta)
        self.a = self.pairs.column("frame_a").to_numpy().astype(np.int64)
        self.b = self.pairs.column("frame_b").to_numpy().astype(np.int64)
        self.n_ids = max(self.frames.num_rows, 1)
        directed = not self.metadata.symmetric
        self.directed = directed
        self.code = (self.a * self.n_ids + self.b if directed
                     else np.minimum(self.a, self.b) * self.n_ids + np.maximum(self.a, self.b))
        self.group = np.asarray(self.frames.column("group").to_pylist(), dtype=object)
        modes = self.metadata.modes
        self.mode = np.array([modes.get(g) for g in self.group[self.a]], dtype=object)


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def frame_ids_in_order(s: _Set) -> list[str]:
    ids = s.frames.column("frame_id").to_numpy()
    wrong = ids != np.arange(len(ids))
    if not wrong.any():
        return []
    i = _first(wrong)
    return [f"{s.frames_file}: row {i + 1}, column 'frame_id': {ids[i]}, expected {i} (ids are 0..n-1)"]


def ranks_match_overlaps(s: _Set) -> list[str]:
    positive = s.meta["config"].get("positive")
    if positive is None:
        return []
    overlap, rank = s.pairs.column("overlap").to_numpy(), s.pairs.column("rank").to_numpy()
    wrong = rank != rank_from_overlap(overlap, positive)
    if not wrong.any():
        return []
    i = _first(wrong)
    return [f"{s.pairs_file}: row {i + 1}, column 'rank': {rank[i]} does not match overlap {overlap[i]:.6f} "
            f"at positive {positive} ({int(wrong.sum())} such row(s))"]


def rank_counts_match_metadata(s: _Set) -> list[str]:
    if "ranks" not in s.meta:
        return []
    values, counts = np.unique(s.pairs.column("rank").to_numpy(), return_counts=True)
    found = {str(int(v)): int(c) for v, c in zip(values, counts)}
    expected = {k: v for k, v in s.meta["ranks"].items() if v}
    return [] if found == expected else [f"{s.pairs_file}: rank counts {found} differ from the metadata's {expected}"]


def no_self_pairs(s: _Set) -> list[str]:
    same = s.a == s.b
    if not same.any():
        return []
    i = _first(same)
    return [f"{s.pairs_file}: row {i + 1}: frame {s.a[i]} is paired with itself ({int(same.sum())} such row(s))"]


def no_repeated_pairs(s: _Set) -> list[str]:
    uniq, seen = np.unique(s.code, return_counts=True)
    if not (seen > 1).any():
        return []
    rows = np.flatnonzero(s.code == uniq[seen > 1][0])[:2] + 1
    return [f"{s.pairs_file}: rows {rows[0]} and {rows[1]} hold the same pair ({int((seen - 1).sum())} repeated row(s))"]


def pairs_stay_in_groups(s: _Set) -> list[str]:
    cross = s.group[s.a] != s.group[s.b]
    if not cross.any():
        return []
    i = _first(cross)
    return [f"{s.pairs_file}: row {i + 1}: pairs frames of groups {s.group[s.a[i]]!r} and {s.group[s.b[i]]!r} "
            f"({int(cross.sum())} such row(s)); pairs never cross groups"]


def pairs_use_usable_frames(s: _Set) -> list[str]:
    usable = s.frames.column("usable").to_numpy(zero_copy_only=False)
    unusable = ~(usable[s.a] & usable[s.b])
    if not unusable.any():
        return []
    return [f"{s.pairs_file}: row {_first(unusable) + 1}: uses a frame flagged unusable "
            f"({int(unusable.sum())} such row(s))"]


def cross_pairs_run_query_to_database(s: _Set) -> list[str]:
    role = (np.asarray(s.frames.column("role").to_pylist(), dtype=object) if "role" in s.frames.column_names
            else np.full(s.frames.num_rows, None, dtype=object))  # a dataset without roles
    bad = (s.mode == "cross") & ~((role[s.a] == "query") & (role[s.b] == "database"))
    if not bad.any():
        return []
    i = _first(bad)
    return [f"{s.pairs_file}: row {i + 1}: cross mode pairs a query with a database frame; "
            f"this pairs a {role[s.a[i]]} with a {role[s.b[i]]}"]


def within_pairs_in_their_direction(s: _Set) -> list[str]:
    within = s.mode == "within"
    if s.directed:  # ioa: every within-mode pair in both directions
        reverse = np.isin(s.b[within] * s.n_ids + s.a[within], s.code)
        if reverse.all():
            return []
        i = int(np.flatnonzero(within)[np.flatnonzero(~reverse)[0]])
        return [f"{s.pairs_file}: row {i + 1}: pair ({s.a[i]}, {s.b[i]}) has no reverse row; an ioa label set holds "
                f"within-mode pairs in both directions ({int((~reverse).sum())} such row(s))"]
    bad = within & (s.a >= s.b)
    if not bad.any():
        return []
    i = _first(bad)
    return [f"{s.pairs_file}: row {i + 1}: within mode has frame_a < frame_b; got {s.a[i]} and {s.b[i]}"]


def data_matches_its_hash(s: _Set) -> list[str]:
    """Each file whose data no longer hashes to what its metadata recorded (a value changed, rows
    moved: the metadata kept, so nothing else would tell)."""
    recorded = s.meta.get("data_hash") or {}
    problems = []
    for file, parquet, key in ((s.frames_file, s.frames_pq, "frames"), (s.pairs_file, s.pairs_pq, "pairs")):
        if key in recorded and table_digest(parquet) != recorded[key]:
            problems.append(f"{file}: its data differs from the hash recorded when it was written "
                            f"({recorded[key][:19]}...): it was changed since; regenerate the label set")
    return problems


def paths_stay_in_the_dataset(s: _Set) -> list[str]:
    names = [c for c in ("source_file", "image_path", "depth_path") if c in s.frames.column_names]
    try:
        check_frame_paths(s.frames.select(names).to_pandas(), s.frames_file)
    except LabelSetError as exc:
        return [str(exc)]
    return []


#: every check verify runs, in order
CHECKS = (frame_ids_in_order, ranks_match_overlaps, rank_counts_match_metadata, no_self_pairs, no_repeated_pairs,
          pairs_stay_in_groups, pairs_use_usable_frames, cross_pairs_run_query_to_database,
          within_pairs_in_their_direction, data_matches_its_hash, paths_stay_in_the_dataset)


def verify_label_set(path) -> tuple[dict, list[str]]:
    """Check a label set fully: (its metadata, the problems found; empty when it is sound).
    Raises :class:`LabelSetError` when the set cannot be read at all."""
    folder, meta, pairs_pq, frames_pq = _open_label_set(path)
    pairs_file, frames_file = folder / PAIRS_FILE, frames_file_of(folder)
    pairs, frames = _read_all(pairs_file, pairs_pq), _read_all(frames_file, frames_pq)
    problems = [f"{file}: lacks columns {', '.join(missing)}"
                for file, table, names in ((frames_file, frames, CORE_REQUIRED), (pairs_file, pairs, PAIRS_SCHEMA.names))
                for missing in [[n for n in names if n not in table.column_names]] if missing]
    if problems:
        return meta, problems
    try:
        _check_pair_values(folder, pairs, frames.num_rows)
    except LabelSetError as exc:
        return meta, [str(exc)]
    checked = _Set(meta, frames_file, pairs_file, frames_pq, pairs_pq, frames, pairs)
    return meta, [problem for check in CHECKS for problem in check(checked)]
