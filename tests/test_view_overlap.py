"""The view-consistent 2D overlap (max_view_angle_deg): exact against rigorous polygon bounds and a
Monte-Carlo check of the definition, its properties, and what it does on the real Munich drive."""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import naive
from cases import SPECIAL_VIEW_ANGLES, tangent_cases, view_cases
from conftest import MUNICH, shared
from fovlabel import annotate, weak_fov_overlap
from fovlabel.errors import ConfigError
from fovlabel.geometry.sector import sector_overlap


def _kernel(xa, ya, ha, fa, ra, xb, yb, hb, fb, rb, theta, measure="iou"):
    """The kernel on many pairs with one view angle each (one call per distinct angle)."""
    out = np.empty(len(ha))
    for t in np.unique(theta):
        m = theta == t
        out[m] = sector_overlap(np.broadcast_to(xa, m.shape)[m], np.broadcast_to(ya, m.shape)[m], ha[m],
                                xb[m], yb[m], hb[m], fov_deg_a=fa[m], radius_m_a=ra[m], fov_deg_b=fb[m],
                                radius_m_b=rb[m], measure=measure, max_view_angle_deg=float(t))
    return out


def _bounds(args):
    xa, ya, ha, fa, ra, xb, yb, hb, fb, rb, th, n = args
    return naive.view_overlap_bounds(xa, ya, ha, fa, ra, xb, yb, hb, fb, rb, th, n=n)


def _reference(xa, ya, ha, fa, ra, xb, yb, hb, fb, rb, th):
    """Bounds [lo, hi] of every pair: 4,096 polygon points a full turn, pairs whose bounds are
    wider than 1e-6 again with 16,384; in two processes (the machine's two cores)."""
    n = len(ha)
    xa, ya = np.broadcast_to(xa, (n,)), np.broadcast_to(ya, (n,))
    cols = (xa, ya, ha, fa, ra, xb, yb, hb, fb, rb, th)
    half = np.array_split(np.arange(n), 2)
    with ProcessPoolExecutor(2) as pool:
        parts = list(pool.map(_bounds, [tuple(c[h] for c in cols) + (4096,) for h in half]))
        lo, hi = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        wide = np.flatnonzero(hi - lo > 1e-6)
        if len(wide):
            split = np.array_split(wide, 2)
            fine = list(pool.map(_bounds, [tuple(c[h] for c in cols) + (16384,) for h in split if len(h)]))
            for h, (flo, fhi) in zip([h for h in split if len(h)], fine):
                lo[h], hi[h] = flo, fhi
    return lo, hi


def test_kernel_is_within_1e6_of_the_truth_on_10000_pairs():
    """10,000 pairs: 9,000 random (identical apexes, nested, opposite, touching, collinear cameras;
    θ near 0, 90 and 180 and between) and 1,000 tangent and near-tangent circle pairs. The true
    value lies in [lo, hi], and the kernel lies within 1e-6 of both ends, so within 1e-6 of it."""
    ha, fa, ra, xb, yb, hb, fb, rb, th = view_cases(9_000, seed=11)
    txa, tya, tha, tfa, tra, txb, tyb, thb, tfb, trb, _ = tangent_cases(1_000, seed=12)
    tth = np.random.default_rng(13).choice(SPECIAL_VIEW_ANGLES, 1_000)
    # tangent cases come with UTM-sized coordinates: the reference polygons are built relative to A
    xa = np.r_[np.zeros(9_000), np.zeros(1_000)]
    ya = xa.copy()
    cols = [np.r_[u, v] for u, v in ((ha, tha), (fa, tfa), (ra, tra), (xb, txb - txa), (yb, tyb - tya),
                                    (hb, thb), (fb, tfb), (rb, trb), (th, tth))]
    ha, fa, ra, xb, yb, hb, fb, rb, th = cols
    lo, hi = _reference(xa, ya, ha, fa, ra, xb, yb, hb, fb, rb, th)
    k = _kernel(xa, ya, ha, fa, ra, xb, yb, hb, fb, rb, th)
    k_utm = _kernel(np.r_[np.zeros(9_000), txa], np.r_[np.zeros(9_000), tya], ha, fa, ra,
                    xb + np.r_[np.zeros(9_000), txa], yb + np.r_[np.zeros(9_000), tya], hb, fb, rb, th)
    assert (hi - lo).max() <= 1e-6, f"reference too coarse: width {(hi - lo).max():.2e}"
    err = np.maximum(hi - k, k - lo)
    worst = int(np.argmax(err))
    assert err.max() <= 1e-6, (f"kernel {k[worst]:.9f} outside [{lo[worst]:.9f}, {hi[worst]:.9f}]: "
                               f"{dict(ha=ha[worst], fa=fa[worst], ra=ra[worst], xb=xb[worst], yb=yb[worst], hb=hb[worst], fb=fb[worst], rb=rb[worst], th=th[worst])}")
    assert np.abs(k_utm - k).max() <= 1e-6  # the same pairs placed at UTM-sized coordinates
    # the cases really cover what they claim
    assert (th <= 0.1).sum() > 200 and (np.abs(th - 90) <= 0.01).sum() > 500 and (th >= 179.9).sum() > 500
    assert ((xb == 0) & (yb == 0)).sum() > 500  # identical apexes
    assert ((k > 0.01) & (k < 0.99)).sum() > 3000


