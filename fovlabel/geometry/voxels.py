"""Voxel sets of what a camera sees: checking wrappers around the Numba kernels (stumpy's model).

Voxel keys: a world point p is in voxel floor(p / voxel_m); the three integer coordinates, offset
by 2^20, are packed into one int64 (21 bits each), so a voxel set is a sorted int64 array.
Coordinates beyond ±2^20 voxels (±10 km at 1 cm) do not fit; the functions count them instead of
wrapping. Depth images are uint16 (``units_per_m`` units a metre; ``schema.DEPTH_INVALID`` values
are no measurement). Poses are ``world_from_cam`` (R, t), OpenCV camera axes.

Any labeller (the 3D one, a frustum labeller, ...) uses these; the kernels stay private.
"""

from __future__ import annotations

import math

import numpy as np

from .camera import PinholeCamera

KEY_LIMIT = 1 << 20  # |voxel coordinate| must stay below this


def _check_pose(R, t):
    R = np.ascontiguousarray(R, np.float64)
    t = np.ascontiguousarray(t, np.float64)
    if R.shape != (3, 3) or t.shape != (3,) or not (np.isfinite(R).all() and np.isfinite(t).all()):
        raise ValueError(f"a pose is a finite rotation (3, 3) and translation (3,); got {R.shape}, {t.shape}")
    return R, t


def _check_voxel(voxel_m) -> float:
    voxel_m = float(voxel_m)
    if not (voxel_m > 0 and math.isfinite(voxel_m)):
        raise ValueError(f"voxel_m must be a finite number > 0; got {voxel_m}")
    return voxel_m


def _check_depth(depth, camera: PinholeCamera | None = None) -> np.ndarray:
    depth = np.asarray(depth)
    if depth.dtype != np.uint16 or depth.ndim != 2:
        raise ValueError(f"a depth image is a 2D uint16 array; got {depth.ndim}D {depth.dtype}")
    if camera is not None and depth.shape != (camera.height, camera.width):
        raise ValueError(f"depth image is {depth.shape[1]}x{depth.shape[0]}, the camera {camera.width}x{camera.height}")
    return np.ascontiguousarray(depth)


def _check_camera(camera: PinholeCamera) -> None:
    if not (camera.fx > 0 and camera.fy > 0 and camera.width > 0 and camera.height > 0):
        raise ValueError(f"camera intrinsics must be > 0: {camera}")


def backproject_voxels(depth, camera: PinholeCamera, units_per_m: float, R_world_from_cam, t_world_from_cam,
                       voxel_m: float, *, stride: int = 1, max_depth_m: float = math.inf):
    """(sorted unique voxel keys, reach, out_of_range) of the valid pixels of one depth image.

    Every ``stride``-th pixel in x and y; depths beyond ``max_depth_m`` are dropped. ``reach``:
    the largest distance from the camera centre to a back-projected point (0 when none);
    ``out_of_range``: valid points beyond the key range. Releases the GIL (threads may run it
    side by side)."""
    from ._voxel_kernels import backproject_voxels as kernel

    depth = _check_depth(depth, camera)
    _check_camera(camera)
    R, t = _check_pose(R_world_from_cam, t_world_from_cam)
    if not units_per_m > 0:
        raise ValueError(f"units_per_m must be > 0; got {units_per_m}")
    if int(stride) < 1:
        raise ValueError(f"stride must be >= 1; got {stride}")
    return kernel(depth, camera.fx, camera.fy, camera.cx, camera.cy, float(units_per_m), int(stride),
                  float(max_depth_m), R, t, _check_voxel(voxel_m))


def pixel_voxel_keys(depth, camera: PinholeCamera, units_per_m: float, R_world_from_cam, t_world_from_cam,
                     voxel_m: float, *, max_depth_m: float = math.inf) -> np.ndarray:
    """The voxel key of every pixel of a depth image, (h, w) int64, -1 where there is no valid
    depth (or the point is out of the key range): the keys :func:`backproject_voxels` counts, pixel
    by pixel (for pictures of which pixels two frames share)."""
    from ._voxel_kernels import pixel_voxel_keys as kernel

    depth = _check_depth(depth, camera)
    _check_camera(camera)
    R, t = _check_pose(R_world_from_cam, t_world_from_cam)
    if not units_per_m > 0:
        raise ValueError(f"units_per_m must be > 0; got {units_per_m}")
    return kernel(depth, camera.fx, camera.fy, camera.cx, camera.cy, float(units_per_m), float(max_depth_m),
                  R, t, _check_voxel(voxel_m))


def point_voxel_keys(points, voxel_m: float) -> np.ndarray:
    """The voxel key of each world point (n, 3), -1 beyond the key range: the keys
    :func:`voxelize_points` counts, point by point (same arithmetic)."""
    points = np.ascontiguousarray(points, np.float64).reshape(-1, 3)
    index = np.floor(points * (1.0 / _check_voxel(voxel_m)))
    ok = (np.abs(index) < KEY_LIMIT).all(axis=1)
    index = np.where(ok[:, None], index, 0).astype(np.int64) + KEY_LIMIT
    keys = (index[:, 0] << 42) | (index[:, 1] << 21) | index[:, 2]
    return np.where(ok, keys, -1)


def voxelize_points(points, voxel_m: float):
    """(sorted unique voxel keys, out_of_range) of world points (n, 3)."""
    from ._voxel_kernels import voxelize_points as kernel

    points = np.ascontiguousarray(points, np.float64).reshape(-1, 3)
    if not np.isfinite(points).all():
        raise ValueError("points must be finite")
    return kernel(points, _check_voxel(voxel_m))


def visible_points(points, camera: PinholeCamera, R_world_from_cam, t_world_from_cam, *, depth=None,
                   units_per_m: float = 1.0, depth_tol: float = 0.05, max_depth_m: float = math.inf) -> np.ndarray:
    """Mask of the world points (n, 3) the camera sees: inside the image, in front within
    ``max_depth_m``, and not occluded: with a depth image, its depth agrees with the image's within
    ``depth_tol`` (relative); without one, with the nearest point on its pixel (a z-buffer)."""
    from ._voxel_kernels import visible_points as kernel

    _check_camera(camera)
    R, t = _check_pose(R_world_from_cam, t_world_from_cam)
    points = np.ascontiguousarray(points, np.float64).reshape(-1, 3)
    depth = np.zeros((0, 0), np.uint16) if depth is None else _check_depth(depth, camera)
    if not depth_tol > 0:
        raise ValueError(f"depth_tol must be > 0; got {depth_tol}")
    R_cw = np.ascontiguousarray(R.T)
    return kernel(points, R_cw, -R_cw @ t, camera.fx, camera.fy, camera.cx, camera.cy, camera.width,
                  camera.height, float(max_depth_m), depth, float(units_per_m), float(depth_tol),
                  np.empty((camera.height, camera.width)))
