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

TWO_PI = 2.0 * math.pi
_SNAP = 1e-9  # relative: circles this close are the same circle
_ON = 1e-11  # relative: a point this close to a boundary lies on it
_PARAM_EPS = 1e-9  # slack on segment parameters and arc angles when accepting an intersection
_PARALLEL = 1e-6  # |sin| of the angle below which two tangents are parallel
# relative: a chord shorter than this is a touch, not a crossing. Cutting there would leave a
# sliver of boundary whose inside/outside test is decided by rounding; the lens it ignores has an
# area of order (1e-7)^3 r^2.
_TOUCH = 1e-7
# relative: a sample point closer than this to ∂B does not decide inside/outside (see _piece_inside).
# Touch points that were not cut lie within (_TOUCH)^2 of ∂B; any point of a piece decides alike
# away from them, so a generous value only costs an extra sample near a boundary.
_AMBIGUOUS = 1e-9


@njit(cache=True, error_model="numpy")
def _is_full(span):
    return span >= TWO_PI * (1.0 - 1e-12)


@njit(cache=True, error_model="numpy")
def _piece_exists(span, k):
    return k == 1 or not _is_full(span)


@njit(cache=True, error_model="numpy")
def _set_sector(S, cx, cy, r, a0, span):
    a0 = a0 % TWO_PI
    S[0] = cx
    S[1] = cy
    S[2] = r
    S[3] = a0
    S[4] = span
    S[5] = math.cos(a0)
    S[6] = math.sin(a0)
    S[7] = math.cos(a0 + span)
    S[8] = math.sin(a0 + span)


@njit(cache=True, error_model="numpy")
def _point(S, k, t):
    """Point at parameter t in [0, 1] along piece k."""
    if k == 0:
        return S[0] + t * S[2] * S[5], S[1] + t * S[2] * S[6]
    if k == 1:
        a = S[3] + t * S[4]
        return S[0] + S[2] * math.cos(a), S[1] + S[2] * math.sin(a)
    return S[0] + (1.0 - t) * S[2] * S[7], S[1] + (1.0 - t) * S[2] * S[8]


@njit(cache=True, error_model="numpy")
def _tangent(S, k, t):
    """Unit direction of travel along piece k at parameter t (counter-clockwise boundary)."""
    if k == 0:
        return S[5], S[6]
    if k == 1:
        a = S[3] + t * S[4]
        return -math.sin(a), math.cos(a)
    return -S[7], -S[8]


@njit(cache=True, error_model="numpy")
def _segment(S, k):
    """Endpoints (p, q) of straight piece k (0 or 2)."""
    if k == 0:
        return S[0], S[1], S[0] + S[2] * S[5], S[1] + S[2] * S[6]
    return S[0] + S[2] * S[7], S[1] + S[2] * S[8], S[0], S[1]


@njit(cache=True, error_model="numpy")
def _within_opening(S, vx, vy):
    """True when direction v from the apex lies strictly inside the sector's angular opening."""
    if _is_full(S[4]):
        return True
    s0 = S[5] * vy - S[6] * vx  # > 0: left of the first edge
    s1 = vx * S[8] - vy * S[7]  # > 0: right of the second edge
    if S[4] <= math.pi:
        return s0 > 0.0 and s1 > 0.0
    return s0 > 0.0 or s1 > 0.0


@njit(cache=True, error_model="numpy")
def _in_arc_span(S, x, y):
    """True when point (x, y), taken to lie on S's circle, is within S's arc (with a little slack,
    so that a cut at an arc's end is never lost)."""
    if _is_full(S[4]):
        return True
    vx = x - S[0]
    vy = y - S[1]
    slack = -_PARAM_EPS * S[2]
    s0 = S[5] * vy - S[6] * vx
    s1 = vx * S[8] - vy * S[7]
    if S[4] <= math.pi:
        return s0 >= slack and s1 >= slack
    return s0 >= slack or s1 >= slack


@njit(cache=True, error_model="numpy")
def _support(S, nx, ny):
    """max over the sector of n . p for a unit vector n (the sector's support function)."""
    base = S[0] * nx + S[1] * ny
    if _within_opening(S, nx, ny):
        return base + S[2]
    return base + S[2] * max(0.0, S[5] * nx + S[6] * ny, S[7] * nx + S[8] * ny)


