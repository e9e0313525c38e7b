"""TB-Places index JSON: ``{"im_paths": [...], "poses": [[tx, ty, tz, qx, qy, qz, qw], ...]}``.

Camera-to-world, metres; the quaternion is scalar-last in the file and reordered to (w, x, y, z).
The group is the file's stem; keys and image paths are ``im_paths``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import InputError
from ._poses import check_translations, pose_rows, relative, rotations_from_quaternions
from .base import Reader

COLUMNS = ("tx", "ty", "tz", "qx", "qy", "qz", "qw")


def read_tbplaces(path: Path):
    try:
        index = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot be read as TB-Places JSON: {exc}", file=path) from None
    if not isinstance(index, dict):
        raise InputError(f"TB-Places index must be a JSON object with im_paths, poses; got a "
                         f"{type(index).__name__}", file=path)
    missing = [k for k in ("im_paths", "poses") if k not in index]
    if missing:
        raise InputError(f"TB-Places index needs keys im_paths, poses; missing: {', '.join(missing)}", file=path)
    paths, poses = index["im_paths"], index["poses"]
    for key, value in (("im_paths", paths), ("poses", poses)):
        if not isinstance(value, list):
            raise InputError(f"{key} must be a list; got {type(value).__name__}", file=path)
    if len(paths) != len(poses):
        raise InputError(f"{len(paths)} im_paths but {len(poses)} poses", file=path)
    for i, name in enumerate(paths):
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"image path must be a non-empty string; got {name!r}", file=path,
                             row=f"im_paths[{i}]")
    for i, pose in enumerate(poses):
        if not isinstance(pose, list) or len(pose) != 7:
            raise InputError("pose must be 7 numbers tx ty tz qx qy qz qw", file=path, row=f"poses[{i}]")
        for k, v in enumerate(pose):
            # bool is an int to Python, and numpy would turn "1.5" or null into a number or NaN
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
                raise InputError(f"value {json.dumps(v)} is not a finite number", file=path,
                                 row=f"poses[{i}]", column=COLUMNS[k])
    P = np.asarray(poses, dtype=np.float64).reshape(-1, 7)
    rows = [f"poses[{i}]" for i in range(len(P))]
    check_translations(P[:, :3], path, rows)
    R = rotations_from_quaternions(P[:, [6, 3, 4, 5]], path, rows)  # scalar last -> first
    return pose_rows(R, P[:, :3], key=[str(p) for p in paths], image_path=[str(p) for p in paths],
                     group=path.stem, source_file=relative(path, path),
                     source_row=np.arange(1, len(P) + 1))


class TbPlaces(Reader):
    name = "tbplaces"
    takes = "file"
    summary = "TB-Places index JSON: im_paths and poses (tx ty tz qx qy qz qw)"
    groups = ("pose",)

    def read(self, path, options, threads=1):
        return read_tbplaces(path)
