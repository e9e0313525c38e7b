"""3D overlap: IoU of the sets of 3D voxels (or SfM points) two frames observe.

Each frame's set comes from one source (``params.source``, "auto" picks in this order):

- ``tracks``: the 3D point ids of the frame's SfM tracks (the ``colmap`` reader); no voxels;
- ``scene``: the points of a scene cloud or mesh (``params.scene``, PLY/PCD/OBJ read with open3d,
  or fused from the RGB-D frames with open3d's TSDF when ``scene_from_rgbd``) that the camera sees:
  inside the image, in front, within ``max_depth_m`` and not occluded (depth-map agreement within
  ``depth_tol`` where the frame has a depth image, else a z-buffer at the image resolution);
- ``rgbd``: the frame's valid depth pixels (every ``stride``-th), back-projected with its
  intrinsics and moved into the world by its ``world_from_cam`` pose.

Points are quantised to voxels of side ``voxel_m`` in the world frame. For every pair:
overlap = |Va ∩ Vb| / |Va ∪ Vb| (IoU), cover_a = |Va ∩ Vb| / |Va|, cover_b = |Va ∩ Vb| / |Vb|.

Pairs are found from the data, never by a loop over pairs: the frames' sets form a sparse
frame x voxel incidence matrix, and a block of anchor frames is intersected with its targets
either as a sparse product (cost: sum over voxels of anchors-seeing x targets-seeing) or with
bitsets (cost: anchors x targets x voxels / 64), whichever is cheaper for that block. Memory stays
bounded by the block (``chunk_frames``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from .. import schema
from ..errors import ConfigError, InputError
from ..geometry.poses import quat_to_matrix
from ..pairs import candidate_pairs
from . import get_labeller
from .base import Labeller, LabellerParams, Prepared, param

PAIRS_SCHEMA = schema.PAIRS_3D_SCHEMA
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
    pairs_schema = PAIRS_SCHEMA

    def requires(self, frames, params):
        return requires(frames, params)

    def prepare(self, frames, params, root=None, jobs=1) -> Prepared:
        return prepare(frames, params, root, jobs)

    def label_chunk(self, state, chunk, run, params):
        return label_chunk(state, chunk, run)
#: a sparse product's multiply-add costs about this many bitset words (measured, see benchmarks)
SPARSE_WEIGHT = 8.0
#: bitset path: targets per block (the counts are anchors x this), and the most memory for bitsets
TARGET_BLOCK = 4096
BITSET_BYTES = 512 * 2**20


def _where(row, root) -> str:
    """The full path of a frame's source file, for messages."""
    source = Path(str(row["source_file"]))
    return str(source if root is None or source.is_absolute() else Path(root) / source)


def _source(frames, params, root=None) -> str:
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


INTRINSICS = ("fx", "fy", "cx", "cy", "width", "height")


def requires(frames, params, root=None) -> tuple[str, ...]:
    """The frame columns the chosen source needs for every usable frame."""
    source = _source(frames, params, root)
    if source == "tracks":
        return ("point_ids",)
    return (*schema.POSE_COLUMNS, *INTRINSICS, *(("depth_path", "depth_scale") if source == "rgbd" else ()))


