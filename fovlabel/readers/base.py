"""The reader protocol: a dataset format read into the canonical frames table (schema.py).

A reader is a small typed unit, like a labeller or an exporter:

- ``name`` (what ``--format`` calls it), ``takes`` ("file", "folder", "file or folder") and
  ``summary``, one line for ``--help``;
- ``groups``: the column groups (schema.FRAME_GROUPS) it may fill; a column of another group is
  a reader bug, refused when the table is finalised;
- ``Options``: its own frozen dataclass of options (fovlabel.params: ``param(default, help)``
  fields, type-checked on creation); an option it does not take is refused, and its flags on the
  command line come from here;
- ``read(path, options, threads) -> DataFrame``: the frames of the dataset at ``path`` in the
  reader's own columns (readers.finalize_frames adds ids, types and the optional columns).
  ``threads``: files it may read at once (the table is the same for any number);
- ``read_groups(path, options, threads)``, optional (``reads_by_group`` True): the same frames
  as ``read``, as an iterator of tables of whole groups in the order ``read`` puts them (MSLS: a
  city each), so that a run may label a group while later ones are still being read.

A reader converts its format's conventions once, at the boundary (compass vs grid headings,
lat/lon vs metric, which way a pose maps); everything downstream sees only the frames table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pandas as pd

from ..params import Params, param

#: the help of every reader's ``epsg`` option (MSLS, CSV)
EPSG_HELP = "Projected metric CRS for positions, e.g. 32632 (default: the UTM zone of each group's median point)."


@dataclass(frozen=True)
class ReaderOptions(Params):
    """Base of a reader's options (none by default)."""


@dataclass(frozen=True)
class EpsgOptions(ReaderOptions):
    """The options of a reader of lat/lon positions: the metric CRS they are projected into."""

    epsg: int | str | None = param(None, EPSG_HELP)


class Reader:
    """Base class of every reader (see the module docstring for the protocol)."""

    name: ClassVar[str]
    takes: ClassVar[str] = "file"
    summary: ClassVar[str] = ""
    groups: ClassVar[tuple[str, ...]] = ()
    Options: ClassVar[type[ReaderOptions]] = ReaderOptions

    #: True where :meth:`read_groups` yields the frames a group (or a few whole groups) at a time
    reads_by_group: ClassVar[bool] = False

    def read(self, path: Path, options, threads: int = 1) -> pd.DataFrame:
        raise NotImplementedError

    def read_groups(self, path: Path, options, threads: int = 1):
        """The frames of :meth:`read` as tables of whole groups, in its order (a reader that
        reads by group overrides it; this one yields the whole table)."""
        yield self.read(path, options, threads)

    def __repr__(self) -> str:
        return f"<reader {self.name}>"
