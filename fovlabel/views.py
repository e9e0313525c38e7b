"""What two frames of a 3D label set share, pixel by pixel (for pictures, and for checking a label).

:func:`shared_pixels` recomputes, from the dataset the label set records, the point sets the
``cloud3d`` labeller counted for two frames, and says which pixels of each image show an element
of their intersection:

- ``rgbd``: every pixel whose depth falls in a voxel both frames observe (the keys are the
  labeller's own, pixel by pixel: geometry.voxels.pixel_voxel_keys);
- ``scene``: the scene points each camera sees that lie in a shared voxel, projected into it;
- ``tracks``: the 2D points of the COLMAP tracks both images observe.

``shared`` is the size of the recomputed intersection; it equals the label set's ``shared``
column unless the dataset has changed since labelling (:attr:`SharedPixels.agrees` says).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ConfigError
from .geometry.poses import pose_of_row


@dataclass
class View:
    """One frame of the pair: its image size, background picture, and where its points are."""

    key: str
    width: int
    height: int
    background: np.ndarray | None  # (h, w) grey in [0, 1], or None
    background_kind: str  # "colour image", "depth", "none"
    observed_px: np.ndarray  # (n, 2) int pixel (u, v) of what it observes (rgbd: all valid pixels)
    shared_px: np.ndarray  # (m, 2) int pixel (u, v) of what it shares with the other frame
    observed: int  # |V| (voxels or tracks)
    mask: np.ndarray | None = None  # rgbd: (h, w) bool, the shared pixels
    #: a depth background: the depths (m) its grey runs between, near (bright) to far (dark)
    depth_range_m: tuple | None = None


@dataclass
class SharedPixels:
    a: View
    b: View
    source: str
    shared: int  # |Va ∩ Vb| recomputed
    label_shared: int | None  # the label set's value (None: the pair is not in it, overlap 0)

    @property
    def agrees(self) -> bool:
        return self.label_shared is None and self.shared == 0 or self.shared == self.label_shared


def _grey(path: Path, width: int, height: int) -> np.ndarray | None:
    from PIL import Image

    try:
        with Image.open(path) as im:
            grey = im.convert("L")
            if grey.size != (width, height):
                grey = grey.resize((width, height))
            return np.asarray(grey, np.float64) / 255.0
    except (OSError, ValueError):
        return None


def _depth_grey(depth: np.ndarray) -> tuple[np.ndarray, tuple | None]:
    """(grey: near bright, far dark, no reading black; the raw depths grey runs between, the 1st
    and 99th percentiles, or None without a reading)."""
    from .schema import DEPTH_INVALID

    valid = (depth != DEPTH_INVALID[0]) & (depth != DEPTH_INVALID[1])
    out = np.zeros(depth.shape)
    if not valid.any():
        return out, None
    d = depth[valid].astype(np.float64)
    lo, hi = np.percentile(d, [1, 99])
    out[valid] = 1.0 - DEPTH_GREY_SPAN * np.clip((d - lo) / max(hi - lo, 1e-9), 0, 1)
    return out, (float(lo), float(hi))


#: how much of the grey scale a depth background spans (near 1.0, far 1 - this)
DEPTH_GREY_SPAN = 0.8


def shared_pixels(labels, a, b, *, root=None) -> SharedPixels:
    """The pixels frames ``a`` and ``b`` (keys or frame ids) of a cloud3d label set share."""
    from .io.reading import dataset_root_of, image_root_of, read_label_frames, read_pairs
    from .io.metadata import labeller_of
    from .io.frames import frame_index as _frame_index

    pairs, frames = read_pairs(labels), read_label_frames(labels)
    meta = pairs.attrs["fovlabel"]
    labeller, params = labeller_of(meta)
    if not labeller.pixels:
        raise ConfigError(f"shared pixels are a label set's whose pairs rest on pixels (cloud3d); this one's "
                          f"labeller, {labeller.name}, places sectors")
    i, j = _frame_index(frames, a), _frame_index(frames, b)
    source = (meta.get("labeller_info") or {}).get("source", "rgbd")
    sources = frames["source_file"].unique()
    data_root, image_root = dataset_root_of(meta, root, sources), image_root_of(meta, root, sources)
    row = pairs[((pairs["frame_a"] == i) & (pairs["frame_b"] == j)) | ((pairs["frame_a"] == j) & (pairs["frame_b"] == i))]
    label_shared = int(row["shared"].iloc[0]) if len(row) else None
    compute = {"rgbd": _rgbd, "scene": _scene, "tracks": _tracks}.get(source)
    if compute is None:
        raise ConfigError(f"unknown 3D source {source!r} in the label set's metadata")
    va, vb, shared = compute(frames, (i, j), params, data_root, image_root, meta)
    return SharedPixels(va, vb, source, shared, label_shared)


def _background(row, image_root: Path, data_root: Path, depth=None):
    width, height = int(row["width"]), int(row["height"])
    path = row.get("image_path")
    if isinstance(path, str) and path:
        grey = _grey(image_root / path, width, height)
        if grey is not None:
            return grey, "colour image", None
    if depth is None and isinstance(row.get("depth_path"), str):
        from .io.depth import read_depth

        depth = read_depth(data_root / row["depth_path"], width=width, height=height)
    if depth is not None:
        grey, raw = _depth_grey(depth)
        scale = float(row.get("depth_scale", np.nan))
        known = raw is not None and np.isfinite(scale) and scale > 0
        return grey, "depth", (raw[0] / scale, raw[1] / scale) if known else None
    return None, "none", None


_pose = pose_of_row  # kept for one version: fovlabel.geometry.poses.pose_of_row


def _pixels(mask: np.ndarray) -> np.ndarray:
    v, u = np.nonzero(mask)
    return np.c_[u, v]


def _rgbd(frames, ids, params, data_root, image_root, meta):
    from .geometry.camera import PinholeCamera
    from .geometry.voxels import backproject_voxels, pixel_voxel_keys
    from .io.depth import read_depth

    max_depth = np.inf if params.max_depth_m is None else params.max_depth_m
    per = []
    for k in ids:
        row = frames.iloc[k]
        camera = PinholeCamera.from_row(row)
        depth = read_depth(data_root / row["depth_path"], width=camera.width, height=camera.height)
        R, t = _pose(row)
        scale = float(row["depth_scale"])
        keys = backproject_voxels(depth, camera, scale, R, t, params.voxel_m, stride=params.pixel_stride,
                                  max_depth_m=max_depth)[0]
        pixel_keys = pixel_voxel_keys(depth, camera, scale, R, t, params.voxel_m, max_depth_m=max_depth)
        per.append((row, camera, depth, keys, pixel_keys))
    common = np.intersect1d(per[0][3], per[1][3], assume_unique=True)
    views = []
    for row, camera, depth, keys, pixel_keys in per:
        mask = np.isin(pixel_keys, common)
        background, kind, depth_range = _background(row, image_root, data_root, depth)
        views.append(View(str(row["key"]), camera.width, camera.height, background, kind,
                          _pixels(pixel_keys >= 0), _pixels(mask), len(keys), mask, depth_range))
    return views[0], views[1], len(common)


def _scene(frames, ids, params, data_root, image_root, meta):
    from .geometry.camera import PinholeCamera
    from .geometry.voxels import point_voxel_keys, visible_points
    from .io.depth import read_depth
    from .labellers.cloud3d import scene_points

    points = scene_points(params, frames, data_root)
    max_depth = np.inf if params.max_depth_m is None else params.max_depth_m
    per = []
    for k in ids:
        row = frames.iloc[k]
        camera = PinholeCamera.from_row(row)
        R, t = _pose(row)
        depth = (read_depth(data_root / row["depth_path"], width=camera.width, height=camera.height)
                 if isinstance(row.get("depth_path"), str) else None)
        seen = visible_points(points, camera, R, t, depth=depth, units_per_m=float(row["depth_scale"])
                              if depth is not None else 1.0, depth_tol=params.depth_tol, max_depth_m=max_depth)
        keys = point_voxel_keys(points[seen], params.voxel_m)
        per.append((row, camera, depth, points[seen], keys, R, t))
    sets = [np.unique(p[4][p[4] >= 0]) for p in per]
    common = np.intersect1d(sets[0], sets[1], assume_unique=True)
    views = []
    for (row, camera, depth, pts, keys, R, t), own in zip(per, sets):
        uv = _project(pts, camera, R, t)
        background, kind, depth_range = _background(row, image_root, data_root, depth)
        views.append(View(str(row["key"]), camera.width, camera.height, background, kind, uv,
                          uv[np.isin(keys, common)], len(own), depth_range_m=depth_range))
    return views[0], views[1], len(common)


def _project(points, camera, R, t) -> np.ndarray:
    cam = (points - t) @ R  # world -> camera (R is world_from_cam)
    z = np.maximum(cam[:, 2], 1e-9)
    u = np.floor(camera.fx * cam[:, 0] / z + camera.cx).astype(np.int64)
    v = np.floor(camera.fy * cam[:, 1] / z + camera.cy).astype(np.int64)
    return np.c_[u, v]


def _tracks(frames, ids, params, data_root, image_root, meta):
    from .readers.colmap import track_pixels

    if meta["input"].get("format") != "colmap":
        raise ConfigError("a tracks label set's pixels come from its COLMAP model; this one was read as "
                          f"{meta['input'].get('format')}")
    tracks = track_pixels(Path(meta["input"]["path"]))
    sets = [np.unique(np.asarray(frames["point_ids"].iloc[k], np.int64)) if frames["point_ids"].iloc[k] is not None
            else np.zeros(0, np.int64) for k in ids]
    common = np.intersect1d(sets[0], sets[1], assume_unique=True)
    views = []
    for k, own in zip(ids, sets):
        row = frames.iloc[k]
        xy, point_ids = tracks.get(str(row["key"]), (np.zeros((0, 2)), np.zeros(0, np.int64)))
        uv = np.floor(xy + 0.5).astype(np.int64)  # the nearest pixel (OpenCV centres)
        background, kind, depth_range = _background(row, image_root, data_root)
        views.append(View(str(row["key"]), int(row["width"]), int(row["height"]), background, kind, uv,
                          uv[np.isin(point_ids, common)], len(own), depth_range_m=depth_range))
    return views[0], views[1], len(common)
