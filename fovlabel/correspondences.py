"""Pixel correspondences for the overlapping pairs of a 3D label set: what dense-feature learners
(AnchorNet, VADeR, contrastive pixel losses) train on, from real views instead of synthetic warps.

For every pair with overlap (or its smaller coverage, ``by="cover"``) of at least ``min_overlap``:

- ``rgbd`` label sets: up to ``per_pair`` pixels of frame a with valid depth, drawn at random
  (seeded per pair: the same for any chunking), are back-projected with a's intrinsics and pose,
  projected into b (geometry/_reproject_kernel.py), and kept when they land inside b, in front of
  it, on a pixel whose depth agrees within ``depth_tol`` (relative) with the projected depth.
  ``depth_tol`` 0.05: Kinect-type sensors err by about 1-3% of depth at room range and the poses
  by a few millimetres, so 5% keeps true matches and still rejects occluded pixels, whose depth
  differs by the occluder's distance (usually far more than 5%). LoFTR and SuperGlue use 0.15 on
  ScanNet, whose poses and depth are noisier; pass that for ScanNet.
- ``tracks`` label sets (COLMAP): the 2D observations of the 3D points both images see, from the
  model (COLMAP's pixel coordinates, whose top-left pixel centre is (0.5, 0.5), shifted by -0.5
  to the OpenCV convention, as the reader shifts the principal point); depths are the points'
  depths in each camera, ``point_id`` the point. An observation whose point projects more than
  ``max_reproj_px`` (1 px) from it is left out (SfM models keep observations up to a few pixels
  off: maupertuis has some 3 px away), so that both pixels of every row show the same point within
  a pixel.

``negatives`` > 0 adds that many non-matching rows per match (0.5: one for every two matches): the
same pixel of a with a pixel of b drawn at random more than ``neg_radius_px`` from the true match
(``match`` false), for contrastive losses.

Rows: ``frame_a``, ``frame_b`` (the label set's frame ids), ``u_a``, ``v_a``, ``u_b``, ``v_b``
(float32 pixels, OpenCV convention: integer coordinates are pixel centres, (0, 0) the centre of the
top-left pixel; ``u_b, v_b`` are the exact projections, not rounded), ``depth_a_m``, ``depth_b_m``
(float32 metres: each pixel's depth in its own depth image, or the point's depth for tracks; NaN
where there is none), ``match``. Written like a label set: one self-describing Parquet file
``correspondences.parquet`` (metadata under the ``fovlabel`` key), atomically and resumably.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import ConfigError, LabelSetError
from .params import Params, param
from .io.parts import PartsWriter

CORRESPONDENCES_FILE = "correspondences.parquet"
SCHEMA = pa.schema([
    pa.field("frame_a", pa.int32(), nullable=False),
    pa.field("frame_b", pa.int32(), nullable=False),
    pa.field("u_a", pa.float32(), nullable=False),
    pa.field("v_a", pa.float32(), nullable=False),
    pa.field("u_b", pa.float32(), nullable=False),
    pa.field("v_b", pa.float32(), nullable=False),
    pa.field("depth_a_m", pa.float32()),
    pa.field("depth_b_m", pa.float32()),
    pa.field("match", pa.bool_(), nullable=False),
    pa.field("point_id", pa.int64()),  # tracks: the COLMAP 3D point both pixels observe (else null)
])
PIXEL_CONVENTION = "OpenCV: integer pixel coordinates are pixel centres; (0, 0) is the centre of the top-left pixel"
BY = ("overlap", "cover")


#: negatives drawn per match at most (each is a row: more only repeats the same pixels' ways to
#: be wrong, and 1e12 would ask for petabytes)
MAX_NEGATIVES = 100


@dataclass(frozen=True)
class CorrespondenceParams(Params):
    """What ``fovlabel correspondences`` draws (fovlabel.params: its flags come from here)."""

    min_overlap: float = param(0.3, "Pairs with at least this overlap.")
    by: str = param("overlap", "overlap: the pair's IoU; cover: the smaller of its two coverages.", choices=BY)
    per_pair: int = param(1000, "Pixels of frame a drawn a pair (the matches kept are at most this many).")
    depth_tol: float = param(0.05, "Relative depth agreement in b (0.15 for ScanNet, as LoFTR/SuperGlue).")
    negatives: float = param(0.0, "Non-matching rows per match, for contrastive losses (0.5: one per two matches).")
    neg_radius_px: float = param(8.0, "A negative's pixel of b lies farther than this from the true match.")
    seed: int = param(0, "Seed of the pixels drawn (the same seed, the same rows).")
    chunk_pairs: int = param(256, "Pairs per work unit (memory; not the result).")
    max_reproj_px: float = param(1.0, "COLMAP tracks: leave out observations this far from their 3D point's "
                                      "projection.")

    def validate(self) -> None:
        if not 0.0 <= self.min_overlap <= 1.0:
            raise ConfigError(f"min_overlap must be in [0, 1]; got {self.min_overlap:g}")
        if self.by not in BY:
            raise ConfigError(f"by must be one of {', '.join(BY)}; got {self.by!r}")
        if self.per_pair < 1 or self.chunk_pairs < 1:
            raise ConfigError(f"per_pair and chunk_pairs must be >= 1; got {self.per_pair}, {self.chunk_pairs}")
        if not self.depth_tol > 0:
            raise ConfigError(f"depth_tol must be > 0; got {self.depth_tol:g}")
        if not 0 <= self.negatives <= MAX_NEGATIVES:
            raise ConfigError(f"negatives (per match) must be in [0, {MAX_NEGATIVES}]; got {self.negatives:g}")
        if not 0 <= self.seed < 2**63:
            raise ConfigError(f"seed must be in [0, 2^63); got {self.seed}")
        if not self.neg_radius_px > 0:
            raise ConfigError(f"neg_radius_px must be > 0; got {self.neg_radius_px:g}")
        if not self.max_reproj_px > 0:
            raise ConfigError(f"max_reproj_px must be > 0; got {self.max_reproj_px:g}")


# -- the per-pixel work ----------------------------------------------------------------------------


def reproject(depth_a, us, vs, camera_a, units_a, pose_a, depth_b, camera_b, units_b, pose_b, depth_tol=0.05):
    """(u_b, v_b, depth_a_m, depth_b_m, status) of the pixels (us, vs) of frame a in frame b (the
    kernel; see geometry/_reproject_kernel.py). ``camera_*``: PinholeCamera; ``pose_*``: (R, t)
    world_from_cam; ``units_*``: depth image units a metre."""
    from .geometry._reproject_kernel import reproject_pixels
    from .geometry.voxels import _check_depth, _check_pose

    depth_a, depth_b = _check_depth(depth_a, camera_a), _check_depth(depth_b, camera_b)
    (Ra, ta), (Rb, tb) = _check_pose(*pose_a), _check_pose(*pose_b)
    us = np.ascontiguousarray(us, np.int64)
    vs = np.ascontiguousarray(vs, np.int64)
    if len(us) and ((us < 0).any() or (us >= camera_a.width).any() or (vs < 0).any() or (vs >= camera_a.height).any()):
        raise ValueError("pixels of a must lie inside its image")
    n = len(us)
    ub, vb, za, zb = (np.empty(n) for _ in range(4))
    status = np.empty(n, np.int8)
    reproject_pixels(depth_a, us, vs, camera_a.fx, camera_a.fy, camera_a.cx, camera_a.cy, float(units_a), Ra, ta,
                     depth_b, camera_b.fx, camera_b.fy, camera_b.cx, camera_b.cy, float(units_b), Rb, tb,
                     float(depth_tol), ub, vb, za, zb, status)
    return ub, vb, za, zb, status


# -- a label set's pairs ---------------------------------------------------------------------------


def selected_pairs(pairs: pd.DataFrame, params: CorrespondenceParams) -> pd.DataFrame:
    """The pairs whose overlap (or smaller coverage) reaches ``min_overlap``, in table order."""
    value = pairs["overlap"] if params.by == "overlap" else np.minimum(pairs["cover_a"], pairs["cover_b"])
    return pairs.loc[value.to_numpy() >= params.min_overlap, ["frame_a", "frame_b"]].reset_index(drop=True)


def _streamed_selection(batches, params: CorrespondenceParams, step) -> tuple[np.ndarray, np.ndarray]:
    """(frame_a, frame_b) of the selected pairs, from the label set's pairs streamed batch by
    batch (io.reading.pair_batches): 8 bytes a selected pair, never the whole table."""
    a_parts, b_parts = [np.zeros(0, np.int32)], [np.zeros(0, np.int32)]
    for _, batch in batches:
        chosen = selected_pairs(batch.to_pandas(), params)
        a_parts.append(chosen["frame_a"].to_numpy(np.int32))
        b_parts.append(chosen["frame_b"].to_numpy(np.int32))
        step.advance(batch.num_rows)
    return np.concatenate(a_parts), np.concatenate(b_parts)


def _rng(params, a, b):
    return np.random.default_rng([int(params.seed), int(a), int(b)])


class _RgbdSource:
    """Depth images, cameras and poses of a label set's frames (depth decoded once a frame)."""

    def __init__(self, frames, data_root: Path):
        self.frames, self.root = frames, data_root
        self._cameras: dict = {}
        self._poses: dict = {}
        self._depth: dict = {}

    def camera(self, i):
        from .geometry.camera import PinholeCamera

        if i not in self._cameras:
            self._cameras[i] = PinholeCamera.from_row(self.frames.iloc[i])
        return self._cameras[i]

    def pose(self, i):
        from .geometry.poses import pose_of_row as _pose

        if i not in self._poses:
            self._poses[i] = _pose(self.frames.iloc[i])
        return self._poses[i]

    def depth(self, i):
        if i not in self._depth:
            from .io.depth import read_depth

            if len(self._depth) > 64:  # pairs come sorted by frame_a: a small cache suffices
                self._depth.pop(next(iter(self._depth)))
            row = self.frames.iloc[i]
            depth = read_depth(self.root / row["depth_path"], width=row["width"], height=row["height"])
            valid = np.flatnonzero((depth.ravel() != 0) & (depth.ravel() != 65535))
            self._depth[i] = (depth, valid)
        return self._depth[i]

    def pair(self, a, b, params):
        depth_a, valid = self.depth(a)
        depth_b, _ = self.depth(b)
        rng = _rng(params, a, b)
        pick = np.sort(rng.choice(valid, size=min(params.per_pair, len(valid)), replace=False))
        vs, us = np.divmod(pick, depth_a.shape[1])
        ub, vb, za, zb, status = reproject(depth_a, us, vs, self.camera(a), float(self.frames["depth_scale"].iat[a]),
                                           self.pose(a), depth_b, self.camera(b),
                                           float(self.frames["depth_scale"].iat[b]), self.pose(b), params.depth_tol)
        keep = status == 0
        rows = dict(u_a=us[keep].astype(np.float64), v_a=vs[keep].astype(np.float64), u_b=ub[keep], v_b=vb[keep],
                    depth_a_m=za[keep], depth_b_m=zb[keep])
        negative_depth = lambda u, v: _depth_at(depth_b, u, v, float(self.frames["depth_scale"].iat[b]))
        return rows, rng, negative_depth, (self.camera(b).width, self.camera(b).height)


