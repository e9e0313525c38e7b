"""The pinhole camera: one value for the intrinsics, and pure functions on arrays.

kornia's ``PinholeCamera`` is the model: intrinsics travel as one value, not six loose columns.
Conventions (see :mod:`fovlabel.schema`): OpenCV axes (x right, y down, z forward); pixel
coordinates as OpenCV's, (0, 0) at the centre of the top-left pixel. A camera point (x, y, z)
projects to (fx x / z + cx, fy y / z + cy), and pixel (u, v) at depth z (metres along the optical
axis) back-projects to ((u - cx) z / fx, (v - cy) z / fy, z).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INTRINSICS = ("fx", "fy", "cx", "cy", "width", "height")


@dataclass(frozen=True)
class PinholeCamera:
    """Focal lengths and principal point in pixels, image size in pixels."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    @classmethod
    def from_row(cls, row) -> "PinholeCamera":
        """From a frames-table row (its pinhole group)."""
        return cls(float(row["fx"]), float(row["fy"]), float(row["cx"]), float(row["cy"]),
                   int(row["width"]), int(row["height"]))

    @property
    def matrix(self) -> np.ndarray:
        """The 3x3 intrinsic matrix K."""
        return intrinsic_matrix(self.fx, self.fy, self.cx, self.cy)

    @property
    def fov_x_deg(self) -> float:
        return float(fov_from_intrinsics_deg(self.fx, self.width))


def intrinsic_matrix(fx, fy, cx, cy) -> np.ndarray:
    """The 3x3 intrinsic matrix K of focal lengths and principal point in pixels."""
    return np.array([[float(fx), 0.0, float(cx)], [0.0, float(fy), float(cy)], [0.0, 0.0, 1.0]])


def fov_from_intrinsics_deg(fx, width) -> np.ndarray:
    """Horizontal FoV in degrees: 2 atan(width / 2 fx)."""
    return np.degrees(2.0 * np.arctan(np.asarray(width, np.float64) / (2.0 * np.asarray(fx, np.float64))))


def pixel_to_camera(camera: PinholeCamera, u, v, z) -> np.ndarray:
    """Camera points (n, 3) of pixels (u, v) at depths z in metres along the optical axis."""
    u, v, z = (np.asarray(a, np.float64) for a in (u, v, z))
    return np.stack([(u - camera.cx) * z / camera.fx, (v - camera.cy) * z / camera.fy, z], axis=-1)


def camera_to_pixel(camera: PinholeCamera, points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(u, v, z) of camera points (n, 3); points at z <= 0 get NaN pixels."""
    p = np.asarray(points, np.float64).reshape(-1, 3)
    z = p[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(z > 0, camera.fx * p[:, 0] / z + camera.cx, np.nan)
        v = np.where(z > 0, camera.fy * p[:, 1] / z + camera.cy, np.nan)
    return u, v, z
