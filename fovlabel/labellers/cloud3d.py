"""3D overlap: IoU of the sets of 3D voxels (or SfM points) two frames observe.

Each frame's set comes from one source (``params.source``, "auto" picks in this order):

- ``scene``: the points of a scene cloud or mesh (``params.scene``, read with open3d, or fused
  from the RGB-D frames with a TSDF when ``scene_from_rgbd``; io.scene) that the camera sees:
  inside the image, in front, within ``max_depth_m`` and not occluded (depth-image agreement
  within ``depth_tol`` where the frame has a depth image, else a z-buffer; geometry.voxels);
- ``tracks``: the 3D point ids of the frame's SfM tracks (the ``colmap`` reader); no voxels;
- ``rgbd``: the frame's valid depth pixels (every ``pixel_stride``-th), back-projected with its
  intrinsics and moved into the world by its ``world_from_cam`` pose (geometry.voxels).

Points are quantised to voxels of side ``voxel_m`` in the world frame. For every pair:
overlap = |Va ∩ Vb| / |Va ∪ Vb| (IoU), cover_a = |Va ∩ Vb| / |Va|, cover_b = |Va ∩ Vb| / |Vb|.
The sets form one incidence matrix and a block of anchors is counted against its targets
(fovlabel.incidence): pairs come from the data, never from a loop over pairs.

This module holds the labeller's parameters, its sources and the orchestration; the camera,
voxel, incidence and scene code it uses lives in geometry/, incidence.py and io/ for any labeller.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import schema
from ..errors import ConfigError, InputError
from ..geometry.camera import INTRINSICS, PinholeCamera
from ..geometry.poses import quat_to_matrix
from .._threads import ordered_map
from ..incidence import Incidence, IncidenceBuilder, shared_counts
from ..progress import current_phase
from .. import pairs as _pairs
from ..pairs import candidate_pairs, pairs_table
from .base import Labeller, LabellerParams, Prepared, param

SOURCES = ("auto", "rgbd", "scene", "tracks")


@dataclass(frozen=True)
class VoxelParams(LabellerParams):
    """Where each frame's point set comes from, and how it is quantised."""

    voxel_m: float = param(0.05, "Voxel side in metres, > 0.")
    pixel_stride: int = param(1, "Back-project every k-th depth pixel in x and y (>= 1).")
    max_depth_m: float | None = param(None, "Ignore depth beyond this many metres.")
    depth_tol: float = param(0.05, "Relative depth agreement for visibility of scene points (> 0).")
    source: str = param("auto", "Where each frame's point set comes from.", choices=SOURCES)
    scene: str | None = param(None, "Scene point cloud or mesh (PLY/PCD/OBJ).")
    scene_from_rgbd: bool = param(False, "Fuse the scene from the RGB-D frames (open3d TSDF).")

    def validate(self) -> None:
        if not self.voxel_m > 0:
            raise ConfigError(f"voxel_m must be > 0; got {self.voxel_m:g}")
        if self.pixel_stride < 1:
            raise ConfigError(f"pixel_stride must be >= 1; got {self.pixel_stride}")
        if self.max_depth_m is not None and not self.max_depth_m > 0:
            raise ConfigError(f"max_depth_m must be > 0; got {self.max_depth_m:g}")
        if not self.depth_tol > 0:
            raise ConfigError(f"depth_tol must be > 0; got {self.depth_tol:g}")
        if self.source not in SOURCES:
            raise ConfigError(f"source must be one of {', '.join(SOURCES)}; got {self.source!r}")