def _depth_at(depth, u, v, units):
    d = depth[v, u].astype(np.float64)
    return np.where((d == 0) | (d == 65535), np.nan, d / units)


class _TrackSource:
    """The 2D observations of shared COLMAP tracks, from the label set's model: per image the
    first observation of each point that reprojects within ``max_reproj_px``."""

    def __init__(self, frames, meta):
        from .geometry.camera import PinholeCamera
        from .readers.colmap import track_pixels, track_points
        from .geometry.poses import pose_of_row as _pose

        if meta["input"].get("format") != "colmap":
            raise ConfigError("a tracks label set's correspondences come from its COLMAP model; this one was read "
                              f"as {meta['input'].get('format')}")
        model = Path(meta["input"]["path"])
        self.frames = frames
        self.tracks = track_pixels(model)
        self.points = track_points(model)  # {point3d id: xyz}
        if not self.points:
            raise ConfigError(f"{model}: the model has no points3D.txt or .bin; tracks' correspondences are "
                              "checked against their 3D points")
        self.camera = lambda i: PinholeCamera.from_row(frames.iloc[i])
        self.pose = lambda i: _pose(frames.iloc[i])
        self._seen: dict = {}

    def _observations(self, i, max_px):
        """(point ids, pixels (n, 2), depths) of image i's usable observations, by point id (once
        an image)."""
        if (i, max_px) not in self._seen:
            self._seen[(i, max_px)] = self._usable_observations(i, max_px)
        return self._seen[(i, max_px)]

    def _usable_observations(self, i, max_px):
        xy, ids = self.tracks.get(str(self.frames["key"].iat[i]), (np.zeros((0, 2)), np.zeros(0, np.int64)))
        ids, first = np.unique(ids, return_index=True)  # a track seen twice in an image: its first observation
        xy = xy[first]
        known = np.array([pid in self.points for pid in ids.tolist()], bool)
        ids, xy = ids[known], xy[known]
        points = np.array([self.points[pid] for pid in ids.tolist()], np.float64).reshape(-1, 3)
        R, t = self.pose(i)
        cam = (points - t) @ R
        c = self.camera(i)
        with np.errstate(divide="ignore", invalid="ignore"):
            err = np.hypot(c.fx * cam[:, 0] / cam[:, 2] + c.cx - xy[:, 0], c.fy * cam[:, 1] / cam[:, 2] + c.cy - xy[:, 1])
        good = (cam[:, 2] > 0) & (err <= max_px)
        return ids[good], xy[good], cam[good, 2]

    def pair(self, a, b, params):
        ids_a, xy_a, z_a = self._observations(a, params.max_reproj_px)
        ids_b, xy_b, z_b = self._observations(b, params.max_reproj_px)
        common, ia, ib = np.intersect1d(ids_a, ids_b, assume_unique=True, return_indices=True)
        rng = _rng(params, a, b)
        pick = np.sort(rng.choice(len(common), size=min(params.per_pair, len(common)), replace=False))
        ia, ib = ia[pick], ib[pick]
        rows = dict(u_a=xy_a[ia, 0], v_a=xy_a[ia, 1], u_b=xy_b[ib, 0], v_b=xy_b[ib, 1],
                    depth_a_m=z_a[ia], depth_b_m=z_b[ib], point_id=common[pick])
        row = self.frames.iloc[b]
        return rows, rng, (lambda u, v: np.full(len(u), np.nan)), (int(row["width"]), int(row["height"]))


