"""Shared by the pose readers: numbers from text lines, pose checks with file/line errors, rows."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..geometry.poses import PoseError, check_rigid, matrix_to_quat, normalize_quaternions, quat_to_matrix


def numeric_lines(path: Path, count: int | tuple[int, ...], what: str, *, comment: str = "#"):
    """Rows of numbers from a whitespace-separated text file: (array (n, k), 1-based line numbers).

    ``count``: how many numbers a line must hold (or the allowed counts). Blank and comment lines
    are skipped; any other line with another count, or a non-number, is an error naming the line.
    """
    counts = (count,) if isinstance(count, int) else tuple(count)
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", file=path) from None
    rows, lines = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith(comment):
            continue
        parts = line.replace(",", " ").split()
        if len(parts) not in counts:
            expected = " or ".join(str(c) for c in counts)
            raise InputError(f"{what}: expected {expected} numbers, got {len(parts)}", file=path,
                             row=f"line {number}")
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            bad = next(p for p in parts if not _is_float(p))
            raise InputError(f"{what}: {bad!r} is not a number", file=path, row=f"line {number}") from None
        lines.append(number)
    return np.array(rows, dtype=np.float64).reshape(len(rows), -1), np.array(lines, dtype=np.int64)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@contextmanager
def pose_errors(path, lines, what="pose"):
    """Turn a PoseError on pose i into an InputError naming ``path`` and ``lines[i]``."""
    try:
        yield
    except PoseError as exc:
        line = lines[exc.index] if lines is not None else None
        row = None if line is None else (line if isinstance(line, str) else f"line {int(line)}")
        raise InputError(f"{what}: {exc}", file=path, row=row) from None


def rotations_from_quaternions(q_wxyz, path, lines):
    with pose_errors(path, lines, "quaternion"):
        return quat_to_matrix(normalize_quaternions(q_wxyz))


def rigid_rotations(R, path, lines):
    with pose_errors(path, lines, "rotation"):
        return check_rigid(R)


def pose_rows(R_world_from_cam, t_world_from_cam, **columns) -> pd.DataFrame:
    """Frames-table rows for posed cameras; the 2D columns stay NaN until a labeller projects them."""
    q = matrix_to_quat(R_world_from_cam)
    t = np.asarray(t_world_from_cam, np.float64).reshape(-1, 3)
    frames = pd.DataFrame({"tx": t[:, 0], "ty": t[:, 1], "tz": t[:, 2],
                           "qw": q[:, 0], "qx": q[:, 1], "qy": q[:, 2], "qz": q[:, 3]})
    for name, value in columns.items():
        frames[name] = value
    for name in ("x_m", "y_m", "grid_heading_deg"):
        frames[name] = np.nan
    return frames


def relative(path: Path, root: Path) -> str:
    base = root if root.is_dir() else root.parent
    try:
        return Path(path).relative_to(base).as_posix()
    except ValueError:
        return str(path)