def prepare(frames, params, root=None, jobs=1) -> Prepared:
    frames = frames.copy()
    usable = frames["usable"].to_numpy()
    source = _source(frames, params, root)
    get_labeller("cloud3d").check_frames(frames, params)
    if source in ("rgbd", "scene"):
        for name in ("fx", "fy", "width", "height"):
            bad = usable & ~(frames[name].to_numpy(np.float64, na_value=np.nan) > 0)
            if bad.any():
                row = frames.iloc[int(np.flatnonzero(bad)[0])]
                raise InputError(f"frame {row['key']!r}: {name} is {row[name]}; intrinsics must be > 0",
                                 file=_where(row, root), row=int(row["source_row"]), column=name)
    notes = [f"3D source: {source}" + ("" if source == "tracks" else f", voxel {params.voxel_m:g} m")]
    state = build_state(frames, params, root, source, jobs)
    empty = frames["usable"].to_numpy() & (state["sizes"] == 0)
    if empty.any():
        frames.loc[empty, "usable"] = False
        frames.loc[empty, "flag"] = "empty"
        keys = ", ".join(repr(k) for k in frames.loc[empty, "key"].head(3))
        notes.append(f"{int(empty.sum())} frame(s) observe no point (e.g. all depth invalid): {keys}"
                     f"{', ...' if empty.sum() > 3 else ''}; flagged 'empty', left out of pairs")
    return Prepared(frames, state, notes, {"source": source, "voxel_m": params.voxel_m,
                                           "empty_frames": int(empty.sum())})


def _poses(frames):
    R = quat_to_matrix(frames[["qw", "qx", "qy", "qz"]].to_numpy())
    t = frames[["tx", "ty", "tz"]].to_numpy(np.float64)
    return R, t


def rgbd_sets(frames, params, root: Path, jobs: int = 1):
    """Voxel keys and reach (largest point distance) of each usable frame's depth image.

    ``jobs`` threads decode and back-project frames side by side (Pillow's decoder and the kernel
    release the GIL); results do not depend on it."""
    from . import _cloud3d_kernels as K  # numba: imported when used, not with the CLI

    from concurrent.futures import ThreadPoolExecutor

    from ..io.depth import read_depth

    R, t = _poses(frames)
    max_depth = np.inf if params.max_depth_m is None else params.max_depth_m
    rows = frames[["key", "source_file", "depth_path", "depth_scale", "fx", "fy", "cx", "cy", "width", "height"]]
    usable = np.flatnonzero(frames["usable"].to_numpy())
    for i in usable:  # check everything before any work
        row = rows.iloc[i]
        if not isinstance(row["depth_path"], str) or not row["depth_path"].strip():
            raise InputError(f"frame {row['key']!r} has no depth image", file=_where(row, root),
                             column="depth_path")
        if not np.isfinite(row["depth_scale"]) or row["depth_scale"] <= 0:
            raise InputError(f"frame {row['key']!r}: depth_scale {row['depth_scale']} is not a number > 0 "
                             "(depth image units per metre)", file=_where(row, root), column="depth_scale")


    paths = rows["depth_path"].to_numpy(dtype=object)
    numbers = rows[["fx", "fy", "cx", "cy", "depth_scale", "width", "height"]].to_numpy(np.float64)

    def one(i):
        fx, fy, cx, cy, scale, width, height = numbers[i]
        path = Path(root) / paths[i]
        depth = read_depth(path, width=width, height=height)
        keys, reach, bad = K.backproject_voxels(depth, fx, fy, cx, cy, scale, int(params.pixel_stride), max_depth,
                                                R[i], t[i], float(params.voxel_m))
        if bad:
            raise InputError(f"{bad} points lie beyond ±{K.LIMIT} voxels of the origin; use a larger voxel_m",
                             file=path)
        return keys, reach

    sets, reach = [None] * len(frames), np.zeros(len(frames))
    with ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
        for i, (keys, r) in zip(usable, pool.map(one, usable)):
            sets[i], reach[i] = keys, r
    return sets, reach


def track_sets(frames):
    sets = [None] * len(frames)
    for i in np.flatnonzero(frames["usable"].to_numpy()):
        ids = frames["point_ids"].iloc[i]
        sets[i] = np.unique(np.asarray([] if ids is None else ids, np.int64))
    return sets, np.full(len(frames), np.inf)


