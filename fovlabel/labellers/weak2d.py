"""Weak 2D FoV overlap: sectors from metric position + grid heading (GPS/UTM + compass).

Each frame's view is a sector with apex at (x_m, y_m), centred on ``grid_heading_deg``, opening
the frame's ``fov_deg`` (or the run's), radius ``radius_m``. Overlap per ``config.measure``.
"""

from __future__ import annotations

import numpy as np

from ..geometry.sector import sector_overlap


def frame_arrays(frames, config) -> dict:
    fov = frames["fov_deg"].to_numpy(dtype=np.float64, na_value=np.nan)
    fov = np.where(np.isnan(fov), config.fov_deg, fov)
    return {
        "x_m": frames["x_m"].to_numpy(np.float64),
        "y_m": frames["y_m"].to_numpy(np.float64),
        "heading_deg": frames["grid_heading_deg"].to_numpy(np.float64),
        "fov_deg": fov,
        "radius_m": np.full(len(frames), float(config.radius_m)),
    }


def radius_m(arrays) -> np.ndarray:
    return arrays["radius_m"]


def overlap(arrays, a, b, config) -> np.ndarray:
    x, y, h, f, r = (arrays[k] for k in ("x_m", "y_m", "heading_deg", "fov_deg", "radius_m"))
    # Coordinates relative to the pair's first apex keep UTM-sized numbers out of the products.
    return sector_overlap(
        np.zeros(len(a)), np.zeros(len(a)), h[a], x[b] - x[a], y[b] - y[a], h[b],
        fov_deg_a=f[a], radius_m_a=r[a], fov_deg_b=f[b], radius_m_b=r[b], measure=config.measure,
    )