def test_monte_carlo_agrees_with_the_kernel():
    """An independent check of the definition itself: random points tested for 'inside A, inside B,
    angle A-p-B <= θ' directly, no discs."""
    ha, fa, ra, xb, yb, hb, fb, rb, th = view_cases(120, seed=21)
    k = _kernel(0.0, 0.0, ha, fa, ra, xb, yb, hb, fb, rb, th)
    for i in range(len(ha)):
        mc, se = naive.view_overlap_monte_carlo(0.0, 0.0, ha[i], fa[i], ra[i], xb[i], yb[i], hb[i], fb[i], rb[i],
                                                th[i], 200_000, seed=i)
        assert abs(mc - k[i]) <= 5 * se + 2e-3, (i, mc, se, k[i])


def test_properties():
    rng = np.random.default_rng(5)
    ha, fa, ra, xb, yb, hb, fb, rb, th = view_cases(3000, seed=31)
    view = _kernel(0.0, 0.0, ha, fa, ra, xb, yb, hb, fb, rb, th)
    plain = sector_overlap(0.0, 0.0, ha, xb, yb, hb, fov_deg_a=fa, radius_m_a=ra, fov_deg_b=fb, radius_m_b=rb)
    swapped = _kernel(xb, yb, hb, fb, rb, np.zeros_like(xb), np.zeros_like(yb), ha, fa, ra, th)
    assert np.abs(view - swapped).max() <= 1e-9  # iou is symmetric
    assert (view <= plain + 1e-12).all()  # never more than the plain overlap
    full = _kernel(0.0, 0.0, ha, fa, ra, xb, yb, hb, fb, rb, np.full_like(th, 180.0))
    assert np.array_equal(full, plain)  # θ = 180°: the plain overlap
    # a rigid motion: rotate everything by φ about a far point and shift it to UTM-sized coordinates
    phi = rng.uniform(0, 360)
    c, s = math.cos(math.radians(phi)), math.sin(math.radians(phi))
    x0, y0 = 512_345.0, 5_412_345.0

    def move(x, y):  # clockwise by φ, as a compass bearing turns
        return x0 + c * x + s * y, y0 - s * x + c * y

    axm, aym = move(np.zeros_like(xb), np.zeros_like(yb))
    bxm, bym = move(xb, yb)
    moved = _kernel(axm, aym, (ha + phi) % 360, fa, ra, bxm, bym, (hb + phi) % 360, fb, rb, th)
    assert np.abs(moved - view).max() <= 1e-6
    # monotone in θ: a wider view angle never counts less
    order = _kernel(0.0, 0.0, ha, fa, ra, xb, yb, hb, fb, rb, np.full_like(th, 60.0))
    wider = _kernel(0.0, 0.0, ha, fa, ra, xb, yb, hb, fb, rb, np.full_like(th, 61.0))
    assert (wider >= order - 1e-12).all()


