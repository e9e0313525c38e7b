"""Candidate pairs: exactly the pairs whose sectors can intersect, found with a KD-tree.

Two sectors can only share area when their apexes are closer than r_a + r_b, so the candidates of
a frame are the frames of its group within that distance: nothing else can have overlap > 0, and
nothing within it is skipped (lossless). Modes:

- ``cross``: each query x every database frame of its group (MSLS);
- ``within``: every pair i < j of a group;
- ``auto``: ``cross`` for a group that has both query and database frames, else ``within``.

Pairs never cross groups and a frame is never paired with itself. Frames with ``usable`` false are
left out. Work is split into chunks of anchor frames (queries, or a slice of the group) so that
memory stays bounded and chunks can run in parallel; the union of the chunks does not depend on
their size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import ConfigError


@dataclass(frozen=True)
class Chunk:
    """One unit of work: the anchors' candidate pairs among the targets (frames-table rows)."""

    index: int
    group: str
    mode: str  # "cross" or "within"
    anchors: np.ndarray
    targets: np.ndarray


def _group_codes(frames: pd.DataFrame) -> tuple[np.ndarray, list]:
    """(code of each frame's group, the groups in order of appearance); a million frames hold a
    handful of groups, so masks compare small integers, not strings."""
    codes, groups = pd.factorize(frames["group"], use_na_sentinel=True)
    return codes, list(groups)


def group_modes(frames: pd.DataFrame, mode: str, check_cross: bool = True) -> dict[str, str]:
    """Resolve ``auto`` per group; refuse ``cross`` where no group has both roles (with
    ``check_cross``: a part of the dataset may lack them where another has them)."""
    codes, groups = _group_codes(frames)
    usable = frames["usable"].to_numpy(bool)
    role = frames["role"].to_numpy()
    modes, both = {}, []
    for k in pd.unique(codes[usable & (codes >= 0)]):  # groups in order of their first usable frame
        in_group = usable & (codes == k)
        roles = set(pd.unique(role[in_group])) - {None}
        has_both = {"query", "database"} <= roles
        both.append(has_both)
        modes[groups[k]] = ("cross" if has_both else "within") if mode == "auto" else mode
    if check_cross and mode == "cross" and not any(both):
        raise ConfigError("mode 'cross' needs query and database frames in a group; this dataset "
                          "has no roles (use mode 'within')")
    return modes


