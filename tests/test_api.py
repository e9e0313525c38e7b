"""The Python API: cheap import, scalar and array use."""

import subprocess
import sys

import numpy as np
import pytest

import fovlabel


def test_import_is_cheap():
    code = ("import sys, fovlabel; heavy = [m for m in ('numba', 'pyproj', 'scipy', 'open3d', 'pandas') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_weak_fov_overlap_scalars_and_arrays():
    assert fovlabel.weak_fov_overlap(0, 0, 0, 0, 0, 0) == pytest.approx(1.0)
    assert isinstance(fovlabel.weak_fov_overlap(0, 0, 0, 0, 10, 0), float)
    many = fovlabel.weak_fov_overlap(0, 0, 0, np.zeros(5), np.arange(5) * 5.0, 0, radius_m=30)
    assert many.shape == (5,) and (np.diff(many) < 0).all()
    per_camera = fovlabel.weak_fov_overlap(0, 0, 0, 0, 0, 0, fov_deg=30, fov_deg_b=np.array([30, 60, 120]))
    assert per_camera == pytest.approx([1.0, 0.5, 0.25])


def test_public_names_resolve():
    for name in fovlabel.__all__:
        assert getattr(fovlabel, name) is not None
