"""Numba kernels behind geometry.voxels: depth back-projection, point voxelisation, visibility.

Called through the checking wrappers in :mod:`fovlabel.geometry.voxels`, never directly.

Voxel keys: a world point p is in voxel floor(p / voxel_m); the three integer coordinates,
offset by 2^20, are packed into one int64 (21 bits each), so a voxel set is a sorted int64 array
and two frames' overlap is the size of an intersection of sorted arrays. Coordinates beyond
±2^20 voxels (±10 km at 1 cm) do not fit; the kernels report them instead of wrapping.

Pinhole model, OpenCV axes: pixel (u, v) with depth z (metres along the optical axis) is the
camera point ((u - cx) z / fx, (v - cy) z / fy, z); world = R_world_from_cam @ cam + t.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..schema import DEPTH_INVALID

OFFSET = 1 << 20
LIMIT = 1 << 20
NO_DEPTH, NO_READING = DEPTH_INVALID  # 0: no depth; 65535: the sensor's "no reading"
#: back-projection's cache of kept keys: 2^13 slots (64 KiB, in L2), Fibonacci hashing
SEEN_BITS = 13
SEEN_SLOTS = 1 << SEEN_BITS
SEEN_HASH = np.uint64(0x9E3779B97F4A7C15)
SEEN_SHIFT = np.uint64(64 - SEEN_BITS)


@njit(cache=True)
def _pack(ix, iy, iz):
    return ((ix + OFFSET) << 42) | ((iy + OFFSET) << 21) | (iz + OFFSET)


@njit(cache=True, nogil=True)
def _sorted_unique(keys, n):
    if n == 0:
        return keys[:0].copy()
    k = np.sort(keys[:n])
    m = 1
    for i in range(1, n):
        if k[i] != k[m - 1]:
            k[m] = k[i]
            m += 1
    return k[:m].copy()


@njit(cache=True, nogil=True)
def _row_keys(depth_row, col_x, col_y, col_z, col_r, rx, ry, rz, rr, sx, sy, sz, to_m, max_depth_m, out_keys, out_r2):
    """Key (or -1 for an invalid or out-of-range pixel) and squared ray distance of every pixel in
    one row: no data-dependent branches, so the compiler can vectorise it."""
    top = 2.0 * LIMIT
    for u in range(depth_row.shape[0]):
        d = depth_row[u]
        z = d * to_m
        fx_ = z * (col_x[u] + rx) + sx
        fy_ = z * (col_y[u] + ry) + sy
        fz_ = z * (col_z[u] + rz) + sz
        ok = (d != NO_DEPTH) & (d != NO_READING) & (z <= max_depth_m) & (fx_ >= 0.0) & (fx_ < top) \
            & (fy_ >= 0.0) & (fy_ < top) & (fz_ >= 0.0) & (fz_ < top)
        # through int32 (exact: 0 <= coordinate < 2^21 where ok): AVX2 converts doubles to int32
        # four at a time but has no packed conversion to int64, which would keep the loop scalar
        key = (np.int64(np.int32(fx_)) << 42) | (np.int64(np.int32(fy_)) << 21) | np.int64(np.int32(fz_))
        out_keys[u] = key if ok else -1
        out_r2[u] = z * z * (col_r[u] + rr) if ok else 0.0


@njit(cache=True, nogil=True)
def _column_terms(w, stride, fx, cx, R, inv):
    """A pixel's world point, in voxels, is z * (col[u] + row[v]) + t / voxel: the ray direction
    split into a part that depends on the column (this) and one that depends on the row."""
    cols_u = np.arange(0, w, stride)
    nu = cols_u.shape[0]
    col_x, col_y, col_z, col_r = np.empty(nu), np.empty(nu), np.empty(nu), np.empty(nu)
    for k in range(nu):
        a = (cols_u[k] - cx) / fx
        col_x[k] = R[0, 0] * a * inv
        col_y[k] = R[1, 0] * a * inv
        col_z[k] = R[2, 0] * a * inv
        col_r[k] = a * a  # for the squared length of the camera ray (a, b, 1)
    return cols_u, col_x, col_y, col_z, col_r


@njit(cache=True, nogil=True)
def _image_row_keys(depth, v, cols_u, cols, fy, cy, R, shift, to_m, max_depth_m, row_depth, row_keys, row_r2):
    """The keys of row ``v`` (its pixels at ``cols_u``) into ``row_keys``, as _row_keys."""
    col_x, col_y, col_z, col_r, inv = cols
    b = (v - cy) / fy
    if cols_u.shape[0] == depth.shape[1]:  # every pixel (stride 1): the row itself, no copy
        row_depth = depth[v]
    else:
        for k in range(cols_u.shape[0]):
            row_depth[k] = depth[v, cols_u[k]]
    _row_keys(row_depth, col_x, col_y, col_z, col_r, (R[0, 1] * b + R[0, 2]) * inv,
              (R[1, 1] * b + R[1, 2]) * inv, (R[2, 1] * b + R[2, 2]) * inv, b * b + 1.0,
              shift[0], shift[1], shift[2], to_m, max_depth_m, row_keys, row_r2)


@njit(cache=True, nogil=True)
def backproject_voxels(depth, fx, fy, cx, cy, units_per_m, stride, max_depth_m, R, t, voxel_m):
    """Sorted unique voxel keys of the valid pixels of one depth image, in the world.

    Returns (keys, reach, out_of_range): ``reach`` is the largest distance from the camera centre
    to a back-projected point (0 when none), ``out_of_range`` counts valid points beyond the key
    range. Releases the GIL, so that threads can decode and back-project several images at once.
    """
    h, w = depth.shape
    inv = 1.0 / voxel_m
    cols_u, col_x, col_y, col_z, col_r = _column_terms(w, stride, fx, cx, R, inv)
    cols = (col_x, col_y, col_z, col_r, inv)
    nu = cols_u.shape[0]
    # shifting by LIMIT makes coordinates positive inside the key range, where truncation is floor
    shift = np.array([t[0] * inv + LIMIT, t[1] * inv + LIMIT, t[2] * inv + LIMIT])
    to_m = 1.0 / units_per_m
    keys = np.empty(((h + stride - 1) // stride) * nu, np.int64)
    row_keys = np.empty(nu, np.int64)
    row_r2 = np.empty(nu)
    above = np.full(nu, -1, np.int64)  # the previous row's key in each column
    seen = np.full(SEEN_SLOTS, -1, np.int64)  # a direct-mapped cache of keys already kept
    row_depth = np.empty(nu, np.uint16)
    n = 0
    reach2 = 0.0
    bad = 0
    for v in range(0, h, stride):
        _image_row_keys(depth, v, cols_u, cols, fy, cy, R, shift, to_m, max_depth_m, row_depth, row_keys, row_r2)
        last = -1
        for k in range(nu):
            key = row_keys[k]
            if key < 0:
                d = depth[v, cols_u[k]]
                if d != NO_DEPTH and d != NO_READING and d * to_m <= max_depth_m:
                    bad += 1  # valid but outside the key range
                continue
            if row_r2[k] > reach2:
                reach2 = row_r2[k]
            # neighbouring pixels mostly fall in the same voxel: dropping a key equal to the one
            # to the left or above, or one the cache holds, leaves far fewer keys to sort (only
            # exact repeats are dropped; the sort removes the rest)
            same = key == last or key == above[k]
            above[k] = key
            last = key
            if same:
                continue
            slot = (np.uint64(key) * SEEN_HASH) >> SEEN_SHIFT
            if seen[slot] == key:
                continue
            seen[slot] = key
            keys[n] = key
            n += 1
    return _sorted_unique(keys, n), math.sqrt(reach2), bad


@njit(cache=True, nogil=True)
def pixel_voxel_keys(depth, fx, fy, cx, cy, units_per_m, max_depth_m, R, t, voxel_m):
    """The voxel key of every pixel (-1: no valid depth or out of range), an (h, w) array: the
    same arithmetic as backproject_voxels, so a pixel's key is the one its point was counted in."""
    h, w = depth.shape
    inv = 1.0 / voxel_m
    cols_u, col_x, col_y, col_z, col_r = _column_terms(w, 1, fx, cx, R, inv)
    cols = (col_x, col_y, col_z, col_r, inv)
    shift = np.array([t[0] * inv + LIMIT, t[1] * inv + LIMIT, t[2] * inv + LIMIT])
    out = np.empty((h, w), np.int64)
    row_keys = np.empty(w, np.int64)
    row_r2 = np.empty(w)
    row_depth = np.empty(w, np.uint16)
    for v in range(h):
        _image_row_keys(depth, v, cols_u, cols, fy, cy, R, shift, 1.0 / units_per_m, max_depth_m,
                        row_depth, row_keys, row_r2)
        out[v, :] = row_keys
    return out


