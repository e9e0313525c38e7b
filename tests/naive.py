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
