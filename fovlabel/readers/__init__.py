"""Dataset readers, registered by name. Each returns the canonical frames table (see schema.py).

The protocol is :class:`fovlabel.readers.base.Reader`. Built-in readers are imported on first
use; others join with :func:`register_reader` and are then usable everywhere a format is.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .._registry import lookup, register
from ..errors import InputError, UnknownFormatError
from ..schema import FRAME_GROUPS, FRAMES_SCHEMA, GROUP_OF
from .base import Reader, ReaderOptions

__all__ = ["READERS", "Reader", "ReaderOptions", "finalize_frames", "get_reader", "read_frames", "register_reader"]

#: name -> "module:Class" (imported on first use) or a registered instance
READERS: dict = {
    "msls": "fovlabel.readers.msls:Msls",
    "csv": "fovlabel.readers.csvfile:Csv",
    "kitti": "fovlabel.readers.kitti:Kitti",
    "tum": "fovlabel.readers.tum:Tum",
    "7scenes": "fovlabel.readers.sevenscenes:SevenScenes",
    "tbplaces": "fovlabel.readers.tbplaces:TbPlaces",
    "scannet": "fovlabel.readers.scannet:ScanNet",
    "vpr-folders": "fovlabel.readers.vpr_folders:VprFolders",
    "colmap": "fovlabel.readers.colmap:Colmap",
}


def get_reader(name: str) -> Reader:
    """The registered reader called ``name``."""
    return lookup(READERS, name, "format")


def register_reader(reader, *args, replace: bool = False, **kwargs) -> Reader:
    """Add a reader (a :class:`~fovlabel.readers.base.Reader` subclass or instance) under its
    ``name``. The older form ``register_reader(name, "module:function", takes, summary, groups)``
    is kept for one version: the function takes the path and its options as keywords."""
    if isinstance(reader, str):
        reader = _function_reader(reader, *args, **kwargs)
    unknown = [g for g in getattr(reader, "groups", ()) if g not in FRAME_GROUPS]
    if unknown:
        raise UnknownFormatError(f"unknown column group(s) {', '.join(unknown)}; known: {', '.join(FRAME_GROUPS)}")
    return register(READERS, Reader, reader, "a reader", replace=replace)


class ReaderOption(NamedTuple):
    """An option of the older register_reader form: its kind ("str", "int", "float", "bool") and help."""

    kind: str
    help: str


def _function_reader(name, target, takes, summary, groups=(), options=None) -> Reader:
    """A Reader around a "module:function" (the older register_reader form); ``options``: names
    to ReaderOption (kind, help)."""
    import dataclasses

    from ..params import param

    kinds = {"str": str, "int": int, "float": float, "bool": bool}
    fields = [(k, kinds.get(kind, str) | None, param(None, help)) for k, (kind, help) in (options or {}).items()]
    Options = dataclasses.make_dataclass(f"{name}Options", fields, bases=(ReaderOptions,), frozen=True)

    class FunctionReader(Reader):
        def read(self, path, options, threads=1):
            module, func = target.split(":")
            given = {k: v for k, v in options.to_dict().items() if v is not None}
            return getattr(importlib.import_module(module), func)(path, **given)

    FunctionReader.name, FunctionReader.takes, FunctionReader.summary = name, takes, summary
    FunctionReader.groups, FunctionReader.Options = tuple(groups), Options
    return FunctionReader()


def read_frames(path, format: str | None = None, *, threads: int = 1, **options) -> pd.DataFrame:
    """Read a dataset into the canonical frames table, or a label set's frames table.

    ``format``: a name in :data:`READERS`. ``options`` go to the reader (its ``Options``, e.g.
    ``epsg`` for ``csv``). Without ``format``, ``path`` must be a label set (its ``frames.parquet``).
    ``threads``: files read at once by a reader that takes several (MSLS cities); the table is
    the same for any number.
    """
    from .._args import check_args

    check_args(path=(path, "path"), format=(format, "str?"), threads=(threads, int))
    if format is None:
        from ..io.layout import PAIRS_FILE
        from ..io.reading import read_label_frames

        if Path(path).is_dir() and (Path(path) / PAIRS_FILE).is_file():
            return read_label_frames(path)
        raise UnknownFormatError(f"{path}: name its format (one of {', '.join(sorted(READERS))}); "
                                 "without one, read_frames reads a label set")
    reader, chosen = _reader_and_options(path, format, options)
    return finalize_frames(reader.read(Path(path), chosen, max(1, int(threads))), Path(path), reader.groups)


def _reader_and_options(path, format: str, options: dict):
    """The reader of ``format`` and its checked options, for a dataset that exists."""
    reader = get_reader(format)
    options = {k: v for k, v in options.items() if v is not None}
    takes = reader.Options.names()
    unknown = sorted(set(options) - set(takes))
    if unknown:
        raise UnknownFormatError(f"format {format!r} does not take option(s) {', '.join(unknown)}; it takes: "
                                 f"{', '.join(takes) or 'none'}")
    chosen = reader.Options(**options)
    if not Path(path).exists():
        raise InputError(f"{format} dataset not found", file=path)
    return reader, chosen


def read_frame_groups(path, format: str, *, threads: int = 1, **options):
    """(reader, parts): the canonical frames of :func:`read_frames`, as an iterator of finalised
    tables of whole groups as the reader reads them (``Reader.read_groups``; one table for a
    reader that reads all at once). Frame ids run on across the parts, and
    :func:`concat_frame_parts` of them is the table read_frames gives. Checked before any is read:
    the format, its options and that the dataset exists."""
    from .._args import check_args

    check_args(path=(path, "path"), format=(format, str), threads=(threads, int))
    reader, chosen = _reader_and_options(path, format, options)

    def parts():
        first = 0
        for raw in reader.read_groups(Path(path), chosen, max(1, int(threads))):
            if len(raw):
                part = finalize_frames(raw, Path(path), reader.groups, first_id=first)
                first += len(part)
                yield part
        if first == 0:
            raise InputError("the dataset holds no frames", file=path)

    return reader, parts()


def concat_frame_parts(parts: list) -> pd.DataFrame:
    """One frames table of the parts of :func:`read_frame_groups`, column by column, each
    column taken out of the parts as it is joined (the parts are emptied: memory holds one
    column twice at most, not the table)."""
    if len(parts) == 1:
        return parts.pop()
    columns = {}
    empty = _EmptyFloats(sum(len(p) for p in parts))
    for name in list(parts[0].columns):
        if empty.shared and all(p[name].dtype == np.float64 and p[name].isna().all() for p in parts):
            columns[name] = empty.column()  # null in every part: one shared array, as finalize_frames makes
        else:
            columns[name] = pd.concat([p[name] for p in parts], ignore_index=True)
        for p in parts:
            del p[name]
    notes = list(dict.fromkeys(n for p in parts for n in p.attrs.get("notes", [])))
    image_root = next((p.attrs["image_root"] for p in parts if p.attrs.get("image_root")), None)
    parts.clear()
    frames = pd.DataFrame(columns, copy=False)
    frames.attrs = {**({"notes": notes} if notes else {}), **({"image_root": image_root} if image_root else {})}
    return frames


#: string columns with few distinct values (a million frames, a handful of roles, groups, CRSs,
#: source files and flags): each distinct value is held once
SHARED_STRINGS = ("role", "group", "crs", "source_file", "flag")


def finalize_frames(frames: pd.DataFrame, root: Path, groups=None, first_id: int = 0) -> pd.DataFrame:
    """Add ``frame_id``, fill optional columns, order and type them; refuse duplicate keys.

    ``groups``: the column groups the reader declared; a column of another group is a reader bug.
    ``first_id``: the first frame id (a part of a dataset read a group at a time: the frames
    before it); keys are checked within the table given, whole groups each."""
    if groups is not None:
        stray = sorted(c for c in frames.columns if GROUP_OF.get(c) not in (None, *groups)
                       and frames[c].notna().any())
        if stray:
            raise RuntimeError(f"reader filled {', '.join(stray)} outside its declared groups {groups}")
    if len(frames) == 0:
        raise InputError("the dataset holds no frames", file=root)
    notes = list(frames.attrs.get("notes", []))  # lines for the run's summary, from the reader
    image_root = frames.attrs.get("image_root")  # where image_path starts, if not the dataset root
    frames = frames.reset_index(drop=True)
    n = len(frames)
    dtypes = {"source_row": "int64", "width": "Int32", "height": "Int32", "observed": "Int64",
              **{f.name: "float64" for f in FRAMES_SCHEMA if f.type == "double"}}
    columns = {}
    empty = _EmptyFloats(n)
    for column in FRAMES_SCHEMA:
        name = column.name
        present = name in frames.columns
        if not present and dtypes.get(name) == "float64":
            values = empty.column()
        elif name == "frame_id":
            values = np.arange(first_id, first_id + n, dtype=np.int32)
        elif name == "usable":
            values = frames[name].fillna(True).astype(bool).to_numpy() if present else np.ones(n, bool)
        elif not present:  # an absent column is made null with its final type, not converted from None
            values = _null_column(dtypes.get(name), n)
        elif name == "point_ids":
            values = [None if v is None or (np.ndim(v) == 0 and pd.isna(v)) else np.asarray(v, np.int64)
                      for v in frames[name]]
        elif column.type == "string":
            values = _string_column(frames[name], shared=name in SHARED_STRINGS)
        else:
            values = frames[name].astype(dtypes[name])
        if isinstance(values, list) or getattr(values, "dtype", None) == object:
            values = pd.Series(values, dtype=object)  # not inferred as Arrow text by pandas
        columns[name] = values
    # copy=False: the columns stay separate arrays (pandas would otherwise copy the float ones
    # into one block, for nothing)
    frames = pd.DataFrame(columns, copy=False)
    _check_unique_keys(frames, root)
    _check_paths_stay(frames, root)
    frames.attrs = {**({"notes": notes} if notes else {}), **({"image_root": image_root} if image_root else {})}
    return frames


class _EmptyFloats:
    """The float columns a reader leaves empty (poses, intrinsics, the ground plane: a dozen and
    more for a GPS dataset, 8 bytes a frame each): one array of NaN that they all share, where
    pandas copies on write (pandas 3: a write to one copies it first, the others keep their NaN;
    147 bytes a frame became 8 at 10M frames), else one array each."""

    def __init__(self, n: int):
        self.n, self._nan = n, None
        self.shared = int(pd.__version__.split(".")[0]) >= 3 or pd.options.mode.copy_on_write is True

    def column(self):
        if not self.shared:
            return np.full(self.n, np.nan)
        if self._nan is None:
            self._nan = pd.Series(np.full(self.n, np.nan))
        return self._nan


def _null_column(dtype: str | None, n: int):
    """An all-null column of ``n`` rows: NaN for float64, masked for the nullable integers, else
    None objects (strings, point ids)."""
    if dtype == "float64":
        return np.full(n, np.nan)
    if dtype in ("Int32", "Int64"):
        return pd.arrays.IntegerArray(np.zeros(n, dtype.lower()), np.ones(n, bool))
    return np.full(n, None, dtype=object)


def _string_column(column: pd.Series, shared: bool) -> np.ndarray:
    """Text cells as Python strings, missing ones None; ``shared``: one object per distinct value
    (8 bytes a row, not ~60, for a column of a handful of roles, groups or files)."""
    if shared:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        return np.append(np.asarray(uniques, dtype=object), None)[codes]  # code -1: None
    return column.astype(object).where(column.notna(), None).to_numpy(dtype=object)


def _source_location(root: Path, source_file: str, source_row: int) -> tuple[Path, str]:
    """(full path, "row R (line L)" or "line L") of a frame's source row, for messages."""
    from ._common import row_label

    base = root if root.is_dir() else root.parent
    path = Path(source_file) if Path(source_file).is_absolute() else base / source_file
    if path.suffix.lower() == ".csv":
        return path, row_label(path, int(source_row) - 1)
    if path.suffix.lower() in (".parquet", ".pq"):
        return path, str(int(source_row))
    return path, f"line {int(source_row)}"


