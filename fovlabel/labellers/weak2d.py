"""Weak 2D FoV overlap: sectors from metric position + grid heading (GPS/UTM + compass).

Each frame's view is a sector with apex at (x_m, y_m), centred on ``grid_heading_deg``, opening
the frame's ``fov_deg`` (or the run's), radius ``radius_m``. Overlap per ``config.measure``.
The strong 2D labeller places the same sectors from 6DoF poses and then uses these functions.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .. import schema
from ..errors import ConfigError
from ..geometry.ground import fov_from_intrinsics_deg
from ..geometry.sector import sector_overlap
from ..pairs import candidate_pairs

PAIRS_SCHEMA = schema.PAIRS_SCHEMA


def resolve_fov(frames, config):
    """Frames with ``fov_deg`` filled for ``fov_deg="intrinsics"`` (a number stays per run)."""
    if config.fov_deg != "intrinsics":
        return frames
    fx = frames["fx"].to_numpy(np.float64, na_value=np.nan) if config.fx is None else np.full(len(frames), config.fx)
    width = (frames["width"].to_numpy(np.float64, na_value=np.nan) if config.width is None
             else np.full(len(frames), config.width))
    missing = ~(np.isfinite(fx) & np.isfinite(width)) & frames["usable"].to_numpy()
    if missing.any():
        row = frames.iloc[int(np.flatnonzero(missing)[0])]
        raise ConfigError(f"fov_deg 'intrinsics' needs fx and width: frame {row['key']!r} "
                          f"({row['source_file']}) has none from the reader; pass --fx and --width")
    frames = frames.copy()
    frames["fov_deg"] = np.where(np.isfinite(fx) & np.isfinite(width), fov_from_intrinsics_deg(fx, width), np.nan)
    return frames


def prepare(frames, config, root=None, jobs=1):
    usable = frames["usable"].to_numpy()
    no_position = usable & ~np.isfinite(frames[["x_m", "y_m", "grid_heading_deg"]].to_numpy()).all(axis=1)
    if no_position.any():
        row = frames.iloc[int(np.flatnonzero(no_position)[0])]
        hint = " (it has a 6DoF pose: use --labeller strong2d)" if np.isfinite(row["qw"]) else ""
        raise ConfigError(f"weak2d needs a position and heading for every frame; {row['key']!r} "
                          f"({row['source_file']}) has none{hint}")
    frames = resolve_fov(frames, config)
    return frames, [], {}, build_state(frames, config)


def frame_arrays(frames, config) -> dict:
    fov = frames["fov_deg"].to_numpy(dtype=np.float64, na_value=np.nan)
    if config.fov_deg != "intrinsics":
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


def build_state(frames, config) -> dict:
    """What the chunks need, as plain arrays (cheap to send to worker processes)."""
    arrays = frame_arrays(frames, config)
    arrays["frame_id"] = frames["frame_id"].to_numpy(np.int32)
    return arrays


def label_chunk(arrays: dict, chunk, config) -> pa.Table:
    """Pairs table of one chunk: candidates within reach, then the exact sector overlap."""
    a, b, dist = candidate_pairs(arrays["x_m"], arrays["y_m"], radius_m(arrays),
                                 chunk.anchors, chunk.targets, chunk.mode == "within")
    values = overlap(arrays, a, b, config) if len(a) else np.zeros(0)
    if not config.keep_zero:
        keep = values > 0.0
        a, b, dist, values = a[keep], b[keep], dist[keep], values[keep]
    frame_id = arrays["frame_id"]
    heading = arrays["heading_deg"]
    return pa.table(
        {
            "frame_a": frame_id[a].astype(np.int32),
            "frame_b": frame_id[b].astype(np.int32),
            "overlap": values.astype(np.float32),
            "distance_m": dist.astype(np.float32),
            "heading_diff_deg": schema.heading_difference_deg(heading[a], heading[b]).astype(np.float32),
            "rank": schema.rank_from_overlap(values, config.positive),
        },
        schema=PAIRS_SCHEMA,
    )