def _check_room_for_negatives(frames, chosen_b: np.ndarray, p) -> None:
    """Refuse a ``neg_radius_px`` that leaves no pixel of frame b far enough from every match
    to draw a negative: the run would silently write none of the negatives asked for."""
    if p.negatives == 0 or not len(chosen_b):
        return
    b = chosen_b
    w = frames["width"].to_numpy(np.float64, na_value=np.nan)[b]
    h = frames["height"].to_numpy(np.float64, na_value=np.nan)[b]
    diagonal = np.hypot(w, h)
    if np.isfinite(diagonal).any() and p.neg_radius_px >= np.nanmax(diagonal):
        k = int(np.nanargmax(diagonal))
        raise ConfigError(f"neg_radius_px {p.neg_radius_px:g} leaves no pixel for a negative: the largest image "
                          f"is {w[k]:.0f} x {h[k]:.0f} px (diagonal {diagonal[k]:.0f} px); choose a smaller one")


def _with_negatives(rows, rng, depth_of, size, params):
    """The matches, then ``negatives`` non-matching rows per match (drawn, never within
    ``neg_radius_px`` of the true match)."""
    n = len(rows["u_a"])
    n_neg = int(round(params.negatives * n))
    if n_neg == 0 or n == 0:
        return rows, np.ones(n, bool)
    src = rng.choice(n, size=n_neg, replace=n_neg > n)
    width, height = size
    u = rng.integers(0, width, n_neg)
    v = rng.integers(0, height, n_neg)
    for _ in range(64):  # redraw those too close to the true match
        close = np.hypot(u - rows["u_b"][src], v - rows["v_b"][src]) <= params.neg_radius_px
        if not close.any():
            break
        u[close] = rng.integers(0, width, int(close.sum()))
        v[close] = rng.integers(0, height, int(close.sum()))
    far = np.hypot(u - rows["u_b"][src], v - rows["v_b"][src]) > params.neg_radius_px
    src, u, v = src[far], u[far], v[far]
    out = {k: np.r_[vals, vals[src]] for k, vals in rows.items() if k in ("u_a", "v_a", "depth_a_m", "point_id")}
    out.update(u_b=np.r_[rows["u_b"], u.astype(np.float64)], v_b=np.r_[rows["v_b"], v.astype(np.float64)],
               depth_b_m=np.r_[rows["depth_b_m"], depth_of(u, v)])
    return out, np.r_[np.ones(n, bool), np.zeros(len(src), bool)]