class Cloud3D(Labeller):
    name = "cloud3d"
    summary = "3D voxel (or SfM point) IoU from depth images, a scene cloud or COLMAP tracks"
    Params = VoxelParams
    pairs_schema = schema.PAIRS_3D_SCHEMA
    kernels = ("fovlabel.geometry._voxel_kernels:backproject_voxels",
               "fovlabel.geometry._voxel_kernels:voxelize_points",
               "fovlabel.geometry._voxel_kernels:visible_points",
               "fovlabel._incidence_kernels:fill_bitsets", "fovlabel._incidence_kernels:bitset_counts",
               "fovlabel._incidence_kernels:anchor_columns", "fovlabel._incidence_kernels:list_counts",
               "fovlabel._incidence_kernels:list_cost", "fovlabel._incidence_kernels:union_sorted",
               "fovlabel._incidence_kernels:pair_measures", _pairs.KERNEL)
    #: a chunk's pairs are in memory at once: 500 anchors of a room-sized scene are ~10^5-10^6 pairs
    chunk_frames = 500
    #: a chunk's table is ~33 bytes a pair, its anchor blocks' counts a few times that while they
    #: run: a chunk of a long dense sequence is cut to 4M candidate pairs (as the sector labellers')
    chunk_pairs = 4_000_000
    #: the counting kernels release the GIL: a chunk counts its anchor blocks in the run's threads
    parallel = "inside"
    #: decoding depth takes seconds, in threads: the counting kernels load meanwhile
    warm_up_while_preparing = True
    #: its pairs count voxels or SfM points seen at pixels: views and correspondences apply
    pixels = True

    def inputs(self, params) -> list:
        return [params.scene] if params.scene else []

    def place(self, frames, params):
        """The camera centres and optical axes on the ground plane the poses define (as strong2d
        places them, up found from the cameras), for the map and the query picture."""
        from ..geometry.ground import project_to_ground, resolve_up
        from ..geometry.poses import quat_to_matrix
        from ..schema import POSE_COLUMNS

        posed = np.isfinite(frames[list(POSE_COLUMNS)].to_numpy(np.float64, na_value=np.nan)).all(axis=1)
        if not posed.any():
            return None
        R = quat_to_matrix(frames.loc[posed, ["qw", "qx", "qy", "qz"]].to_numpy(np.float64))
        t = frames.loc[posed, ["tx", "ty", "tz"]].to_numpy(np.float64)
        x, y, heading, _, _ = project_to_ground(R, t, resolve_up("auto", R), 90.0)
        out = [np.full(len(frames), np.nan) for _ in range(3)]
        for column, values in zip(out, (x, y, heading)):
            column[posed] = values
        return tuple(out)

    def warm_up(self) -> None:
        from ..geometry.voxels import backproject_voxels, visible_points, voxelize_points

        camera = PinholeCamera(fx=2.0, fy=2.0, cx=1.0, cy=1.0, width=2, height=2)
        R, t = np.eye(3), np.zeros(3)
        depth = np.full((2, 2), 1000, np.uint16)
        keys, _, _ = backproject_voxels(depth, camera, 1000.0, R, t, 0.1)
        points = np.array([[0.0, 0.0, 1.0]])
        voxelize_points(points, 0.1)
        visible_points(points, camera, R, t)
        visible_points(points, camera, R, t, depth=depth, units_per_m=1000.0)
        incidence = Incidence.from_sets([keys, keys])
        for method in ("lists", "bitsets"):
            shared_counts(incidence, np.array([0]), np.array([1]), method=method)
        _pairs.warm_up()  # the zero pairs of keep_zero
        one = np.zeros(1, np.int32)
        for centre in (np.zeros((1, 3)), None):  # the pairs' columns, with poses and without
            _pairs_slice({"sizes": np.ones(1, np.int64), "centre": centre, "axis": centre}, one, one, one, 0.5)

    def requires(self, frames, params):
        source = choose_source(frames, params)
        if source == "tracks":
            return ("point_ids",)
        return (*schema.POSE_COLUMNS, *INTRINSICS, *(("depth_path", "depth_scale") if source == "rgbd" else ()))

    def prepare(self, frames, params, root=None, jobs=1, workdir=None) -> Prepared:
        frames = frames.copy()
        source = choose_source(frames, params, root)
        self.check_frames(frames, params)
        if source in ("rgbd", "scene"):
            _check_intrinsics(frames, root)
        root = Path(root or ".")
        # the frames' sets go through the builder frame by frame, spilled to ``workdir`` when given
        builder = IncidenceBuilder(len(frames), workdir)
        if source == "tracks":
            reach = track_sets(frames, builder)
        elif source == "rgbd":
            reach = rgbd_sets(frames, params, root, jobs, builder)
        else:
            reach = scene_sets(frames, params, root, builder)
        current_phase().describe(note="indexing the " + ("points" if source == "tracks" else "voxels"))
        state = _state(frames, builder.finish(threads=max(1, int(jobs))), reach, params, jobs)
        notes = [f"3D source: {source}" + ("" if source == "tracks" else f", voxel {params.voxel_m:g} m")]
        frames["observed"] = np.where(frames["usable"].to_numpy(), state["sizes"], 0).astype(np.int64)
        empty = frames["usable"].to_numpy() & (state["sizes"] == 0)
        if empty.any():
            frames.loc[empty, "usable"] = False
            frames.loc[empty, "flag"] = "empty"
            keys = ", ".join(repr(k) for k in frames.loc[empty, "key"].head(3))
            notes.append(f"{int(empty.sum())} frame(s) observe no point (e.g. all depth invalid): {keys}"
                         f"{', ...' if empty.sum() > 3 else ''}; flagged 'empty', left out of pairs")
        meta = {"source": source, "voxel_m": params.voxel_m, "empty_frames": int(empty.sum())}
        return Prepared(frames, state, notes, meta)

    def pair_load(self, state, frames, chunk_frames):
        """Each frame's candidates (pairs.sampled_load: the frames whose camera centres are
        closer than twice the group's largest reach, or all of the group's without poses), where
        a chunk could pass chunk_pairs."""
        return _pairs.sampled_load(frames, state["centre"], state["reach"], chunk_frames, self.chunk_pairs)

    def label_chunk(self, state, chunk, run, params):
        return label_chunk(state, chunk, run)

    def worker_state(self, state):
        return {**state, "threads": 1}


