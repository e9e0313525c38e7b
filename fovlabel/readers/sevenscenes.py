"""Microsoft 7-Scenes, native tree: ``<scene>/seq-XX/frame-XXXXXX.pose.txt`` (4x4 camera-to-world).

The root is a scene folder (holding ``seq-XX/``) or a folder of scenes; each scene is a group.
``TrainSplit.txt`` / ``TestSplit.txt`` (lines ``sequenceN`` = ``seq-0N``) give the roles: train
sequences are the database, test sequences the queries; both files are required. Poses are
camera-to-world already (metres, OpenCV axes) and are checked rigid. Colour and depth paths are
recorded for the 3D labeller; intrinsics are the dataset's published ones (fx = fy = 585,
cx = 320, cy = 240, 640 x 480), which the frames table carries for ``--fov-deg intrinsics``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..schema import MAX_COORDINATE_M
from ._poses import check_last_row, data_lines, numeric_lines, pose_rows, relative, rigid_rotations
from .base import Reader

INTRINSICS = dict(fx=585.0, fy=585.0, cx=320.0, cy=240.0, width=640, height=480)
DEPTH_UNITS_PER_M = 1000.0  # uint16 millimetres; 0 and 65535 invalid
SPLITS = (("TrainSplit.txt", "database"), ("TestSplit.txt", "query"))


def _scenes(root: Path) -> list[Path]:
    if not root.is_dir():
        raise InputError("7-Scenes root is not a directory", file=root)
    if any(root.glob("seq-*")):
        return [root]
    scenes = sorted(d for d in root.iterdir() if d.is_dir() and any(d.glob("seq-*")))
    if not scenes:
        raise InputError("no 7-Scenes scene found: expected <scene>/seq-XX/frame-XXXXXX.pose.txt", file=root)
    return scenes


def _split_roles(scene: Path) -> dict[str, str]:
    roles = {}
    for name, role in SPLITS:
        path = scene / name
        if not path.is_file():
            raise InputError(f"7-Scenes split file {name} is missing (it says which sequences are "
                             f"{'train (database)' if role == 'database' else 'test (query)'})", file=path)
        for number, line in data_lines(path, "7-Scenes split file"):
            m = re.fullmatch(r"sequence(\d+)", line)
            if not m:
                raise InputError(f"expected 'sequenceN', got {line!r}", file=path, row=f"line {number}")
            seq = f"seq-{int(m.group(1)):02d}"
            if not (scene / seq).is_dir():
                raise InputError(f"{line} names {seq}, which is missing", file=path, row=f"line {number}")
            roles[seq] = role
    return roles


def _read_pose(path: Path) -> np.ndarray:
    rows, lines = numeric_lines(path, 4, "pose row (4x4 camera-to-world: 4 lines of 4 numbers)")
    if len(rows) != 4:
        raise InputError(f"pose must be 4 lines of 4 numbers (4x4 camera-to-world), got {len(rows)} line(s)",
                         file=path)
    T = rows.reshape(4, 4)
    check_last_row(T, path, [f"line {lines[3]}"])
    for k in range(3):  # the translation is the last column of the first three lines
        if not abs(T[k, 3]) <= MAX_COORDINATE_M:
            raise InputError(f"translation {T[k, 3]:g} m is beyond ±{MAX_COORDINATE_M:g} m", file=path,
                             row=f"line {lines[k]}", column="4")
    return T


def _unposed_frame(seq: Path, posed: set) -> str | None:
    """The first frame of ``seq`` that has an image but no pose file, if any."""
    for image in sorted(seq.glob("frame-*.color.png")) + sorted(seq.glob("frame-*.depth.png")):
        stem = image.name.split(".")[0]
        if stem not in posed:
            return image.name
    return None


def _frames_folder(root: Path) -> Path | None:
    """A folder of frames without 7-Scenes' tree (no seq-XX/, no split files): frame-*.pose.txt
    in ``root`` or in ``root/frames``, as in RGB-D samples such as tsdf-fusion's."""
    for folder in (root, root / "frames"):
        if folder.is_dir() and any(folder.glob("frame-*.pose.txt")) and not any(root.glob("seq-*")):
            return folder
    return None