def _table(a, b, rows, match) -> pa.Table:
    n = len(match)
    columns = {"frame_a": np.full(n, a, np.int32), "frame_b": np.full(n, b, np.int32),
               **{k: np.asarray(rows[k], np.float32) for k in ("u_a", "v_a", "u_b", "v_b", "depth_a_m", "depth_b_m")},
               "match": match}
    arrays = {f.name: pa.array(columns[f.name], type=f.type) for f in SCHEMA if f.name != "point_id"}
    ids = rows.get("point_id")
    arrays["point_id"] = pa.nulls(n, pa.int64()) if ids is None else pa.array(np.asarray(ids, np.int64))
    return pa.table([arrays[f.name] for f in SCHEMA], schema=SCHEMA)


def _source(frames, meta, root):
    from .io.reading import dataset_root_of

    from .io.metadata import labeller_of

    labeller = labeller_of(meta)[0]
    if not labeller.pixels:
        raise ConfigError(f"correspondences need a 3D label set, whose pairs rest on pixels (cloud3d: depth images or "
                          f"COLMAP tracks); this one's labeller, {labeller.name}, has none")
    source = (meta.get("labeller_info") or {}).get("source")
    if source == "tracks":
        return "tracks", _TrackSource(frames, meta)
    usable = frames["usable"].to_numpy()
    if "depth_path" not in frames or frames.loc[usable, "depth_path"].isna().any():
        raise ConfigError(f"correspondences from a {source} label set need a depth image for every frame; "
                          "this one has frames without (a scene cloud alone gives no pixels)")
    return "rgbd", _RgbdSource(frames, dataset_root_of(meta, root, frames["source_file"].unique()))


