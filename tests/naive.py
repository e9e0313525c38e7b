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


def kept_in_order(i, j, v, anchors, targets, radius, within):
    """fovlabel._pairs_kernel.kept_in_order by a filter and Python's sort: (a, b, dist) lists."""
    rows = []
    for ik, jk, vk in zip(i, j, v):
        a, b = int(anchors[ik]), int(targets[jk])
        if vk < radius[a] + radius[b] and (not within or a < b):
            rows.append((a, b, float(vk)))
    rows.sort()
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


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


def union_sorted(a, b):
    """The sorted distinct values of two int64 arrays, through a Python set."""
    return np.array(sorted(set(np.asarray(a).tolist()) | set(np.asarray(b).tolist())), np.int64)


def pair_measures(a, b, shared, sizes, centre, axis):
    """IoU, coverages (float32), centre distance and axis angle (degrees; NaN without poses) of
    counted pairs, with whole-array numpy (the angle's arccos with the C library's, below)."""
    size_a, size_b = sizes[a], sizes[b]
    shared = np.asarray(shared, np.int64)
    union = size_a + size_b - shared
    iou = np.where(union > 0, shared / np.maximum(union, 1), 0.0)
    cover_a = np.where(size_a > 0, shared / np.maximum(size_a, 1), 0.0).astype(np.float32)
    cover_b = np.where(size_b > 0, shared / np.maximum(size_b, 1), 0.0).astype(np.float32)
    if centre is None:
        return iou, cover_a, cover_b, np.full(len(a), np.nan), np.full(len(a), np.nan)
    d = centre[a] - centre[b]
    dist = np.sqrt((d[:, 0] ** 2 + d[:, 1] ** 2) + d[:, 2] ** 2)
    # the dot product term by term, x first (np.einsum adds in an order of its own)
    cos = (axis[a, 0] * axis[b, 0] + axis[a, 1] * axis[b, 1]) + axis[a, 2] * axis[b, 2]
    # the C library's arccos, one value at a time: numpy's own arccos takes a SIMD version of a
    # few ulp on CPUs with AVX-512 (and libm's on others), and the kernel calls the C library's
    angle = np.array([math.degrees(math.acos(c)) for c in np.clip(cos, -1.0, 1.0)], np.float64)
    return iou, cover_a, cover_b, dist, angle


def set_overlaps(sets):
    """{(i, j): (shared, iou)} for every pair i < j of Python sets that share something."""
    out = {}
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            shared = len(sets[i] & sets[j])
            if shared:
                out[(i, j)] = (shared, shared / len(sets[i] | sets[j]))
    return out


def shared_counts(sets, anchors, targets):
    """{(i, j): |sets[anchors[i]] ∩ sets[targets[j]]|} of every anchor/target pair sharing
    something (None: a frame that observes nothing), by Python set intersection."""
    out = {}
    for i, a in enumerate(anchors):
        for j, b in enumerate(targets):
            if sets[a] is None or sets[b] is None:
                continue
            shared = len(set(sets[a].tolist()) & set(sets[b].tolist()))
            if shared:
                out[(i, j)] = shared
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


# -- the view-consistent overlap: rigorous bounds from inner and outer polygons ---------------------


def _arc_polygon(cx, cy, r, a0, a1, n, outer, apex=True):
    """A pie (apex + arc from a0 to a1, radians) or with ``apex=False`` and a full turn a disc, as
    a polygon inside it (vertices on the arc) or containing it (``outer``: the tangents at the
    ``n`` vertices, which meet at r / cos(step / 2) half-way between them)."""
    step = (a1 - a0) / n
    if outer:
        mids = a0 + step * (np.arange(n) + 0.5)
        rr = r / math.cos(step / 2.0)
        pts = np.column_stack([cx + rr * np.cos(mids), cy + rr * np.sin(mids)])
        if apex:  # the tangents at the arc's two ends meet the edges at radius r, at right angles
            ends = np.array([[cx + r * math.cos(a0), cy + r * math.sin(a0)],
                             [cx + r * math.cos(a1), cy + r * math.sin(a1)]])
            pts = np.vstack([ends[:1], pts, ends[1:]])
    else:
        angles = a0 + step * np.arange(n + (1 if apex else 0))
        pts = np.column_stack([cx + r * np.cos(angles), cy + r * np.sin(angles)])
    return shapely.Polygon(np.vstack([[cx, cy], pts]) if apex else pts)


def _per_turn(n, span):
    """Vertices for an arc of ``span`` radians at ``n`` a full turn (at least 64)."""
    return max(64, int(math.ceil(n * span / (2.0 * math.pi))))


def sector_bound(x, y, heading_deg, fov_deg, radius_m, outer, n=4096):
    """A sector (compass heading) as a polygon inside it, or containing it (``outer``), with ``n``
    vertices a full turn."""
    centre = math.radians(90.0 - heading_deg)
    half = math.radians(fov_deg) / 2.0
    n = _per_turn(n, 2.0 * half)
    if fov_deg >= 360.0:
        return _arc_polygon(x, y, radius_m, 0.0, 2.0 * math.pi, n, outer, apex=False)
    return _arc_polygon(x, y, radius_m, centre - half, centre + half, n, outer)


