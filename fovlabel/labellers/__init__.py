"""Labellers, registered by name. A labeller turns candidate pairs of frames into overlaps.

Interface (module-level names of the registered module):

- ``PAIRS_SCHEMA``: the pairs table it writes;
- ``prepare(frames, config, root, jobs) -> (frames, notes, meta, state)``: complete the frames table
  for this labeller (2D positions, headings, FoV, flags), with lines for the summary, a dict for
  the output's metadata, and the state the chunks need (plain arrays, cheap to send to worker
  processes); runs once, in the main process, before the chunks are planned. ``root``: the
  dataset folder that relative paths in the frames table (depth images) start from; ``jobs``:
  threads it may use (it runs before the chunks' worker processes start, never beside them);
- ``label_chunk(state, chunk, config) -> pyarrow.Table``: the pairs of one chunk.
"""

from __future__ import annotations

import importlib

from ..errors import UnknownFormatError

LABELLERS: dict[str, str] = {
    "weak2d": "fovlabel.labellers.weak2d",
    "strong2d": "fovlabel.labellers.strong2d",
    "cloud3d": "fovlabel.labellers.cloud3d",
}


def get_labeller(name: str):
    if name not in LABELLERS:
        raise UnknownFormatError(f"unknown labeller {name!r}; known: {', '.join(sorted(LABELLERS))}")
    return importlib.import_module(LABELLERS[name])