def pair_correspondences(labels, a, b, *, root=None, **params) -> pd.DataFrame:
    """The correspondences of one pair (keys or frame ids), as a DataFrame (for pictures and checks)."""
    from .io.reading import read_label_frames, read_pairs
    from .io.frames import frame_index as _frame_index

    p = CorrespondenceParams(**params)
    pairs, frames = read_pairs(labels), read_label_frames(labels)
    _, source = _source(frames, pairs.attrs["fovlabel"], root)
    i, j = _frame_index(frames, a), _frame_index(frames, b)
    rows, rng, depth_of, size = source.pair(i, j, p)
    rows, match = _with_negatives(rows, rng, depth_of, size, p)
    return _table(i, j, rows, match).to_pandas()


# -- the whole label set -----------------------------------------------------------------------------


def _check_file(path: Path) -> str | None:
    if path.name != CORRESPONDENCES_FILE:
        return "is not a correspondence file"
    try:
        meta = json.loads(pq.read_schema(path).metadata[b"fovlabel"])
    except (pa.ArrowException, OSError, KeyError, ValueError, TypeError):
        return "has no fovlabel metadata"
    return None if meta.get("kind") == "correspondences" else "is not a fovlabel correspondence file"


def _kind():
    from .io.layout import PARTS_DIR, PLAN_FILE
    from .io.output import OutputKind

    return OutputKind("correspondence set", frozenset({CORRESPONDENCES_FILE}), _check_file,
                      partial_files=frozenset({PLAN_FILE, PARTS_DIR}))


