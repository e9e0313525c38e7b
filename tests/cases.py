"""Sector-pair cases shared by the kernel's tests and benchmarks/accuracy_weak2d.py: random pairs
within reach plus the degenerate families, and tangent or near-tangent circles."""

from __future__ import annotations

import numpy as np


def random_cases(n, seed):
    """Random pairs within reach of each other, plus the degenerate families the kernel must get
    right: identical cameras, nested sectors, touching edges and circles, opposite headings,
    fov > 180 and fov = 360."""
    rng = np.random.default_rng(seed)
    fovs = np.array([1.0, 30.0, 60.0, 90.0, 120.0, 179.0, 180.0, 181.0, 200.0, 270.0, 359.0, 360.0])
    fa = np.where(rng.random(n) < 0.5, rng.choice(fovs, n), rng.uniform(0.5, 360.0, n))
    fb = np.where(rng.random(n) < 0.5, rng.choice(fovs, n), rng.uniform(0.5, 360.0, n))
    ra = rng.uniform(5.0, 60.0, n)
    rb = np.where(rng.random(n) < 0.3, ra, rng.uniform(5.0, 60.0, n))
    dist = rng.uniform(0.0, 1.05, n) * (ra + rb)
    ang = rng.uniform(0, 2 * np.pi, n)
    xb, yb = dist * np.cos(ang), dist * np.sin(ang)
    ha = rng.uniform(0, 360, n)
    hb = rng.uniform(0, 360, n)
    kind = rng.integers(0, 8, n)
    # 1: identical cameras
    m = kind == 1
    xb[m], yb[m], hb[m], fb[m], rb[m] = 0, 0, ha[m], fa[m], ra[m]
    # 2: nested, same apex and heading (fov 30 inside 90 and the like), radii equal or not
    m = kind == 2
    xb[m], yb[m], hb[m] = 0, 0, ha[m]
    # 3: opposite headings
    m = kind == 3
    hb[m] = (ha[m] + 180.0) % 360.0
    # 4: same apex, edges touching (headings apart by the half-openings' sum)
    m = kind == 4
    xb[m], yb[m] = 0, 0
    hb[m] = (ha[m] + (fa[m] + fb[m]) / 2) % 360.0
    # 5: circles touching externally (distance = ra + rb)
    m = kind == 5
    d = ra[m] + rb[m]
    xb[m], yb[m] = d * np.cos(ang[m]), d * np.sin(ang[m])
    # 6: same heading, B a little way along A's axis (nested-ish, shared edge directions)
    m = kind == 6
    hb[m] = ha[m]
    axis = np.deg2rad(90 - ha[m])
    step = rng.uniform(0, 1, m.sum()) * ra[m]
    xb[m], yb[m] = step * np.cos(axis), step * np.sin(axis)
    return ha, fa, ra, xb, yb, hb, fb, rb


def tangent_cases(n, seed):
    """Circles that touch or nearly touch, externally (d = ra + rb) and internally (d = |ra - rb|),
    at relative offsets from 0 (exact) through rounding (1e-16) to 1e-5; headings aimed at the
    touch point (so the arcs really meet there) or random; equal and different radii; local,
    small (radii of centimetres) and UTM-sized coordinates. Returns absolute coordinates."""
    rng = np.random.default_rng(seed)
    offsets = np.array([0.0, 1e-16, -1e-16, 2.2e-16, -2.2e-16, 1e-12, -1e-12, 1e-9, -1e-9,
                        1e-7, -1e-7, 1e-5, -1e-5])
    fovs = np.array([30.0, 60.0, 90.0, 120.0, 180.0, 200.0, 270.0, 360.0])
    external = rng.random(n) < 0.5
    scale = np.where(rng.random(n) < 0.25, 0.01, 1.0)  # a quarter with radii of centimetres
    ra = rng.uniform(1.0, 60.0, n) * scale
    equal = external & (rng.random(n) < 0.4)
    rb = np.where(equal, ra, rng.uniform(1.0, 60.0, n) * scale)
    rb = np.where(~external & (np.abs(ra - rb) < 0.05 * ra), rb * 0.5, rb)  # internal: distinct radii
    eps = rng.choice(offsets, n)
    d = np.where(external, ra + rb, np.abs(ra - rb)) * (1.0 + eps)
    ang = rng.uniform(0, 2 * np.pi, n)
    ux, uy = np.cos(ang), np.sin(ang)
    fa = rng.choice(fovs, n)
    fb = rng.choice(fovs, n)
    towards = 90.0 - np.degrees(ang)  # compass bearing of the direction u from A to B
    aimed = rng.random(n) < 0.8
    # exactly aimed (no jitter) puts the touch point at the arc's midpoint, where a kernel that
    # judges a piece by its midpoint alone goes wrong
    exact = rng.random(n) < 0.5
    jitter_a = np.where(exact, 0.0, rng.uniform(-0.45, 0.45, n) * fa)
    jitter_b = np.where(exact, 0.0, rng.uniform(-0.45, 0.45, n) * fb)
    # the touch point lies along u from A; from B it lies along -u (external) or along u when B's
    # circle is inside A's (ra > rb), along -u when A's is inside B's (internal, ra < rb)
    b_dir = np.where(external | (ra < rb), towards + 180.0, towards)
    ha = np.where(aimed, towards + jitter_a, rng.uniform(0, 360, n)) % 360.0
    hb = np.where(aimed, b_dir + jitter_b, rng.uniform(0, 360, n)) % 360.0
    utm = rng.random(n) < 0.35
    xa = np.where(utm, rng.uniform(2e5, 8e5, n), 0.0)
    ya = np.where(utm, rng.uniform(1e6, 9e6, n), 0.0)
    return xa, ya, ha, fa, ra, xa + d * ux, ya + d * uy, hb, fb, rb, external


#: view angles the view-consistent kernel must get right: near 0, 90 and 180 degrees, and between
SPECIAL_VIEW_ANGLES = np.array([0.01, 0.1, 1.0, 10.0, 30.0, 45.0, 60.0, 89.0, 89.99, 89.9999, 90.0, 90.0001,
                                90.01, 91.0, 120.0, 150.0, 179.0, 179.9, 179.99, 180.0])


def view_cases(n, seed):
    """Pairs for the view-consistent overlap: :func:`random_cases` (identical cameras, nested,
    opposite, touching edges and circles, along the axis) plus collinear cameras (both apexes and
    headings on one line, facing the same way or each other), each with a view angle θ: half of
    them one of SPECIAL_VIEW_ANGLES, half uniform in (0, 180). Returns A at the origin:
    (ha, fa, ra, xb, yb, hb, fb, rb, theta_deg)."""
    ha, fa, ra, xb, yb, hb, fb, rb = random_cases(n, seed)
    rng = np.random.default_rng(seed + 1)
    collinear = rng.random(n) < 0.12
    bearing = rng.uniform(0, 360, n)
    dist = rng.uniform(0.0, 1.0, n) * (ra + rb)
    xb = np.where(collinear, dist * np.sin(np.radians(bearing)), xb)
    yb = np.where(collinear, dist * np.cos(np.radians(bearing)), yb)
    facing = rng.random(n) < 0.5
    ha = np.where(collinear, bearing, ha)
    hb = np.where(collinear, np.where(facing, (bearing + 180.0) % 360.0, bearing), hb)
    theta = np.where(rng.random(n) < 0.5, rng.choice(SPECIAL_VIEW_ANGLES, n), rng.uniform(0.5, 179.5, n))
    return ha, fa, ra, xb, yb, hb, fb, rb, theta