def _where(row, root) -> str:
    """The full path of a frame's source file, for messages."""
    source = Path(str(row["source_file"]))
    return str(source if root is None or source.is_absolute() else Path(root) / source)


def choose_source(frames, params, root=None) -> str:
    """The source ``params.source`` names, or for "auto": scene, tracks, then rgbd."""
    if params.source != "auto":
        return params.source
    usable = frames["usable"].to_numpy()
    if params.scene or params.scene_from_rgbd:
        return "scene"
    if frames.loc[usable, "point_ids"].map(lambda v: v is not None).all():
        return "tracks"
    has_depth = frames["depth_path"].notna().to_numpy() & usable
    if has_depth.sum() == usable.sum():
        return "rgbd"
    if has_depth.any():  # some frames have depth, some not: name the first without
        row = frames.iloc[int(np.flatnonzero(usable & ~has_depth)[0])]
        raise InputError(f"frame {row['key']!r} has no depth image ({int(has_depth.sum())} of "
                         f"{int(usable.sum())} frames have one; cloud3d rgbd needs one for every frame)",
                         file=_where(row, root), column="depth_path")
    raise ConfigError("cloud3d needs depth images (rgbd), SfM tracks (colmap) or a scene cloud "
                      "(--scene / --scene-from-rgbd); this dataset has none for every frame")


def _check_intrinsics(frames, root) -> None:
    usable = frames["usable"].to_numpy()
    for name in ("fx", "fy", "width", "height"):
        bad = usable & ~(frames[name].to_numpy(np.float64, na_value=np.nan) > 0)
        if bad.any():
            row = frames.iloc[int(np.flatnonzero(bad)[0])]
            raise InputError(f"frame {row['key']!r}: {name} is {row[name]}; intrinsics must be > 0",
                             file=_where(row, root), row=int(row["source_row"]), column=name)


def _poses(frames):
    R = quat_to_matrix(frames[["qw", "qx", "qy", "qz"]].to_numpy())
    t = frames[["tx", "ty", "tz"]].to_numpy(np.float64)
    return R, t


def _depth_of(frames, i, root: Path):
    from ..io.depth import read_depth

    row = frames.iloc[i]
    return read_depth(root / row["depth_path"], width=row["width"], height=row["height"])


def _cameras(frames) -> list:
    """Each frame's PinholeCamera (None where not usable), from whole columns (no row objects)."""
    fx, fy, cx, cy = (frames[c].to_numpy(np.float64) for c in ("fx", "fy", "cx", "cy"))
    width, height = (frames[c].to_numpy(np.float64, na_value=0) for c in ("width", "height"))
    usable = frames["usable"].to_numpy()
    return [PinholeCamera(fx[i], fy[i], cx[i], cy[i], int(width[i]), int(height[i])) if usable[i] else None
            for i in range(len(frames))]


