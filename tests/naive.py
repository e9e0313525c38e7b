"""Slow, obviously-correct references for fovlabel's kernels. Tests compare the fast code to these."""

from __future__ import annotations

import math

import numpy as np
import shapely


def sector_polygon(x, y, heading_deg, fov_deg, radius_m, n_arc=4096):
    """A sector as a shapely polygon: apex plus ``n_arc`` points on the arc (compass heading)."""
    centre = math.radians(90.0 - heading_deg)
    half = math.radians(fov_deg) / 2.0
    angles = np.linspace(centre - half, centre + half, n_arc)
    # Equal-area vertices: each fan triangle gets the exact area of its circular slice, so the
    # polygon's area is the sector's and only the shape of the boundary is approximated.
    step = 2.0 * half / (n_arc - 1)
    r = radius_m * math.sqrt(step / math.sin(step))
    arc = np.column_stack([x + r * np.cos(angles), y + r * np.sin(angles)])
    if fov_deg >= 360.0:
        return shapely.Polygon(arc[:-1])
    return shapely.Polygon(np.vstack([[x, y], arc]))


def sector_overlap(xa, ya, ha, xb, yb, hb, fov_a, r_a, fov_b, r_b, measure="iou", n_arc=4096):
    """Overlap of two sectors from shapely polygons."""
    pa = sector_polygon(xa, ya, ha, fov_a, r_a, n_arc)
    pb = sector_polygon(xb, yb, hb, fov_b, r_b, n_arc)
    inter = pa.intersection(pb).area
    if measure == "ioa":
        return inter / pa.area
    return inter / pa.union(pb).area


def candidate_pairs(x, y, radius, group, role, mode):
    """Every (a, b) a labeller must consider: same group, apexes closer than r_a + r_b.

    ``within``: a < b. ``cross``: a is a query, b a database frame.
    """
    out = set()
    n = len(x)
    for a in range(n):
        for b in range(n):
            if a == b or group[a] != group[b]:
                continue
            if mode == "within" and not a < b:
                continue
            if mode == "cross" and not (role[a] == "query" and role[b] == "database"):
                continue
            if math.hypot(x[a] - x[b], y[a] - y[b]) < radius[a] + radius[b]:
                out.add((a, b))
    return out


def sector_overlaps_many(xa, ya, ha, fa, ra, xb, yb, hb, fb, rb, n_arc=4096):
    """(iou, ioa) of many pairs from shapely polygons; shapely's array functions do the boolean
    operations, the polygons are built one by one as in :func:`sector_polygon`."""
    pa = np.array([sector_polygon(*v, n_arc=n_arc) for v in zip(xa, ya, ha, fa, ra)])
    pb = np.array([sector_polygon(*v, n_arc=n_arc) for v in zip(xb, yb, hb, fb, rb)])
    inter = shapely.area(shapely.intersection(pa, pb))
    area_a = shapely.area(pa)
    union = area_a + shapely.area(pb) - inter  # inclusion-exclusion: one boolean op, not two
    return inter / union, inter / area_a


def backproject_voxels(depth, fx, fy, cx, cy, units_per_m, stride, max_depth_m, R, t, voxel_m):
    """The set of voxels (ix, iy, iz) a depth image's valid pixels fall in, the plain numpy way."""
    v, u = np.mgrid[0:depth.shape[0]:stride, 0:depth.shape[1]:stride]
    d = depth[v, u].astype(np.float64)
    valid = (d != 0) & (d != 65535)
    z = d / units_per_m
    valid &= z <= max_depth_m
    u, v, z = u[valid], v[valid], z[valid]
    cam = np.stack([(u - cx) * z / fx, (v - cy) * z / fy, z], axis=1)
    world = cam @ np.asarray(R).T + np.asarray(t)
    return {tuple(k) for k in np.floor(world / voxel_m).astype(np.int64).tolist()}


def unpack_voxel_keys(keys):
    """(n, 3) voxel coordinates of packed keys (21 bits each, offset by 2^20), the plain way."""
    keys = np.asarray(keys, np.int64)
    mask, offset = (1 << 21) - 1, 1 << 20
    return np.stack([((keys >> 42) & mask) - offset, ((keys >> 21) & mask) - offset, (keys & mask) - offset], 1)


def set_overlaps(sets):
    """{(i, j): (shared, iou)} for every pair i < j of Python sets that share something."""
    out = {}
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            shared = len(sets[i] & sets[j])
            if shared:
                out[(i, j)] = (shared, shared / len(sets[i] | sets[j]))
    return out


def depth_consistency(depth_a, depth_b, K, T_a, T_b, units_per_m, tol=0.05, stride=4):
    """Share of frame a's valid pixels that, moved into frame b's camera, land inside b's image in
    front of it with a depth within ``tol`` (relative) of b's depth there."""
    fx, fy, cx, cy = K
    v, u = np.mgrid[0:depth_a.shape[0]:stride, 0:depth_a.shape[1]:stride]
    d = depth_a[v, u].astype(np.float64)
    valid = (d != 0) & (d != 65535)
    z = d[valid] / units_per_m
    cam = np.stack([(u[valid] - cx) * z / fx, (v[valid] - cy) * z / fy, z, np.ones_like(z)])
    in_b = np.linalg.inv(T_b) @ T_a @ cam
    zb = in_b[2]
    front = zb > 1e-6
    ub = np.floor(fx * in_b[0][front] / zb[front] + cx).astype(int)
    vb = np.floor(fy * in_b[1][front] / zb[front] + cy).astype(int)
    inside = (ub >= 0) & (vb >= 0) & (ub < depth_b.shape[1]) & (vb < depth_b.shape[0])
    ref = depth_b[vb[inside], ub[inside]].astype(np.float64) / units_per_m
    ok = (ref > 0) & (ref < 65.535) & (np.abs(zb[front][inside] - ref) <= tol * ref)
    return ok.sum() / max(len(z), 1)
