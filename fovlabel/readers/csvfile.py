"""Generic table of frames: CSV or Parquet.

Columns: ``key``; a position, either ``lat, lon`` (WGS84 degrees) or ``easting, northing`` (metres
in the projected CRS given by the ``epsg`` option or an ``epsg`` column); ``heading_deg`` (compass,
degrees clockwise from true north, in [0, 360)). Optional: ``group`` (default: the file's stem),
``role`` (query / database / empty), ``timestamp_s``, ``sequence``, ``fov_deg`` (this camera's FoV).

Lat/lon groups are projected into the UTM zone of their median point unless ``epsg`` is given.
Headings are corrected by the meridian convergence at each point in both cases.

Pose tables (for the 6DoF labellers): ``key`` + either ``tx, ty, tz, qw, qx, qy, qz``
(quaternion scalar-first) or ``m00 .. m33`` (a row-major 4x4 matrix), and the ``pose`` option
saying which way they map: ``cam_to_world`` (kept) or ``world_to_cam`` (inverted). Optional
``group``, ``role``, ``timestamp_s``, ``fov_deg``, intrinsics ``fx, fy, cx, cy, width, height``,
and for RGB-D ``depth_path`` (relative to the table's folder) with ``depth_scale`` (units per metre).
"""

from __future__ import annotations

from dataclasses import dataclass

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..geometry.geodesy import metric_to_latlon
from ..geometry.poses import invert
from ..geometry.sector import check_fov_radius
from ..schema import MAX_COORDINATE_M, POSE_COLUMNS
from . import _common as c
from ._poses import check_last_row, check_translations, pose_rows, rigid_rotations, rotations_from_quaternions
from .base import EpsgOptions, Reader, param


MATRIX_COLUMNS = tuple(f"m{r}{k}" for r in range(4) for k in range(4))
POSE_DIRECTIONS = ("cam_to_world", "world_to_cam")


def read_csv(path: Path, *, epsg=None, pose=None) -> pd.DataFrame:
    table = c.load_table(path, what="frames table")
    if set(POSE_COLUMNS) <= set(table.columns) or set(MATRIX_COLUMNS) <= set(table.columns):
        return _read_pose_table(table, path, pose)
    if pose is not None:
        raise InputError(f"pose={pose!r} given but the table has no pose columns "
                         f"({', '.join(POSE_COLUMNS)} or m00..m33)", file=path)
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
        frames["role"] = _roles(table, path)
    if "timestamp_s" in table.columns:
        frames["timestamp_s"] = c.numeric_column(table, "timestamp_s", path)
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
        limit = dict(lo=-MAX_COORDINATE_M, hi=MAX_COORDINATE_M, unit=" m")
        frames["x_m"] = c.numeric_column(table, "easting", path, **limit)
        frames["y_m"] = c.numeric_column(table, "northing", path, **limit)
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
            code = c.project_latlon(g, epsg)
            c.check_in_crs_area(g["lat"].to_numpy(), g["lon"].to_numpy(), code, path, g.index, "lat, lon")
        else:
            codes = pd.unique(g["_epsg"])
            if len(codes) > 1:
                i = int(g.index[(g["_epsg"] != codes[0]).to_numpy()][0])
                raise InputError(f"group {g['group'].iloc[0]!r} mixes EPSG codes {codes[0]} and "
                                 f"{g['_epsg'].loc[i]}", file=path, row=c.row_label(path, i),
                                 column="epsg")
            code = codes[0]
            with np.errstate(all="ignore"):  # points outside the projection's domain: refused below
                g["lat"], g["lon"] = metric_to_latlon(g["x_m"].to_numpy(), g["y_m"].to_numpy(), code)
            c.check_in_crs_area(g["lat"].to_numpy(), g["lon"].to_numpy(), code, path, g.index,
                                "easting, northing")
        c.add_grid(g, code)
        parts.append(g)
    return pd.concat(parts).sort_index().drop(columns=["_epsg"], errors="ignore")


