"""Strong 2D FoV overlap from 6DoF poses: the weak 2D sectors, placed from the poses.

:meth:`Strong2D.place_sectors` finds the ground plane (``params.up``), projects each camera's
centre and optical axis onto it (geometry.ground), flags cameras pitched beyond
``params.max_tilt_deg``, and records the placement as the frames table's plane group
(``plane_x_m``, ``plane_y_m``, ``plane_heading_deg``, in the plane's 2D frame). From there the
labelling is the weak 2D labeller's, on the same exact sector kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..geometry.ground import AXES, DISAGREE_WARN_DEG, check_max_tilt_deg, check_up, project_to_ground, resolve_up
from ..geometry.poses import quat_to_matrix
from ..schema import POSE_COLUMNS
from .base import param
from .weak2d import SectorParams, Weak2D

UP_CHOICES = ("auto", *AXES)


@dataclass(frozen=True)
class GroundParams(SectorParams):
    """The sectors, and the ground plane they lie on."""

    up: str = param("auto", "Up vector: auto (opposite to the mean camera y axis) or an axis.", choices=UP_CHOICES)
    max_tilt_deg: float = param(80.0, "Cameras pitched more than this out of the ground plane are left out, (0, 90].")

    def validate(self) -> None:
        super().validate()
        check_max_tilt_deg(self.max_tilt_deg)
        check_up(self.up)


class Strong2D(Weak2D):
    name = "strong2d"
    summary = "2D FoV sectors placed on the ground plane from 6DoF poses (KITTI, TUM, COLMAP, ...)"
    Params = GroundParams
    #: the frames' places on the ground plane its poses define (not geo-referenced)
    placement = ("plane_x_m", "plane_y_m", "plane_heading_deg")
    plane_axes = ("ground plane e1", "ground plane e2")
    #: the ground plane is found from every camera of the run (up: resolve_up), not a group's
    groups_independent = False

    def requires(self, frames, params):
        return ()  # frames without a pose are flagged 'no pose' and left out, not refused

    def place_sectors(self, frames, params):
        posed = np.isfinite(frames[list(POSE_COLUMNS)].to_numpy()).all(axis=1)
        if not posed.any():
            raise ConfigError("strong2d needs 6DoF poses; this dataset has none (use --labeller weak2d)")
        frames = frames.copy()
        rows = np.flatnonzero(posed)
        R = quat_to_matrix(frames.loc[posed, ["qw", "qx", "qy", "qz"]].to_numpy())
        t = frames.loc[posed, ["tx", "ty", "tz"]].to_numpy()
        ground = resolve_up(params.up, R)
        x, y, heading, tilt, level = project_to_ground(R, t, ground, params.max_tilt_deg)
        # the placement has its own columns (plane group): x_m, y_m keep meaning CRS coordinates
        for column, values in (("plane_x_m", x), ("plane_y_m", y), ("plane_heading_deg", heading)):
            frames[column] = np.nan
            frames.loc[posed, column] = values
        usable = frames["usable"].to_numpy().copy()
        tilted = rows[~level & usable[rows]]
        usable[tilted] = False
        usable[~posed] = False
        frames["usable"] = usable
        flag = frames["flag"].to_numpy(dtype=object).copy()
        flag[tilted] = "tilt"
        flag[np.flatnonzero(~posed)] = "no pose"
        frames["flag"] = flag
        up = ", ".join(f"{v:+.3f}" for v in ground.up)
        how = "auto: opposite to the mean camera y axis" if ground.source == "auto" else "given"
        notes = [f"up vector: ({up}) ({how}); cameras' down axes within {ground.max_disagreement_deg:.1f}° of it"]
        if ground.max_disagreement_deg > DISAGREE_WARN_DEG:
            notes.append(f"warning: cameras disagree about down by up to {ground.max_disagreement_deg:.0f}° "
                         f"(> {DISAGREE_WARN_DEG:.0f}°): check the ground plane or pass --up")
        if len(tilted):
            notes.append(f"{len(tilted)} frame(s) look more than {params.max_tilt_deg:g}° up or down: "
                         "flagged 'tilt', left out of pairs")
        meta = {"up": ground.up.tolist(), "up_source": ground.source, "e1": ground.e1.tolist(),
                "e2": ground.e2.tolist(), "max_disagreement_deg": ground.max_disagreement_deg,
                "tilted_frames": int(len(tilted))}
        placement = {"x_m": frames["plane_x_m"].to_numpy(), "y_m": frames["plane_y_m"].to_numpy(),
                     "heading_deg": frames["plane_heading_deg"].to_numpy()}
        return frames, placement, notes, meta
