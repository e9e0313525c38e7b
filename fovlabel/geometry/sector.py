"""Overlap of two cameras' 2D fields of view, each a circular sector.

Conventions (see :mod:`fovlabel.schema`): apex ``(x_m, y_m)`` in metres, heading in degrees
clockwise from the frame's +y axis (compass / grid north), ``fov_deg`` in (0, 360], ``radius_m`` > 0.
The area is exact: arcs are integrated as arcs (Green's theorem), not approximated by polygons.

The view-consistent overlap (``max_view_angle_deg`` θ) counts only the part of A ∩ B that both
cameras see from similar directions: a ground point p counts when the angle A-p-B between its rays
to the two apexes is at most θ. overlap = |A ∩ B ∩ V_θ| / |A ∪ B| (iou; the union is unchanged) or
/ |A| (ioa). It is never larger than the plain overlap, equal to it at θ = 180°, and for identical
apexes (every point seen under the angle 0) equal to it too. Two cameras facing each other share
their sectors' middle, but see it from opposite sides: there the angle is near 180°, and it does
not count. The region V_θ is bounded by circular arcs (the inscribed-angle circles through A and
B), so the area stays exact (geometry/_sector_kernel.py; the view-consistent one in _view_kernel.py).
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..schema import MAX_COORDINATE_M, MAX_RADIUS_M, check_heading_deg, compass_to_math_rad

MEASURES = ("iou", "ioa")


def check_measure(measure: str) -> bool:
    """Return True for "ioa", False for "iou"; raise ConfigError for anything else."""
    if measure not in MEASURES:
        raise ConfigError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    return measure == "ioa"


def check_fov_radius(fov_deg, radius_m, *, what: str = ""):
    """Validate FoV in (0, 360] and radius > 0 (scalars or arrays); return them as float64 arrays."""
    fov = np.asarray(fov_deg, dtype=np.float64)
    radius = np.asarray(radius_m, dtype=np.float64)
    suffix = f" ({what})" if what else ""
    bad = ~((fov > 0.0) & (fov <= 360.0))
    if bad.any():
        value = fov.flat[int(np.flatnonzero(bad.ravel())[0])]
        raise ConfigError(f"fov_deg must be in (0, 360]; got {value:g}{suffix}")
    bad = ~((radius > 0.0) & np.isfinite(radius))
    if bad.any():
        value = radius.flat[int(np.flatnonzero(bad.ravel())[0])]
        raise ConfigError(f"radius_m must be a finite number > 0; got {value:g}{suffix}")
    bad = radius > MAX_RADIUS_M
    if bad.any():
        value = radius.flat[int(np.flatnonzero(bad.ravel())[0])]
        raise ConfigError(f"radius_m must be at most {MAX_RADIUS_M:g} (10,000 km); got {value:g}{suffix}")
    return fov, radius


def check_view_angle(max_view_angle_deg) -> float | None:
    """The view angle θ in radians (None: off); it must be a number in (0, 180]."""
    if max_view_angle_deg is None:
        return None
    value = float(max_view_angle_deg)
    if not (0.0 < value <= 180.0):
        raise ConfigError(f"max_view_angle_deg must be in (0, 180] degrees; got {value:g}")
    return float(np.deg2rad(value))


def _overlap_kernel(ax, ay, ah, afov, ar, bx, by, bh, bfov, br, ioa, theta, out):
    """The plain kernel, or the view-consistent one when θ (radians) is given."""
    from ._sector_kernel import sector_overlap_batch
    from ._view_kernel import view_overlap_batch

    if theta is None:
        return sector_overlap_batch(ax, ay, ah, afov, ar, bx, by, bh, bfov, br, ioa, out)
    return view_overlap_batch(ax, ay, ah, afov, ar, bx, by, bh, bfov, br, theta, ioa, out)


def sector_overlap(
    x_a, y_a, heading_deg_a, x_b, y_b, heading_deg_b,
    *, fov_deg_a=90.0, radius_m_a=50.0, fov_deg_b=None, radius_m_b=None, measure="iou",
    max_view_angle_deg=None,
):
    """Overlap of sector pairs, broadcast over all array arguments.

    ``fov_deg_b``/``radius_m_b`` default to the A values. ``max_view_angle_deg``: count only the
    points both cameras see from directions at most this far apart (module docstring; None: the
    plain overlap). Returns float64 in [0, 1] with the broadcast shape (a 0-d array for scalar
    inputs).
    """
    ioa = check_measure(measure)
    theta = check_view_angle(max_view_angle_deg)
    fov_deg_b = fov_deg_a if fov_deg_b is None else fov_deg_b
    radius_m_b = radius_m_a if radius_m_b is None else radius_m_b
    fa, ra = check_fov_radius(fov_deg_a, radius_m_a, what="camera a")
    fb, rb = check_fov_radius(fov_deg_b, radius_m_b, what="camera b")
    arrays = [np.asarray(v, dtype=np.float64) for v in (x_a, y_a, heading_deg_a, x_b, y_b, heading_deg_b)]
    for name, arr in zip(("x_a", "y_a", "heading_deg_a", "x_b", "y_b", "heading_deg_b"), arrays):
        if not np.isfinite(arr).all():
            raise ConfigError(f"{name} must be finite; found NaN or inf")
        if name.startswith("heading"):
            check_heading_deg(arr, name)
        elif (np.abs(arr) > MAX_COORDINATE_M).any():
            value = arr.flat[int(np.flatnonzero(np.abs(arr).ravel() > MAX_COORDINATE_M)[0])]
            raise ConfigError(f"{name} must be within ±{MAX_COORDINATE_M:g} m; got {value:g}")
    arrays = [*arrays, fa, ra, fb, rb]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    xa, ya, ha, xb, yb, hb, fa, ra, fb, rb = (_flat(a, shape) for a in arrays)
    out = np.empty(xa.shape[0], dtype=np.float64)
    _overlap_kernel(xa, ya, compass_to_math_rad(ha), np.deg2rad(fa), ra,
                    xb, yb, compass_to_math_rad(hb), np.deg2rad(fb), rb, ioa, theta, out)
    return out.reshape(shape)


def _flat(a: np.ndarray, shape) -> np.ndarray:
    """1-D contiguous float64 of ``a`` broadcast to ``shape``: the array itself where it already
    has that shape, else a real copy (numba must not be handed broadcast views)."""
    if a.shape == shape:
        return np.ascontiguousarray(a).ravel()
    return np.broadcast_to(a, shape).copy().ravel()


class Sectors:
    """One validated sector per frame, kept in the kernel's units (headings as radians
    counter-clockwise from +x, openings in radians): validated and converted once per frame, so
    that labelling millions of pairs only gathers and calls the kernel.

    Frames outside ``usable`` are not validated (they may lack a position) and must not be paired.
    """

    def __init__(self, x_m, y_m, heading_deg, fov_deg, radius_m, usable=None):
        arrays = [np.asarray(v, np.float64) for v in (x_m, y_m, heading_deg, fov_deg, radius_m)]
        n = len(arrays[0])
        usable = np.ones(n, bool) if usable is None else np.asarray(usable, bool)
        x, y, h, f, r = (np.broadcast_to(a, (n,)) for a in arrays)
        for name, v in (("x_m", x), ("y_m", y)):
            bad = usable & ~(np.abs(v) <= MAX_COORDINATE_M)
            if bad.any():
                raise ConfigError(f"{name} must be finite and within ±{MAX_COORDINATE_M:g} m; got "
                                  f"{v[np.flatnonzero(bad)[0]]:g}")
        check_heading_deg(h[usable])
        check_fov_radius(f[usable], r[usable])
        self.x_m = np.ascontiguousarray(np.where(usable, x, 0.0))
        self.y_m = np.ascontiguousarray(np.where(usable, y, 0.0))
        self.theta_rad = np.ascontiguousarray(np.where(usable, compass_to_math_rad(np.where(usable, h, 0.0)), 0.0))
        self.fov_rad = np.ascontiguousarray(np.deg2rad(np.where(usable, f, 90.0)))
        self.radius_m = np.ascontiguousarray(np.where(usable, r, 1.0))

    def overlap(self, a, b, measure: str = "iou", max_view_angle_deg=None) -> np.ndarray:
        """Overlap of the sector pairs (a[i], b[i]) (frame indices); ``max_view_angle_deg`` as
        :func:`sector_overlap`."""
        ioa = check_measure(measure)
        theta = check_view_angle(max_view_angle_deg)
        out = np.empty(len(a), dtype=np.float64)
        if len(a):
            _overlap_kernel(self.x_m[a], self.y_m[a], self.theta_rad[a], self.fov_rad[a], self.radius_m[a],
                            self.x_m[b], self.y_m[b], self.theta_rad[b], self.fov_rad[b], self.radius_m[b],
                            ioa, theta, out)
        return out
