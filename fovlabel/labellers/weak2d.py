"""Weak 2D FoV overlap: sectors from metric position + grid heading (GPS/UTM + compass).

Each frame's view is a sector with apex at (x_m, y_m), centred on ``grid_heading_deg``, opening
the frame's ``fov_deg`` (or the run's), radius ``radius_m``. Overlap per ``params.measure``.
:class:`Weak2D` is also the base of the strong 2D labeller, which differs only in how it places
the sectors (:meth:`Weak2D.place_sectors`): the seam between "where are the sectors" and "how
much do they overlap".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import schema
from ..errors import ConfigError
from ..geometry.camera import fov_from_intrinsics_deg
from ..geometry.sector import MEASURES, Sectors, check_fov_radius, check_measure, check_view_angle
from .. import pairs as _pairs
from ..pairs import candidate_pairs, pairs_table
from .base import Labeller, LabellerParams, Prepared, param


@dataclass(frozen=True)
class SectorParams(LabellerParams):
    """The sectors: opening, radius, and what the overlap divides by."""

    fov_deg: float | str = param(
        "auto", "Camera FoV in degrees, (0, 360]; 'intrinsics' (2 atan(width / 2 fx), required); or 'auto': each "
                "camera's own (the reader's fov_deg, else its intrinsics), 90 where the reader knows neither.")
    radius_m: float = param(50.0, "Sector radius in metres, (0, 1e7].")
    measure: str = param("iou", "iou: |A∩B|/|A∪B|; ioa: |A∩B|/|A| (A = the query).", choices=MEASURES)
    fx: float | None = param(None, "Focal length in pixels for --fov-deg intrinsics (else the reader's).")
    width: float | None = param(None, "Image width in pixels for --fov-deg intrinsics (else the reader's).")
    max_view_angle_deg: float | None = param(
        None, "View-consistent overlap: count only the ground both cameras see from directions at most "
              "this many degrees apart, (0, 180] (off by default).")

    def validate(self) -> None:
        if isinstance(self.fov_deg, str):
            if self.fov_deg not in FOV_WORDS:
                raise ConfigError(f"fov_deg must be a number in (0, 360], 'auto' or 'intrinsics'; got {self.fov_deg!r}")
            check_fov_radius(90.0, self.radius_m)
        else:
            check_fov_radius(self.fov_deg, self.radius_m)
        for name in ("fx", "width"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ConfigError(f"{name} must be > 0; got {value:g}")
        check_measure(self.measure)
        check_view_angle(self.max_view_angle_deg)


#: the words fov_deg takes besides a number
FOV_WORDS = ("auto", "intrinsics")
#: the FoV assumed where ``auto`` finds nothing: a typical street or phone camera (80-100°)
ASSUMED_FOV_DEG = 90.0
#: where each camera's FoV came from (camera_fov's codes)
FOV_SOURCES = ("given", "the reader's fov_deg", "intrinsics (2 atan(width / 2 fx))", "assumed")


def camera_fov(frames, params: SectorParams) -> tuple[np.ndarray, np.ndarray]:
    """(each camera's FoV in degrees, where it came from as a code into FOV_SOURCES).

    A number is every camera's (given: it wins). ``"intrinsics"``: 2·atan(width / 2 fx) from the
    reader's intrinsics or the given ``fx``/``width``, refused where a usable frame has none.
    ``"auto"``: the frame's own ``fov_deg`` (camera group), else its intrinsics, else
    ASSUMED_FOV_DEG. Kept in the labeller's state: the frames table is not written back."""
    n = len(frames)
    if not isinstance(params.fov_deg, str):
        return np.full(n, float(params.fov_deg)), np.zeros(n, np.int8)
    fx = frames["fx"].to_numpy(np.float64, na_value=np.nan) if params.fx is None else np.full(n, params.fx)
    width = (frames["width"].to_numpy(np.float64, na_value=np.nan) if params.width is None
             else np.full(n, params.width))
    known = np.isfinite(fx) & np.isfinite(width) & (fx > 0) & (width > 0)
    from_k = np.where(known, fov_from_intrinsics_deg(np.where(known, fx, 1.0), np.where(known, width, 1.0)), np.nan)
    if params.fov_deg == "intrinsics":
        missing = ~known & frames["usable"].to_numpy()
        if missing.any():
            row = frames.iloc[int(np.flatnonzero(missing)[0])]
            raise ConfigError(f"fov_deg 'intrinsics' needs fx and width: frame {row['key']!r} "
                              f"({row['source_file']}) has none from the reader; pass --fx and --width")
        return from_k, np.full(n, 2, np.int8)
    own = frames["fov_deg"].to_numpy(dtype=np.float64, na_value=np.nan)
    has_own = np.isfinite(own)
    fov = np.where(has_own, own, np.where(known, from_k, ASSUMED_FOV_DEG))
    source = np.where(has_own, 1, np.where(known, 2, 3)).astype(np.int8)
    return fov, source


def camera_fov_deg(frames, params: SectorParams) -> np.ndarray:
    """Each camera's FoV in degrees (camera_fov without where it came from)."""
    return camera_fov(frames, params)[0]


def fov_report(frames, fov, source) -> tuple[list[str], dict]:
    """(summary lines, metadata) of the FoV each group's usable cameras got and where it came
    from; groups alike are one line."""
    usable = frames["usable"].to_numpy()
    groups = frames["group"].to_numpy(dtype=object)
    per_group, lines = {}, {}
    for group in dict.fromkeys(groups[usable]):
        mine = usable & (groups == group)
        lo, hi = float(fov[mine].min()), float(fov[mine].max())
        used = sorted({int(s) for s in np.unique(source[mine])})
        how = " and ".join(FOV_SOURCES[s] for s in used)
        per_group[str(group)] = {"fov_deg": [lo, hi], "source": how}
        text = f"{lo:.2f}°" + (f" to {hi:.2f}°" if hi > lo else "") + f" ({how})"
        if 3 in used:
            text += ": the reader knows no intrinsics; pass --fov-deg to set it"
        lines.setdefault(text, []).append(str(group))
    notes = []
    for text, names in lines.items():
        which = names[0] if len(names) == 1 else f"{len(names)} groups"
        notes.append(f"fov: {text} [{which}]" if len(lines) > 1 or len(names) == 1 else f"fov: {text}")
    return notes, per_group


def sector_state(frames, params: SectorParams, placement: dict) -> dict:
    """What the chunks need, as plain arrays (cheap to send to worker processes): the sectors,
    validated and converted once per frame (geometry.sector.Sectors), and the grid headings."""
    heading = np.asarray(placement["heading_deg"], np.float64)
    fov, source = camera_fov(frames, params)
    sectors = Sectors(placement["x_m"], placement["y_m"], heading, fov,
                      float(params.radius_m), usable=frames["usable"].to_numpy())
    return {"sectors": sectors, "heading_deg": heading, "fov_source": source}


class Weak2D(Labeller):
    name = "weak2d"
    summary = "2D FoV sectors from position + compass heading (GPS/UTM): exact sector IoU/IoA"
    Params = SectorParams
    pairs_schema = schema.PAIRS_SCHEMA
    kernels = ("fovlabel.geometry._sector_kernel:sector_overlap_batch",
               "fovlabel.geometry._view_kernel:view_overlap_batch", _pairs.KERNEL)
    #: the reader placed the frames in a metric CRS (UTM from GPS)
    placement = ("x_m", "y_m", "grid_heading_deg")
    plane_axes = ("east", "north")
    #: a frame's sector is its own position, heading and FoV: a group is labelled by itself
    groups_independent = True

    #: about 100 bytes a candidate at its peak (the search's records, the kept pairs, the overlaps,
    #: the table): 4M candidates a chunk keep a dense scene's run near 1 GiB at --jobs 2
    chunk_pairs = 4_000_000

    def symmetric(self, params) -> bool:
        return params.measure != "ioa"  # |A∩B|/|A| is directional

    def pair_load(self, state, frames, chunk_frames):
        """Each frame's candidates (pairs.sampled_load: the frames within twice the largest
        radius of its group), where a chunk could pass chunk_pairs."""
        sectors = state["sectors"]
        return _pairs.sampled_load(frames, np.column_stack([sectors.x_m, sectors.y_m]), sectors.radius_m,
                                   chunk_frames, self.chunk_pairs)

    def sectors(self, frames, params):
        return camera_fov_deg(frames, params), float(params.radius_m)

    def pair_overlap(self, frames, params, i, j):
        fov, radius = self.sectors(frames, params)
        x, y, h = (frames[c].to_numpy(np.float64, na_value=np.nan)[[i, j]] for c in self.placement)
        if not np.isfinite(np.r_[x, y, h]).all():
            return None  # a frame this labeller could not place (no heading, a tilted camera)
        sectors = Sectors(x, y, h, fov[[i, j]], radius)
        return float(sectors.overlap(np.array([0]), np.array([1]), params.measure, params.max_view_angle_deg)[0])

    def warm_up(self) -> None:
        _pairs.warm_up()
        sectors = Sectors([0.0, 1.0], [0.0, 0.0], [0.0, 10.0], [90.0, 90.0], 5.0)
        sectors.overlap(np.array([0]), np.array([1]), "iou")
        sectors.overlap(np.array([0]), np.array([1]), "iou", 60.0)

    def requires(self, frames, params):
        return ("x_m", "y_m", "grid_heading_deg")

    def missing_hint(self, row):
        if row["flag"] == "no heading":  # vpr-folders: an @UTM name whose field 9 is empty
            return (" (its @UTM name's field 9, the heading, is empty, as in Pitts30k, Tokyo 24/7 and MSLS as "
                    "converted by datasets_vg: weak2d needs a heading, strong2d and cloud3d a pose, so no "
                    "labeller of fovlabel runs on these positions alone)")
        return " (it has a 6DoF pose: use --labeller strong2d)" if np.isfinite(row["qw"]) else ""

    def place_sectors(self, frames, params) -> tuple:
        """Where the sectors are: (frames with the labeller's flags, placement {x_m, y_m,
        heading_deg} arrays, summary notes, metadata). Here the reader placed them (metric2d)."""
        self.check_frames(frames, params)
        placement = {"x_m": frames["x_m"].to_numpy(np.float64), "y_m": frames["y_m"].to_numpy(np.float64),
                     "heading_deg": frames["grid_heading_deg"].to_numpy(np.float64)}
        return frames, placement, [], {}

    def prepare(self, frames, params, root=None, jobs=1, workdir=None) -> Prepared:
        frames, placement, notes, meta = self.place_sectors(frames, params)
        state = sector_state(frames, params, placement)
        fov_notes, per_group = fov_report(frames, np.degrees(state["sectors"].fov_rad), state.pop("fov_source"))
        return Prepared(frames, state, [*notes, *fov_notes], {**meta, "fov": per_group})

    #: the sector kernels release the GIL, and enough of the KD-tree search and the table building:
    #: chunks run in threads, with no copy of the state and no worker processes to start
    parallel = "threads"

    def label_chunk(self, state: dict, chunk, run, params):
        """Pairs table of one chunk: candidates within reach, then the exact sector overlap.

        IoA is asymmetric: in within mode each pair is written in both directions, (a, b) with
        |A∩B|/|A| and (b, a) with |A∩B|/|B| (io.reading.both_directions); in cross mode the
        query is A."""
        sectors = state["sectors"]
        a, b, dist = candidate_pairs(sectors.x_m, sectors.y_m, sectors.radius_m,
                                     chunk.anchors, chunk.targets, chunk.mode == "within")
        if chunk.mode == "within" and not self.symmetric(params):
            a, b, dist = np.r_[a, b], np.r_[b, a], np.r_[dist, dist]
            order = np.lexsort((b, a))
            a, b, dist = a[order], b[order], dist[order]
        values = sectors.overlap(a, b, params.measure, params.max_view_angle_deg)
        if not run.keep_zero:
            keep = values > 0.0
            a, b, dist, values = a[keep], b[keep], dist[keep], values[keep]
        heading = state["heading_deg"]
        return pairs_table(self.pairs_schema, a, b, values, dist,
                           schema.heading_difference_deg(heading[a], heading[b]), run.positive)
