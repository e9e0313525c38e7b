"""The exact sector-overlap kernel against the shapely reference, and its properties."""

from __future__ import annotations

import math

import numpy as np
import pytest

import naive
from cases import random_cases, tangent_cases
from fovlabel import ConfigError
from fovlabel.geometry.sector import sector_overlap

TOL = 1e-6


def test_matches_shapely_reference_on_10000_pairs():
    n = 10_000
    ha, fa, ra, xb, yb, hb, fb, rb = random_cases(n, seed=7)
    iou = sector_overlap(0.0, 0.0, ha, xb, yb, hb, fov_deg_a=fa, radius_m_a=ra, fov_deg_b=fb,
                         radius_m_b=rb, measure="iou")
    ioa = sector_overlap(0.0, 0.0, ha, xb, yb, hb, fov_deg_a=fa, radius_m_a=ra, fov_deg_b=fb,
                         radius_m_b=rb, measure="ioa")
    ref_iou, ref_ioa = naive.sector_overlaps_many(np.zeros(n), np.zeros(n), ha, fa, ra, xb, yb, hb, fb, rb)
    err_iou = np.abs(iou - ref_iou)
    err_ioa = np.abs(ioa - ref_ioa)
    worst = int(np.argmax(err_iou))
    assert err_iou.max() <= TOL, (worst, ha[worst], fa[worst], ra[worst], xb[worst], yb[worst],
                                  hb[worst], fb[worst], rb[worst], iou[worst], ref_iou[worst])
    assert err_ioa.max() <= TOL
    assert (iou > 0).mean() > 0.4  # the sample is not mostly trivial zeros


@pytest.mark.parametrize(
    "case, expected",
    [
        # identical cameras
        (dict(xb=0, yb=0, ha=37, hb=37, fa=90, fb=90), 1.0),
        (dict(xb=0, yb=0, ha=0, hb=0, fa=360, fb=360), 1.0),
        (dict(xb=0, yb=0, ha=300, hb=300, fa=250, fb=250), 1.0),
        # nested: fov 30 inside 90, same radius -> iou = 30/90
        (dict(xb=0, yb=0, ha=10, hb=10, fa=30, fb=90), 1 / 3),
        # a sector inside the full disk of the same radius
        (dict(xb=0, yb=0, ha=10, hb=200, fa=90, fb=360), 0.25),
        # same apex, edges touching: headings 0 and 90 with fov 90 share only the edge at 45°
        (dict(xb=0, yb=0, ha=0, hb=90, fa=90, fb=90), 0.0),
        # same apex, opposite headings, fov 180 each: two half-disks, touching along a diameter
        (dict(xb=0, yb=0, ha=0, hb=180, fa=180, fb=180), 0.0),
        # same apex, opposite headings, fov 270 each: each misses the 90° wedge the other is
        # centred on, so they share 180° of the disk and cover all of it: 180/360
        (dict(xb=0, yb=0, ha=0, hb=180, fa=270, fb=270), 0.5),
        # discs touching externally
        (dict(xb=100, yb=0, ha=90, hb=270, fa=360, fb=360), 0.0),
        # far apart
        (dict(xb=1000, yb=0, ha=90, hb=270, fa=90, fb=90), 0.0),
    ],
)
def test_named_cases(case, expected):
    value = sector_overlap(0, 0, case["ha"], case["xb"], case["yb"], case["hb"],
                           fov_deg_a=case["fa"], fov_deg_b=case["fb"], radius_m_a=50.0)
    assert value == pytest.approx(expected, abs=1e-12)


def test_full_disks_equal_the_lens_formula():
    # Two full disks: the closed-form lens area checks the arc integration exactly.
    r, d = 50.0, np.linspace(0.0, 99.0, 34)
    lens = 2 * r * r * np.arccos(d / (2 * r)) - 0.5 * d * np.sqrt(4 * r * r - d * d)
    expected = lens / (2 * math.pi * r * r - lens)
    got = sector_overlap(0.0, 0.0, 0.0, d, 0.0, 123.0, fov_deg_a=360.0, radius_m_a=r)
    assert np.abs(got - expected).max() < 1e-12


