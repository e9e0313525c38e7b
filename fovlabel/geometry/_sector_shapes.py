"""Numba kernel, first part: the sector shapes and where two boundaries cross.

The representation (see _sector_kernel's docstring): a sector is a float64 record ``(cx, cy, r,
a0, span, cos a0, sin a0, cos a1, sin a1)`` in a frame whose origin is A's apex; its boundary
pieces are 0 = edge apex -> arc start, 1 = arc, 2 = edge arc end -> apex. Here: the tolerances,
the pieces' points and tangents, the separating-axis test, and the crossings of two boundaries
(line-circle, circle-circle), recorded as cuts on the pieces they lie on. Numba caches each
kernel by its own file: after editing this module, clear the ``__pycache__`` of its callers too.
"""

from __future__ import annotations

import math

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


