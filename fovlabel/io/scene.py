"""Scene geometry files and fusion, through open3d: a point cloud or mesh read from a file, or one
fused from RGB-D frames with a TSDF. open3d is imported here only, and only when called.

Poses are ``world_from_cam`` (open3d takes cam_from_world extrinsics: inverted here); depth
images use ``schema.DEPTH_INVALID`` (open3d knows only 0 as invalid, so 65535 becomes 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError, InputError
from ..schema import DEPTH_INVALID

MESH_SUFFIXES = (".obj", ".stl", ".off", ".gltf", ".glb")


def import_open3d():
    """open3d, or a one-line error saying how to get it."""
    try:
        import open3d
    except ImportError as exc:
        if "libusb" in str(exc):
            raise ConfigError("open3d needs the system library libusb-1.0: apt-get install libusb-1.0-0 "
                              "(scripts/setup.sh does it)") from None
        raise ConfigError(f"open3d is not installed ({exc}): pip install 'fovlabel[3d]'") from None
    return open3d


def downsample_points(points, voxel_m: float) -> np.ndarray:
    """open3d's voxel down-sampling: one point (the mean) per occupied voxel of side ``voxel_m``."""
    o3d = import_open3d()
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.asarray(points, np.float64).reshape(-1, 3)))
    return np.asarray(cloud.voxel_down_sample(float(voxel_m)).points, dtype=np.float64)


def read_scene_points(path) -> np.ndarray:
    """The points (n, 3) of a cloud or mesh file (PLY/PCD/OBJ/...): a mesh gives its vertices."""
    o3d = import_open3d()
    path = Path(path)
    if not path.is_file():
        raise InputError("scene file not found", file=path)
    mesh = o3d.io.read_triangle_mesh(str(path)) if path.suffix.lower() in MESH_SUFFIXES else None
    if mesh is not None and len(mesh.vertices):
        cloud = o3d.geometry.PointCloud(mesh.vertices)
    else:
        cloud = o3d.io.read_point_cloud(str(path))
        if len(cloud.points) == 0:  # a PLY may hold a mesh
            cloud = o3d.geometry.PointCloud(o3d.io.read_triangle_mesh(str(path)).vertices)
    if len(cloud.points) == 0:
        raise InputError("open3d cannot read a point cloud or mesh from this file", file=path)
    return np.asarray(cloud.points, dtype=np.float64)


def fuse_tsdf(views, voxel_m: float, max_depth_m: float | None = None) -> np.ndarray:
    """Points (n, 3) of a scene fused from RGB-D views with open3d's TSDF (VoxelBlockGrid, voxels of
    ``voxel_m``, truncation 4 voxels; the legacy ScalableTSDFVolume returns no points in open3d
    0.20 here). Points seen by a single view are kept (weight threshold 1).

    ``views``: (depth uint16 image, PinholeCamera, R_world_from_cam, t_world_from_cam, units_per_m).
    """
    o3d = import_open3d()
    o3c = o3d.core
    grid = o3d.t.geometry.VoxelBlockGrid(
        attr_names=("tsdf", "weight"), attr_dtypes=(o3c.float32, o3c.float32), attr_channels=((1), (1)),
        voxel_size=float(voxel_m), block_resolution=8, block_count=50_000, device=o3c.Device("CPU:0"))
    for depth, camera, R, t, units_per_m in views:
        depth = np.where(np.isin(depth, DEPTH_INVALID), 0, depth).astype(np.uint16)
        image = o3d.t.geometry.Image(o3c.Tensor(depth))
        intrinsic = o3c.Tensor(camera.matrix)
        extrinsic = np.eye(4)  # cam_from_world
        extrinsic[:3, :3], extrinsic[:3, 3] = R.T, -R.T @ t
        extrinsic = o3c.Tensor(extrinsic)
        far = float(max_depth_m or 65.535 * 1000 / units_per_m)
        blocks = grid.compute_unique_block_coordinates(image, intrinsic, extrinsic, float(units_per_m), far)
        grid.integrate(blocks, image, intrinsic, extrinsic, float(units_per_m), far, trunc_voxel_multiplier=4.0)
    points = grid.extract_point_cloud(weight_threshold=1.0).point.positions.numpy()
    return points.astype(np.float64)
