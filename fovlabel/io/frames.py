"""Finding frames of a frames table by what a user types: a key or a frame id."""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError


def frame_index(frames, name) -> int:
    """A frame by key (a string) or by frame id (an int, or digits that are no key)."""
    if isinstance(name, (int, np.integer)):
        if 0 <= int(name) < len(frames):
            return int(name)
        raise ConfigError(f"no frame with id {name} in this label set")
    keys = frames["key"].astype(str)
    hit = np.flatnonzero(keys.to_numpy() == str(name))
    if len(hit) == 1:
        return int(hit[0])
    if len(hit) > 1:
        raise ConfigError(f"key {name!r} names {len(hit)} frames (one per group); give the frame id")
    if str(name).isdigit() and int(name) < len(frames):
        return int(name)
    raise ConfigError(f"no frame with key or frame id {name!r} in this label set")