@njit(cache=True)
def voxelize_points(points, voxel_m):
    """Sorted unique voxel keys of world points (n, 3); second value: how many were out of range."""
    keys = np.empty(points.shape[0], np.int64)
    n = 0
    bad = 0
    inv = 1.0 / voxel_m
    for i in range(points.shape[0]):
        ix = int(math.floor(points[i, 0] * inv))
        iy = int(math.floor(points[i, 1] * inv))
        iz = int(math.floor(points[i, 2] * inv))
        if abs(ix) >= LIMIT or abs(iy) >= LIMIT or abs(iz) >= LIMIT:
            bad += 1
            continue
        keys[n] = _pack(ix, iy, iz)
        n += 1
    return _sorted_unique(keys, n), bad


@njit(cache=True)
def visible_points(points, R_cw, t_cw, fx, fy, cx, cy, width, height, max_depth_m,
                   depth, units_per_m, depth_tol, zbuf):
    """Mask of the scene points one camera sees.

    A point is seen when it projects inside the image, lies in front of the camera within
    ``max_depth_m`` and is not occluded: with a depth map (``depth.size > 0``), its depth agrees
    with the map's within ``depth_tol`` (relative); without one, it is within ``depth_tol`` of the
    nearest point on its pixel (a z-buffer at the image resolution, ``zbuf`` as scratch).
    """
    n = points.shape[0]
    seen = np.zeros(n, np.bool_)
    us = np.empty(n, np.int64)
    vs = np.empty(n, np.int64)
    zs = np.empty(n)
    use_map = depth.size > 0
    if not use_map:
        zbuf[:, :] = np.inf
    for i in range(n):
        x = R_cw[0, 0] * points[i, 0] + R_cw[0, 1] * points[i, 1] + R_cw[0, 2] * points[i, 2] + t_cw[0]
        y = R_cw[1, 0] * points[i, 0] + R_cw[1, 1] * points[i, 1] + R_cw[1, 2] * points[i, 2] + t_cw[1]
        z = R_cw[2, 0] * points[i, 0] + R_cw[2, 1] * points[i, 1] + R_cw[2, 2] * points[i, 2] + t_cw[2]
        us[i] = -1
        if z <= 1e-9 or z > max_depth_m:
            continue
        u = int(math.floor(fx * x / z + cx))
        v = int(math.floor(fy * y / z + cy))
        if u < 0 or v < 0 or u >= width or v >= height:
            continue
        us[i] = u
        vs[i] = v
        zs[i] = z
        if not use_map and z < zbuf[v, u]:
            zbuf[v, u] = z
    for i in range(n):
        if us[i] < 0:
            continue
        if use_map:
            d = depth[vs[i], us[i]]
            if d == NO_DEPTH or d == NO_READING:
                continue
            ref = d / units_per_m
        else:
            ref = zbuf[vs[i], us[i]]
        if abs(zs[i] - ref) <= depth_tol * ref:
            seen[i] = True
    return seen
