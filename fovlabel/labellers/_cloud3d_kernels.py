"""Numba kernels of the 3D labeller: depth back-projection, scene-point visibility, set overlaps.

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

OFFSET = 1 << 20
LIMIT = 1 << 20
MASK = (1 << 21) - 1


@njit(cache=True)
def _pack(ix, iy, iz):
    return ((ix + OFFSET) << 42) | ((iy + OFFSET) << 21) | (iz + OFFSET)


@njit(cache=True)
def unpack_keys(keys):
    out = np.empty((keys.shape[0], 3), np.int64)
    for i in range(keys.shape[0]):
        k = keys[i]
        out[i, 0] = ((k >> 42) & MASK) - OFFSET
        out[i, 1] = ((k >> 21) & MASK) - OFFSET
        out[i, 2] = (k & MASK) - OFFSET
    return out


@njit(cache=True)
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


@njit(cache=True)
def backproject_voxels(depth, fx, fy, cx, cy, units_per_m, stride, max_depth_m, R, t, voxel_m):
    """Sorted unique voxel keys of the valid pixels of one depth image, in the world.

    Returns (keys, reach, out_of_range): ``reach`` is the largest distance from the camera centre
    to a back-projected point (0 when none), ``out_of_range`` counts points beyond the key range.
    """
    h, w = depth.shape
    keys = np.empty(((h + stride - 1) // stride) * ((w + stride - 1) // stride), np.int64)
    n = 0
    reach2 = 0.0
    bad = 0
    inv = 1.0 / voxel_m
    for v in range(0, h, stride):
        for u in range(0, w, stride):
            d = depth[v, u]
            if d == 0 or d == 65535:
                continue
            z = d / units_per_m
            if z > max_depth_m:
                continue
            x = (u - cx) * z / fx
            y = (v - cy) * z / fy
            px = R[0, 0] * x + R[0, 1] * y + R[0, 2] * z + t[0]
            py = R[1, 0] * x + R[1, 1] * y + R[1, 2] * z + t[1]
            pz = R[2, 0] * x + R[2, 1] * y + R[2, 2] * z + t[2]
            ix = int(math.floor(px * inv))
            iy = int(math.floor(py * inv))
            iz = int(math.floor(pz * inv))
            if abs(ix) >= LIMIT or abs(iy) >= LIMIT or abs(iz) >= LIMIT:
                bad += 1
                continue
            key = _pack(ix, iy, iz)
            r2 = x * x + y * y + z * z
            if r2 > reach2:
                reach2 = r2
            # neighbouring pixels mostly fall in the same voxel: dropping repeats here leaves
            # far fewer keys to sort
            if n > 0 and keys[n - 1] == key:
                continue
            keys[n] = key
            n += 1
    return _sorted_unique(keys, n), math.sqrt(reach2), bad


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
            if d == 0 or d == 65535:
                continue
            ref = d / units_per_m
        else:
            ref = zbuf[vs[i], us[i]]
        if abs(zs[i] - ref) <= depth_tol * ref:
            seen[i] = True
    return seen


@njit(cache=True)
def _popcount(x):
    x = x - ((x >> 1) & 0x5555555555555555)
    x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0F
    return (x * 0x0101010101010101) >> 56


@njit(cache=True)
def bitset_counts(bits_a, bits_b):
    """|A_i ∩ B_j| for every row pair of two bitset matrices (n_a, words) and (n_b, words)."""
    na, words = bits_a.shape
    nb = bits_b.shape[0]
    out = np.zeros((na, nb), np.int64)
    for i in range(na):
        for j in range(nb):
            s = 0
            for w in range(words):
                s += _popcount(bits_a[i, w] & bits_b[j, w])
            out[i, j] = s
    return out


@njit(cache=True)
def fill_bitsets(indptr, indices, rows, words):
    """Bitset rows (len(rows), words) uint64 from a CSR incidence matrix (column ids < 64 words)."""
    out = np.zeros((rows.shape[0], words), np.uint64)
    for r in range(rows.shape[0]):
        row = rows[r]
        for k in range(indptr[row], indptr[row + 1]):
            c = indices[k]
            out[r, c >> 6] |= np.uint64(1) << np.uint64(c & 63)
    return out