def scene_points(params, frames, root):
    """The scene as an (n, 3) array: a cloud/mesh file, or TSDF-fused from the RGB-D frames;
    voxel-down-sampled to ``voxel_m`` with open3d."""
    o3d = import_open3d()
    if params.scene_from_rgbd:
        cloud = fuse_tsdf(frames, params, root)
    else:
        path = Path(params.scene)
        if not path.is_file():
            raise InputError("scene file not found", file=path)
        mesh = o3d.io.read_triangle_mesh(str(path)) if path.suffix.lower() in (".obj", ".stl", ".off", ".gltf", ".glb") else None
        if mesh is not None and len(mesh.vertices):
            cloud = o3d.geometry.PointCloud(mesh.vertices)
        else:
            cloud = o3d.io.read_point_cloud(str(path))
            if len(cloud.points) == 0:  # a PLY may hold a mesh
                mesh = o3d.io.read_triangle_mesh(str(path))
                cloud = o3d.geometry.PointCloud(mesh.vertices)
        if len(cloud.points) == 0:
            raise InputError("open3d cannot read a point cloud or mesh from this file", file=path)
    cloud = cloud.voxel_down_sample(float(params.voxel_m) / 2)
    return np.asarray(cloud.points, dtype=np.float64)


def fuse_tsdf(frames, params, root):
    """A scene cloud fused from the usable RGB-D frames with open3d's TSDF (VoxelBlockGrid, voxels
    of voxel_m / 2, truncation 4 voxels; the legacy ScalableTSDFVolume returns no points in
    open3d 0.20 here). Points seen by a single frame are kept (weight threshold 1)."""
    from ..io.depth import read_depth

    o3d = import_open3d()
    o3c = o3d.core
    voxel = float(params.voxel_m) / 2
    grid = o3d.t.geometry.VoxelBlockGrid(
        attr_names=("tsdf", "weight"), attr_dtypes=(o3c.float32, o3c.float32), attr_channels=((1), (1)),
        voxel_size=voxel, block_resolution=8, block_count=50_000, device=o3c.Device("CPU:0"))
    R, t = _poses(frames)
    for i in np.flatnonzero(frames["usable"].to_numpy()):
        row = frames.iloc[i]
        depth = read_depth(Path(root) / row["depth_path"], width=row["width"], height=row["height"])
        depth = np.where(depth == 65535, 0, depth).astype(np.uint16)  # open3d knows only 0 as invalid
        image = o3d.t.geometry.Image(o3c.Tensor(depth))
        K_ = o3c.Tensor(np.array([[row["fx"], 0, row["cx"]], [0, row["fy"], row["cy"]], [0, 0, 1]], np.float64))
        extrinsic = np.eye(4)  # open3d takes cam_from_world
        extrinsic[:3, :3], extrinsic[:3, 3] = R[i].T, -R[i].T @ t[i]
        extrinsic = o3c.Tensor(extrinsic)
        scale, far = float(row["depth_scale"]), float(params.max_depth_m or 65.535 * 1000 / row["depth_scale"])
        blocks = grid.compute_unique_block_coordinates(image, K_, extrinsic, scale, far)
        grid.integrate(blocks, image, K_, extrinsic, scale, far, trunc_voxel_multiplier=4.0)
    points = grid.extract_point_cloud(weight_threshold=1.0).point.positions.numpy()
    return o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points.astype(np.float64)))


def scene_sets(frames, params, root):
    """Voxel keys of the scene points each usable frame sees (see visible_points)."""
    from . import _cloud3d_kernels as K  # numba: imported when used, not with the CLI

    from ..io.depth import read_depth

    points = scene_points(params, frames, root)
    R, t = _poses(frames)
    max_depth = np.inf if params.max_depth_m is None else params.max_depth_m
    sets, reach = [None] * len(frames), np.zeros(len(frames))
    for i in np.flatnonzero(frames["usable"].to_numpy()):
        row = frames.iloc[i]
        w, h = int(row["width"]), int(row["height"])
        has_depth = isinstance(row["depth_path"], str)
        depth = (read_depth(Path(root) / row["depth_path"], width=w, height=h) if has_depth
                 else np.zeros((0, 0), np.uint16))
        R_cw = R[i].T
        seen = K.visible_points(points, R_cw, -R_cw @ t[i], row["fx"], row["fy"], row["cx"], row["cy"],
                                w, h, max_depth, depth, float(row["depth_scale"]) if has_depth else 1.0,
                                float(params.depth_tol), np.empty((h, w)))
        visible = points[seen]
        sets[i], _ = K.voxelize_points(visible, float(params.voxel_m))
        reach[i] = np.linalg.norm(visible - t[i], axis=1).max() if len(visible) else 0.0
    return sets, reach


