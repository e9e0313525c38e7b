"""Numba kernel: move depth pixels of one camera into another and check them against its depth.

For each sampled pixel (u, v) of frame a (integer coordinates: pixel centres, OpenCV), with depth z
from a's depth image: the camera point ((u - cx) z / fx, (v - cy) z / fy, z), moved into the world
by a's ``world_from_cam`` (R, t) and into b's camera by the inverse of b's; projected with b's
intrinsics to (u_b, v_b). The nearest pixel of b (integer coordinates at the centres:
floor(u_b + 0.5)) must lie inside b's image, the point in front of b, b's depth there valid and
within ``depth_tol`` (relative to the projected depth) of the projected depth. Status codes:
MATCH, NO_DEPTH_A, BEHIND_B, OUTSIDE_B, NO_DEPTH_B, OCCLUDED (depth disagrees).
"""

from __future__ import annotations

import math

from numba import njit

from ..schema import DEPTH_INVALID

NO_DEPTH, NO_READING = DEPTH_INVALID
MATCH, NO_DEPTH_A, BEHIND_B, OUTSIDE_B, NO_DEPTH_B, OCCLUDED = 0, 1, 2, 3, 4, 5


@njit(cache=True, nogil=True)
def reproject_pixels(depth_a, us, vs, fx_a, fy_a, cx_a, cy_a, units_a, R_a, t_a,
                     depth_b, fx_b, fy_b, cx_b, cy_b, units_b, R_b, t_b, depth_tol,
                     out_ub, out_vb, out_za, out_zb, out_status):
    """Fill, for every pixel (us[i], vs[i]) of a: its position (out_ub, out_vb) in b, its depth in
    a and b's measured depth at the nearest pixel (metres; NaN where none), and its status."""
    h_b, w_b = depth_b.shape
    for i in range(us.shape[0]):
        u = us[i]
        v = vs[i]
        d = depth_a[v, u]
        out_ub[i] = math.nan
        out_vb[i] = math.nan
        out_zb[i] = math.nan
        if d == NO_DEPTH or d == NO_READING:
            out_za[i] = math.nan
            out_status[i] = NO_DEPTH_A
            continue
        z = d / units_a
        out_za[i] = z
        x = (u - cx_a) * z / fx_a
        y = (v - cy_a) * z / fy_a
        wx = R_a[0, 0] * x + R_a[0, 1] * y + R_a[0, 2] * z + t_a[0] - t_b[0]
        wy = R_a[1, 0] * x + R_a[1, 1] * y + R_a[1, 2] * z + t_a[1] - t_b[1]
        wz = R_a[2, 0] * x + R_a[2, 1] * y + R_a[2, 2] * z + t_a[2] - t_b[2]
        xb = R_b[0, 0] * wx + R_b[1, 0] * wy + R_b[2, 0] * wz  # R_b transposed: world -> b
        yb = R_b[0, 1] * wx + R_b[1, 1] * wy + R_b[2, 1] * wz
        zb = R_b[0, 2] * wx + R_b[1, 2] * wy + R_b[2, 2] * wz
        if zb <= 1e-9:
            out_status[i] = BEHIND_B
            continue
        ub = fx_b * xb / zb + cx_b
        vb = fy_b * yb / zb + cy_b
        out_ub[i] = ub
        out_vb[i] = vb
        iu = math.floor(ub + 0.5)
        iv = math.floor(vb + 0.5)
        if iu < 0 or iv < 0 or iu >= w_b or iv >= h_b:
            out_status[i] = OUTSIDE_B
            continue
        db = depth_b[int(iv), int(iu)]
        if db == NO_DEPTH or db == NO_READING:
            out_status[i] = NO_DEPTH_B
            continue
        ref = db / units_b
        out_zb[i] = ref
        out_status[i] = MATCH if abs(zb - ref) <= depth_tol * zb else OCCLUDED
