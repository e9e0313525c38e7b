"""TUM RGB-D: ``groundtruth.txt`` lines ``timestamp tx ty tz qx qy qz qw``.

Camera-to-world (the colour camera's optical centre in the mocap world), metres, OpenCV axes; the
quaternion is scalar-LAST here and is reordered to the frames table's (w, x, y, z).

With ``rgb.txt`` beside it (``timestamp filename``), the frames are the images: each gets the pose
interpolated at its timestamp (linear in position, slerp in rotation) between the two ground-truth
poses around it; a gap between those larger than ``max_gap_s`` is refused, and so are images
outside the ground truth's time span (``clip=True`` drops them instead). ``depth.txt`` (if present)
gives each image the nearest depth image within 20 ms. Without ``rgb.txt`` every pose line is a
frame. ``stride`` keeps every k-th frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from pathlib import Path

import numpy as np

from ..errors import ConfigError, InputError
from ..geometry.poses import normalize_quaternions, slerp
from ._poses import (
    check_translations,
    data_lines,
    numeric_rows,
    pose_errors,
    pose_rows,
    relative,
    rotations_from_quaternions,
)
from .base import Reader, ReaderOptions, param

COLUMNS = ("timestamp", "tx", "ty", "tz", "qx", "qy", "qz", "qw")

DEPTH_MATCH_S = 0.02
DEPTH_UNITS_PER_M = 5000.0  # TUM RGB-D depth PNGs: 5000 units per metre


def _names(path: Path):
    """(timestamp, name, line) of an rgb.txt / depth.txt."""
    out = []
    for number, line in data_lines(path, "TUM image list"):
        parts = line.split()
        try:
            stamp = float(parts[0])
            name = parts[1]
        except (ValueError, IndexError):
            raise InputError("expected 'timestamp filename'", file=path, row=f"line {number}") from None
        if not np.isfinite(stamp):
            raise InputError(f"timestamp {parts[0]!r} is not finite", file=path, row=f"line {number}",
                             column="1 (timestamp)")
        out.append((stamp, name, number))
    return out


def read_tum(path: Path, *, stride=None, max_gap_s=0.05, clip=False):
    gt_path = path / "groundtruth.txt" if path.is_dir() else path
    if not gt_path.is_file():
        raise InputError("TUM folder has no groundtruth.txt", file=path)
    stride = 1 if stride is None else int(stride)
    if stride < 1:
        raise ConfigError(f"stride must be >= 1; got {stride}")
    text = list(data_lines(gt_path, "TUM ground truth"))  # read once: numbers, and stamps as written
    gt, lines = numeric_rows(text, gt_path, 8, "TUM pose 'timestamp tx ty tz qx qy qz qw'", columns=COLUMNS)
    if len(gt) == 0:
        raise InputError("the ground truth holds no poses", file=gt_path)
    stamps = gt[:, 0]
    back = np.flatnonzero(np.diff(stamps) < 0)
    if len(back):
        raise InputError("timestamps must not decrease", file=gt_path, row=f"line {lines[back[0] + 1]}")
    check_translations(gt[:, 1:4], gt_path, lines, columns=COLUMNS[1:4])
    # Equal neighbours occur in real files (4-decimal stamps at 100 Hz, fr2_desk): valid, but one
    # instant has one pose. Keep the first line of each run of equal stamps and say so.
    repeat = np.concatenate([[False], np.diff(stamps) == 0])
    notes = []
    if repeat.any():
        shown = ", ".join(str(n) for n in lines[repeat][:3]) + (" ..." if repeat.sum() > 3 else "")
        notes.append(f"{gt_path.name}: {int(repeat.sum())} pose line(s) repeat the timestamp of the line "
                     f"before (line(s) {shown}); kept the first pose of each timestamp")
        gt, lines, stamps = gt[~repeat], lines[~repeat], stamps[~repeat]
    q_wxyz = gt[:, [7, 4, 5, 6]]  # TUM stores qx qy qz qw: scalar last -> first
    with pose_errors(gt_path, lines, "quaternion"):
        q_wxyz = normalize_quaternions(q_wxyz)
    t = gt[:, 1:4]
    group = path.name if path.is_dir() else gt_path.stem
    rgb_path = gt_path.with_name("rgb.txt")
    if not rgb_path.is_file():
        keep = slice(None, None, stride)
        R = rotations_from_quaternions(q_wxyz[keep], gt_path, lines[keep])
        by_line = dict(text)
        text_stamps = np.array([by_line[n].split()[0] for n in lines], dtype=object)
        frames = pose_rows(R, t[keep], key=text_stamps[keep], group=group,
                           timestamp_s=stamps[keep], source_file=relative(gt_path, path),
                           source_row=lines[keep])
        frames.attrs["notes"] = notes
        return frames

    images = _names(rgb_path)[::stride]
    image_t = np.array([s for s, _, _ in images])
    inside = (image_t >= stamps[0]) & (image_t <= stamps[-1])
    if not inside.all() and not clip:
        i = int(np.flatnonzero(~inside)[0])
        raise InputError(
            f"image time {image_t[i]:.6f} is outside the ground truth's span "
            f"[{stamps[0]:.6f}, {stamps[-1]:.6f}] ({int((~inside).sum())} image(s)); "
            "pass clip=True to drop them", file=rgb_path, row=f"line {images[i][2]}")
    images = [im for im, ok in zip(images, inside) if ok]
    image_t = image_t[inside]
    hi = np.clip(np.searchsorted(stamps, image_t, side="left"), 1, len(stamps) - 1)
    lo = hi - 1
    gap = stamps[hi] - stamps[lo]
    too_wide = gap > max_gap_s
    if too_wide.any():
        i = int(np.flatnonzero(too_wide)[0])
        raise InputError(f"no ground truth within the gap limit: the poses around image time "
                         f"{image_t[i]:.6f} are {gap[i]:.3f} s apart (max_gap_s {max_gap_s:g})",
                         file=rgb_path, row=f"line {images[i][2]}")
    u = np.where(gap > 0, (image_t - stamps[lo]) / np.where(gap > 0, gap, 1.0), 0.0)
    t_img = t[lo] + u[:, None] * (t[hi] - t[lo])
    q_img = slerp(q_wxyz[lo], q_wxyz[hi], u)
    R = rotations_from_quaternions(q_img, rgb_path, [f"line {im[2]}" for im in images])
    frames = pose_rows(R, t_img, key=[name for _, name, _ in images], group=group,
                       timestamp_s=image_t, image_path=[name for _, name, _ in images],
                       source_file=relative(rgb_path, path), source_row=[im[2] for im in images])
    depth_path = gt_path.with_name("depth.txt")
    if depth_path.is_file():
        depth = _names(depth_path)
        depth_t = np.array([s for s, _, _ in depth])
        j = np.clip(np.searchsorted(depth_t, image_t), 1, len(depth_t) - 1)
        j = np.where(np.abs(depth_t[j - 1] - image_t) < np.abs(depth_t[j] - image_t), j - 1, j)
        close = np.abs(depth_t[j] - image_t) <= DEPTH_MATCH_S
        frames["depth_path"] = [depth[k][1] if ok else None for k, ok in zip(j, close)]
        frames["depth_scale"] = DEPTH_UNITS_PER_M
    frames.attrs["notes"] = notes
    return frames


@dataclass(frozen=True)
class TumOptions(ReaderOptions):
    stride: int | None = param(None, "Keep every k-th frame (TUM).")
    max_gap_s: float = param(0.05, "Largest ground-truth gap an image time may fall in, s.")
    clip: bool = param(False, "Drop images outside the ground truth's span instead of refusing.")


class Tum(Reader):
    name = "tum"
    takes = "file or folder"
    summary = "TUM RGB-D groundtruth.txt (with rgb.txt and depth.txt beside it: the images)"
    groups = ("pose", "depth")
    Options = TumOptions

    def read(self, path, options, threads=1):
        return read_tum(path, stride=options.stride, max_gap_s=options.max_gap_s, clip=options.clip)
