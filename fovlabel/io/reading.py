"""Reading a label set, checked: both files readable and of the same label set, row counts as
the metadata says, pair ids in range, overlaps in [0, 1], no path leaving its root."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._args import check_args
from ..errors import LabelSetError
from ..schema import METADATA_KEY, PAIRS_SCHEMA
from .frames import canonical_frames
from .layout import FRAMES_FILE, PAIRS_FILE, frames_file as frames_file_of
from .metadata import LabelSetMetadata


def _open_parquet(file: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(file, page_checksum_verification=True)
    except (pa.ArrowException, OSError) as exc:
        size = file.stat().st_size if file.is_file() else 0
        what = "empty" if size == 0 else "truncated or not Parquet"
        raise LabelSetError(f"{file}: not a readable Parquet file ({what}, {size} bytes): "
                            f"{str(exc).splitlines()[0]}") from None


def _decode_metadata(file: Path, parquet: pq.ParquetFile) -> dict:
    raw = (parquet.schema_arrow.metadata or {}).get(METADATA_KEY)
    return LabelSetMetadata.decode(raw, file).to_dict()


def _label_set_dir(path) -> Path:
    path = Path(path)
    if not path.exists():
        raise LabelSetError(f"{path}: no such label set")
    return path if path.is_dir() else path.parent


def _member(folder: Path, name: str) -> Path:
    file = folder / name
    if not file.is_file():
        raise LabelSetError(f"{folder}: not a label set: {name} is missing")
    return file


def read_metadata(path) -> dict:
    """The JSON metadata of a label set (or of one of its Parquet files), validated."""
    check_args(path=(path, "path"))
    path = Path(path)
    if not path.exists():
        raise LabelSetError(f"{path}: no such label set")
    file = path if path.is_file() else _member(path, PAIRS_FILE)
    return _decode_metadata(file, _open_parquet(file))


def _open_label_set(path):
    """(folder, metadata, pairs ParquetFile, frames ParquetFile), checked to belong together."""
    folder = _label_set_dir(path)
    pairs_file = _member(folder, PAIRS_FILE)
    pairs_pq = _open_parquet(pairs_file)
    meta = _decode_metadata(pairs_file, pairs_pq)
    _check_pairs_schema(pairs_file, pairs_pq.schema_arrow)
    frames_file = _member(folder, frames_file_of(folder).relative_to(folder).as_posix())
    frames_pq = _open_parquet(frames_file)
    frames_meta = _decode_metadata(frames_file, frames_pq)
    if frames_meta != meta:
        ids = (frames_meta.get("label_set_id", "none"), meta.get("label_set_id", "none"))
        raise LabelSetError(f"{folder}: {FRAMES_FILE} and {PAIRS_FILE} come from different label sets "
                            f"(ids {ids[0][:19]}... and {ids[1][:19]}...); regenerate the label set")
    for file, parquet, key in ((pairs_file, pairs_pq, "pairs"), (frames_file, frames_pq, "frames")):
        rows = parquet.metadata.num_rows
        if key in meta and rows != meta[key]:
            raise LabelSetError(f"{file}: holds {rows} rows but the metadata says {meta[key]} {key}; "
                                "the file is incomplete or was replaced")
    return folder, meta, pairs_pq, frames_pq


#: the pairs columns every reader relies on, and the kind of type each must have
_PAIR_COLUMN_KINDS = {"frame_a": pa.types.is_integer, "frame_b": pa.types.is_integer,
                      "overlap": pa.types.is_floating, "rank": pa.types.is_integer}


def _check_pairs_schema(file: Path, schema: pa.Schema) -> None:
    """The pairs file has the columns readers rely on, of the right kinds (a string frame id or a
    missing overlap is a one-line error, not a TypeError deep inside)."""
    for name, ok in _PAIR_COLUMN_KINDS.items():
        if name not in schema.names:
            raise LabelSetError(f"{file}: column '{name}' is missing (a label set's pairs table has "
                                f"{', '.join(_PAIR_COLUMN_KINDS)})")
        kind = schema.field(name).type
        if not ok(kind):
            want = "whole numbers" if ok is pa.types.is_integer else "floating-point numbers"
            raise LabelSetError(f"{file}: column '{name}' holds {kind}, not {want}")


def _read_all(file: Path, parquet: pq.ParquetFile, **kwargs) -> pa.Table:
    try:
        return parquet.read(**kwargs)
    except (pa.ArrowException, OSError) as exc:
        raise LabelSetError(f"{file}: cannot be read whole (damaged): {str(exc).splitlines()[0]}") from None


def _check_pair_values(folder: Path, pairs, n_frames: int, first_row: int = 0) -> None:
    """Pair ids in range, overlap finite in [0, 1]: what every reader of pairs relies on.
    ``pairs``: a table or a record batch starting at row ``first_row`` of the file."""
    file = folder / PAIRS_FILE
    for column in ("frame_a", "frame_b"):
        ids = pairs.column(column).to_numpy()
        bad = (ids < 0) | (ids >= n_frames)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise LabelSetError(f"{file}: row {first_row + i + 1}, column '{column}': frame id {ids[i]} is "
                                f"outside 0..{n_frames - 1} ({int(bad.sum())} such row(s) here)")
    overlap = pairs.column("overlap").to_numpy()
    bad = ~((overlap >= 0.0) & (overlap <= 1.0))  # NaN fails both
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise LabelSetError(f"{file}: row {first_row + i + 1}, column 'overlap': {overlap[i]} is not in [0, 1] "
                            f"({int(bad.sum())} such row(s) here)")


def pair_batches(path, columns, batch_rows: int = 1 << 18):
    """(metadata, rows, batches): a label set's pairs streamed, ``columns`` only, one checked
    record batch at a time (frame ids in range, overlaps in [0, 1]; memory: one batch, not the
    table). ``batches`` yields (first row, batch)."""
    check_args(path=(path, "path"))
    folder, meta, pairs_pq, frames_pq = _open_label_set(path)
    wanted = list(dict.fromkeys([*columns, "frame_a", "frame_b", "overlap"]))
    missing = [c for c in wanted if c not in pairs_pq.schema_arrow.names]
    n_frames = frames_pq.metadata.num_rows

    def batches():
        if missing:  # said at the first batch: the caller may refuse the set for a better reason first
            raise LabelSetError(f"{folder / PAIRS_FILE}: pairs table lacks columns {', '.join(missing)}")
        first = 0
        try:  # without pre-buffering, a pass holds one batch, not the whole file
            stream = pq.ParquetFile(folder / PAIRS_FILE, pre_buffer=False, page_checksum_verification=True)
            for batch in stream.iter_batches(batch_size=batch_rows, columns=wanted):
                _check_pair_values(folder, batch, n_frames, first)
                yield first, batch
                first += batch.num_rows
        except (pa.ArrowException, OSError) as exc:
            raise LabelSetError(f"{folder / PAIRS_FILE}: cannot be read whole (damaged): "
                                f"{str(exc).splitlines()[0]}") from None

    return meta, pairs_pq.metadata.num_rows, batches()


def read_label_frames(path) -> pd.DataFrame:
    """The frames table of a label set (checked to belong with its pairs table), with every
    canonical column (the groups the set does not have are null)."""
    check_args(path=(path, "path"))
    folder, _, _, frames_pq = _open_label_set(path)
    frames = canonical_frames(_read_all(frames_file_of(folder), frames_pq))
    check_frame_paths(frames, frames_file_of(folder))
    return frames


def both_directions(meta: dict) -> bool:
    """True when the within-mode pairs of this label set are written in both directions: the
    measure is asymmetric (ioa), so (a, b) holds |A∩B|/|A| and (b, a) holds |A∩B|/|B|. Otherwise
    a within-mode pair is written once, a < b, its value the same both ways. Cross-mode pairs are
    always query -> database."""
    return not LabelSetMetadata.from_dict(meta).symmetric


def dataset_root_of(meta: dict, root=None, source_files=None, where=None) -> Path:
    """The folder a label set's relative image and depth paths start from: ``root`` (a moved
    dataset), else the recorded input's folder (version 2 records it absolute). Never a guess:
    a recorded input that no longer exists is an error naming ``--root``; with ``source_files``
    (the frames' ``source_file`` values) the folder must hold them, and the recorded one must
    hold them as they were labelled (io.paths.check_dataset_root)."""
    from .paths import check_dataset_root

    if root is not None:
        base, given = Path(root), True
    else:
        path = Path(meta["input"]["path"])
        if not path.exists():
            base = path  # checked below: missing
        else:
            base = path if path.is_dir() else path.parent
        given = False
    if source_files is None and base.is_dir():
        return base
    return check_dataset_root(base, [] if source_files is None else source_files,
                              meta["input"].get("sources"), given=given, where=where or "label set")


def image_root_of(meta: dict, root=None, source_files=None, where=None) -> Path:
    """The folder ``image_path`` starts from: the dataset root, and under it the images folder
    the reader recorded (COLMAP's), if any."""
    return dataset_root_of(meta, root, source_files, where) / meta["input"].get("image_root", ".")


def check_frame_paths(frames, file) -> None:
    """Refuse a frames table whose ``source_file``, ``image_path`` or ``depth_path`` leaves its
    root (io.paths): a label set never makes fovlabel read outside its dataset."""
    from .paths import PATH_COLUMNS, first_escaping

    found = first_escaping(frames)
    if found is not None:
        column, i, value = found
        raise LabelSetError(f"{file}: row {i + 1}, column '{column}': {value!r} leaves "
                            f"{PATH_COLUMNS[column]} (absolute, or '..' climbing out); fovlabel reads no "
                            "file outside the dataset")


def read_pairs(path, with_keys: bool = False, with_paths: bool = False, root=None) -> pd.DataFrame:
    """Read a label set's pairs table, checked: both files readable and of the same label set,
    row counts as the metadata says, pair ids in range, overlaps in [0, 1].

    ``with_keys``: put ``group``, ``key_a`` and ``key_b`` (from the frames table) first, so that
    each row names its images without the source dataset. ``with_paths``: add ``path_a``,
    ``path_b``, the absolute image paths (null where the dataset gives none), from the dataset
    root recorded in the metadata (and the images folder under it, COLMAP's), or ``root`` where
    the dataset has moved. The metadata is in
    ``df.attrs["fovlabel"]``.
    """
    check_args(path=(path, "path"), with_keys=(with_keys, bool), with_paths=(with_paths, bool), root=(root, "path?"))
    folder, meta, pairs_pq, frames_pq = _open_label_set(path)
    table = _read_all(folder / PAIRS_FILE, pairs_pq)
    missing = [f.name for f in PAIRS_SCHEMA if f.name not in table.column_names]
    if missing:
        raise LabelSetError(f"{folder / PAIRS_FILE}: pairs table lacks columns {', '.join(missing)}")
    _check_pair_values(folder, table, frames_pq.metadata.num_rows)
    pairs = table.to_pandas()
    if with_keys or with_paths:
        names = [c for c in ("frame_id", "key", "group", "source_file", "image_path")
                 if c in frames_pq.schema_arrow.names]
        frames = _read_all(frames_file_of(folder), frames_pq, columns=names).to_pandas()
        a, b = pairs["frame_a"].to_numpy(), pairs["frame_b"].to_numpy()
        front = {}
        if with_keys:
            keys = frames["key"].to_numpy(dtype=object)
            front = {"group": frames["group"].to_numpy(dtype=object)[a], "key_a": keys[a], "key_b": keys[b]}
        if with_paths:
            absolute = _absolute_paths(frames, meta, root, folder)
            front.update(path_a=absolute[a], path_b=absolute[b])
        for i, (name, values) in enumerate(front.items()):
            pairs.insert(i, name, values)
    pairs.attrs["fovlabel"] = meta
    return pairs


def _absolute_paths(frames, meta, root, folder) -> np.ndarray:
    """Each frame's image as an absolute path (None where the dataset names none), from the
    dataset root (checked: io.paths.check_dataset_root)."""
    check_frame_paths(frames, frames_file_of(folder))
    base = image_root_of(meta, root, frames["source_file"].unique(), folder)
    image = (frames["image_path"] if "image_path" in frames.columns
             else pd.Series([None] * len(frames))).to_numpy(dtype=object)
    return np.array([None if p is None else str((base / p).resolve()) for p in image], dtype=object)


def image_paths(path, root=None) -> np.ndarray:
    """Each frame's image of a label set as an absolute path, by frame id (None where the dataset
    names none): what a sampler's or a classes table's frame ids open. ``root``: where the
    dataset has moved."""
    check_args(path=(path, "path"), root=(root, "path?"))
    folder, meta, _, frames_pq = _open_label_set(path)
    names = [c for c in ("source_file", "image_path") if c in frames_pq.schema_arrow.names]
    return _absolute_paths(_read_all(frames_file_of(folder), frames_pq, columns=names).to_pandas(), meta, root, folder)
