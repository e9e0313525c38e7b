"""Depth images: 16-bit PNG or PGM, read with Pillow into uint16 arrays.

Depth units per metre come from the format (``depth_scale`` in the frames table: 7-Scenes 1000,
TUM 5000). ``schema.DEPTH_INVALID`` values are no measurement: 0 always, 65535 too (7-Scenes'
"no reading"). An 8-bit image cannot hold
depth at any useful resolution and is refused rather than guessed at.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError


def read_depth(path, *, width=None, height=None) -> np.ndarray:
    """uint16 depth image (height, width); checks the size against the intrinsics when given."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise InputError("depth image not found", file=path)
    try:
        with Image.open(path) as im:
            mode = im.mode
            depth = np.asarray(im)
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"cannot be read as a depth image: {exc}", file=path) from None
    if mode in ("L", "P", "1", "RGB", "RGBA", "LA") or depth.dtype == np.uint8:
        raise InputError(f"depth image is 8-bit (mode {mode}); depth needs 16-bit PNG or PGM", file=path)
    if depth.ndim != 2:
        raise InputError(f"depth image has {depth.ndim} dimensions, expected 2", file=path)
    if depth.dtype != np.uint16:
        if depth.min() < 0 or depth.max() > 65535:
            raise InputError(f"depth values outside 0..65535 (mode {mode})", file=path)
        depth = depth.astype(np.uint16)
    if width is not None and height is not None and depth.shape != (int(height), int(width)):
        raise InputError(f"depth image is {depth.shape[1]}x{depth.shape[0]} but the intrinsics say "
                         f"{int(width)}x{int(height)}", file=path)
    return np.ascontiguousarray(depth)