def correspondences(labels, out=None, *, overwrite: bool = False, root=None, progress=None, **params):
    """The correspondences of every selected pair of the label set ``labels`` (module docstring).

    ``params``: :class:`CorrespondenceParams` fields. With ``out=None`` returns a DataFrame; with
    ``out`` writes ``out/correspondences.parquet`` (atomic, resumable, only over a previous
    fovlabel correspondence set) and returns a summary dict.
    """
    from ._args import check_args
    from .io.reading import pair_batches, read_label_frames
    from .io.output import OutputTarget
    from .progress import Progress, phase

    check_args(labels=(labels, "path"), out=(out, "path?"), overwrite=(overwrite, bool), root=(root, "path?"))
    p = CorrespondenceParams(**params)
    reporter = progress if progress is not None else Progress("quiet")
    with reporter.active():
        frames = read_label_frames(labels)
        columns = ["overlap"] if p.by == "overlap" else ["cover_a", "cover_b"]
        meta, n_pairs, batches = pair_batches(labels, columns)
        kind_name, source = _source(frames, meta, root)
        with phase("reading labels", total=n_pairs, unit="pair") as step:
            chosen_a, chosen_b = _streamed_selection(batches, p, step)
        _check_room_for_negatives(frames, chosen_b, p)
        # work units as ranges of the selection: no table a unit, however many pairs are chosen
        chunks = [range(k, min(k + p.chunk_pairs, len(chosen_a))) for k in range(0, len(chosen_a), p.chunk_pairs)]

        def run_chunk(chunk) -> pa.Table:
            tables = []
            for a, b in zip(chosen_a[chunk.start:chunk.stop].tolist(), chosen_b[chunk.start:chunk.stop].tolist()):
                rows, rng, depth_of, size = source.pair(a, b, p)
                rows, match = _with_negatives(rows, rng, depth_of, size, p)
                tables.append(_table(a, b, rows, match))
            return pa.concat_tables(tables) if tables else SCHEMA.empty_table()

        if out is None:
            with phase("matching", total=len(chunks), unit="chunk") as step:
                tables = []
                for chunk in chunks:
                    tables.append(run_chunk(chunk))
                    step.advance()
            return (pa.concat_tables(tables) if tables else SCHEMA.empty_table()).to_pandas()

        plan = {"label_set_id": meta.get("label_set_id"), "params": asdict(p), "source": kind_name}
        with OutputTarget(out, _kind(), overwrite=overwrite, inputs=[Path(labels)], sealed=[Path(labels)]) as target:
            writer = _CorrespondenceWriter(target, plan)
            if not writer.complete:
                counts = {"rows": 0, "matches": 0}
                try:  # a failure before any part is written leaves no partial folder behind
                    with phase("matching", total=len(chunks), unit="chunk") as step:
                        for index, chunk in enumerate(chunks):
                            table = writer.read_part(index) if writer.has_part(index) else None
                            if table is None:
                                table = run_chunk(chunk)
                                writer.write_part(index, table)
                            counts["rows"] += table.num_rows
                            counts["matches"] += int(np.asarray(table.column("match")).sum())
                            step.advance()
                except BaseException:
                    writer.discard_if_empty()
                    raise
                summary = {"kind": "correspondences", "label_set": str(Path(labels).resolve()),
                           "label_set_id": meta.get("label_set_id"), "source": kind_name, "params": asdict(p),
                           "pixel_convention": PIXEL_CONVENTION, "pairs": int(len(chosen_a)),
                           "rows": counts["rows"], "matches": counts["matches"],
                           "negatives": counts["rows"] - counts["matches"], "plan_id": writer.plan_id}
                with phase("writing", total=len(chunks), unit="part"):
                    writer.assemble(SCHEMA.with_metadata({"fovlabel": json.dumps(summary, sort_keys=True)}),
                                    len(chunks), counts["rows"])
            path = writer.commit_target("correspondence set")
        info = read_correspondence_metadata(path)
        return {**info, "out": str(path)}


class _CorrespondenceWriter(PartsWriter):
    """The label sets' resumable parts writer, for correspondences.parquet."""

    finished = CORRESPONDENCES_FILE
    id_key = "plan_id"

    def __init__(self, target, plan):
        super().__init__(target, plan, schema=SCHEMA)


def read_correspondence_metadata(path) -> dict:
    path = Path(path)
    file = path / CORRESPONDENCES_FILE if path.is_dir() else path
    try:
        return json.loads(pq.read_schema(file).metadata[b"fovlabel"])
    except (pa.ArrowException, OSError, KeyError, ValueError, TypeError) as exc:
        raise LabelSetError(f"{file}: not a fovlabel correspondence file ({exc})") from None


def read_correspondences(path) -> pd.DataFrame:
    """A correspondence set's rows, with its metadata in ``df.attrs["fovlabel"]``."""
    from ._args import check_args

    check_args(path=(path, "path"))
    path = Path(path)
    file = path / CORRESPONDENCES_FILE if path.is_dir() else path
    meta = read_correspondence_metadata(file)
    table = pq.read_table(file)
    if table.num_rows != meta.get("rows"):
        raise LabelSetError(f"{file}: holds {table.num_rows} rows but the metadata says {meta.get('rows')}")
    df = table.to_pandas()
    df.attrs["fovlabel"] = meta
    return df
