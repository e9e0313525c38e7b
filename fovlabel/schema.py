"""The one place where fovlabel's conventions live.

Units
    Lengths in metres (``*_m``), angles in degrees (``*_deg``) at every public boundary; kernels
    work in radians internally.

Headings
    ``heading_deg`` is a compass bearing: degrees clockwise from true north, in [0, 360).
    This is MSLS's ``ca`` convention. ``grid_heading_deg`` is the same direction measured
    clockwise from the +y axis of the frame's metric CRS (grid north for UTM). The two differ by
    the meridian convergence; the labellers use the grid heading. Conversions:
    :func:`compass_to_math_rad` (compass -> counter-clockwise from +x, radians).

Metric frame
    ``x_m`` (east / easting), ``y_m`` (north / northing) in the CRS named by ``crs`` (an
    ``EPSG:...`` string, one per group), or in a dataset's local frame for pose datasets.

Poses (6DoF labellers)
    ``world_from_cam``: maps camera coordinates to world coordinates (camera-to-world): columns
    ``tx, ty, tz`` are the camera centre in the world. Quaternions are stored scalar-first
    (``qw, qx, qy, qz``, Hamilton). Camera axes follow OpenCV: x right, y down, z forward.
    Readers convert every format into this once (COLMAP stores world-to-camera, TUM scalar-last).
    For pose datasets the 2D columns ``x_m, y_m, grid_heading_deg`` are filled by the strong 2D
    labeller from the poses and the ground plane (see :mod:`fovlabel.geometry.ground`).

Sectors
    A camera's 2D view is a circular sector: apex at the camera, radius ``radius_m``, opening
    ``fov_deg`` in (0, 360], centred on the heading. ``measure="iou"`` is |A∩B|/|A∪B| (symmetric);
    ``measure="ioa"`` is |A∩B|/|A| with A the first camera of the pair (the query in cross mode).

Tables
    The frames table (one row per image) and the pairs table (one row per labelled pair) are
    defined by :data:`FRAMES_SCHEMA` and :data:`PAIRS_SCHEMA` below. Pairs absent from a pairs table
    have overlap 0 (hard negatives) unless the run kept zeros (``keep_zero``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

#: Version of the on-disk label-set layout and metadata; bumped on any incompatible change.
SCHEMA_VERSION = 1

#: Key of the JSON metadata inside the Parquet schema metadata.
METADATA_KEY = b"fovlabel"

#: Roles a frame can have. ``None`` (null) means the dataset does not split query/database.
ROLES = ("query", "database")

#: Largest |coordinate| in metres a position (x_m, y_m, or a pose's translation) may have:
#: 100,000 km, far beyond any projected CRS (UTM northings reach 10,000 km) or local frame, and
#: small enough that float64 still resolves 10 µm there. Larger values are input errors.
MAX_COORDINATE_M = 1e8
#: Largest sector radius in metres (10,000 km, a quarter of the Earth's circumference); areas
#: (r² · fov) stay far from float64 overflow.
MAX_RADIUS_M = 1e7

#: Rank column values of the pairs table.
RANK_HARD_NEGATIVE = 0
RANK_SOFT_NEGATIVE = 1
RANK_POSITIVE = 2

# Frames table. Required columns come first; provenance columns may be null.
FRAMES_SCHEMA = pa.schema(
    [
        pa.field("frame_id", pa.int32(), nullable=False),  # 0..n-1, stable for the same input
        pa.field("key", pa.string(), nullable=False),  # image id or path relative to the dataset
        pa.field("group", pa.string(), nullable=False),  # city / scene / sequence set
        pa.field("role", pa.string()),  # "query", "database" or null
        # 2D position and heading: metric easting/northing in `crs` and degrees clockwise from +y;
        # for pose datasets filled by the 2D labellers (null when only a 3D labeller ran)
        pa.field("x_m", pa.float64()),
        pa.field("y_m", pa.float64()),
        pa.field("grid_heading_deg", pa.float64()),
        pa.field("heading_deg", pa.float64()),  # compass, clockwise from true north (as given)
        pa.field("crs", pa.string()),  # "EPSG:32632", or null for a local frame
        pa.field("fov_deg", pa.float64()),  # this camera's FoV; null: the run's fov_deg
        pa.field("lat", pa.float64()),  # WGS84 degrees (provenance)
        pa.field("lon", pa.float64()),
        pa.field("timestamp_s", pa.float64()),  # seconds (unix for MSLS)
        pa.field("sequence", pa.string()),
        # 6DoF pose, world_from_cam (camera-to-world): camera centre t and rotation q (w, x, y, z)
        pa.field("tx", pa.float64()),
        pa.field("ty", pa.float64()),
        pa.field("tz", pa.float64()),
        pa.field("qw", pa.float64()),
        pa.field("qx", pa.float64()),
        pa.field("qy", pa.float64()),
        pa.field("qz", pa.float64()),
        # pinhole intrinsics in pixels and the image size, where the format gives them
        pa.field("fx", pa.float64()),
        pa.field("fy", pa.float64()),
        pa.field("cx", pa.float64()),
        pa.field("cy", pa.float64()),
        pa.field("width", pa.int32()),
        pa.field("height", pa.int32()),
        pa.field("image_path", pa.string()),  # relative to the dataset root, where known
        pa.field("depth_path", pa.string()),
        pa.field("depth_scale", pa.float64()),  # depth image units per metre (7-Scenes 1000, TUM 5000)
        pa.field("point_ids", pa.list_(pa.int64())),  # SfM: ids of the 3D points in this image's tracks
        pa.field("usable", pa.bool_(), nullable=False),  # False: kept in the table, left out of pairs
        pa.field("flag", pa.string()),  # why a frame is not usable ("pano", ...), else null
        pa.field("source_file", pa.string(), nullable=False),  # relative to the dataset root
        pa.field("source_row", pa.int64(), nullable=False),  # 1-based data row in source_file
    ]
)

POSE_COLUMNS = ("tx", "ty", "tz", "qw", "qx", "qy", "qz")

# Pairs table. frame_a is the query in cross mode, the lower frame_id in within mode.
PAIRS_SCHEMA = pa.schema(
    [
        pa.field("frame_a", pa.int32(), nullable=False),
        pa.field("frame_b", pa.int32(), nullable=False),
        pa.field("overlap", pa.float32(), nullable=False),  # in [0, 1], per `measure`
        pa.field("distance_m", pa.float32(), nullable=False),  # between the two apexes
        pa.field("heading_diff_deg", pa.float32(), nullable=False),  # absolute, in [0, 180]
        pa.field("rank", pa.int8(), nullable=False),  # 2 positive, 1 soft negative, 0 hard negative
    ]
)

# The 3D labeller's pairs: the same columns plus the directional coverages and the shared count.
# distance_m is then between the camera centres in 3D, heading_diff_deg between the optical axes.
PAIRS_3D_SCHEMA = pa.schema(
    list(PAIRS_SCHEMA)[:3]
    + [
        pa.field("cover_a", pa.float32(), nullable=False),  # |Va ∩ Vb| / |Va|
        pa.field("cover_b", pa.float32(), nullable=False),  # |Va ∩ Vb| / |Vb|
        pa.field("shared", pa.int32(), nullable=False),  # |Va ∩ Vb|: voxels (or SfM points)
    ]
    + list(PAIRS_SCHEMA)[3:]
)


def compass_to_math_rad(heading_deg):
    """Compass bearing (degrees clockwise from north, +y) -> radians counter-clockwise from +x."""
    return np.deg2rad(90.0 - np.asarray(heading_deg, dtype=np.float64))


def check_heading_deg(heading_deg, what: str = "heading_deg"):
    """The one heading rule, everywhere (files, flags, the Python API): compass degrees in
    [0, 360), finite; anything else is an error, never wrapped. Returns float64."""
    from .errors import ConfigError

    h = np.asarray(heading_deg, dtype=np.float64)
    bad = ~((h >= 0.0) & (h < 360.0))
    if bad.any():
        value = h.flat[int(np.flatnonzero(bad.ravel())[0])]
        raise ConfigError(f"{what} must be compass degrees in [0, 360) (never wrapped); got {value:g}")
    return h


def wrap_heading_deg(heading_deg):
    """Angles in degrees -> [0, 360), exactly (``np.mod`` alone returns 360.0 for tiny negatives)."""
    h = np.mod(np.asarray(heading_deg, dtype=np.float64), 360.0)
    return np.where(h >= 360.0, 0.0, h)


def heading_difference_deg(heading_a_deg, heading_b_deg):
    """Absolute smallest angle between two headings, in [0, 180]."""
    d = np.abs(np.asarray(heading_a_deg, dtype=np.float64) - heading_b_deg) % 360.0
    return np.minimum(d, 360.0 - d)


def rank_from_overlap(overlap, positive: float):
    """Rank column: 2 where overlap >= positive, 1 where 0 < overlap < positive, else 0."""
    overlap = np.asarray(overlap)
    rank = np.zeros(overlap.shape, dtype=np.int8)
    rank[overlap > 0.0] = RANK_SOFT_NEGATIVE
    rank[overlap >= positive] = RANK_POSITIVE
    return rank