def _read_pose_table(table: pd.DataFrame, path: Path, pose) -> pd.DataFrame:
    """Key + 6DoF pose per row: ``tx, ty, tz, qw, qx, qy, qz`` (scalar-first) or the 16 entries
    ``m00..m33`` of a row-major 4x4 matrix; ``pose`` says which way the pose maps."""
    if pose not in POSE_DIRECTIONS:
        raise InputError(f"pose columns need pose= one of {', '.join(POSE_DIRECTIONS)} (--pose): "
                         "which way do they map?", file=path)
    c.require_columns(table, ("key",), path, "pose table")
    rows = [c.row_label(path, i) for i in range(len(table))]
    if set(POSE_COLUMNS) <= set(table.columns):
        limit = dict(lo=-MAX_COORDINATE_M, hi=MAX_COORDINATE_M, unit=" m")
        values = {k: c.numeric_column(table, k, path, **(limit if k.startswith("t") else {}))
                  for k in POSE_COLUMNS}
        t = np.column_stack([values[k] for k in ("tx", "ty", "tz")])
        R = rotations_from_quaternions(np.column_stack([values[k] for k in ("qw", "qx", "qy", "qz")]),
                                       path, [f"row {r}" for r in rows])
    else:
        M = np.column_stack([c.numeric_column(table, k, path) for k in MATRIX_COLUMNS]).reshape(-1, 4, 4)
        check_last_row(M, path, rows, column="m30")
        R = rigid_rotations(M[:, :3, :3], path, [f"row {r}" for r in rows])
        t = check_translations(M[:, :3, 3], path, [f"row {r}" for r in rows], columns=("m03", "m13", "m23"))
    if pose == "world_to_cam":  # the frames table holds world_from_cam
        R, t = invert(R, t)
    frames = pose_rows(R, t, key=c.key_column(table, "key", path), source_file=path.name,
                       source_row=np.arange(1, len(table) + 1))
    frames["group"] = (table["group"].astype(str).to_numpy(dtype=object) if "group" in table.columns
                       else path.stem)
    for col in ("fx", "fy", "width", "height", "depth_scale"):  # a zero here divides later
        if col in table.columns:
            frames[col] = c.numeric_column(table, col, path, lo=0.0, lo_open=True)
    for col in ("cx", "cy", "timestamp_s"):
        if col in table.columns:
            frames[col] = c.numeric_column(table, col, path)
    if "fov_deg" in table.columns:
        frames["fov_deg"] = c.numeric_column(table, "fov_deg", path, lo=0.0, lo_open=True, hi=360.0)
    for col in ("depth_path", "image_path"):
        if col in table.columns:
            frames[col] = c.path_column(table, col, path)
    if "role" in table.columns:
        frames["role"] = _roles(table, path)
    return frames


def _roles(table: pd.DataFrame, path: Path) -> np.ndarray:
    role = table["role"].astype(str).str.strip().str.lower()
    role = role.where(~role.isin(["", "nan", "none", "<na>"]), None)
    bad = role.notna() & ~role.isin(["query", "database"])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"role must be query, database or empty; got {table['role'].iloc[i]!r}",
                         file=path, row=c.row_label(path, i), column="role")
    return role.to_numpy(dtype=object)


@dataclass(frozen=True)
class CsvOptions(EpsgOptions):
    pose: str | None = param(None, "Which way a pose table's poses map.", choices=("cam_to_world", "world_to_cam"))


class Csv(Reader):
    name = "csv"
    takes = "file"
    summary = "CSV/Parquet table: lat/lon or easting/northing + heading_deg, or 6DoF poses"
    groups = ("gnss", "metric2d", "camera", "pose", "pinhole", "depth")
    Options = CsvOptions

    def read(self, path, options, threads=1):
        return read_csv(path, epsg=options.epsg, pose=options.pose)
