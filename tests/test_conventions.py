"""Each convention of schema.py pinned by a test that fails when the convention is flipped."""

import numpy as np
import pytest

from fovlabel import schema
from fovlabel.geometry.sector import sector_overlap


def test_compass_heading_is_clockwise_from_north():
    # heading 0 looks along +y (north), 90 along +x (east): a camera 20 m north of another that
    # faces north sees it only if the heading means north.
    assert np.allclose(schema.compass_to_math_rad(0.0), np.pi / 2)
    assert np.allclose(schema.compass_to_math_rad(90.0), 0.0)
    # A looks east from the origin; B stands 30 m east looking west (towards A): their 20 m
    # sectors meet between x = 10 and 20. If A looks west instead, they cannot meet.
    facing = sector_overlap(0, 0, 90, 30, 0, 270, fov_deg_a=60, radius_m_a=20)
    away = sector_overlap(0, 0, 270, 30, 0, 270, fov_deg_a=60, radius_m_a=20)
    assert facing > 0.01 and away == 0.0
    # Clockwise, not counter-clockwise: heading 45 looks north-east, so a camera at (+20, +20)
    # looking the same way overlaps, one at (-20, +20) much less.
    ne = sector_overlap(0, 0, 45, 20, 20, 45, fov_deg_a=40, radius_m_a=60)
    nw = sector_overlap(0, 0, 45, -20, 20, 45, fov_deg_a=40, radius_m_a=60)
    assert ne > 3 * nw


def test_ioa_divides_by_the_first_cameras_area():
    # A (fov 30) sits inside B (fov 90): A is fully covered, B only a third.
    assert sector_overlap(0, 0, 0, 0, 0, 0, fov_deg_a=30, fov_deg_b=90, measure="ioa") == pytest.approx(1.0)
    assert sector_overlap(0, 0, 0, 0, 0, 0, fov_deg_a=90, fov_deg_b=30, measure="ioa") == pytest.approx(1 / 3)


def test_rank_thresholds():
    ranks = schema.rank_from_overlap(np.array([0.0, 1e-6, 0.49, 0.5, 1.0]), 0.5)
    assert ranks.tolist() == [0, 1, 1, 2, 2]


def test_heading_difference_is_the_smaller_angle():
    assert schema.heading_difference_deg(350.0, 10.0) == pytest.approx(20.0)
    assert schema.heading_difference_deg(0.0, 180.0) == pytest.approx(180.0)


def test_table_schemas_name_units_and_ids():
    frames = {f.name: f.type for f in schema.FRAMES_SCHEMA}
    assert frames["frame_id"] == "int32" and frames["x_m"] == "double"
    assert {"heading_deg", "grid_heading_deg", "usable", "source_file", "source_row"} <= set(frames)
    pairs = {f.name: str(f.type) for f in schema.PAIRS_SCHEMA}
    assert pairs == {"frame_a": "int32", "frame_b": "int32", "overlap": "float", "distance_m": "float",
                     "heading_diff_deg": "float", "rank": "int8"}
