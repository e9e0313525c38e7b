"""6DoF conventions, each pinned so that flipping it fails: quaternion order, pose direction,
camera axes and the ground plane; and the strong labeller agreeing with the weak one."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fovlabel
from fovlabel.geometry import ground, poses


def _yaw_pose(x, y, heading_deg, z=1.5):
    """world_from_cam of a level camera in an ENU world (up = +z) at (x, y), compass heading."""
    h = math.radians(heading_deg)
    forward = np.array([math.sin(h), math.cos(h), 0.0])
    down = np.array([0.0, 0.0, -1.0])
    right = np.cross(down, forward)  # OpenCV: x = y cross z
    T = np.eye(4)
    T[:3, :3] = np.column_stack([right, down, forward])
    T[:3, 3] = [x, y, z]
    return T


def _random_rotations(n, seed):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(n, 4))
    return poses.quat_to_matrix(q / np.linalg.norm(q, axis=1, keepdims=True))


def test_quaternions_are_scalar_first_hamilton():
    s = math.sqrt(0.5)
    R = poses.quat_to_matrix([s, 0.0, 0.0, s])[0]  # w, x, y, z: 90° about +z
    assert np.allclose(R @ [1, 0, 0], [0, 1, 0])  # x goes to y (counter-clockwise)
    # read scalar-last, the same numbers would be a 180° turn about (0.7, 0, 0.7)
    assert not np.allclose(poses.quat_to_matrix([0.0, 0.0, s, s])[0] @ [1, 0, 0], [0, 1, 0])
    R = _random_rotations(200, seed=1)
    assert np.allclose(poses.quat_to_matrix(poses.matrix_to_quat(R)), R, atol=1e-12)
    assert (poses.matrix_to_quat(R)[:, 0] >= 0).all()


def test_pose_columns_are_world_from_cam():
    # the translation of world_from_cam is the camera centre: a camera standing at (5, 0, 1.5)
    T = _yaw_pose(5.0, 0.0, 90.0)
    R, t = poses.as_matrices(T)
    x, y, h, tilt, ok = ground.project_to_ground(R, t, ground.resolve_up("+z", R), 80.0)
    assert (x[0], y[0], h[0]) == pytest.approx((5.0, 0.0, 90.0))
    # read the other way round (as world-to-camera), the same matrix is another camera
    Ri, ti = poses.invert(R, t)
    x2, y2, h2, _, _ = ground.project_to_ground(Ri, ti, ground.resolve_up("+z", R), 80.0)
    assert (x2[0], y2[0], h2[0]) != pytest.approx((5.0, 0.0, 90.0))


def test_colmap_stores_world_to_camera(tmp_path):
    # A camera at C = (2, 3, 4) in the world, looking along world +x (level, up = -y... any): its
    # COLMAP pose is cam_from_world: R_cw = R_wc^T, t_cw = -R_cw C.
    R_wc = np.column_stack([[0, 0, -1], [0, 1, 0], [1, 0, 0]]).astype(float)  # right, down, forward
    C = np.array([2.0, 3.0, 4.0])
    R_cw = R_wc.T
    t_cw = -R_cw @ C
    q = poses.matrix_to_quat(R_cw)[0]
    model = tmp_path / "model"
    model.mkdir()
    (model / "cameras.txt").write_text("1 PINHOLE 640 480 500 500 320 240\n")
    (model / "images.txt").write_text(
        f"1 {' '.join(map(str, q))} {' '.join(map(str, t_cw))} 1 a.jpg\n\n")
    frames = fovlabel.read_frames(model, format="colmap")
    assert frames[["tx", "ty", "tz"]].iloc[0].tolist() == pytest.approx(C.tolist())
    R = poses.quat_to_matrix(frames[["qw", "qx", "qy", "qz"]].to_numpy())[0]
    assert np.allclose(R[:, 2], [1, 0, 0])  # optical axis (OpenCV z) along world +x
    assert frames[["fx", "width"]].iloc[0].tolist() == [500.0, 640]


def test_roll_about_the_optical_axis_keeps_the_heading():
    base = _yaw_pose(0.0, 0.0, 30.0)
    roll = np.eye(4)
    roll[:3, :3] = poses.quat_to_matrix([math.cos(math.pi / 4), 0, 0, math.sin(math.pi / 4)])[0]  # 90° about z
    rolled = base @ roll
    R, t = poses.as_matrices(np.stack([base, rolled]))
    _, _, heading, _, ok = ground.project_to_ground(R, t, ground.resolve_up("+z", R), 80.0)
    assert heading == pytest.approx([30.0, 30.0]) and ok.all()
    other = _yaw_pose(3.0, 4.0, 50.0)
    assert fovlabel.strong_fov_overlap(rolled, other, up="+z") == pytest.approx(
        fovlabel.strong_fov_overlap(base, other, up="+z"), abs=1e-12)


def test_auto_up_is_opposite_to_the_mean_camera_y_axis():
    T = np.stack([_yaw_pose(i, 0.0, 20.0 * i) for i in range(6)])
    R, _ = poses.as_matrices(T)
    frame = ground.resolve_up("auto", R)
    assert np.allclose(frame.up, [0, 0, 1]) and frame.max_disagreement_deg < 1e-9
    assert np.allclose(np.cross(frame.e1, frame.e2), frame.up)  # right-handed, seen from above
    # a camera pitched 60° down makes the cameras disagree by more than 30°
    pitch = np.eye(4)
    a = math.radians(60)
    pitch[:3, :3] = [[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]]
    R2, _ = poses.as_matrices(np.concatenate([T, (T[0] @ pitch)[None]]))
    assert ground.resolve_up("auto", R2).max_disagreement_deg > 30


def test_rigid_motion_of_the_world_changes_nothing():
    rng = np.random.default_rng(5)
    n = 40
    T = np.stack([_yaw_pose(*rng.uniform(-20, 20, 2), rng.uniform(0, 360)) for _ in range(n)])
    # tilt each camera a little so that the test is not only about level cameras
    for i in range(n):
        q = np.r_[1.0, rng.normal(0, 0.05, 3)]
        small = poses.quat_to_matrix(q / np.linalg.norm(q))[0]
        T[i, :3, :3] = T[i, :3, :3] @ small
    M = np.eye(4)
    M[:3, :3] = _random_rotations(1, seed=9)[0]
    M[:3, 3] = [100.0, -50.0, 7.0]
    moved = M @ T
    a, b = np.triu_indices(n, 1)
    before = fovlabel.strong_fov_overlap(T[a], T[b], radius_m=15.0)
    after = fovlabel.strong_fov_overlap(moved[a], moved[b], radius_m=15.0)
    assert np.abs(before - after).max() < 1e-9 and (before > 0).sum() > 50


def test_strong_equals_weak_for_level_cameras():
    rng = np.random.default_rng(3)
    n = 500
    x, y, h = rng.uniform(-40, 40, n), rng.uniform(-40, 40, n), rng.uniform(0, 360, n)
    T = np.stack([_yaw_pose(x[i], y[i], h[i], z=rng.uniform(0, 3)) for i in range(n)])
    a, b = rng.integers(0, n, 3000), rng.integers(0, n, 3000)
    strong = fovlabel.strong_fov_overlap(T[a], T[b], fov_deg=70, radius_m=30)
    weak = fovlabel.weak_fov_overlap(x[a], y[a], h[a], x[b], y[b], h[b], fov_deg=70, radius_m=30)
    assert np.abs(strong - weak).max() < 1e-9 and (weak > 0).sum() > 100


def test_tilted_cameras_have_no_heading():
    T = _yaw_pose(0, 0, 0)
    down = np.eye(4)
    a = math.radians(85)  # pitch the optical axis 85° down
    down[:3, :3] = [[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]]
    assert math.isnan(fovlabel.strong_fov_overlap(T @ down, T, up="+z"))
    assert fovlabel.strong_fov_overlap(T @ down, T, up="+z", max_tilt_deg=89) >= 0


def test_fov_from_intrinsics_and_the_pinhole_camera():
    from fovlabel.geometry.camera import PinholeCamera, camera_to_pixel, fov_from_intrinsics_deg, pixel_to_camera

    assert fov_from_intrinsics_deg(500.0, 1000.0) == pytest.approx(90.0)
    assert fov_from_intrinsics_deg(585.0, 640.0) == pytest.approx(57.3, abs=0.1)
    cam = PinholeCamera(585.0, 585.0, 320.0, 240.0, 640, 480)
    assert cam.fov_x_deg == pytest.approx(57.3, abs=0.1)
    # OpenCV convention: the principal point is on the optical axis; +u is +x (right), +v is +y (down)
    assert np.allclose(pixel_to_camera(cam, 320.0, 240.0, 2.0), [0, 0, 2])
    assert np.allclose(pixel_to_camera(cam, 320.0 + 585.0, 240.0 - 585.0, 1.0), [1, -1, 1])
    u, v, z = camera_to_pixel(cam, pixel_to_camera(cam, [10.5, 600.0], [3.0, 470.25], [0.7, 4.0]))
    assert np.allclose(u, [10.5, 600.0]) and np.allclose(v, [3.0, 470.25]) and np.allclose(z, [0.7, 4.0])
    assert np.isnan(camera_to_pixel(cam, [[0.0, 0.0, -1.0]])[0]).all()  # behind the camera


@pytest.mark.parametrize(
    "q, message",
    [([0, 0, 0, 0], "is zero or not finite"), ([1.01, 0, 0, 0], "quaternion norm 1.010000 is not 1")],
)
def test_bad_quaternions(q, message):
    with pytest.raises(poses.PoseError, match=message):
        poses.normalize_quaternions(q)
    assert np.allclose(poses.normalize_quaternions([1.0005, 0, 0, 0]), [1, 0, 0, 0])  # within 1e-3


def test_non_rigid_rotation():
    with pytest.raises(poses.PoseError, match="not rigid: det"):
        poses.check_rigid(np.diag([1.0, 1.0, 1.1]))
    with pytest.raises(poses.PoseError, match="not rigid"):
        poses.check_rigid(np.diag([1.0, -1.0, -1.0]) @ np.diag([1, 1, -1]))  # a reflection