def _check_paths_stay(frames: pd.DataFrame, root: Path) -> None:
    """Refuse an image or depth path that leaves its root (io.paths: absolute, or ``..`` climbing
    out): fovlabel reads no file outside the dataset it was given."""
    from ..io.paths import PATH_COLUMNS, escaping

    for column in ("image_path", "depth_path"):
        bad = escaping(frames[column].to_numpy(dtype=object))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            row = frames.iloc[i]
            path, where = _source_location(root, row["source_file"], row["source_row"])
            raise InputError(f"{column} {row[column]!r} leaves {PATH_COLUMNS[column]}: image and depth paths "
                             f"must be relative and stay under it (a link to another folder inside the "
                             f"dataset is fine) ({int(bad.sum())} such row(s))",
                             file=path, row=where, column=column)


def _check_unique_keys(frames: pd.DataFrame, root: Path) -> None:
    if frames["key"].is_unique:  # keys unique over all groups (MSLS): one hash pass, not a pair
        return
    dup = frames.duplicated(["group", "key"], keep=False)
    if not dup.any():
        return
    rows = frames[dup].sort_values(["group", "key", "frame_id"])
    first, second = rows.iloc[0], rows.iloc[1]
    path1, where1 = _source_location(root, first["source_file"], first["source_row"])
    path2, where2 = _source_location(root, second["source_file"], second["source_row"])
    where2 = f"row {where2}" if where2[:1].isdigit() else where2
    also = where2 if path1 == path2 else f"{path2}, {where2}"
    raise InputError(
        f"duplicate key {first['key']!r} in group {first['group']!r}: also at {also} "
        f"({int(dup.sum())} rows share a key; keys must be unique within a group)",
        file=path1, row=where1, column="key",
    )
