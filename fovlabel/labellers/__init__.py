"""Labellers, registered by name. A labeller turns candidate pairs of frames into overlaps.

Interface (module-level functions of the registered module):

- ``prepare(frames, config) -> (frames, notes, meta)``: complete the frames table for this
  labeller (2D positions, headings, FoV, flags), with lines for the summary and a dict for the
  output's metadata; runs once, in the main process;
- ``frame_arrays(frames, config) -> dict[str, np.ndarray]``: the per-frame numbers it needs,
  as plain arrays (cheap to send to worker processes);
- ``radius_m(arrays) -> np.ndarray``: per-frame reach for the candidate search;
- ``overlap(arrays, a, b, config) -> np.ndarray``: overlap of pairs of rows (a[i], b[i]).
"""

from __future__ import annotations

import importlib

from ..errors import UnknownFormatError

LABELLERS: dict[str, str] = {
    "weak2d": "fovlabel.labellers.weak2d",
    "strong2d": "fovlabel.labellers.strong2d",
}


def get_labeller(name: str):
    if name not in LABELLERS:
        raise UnknownFormatError(f"unknown labeller {name!r}; known: {', '.join(sorted(LABELLERS))}")
    return importlib.import_module(LABELLERS[name])
