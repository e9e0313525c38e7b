"""``fovlabel overlap``: the overlap of one pair of cameras given on the command line."""

from __future__ import annotations

import click

from ..errors import ConfigError
from ..geometry.sector import MEASURES


def _triple(text: str, name: str):
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 3:
        raise ConfigError(f"--{name} takes three comma-separated numbers X,Y,HEADING; got {text!r}")
    return values


@click.command(short_help='The 2D FoV overlap of two cameras from position and heading.')
@click.option("--a", "cam_a", required=True, metavar="X,Y,HEADING",
              help="Camera A: metres (or lat,lon with --latlon) and compass heading in degrees.")
@click.option("--b", "cam_b", required=True, metavar="X,Y,HEADING", help="Camera B, likewise.")
@click.option("--latlon", is_flag=True, help="Positions are lat,lon (WGS84 degrees).")
@click.option("--fov-deg", type=float, default=90.0, show_default=True)
@click.option("--radius-m", type=float, default=50.0, show_default=True)
@click.option("--measure", default="iou", show_default=True, metavar="[" + "|".join(MEASURES) + "]",
              help="iou: |A∩B|/|A∪B|; ioa: |A∩B|/|A|.")
@click.option("--max-view-angle-deg", type=float, default=None,
              help="View-consistent: count only the ground both see from directions at most this far apart.")
def overlap(cam_a, cam_b, latlon, fov_deg, radius_m, measure, max_view_angle_deg):
    """Print the 2D FoV overlap of two cameras given as position and compass heading.

    Headings are compass degrees clockwise from north, in [0, 360); positions in metres (or
    lat,lon with --latlon, projected into their UTM zone).

    \b
    Examples:
      fovlabel overlap --a 0,0,90 --b 10,0,90
      fovlabel overlap --a 0,0,0 --b 0,30,180 --fov-deg 60 --radius-m 25 --measure ioa
      fovlabel overlap --latlon --a 48.1,11.5,0 --b 48.1001,11.5,0
      fovlabel overlap --a 0,0,0 --b 0,60,180 --max-view-angle-deg 60   # facing: 0
    """
    import numpy as np

    from ..api import weak_fov_overlap

    xa, ya, ha = _triple(cam_a, "a")
    xb, yb, hb = _triple(cam_b, "b")
    if latlon:
        from ..geometry.geodesy import compass_to_grid_heading_deg, latlon_to_metric

        lat, lon = np.array([xa, xb]), np.array([ya, yb])
        if not ((np.abs(lat) <= 90).all() and (np.abs(lon) <= 180).all()):
            raise ConfigError("--latlon positions must be lat in [-90, 90], lon in [-180, 180]")
        x, y, epsg = latlon_to_metric(lat, lon)
        ha, hb = compass_to_grid_heading_deg([ha, hb], lat, lon, epsg)
        xa, xb, ya, yb = x[0], x[1], y[0], y[1]
    value = weak_fov_overlap(xa, ya, ha, xb, yb, hb, fov_deg=fov_deg, radius_m=radius_m,
                             measure=measure, max_view_angle_deg=max_view_angle_deg)
    click.echo(f"{value:.6f}")
