"""The labeller protocol, written as code: what every labeller is and does.

A labeller is a small typed unit (hloc's plugins and pytorch-metric-learning's samplers are the
models): a :class:`Labeller` subclass with

- ``name``: what ``--labeller`` and the registry call it, and ``summary``, one line for ``--help``;
- ``Params``: its own frozen parameter dataclass (a :class:`LabellerParams`), with defaults, types
  and its own ``validate``; nothing else reaches it, so a parameter it does not take is refused
  (``cloud3d does not take measure``) instead of silently ignored;
- ``pairs_schema``: the pairs table it writes;
- ``requires(frames, params)``: the frame columns every usable frame must have; checked in one
  place (:meth:`Labeller.check_frames`), with one message;
- ``prepare(frames, params, root, jobs, workdir) -> Prepared``: runs once in the main process
  before the chunks are planned: the frames table as this labeller sees it (positions, flags), the
  state the chunks need (plain arrays, cheap to send to worker processes), lines for the summary
  and a dict for the metadata. ``root``: the folder relative paths (depth images) start from;
  ``jobs``: threads it may use (never beside the chunks' worker processes); ``workdir``: a folder
  of the run's own (in the output's partial folder, removed at the commit) where it may spill state
  that need not stay in memory (the 3D labeller's voxel sets), or None;
- ``chunk_frames``: its default anchors per chunk (a chunk's pairs are in memory at once);
- ``parallel``: how ``--jobs`` runs its chunks: "processes" (joblib worker processes, the state
  sent to each), "threads" (``jobs`` threads of this process: ``label_chunk`` releases the GIL
  for its heavy work, so nothing is copied or sent), or "inside" (``label_chunk`` uses the
  state's threads itself; chunks run one after the other, the next labelled while one is
  written); ``worker_state(state)`` gives the state for a single-threaded worker elsewhere (Dask);
- ``label_chunk(state, chunk, run, params) -> pyarrow.Table``: the pairs of one chunk, where
  ``run`` is the run's :class:`~fovlabel.config.RunSettings` (mode, positive, keep_zero, ...);
- ``groups_independent``: True where ``prepare`` treats each group alone (a frame's state, and so
  a group's chunks and pairs, do not depend on other groups): a run may then prepare and label a
  group by itself while later groups are still being read (fovlabel.streaming);
- what it offers the rest of fovlabel, which asks it (no module outside ``labellers/`` compares
  a labeller's name): ``placement``, the frames-table columns (x, y, heading) that put a frame on
  its 2D plane, ``place(frames, params)``, the frames placed there, and ``plane_axes``, that
  plane's axis names (the map, the query picture);
  ``sectors(frames, params)``, the sectors it draws (the pair picture); ``pixels``, True where
  its pairs rest on pixels (shared pixels, correspondences, image datasets); ``symmetric(params)``,
  whether a pair's value is the same both ways; ``pair_overlap(frames, params, i, j)``, one pair's
  overlap for a picture of any two frames; ``inputs(params)``, files it reads besides the
  dataset (the 3D scene cloud);
- optionally ``kernels`` ("module:function" names of the Numba kernels it runs) and
  ``warm_up()``, which runs them once on a tiny input: the batch runner calls it before the
  chunks, as its own phase, and says "compiling kernels" when Numba's cache has none of them yet
  (a first run), so that the compile time is neither silent nor counted as labelling.

A long ``prepare`` reports its work through :func:`fovlabel.progress.current_phase`.

Register one with :func:`fovlabel.labellers.register_labeller`; adding a labeller needs no edit to
the config, the batch runner or the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import ConfigError
from ..params import Params, param  # noqa: F401  (param: for labellers' Params)


@dataclass(frozen=True)
class LabellerParams(Params):
    """Base of a labeller's parameters (fovlabel.params: type-checked on creation, then
    :meth:`validate` checks the ranges)."""


@dataclass
class Prepared:
    """What :meth:`Labeller.prepare` returns."""

    frames: pd.DataFrame
    state: Any
    notes: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)


class Labeller:
    """Base class of every labeller (see the module docstring for the protocol)."""

    name: ClassVar[str]
    summary: ClassVar[str] = ""
    Params: ClassVar[type[LabellerParams]] = LabellerParams
    pairs_schema: ClassVar[pa.Schema]
    kernels: ClassVar[tuple[str, ...]] = ()
    chunk_frames: ClassVar[int] = 5_000
    parallel: ClassVar[str] = "processes"
    #: True where :meth:`prepare` takes long and leaves the main thread idle (the 3D labeller
    #: decodes depth in threads): cached kernels then load in a thread while it runs
    warm_up_while_preparing: ClassVar[bool] = False
    #: frames-table columns (x, y, heading in compass degrees) placing a frame on this labeller's
    #: 2D plane, or None where it places none (plot map, plot query)
    placement: ClassVar[tuple[str, str, str] | None] = None
    #: the names of that plane's axes: ("east", "north") where it is geo-referenced
    plane_axes: ClassVar[tuple[str, str]] = ("ground plane e1", "ground plane e2")
    #: True where its pairs rest on pixels (views.shared_pixels, correspondences)
    pixels: ClassVar[bool] = False
    #: True where prepare treats each group alone: a group may be labelled while others are read
    groups_independent: ClassVar[bool] = False

    def symmetric(self, params) -> bool:
        """True when a pair's value is the same both ways (then a within-mode pair is written once)."""
        return True

    def sectors(self, frames: pd.DataFrame, params):
        """(each frame's FoV in degrees, the radius in metres) of the sectors it draws at
        :attr:`placement`, or None where it draws none (plot pair)."""
        return None

    def place(self, frames: pd.DataFrame, params):
        """(x, y, heading) arrays putting every frame on this labeller's 2D plane (NaN where it
        places none), for the map and the query picture; None where it places no frame. By
        default its :attr:`placement` columns."""
        if self.placement is None:
            return None
        return tuple(frames[c].to_numpy(np.float64, na_value=np.nan) for c in self.placement)

    #: candidate pairs a chunk may hold in memory at once: a chunk whose anchors' pair_load passes
    #: it is cut further (pairs.plan_chunks); None: chunks are cut by frame count alone
    chunk_pairs: ClassVar[int | None] = None

    def pair_load(self, state, frames: pd.DataFrame, chunk_frames: int):
        """Each frame's candidate pairs at most, as an anchor (an estimate is fine: it bounds
        memory, it does not change the labels), or None."""
        return None

    def pair_overlap(self, frames: pd.DataFrame, params, i: int, j: int):
        """The overlap of frames i and j as this labeller computes it, whether or not the pair was
        a candidate (a picture of any two frames); None where it cannot say alone."""
        return None

    def inputs(self, params) -> list:
        """Files or folders it reads besides the dataset (an output may not lie inside them)."""
        return []

    def warm_up(self) -> None:
        """Run every kernel of :attr:`kernels` once on a tiny input (compiling or loading it)."""

    def requires(self, frames: pd.DataFrame, params) -> tuple[str, ...]:
        """Frame columns every usable frame must have (finite numbers, or non-null values)."""
        return ()

    def missing_hint(self, row: pd.Series) -> str:
        """An extra hint for a frame that lacks a required column (e.g. which labeller fits)."""
        return ""

    def check_frames(self, frames: pd.DataFrame, params) -> None:
        """The one check of :meth:`requires`: the first usable frame lacking a column is named."""
        columns = list(self.requires(frames, params))
        if not columns:
            return
        usable = frames["usable"].to_numpy()
        have = np.ones(len(frames), bool)
        for c in columns:
            values = frames[c]
            if pd.api.types.is_numeric_dtype(values.dtype):
                have &= np.isfinite(values.to_numpy(np.float64, na_value=np.nan))
            else:
                have &= values.notna().to_numpy()
        missing = usable & ~have
        if missing.any():
            row = frames.iloc[int(np.flatnonzero(missing)[0])]
            lacking = [c for c in columns if not _has(row[c])]
            raise ConfigError(f"{self.name} needs {', '.join(columns)} for every frame; frame {row['key']!r} "
                              f"({row['source_file']}) has no {', '.join(lacking)}{self.missing_hint(row)}")

    def prepare(self, frames: pd.DataFrame, params, root=None, jobs: int = 1, workdir=None) -> Prepared:
        raise NotImplementedError

    def worker_state(self, state):
        """The state as a single-threaded worker on another machine or process gets it."""
        return state

    def label_chunk(self, state, chunk, run, params) -> pa.Table:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<labeller {self.name}>"


def _has(value) -> bool:
    if value is None:
        return False
    if isinstance(value, (float, np.floating)):
        return bool(np.isfinite(value))
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays (SfM point ids)
        return True