def test_identical_apexes_and_facing_cameras():
    # identical apexes: every point sees them under the angle 0, so nothing is excluded
    assert weak_fov_overlap(0, 0, 10, 0, 0, 40, max_view_angle_deg=1.0) == pytest.approx(
        weak_fov_overlap(0, 0, 10, 0, 0, 40), abs=1e-15)
    # two cameras facing each other 60 m apart (the 2D model's false positive) share nothing at 60°
    assert weak_fov_overlap(0, 0, 0, 0, 60, 180) > 0.6
    assert weak_fov_overlap(0, 0, 0, 0, 60, 180, max_view_angle_deg=60) == 0.0
    # one camera a few metres behind the other, same heading: nearly all of it stays
    plain = weak_fov_overlap(0, 0, 0, 0, 5, 0)
    assert weak_fov_overlap(0, 0, 0, 0, 5, 0, max_view_angle_deg=60) == pytest.approx(plain, abs=1e-3)
    for bad in (0.0, -5.0, 180.5, float("nan")):
        with pytest.raises(ConfigError, match="max_view_angle_deg must be in"):
            weak_fov_overlap(0, 0, 0, 5, 0, 0, max_view_angle_deg=bad)


def test_the_overlap_command_takes_it():
    from conftest import cli

    assert cli("overlap", "--a", "0,0,0", "--b", "0,60,180").output.strip() == "0.676053"
    assert cli("overlap", "--a", "0,0,0", "--b", "0,60,180", "--max-view-angle-deg", "60").output.strip() == "0.000000"
    result = cli("overlap", "--a", "0,0,0", "--b", "5,0,0", "--max-view-angle-deg", "200")
    assert result.exit_code == 2 and "max_view_angle_deg must be in (0, 180]" in result.output


def test_ioa_view_directions():
    a = weak_fov_overlap(0, 0, 0, 3, 4, 20, fov_deg=60, fov_deg_b=120, measure="ioa", max_view_angle_deg=45)
    b = weak_fov_overlap(3, 4, 20, 0, 0, 0, fov_deg=120, fov_deg_b=60, measure="ioa", max_view_angle_deg=45)
    iou = weak_fov_overlap(0, 0, 0, 3, 4, 20, fov_deg=60, fov_deg_b=120, max_view_angle_deg=45)
    # the same counted area over |A| and over |B|: their ratio is |B| / |A|
    assert a / b == pytest.approx(120 / 60, rel=1e-9) and iou < min(a, b)


# -- on the real Munich drive --------------------------------------------------------------------


@pytest.fixture(scope="module")
def munich():
    data = shared(MUNICH)
    plain = annotate(data, "msls", preset="msls")
    view = annotate(data, "msls", preset="msls-view")
    return plain, view


def test_munich_facing_pairs_are_gone_and_the_rest_stay(munich):
    plain, view = munich
    positives = view[view["rank"] == 2]
    assert (positives["heading_diff_deg"] <= 90).all()  # no rank-2 pair facing another way
    best = view.sort_values("overlap", ascending=False).groupby("frame_a").head(1)
    assert (best["distance_m"] <= 12).all()  # every query's best match within 12 m
    old = plain[(plain["rank"] == 2) & (plain["heading_diff_deg"] <= 90)]
    kept = old.merge(positives, on=["frame_a", "frame_b"])
    assert len(kept) >= 0.95 * len(old)
    facing_before = plain[(plain["rank"] == 2) & (plain["heading_diff_deg"] > 90)]
    assert len(facing_before) > 20  # the false positives were there


def test_the_preset_and_the_metadata(tmp_path):
    from fovlabel.config import PRESETS

    assert PRESETS["msls-view"]["max_view_angle_deg"] == 60.0
    assert "max_view_angle_deg" not in PRESETS["msls"]  # msls stays as it is, for GCL
    from conftest import SAMPLE
    from fovlabel import read_pairs

    annotate(SAMPLE, "msls", preset="msls-view", out=tmp_path / "l")
    meta = read_pairs(tmp_path / "l").attrs["fovlabel"]
    assert meta["params"]["max_view_angle_deg"] == 60.0
    with pytest.raises(ConfigError, match="cloud3d does not take max_view_angle_deg"):
        annotate(SAMPLE, "msls", labeller="cloud3d", max_view_angle_deg=60.0)


def test_strong2d_takes_it_too():
    from conftest import SHARED

    data = shared(SHARED / "rgbd" / "7scenes_stairs_native")
    plain = annotate(data, "7scenes", labeller="strong2d", preset="tb-places")
    view = annotate(data, "7scenes", labeller="strong2d", preset="tb-places", max_view_angle_deg=30.0)
    both = plain.merge(view, on=["frame_a", "frame_b"], how="left", suffixes=("", "_view")).fillna(0.0)
    assert (both["overlap_view"] <= both["overlap"] + 1e-7).all() and len(view) > 0