def plan_chunks(frames: pd.DataFrame, modes: dict[str, str], chunk_frames: int, load=None,
                max_pairs: int | None = None) -> list[Chunk]:
    """Chunks of every group, in a fixed order (groups as they appear, anchors by row).

    ``modes``: group -> "cross" or "within", from :func:`group_modes`. A group's anchors are cut
    into as few chunks of at most ``chunk_frames`` as they need, of sizes as equal as possible
    (5,700 anchors at 5,000: 2,850 + 2,850, not 5,000 + 700): the chunks' times are then more
    alike, and the last one, which runs while the others' threads idle, is shorter.

    ``load``: each frame's candidate pairs at most (Labeller.pair_load), or None; a chunk whose
    anchors' load passes ``max_pairs`` is cut further, in order, so that the pairs in memory at
    once stay bounded however dense the scene (a desk seen 20,000 times). Where no chunk passes
    it, the plan is the frame-count plan."""
    usable = frames["usable"].to_numpy(bool)
    codes, groups = _group_codes(frames)
    code_of = {g: k for k, g in enumerate(groups)}
    role = frames["role"].to_numpy()
    query, database = role == "query", role == "database"  # once, not once a group
    chunks: list[Chunk] = []
    for group, group_mode in modes.items():
        in_group = usable & (codes == code_of[group])
        if group_mode == "cross":
            anchors = np.flatnonzero(in_group & query)
            targets = np.flatnonzero(in_group & database)
        else:
            anchors = targets = np.flatnonzero(in_group)
        if len(anchors) == 0 or len(targets) == 0:
            continue
        for piece in np.array_split(anchors, -(-len(anchors) // chunk_frames)):
            for part in _by_load(piece, load, max_pairs):
                chunks.append(Chunk(len(chunks), group, group_mode, part, targets))
    return chunks


def _by_load(anchors: np.ndarray, load, max_pairs) -> list[np.ndarray]:
    """``anchors`` in consecutive parts whose load is at most ``max_pairs`` each (a part holds one
    anchor at least), cut in order as each part fills; the whole where it already fits."""
    if load is None or max_pairs is None:
        return [anchors]
    weights = np.asarray(load, np.float64)[anchors]
    if float(weights.sum()) <= max_pairs:
        return [anchors]
    cuts, filled = [], 0.0
    for k, w in enumerate(weights.tolist()):
        if filled + w > max_pairs and filled > 0:
            cuts.append(k)
            filled = 0.0
        filled += w
    return np.split(anchors, cuts)


#: frames of a group whose neighbours are counted to estimate the pair load (sampled_load)
LOAD_SAMPLES = 2_000


def sampled_load(frames: pd.DataFrame, points, reach, chunk_frames: int, chunk_pairs: int) -> np.ndarray:
    """Each frame's candidate pairs as an anchor, estimated where a chunk could pass
    ``chunk_pairs`` (a labeller's pair_load): the usable frames of its group closer than
    ``reach`` (a group's largest pair reach) to evenly spaced samples, carried to the frames
    between them in row order (a sequence's neighbours are its neighbours in the table); 0 for
    groups far below the budget (their plan is unchanged).

    ``points``: (frames, 2 or 3) positions, or None where the labeller has none (then every
    usable frame of the group counts); ``reach``: an array over the frames, the largest
    distance at which a frame can still pair (a group's reach is twice its largest)."""
    from scipy.spatial import cKDTree

    usable = frames["usable"].to_numpy(bool)
    codes = pd.factorize(frames["group"])[0]
    reach = np.asarray(reach, np.float64)
    load = np.zeros(len(frames))
    for code in np.unique(codes[usable]):
        rows = np.flatnonzero(usable & (codes == code))
        if points is None or not np.isfinite(reach[rows]).all():
            counts, sample = np.full(1, len(rows)), np.zeros(1, np.int64)  # no geometry: all of them
        else:
            xyz = np.asarray(points, np.float64)[rows]
            xyz = xyz - xyz[0]  # metres from the group's first frame: UTM eastings keep their precision
            sample = np.unique(np.linspace(0, len(rows) - 1, min(len(rows), LOAD_SAMPLES)).astype(np.int64))
            counts = cKDTree(xyz).query_ball_point(xyz[sample], 2.0 * float(reach[rows].max()),
                                                  return_length=True)
        if counts.max() * min(chunk_frames, len(rows)) > chunk_pairs:
            load[rows] = np.interp(np.arange(len(rows)), sample, counts) if len(sample) > 1 else counts[0]
    return load


def candidate_pairs(x_m, y_m, radius_m, anchors, targets, within: bool):
    """Rows (a, b) and apex distance of every pair with distance < r_a + r_b, sorted by (a, b).

    ``x_m, y_m, radius_m``: arrays over all frames; ``anchors``/``targets``: row indices.
    ``within``: keep only a < b (anchors and targets are then the same group).
    """
    from scipy.spatial import cKDTree

    from ._pairs_kernel import kept_in_order

    anchors = np.sort(np.asarray(anchors, np.int64))  # ascending: (a, b) order is then (i, j) order
    targets = np.sort(np.asarray(targets, np.int64))
    radius_m = np.ascontiguousarray(radius_m, np.float64)
    # The trees hold coordinates relative to the group's first target: UTM eastings of 10^5-10^6 m
    # would otherwise cost distance precision. Only the chunk's rows are stacked, not all frames.
    x_m, y_m = np.asarray(x_m), np.asarray(y_m)
    ox, oy = x_m[targets[0]], y_m[targets[0]]
    reach = float(radius_m[anchors].max() + radius_m[targets].max())
    found = cKDTree(np.column_stack([x_m[anchors] - ox, y_m[anchors] - oy])).sparse_distance_matrix(
        cKDTree(np.column_stack([x_m[targets] - ox, y_m[targets] - oy])), reach, output_type="ndarray"
    )
    return kept_in_order(found["i"].astype(np.int64, copy=False), found["j"].astype(np.int64, copy=False),
                         found["v"], anchors, targets, radius_m, bool(within))


#: the kernel candidate_pairs runs (labellers list it in their ``kernels``)
KERNEL = "fovlabel._pairs_kernel:kept_in_order"


def warm_up() -> None:
    """Compile or load candidate_pairs' kernel (a labeller's warm_up calls this)."""
    candidate_pairs(np.array([0.0, 1.0]), np.array([0.0, 0.0]), np.array([1.0, 1.0]), [0, 1], [0, 1], True)


def pairs_table(schema, a, b, overlap, distance_m, heading_diff_deg, positive: float, **extra):
    """The one builder of a labeller's pairs table (a pyarrow Table of ``schema``): frame ids are
    the frames table's row positions; ``rank`` follows from ``overlap`` and ``positive``;
    ``extra`` holds the schema's other columns (the 3D labeller's coverages and counts)."""
    import pyarrow as pa

    from .schema import rank_from_overlap

    overlap = np.asarray(overlap)
    columns = {
        "frame_a": np.asarray(a).astype(np.int32),
        "frame_b": np.asarray(b).astype(np.int32),
        "overlap": overlap.astype(np.float32),
        "distance_m": np.asarray(distance_m).astype(np.float32),
        "heading_diff_deg": np.asarray(heading_diff_deg).astype(np.float32),
        "rank": rank_from_overlap(overlap, positive),
        **extra,
    }
    return pa.table({f.name: pa.array(columns[f.name], type=f.type) for f in schema}, schema=schema)