def _disc_bound(cx, cy, r, mx, my, reach, outer, n):
    """Disc (cx, cy, r) as a polygon inside or containing it *within ``reach`` of (mx, my)*: a
    disc far larger than the region of interest is drawn as the pie of the directions from its
    centre that reach that region, with all ``n`` vertices there, dense where it matters."""
    dist = math.hypot(mx - cx, my - cy)
    if dist <= 1.01 * reach or r <= 4.0 * reach:
        return _arc_polygon(cx, cy, r, 0.0, 2.0 * math.pi, n, outer, apex=False)
    towards = math.atan2(my - cy, mx - cx)
    alpha = math.asin(reach / dist) * 1.05
    return _arc_polygon(cx, cy, r, towards - alpha, towards + alpha, n, outer)


def _excluded_discs(xa, ya, xb, yb, theta_deg, reach, outer, n):
    """(disc 1, disc 2, how they combine) of the points that see the segment AB under more than θ:
    their union for θ < 90°, their intersection for θ > 90° (at 90° both are the disc on AB as
    diameter); None where nothing is excluded (identical apexes, θ = 180°)."""
    length = math.hypot(xb - xa, yb - ya)
    if length <= 1e-9 * reach or theta_deg >= 180.0:
        return None
    theta = math.radians(theta_deg)
    mx, my = (xa + xb) / 2, (ya + yb) / 2
    nx, ny = -(yb - ya) / length, (xb - xa) / length
    r = length / (2 * math.sin(theta))
    d = length * math.cos(theta) / (2 * math.sin(theta))
    discs = [_disc_bound(mx + s * d * nx, my + s * d * ny, r, mx, my, reach, outer, n) for s in (1.0, -1.0)]
    return discs[0], discs[1], "union" if theta_deg < 90.0 else "intersection"


def view_overlap_bounds(xa, ya, ha, fa, ra, xb, yb, hb, fb, rb, theta_deg, measure="iou", n=4096):
    """(lower, upper) bounds of the view-consistent overlap of pairs (arrays), from the definition:
    the points of A ∩ B whose rays to A and to B meet at an angle of at most θ. The points that
    see AB under more than θ are two discs through A and B (their union for θ < 90°, their
    intersection for θ > 90°, one disc at 90°); inner polygons for A and B with outer ones for
    the excluded discs give a region inside the true one, and the other way round one containing
    it. Identical apexes or θ = 180°: nothing is excluded. shapely's array functions do the
    boolean operations."""
    args = [np.atleast_1d(np.asarray(v, np.float64)) for v in (xa, ya, ha, fa, ra, xb, yb, hb, fb, rb, theta_deg)]
    xa, ya, ha, fa, ra, xb, yb, hb, fb, rb, th = np.broadcast_arrays(*args)
    empty = shapely.Polygon()
    poly = {}
    for outer in (False, True):
        poly["a", outer] = np.array([sector_bound(*v, outer, n) for v in zip(xa, ya, ha, fa, ra)])
        poly["b", outer] = np.array([sector_bound(*v, outer, n) for v in zip(xb, yb, hb, fb, rb)])
        d1, d2, union = [], [], []
        for i in range(len(xa)):
            discs = _excluded_discs(xa[i], ya[i], xb[i], yb[i], th[i], max(ra[i], rb[i]) + math.hypot(
                xb[i] - xa[i], yb[i] - ya[i]) / 2, outer, n)
            d1.append(empty if discs is None else discs[0])
            d2.append(empty if discs is None else discs[1])
            union.append(discs is not None and discs[2] == "union")
        d1, d2, union = np.array(d1), np.array(d2), np.array(union)
        poly["e", outer] = np.where(union, shapely.union(d1, d2), shapely.intersection(d1, d2))
    inner_ab = shapely.intersection(poly["a", False], poly["b", False])
    outer_ab = shapely.intersection(poly["a", True], poly["b", True])
    area_a, area_b = 0.5 * ra * ra * np.radians(fa), 0.5 * rb * rb * np.radians(fb)
    cap = np.minimum(area_a, area_b)  # no part of A ∩ B is larger than A or B (exact areas)
    i_lo, i_hi = shapely.area(inner_ab), np.minimum(shapely.area(outer_ab), cap)
    lo = shapely.area(shapely.difference(inner_ab, poly["e", True]))
    hi = np.minimum(shapely.area(shapely.difference(outer_ab, poly["e", False])), i_hi)
    if measure == "ioa":
        return lo / area_a, hi / area_a
    return lo / (area_a + area_b - i_lo), hi / (area_a + area_b - i_hi)