def test_properties_symmetry_bounds_and_rigid_motion():
    n = 2000
    ha, fa, ra, xb, yb, hb, fb, rb = random_cases(n, seed=11)
    kw = dict(fov_deg_a=fa, radius_m_a=ra, fov_deg_b=fb, radius_m_b=rb)
    ab = sector_overlap(0.0, 0.0, ha, xb, yb, hb, **kw)
    ba = sector_overlap(xb, yb, hb, 0.0, 0.0, ha, fov_deg_a=fb, radius_m_a=rb, fov_deg_b=fa, radius_m_b=ra)
    assert np.abs(ab - ba).max() < 1e-9
    assert ((ab >= 0) & (ab <= 1)).all()
    # rotate the world by theta about a far point and translate it to UTM-sized coordinates
    theta = 37.0
    c, s = math.cos(math.radians(theta)), math.sin(math.radians(theta))
    def move(x, y):  # clockwise rotation by theta (compass headings grow by theta)
        return 694_000.0 + c * x + s * y, 5_341_000.0 - s * x + c * y
    xa2, ya2 = move(np.zeros(n), np.zeros(n))
    xb2, yb2 = move(xb, yb)
    moved = sector_overlap(xa2, ya2, (ha + theta) % 360, xb2, yb2, (hb + theta) % 360, **kw)
    assert np.abs(moved - ab).max() < 1e-7
    # ioa of A in B times |A| equals ioa of B in A times |B| (both are |A∩B|)
    ioa_ab = sector_overlap(0.0, 0.0, ha, xb, yb, hb, measure="ioa", **kw)
    ioa_ba = sector_overlap(xb, yb, hb, 0.0, 0.0, ha, measure="ioa", fov_deg_a=fb, radius_m_a=rb,
                            fov_deg_b=fa, radius_m_b=ra)
    area_a, area_b = 0.5 * ra**2 * np.deg2rad(fa), 0.5 * rb**2 * np.deg2rad(fb)
    assert np.allclose(ioa_ab * area_a, ioa_ba * area_b, rtol=1e-9, atol=1e-9)


def test_overlap_falls_with_distance_and_heading_difference():
    d = np.linspace(0, 99, 50)
    along = sector_overlap(0.0, 0.0, 0.0, 0.0, d, 0.0)
    assert along[0] == pytest.approx(1.0) and (np.diff(along) <= 1e-12).all()
    turn = sector_overlap(0.0, 0.0, 0.0, 0.0, 0.0, np.linspace(0, 90, 50))
    assert (np.diff(turn) < 0).all() and turn[-1] == pytest.approx(0.0, abs=1e-12)


