"""Shared by the pose readers: numbers from text lines, pose checks with file/line errors, rows."""

from __future__ import annotations

import math
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..schema import MAX_COORDINATE_M
from ..geometry.poses import PoseError, check_rigid, matrix_to_quat, normalize_quaternions, quat_to_matrix


def data_lines(path: Path, what: str, *, comment: str = "#"):
    """(1-based line number, stripped text) of every line that is neither blank nor a comment."""
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "it is not text"
        raise InputError(f"cannot read {what}: {reason}", file=path) from None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith(comment):
            yield number, line


def numeric_lines(path: Path, count: int | tuple[int, ...], what: str, *, comment: str = "#",
                  columns=None):
    """Rows of numbers from a whitespace-separated text file: (array (n, k), 1-based line numbers).

    ``count``: how many numbers a line must hold (or the allowed counts). Blank and comment lines
    are skipped; any other line with another count, a non-number or a non-finite value (nan, inf)
    is an error naming the line and the column (1-based, with its name from ``columns``).
    """
    return numeric_rows(data_lines(path, what, comment=comment), path, count, what, columns=columns)


def numeric_rows(numbered_lines, path, count, what, *, columns=None):
    """:func:`numeric_lines` on (line number, text) pairs already read."""
    counts = (count,) if isinstance(count, int) else tuple(count)
    rows, lines = [], []
    for number, line in numbered_lines:
        parts = line.replace(",", " ").split()
        if len(parts) not in counts:
            expected = " or ".join(str(c) for c in counts)
            raise InputError(f"{what}: expected {expected} numbers, got {len(parts)}", file=path,
                             row=f"line {number}")
        values = []
        for k, p in enumerate(parts):
            column = f"{k + 1}" + (f" ({columns[k]})" if columns and k < len(columns) else "")
            try:
                v = float(p)
            except ValueError:
                raise InputError(f"{what}: {p!r} is not a number", file=path, row=f"line {number}",
                                 column=column) from None
            if not math.isfinite(v):
                raise InputError(f"{what}: value {p!r} is not finite", file=path, row=f"line {number}",
                                 column=column)
            values.append(v)
        rows.append(values)
        lines.append(number)
    width = len(rows[0]) if rows else counts[0]
    return np.array(rows, dtype=np.float64).reshape(len(rows), width), np.array(lines, dtype=np.int64)


def check_last_row(T, path, rows, column=None) -> None:
    """4x4 matrices (n, 4, 4) must end in [0, 0, 0, 1]; the first that does not is named."""
    T = np.asarray(T, np.float64).reshape(-1, 4, 4)
    bad = ~np.isclose(T[:, 3], [0, 0, 0, 1], atol=1e-6).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"pose is not rigid: last row {T[i, 3].tolist()} is not [0, 0, 0, 1]", file=path,
                         row=rows[i] if rows is not None else None, column=column)


def check_translations(t, path, rows, columns=("tx", "ty", "tz")) -> np.ndarray:
    """Camera centres: finite and within ±MAX_COORDINATE_M, else an error naming the row."""
    t = np.asarray(t, np.float64).reshape(-1, 3)
    bad = ~(np.abs(t) <= MAX_COORDINATE_M)  # NaN fails too
    if bad.any():
        i, k = (int(v) for v in np.argwhere(bad)[0])
        row = rows[i] if rows is not None else None
        row = None if row is None else (row if isinstance(row, str) else f"line {int(row)}")
        raise InputError(f"translation {t[i, k]:g} m is not finite or beyond ±{MAX_COORDINATE_M:g} m "
                         f"({int(bad.any(axis=1).sum())} such pose(s))", file=path, row=row,
                         column=columns[k])
    return t


@contextmanager
def pose_errors(path, lines, what="pose"):
    """Turn a PoseError on pose i into an InputError naming ``path`` and ``lines[i]``."""
    try:
        yield
    except PoseError as exc:
        line = lines[exc.index] if lines is not None else None
        row = None if line is None else (line if isinstance(line, str) else f"line {int(line)}")
        message = str(exc) if str(exc).startswith(what) else f"{what}: {exc}"
        raise InputError(message, file=path, row=row) from None


def rotations_from_quaternions(q_wxyz, path, lines):
    with pose_errors(path, lines, "quaternion"):
        return quat_to_matrix(normalize_quaternions(q_wxyz))


def rigid_rotations(R, path, lines):
    with pose_errors(path, lines, "rotation"):
        return check_rigid(R)


def pose_rows(R_world_from_cam, t_world_from_cam, **columns) -> pd.DataFrame:
    """Frames-table rows for posed cameras (the pose group, and the given columns)."""
    q = matrix_to_quat(R_world_from_cam)
    t = np.asarray(t_world_from_cam, np.float64).reshape(-1, 3)
    frames = pd.DataFrame({"tx": t[:, 0], "ty": t[:, 1], "tz": t[:, 2],
                           "qw": q[:, 0], "qx": q[:, 1], "qy": q[:, 2], "qz": q[:, 3]})
    for name, value in columns.items():
        frames[name] = value
    return frames


def relative(path: Path, root: Path) -> str:
    base = root if root.is_dir() else root.parent
    try:
        return Path(path).relative_to(base).as_posix()
    except ValueError:
        return str(path)