def view_overlap_monte_carlo(xa, ya, ha, fa, ra, xb, yb, hb, fb, rb, theta_deg, n_points, seed=0):
    """(iou, standard error) from random points, tested against the definition itself: inside A
    and B (distance and bearing), and the angle A-p-B from the two rays' dot product."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(-1.0, 1.0, (n_points, 2)) * ra + [xa, ya]  # A lies in this box

    def inside(x, y, h, f, r):
        v = p - [x, y]
        dist = np.hypot(v[:, 0], v[:, 1])
        bearing = np.degrees(np.arctan2(v[:, 0], v[:, 1])) % 360.0  # compass: clockwise from +y
        off = np.abs((bearing - h + 180.0) % 360.0 - 180.0)
        return (dist <= r) & (off <= f / 2.0)

    in_a, in_b = inside(xa, ya, ha, fa, ra), inside(xb, yb, hb, fb, rb)
    u, w = p - [xa, ya], p - [xb, yb]
    cos = np.einsum("ij,ij->i", u, w) / np.maximum(np.hypot(*u.T) * np.hypot(*w.T), 1e-300)
    seen = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))) <= theta_deg
    box = (2.0 * ra) ** 2
    frac = np.mean(in_a & in_b & seen)
    area_a, area_b = 0.5 * ra * ra * math.radians(fa), 0.5 * rb * rb * math.radians(fb)
    inter = np.mean(in_a & in_b) * box
    union = area_a + area_b - inter
    return frac * box / union, math.sqrt(frac * (1 - frac) / n_points) * box / union


# -- pixel correspondences -------------------------------------------------------------------------


def reproject_pixels(depth_a, us, vs, K_a, units_a, R_a, t_a, depth_b, K_b, units_b, R_b, t_b, depth_tol):
    """numpy, one array operation at a time: (u_b, v_b, z_a, z_b measured, status) of pixels
    (us, vs) of a moved into b (status 0 match, 1 no depth in a, 2 behind b, 3 outside b, 4 no
    depth in b, 5 depth disagrees); the same arithmetic, in the same order, as the kernel."""
    fx, fy, cx, cy = K_a
    d = depth_a[vs, us]
    no_a = (d == 0) | (d == 65535)
    z = d / units_a
    x = (us - cx) * z / fx
    y = (vs - cy) * z / fy
    w = [R_a[k, 0] * x + R_a[k, 1] * y + R_a[k, 2] * z + t_a[k] - t_b[k] for k in range(3)]
    xb, yb, zb = (R_b[0, k] * w[0] + R_b[1, k] * w[1] + R_b[2, k] * w[2] for k in range(3))
    behind = ~no_a & (zb <= 1e-9)
    fxb, fyb, cxb, cyb = K_b
    with np.errstate(divide="ignore", invalid="ignore"):
        ub = fxb * xb / zb + cxb
        vb = fyb * yb / zb + cyb
    iu, iv = np.floor(ub + 0.5), np.floor(vb + 0.5)
    h, w_ = depth_b.shape
    inside = (iu >= 0) & (iv >= 0) & (iu < w_) & (iv < h)
    outside = ~no_a & ~behind & ~inside
    ok = ~no_a & ~behind & inside
    db = np.zeros(len(us), depth_b.dtype)
    db[ok] = depth_b[iv[ok].astype(int), iu[ok].astype(int)]
    no_b = ok & ((db == 0) | (db == 65535))
    ref = db / units_b
    measured = ok & ~no_b
    match = measured & (np.abs(zb - ref) <= depth_tol * zb)
    status = np.select([no_a, behind, outside, no_b, match], [1, 2, 3, 4, 0], 5)
    nan = np.full(len(us), np.nan)
    return (np.where(no_a | behind, nan, ub), np.where(no_a | behind, nan, vb), np.where(no_a, nan, z),
            np.where(measured, ref, nan), status)


def greedy_places(n, a, b, overlap, usable, min_overlap, min_images, max_images, weight):
    """gsv_cities' greedy, the plain way: every round scores every free seed from scratch and
    takes the best (highest size - weight x free frames it retires; ties: the lowest seed)."""
    strong = {}
    touching = [set() for _ in range(n)]
    for i, j, v in zip(a, b, overlap):
        if v > 0:
            touching[i].add(j)
            touching[j].add(i)
        if v >= min_overlap:
            strong[(i, j)] = strong[(j, i)] = v
    retired = [not u for u in usable]
    place = [-1] * n
    count = 0
    while True:
        best = None
        for seed in range(n):
            if retired[seed]:
                continue
            mates = sorted((j for j in range(n) if (seed, j) in strong), key=lambda j: (-strong[(seed, j)], j))
            members = [seed]
            for j in mates:
                if len(members) < max_images and not retired[j] and all((j, m) in strong for m in members[1:]):
                    members.append(j)
            if len(members) < min_images:
                continue
            outside = {j for m in members for j in touching[m]} - set(members)
            value = len(members) - weight * sum(1 for j in outside if not retired[j])
            if best is None or value > best[0]:
                best = (value, members)
        if best is None:
            return place
        for m in best[1]:
            place[m] = count
            for j in touching[m]:
                retired[j] = True
            retired[m] = True
        count += 1
