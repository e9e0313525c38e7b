"""GPS -> metric, and the meridian-convergence correction of compass headings."""

import numpy as np
import pytest

from fovlabel import ConfigError
from fovlabel.geometry import geodesy


def _grid_azimuth_of_true_north(lat, lon, epsg):
    """Independent of pyproj's factors: project two points 10 m apart along the meridian."""
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", epsg, always_xy=True)
    x0, y0 = t.transform(lon, lat)
    x1, y1 = t.transform(lon, lat + 1e-4)
    return np.degrees(np.arctan2(x1 - x0, y1 - y0))


def test_convergence_at_high_latitude_3_degrees_from_the_central_meridian():
    # Zone 33 has its central meridian at 15°E; at 70°N, 12°E the correction exceeds 2°.
    lat, lon, epsg = 70.0, 12.0, 32633
    true_north_in_grid = _grid_azimuth_of_true_north(lat, lon, epsg)
    assert abs(true_north_in_grid) > 2.0
    # A camera looking due north (compass 0) looks along true north, i.e. at this grid azimuth.
    grid = geodesy.compass_to_grid_heading_deg(0.0, lat, lon, epsg)
    assert (grid - true_north_in_grid + 180) % 360 - 180 == pytest.approx(0.0, abs=1e-4)
    # and east of the central meridian the sign flips
    grid_east = geodesy.compass_to_grid_heading_deg(90.0, 70.0, 18.0, epsg)
    assert (grid_east - (90.0 + _grid_azimuth_of_true_north(70.0, 18.0, epsg)) + 180) % 360 - 180 == pytest.approx(0.0, abs=1e-4)
    assert grid_east < 90.0 - 2.0


def test_utm_zone_choice():
    assert geodesy.utm_epsg(48.19, 11.62) == 32632  # Munich
    assert geodesy.utm_epsg(-33.9, 151.2) == 32756  # Sydney, southern hemisphere
    assert geodesy.utm_epsg(60.4, 5.3) == 32632  # Bergen: the Norway exception
    assert geodesy.utm_epsg(78.2, 15.6) == 32633  # Svalbard
    with pytest.raises(ConfigError, match="UTM is defined between"):
        geodesy.utm_epsg(85.0, 0.0)


def test_latlon_round_trip_and_forced_crs():
    lat, lon = np.array([48.19620587, 48.2]), np.array([11.62044106, 11.6])
    x, y, epsg = geodesy.latlon_to_metric(lat, lon)
    assert epsg == 32632
    assert x[0] == pytest.approx(694723.284, abs=1e-3) and y[0] == pytest.approx(5341428.473, abs=1e-3)
    lat2, lon2 = geodesy.metric_to_latlon(x, y, epsg)
    assert np.allclose(lat2, lat, atol=1e-9) and np.allclose(lon2, lon, atol=1e-9)
    x33, _, e33 = geodesy.latlon_to_metric(lat, lon, epsg=32633)
    assert e33 == 32633 and abs(x33[0] - x[0]) > 1000
    with pytest.raises(ConfigError, match="not a projected"):
        geodesy.latlon_to_metric(lat, lon, epsg=4326)
