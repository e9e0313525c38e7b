"""ScanNet, as its SensorData export lays a scene out: ``<scene>/color/<n>.jpg``,
``<scene>/depth/<n>.png`` (uint16 millimetres), ``<scene>/pose/<n>.txt`` (4x4 camera-to-world,
metres, OpenCV axes: taken as they are) and ``<scene>/intrinsic/intrinsic_depth.txt`` (4x4, K in
its top-left; the depth camera's, which the depth images use).

The root is a scene folder (holding ``pose/``) or a folder of scenes; each scene is a group, and
its frames are in frame-number order. A pose whose values are all ``-inf`` is ScanNet's marker for
a lost track: the frame is kept, flagged ``lost track`` and left out of pairs, and the summary
says how many; any other non-finite value is an error naming the file. The image size is read
from the first depth image.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ._poses import check_last_row, numeric_lines, pose_rows, relative, rigid_rotations
from .base import Reader

DEPTH_UNITS_PER_M = 1000.0


def _scenes(root: Path) -> list[Path]:
    if not root.is_dir():
        raise InputError("ScanNet root is not a directory", file=root)
    if (root / "pose").is_dir():
        return [root]
    scenes = sorted(d for d in root.iterdir() if d.is_dir() and (d / "pose").is_dir())
    if not scenes:
        raise InputError("no ScanNet scene found: expected <scene>/pose/<n>.txt, depth/, intrinsic/", file=root)
    return scenes


def _read_pose(path: Path) -> np.ndarray | None:
    """The 4x4 camera-to-world, or None for ScanNet's lost-track marker (all -inf)."""
    text = path.read_text().split()
    if len(text) == 16 and all(v.strip().lower() in ("-inf", "-infinity") for v in text):
        return None
    rows, lines = numeric_lines(path, 4, "ScanNet pose row (4x4 camera-to-world)")
    if rows.shape != (4, 4):
        raise InputError(f"pose must be 4 lines of 4 numbers (4x4 camera-to-world), got {len(rows)} line(s)",
                         file=path)
    check_last_row(rows, path, [f"line {lines[3]}"])
    return rows


def _intrinsics(scene: Path, first_depth: Path | None) -> dict:
    path = scene / "intrinsic" / "intrinsic_depth.txt"
    if not path.is_file():
        raise InputError("ScanNet scene has no intrinsic/intrinsic_depth.txt", file=path)
    K, _ = numeric_lines(path, 4, "ScanNet intrinsics (4x4, K top-left)")
    if K.shape != (4, 4) or not (K[0, 0] > 0 and K[1, 1] > 0):
        raise InputError("intrinsics must be a 4x4 matrix with fx, fy > 0 in its top-left 3x3", file=path)
    width = height = None
    if first_depth is not None:
        from PIL import Image

        with Image.open(first_depth) as im:
            width, height = im.size
    return dict(fx=K[0, 0], fy=K[1, 1], cx=K[0, 2], cy=K[1, 2], width=width, height=height)


def read_scannet(root: Path):
    tables, lost_total = [], 0
    for scene in _scenes(root):
        pose_files = sorted((scene / "pose").glob("*.txt"), key=lambda p: (len(p.stem), p.stem))
        if not pose_files:
            continue
        poses = [_read_pose(p) for p in pose_files]
        lost = np.array([T is None for T in poses])
        T = np.stack([np.eye(4) if P is None else P for P in poses])
        R = np.empty((len(T), 3, 3))
        for i, p in enumerate(pose_files):
            R[i] = rigid_rotations(T[i:i + 1, :3, :3], p, None)[0]
        stems = [p.stem for p in pose_files]
        depth = [scene / "depth" / f"{s}.png" for s in stems]
        colour = [scene / "color" / f"{s}.jpg" for s in stems]
        first = next((d for d in depth if d.is_file()), None)
        frames = pose_rows(
            R, T[:, :3, 3], key=stems, group=scene.name, sequence=scene.name,
            image_path=[relative(c, root) if c.is_file() else None for c in colour],
            depth_path=[relative(d, root) if d.is_file() else None for d in depth],
            source_file=[relative(p, root) for p in pose_files], source_row=1,
            depth_scale=DEPTH_UNITS_PER_M, **_intrinsics(scene, first),
        )
        pose_cols = ["tx", "ty", "tz", "qw", "qx", "qy", "qz"]
        frames.loc[lost, pose_cols] = np.nan  # no pose: nothing to place
        frames["usable"] = ~lost
        frames["flag"] = np.where(lost, "lost track", None)
        lost_total += int(lost.sum())
        tables.append(frames)
    if not tables:
        raise InputError("no ScanNet pose/<n>.txt found", file=root)
    out = pd.concat(tables, ignore_index=True)
    if lost_total:
        out.attrs["notes"] = [f"{lost_total} frame(s) have ScanNet's lost-track pose (-inf): flagged "
                              "'lost track', left out of pairs"]
    return out


class ScanNet(Reader):
    name = "scannet"
    takes = "folder"
    summary = "ScanNet export: <scene>/{color,depth,pose,intrinsic}/ (lost-track poses flagged)"
    groups = ("pose", "pinhole", "depth")

    def read(self, path, options, threads=1):
        return read_scannet(path)