def test_broadcasting_and_scalars():
    out = sector_overlap(0.0, 0.0, 0.0, np.array([[0.0], [10.0]]), 0.0, np.array([0.0, 45.0, 90.0]))
    assert out.shape == (2, 3)
    assert sector_overlap(0, 0, 0, 0, 0, 0).shape == ()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(radius_m_a=0.0), "radius_m must be a finite number > 0; got 0"),
        (dict(radius_m_a=-5.0), "radius_m must be a finite number > 0; got -5"),
        (dict(fov_deg_a=0.0), r"fov_deg must be in \(0, 360\]; got 0"),
        (dict(fov_deg_a=361.0), r"fov_deg must be in \(0, 360\]; got 361"),
        (dict(measure="dice"), "measure must be one of iou, ioa; got 'dice'"),
    ],
)
def test_bad_parameters(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        sector_overlap(0, 0, 0, 1, 1, 0, **kwargs)


def test_nan_position_is_refused():
    with pytest.raises(ConfigError, match="x_b must be finite"):
        sector_overlap(0, 0, 0, np.nan, 1, 0)


def test_tangent_and_near_tangent_circles_match_the_reference():
    n = 2400
    xa, ya, ha, fa, ra, xb, yb, hb, fb, rb, external = tangent_cases(n, seed=5)
    kw = dict(fov_deg_a=fa, radius_m_a=ra, fov_deg_b=fb, radius_m_b=rb)
    iou = sector_overlap(xa, ya, ha, xb, yb, hb, measure="iou", **kw)
    ioa = sector_overlap(xa, ya, ha, xb, yb, hb, measure="ioa", **kw)
    # the reference sees what the kernel sees: B relative to A's apex, in float64
    ref_iou, ref_ioa = naive.sector_overlaps_many(np.zeros(n), np.zeros(n), ha, fa, ra, xb - xa, yb - ya,
                                                  hb, fb, rb)
    err = np.maximum(np.abs(iou - ref_iou), np.abs(ioa - ref_ioa))
    worst = int(np.argmax(err))
    assert err.max() <= TOL, (worst, xa[worst], ya[worst], ha[worst], fa[worst], ra[worst], xb[worst],
                              yb[worst], hb[worst], fb[worst], rb[worst], iou[worst], ref_iou[worst])
    # both families are really there, and internal tangency gives real overlap
    assert external.sum() > 1000 and (~external).sum() > 1000
    assert (iou[~external] > 0.01).mean() > 0.5


@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        # external tangency, centre distance one rounding step below ra + rb: truth ~0
        ((0, 0, 90, 1.9999999999999998, 0, 270), dict(fov_deg_a=90, radius_m_a=1), 0.0),
        ((0, 0, 90, 1.9999999999999998, 0, 270), dict(fov_deg_a=360, radius_m_a=1), 0.0),
        ((0, 0, 90, 2.0000000000000004, 0, 270), dict(fov_deg_a=360, radius_m_a=1), 0.0),
        # internal tangency, distance exactly |ra - rb|: the small disc inside the large one
        ((0, 0, 0, 1, 0, 90), dict(fov_deg_a=360, radius_m_a=2, fov_deg_b=360, radius_m_b=1), 0.25),
        ((0, 0, 0, -1, 0, 90), dict(fov_deg_a=360, radius_m_a=2, fov_deg_b=360, radius_m_b=1), 0.25),
        ((0, 0, 0, 0, 1, 180), dict(fov_deg_a=360, radius_m_a=1, fov_deg_b=360, radius_m_b=2), 0.25),
        # two cameras 0.2 m apart facing each other with r = 0.1: the arcs touch, nothing shared
        ((0, 0, 90, 0.2, 0, 270), dict(fov_deg_a=90, radius_m_a=0.1), 0.0),
        # the same at UTM magnitudes
        ((694000.5, 5341000.25, 90, 694000.7, 5341000.25, 270), dict(fov_deg_a=90, radius_m_a=0.1), 0.0),
        ((694000.0, 5341000.0, 0, 694001.0, 5341000.0, 90),
         dict(fov_deg_a=360, radius_m_a=2, fov_deg_b=360, radius_m_b=1), 0.25),
    ],
)
def test_tangency_named_cases(args, kwargs, expected):
    assert float(sector_overlap(*args, **kwargs)) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("heading", [360.0, -90.0, 360.5, np.nan])
def test_headings_outside_0_360_are_refused_not_wrapped(heading):
    # one rule everywhere: annotate refuses such a heading in a file, so the API does too
    with pytest.raises(ConfigError, match=r"must be (compass degrees in \[0, 360\)|finite)"):
        sector_overlap(0, 0, heading, 1, 1, 0)


def test_radius_and_positions_beyond_the_supported_range_are_refused():
    with pytest.raises(ConfigError, match=r"radius_m must be at most 1e\+07"):
        sector_overlap(0, 0, 0, 1, 1, 0, radius_m_a=1e200)
    with pytest.raises(ConfigError, match=r"x_b must be within ±1e\+08 m; got 1e\+308"):
        sector_overlap(0, 0, 0, 1e308, 1, 0)
    # the largest radius still computes right: scale invariance
    big = float(sector_overlap(0, 0, 0, 1e6, 0, 0, radius_m_a=1e7))
    small = float(sector_overlap(0, 0, 0, 1e-1, 0, 0, radius_m_a=1.0))
    assert big == pytest.approx(small, abs=1e-9)