def _intrinsics(root: Path, folder: Path) -> dict:
    """camera-intrinsics.txt (a 3x3 K) where the folder has one, else the dataset's published K."""
    for path in (folder / "camera-intrinsics.txt", root / "camera-intrinsics.txt"):
        if path.is_file():
            K, lines = numeric_lines(path, 3, "camera intrinsics (3x3 K)")
            if K.shape != (3, 3) or not (K[0, 0] > 0 and K[1, 1] > 0):
                raise InputError("camera intrinsics must be a 3x3 K with fx, fy > 0", file=path)
            return dict(fx=K[0, 0], fy=K[1, 1], cx=K[0, 2], cy=K[1, 2], width=INTRINSICS["width"],
                        height=INTRINSICS["height"])
    return dict(INTRINSICS)


def read_7scenes(root: Path):
    folder = _frames_folder(root)
    if folder is not None:  # one sequence of frames, no roles: within mode
        table = _sequence(root, folder, scene_name=root.name, role=None, sequence=None,
                          intrinsics=_intrinsics(root, folder))
        if table is None:
            raise InputError("no frame-*.pose.txt found", file=folder)
        return table
    tables = []
    for scene in _scenes(root):
        roles = _split_roles(scene)
        for seq in sorted(d for d in scene.glob("seq-*") if d.is_dir()):
            table = _sequence(root, seq, scene_name=scene.name, role=roles.get(seq.name), sequence=seq.name,
                              intrinsics=INTRINSICS)
            if table is not None:
                tables.append(table)
    if not tables:
        raise InputError("no frame-*.pose.txt found under the sequences", file=root)
    return pd.concat(tables, ignore_index=True)


def _existing(seq: Path, stem: str, suffixes) -> Path | None:
    for suffix in suffixes:
        if (seq / (stem + suffix)).is_file():
            return seq / (stem + suffix)
    return None


def _sequence(root: Path, seq: Path, *, scene_name, role, sequence, intrinsics):
    """Frames of one folder of frame-XXXXXX.{pose.txt,color.png|jpg,depth.png} files, or None."""
    pose_files = sorted(seq.glob("frame-*.pose.txt"))
    stems = [p.name[: -len(".pose.txt")] for p in pose_files]
    orphan = _unposed_frame(seq, set(stems))
    if orphan is not None:
        stem = orphan.split(".")[0]
        raise InputError(f"frame {seq.name}/{stem} has {orphan} but no pose file {stem}.pose.txt",
                         file=seq / f"{stem}.pose.txt")
    if not pose_files:
        return None
    T = np.stack([_read_pose(p) for p in pose_files])
    R = np.empty((len(T), 3, 3))
    for i, p in enumerate(pose_files):  # per file, so that the error names it
        R[i] = rigid_rotations(T[i:i + 1, :3, :3], p, None)[0]
    colour = [_existing(seq, s, (".color.png", ".color.jpg")) for s in stems]
    depth = [_existing(seq, s, (".depth.png",)) for s in stems]
    prefix = f"{sequence}/" if sequence else ""
    return pose_rows(
        R, T[:, :3, 3],
        key=[f"{prefix}{s}" for s in stems],
        group=scene_name, role=role, sequence=sequence,
        image_path=[None if c is None else relative(c, root) for c in colour],
        depth_path=[None if d is None else relative(d, root) for d in depth],
        source_file=[relative(p, root) for p in pose_files], source_row=1,
        depth_scale=DEPTH_UNITS_PER_M, **intrinsics,
    )


class SevenScenes(Reader):
    name = "7scenes"
    takes = "folder"
    summary = "7-Scenes tree (seq-XX/, Train/TestSplit.txt), or a folder of frame-*.pose.txt + depth"
    groups = ("pose", "pinhole", "depth")

    def read(self, path, options, threads=1):
        return read_7scenes(path)