def rgbd_sets(frames, params, root: Path, jobs: int, builder: IncidenceBuilder) -> np.ndarray:
    """Each usable frame's depth image into ``builder`` (its voxel keys); returns the reaches
    (largest point distance from the camera).

    ``jobs`` threads decode and back-project frames side by side (Pillow's decoder and the kernel
    release the GIL); results do not depend on it."""
    from ..geometry.voxels import KEY_LIMIT, backproject_voxels
    from ..io.depth import read_depth

    R, t = _poses(frames)
    max_depth = np.inf if params.max_depth_m is None else params.max_depth_m
    usable = np.flatnonzero(frames["usable"].to_numpy())
    # check everything before any work, by whole columns; the first bad frame is named
    paths = frames["depth_path"].tolist()
    scales = frames["depth_scale"].to_numpy(np.float64, na_value=np.nan)
    no_path = np.array([not isinstance(paths[i], str) or not paths[i].strip() for i in usable], bool)
    bad_scale = ~(np.isfinite(scales[usable]) & (scales[usable] > 0))
    if (no_path | bad_scale).any():
        first = int(np.flatnonzero(no_path | bad_scale)[0])
        row = frames.iloc[int(usable[first])]
        if no_path[first]:
            raise InputError(f"frame {row['key']!r} has no depth image", file=_where(row, root),
                             column="depth_path")
        raise InputError(f"frame {row['key']!r}: depth_scale {row['depth_scale']} is not a number > 0 "
                         "(depth image units per metre)", file=_where(row, root), column="depth_scale")
    cameras = _cameras(frames)

    def one(i):
        camera = cameras[i]
        depth = read_depth(root / paths[i], width=camera.width, height=camera.height)
        keys, reach, bad = backproject_voxels(depth, camera, scales[i], R[i], t[i], params.voxel_m,
                                              stride=params.pixel_stride, max_depth_m=max_depth)
        if bad:
            raise InputError(f"{bad} points lie beyond ±{KEY_LIMIT} voxels of the origin; use a larger voxel_m",
                             file=root / paths[i])
        return keys, reach

    reach = np.zeros(len(frames))
    step = current_phase().describe("decoding depth", total=len(usable), unit="image")
    for i, (keys, r) in zip(usable, ordered_map(one, usable, max(1, int(jobs)))):
        builder.add(int(i), keys)
        reach[i] = r
        step.advance()
    return reach


def track_sets(frames, builder: IncidenceBuilder) -> np.ndarray:
    """Each usable frame's SfM point ids into ``builder``; reaches are unbounded (no geometry)."""
    for i in np.flatnonzero(frames["usable"].to_numpy()):
        ids = frames["point_ids"].iloc[i]
        builder.add(int(i), np.unique(np.asarray([] if ids is None else ids, np.int64)))
    return np.full(len(frames), np.inf)


def scene_points(params, frames, root) -> np.ndarray:
    """The scene as an (n, 3) array: a cloud/mesh file, or TSDF-fused from the RGB-D frames;
    down-sampled to voxel_m / 2 (so each voxel a camera sees holds points)."""
    from ..io.scene import downsample_points, fuse_tsdf, read_scene_points

    if params.scene_from_rgbd:
        R, t = _poses(frames)
        views = ((_depth_of(frames, i, root), PinholeCamera.from_row(frames.iloc[i]), R[i], t[i],
                  float(frames["depth_scale"].iat[i])) for i in np.flatnonzero(frames["usable"].to_numpy()))
        points = fuse_tsdf(views, params.voxel_m / 2, params.max_depth_m)
    else:
        points = read_scene_points(params.scene)
    return downsample_points(points, params.voxel_m / 2)


def scene_sets(frames, params, root, builder: IncidenceBuilder) -> np.ndarray:
    """Voxel keys of the scene points each usable frame sees (geometry.voxels.visible_points)
    into ``builder``; returns the reaches."""
    from ..geometry.voxels import visible_points, voxelize_points

    current_phase().describe("fusing the scene" if params.scene_from_rgbd else "reading the scene")
    points = scene_points(params, frames, root)
    R, t = _poses(frames)
    max_depth = np.inf if params.max_depth_m is None else params.max_depth_m
    reach = np.zeros(len(frames))
    usable = np.flatnonzero(frames["usable"].to_numpy())
    step = current_phase().describe("projecting the scene", total=len(usable), unit="frame")
    for i in usable:
        step.advance()
        row = frames.iloc[i]
        has_depth = isinstance(row["depth_path"], str)
        seen = visible_points(points, PinholeCamera.from_row(row), R[i], t[i],
                              depth=_depth_of(frames, i, root) if has_depth else None,
                              units_per_m=float(row["depth_scale"]) if has_depth else 1.0,
                              depth_tol=params.depth_tol, max_depth_m=max_depth)
        visible = points[seen]
        builder.add(int(i), voxelize_points(visible, params.voxel_m)[0])
        reach[i] = np.linalg.norm(visible - t[i], axis=1).max() if len(visible) else 0.0
    return reach


def _state(frames, incidence: Incidence, reach, params, threads: int = 1) -> dict:
    """What the chunks need: the incidence matrix, set sizes, camera centres, axes, reaches, and
    how many threads a chunk counts in."""
    R, t = _poses(frames) if np.isfinite(frames["qw"].to_numpy(np.float64)).all() else (None, None)
    # centres and axes in C order (pandas gives Fortran order): pair_measures' one compiled signature
    return {"incidence": incidence, "sizes": incidence.sizes,
            "reach": reach + np.sqrt(3.0) * float(params.voxel_m),  # a voxel's points reach further
            "centre": None if t is None else np.ascontiguousarray(t),
            "axis": None if R is None else np.ascontiguousarray(R[:, :, 2]), "threads": max(1, int(threads))}


