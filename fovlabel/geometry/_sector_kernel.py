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
def _set_arc(S, cx, cy, r, a0, span, cos0, sin0, cos1, sin1):
    """_set_sector with the cosines and sines of the ends already known."""
    S[0] = cx
    S[1] = cy
    S[2] = r
    S[3] = a0 % TWO_PI
    S[4] = span
    S[5] = cos0
    S[6] = sin0
    S[7] = cos1
    S[8] = sin1


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
def _line_circle(px, py, qx, qy, cx, cy, r, touch, out):
    """Parameters t of the points p + t (q - p) on the circle; returns how many (0 or 2). A chord
    shorter than ``touch`` (a length) is a touch, not a crossing."""
    dx = qx - px
    dy = qy - py
    fx = px - cx
    fy = py - cy
    a = dx * dx + dy * dy
    b = 2.0 * (fx * dx + fy * dy)
    c = fx * fx + fy * fy - r * r
    disc = b * b - 4.0 * a * c
    if disc < 0.0 or a == 0.0 or disc < a * touch * touch:  # chord = sqrt(disc / a)
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
def _reset_cuts(cuts, counts, n_shapes):
    """Every piece of every shape starts with its two ends as cuts."""
    for side in range(n_shapes):
        for k in range(3):
            cuts[side, k, 0] = 0.0
            cuts[side, k, 1] = 1.0
            counts[side, k] = 2


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
