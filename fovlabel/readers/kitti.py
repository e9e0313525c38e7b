"""KITTI odometry poses: ``poses/XX.txt``, 12 numbers a line = row-major 3x4 [R|t].

The pose of the left camera (cam0) in the frame of the first cam0: camera-to-world already, the
convention of the frames table, so R and t are taken as they are (checked rigid). Metres, OpenCV
axes. Times: ``times`` option, else ``XX_times.txt`` or ``times.txt`` beside the file, else
``../sequences/XX/times.txt`` (the official layout); optional. The group is the sequence (file stem).
KITTI has no intrinsics in the pose file: use ``--fov-deg N`` or ``--fx``/``--width``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pathlib import Path


from ..errors import InputError
from ._poses import check_translations, numeric_lines, pose_rows, relative, rigid_rotations
from .base import Reader, ReaderOptions, param

#: the 12 numbers of a line: row-major [R | t]
COLUMNS = ("r11", "r12", "r13", "tx", "r21", "r22", "r23", "ty", "r31", "r32", "r33", "tz")


def _times_file(path: Path) -> Path | None:
    for candidate in (path.with_name(f"{path.stem}_times.txt"), path.with_name("times.txt"),
                      path.parent.parent / "sequences" / path.stem / "times.txt"):
        if candidate.is_file():
            return candidate
    return None


def read_kitti(path: Path, *, times=None):
    if path.is_dir():
        raise InputError("kitti takes a pose file (poses/XX.txt), not a folder", file=path)
    T, lines = numeric_lines(path, 12, "KITTI pose (3x4 camera-to-world, row-major)", columns=COLUMNS)
    if len(T) == 0:
        raise InputError("the pose file holds no poses (it is empty or all comments)", file=path)
    T = T.reshape(-1, 3, 4)
    check_translations(T[:, :, 3], path, lines, columns=("4 (tx)", "8 (ty)", "12 (tz)"))
    R = rigid_rotations(T[:, :, :3], path, lines)
    times_path = Path(times) if times else _times_file(path)
    frames = pose_rows(
        R, T[:, :, 3],
        key=[f"{i:06d}" for i in range(len(T))],
        group=path.stem,
        sequence=path.stem,
        source_file=relative(path, path),
        source_row=lines,
    )
    if times_path is not None:
        stamps, _ = numeric_lines(times_path, 1, "KITTI time")
        if len(stamps) != len(T):
            raise InputError(f"{len(stamps)} times for {len(T)} poses in {path.name}", file=times_path)
        frames["timestamp_s"] = stamps[:, 0]
    return frames


@dataclass(frozen=True)
class KittiOptions(ReaderOptions):
    times: str | None = param(None, "KITTI times file (default: found beside the poses).")


class Kitti(Reader):
    name = "kitti"
    takes = "file"
    summary = "KITTI odometry poses/XX.txt (3x4 camera-to-world a line)"
    groups = ("pose",)
    Options = KittiOptions

    def read(self, path, options, threads=1):
        return read_kitti(path, times=options.times)
