"""Generic table of frames: CSV or Parquet.

Columns: ``key``; a position, either ``lat, lon`` (WGS84 degrees) or ``easting, northing`` (metres
in the projected CRS given by the ``epsg`` option or an ``epsg`` column); ``heading_deg`` (compass,
degrees clockwise from true north, in [0, 360)). Optional: ``group`` (default: the file's stem),
``role`` (query / database / empty), ``timestamp_s``, ``sequence``, ``fov_deg`` (this camera's FoV).

Lat/lon groups are projected into the UTM zone of their median point unless ``epsg`` is given.
Headings are corrected by the meridian convergence at each point in both cases.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..geometry.geodesy import (
    compass_to_grid_heading_deg,
    crs_name,
    latlon_to_metric,
    metric_to_latlon,
)
from ..geometry.sector import check_fov_radius
from . import _common as c


def read_csv(path: Path, *, epsg=None) -> pd.DataFrame:
    table = c.load_table(path, what="frames table")
    what = "frames table"
    has_latlon = {"lat", "lon"} <= set(table.columns)
    has_en = {"easting", "northing"} <= set(table.columns)
    if not (has_latlon or has_en):
        c.require_columns(table, ("key", "lat", "lon", "heading_deg"), path,
                          what + " (or easting, northing + an EPSG code instead of lat, lon)")
    c.require_columns(table, ("key", "heading_deg"), path, what)
    if len(table) == 0:
        raise InputError("the frames table has no rows", file=path)
    root_name = path.name
    frames = pd.DataFrame({
        "key": c.key_column(table, "key", path),
        "heading_deg": c.heading_column(table, "heading_deg", path),
        "source_file": root_name,
        "source_row": np.arange(1, len(table) + 1, dtype=np.int64),
    })
    frames["group"] = (
        table["group"].astype(str).str.strip().replace("", path.stem).to_numpy(dtype=object)
        if "group" in table.columns else path.stem
    )
    if "role" in table.columns:
        role = table["role"].astype(str).str.strip().str.lower()
        role = role.where(~role.isin(["", "nan", "none", "<na>"]), None)
        bad = role.notna() & ~role.isin(["query", "database"])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"role must be query, database or empty; got {table['role'].iloc[i]!r}",
                             file=path, row=c.row_label(path, i), column="role")
        frames["role"] = role.to_numpy(dtype=object)
    for col in ("timestamp_s",):
        if col in table.columns:
            frames[col] = c.numeric_column(table, col, path)
    if "sequence" in table.columns:
        frames["sequence"] = table["sequence"].astype(str).to_numpy(dtype=object)
    if "fov_deg" in table.columns:
        fov = c.numeric_column(table, "fov_deg", path, lo=0.0, hi=360.0)
        check_fov_radius(fov[fov > 0], 1.0, what=f"{path} column 'fov_deg'")
        if (fov == 0).any():
            i = int(np.flatnonzero(fov == 0)[0])
            raise InputError("fov_deg must be in (0, 360]", file=path, row=c.row_label(path, i),
                             column="fov_deg")
        frames["fov_deg"] = fov

    if has_latlon:
        frames["lat"] = c.numeric_column(table, "lat", path, lo=-90.0, hi=90.0)
        frames["lon"] = c.numeric_column(table, "lon", path, lo=-180.0, hi=180.0)
    else:
        frames["x_m"] = c.numeric_column(table, "easting", path)
        frames["y_m"] = c.numeric_column(table, "northing", path)
        if epsg is None:
            if "epsg" not in table.columns:
                raise InputError("easting/northing need an EPSG code: pass epsg=... (--epsg) or "
                                 "add an 'epsg' column", file=path)
            frames["_epsg"] = c.numeric_column(table, "epsg", path, lo=1024, hi=999999).astype(int)
        else:
            frames["_epsg"] = epsg

    parts = []
    for _, g in frames.groupby("group", sort=False):
        g = g.copy()
        if has_latlon:
            x, y, code = latlon_to_metric(g["lat"].to_numpy(), g["lon"].to_numpy(), epsg)
            g["x_m"], g["y_m"] = x, y
        else:
            codes = pd.unique(g["_epsg"])
            if len(codes) > 1:
                i = int(g.index[(g["_epsg"] != codes[0]).to_numpy()][0])
                raise InputError(f"group {g['group'].iloc[0]!r} mixes EPSG codes {codes[0]} and "
                                 f"{g['_epsg'].loc[i]}", file=path, row=c.row_label(path, i),
                                 column="epsg")
            code = codes[0]
            g["lat"], g["lon"] = metric_to_latlon(g["x_m"].to_numpy(), g["y_m"].to_numpy(), code)
        g["crs"] = crs_name(code)
        g["grid_heading_deg"] = compass_to_grid_heading_deg(
            g["heading_deg"].to_numpy(), g["lat"].to_numpy(), g["lon"].to_numpy(), code
        )
        parts.append(g)
    return pd.concat(parts).sort_index().drop(columns=["_epsg"], errors="ignore")
