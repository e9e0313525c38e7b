"""Numba kernel: the view-consistent overlap |A ∩ B ∩ V_θ| of two sectors (the plain overlap's
pieces, cut again by the boundary of the region that sees A and B from directions more than θ
apart). Built on _sector_shapes (the shapes and crossings) and _sector_kernel (the pieces)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._sector_kernel import (
    _SAMPLES,
    _intersection_area,
    _line_integral,
    _mid_and_tangent,
    _pair_cuts,
    _piece_inside,
    _ratio,
    _sector_pieces,
    _sorted_cuts,
)
from ._sector_shapes import (
    TWO_PI,
    _AMBIGUOUS,
    _SNAP,
    _point,
    _reset_cuts,
    _separated,
    _set_arc,
    _set_sector,
)


# -- the view-consistent overlap: A ∩ B ∩ V_θ ------------------------------------------------------
#
# V_θ = {p : the angle A-p-B <= θ}; its complement E (the points that see the segment AB under
# more than θ) is, by the inscribed angle theorem, bounded by two circular arcs from A to B, each
# of radius |AB| / (2 sin θ) with its centre on the perpendicular bisector at |AB| / (2 tan θ) from
# the midpoint M: for θ < 90° E is the union of the two discs (its boundary their major arcs), for
# θ > 90° their intersection, a lens (the minor arcs), at 90° the disc on AB as diameter. Either
# way ∂E is the arc of circle 1 through C1 + R n and the arc of circle 2 through C2 - R n (n the
# unit normal of AB), both counter-clockwise, E on their left.
#
# One pass gives |A ∩ B| and |A ∩ B ∩ V_θ| together: the pieces of ∂A inside B and of ∂B inside A
# (the plain kernel's) are cut where ∂E crosses them; each piece counts for A ∩ B, and for the
# view region when it lies outside E. The arcs of ∂E, cut by ∂A and ∂B, count (reversed: V_θ lies
# on their right) where they lie inside A and B. Identical apexes see every point under the angle
# 0 (V_θ is the plane), and at θ = 180° nothing is excluded: the overlap is then the plain one.


@njit(cache=True, error_model="numpy")
def _disc_inside_clear(cx, cy, r, x, y, thr):
    """(strictly inside the disc, clear of its circle by about ``thr``), as _inside_clear."""
    vx = x - cx
    vy = y - cy
    d2 = vx * vx + vy * vy
    return d2 < r * r, abs(d2 - r * r) > thr * (2.0 * r + thr)


@njit(cache=True, error_model="numpy")
def _excluded_clear(E, lens, x, y, thr):
    """(inside E, clear): E is the union of the discs of arcs E[0], E[1], or with ``lens`` their
    intersection. Clear when the answer does not hang on a point near a deciding circle."""
    i1, c1 = _disc_inside_clear(E[0, 0], E[0, 1], E[0, 2], x, y, thr)
    i2, c2 = _disc_inside_clear(E[1, 0], E[1, 1], E[1, 2], x, y, thr)
    if lens:
        return i1 and i2, (c1 and c2) or (c1 and not i1) or (c2 and not i2)
    return i1 or i2, (c1 and c2) or (c1 and i1) or (c2 and i2)


@njit(cache=True, error_model="numpy")
def _piece_excluded(A, k, t0, t1, E, lens, thr, x, y):
    """Whether the sub-piece of ∂A from t0 to t1 (midpoint (x, y)), which ∂E does not cross inside,
    lies in E: judged where it is clear of ∂E, as _piece_inside judges inside B."""
    inside, clear = _excluded_clear(E, lens, x, y, thr)
    if clear:
        return inside
    for f in _SAMPLES:
        px, py = _point(A, k, t0 + f * (t1 - t0))
        other, other_clear = _excluded_clear(E, lens, px, py, thr)
        if other_clear:
            return other
    return inside


@njit(cache=True, error_model="numpy")
def _seen_part(A, k, t0, t1, ecuts, n_e, E, lens, thr):
    """∫ over the parts of the sub-piece t0..t1 of piece k of ∂A that lie outside E, the
    crossings of ∂E with the piece being ``ecuts[:n_e]`` (sorted)."""
    total = 0.0
    start = t0
    for i in range(n_e + 1):
        stop = t1 if i == n_e else min(max(ecuts[i], t0), t1)
        if stop - start > 1e-15:
            x, y, _, _ = _mid_and_tangent(A, k, 0.5 * (start + stop))
            if not _piece_excluded(A, k, start, stop, E, lens, thr, x, y):
                total += _line_integral(A, k, start, stop)
        start = max(start, stop)
    return total


@njit(cache=True, error_model="numpy")
def _arc_pieces(C, side, A, B, scale, cuts, counts):
    """∫ over the pieces of the arc C (a boundary arc of E) that lie inside both A and B."""
    thr = _AMBIGUOUS * scale
    total = 0.0
    ts, n = _sorted_cuts(cuts, counts, side, 1)
    for i in range(n - 1):
        t0 = ts[i]
        t1 = ts[i + 1]
        if t1 - t0 <= 1e-15:
            continue
        x, y, _, _ = _mid_and_tangent(C, 1, 0.5 * (t0 + t1))
        if _piece_inside(C, 1, t0, t1, A, thr, x, y) and _piece_inside(C, 1, t0, t1, B, thr, x, y):
            total += _line_integral(C, 1, t0, t1)
    return total


@njit(cache=True, error_model="numpy")
def _view_pair(ax, ay, ah, afov, ar, bx, by, bh, bfov, br, theta, A, B, E, cuts, counts, tmp, kept, n_kept):
    """(|A ∩ B|, |A ∩ B ∩ V_θ|) of one pair (radians, metres), or (0, 0) where nothing of A ∩ B
    is seen alike (then its area does not matter); E is scratch for the two arcs."""
    dx = bx - ax
    dy = by - ay
    if dx * dx + dy * dy >= (ar + br) * (ar + br):
        return 0.0, 0.0
    scale = max(ar, br)
    length = math.hypot(dx, dy)
    if length <= _SNAP * scale or theta >= math.pi * (1.0 - 1e-12):
        inter = _intersection_area(ax, ay, ah, afov, ar, bx, by, bh, bfov, br, A, B, cuts, counts, tmp, kept, n_kept)
        return inter, inter  # identical apexes, or θ = 180°: V_θ is the whole plane
    # The angle A-p-B is the difference of the bearings of p from A and from B, which lie within
    # the openings: at least |Δh| - (fov_a + fov_b) / 2, at most |Δh| + (fov_a + fov_b) / 2 (Δh
    # wrapped to [0, π]). Pairs decided by that need no geometry beyond the plain kernel's.
    dh = abs((bh - ah + math.pi) % TWO_PI - math.pi)
    half_sum = 0.5 * (afov + bfov)
    if dh - half_sum > theta * (1.0 + 1e-12):
        return 0.0, 0.0  # nothing seen alike: the overlap is 0 whatever |A ∩ B| is
    if dh + half_sum < theta * (1.0 - 1e-12):
        inter = _intersection_area(ax, ay, ah, afov, ar, bx, by, bh, bfov, br, A, B, cuts, counts, tmp, kept, n_kept)
        return inter, inter
    _set_sector(A, 0.0, 0.0, ar, ah - 0.5 * afov, afov)
    _set_sector(B, dx, dy, br, bh - 0.5 * bfov, bfov)
    if _separated(A, B):
        return 0.0, 0.0
    sin_t = math.sin(theta)
    cos_t = math.cos(theta)
    radius = length / (2.0 * sin_t)
    offset = length * cos_t / (2.0 * sin_t)  # signed: the centres swap sides past 90°
    nx = -dy / length
    ny = dx / length
    # Seen from circle 1's centre, B lies at θ - 90° and A at 270° - θ from the direction u of
    # AB, and the arc from B counter-clockwise to A passes through +n: it spans 360° - 2θ (a major
    # arc below 90°, a minor one above). Circle 2 is its mirror image across AB, from A to B. The
    # ends' cosines and sines follow from u and θ without any further trigonometry.
    ux = dx / length
    uy = dy / length
    along = math.atan2(dy, dx)
    span = TWO_PI - 2.0 * theta
    _set_arc(E[0], 0.5 * dx + offset * nx, 0.5 * dy + offset * ny, radius, along + theta - 0.5 * math.pi, span,
             ux * sin_t + uy * cos_t, uy * sin_t - ux * cos_t, uy * cos_t - ux * sin_t, -(ux * cos_t + uy * sin_t))
    _set_arc(E[1], 0.5 * dx - offset * nx, 0.5 * dy - offset * ny, radius, along + theta + 0.5 * math.pi, span,
             -(uy * cos_t + ux * sin_t), ux * cos_t - uy * sin_t, ux * sin_t - uy * cos_t, ux * cos_t + uy * sin_t)
    lens = cos_t < 0.0
    # the plain intersection first, recording the pieces of its boundary
    _reset_cuts(cuts, counts, 6)
    _pair_cuts(A, B, scale, cuts, counts, 0, 1, tmp, False, -1)
    inter = 0.5 * (_sector_pieces(A, B, True, 0, scale, cuts, counts, True, kept, n_kept)
                   + _sector_pieces(B, A, False, 1, scale, cuts, counts, True, kept, n_kept))
    cap = min(0.5 * ar * ar * afov, 0.5 * br * br * bfov)
    inter = min(max(inter, 0.0), cap)
    if inter <= 0.0:
        return 0.0, 0.0
    # then ∂E against the pieces that bound A ∩ B (crossings elsewhere lie outside A ∩ B and do
    # not change which arc pieces are inside it), cuts of sector s on its row 4 + s
    thr = _AMBIGUOUS * scale
    seen = 0.0
    for s in range(2):
        S = A if s == 0 else B
        for k in range(3):
            if n_kept[s, k] == 0:
                continue
            for j in range(2):
                _pair_cuts(S, E[j], scale, cuts, counts, 4 + s, 2 + j, tmp, True, k)
            counts[4 + s, k] -= 2  # the piece's two ends were placed first: not crossings
            ecuts = cuts[4 + s, k]
            n_e = counts[4 + s, k]
            for i in range(n_e):
                ecuts[i] = ecuts[i + 2]
            _, _ = _sorted_cuts(cuts, counts, 4 + s, k)
            for m in range(n_kept[s, k]):
                seen += _seen_part(S, k, kept[s, k, m, 0], kept[s, k, m, 1], ecuts, n_e, E, lens, thr)
    arcs = _arc_pieces(E[0], 2, A, B, scale, cuts, counts) + _arc_pieces(E[1], 3, A, B, scale, cuts, counts)
    seen = min(max(0.5 * (seen - arcs), 0.0), inter)
    return inter, seen


@njit(cache=True, error_model="numpy", nogil=True)
def view_overlap_batch(ax, ay, ah, afov, ar, bx, by, bh, bfov, br, theta, measure_ioa, out):
    """View-consistent overlap for n pairs of sectors: |A ∩ B ∩ V_θ| over |A ∪ B| (iou) or |A|
    (ioa), θ in radians, (0, π] (arrays as sector_overlap_batch)."""
    A = np.empty(9)
    B = np.empty(9)
    E = np.empty((2, 9))
    cuts = np.empty((6, 3, 16))
    counts = np.empty((6, 3), np.int64)
    tmp = np.empty(4)
    kept = np.empty((2, 3, 8, 2))
    n_kept = np.empty((2, 3), np.int64)
    for i in range(out.shape[0]):
        inter, seen = _view_pair(ax[i], ay[i], ah[i], afov[i], ar[i], bx[i], by[i], bh[i], bfov[i], br[i],
                                 theta, A, B, E, cuts, counts, tmp, kept, n_kept)
        out[i] = _ratio(seen, inter, ar[i], afov[i], br[i], bfov[i], measure_ioa)
    return out