def import_open3d():
    """open3d, or a one-line error saying how to get it."""
    try:
        import open3d
    except ImportError as exc:
        if "libusb" in str(exc):
            raise ConfigError("open3d needs the system library libusb-1.0: apt-get install libusb-1.0-0 "
                              "(scripts/setup.sh does it)") from None
        raise ConfigError(f"open3d is not installed ({exc}): pip install 'fovlabel[3d]'") from None
    return open3d


def build_state(frames, params, root=None, source=None, jobs=1) -> dict:
    """Each usable frame's point set as rows of one incidence matrix, plus poses and reaches."""
    source = source or _source(frames, params)
    root = Path(root or ".")
    if source == "tracks":
        sets, reach = track_sets(frames)
    elif source == "rgbd":
        sets, reach = rgbd_sets(frames, params, root, jobs)
    else:
        sets, reach = scene_sets(frames, params, root)
    sizes = np.array([0 if s is None else len(s) for s in sets], np.int64)
    # one incidence matrix over all frames: column ids of the sorted unique keys
    present = [s for s in sets if s is not None and len(s)]
    columns = _column_ids(np.concatenate(present) if present else np.zeros(0, np.int64))
    indptr = np.zeros(len(frames) + 1, np.int64)
    indptr[1:] = np.cumsum(sizes)
    R, t = _poses(frames) if np.isfinite(frames["qw"].to_numpy(np.float64)).all() else (None, None)
    return {
        "indptr": indptr, "indices": columns.astype(np.int64), "n_columns": int(columns.max() + 1) if len(columns) else 0,
        "sizes": sizes, "reach": reach + np.sqrt(3.0) * float(params.voxel_m),
        "centre": t, "axis": None if R is None else R[:, :, 2],
        "frame_id": frames["frame_id"].to_numpy(np.int32),
    }


