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

Pixels
    Intrinsics follow OpenCV: integer pixel coordinates are pixel centres, the centre of the
    top-left pixel is (0, 0). COLMAP (and MegaDepth's ``scene_info``, glue-factory) put it at
    (0.5, 0.5): readers subtract ``COLMAP_PIXEL_SHIFT`` from such a principal point, exporters to
    those formats add it back.
    The strong 2D labeller places its sectors on a ground plane (see :mod:`fovlabel.geometry.ground`)
    and writes that placement as ``plane_x_m, plane_y_m, plane_heading_deg``; ``x_m, y_m`` always
    mean projected coordinates in ``crs``.

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
#: 2: frames.parquet holds only the column groups present; metadata has run, params, label_set_id.
SCHEMA_VERSION = 2
#: versions this fovlabel reads (version 1 frames files hold every column, some all null)
READABLE_VERSIONS = (1, 2)

#: Key of the JSON metadata inside the Parquet schema metadata.
#: COLMAP's pixel coordinates minus OpenCV's: COLMAP's top-left pixel centre is (0.5, 0.5)
COLMAP_PIXEL_SHIFT = 0.5
METADATA_KEY = b"fovlabel"

#: Roles a frame can have. ``None`` (null) means the dataset does not split query/database.
ROLES = ("query", "database")

#: Depth image values that are no measurement: 0 (no depth) and 65535 (7-Scenes' "no reading").
DEPTH_INVALID = (0, 65535)

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

# Frames table: a core every dataset has, plus named column groups; each reader declares the
# groups it fills, and a label set's frames.parquet holds only the groups present (no column is
# null throughout). No column changes meaning between datasets: x_m, y_m are always coordinates
# in the projected CRS `crs`; the strong 2D labeller's ground-plane placement has its own names.
_CORE = [
    pa.field("frame_id", pa.int32(), nullable=False),  # 0..n-1, the row position, stable for the same input
    pa.field("key", pa.string(), nullable=False),  # image id or path relative to the dataset
    pa.field("group", pa.string(), nullable=False),  # city / scene / sequence set; pairs never cross groups
    pa.field("role", pa.string()),  # "query", "database" or null
    pa.field("timestamp_s", pa.float64()),  # seconds (unix for MSLS)
    pa.field("sequence", pa.string()),
    pa.field("image_path", pa.string()),  # relative to the dataset root, where known
    pa.field("usable", pa.bool_(), nullable=False),  # False: kept in the table, left out of pairs
    pa.field("flag", pa.string()),  # why a frame is not usable ("pano", "tilt", "empty", ...), else null
    pa.field("source_file", pa.string(), nullable=False),  # relative to the dataset root
    pa.field("source_row", pa.int64(), nullable=False),  # 1-based data row (CSV) or line (text) in source_file
]
#: core columns written whatever their values; the other core columns only when not all null
CORE_REQUIRED = ("frame_id", "key", "group", "usable", "source_file", "source_row")

#: name -> (fields, what the group is). Units are in the names (_m metres, _deg degrees, _s seconds).
FRAME_GROUPS: dict[str, tuple[list, str]] = {
    "gnss": ([
        pa.field("lat", pa.float64()),  # WGS84 degrees
        pa.field("lon", pa.float64()),
        pa.field("heading_deg", pa.float64()),  # compass, clockwise from true north, [0, 360)
    ], "WGS84 position and compass heading"),
    "metric2d": ([
        pa.field("x_m", pa.float64()),  # easting in `crs`
        pa.field("y_m", pa.float64()),  # northing in `crs`
        pa.field("grid_heading_deg", pa.float64()),  # clockwise from the CRS's grid north (+y)
        pa.field("crs", pa.string()),  # "EPSG:32632"
    ], "projected coordinates and grid heading (weak 2D sectors)"),
    "camera": ([
        pa.field("fov_deg", pa.float64()),  # this camera's horizontal FoV; null: the run's fov_deg
    ], "per-camera field of view"),
    "pose": ([
        # 6DoF pose, world_from_cam (camera-to-world): camera centre t and rotation q (w, x, y, z)
        pa.field("tx", pa.float64()),
        pa.field("ty", pa.float64()),
        pa.field("tz", pa.float64()),
        pa.field("qw", pa.float64()),
        pa.field("qx", pa.float64()),
        pa.field("qy", pa.float64()),
        pa.field("qz", pa.float64()),
    ], "6DoF pose, world_from_cam, metres, quaternion scalar-first"),
    "pinhole": ([
        pa.field("fx", pa.float64()),  # pixels
        pa.field("fy", pa.float64()),
        pa.field("cx", pa.float64()),
        pa.field("cy", pa.float64()),
        pa.field("width", pa.int32()),  # image size, pixels
        pa.field("height", pa.int32()),
    ], "pinhole intrinsics and image size"),
    "depth": ([
        pa.field("depth_path", pa.string()),  # relative to the dataset root
        pa.field("depth_scale", pa.float64()),  # depth image units per metre (7-Scenes 1000, TUM 5000)
    ], "depth image and its units"),
    "tracks": ([
        pa.field("point_ids", pa.list_(pa.int64())),  # SfM: ids of the 3D points in this image's tracks
    ], "SfM track ids"),
    "plane": ([
        # the strong 2D labeller's sector placement on its ground plane (axes e1, e2 in the metadata)
        pa.field("plane_x_m", pa.float64()),
        pa.field("plane_y_m", pa.float64()),
        pa.field("plane_heading_deg", pa.float64()),  # clockwise from the plane's +y (e2)
    ], "ground-plane sector placement (written by strong2d)"),
    "observed": ([
        pa.field("observed", pa.int64()),  # |V|: voxels (or SfM points) the frame observes
    ], "3D set sizes (written by cloud3d): cover = shared / observed"),
}

#: The canonical frames table in memory: the core and every group (absent ones null).
FRAMES_SCHEMA = pa.schema(_CORE + [f for fields, _ in FRAME_GROUPS.values() for f in fields])
GROUP_OF = {f.name: g for g, (fields, _) in FRAME_GROUPS.items() for f in fields}


def present_groups(frames) -> list[str]:
    """The column groups with at least one non-null value in a frames table, in schema order."""
    return [g for g, (fields, _) in FRAME_GROUPS.items()
            if any(f.name in frames.columns and frames[f.name].notna().any() for f in fields)]


def frames_file_schema(frames) -> pa.Schema:
    """The schema of a label set's frames.parquet: the core columns that are not null throughout
    (the required ones always) and the groups present."""
    keep = [f for f in _CORE if f.name in CORE_REQUIRED or frames[f.name].notna().any()]
    for g in present_groups(frames):
        keep.extend(FRAME_GROUPS[g][0])
    return pa.schema(keep)


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
    rank = np.full(overlap.shape, RANK_HARD_NEGATIVE, dtype=np.int8)
    rank[overlap > 0.0] = RANK_SOFT_NEGATIVE
    rank[overlap >= positive] = RANK_POSITIVE
    return rank