@njit(cache=True, error_model="numpy")
def _separated(A, B):
    """True when a line separates the sectors; tried along the normals of both sectors' edges.

    Only a cull: False does not mean they intersect. Margins keep touching pairs for the exact
    computation.
    """
    margin = 1e-9 * max(A[2], B[2])
    for S in (A, B):
        if _is_full(S[4]):
            continue
        for nx, ny in ((S[6], -S[5]), (-S[8], S[7])):  # outward normals of the two edges
            if _support(A, nx, ny) + _support(B, -nx, -ny) < -margin:
                return True
            if _support(A, -nx, -ny) + _support(B, nx, ny) < -margin:
                return True
    return False


@njit(cache=True, error_model="numpy")
def _arc_param(cx, cy, a0, span, px, py):
    """Parameter in [0, 1] of point p on the arc's circle, or -1 when p is outside the arc."""
    w = math.atan2(py - cy, px - cx) - a0  # a0 in [0, 2π) (see _set_sector), so w > -3π
    while w < 0.0:
        w += TWO_PI
    if w <= span:
        return w / span
    if TWO_PI - w < _PARAM_EPS:
        return 0.0
    if w - span < _PARAM_EPS:
        return 1.0
    return -1.0


@njit(cache=True, error_model="numpy")
def _seg_param(px, py, qx, qy, x, y):
    dx = qx - px
    dy = qy - py
    return ((x - px) * dx + (y - py) * dy) / (dx * dx + dy * dy)


@njit(cache=True, error_model="numpy")
def _line_circle(px, py, qx, qy, cx, cy, r, out):
    """Parameters t of the points p + t (q - p) on the circle; returns how many (0 or 2)."""
    dx = qx - px
    dy = qy - py
    fx = px - cx
    fy = py - cy
    a = dx * dx + dy * dy
    b = 2.0 * (fx * dx + fy * dy)
    c = fx * fx + fy * fy - r * r
    disc = b * b - 4.0 * a * c
    if disc < 0.0 or a == 0.0 or disc < a * (_TOUCH * r) ** 2:  # chord = sqrt(disc / a)
        return 0
    sq = math.sqrt(disc)
    q = -0.5 * (b + sq) if b >= 0.0 else -0.5 * (b - sq)  # |q| >= sq / 2 > 0: no cancellation
    out[0] = q / a
    out[1] = c / q
    return 2


@njit(cache=True, error_model="numpy")
def _circle_circle(c1x, c1y, r1, c2x, c2y, r2, scale, out):
    """Intersection points of two circles, written as x, y pairs into out; returns how many."""
    dx = c2x - c1x
    dy = c2y - c1y
    d = math.hypot(dx, dy)
    if d < 1e-15 * scale or d > r1 + r2 or d < abs(r1 - r2):
        return 0
    a = (d * d + r1 * r1 - r2 * r2) / (2.0 * d)
    h2 = r1 * r1 - a * a
    if h2 < (0.5 * _TOUCH * scale) ** 2:  # half-chord h: circles that only touch
        return 0
    h = math.sqrt(h2)
    mx = c1x + a * dx / d
    my = c1y + a * dy / d
    out[0] = mx - h * dy / d
    out[1] = my + h * dx / d
    out[2] = mx + h * dy / d
    out[3] = my - h * dx / d
    return 2


@njit(cache=True, error_model="numpy")
def _add_cut(cuts, counts, side, k, t):
    cuts[side, k, counts[side, k]] = t
    counts[side, k] += 1


