"""From 6DoF poses to 2D sectors on a ground plane.

The plane is perpendicular to an up vector: given (``+x``, ``-y``, ...) or ``auto``: opposite to
the mean of the cameras' y axes in the world (OpenCV y points down in the image, so the mean "down"
of the images). A camera's apex is its centre projected on the plane; its heading is its z axis
(forward) projected on the plane, measured clockwise from the plane's +y axis, like a compass
bearing seen from above. Rolling a camera about its z axis does not change its heading.

The plane's 2D axes (e1, e2) are chosen so that (e1, e2, up) is right-handed, e1 from the world axis
least aligned with up: for up = +z, (e1, e2) = (x, y); for up = -y (KITTI), (x, z). Overlaps do not
depend on this choice (they are invariant under rotations of the plane).

A camera pitched more than ``max_tilt_deg`` out of the plane (looking nearly straight up or down)
has no meaningful heading: it is flagged ``tilt`` and left out of pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..schema import wrap_heading_deg

AXES = {"+x": (1, 0, 0), "-x": (-1, 0, 0), "+y": (0, 1, 0), "-y": (0, -1, 0), "+z": (0, 0, 1), "-z": (0, 0, -1)}
#: cameras whose down axes deviate from the mean by more than this trigger a warning
DISAGREE_WARN_DEG = 30.0


def check_up(up: str) -> str:
    """``up`` is "auto" or an axis name; anything else is a ConfigError."""
    if up != "auto" and up not in AXES:
        raise ConfigError(f"up must be auto or one of {', '.join(AXES)}; got {up!r}")
    return up


def check_max_tilt_deg(max_tilt_deg: float) -> float:
    if not (0.0 < max_tilt_deg <= 90.0):
        raise ConfigError(f"max_tilt_deg must be in (0, 90]; got {max_tilt_deg:g}")
    return max_tilt_deg


@dataclass(frozen=True)
class GroundFrame:
    """The plane: unit up vector and its in-plane axes e1, e2 (all in world coordinates)."""

    up: np.ndarray
    e1: np.ndarray
    e2: np.ndarray
    source: str  # "auto" or the axis name given
    max_disagreement_deg: float  # largest angle between a camera's down axis and -up


def resolve_up(up: str, R_world_from_cam: np.ndarray) -> GroundFrame:
    """The ground frame for ``up`` ("auto" or an axis name) and these cameras' rotations (n, 3, 3)."""
    R = np.asarray(R_world_from_cam, np.float64).reshape(-1, 3, 3)
    down = R[:, :, 1]  # camera y axes in the world
    if up == "auto":
        mean = down.mean(axis=0)
        norm = np.linalg.norm(mean)
        if norm < 1e-6:
            raise ConfigError("--up auto cannot tell up from these cameras (their y axes cancel out); "
                              "pass --up +z, -y, ...")
        up_vec = -mean / norm
    else:
        up_vec = np.array(AXES[check_up(up)], np.float64)
    helper = np.eye(3)[int(np.argmin(np.abs(up_vec)))]
    e1 = helper - helper.dot(up_vec) * up_vec
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(up_vec, e1)
    cos = np.clip(-down @ up_vec, -1.0, 1.0)
    disagreement = float(np.degrees(np.arccos(cos)).max()) if len(R) else 0.0
    return GroundFrame(up_vec, e1, e2, up, disagreement)


def project_to_ground(R_world_from_cam, t_world_from_cam, frame: GroundFrame, max_tilt_deg: float):
    """(x, y, heading_deg, tilt_deg, usable) of each camera on the plane.

    ``heading_deg``: clockwise from e2 (the plane's +y), in [0, 360). ``tilt_deg``: elevation of
    the optical axis above (+) or below (-) the plane. ``usable``: |tilt| <= max_tilt_deg.
    """
    check_max_tilt_deg(max_tilt_deg)
    R = np.asarray(R_world_from_cam, np.float64).reshape(-1, 3, 3)
    t = np.asarray(t_world_from_cam, np.float64).reshape(-1, 3)
    x = t @ frame.e1
    y = t @ frame.e2
    forward = R[:, :, 2]
    fx, fy = forward @ frame.e1, forward @ frame.e2
    tilt = np.degrees(np.arctan2(forward @ frame.up, np.hypot(fx, fy)))
    heading = wrap_heading_deg(np.degrees(np.arctan2(fx, fy)))
    return x, y, heading, tilt, np.abs(tilt) <= max_tilt_deg