#: anchors counted together inside a chunk (the chunk's threads take these blocks): at most this
#: many, holding at most ANCHOR_ENTRIES voxels between them (memory bounded by the block)
ANCHOR_BLOCK = 128
ANCHOR_ENTRIES = 1 << 20


#: pairs whose columns are computed at once (memory: ~150 bytes a pair while they are)
TABLE_SLICE = 1 << 18


def label_chunk(state, chunk, run):
    """The chunk's pairs: its anchors in blocks (rows consecutive, so the blocks' pairs, each
    sorted by (a, b), are in order), counted and turned into table slices in the state's threads;
    within a group only targets after the block's first anchor are counted."""
    import pyarrow as pa

    from ..incidence import row_blocks

    anchors = np.asarray(chunk.anchors, np.int64)
    targets = np.asarray(chunk.targets, np.int64)
    within = chunk.mode == "within"
    incidence = state["incidence"]

    def block(bounds):
        block_anchors = anchors[bounds[0]:bounds[1]]
        block_targets = targets[targets > block_anchors[0]] if within else targets
        if len(block_targets):
            i, j, shared = shared_counts(incidence, block_anchors, block_targets)
            a, b = block_anchors[i], block_targets[j]
        else:
            a = b = shared = np.zeros(0, np.int64)
        if within:
            keep = a < b
            a, b, shared = a[keep], b[keep], shared[keep]
        if run.keep_zero:  # every pair whose points could meet: centres closer than the reaches
            a, b, shared = _with_zero_pairs(state, chunk, block_anchors, targets, a, b, shared)
        order = np.lexsort((b, a))
        a, b, shared = a[order].astype(np.int32), b[order].astype(np.int32), shared[order].astype(np.int32)
        return [_pairs_slice(state, a[k:k + TABLE_SLICE], b[k:k + TABLE_SLICE], shared[k:k + TABLE_SLICE],
                             run.positive) for k in range(0, len(a), TABLE_SLICE)]

    blocks = row_blocks(incidence.sizes[anchors], ANCHOR_ENTRIES, ANCHOR_BLOCK)
    tables = [t for part in ordered_map(block, blocks, state.get("threads", 1)) for t in part]
    return pa.concat_tables(tables) if tables else schema.PAIRS_3D_SCHEMA.empty_table()


def _pairs_slice(state, a, b, shared, positive: float):
    """The pairs table of counted pairs (a, b sorted): IoU, coverages, distance and axis angle
    (_incidence_kernels.pair_measures; its reference is tests/naive.pair_measures)."""
    from .._incidence_kernels import pair_measures

    geometry = state["centre"] is not None
    none = np.zeros((1, 3))
    centre, axis = (state["centre"], state["axis"]) if geometry else (none, none)  # C order (_state)
    iou, cover_a, cover_b, dist, angle = pair_measures(a, b, shared, state["sizes"], centre, axis, geometry)
    return pairs_table(schema.PAIRS_3D_SCHEMA, a, b, iou, dist, angle, positive,
                       cover_a=cover_a, cover_b=cover_b, shared=shared.astype(np.int32))


def _with_zero_pairs(state, chunk, anchors, targets, a, b, shared):
    """The counted pairs plus every other pair whose points could meet (overlap 0)."""
    if state["centre"] is None or not np.isfinite(state["reach"]).all():
        ca, cb = np.meshgrid(anchors, targets, indexing="ij")
        ca, cb = ca.ravel(), cb.ravel()
        keep = ca < cb if chunk.mode == "within" else ca != cb
        ca, cb = ca[keep], cb[keep]
    else:
        centre = state["centre"]
        # the search in x, y finds a superset of the pairs closer in 3D; the 3D distance decides
        ca, cb, _ = candidate_pairs(centre[:, 0], centre[:, 1], state["reach"], anchors, targets,
                                    chunk.mode == "within")
        d3 = np.linalg.norm(centre[ca] - centre[cb], axis=1)
        keep = d3 < state["reach"][ca] + state["reach"][cb]
        ca, cb = ca[keep], cb[keep]
    known = set(zip(a.tolist(), b.tolist()))
    extra = np.array([(x, y) for x, y in zip(ca.tolist(), cb.tolist()) if (x, y) not in known],
                     np.int64).reshape(-1, 2)
    return (np.concatenate([a, extra[:, 0]]), np.concatenate([b, extra[:, 1]]),
            np.concatenate([shared, np.zeros(len(extra), np.int64)]))
