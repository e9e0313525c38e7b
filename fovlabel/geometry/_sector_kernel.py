"""Numba kernel: exact intersection area of two circular sectors.

The area of a region is ½∮(x dy − y dx) over its counter-clockwise boundary (Green's theorem).
The boundary of A∩B is made of the pieces of ∂A that lie inside B and the pieces of ∂B that lie
inside A. Each sector's boundary is two straight edges and one circular arc (only the arc for a
full 360° disk). Every piece of ∂A is cut at its intersections with ∂B; each sub-piece is inside or
outside B as a whole, judged at its midpoint, and contributes its exact line integral (arcs
integrated as arcs, so no polygonal approximation anywhere).

Degenerate cases (identical cameras, nested sectors sharing an arc, touching edges) put a sub-piece
exactly on the other boundary. Such a piece belongs to ∂(A∩B) when both boundaries run the same way
there; it is then counted once, from A's side. Near-identical circles (centres and radii equal
within 1e-9 of the radius) are snapped to be identical first, so that the two sides of a pair always
agree on what coincides.

Sector representation, in a frame whose origin is A's apex (keeps UTM-sized coordinates out of the
products): a float64 record ``(cx, cy, r, a0, span, cos a0, sin a0, cos a1, sin a1)`` with ``a0``
the start angle of the arc (radians, counter-clockwise from +x), ``span`` the opening in radians and
``a1 = a0 + span``; the cosines and sines are computed once per pair, not at every use.
Pieces: 0 = edge apex -> arc start, 1 = arc a0 -> a0+span, 2 = edge arc end -> apex. A full disk
has only piece 1.

Speed: a separating-axis test along the four edge normals rejects most disjoint candidate pairs
before any intersection is computed (it only rejects pairs that provably do not meet), and each
boundary crossing is computed once and recorded on both pieces it lies on.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._sector_shapes import (
    _AMBIGUOUS,
    _ON,
    _PARALLEL,
    _PARAM_EPS,
    _SNAP,
    _TOUCH,
    _add_cut,
    _arc_param,
    _circle_circle,
    _in_arc_span,
    _is_full,
    _line_circle,
    _piece_exists,
    _point,
    _reset_cuts,
    _seg_param,
    _segment,
    _separated,
    _set_sector,
    _tangent,
)


@njit(cache=True, error_model="numpy")
def _find_cuts(A, B, scale, cuts, counts, tmp):
    """Every point where ∂A meets ∂B, recorded once as a parameter on A's piece (side 0) and on
    B's piece (side 1). ``cuts`` is (2, 3, 8), ``counts`` (2, 3); ``tmp`` is scratch of 4 floats.
    Parameters may stray by _PARAM_EPS outside [0, 1]; the caller clamps them."""
    _reset_cuts(cuts, counts, 2)
    _pair_cuts(A, B, scale, cuts, counts, 0, 1, tmp, False)



@njit(cache=True, error_model="numpy")
def _pair_cuts(A, B, scale, cuts, counts, side_a, side_b, tmp, b_arc_only=False, only_ka=-1):
    """Every point where ∂A meets ∂B, added to A's pieces (``cuts[side_a]``) and B's
    (``cuts[side_b]``); with ``b_arc_only`` B is only its arc (a boundary arc of the view
    kernel's excluded region, not a sector), with ``only_ka`` >= 0 A only that piece."""
    for ka in range(3):
        if not _piece_exists(A[4], ka) or (only_ka >= 0 and ka != only_ka):
            continue
        for kb in range(3):
            if not _piece_exists(B[4], kb) or (b_arc_only and kb != 1):
                continue
            if ka != 1 and kb != 1:  # edge x edge
                px, py, qx, qy = _segment(A, ka)
                ux, uy, vx, vy = _segment(B, kb)
                d1x = qx - px
                d1y = qy - py
                d2x = vx - ux
                d2y = vy - uy
                den = d1x * d2y - d1y * d2x
                if abs(den) <= 1e-15 * math.hypot(d1x, d1y) * math.hypot(d2x, d2y):
                    continue  # parallel: collinear overlaps are cut by the neighbouring pieces
                wx = ux - px
                wy = uy - py
                t = (wx * d2y - wy * d2x) / den
                s = (wx * d1y - wy * d1x) / den
                if -_PARAM_EPS <= t <= 1.0 + _PARAM_EPS and -_PARAM_EPS <= s <= 1.0 + _PARAM_EPS:
                    _add_cut(cuts, counts, side_a, ka, t)
                    _add_cut(cuts, counts, side_b, kb, s)
            elif ka == 1 and kb == 1:  # arc x arc
                m = _circle_circle(A[0], A[1], A[2], B[0], B[1], B[2], scale, tmp)
                for i in range(m):
                    x = tmp[2 * i]
                    y = tmp[2 * i + 1]
                    if _in_arc_span(A, x, y) and _in_arc_span(B, x, y):
                        ta = _arc_param(A[0], A[1], A[3], A[4], x, y)
                        tb = _arc_param(B[0], B[1], B[3], B[4], x, y)
                        if ta >= 0.0 and tb >= 0.0:
                            _add_cut(cuts, counts, side_a, 1, ta)
                            _add_cut(cuts, counts, side_b, 1, tb)
            else:  # edge x arc, either way round
                if ka == 1:
                    E, ke, C, se, sc = B, kb, A, side_b, side_a
                else:
                    E, ke, C, se, sc = A, ka, B, side_a, side_b
                px, py, qx, qy = _segment(E, ke)
                # relative to the problem's scale: a huge circle (a view disc) has no huge touches
                m = _line_circle(px, py, qx, qy, C[0], C[1], C[2], _TOUCH * min(C[2], scale), tmp)
                # an arc of the view region starts and ends at the apexes, which lie on both of
                # its circles: the crossing at the edge's own apex end is already a cut of both
                apex_t = 0.0 if ke == 0 else 1.0
                for i in range(m):
                    t = tmp[i]
                    if b_arc_only and abs(t - apex_t) <= _PARAM_EPS:
                        continue
                    if -_PARAM_EPS <= t <= 1.0 + _PARAM_EPS:
                        x = px + t * (qx - px)
                        y = py + t * (qy - py)
                        if _in_arc_span(C, x, y):
                            tc = _arc_param(C[0], C[1], C[3], C[4], x, y)
                            if tc >= 0.0:
                                _add_cut(cuts, counts, se, ke, t)
                                _add_cut(cuts, counts, sc, 1, tc)


@njit(cache=True, error_model="numpy")
def _inside_clear(B, x, y, thr):
    """(strictly inside B, clear): ``clear`` is False when (x, y) lies within about ``thr`` of a
    boundary feature of B that decides the answer (its circle, or an edge's line), where a touch
    or rounding could flip it. No square root: |d² - r²| > thr (2r + thr) implies |d - r| > thr."""
    vx = x - B[0]
    vy = y - B[1]
    r = B[2]
    d2 = vx * vx + vy * vy
    inside = d2 < r * r
    clear = abs(d2 - r * r) > thr * (2.0 * r + thr)
    if not _is_full(B[4]):
        s0 = B[5] * vy - B[6] * vx  # signed distance to the first edge's line (unit direction)
        s1 = vx * B[8] - vy * B[7]
        if B[4] <= math.pi:
            inside = inside and s0 > 0.0 and s1 > 0.0
        else:
            inside = inside and (s0 > 0.0 or s1 > 0.0)
        clear = clear and abs(s0) > thr and abs(s1) > thr
    return inside, clear


#: where along a sub-piece its inside/outside is judged when its midpoint is not clear of ∂B

_SAMPLES = (0.3090169943749474, 0.6909830056250525, 0.1458980337503155, 0.8541019662496845)


@njit(cache=True, error_model="numpy")
def _piece_inside(A, k, t0, t1, B, thr, x, y):
    """Whether the sub-piece of ∂A from t0 to t1, with midpoint (x, y) and no crossing of ∂B
    inside it, lies inside B.

    A sub-piece can still *touch* ∂B: tangent circles, an edge tangent to an arc, or a crossing
    closer than _TOUCH that was not cut. At a touch point the strict test says "outside" for a
    piece that is otherwise inside (internal tangency), and rounding can say "inside" for one
    that is outside (external tangency). So when the midpoint is not clear of ∂B the test is
    taken at other points of the piece: the first one clear of ∂B decides (touches are isolated
    points, so any point away from them gives the piece's answer); if none is, the midpoint does.
    """
    inside, clear = _inside_clear(B, x, y, thr)
    if clear:
        return inside
    for f in _SAMPLES:
        px, py = _point(A, k, t0 + f * (t1 - t0))
        other, other_clear = _inside_clear(B, px, py, thr)
        if other_clear:
            return other
    return inside


@njit(cache=True, error_model="numpy")
def _coincidence(B, x, y, tx, ty, tol):
    """+1 when (x, y) lies on a piece of ∂B running in direction (tx, ty), -1 when on one running
    the opposite way, 0 when it is not on ∂B along a parallel piece."""
    bcx, bcy, br, ba0, bspan = B[0], B[1], B[2], B[3], B[4]
    for kb in range(3):
        if not _piece_exists(bspan, kb):
            continue
        if kb == 1:
            d = math.hypot(x - bcx, y - bcy)
            if abs(d - br) > tol:
                continue
            t = _arc_param(bcx, bcy, ba0, bspan, x, y)
            if t < 0.0:
                continue
        else:
            px, py, qx, qy = _segment(B, kb)
            s = _seg_param(px, py, qx, qy, x, y)
            if s < 0.0:
                s = 0.0
            elif s > 1.0:
                s = 1.0
            if math.hypot(px + s * (qx - px) - x, py + s * (qy - py) - y) > tol:
                continue
            t = s
        bx, by = _tangent(B, kb, t)
        if abs(tx * by - ty * bx) > _PARALLEL:
            continue  # crossing, not running along
        return 1 if tx * bx + ty * by > 0.0 else -1
    return 0


@njit(cache=True, error_model="numpy")
def _line_integral(S, k, t0, t1):
    """∫(x dy − y dx) along piece k of S from t0 to t1."""
    if k == 1:
        cx, cy, r = S[0], S[1], S[2]
        al = S[3] + t0 * S[4]
        be = S[3] + t1 * S[4]
        return (
            r * cx * (math.sin(be) - math.sin(al))
            - r * cy * (math.cos(be) - math.cos(al))
            + r * r * (be - al)
        )
    x0, y0 = _point(S, k, t0)
    x1, y1 = _point(S, k, t1)
    return x0 * y1 - x1 * y0


@njit(cache=True, error_model="numpy")
def _sorted_cuts(cuts, counts, side, k):
    """The cut parameters of piece k of shape ``side``, clamped to [0, 1] and sorted in place."""
    n = counts[side, k]
    ts = cuts[side, k]
    for i in range(n):  # insertion sort: a handful of values
        v = min(1.0, max(0.0, ts[i]))
        j = i
        while j > 0 and ts[j - 1] > v:
            ts[j] = ts[j - 1]
            j -= 1
        ts[j] = v
    return ts, n


@njit(cache=True, error_model="numpy")
def _may_coincide(A, k, B, tol):
    """Can piece k of ∂A run along ∂B at all? An arc only on the same circle (exactly the same
    after snapping), an edge only along a collinear edge of B (both of B's edges pass through B's
    apex). Deciding it once per piece spares the test for every sub-piece."""
    if k == 1:
        return A[0] == B[0] and A[1] == B[1] and A[2] == B[2]
    ex, ey = _tangent(A, k, 0.0)
    if abs(ex * (B[1] - A[1]) - ey * (B[0] - A[0])) > tol:  # B's apex is not on A's edge line
        return False
    for kb in (0, 2):
        if _piece_exists(B[4], kb):
            bx, by = _tangent(B, kb, 0.0)
            if abs(ex * by - ey * bx) <= _PARALLEL:
                return True
    return False


@njit(cache=True, error_model="numpy")
def _mid_and_tangent(A, k, tm):
    """Point and unit tangent of piece k at parameter tm (one cos/sin for both on an arc)."""
    if k == 1:
        c = math.cos(A[3] + tm * A[4])
        s = math.sin(A[3] + tm * A[4])
        return A[0] + A[2] * c, A[1] + A[2] * s, -s, c
    x, y = _point(A, k, tm)
    tx, ty = _tangent(A, k, tm)
    return x, y, tx, ty


@njit(cache=True, error_model="numpy")
def _intersection_area(ax, ay, ah, afov, ar, bx, by, bh, bfov, br, A, B, cuts, counts, tmp, kept, n_kept):
    dx = bx - ax
    dy = by - ay
    if dx * dx + dy * dy >= (ar + br) * (ar + br):
        return 0.0
    scale = max(ar, br)
    if math.hypot(dx, dy) <= _SNAP * scale and abs(ar - br) <= _SNAP * scale:
        dx = 0.0
        dy = 0.0
        br = ar
    _set_sector(A, 0.0, 0.0, ar, ah - 0.5 * afov, afov)
    _set_sector(B, dx, dy, br, bh - 0.5 * bfov, bfov)
    if _separated(A, B):
        return 0.0
    _find_cuts(A, B, scale, cuts, counts, tmp)
    area = 0.5 * (
        _sector_pieces(A, B, True, 0, scale, cuts, counts, False, kept, n_kept)
        + _sector_pieces(B, A, False, 1, scale, cuts, counts, False, kept, n_kept)
    )
    return min(max(area, 0.0), min(0.5 * ar * ar * afov, 0.5 * br * br * bfov))


@njit(cache=True, error_model="numpy", nogil=True)
def sector_overlap_batch(ax, ay, ah, afov, ar, bx, by, bh, bfov, br, measure_ioa, out):
    """Overlap for n pairs of sectors (1-D float64 arrays of equal length, radians, metres)."""
    A = np.empty(9)
    B = np.empty(9)
    cuts = np.empty((2, 3, 8))
    counts = np.empty((2, 3), np.int64)
    tmp = np.empty(4)
    kept = np.empty((2, 3, 8, 2))
    n_kept = np.empty((2, 3), np.int64)
    for i in range(out.shape[0]):
        inter = _intersection_area(
            ax[i], ay[i], ah[i], afov[i], ar[i], bx[i], by[i], bh[i], bfov[i], br[i],
            A, B, cuts, counts, tmp, kept, n_kept,
        )
        out[i] = _ratio(inter, inter, ar[i], afov[i], br[i], bfov[i], measure_ioa)
    return out


@njit(cache=True, error_model="numpy")
def _ratio(counted, inter, ar, afov, br, bfov, measure_ioa):
    """``counted`` over |A| (ioa) or over |A ∪ B| = |A| + |B| - |A ∩ B| (iou), in [0, 1]."""
    area_a = 0.5 * ar * ar * afov
    if measure_ioa:
        v = counted / area_a
    else:
        v = counted / (area_a + 0.5 * br * br * bfov - inter)
    return min(max(v, 0.0), 1.0)


@njit(cache=True, error_model="numpy")
def _sector_pieces(A, B, a_owns_shared, side, scale, cuts, counts, record, kept, n_kept):
    """∫ over the pieces of ∂A inside B, A's cuts being ``cuts[side]``; with ``record`` (the view
    kernel) the kept sub-pieces' (t0, t1) are also written to ``kept[side, k]``, their number to
    ``n_kept[side, k]``."""
    tol = _ON * scale
    thr = _AMBIGUOUS * scale
    total = 0.0
    for k in range(3):
        if record:
            n_kept[side, k] = 0
        if not _piece_exists(A[4], k):
            continue
        ts, n = _sorted_cuts(cuts, counts, side, k)
        may_coincide = _may_coincide(A, k, B, tol)
        for i in range(n - 1):
            t0 = ts[i]
            t1 = ts[i + 1]
            if t1 - t0 <= 1e-15:
                continue
            x, y, tx, ty = _mid_and_tangent(A, k, 0.5 * (t0 + t1))
            along = _coincidence(B, x, y, tx, ty, tol) if may_coincide else 0
            if along == 1:
                keep = a_owns_shared
            elif along == -1:
                keep = False
            else:
                keep = _piece_inside(A, k, t0, t1, B, thr, x, y)
            if keep:
                total += _line_integral(A, k, t0, t1)
                if record:
                    m = n_kept[side, k]
                    kept[side, k, m, 0] = t0
                    kept[side, k, m, 1] = t1
                    n_kept[side, k] = m + 1
    return total
