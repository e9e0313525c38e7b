"""6DoF poses: quaternions (scalar-first w, x, y, z), rotation matrices, inversion, interpolation.

Every function works on stacks: quaternions (n, 4), rotations (n, 3, 3), translations (n, 3).
Poses are ``world_from_cam`` (camera-to-world) unless a name says otherwise; camera axes are
OpenCV's (x right, y down, z forward), so the columns of ``R_world_from_cam`` are the camera's
right, down and forward directions in the world.

Checks raise :class:`ValueError` subclasses with the index of the first bad pose; readers catch
them and name the file and line.
"""

from __future__ import annotations

import numpy as np

#: a quaternion whose norm is further than this from 1 is an error, closer is normalised
QUAT_NORM_TOL = 1e-3
#: a rotation whose |det - 1| or max |R^T R - I| exceeds this is not rigid
RIGID_TOL = 1e-3


class PoseError(ValueError):
    """A pose breaks a rule; ``index`` is the first offending pose."""

    def __init__(self, message: str, index: int):
        super().__init__(message)
        self.index = index


def normalize_quaternions(q_wxyz) -> np.ndarray:
    """Unit quaternions; a zero one, or one whose norm is off by more than 1e-3, is refused."""
    q = np.asarray(q_wxyz, dtype=np.float64).reshape(-1, 4)
    norm = np.linalg.norm(q, axis=1)
    bad = ~np.isfinite(norm) | (norm == 0.0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PoseError(f"quaternion {q[i].tolist()} is zero or not finite", i)
    off = np.abs(norm - 1.0) > QUAT_NORM_TOL
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise PoseError(f"quaternion norm {norm[i]:.6f} is not 1 (allowed: within {QUAT_NORM_TOL:g}, "
                        "then normalised)", i)
    return q / norm[:, None]


def quat_to_matrix(q_wxyz) -> np.ndarray:
    """Rotation matrices (n, 3, 3) from unit quaternions (n, 4), scalar first (Hamilton)."""
    q = np.asarray(q_wxyz, dtype=np.float64).reshape(-1, 4)
    w, x, y, z = q.T
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
    ], -2)


def matrix_to_quat(R) -> np.ndarray:
    """Unit quaternions (n, 4), scalar first with w >= 0, from rotation matrices (n, 3, 3)."""
    R = np.asarray(R, dtype=np.float64).reshape(-1, 3, 3)
    # Shepperd's method: pivot on the largest of w², x², y², z² for stability near 180°.
    tr = np.trace(R, axis1=1, axis2=2)
    diag = np.stack([tr, R[:, 0, 0], R[:, 1, 1], R[:, 2, 2]], axis=1)
    pivot = np.argmax(diag, axis=1)
    q = np.empty((len(R), 4))
    for k in range(4):
        m = pivot == k
        if not m.any():
            continue
        r = R[m]
        if k == 0:
            s = np.sqrt(1.0 + tr[m]) * 2
            q[m] = np.stack([0.25 * s, (r[:, 2, 1] - r[:, 1, 2]) / s, (r[:, 0, 2] - r[:, 2, 0]) / s,
                             (r[:, 1, 0] - r[:, 0, 1]) / s], 1)
        elif k == 1:
            s = np.sqrt(1.0 + r[:, 0, 0] - r[:, 1, 1] - r[:, 2, 2]) * 2
            q[m] = np.stack([(r[:, 2, 1] - r[:, 1, 2]) / s, 0.25 * s, (r[:, 0, 1] + r[:, 1, 0]) / s,
                             (r[:, 0, 2] + r[:, 2, 0]) / s], 1)
        elif k == 2:
            s = np.sqrt(1.0 + r[:, 1, 1] - r[:, 0, 0] - r[:, 2, 2]) * 2
            q[m] = np.stack([(r[:, 0, 2] - r[:, 2, 0]) / s, (r[:, 0, 1] + r[:, 1, 0]) / s, 0.25 * s,
                             (r[:, 1, 2] + r[:, 2, 1]) / s], 1)
        else:
            s = np.sqrt(1.0 + r[:, 2, 2] - r[:, 0, 0] - r[:, 1, 1]) * 2
            q[m] = np.stack([(r[:, 1, 0] - r[:, 0, 1]) / s, (r[:, 0, 2] + r[:, 2, 0]) / s,
                             (r[:, 1, 2] + r[:, 2, 1]) / s, 0.25 * s], 1)
    q *= np.where(q[:, :1] < 0, -1.0, 1.0)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def check_rigid(R) -> np.ndarray:
    """Refuse rotations that are not rigid (det 1, orthonormal within 1e-3); re-orthonormalise."""
    R = np.asarray(R, dtype=np.float64).reshape(-1, 3, 3)
    if not np.isfinite(R).all():
        i = int(np.flatnonzero(~np.isfinite(R).all(axis=(1, 2)))[0])
        raise PoseError("rotation has a non-finite value", i)
    det = np.linalg.det(R)
    ortho = np.abs(np.einsum("nji,njk->nik", R, R) - np.eye(3)).max(axis=(1, 2))
    bad = (np.abs(det - 1.0) > RIGID_TOL) | (ortho > RIGID_TOL)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PoseError(f"rotation is not rigid: det {det[i]:.6f}, max |R^T R - I| {ortho[i]:.2e} "
                        f"(allowed {RIGID_TOL:g})", i)
    u, _, vt = np.linalg.svd(R)
    return u @ vt


def invert(R, t):
    """(R, t) of the inverse poses: b_from_a -> a_from_b."""
    Rt = np.swapaxes(np.asarray(R, dtype=np.float64), -1, -2)
    return Rt, -np.einsum("nij,nj->ni", Rt, np.asarray(t, dtype=np.float64))


def slerp(q0, q1, u) -> np.ndarray:
    """Spherical interpolation between unit quaternions (n, 4) at fractions u (n,) in [0, 1]."""
    q0 = np.asarray(q0, np.float64)
    q1 = np.asarray(q1, np.float64).copy()
    u = np.asarray(u, np.float64)[:, None]
    dot = np.sum(q0 * q1, axis=1, keepdims=True)
    q1 = np.where(dot < 0, -q1, q1)  # the short way round
    dot = np.abs(dot)
    theta = np.arccos(np.clip(dot, -1.0, 1.0))
    small = theta[:, 0] < 1e-8
    s = np.sin(theta)
    w0 = np.where(small[:, None], 1.0 - u, np.sin((1.0 - u) * theta) / np.where(small[:, None], 1.0, s))
    w1 = np.where(small[:, None], u, np.sin(u * theta) / np.where(small[:, None], 1.0, s))
    q = w0 * q0 + w1 * q1
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def as_matrices(world_from_cam) -> tuple[np.ndarray, np.ndarray]:
    """(R, t) stacks from 4x4 or 3x4 matrices of shape (..., 3|4, 4)."""
    T = np.asarray(world_from_cam, dtype=np.float64)
    if T.ndim < 2 or T.shape[-1] != 4 or T.shape[-2] not in (3, 4):
        raise ValueError(f"poses must be 3x4 or 4x4 matrices; got shape {T.shape}")
    T = T.reshape(-1, T.shape[-2], 4)
    return T[:, :3, :3], T[:, :3, 3]


def pose_of_row(row) -> tuple[np.ndarray, np.ndarray]:
    """(R, t), world_from_cam, of one frames-table row (schema: quaternion scalar-first)."""
    R = quat_to_matrix(np.array([[row["qw"], row["qx"], row["qy"], row["qz"]]], np.float64))[0]
    return R, np.array([row["tx"], row["ty"], row["tz"]], np.float64)