def _column_ids(keys: np.ndarray) -> np.ndarray:
    """Dense ids (0..n_unique-1, in key order) of keys made of many sorted runs (one per frame).

    np.unique(return_inverse=True) would quicksort; a stable sort merges the sorted runs instead,
    about 3x faster here."""
    if len(keys) == 0:
        return np.zeros(0, np.int64)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new = np.empty(len(keys), bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    ids = np.empty(len(keys), np.int64)
    ids[order] = np.cumsum(new) - 1
    return ids


def _rows(state, rows):
    from scipy.sparse import csr_matrix

    indptr, indices = state["indptr"], state["indices"]
    lengths = indptr[rows + 1] - indptr[rows]
    sub_ptr = np.zeros(len(rows) + 1, np.int64)
    sub_ptr[1:] = np.cumsum(lengths)
    idx = np.concatenate([indices[indptr[r]:indptr[r + 1]] for r in rows]) if len(rows) else np.zeros(0, np.int64)
    data = np.ones(len(idx), np.int32)
    return csr_matrix((data, idx, sub_ptr), shape=(len(rows), max(state["n_columns"], 1)))


def shared_counts(state, anchors, targets):
    """(i, j, count) of every anchor/target row pair sharing at least one voxel; i, j index the
    given arrays. Chooses the sparse product or bitsets by their cost on this block."""
    from . import _cloud3d_kernels as K  # numba: imported when used, not with the CLI

    A, B = _rows(state, anchors), _rows(state, targets)
    ka = np.bincount(A.indices, minlength=A.shape[1])
    kb = np.bincount(B.indices, minlength=B.shape[1])
    sparse_cost = float(np.dot(ka.astype(np.float64), kb))
    used = np.flatnonzero((ka > 0) & (kb > 0))
    bitset_cost = len(anchors) * len(targets) * max(1.0, len(used) / 64.0)
    words = (len(used) + 63) // 64
    bitset_bytes = (len(anchors) + min(len(targets), TARGET_BLOCK)) * words * 8
    if sparse_cost * SPARSE_WEIGHT <= bitset_cost or len(used) == 0 or bitset_bytes > BITSET_BYTES:
        C = (A @ B.T).tocoo()
        return C.row.astype(np.int64), C.col.astype(np.int64), C.data.astype(np.int64)
    A, B = A[:, used].tocsr(), B[:, used].tocsr()  # columns renumbered 0..len(used)-1
    bits_a = K.fill_bitsets(A.indptr.astype(np.int64), A.indices.astype(np.int64), np.arange(A.shape[0]), words)
    out_i, out_j, out_c = [], [], []
    for start in range(0, B.shape[0], TARGET_BLOCK):  # bounded: anchors x TARGET_BLOCK counts
        rows = np.arange(start, min(start + TARGET_BLOCK, B.shape[0]))
        bits_b = K.fill_bitsets(B.indptr.astype(np.int64), B.indices.astype(np.int64), rows, words)
        counts = K.bitset_counts(bits_a, bits_b)
        i, j = np.nonzero(counts)
        out_i.append(i)
        out_j.append(j + start)
        out_c.append(counts[i, j])
    return (np.concatenate(out_i).astype(np.int64), np.concatenate(out_j).astype(np.int64),
            np.concatenate(out_c).astype(np.int64))


def label_chunk(state, chunk, run) -> pa.Table:
    anchors = np.asarray(chunk.anchors, np.int64)
    targets = np.asarray(chunk.targets, np.int64)
    i, j, shared = shared_counts(state, anchors, targets)
    a, b = anchors[i], targets[j]
    if chunk.mode == "within":
        keep = a < b
        a, b, shared = a[keep], b[keep], shared[keep]
    if run.keep_zero:  # every pair whose points could meet: centres closer than the reaches
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
        a = np.concatenate([a, extra[:, 0]])
        b = np.concatenate([b, extra[:, 1]])
        shared = np.concatenate([shared, np.zeros(len(extra), np.int64)])
    order = np.lexsort((b, a))
    a, b, shared = a[order], b[order], shared[order]
    size_a, size_b = state["sizes"][a], state["sizes"][b]
    union = size_a + size_b - shared
    iou = np.where(union > 0, shared / np.maximum(union, 1), 0.0)
    cover_a = np.where(size_a > 0, shared / np.maximum(size_a, 1), 0.0)
    cover_b = np.where(size_b > 0, shared / np.maximum(size_b, 1), 0.0)
    if state["centre"] is not None:
        dist = np.linalg.norm(state["centre"][a] - state["centre"][b], axis=1)
        cos = np.clip(np.einsum("ni,ni->n", state["axis"][a], state["axis"][b]), -1.0, 1.0)
        angle = np.degrees(np.arccos(cos))
    else:
        dist = angle = np.full(len(a), np.nan)
    frame_id = state["frame_id"]
    return pa.table(
        {
            "frame_a": frame_id[a].astype(np.int32),
            "frame_b": frame_id[b].astype(np.int32),
            "overlap": iou.astype(np.float32),
            "cover_a": cover_a.astype(np.float32),
            "cover_b": cover_b.astype(np.float32),
            "shared": shared.astype(np.int32),
            "distance_m": dist.astype(np.float32),
            "heading_diff_deg": angle.astype(np.float32),
            "rank": schema.rank_from_overlap(iou, run.positive),
        },
        schema=PAIRS_SCHEMA,
    )
