"""GPS to metric coordinates, and compass headings to grid headings.

Compass headings are measured from true north; a projected CRS's +y axis (grid north) differs from
true north by the meridian convergence, which grows with the distance from the zone's central
meridian and with latitude (over 2° at 3° from the meridian in the far north). Every heading is
corrected point by point: ``grid_heading = compass_heading - convergence``, where ``convergence``
is pyproj's ``meridian_convergence`` (positive where grid north lies east of true north).

pyproj is imported inside the functions so that ``import fovlabel`` stays cheap.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError


def utm_epsg(lat_deg: float, lon_deg: float) -> int:
    """EPSG code of the WGS84 UTM zone holding (lat, lon), with the Norway and Svalbard exceptions."""
    if not (-80.0 <= lat_deg <= 84.0):
        raise ConfigError(f"UTM is defined between 80°S and 84°N; got latitude {lat_deg:g}")
    lon = (lon_deg + 180.0) % 360.0 - 180.0
    zone = int((lon + 180.0) // 6.0) + 1
    if 56.0 <= lat_deg < 64.0 and 3.0 <= lon < 12.0:
        zone = 32
    elif 72.0 <= lat_deg <= 84.0 and 0.0 <= lon < 42.0:
        zone = 31 if lon < 9.0 else 33 if lon < 21.0 else 35 if lon < 33.0 else 37
    return (32600 if lat_deg >= 0.0 else 32700) + zone


def _projected_crs(epsg):
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if isinstance(epsg, str) and epsg.strip().isdigit():  # "32632" from a flag or a file
        epsg = int(epsg)
    try:
        crs = CRS.from_user_input(epsg)
    except CRSError as exc:
        raise ConfigError(f"unknown CRS {epsg!r}: {exc}") from None
    if not crs.is_projected:
        raise ConfigError(f"{crs.to_string()} is not a projected (metric) CRS")
    units = {a.unit_name for a in crs.axis_info[:2]}
    if not units <= {"metre", "meter"}:
        raise ConfigError(f"{crs.to_string()} ({crs.name}) measures in {', '.join(sorted(units))}, not metres; "
                          "fovlabel positions and radii are in metres: choose a metric CRS (e.g. the UTM zone)")
    return crs


def convergence_deg(lat_deg, lon_deg, epsg) -> np.ndarray:
    """Meridian convergence of a projected CRS at (lat, lon): degrees grid north lies east of true north."""
    from pyproj import Proj

    proj = Proj(_projected_crs(epsg))
    factors = proj.get_factors(np.asarray(lon_deg, np.float64), np.asarray(lat_deg, np.float64))
    return np.asarray(factors.meridian_convergence, dtype=np.float64)


def compass_to_grid_heading_deg(heading_deg, lat_deg, lon_deg, epsg) -> np.ndarray:
    """Compass heading (clockwise from true north) -> clockwise from the CRS's grid north, in [0, 360)."""
    from ..schema import wrap_heading_deg

    grid = np.asarray(heading_deg, np.float64) - convergence_deg(lat_deg, lon_deg, epsg)
    return wrap_heading_deg(grid)


def latlon_to_metric(lat_deg, lon_deg, epsg=None):
    """WGS84 lat/lon -> (x_m, y_m, epsg). Without ``epsg``, the UTM zone of the median point."""
    from pyproj import Transformer

    from .._args import check_arg, check_numbers

    lat = check_numbers("lat_deg", lat_deg)
    lon = check_numbers("lon_deg", lon_deg)
    if epsg is not None and not isinstance(epsg, str):
        check_arg("epsg", epsg, int)
    if epsg is None:
        epsg = utm_epsg(float(np.median(lat)), float(np.median(lon)))
    crs = _projected_crs(epsg)
    transformer = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = transformer.transform(lon, lat)
    return np.asarray(x, np.float64), np.asarray(y, np.float64), crs.to_epsg() or crs.to_string()


def metric_to_latlon(x_m, y_m, epsg):
    """Projected (x, y) in the CRS ``epsg`` -> WGS84 (lat, lon) in degrees."""
    from pyproj import Transformer

    transformer = Transformer.from_crs(_projected_crs(epsg), "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(np.asarray(x_m, np.float64), np.asarray(y_m, np.float64))
    return np.asarray(lat, np.float64), np.asarray(lon, np.float64)


#: how far (degrees of latitude or longitude) a point may lie outside its CRS's area of use: UTM is
#: routinely used a zone or so beyond its 6°; a point much further is a wrong CRS or a wrong row
AREA_MARGIN_DEG = 5.0


def outside_area_deg(lat_deg, lon_deg, epsg) -> np.ndarray:
    """Degrees by which each point lies outside the CRS's area of use (0 inside; inf when not finite)."""
    area = _projected_crs(epsg).area_of_use
    lat = np.asarray(lat_deg, np.float64)
    lon = np.asarray(lon_deg, np.float64)
    if area is None:
        return np.where(np.isfinite(lat) & np.isfinite(lon), 0.0, np.inf)
    west, south, east, north = area.bounds
    width = (east - west) % 360.0 if east != west else 360.0
    with np.errstate(invalid="ignore"):  # non-finite points get inf below
        rel = (lon - west) % 360.0  # 0..360 from the west bound, eastwards (antimeridian-safe)
        lon_out = np.where(rel <= width, 0.0, np.minimum(rel - width, 360.0 - rel))
        lat_out = np.maximum(np.maximum(south - lat, lat - north), 0.0)
        out = np.maximum(lon_out, lat_out)
    return np.where(np.isfinite(lat) & np.isfinite(lon), out, np.inf)


def area_text(epsg) -> str:
    """'EPSG:32610 (WGS 84 / UTM zone 10N, lon -126..-120, lat 0..84)' for messages."""
    crs = _projected_crs(epsg)
    text = crs.to_string()
    if crs.area_of_use is not None:
        w, s, e, n = crs.area_of_use.bounds
        text += f" ({crs.name}, area of use lon {w:g}..{e:g}, lat {s:g}..{n:g})"
    return text


def crs_name(epsg) -> str:
    """Canonical "EPSG:nnnn" string for the frames table's ``crs`` column."""
    if isinstance(epsg, (int, np.integer)) or (isinstance(epsg, str) and epsg.strip().isdigit()):
        return f"EPSG:{int(epsg)}"
    return str(epsg)