@njit(cache=True, error_model="numpy")
def _find_cuts(A, B, scale, cuts, counts, tmp):
    """Every point where ∂A meets ∂B, recorded once as a parameter on A's piece (side 0) and on
    B's piece (side 1). ``cuts`` is (2, 3, 8), ``counts`` (2, 3); ``tmp`` is scratch of 4 floats.
    Parameters may stray by _PARAM_EPS outside [0, 1]; the caller clamps them."""
    for side in range(2):
        for k in range(3):
            cuts[side, k, 0] = 0.0
            cuts[side, k, 1] = 1.0
            counts[side, k] = 2
    for ka in range(3):
        if not _piece_exists(A[4], ka):
            continue
        for kb in range(3):
            if not _piece_exists(B[4], kb):
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
                    _add_cut(cuts, counts, 0, ka, t)
                    _add_cut(cuts, counts, 1, kb, s)
            elif ka == 1 and kb == 1:  # arc x arc
                m = _circle_circle(A[0], A[1], A[2], B[0], B[1], B[2], scale, tmp)
                for i in range(m):
                    x = tmp[2 * i]
                    y = tmp[2 * i + 1]
                    if _in_arc_span(A, x, y) and _in_arc_span(B, x, y):
                        ta = _arc_param(A[0], A[1], A[3], A[4], x, y)
                        tb = _arc_param(B[0], B[1], B[3], B[4], x, y)
                        if ta >= 0.0 and tb >= 0.0:
                            _add_cut(cuts, counts, 0, 1, ta)
                            _add_cut(cuts, counts, 1, 1, tb)
            else:  # edge x arc, either way round
                if ka == 1:
                    E, ke, C, se, sc = B, kb, A, 1, 0
                else:
                    E, ke, C, se, sc = A, ka, B, 0, 1
                px, py, qx, qy = _segment(E, ke)
                m = _line_circle(px, py, qx, qy, C[0], C[1], C[2], tmp)
                for i in range(m):
                    t = tmp[i]
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
def _boundary_inside(A, B, a_owns_shared, scale, cuts, counts, side):
    """Sum of the line integrals over the pieces of ∂A inside B, A's cuts being ``cuts[side]``."""
    tol = _ON * scale
    thr = _AMBIGUOUS * scale
    total = 0.0
    for k in range(3):
        if not _piece_exists(A[4], k):
            continue
        n = counts[side, k]
        ts = cuts[side, k]
        for i in range(n):  # clamp and insertion-sort the cut parameters
            v = min(1.0, max(0.0, ts[i]))
            j = i
            while j > 0 and ts[j - 1] > v:
                ts[j] = ts[j - 1]
                j -= 1
            ts[j] = v
        # Can this piece run along ∂B at all? An arc only on the same circle (exactly the same
        # after snapping), an edge only along a collinear edge of B (both of B's edges pass
        # through B's apex). Deciding it once per piece spares the test for every sub-piece.
        if k == 1:
            may_coincide = A[0] == B[0] and A[1] == B[1] and A[2] == B[2]
        else:
            ex, ey = _tangent(A, k, 0.0)
            may_coincide = False
            if abs(ex * (B[1] - A[1]) - ey * (B[0] - A[0])) <= tol:  # B's apex on A's edge line
                for kb in (0, 2):
                    if _piece_exists(B[4], kb):
                        bx, by = _tangent(B, kb, 0.0)
                        if abs(ex * by - ey * bx) <= _PARALLEL:
                            may_coincide = True
        for i in range(n - 1):
            t0 = ts[i]
            t1 = ts[i + 1]
            if t1 - t0 <= 1e-15:
                continue
            tm = 0.5 * (t0 + t1)
            if k == 1:  # one cos/sin for both the midpoint and the tangent of an arc
                c = math.cos(A[3] + tm * A[4])
                s = math.sin(A[3] + tm * A[4])
                x = A[0] + A[2] * c
                y = A[1] + A[2] * s
                tx = -s
                ty = c
            else:
                x, y = _point(A, k, tm)
                tx, ty = _tangent(A, k, tm)
            along = _coincidence(B, x, y, tx, ty, tol) if may_coincide else 0
            if along == 1:
                keep = a_owns_shared
            elif along == -1:
                keep = False
            else:
                keep = _piece_inside(A, k, t0, t1, B, thr, x, y)
            if keep:
                total += _line_integral(A, k, t0, t1)
    return total


@njit(cache=True, error_model="numpy")
def _intersection_area(ax, ay, ah, afov, ar, bx, by, bh, bfov, br, A, B, cuts, counts, tmp):
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
        _boundary_inside(A, B, True, scale, cuts, counts, 0)
        + _boundary_inside(B, A, False, scale, cuts, counts, 1)
    )
    return min(max(area, 0.0), min(0.5 * ar * ar * afov, 0.5 * br * br * bfov))


@njit(cache=True, error_model="numpy")
def sector_overlap_batch(ax, ay, ah, afov, ar, bx, by, bh, bfov, br, measure_ioa, out):
    """Overlap for n pairs of sectors (1-D float64 arrays of equal length, radians, metres)."""
    A = np.empty(9)
    B = np.empty(9)
    cuts = np.empty((2, 3, 8))
    counts = np.empty((2, 3), np.int64)
    tmp = np.empty(4)
    for i in range(out.shape[0]):
        inter = _intersection_area(
            ax[i], ay[i], ah[i], afov[i], ar[i], bx[i], by[i], bh[i], bfov[i], br[i],
            A, B, cuts, counts, tmp,
        )
        area_a = 0.5 * ar[i] * ar[i] * afov[i]
        if measure_ioa:
            v = inter / area_a
        else:
            v = inter / (area_a + 0.5 * br[i] * br[i] * bfov[i] - inter)
        out[i] = min(max(v, 0.0), 1.0)
    return out
