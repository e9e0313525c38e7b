"""Label sets on disk: a directory holding ``frames.parquet`` and ``pairs.parquet``.

Both files carry the same JSON metadata under the ``fovlabel`` key of the Parquet schema metadata:
schema version, fovlabel version, labeller, every parameter, the input's path, format and
fingerprint, per-group modes and the counts. Plain Parquet: pandas, pyarrow, polars and duckdb
read the files as they are.

Writing is atomic and resumable. Work goes to ``<out>.partial/``: one Parquet part per chunk,
each written under a temporary name and renamed, beside ``plan.json`` (what the parts were made
from). A run that is killed leaves the partial folder; the next run with the same input and config
reuses the finished parts and yields the same label set as an uninterrupted run. ``pairs.parquet``
is written as the chunks come, in chunk order (a resumed run feeds it the reused parts in their
places), under a temporary name, and closed with the metadata when the last chunk is in
(FinishedStream); then the folder is renamed to ``<out>``. An existing
``<out>`` is refused unless ``overwrite``; it is only replaced once the new set is complete.
"""

from __future__ import annotations

import base64
import dataclasses
import errno
import hashlib
import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .._args import check_args
from ..errors import LabelSetError, OutputError
from ..progress import current_phase
from ..schema import FRAMES_SCHEMA, METADATA_KEY, PAIRS_SCHEMA, frames_file_schema, present_groups
from . import output as _output
from .metadata import LabelSetMetadata
from .output import OutputKind, OutputTarget, _os_error

FRAMES_FILE = "frames.parquet"
PAIRS_FILE = "pairs.parquet"
PLAN_FILE = "plan.json"
ROW_GROUP_ROWS = 1 << 20  # pyarrow's default for one write_table
PARTS_DIR = "parts"
#: the labeller's spilled state (the 3D voxel sets) while a run labels; never in a finished set
SPILL_DIR = "spill"


def frames_fingerprint(frames: pd.DataFrame) -> str:
    """sha256 of the canonical frames table's content: what the labels were computed from.

    Each column is hashed as an exact encoding of its cells: null mask, then the values' bytes;
    text as UTF-8 with each cell's length; list cells (SfM point ids) as lengths and items.
    Unique text such as keys and image paths goes through Arrow (pandas' per-object hashing of
    them took most of the time: 0.4 of 0.5 s at 200,000 frames)."""
    digest = hashlib.sha256(",".join(map(str, frames.columns)).encode())
    for name in frames.columns:
        for piece in _column_pieces(frames[name]):
            digest.update(np.ascontiguousarray(piece).view(np.uint8))
    return "sha256:" + digest.hexdigest()


def _column_pieces(column: pd.Series):
    """Arrays that together encode a column's cells exactly (see frames_fingerprint)."""
    n = np.array([len(column)], np.int64)
    if column.dtype != object:
        if isinstance(column.dtype, pd.api.extensions.ExtensionDtype):  # nullable ints, Arrow text
            mask = column.isna().to_numpy()
            if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
                data = column.to_numpy(dtype=column.dtype.numpy_dtype, na_value=0)
                return [np.frombuffer(str(data.dtype).encode(), np.uint8), n, mask, data]
            return [np.frombuffer(b"text", np.uint8), n, mask, *_text_pieces(column.to_numpy(dtype=object))]
        data = column.to_numpy()
        return [np.frombuffer(data.dtype.str.encode(), np.uint8), n, data]
    values = column.to_numpy()
    mask = pd.isna(values)
    first = values[np.flatnonzero(~mask)[:64]]
    if len(first) and isinstance(first[0], (list, tuple, np.ndarray)):  # one type a column
        cells = [np.asarray(v, np.int64).ravel() for v in values[~mask]]
        lengths = np.fromiter(map(len, cells), np.int64, len(cells))
        return [np.frombuffer(b"lists", np.uint8), n, mask, lengths, *cells]
    if all(isinstance(v, str) for v in first):
        try:
            return [np.frombuffer(b"text", np.uint8), n, mask, *_text_pieces(values)]
        except (pa.ArrowException, TypeError):
            pass  # not text throughout: pandas' hashing below
    return [np.frombuffer(b"objects", np.uint8), n, pd.util.hash_pandas_object(column, index=False).to_numpy()]


def _text_pieces(values: np.ndarray):
    """(UTF-8 offsets, UTF-8 bytes) of an object array of str and None (None as empty)."""
    array = pa.array(values, type=pa.large_string(), from_pandas=True)
    _, offsets, data = array.buffers()
    offsets = np.frombuffer(offsets, np.int64, len(array) + 1)
    data = np.frombuffer(data, np.uint8, int(offsets[-1])) if data is not None else np.zeros(0, np.uint8)
    return [offsets - offsets[0], data[offsets[0]:]]


def frames_to_arrow(frames: pd.DataFrame, metadata: LabelSetMetadata | None = None, schema=None) -> pa.Table:
    """frames.parquet's table: the core and the column groups present (schema.frames_file_schema;
    ``schema``: that of the whole table, for a slice of it)."""
    schema = frames_file_schema(frames) if schema is None else schema
    table = pa.Table.from_pandas(frames[schema.names], schema=schema, preserve_index=False)
    return table.replace_schema_metadata({} if metadata is None else metadata.schema_metadata())


def canonical_frames(table: pa.Table) -> pd.DataFrame:
    """A frames.parquet table (only its groups, or version 1's every column) as the canonical
    in-memory frames table: every column of FRAMES_SCHEMA, the absent ones null."""
    frames = table.to_pandas()
    for f in FRAMES_SCHEMA:
        if f.name not in frames.columns:
            frames[f.name] = pa.nulls(len(frames), f.type).to_pandas()
    return frames[FRAMES_SCHEMA.names]


#: the finished files carry a CRC32 checksum a page (Parquet's page checksums): every reader
#: verifies the pages it decodes (_open_parquet), so a flipped byte is an error, never a value
FINISHED_OPTIONS = {"write_page_checksum": True}


class TableDigest:
    """A sha256 of a table's data (not its metadata), the same however its rows are split into
    tables or chunks: each column's validity, value bytes, text lengths and text bytes (and a
    list column's lengths and items) are fed, in row order, to hashers of their own, and the
    column names and those hashes make the digest."""

    def __init__(self):
        self._hashers: dict = {}

    def _hasher(self, key: str):
        hasher = self._hashers.get(key)
        if hasher is None:
            hasher = self._hashers[key] = hashlib.sha256()
        return hasher

    def update(self, table: pa.Table) -> None:
        for name, column in zip(table.column_names, table.columns):
            for chunk in column.chunks:
                self._feed(name, chunk)

    def _feed(self, key: str, array: pa.Array) -> None:
        if pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()
        valid = array.is_valid().to_numpy(zero_copy_only=False)
        self._hasher(key + "/valid").update(valid.view(np.uint8))
        kind = array.type
        if pa.types.is_list(kind) or pa.types.is_large_list(kind):
            lengths = pc.fill_null(pc.list_value_length(array), 0).to_numpy(zero_copy_only=False)
            self._hasher(key + "/lengths").update(lengths.astype(np.int64))
            self._feed(key + "/items", pc.list_flatten(array))
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind) \
                or pa.types.is_large_binary(kind):
            filled = pc.fill_null(array, "" if pa.types.is_string(kind) or pa.types.is_large_string(kind) else b"")
            lengths = pc.binary_length(filled).to_numpy(zero_copy_only=False).astype(np.int64)
            self._hasher(key + "/lengths").update(lengths)
            wide = pa.types.is_large_string(kind) or pa.types.is_large_binary(kind)
            _, offsets, data = filled.buffers()
            offsets = np.frombuffer(offsets, np.int64 if wide else np.int32)[filled.offset:filled.offset + len(filled) + 1]
            if data is not None and len(offsets):
                self._hasher(key + "/bytes").update(np.frombuffer(data, np.uint8)[offsets[0]:offsets[-1]])
        else:
            zero = False if pa.types.is_boolean(kind) else 0
            values = pc.fill_null(array, pa.scalar(zero, kind)) if array.null_count else array
            values = values.to_numpy(zero_copy_only=False)
            self._hasher(key + "/values").update(np.ascontiguousarray(values).view(np.uint8))

    def hexdigest(self) -> str:
        digest = hashlib.sha256()
        for key in sorted(self._hashers):
            digest.update(key.encode() + b"\0" + self._hashers[key].digest())
        return "sha256:" + digest.hexdigest()


def table_digest(parquet: pq.ParquetFile, batch_rows: int = 1 << 18) -> str:
    """The TableDigest of a Parquet file's data, read a batch at a time."""
    digest = TableDigest()
    for batch in parquet.iter_batches(batch_size=batch_rows):
        digest.update(pa.Table.from_batches([batch]))
    return digest.hexdigest()


def _atomic_write_table(table: pa.Table, path: Path, **options) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, **options)
    os.replace(tmp, path)


#: parts are read only by a resumed run (and a correspondence set's assembly): written fast (no
#: dictionaries, lz4), not small
PART_OPTIONS = {"compression": "lz4", "use_dictionary": False}


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """The columns worth dictionary-encoding: the integer ones (frame ids, ranks, counts repeat
    a lot; float overlaps and distances hardly ever do, and trying costs time and bytes)."""
    return [f.name for f in schema if pa.types.is_integer(f.type)]


from .paths import PLOTS_DIR  # noqa: E402 (the one name, kept where the output rules are)


def _plots_problem(path: Path) -> str | None:
    """None when ``path`` holds only pictures fovlabel drew (annotate --plots)."""
    from PIL import Image

    if not path.is_dir():
        return "is not a folder"
    for p in path.iterdir():
        try:
            with Image.open(p) as im:
                ours = str(im.info.get("Software", "")).startswith("fovlabel")
        except Exception:  # noqa: BLE001 (not an image: not ours)
            ours = False
        if not ours:
            return f"holds {p.name}, which fovlabel did not draw"
    return None


def _label_set_file_problem(path: Path) -> str | None:
    """None when ``path`` is a Parquet file carrying fovlabel's metadata (or the plots folder of
    annotate --plots), else what is wrong."""
    if path.name == PLOTS_DIR:
        return _plots_problem(path)
    if not path.is_file():
        return "is not a file"
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (pa.ArrowException, OSError):
        return "is not a readable Parquet file"
    return None if METADATA_KEY in metadata else "has no fovlabel metadata"


#: What a label set on disk is, for the output rules of io.output.
LABEL_SET = OutputKind(
    name="label set",
    files=frozenset({FRAMES_FILE, PAIRS_FILE}),
    check_file=_label_set_file_problem,
    partial_files=frozenset({PLAN_FILE, PARTS_DIR, SPILL_DIR}),
    optional=frozenset({PLOTS_DIR}),
)


def plan_id(plan: dict) -> str:
    """The id of a run's plan (input fingerprint, config, chunking, versions): both files of the
    label set it makes carry it, so that files of two label sets are never mixed up."""
    return "sha256:" + hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()


def _mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:.1f} MiB"


class FinishedStream:
    """A finished Parquet file written as its rows come, in order, under a temporary name.

    Row groups of ``row_group_rows`` (default ROW_GROUP_ROWS) rows whatever the sizes of the tables
    written, so the file is as compact as one ``write_table`` of all its rows and the same for any
    chunk size or --jobs. The schema metadata (the counts, known only at the end) is given to
    :meth:`close`: it goes into the footer, both as the file's key-value metadata and inside the stored Arrow schema
    (``ARROW:schema``, the base64 IPC schema that pyarrow restores the schema and its metadata
    from). The file is then byte for byte what one ``pq.write_table`` of all its rows with that
    schema writes (tests/test_labelset.py pins it).
    """

    def __init__(self, path: Path, schema: pa.Schema, use_dictionary=None, row_group_rows: int | None = None):
        """``use_dictionary``: as pyarrow's (default: :func:`dictionary_columns`)."""
        self.path = path
        self.row_group_rows = ROW_GROUP_ROWS if row_group_rows is None else int(row_group_rows)
        self.schema = schema.remove_metadata()
        self.rows = 0
        self._buffer: list = []
        self._buffered = 0
        if use_dictionary is None:
            use_dictionary = dictionary_columns(self.schema)
        #: the hash of the data written so far (TableDigest): recorded in the label set's metadata
        self.digest = TableDigest()
        try:
            self._writer = pq.ParquetWriter(path, self.schema, use_dictionary=use_dictionary,
                                            **FINISHED_OPTIONS)
        except BaseException:  # it may have made the file (a full disk refuses its first bytes)
            path.unlink(missing_ok=True)
            raise

    def write(self, table: pa.Table, last: bool = False) -> None:
        """Add ``table``'s rows; ``last``: no rows follow, write the last row group now (the file
        then holds no rows in memory until :meth:`close`)."""
        if table.num_rows == 0 and not last:
            return
        table = table.cast(self.schema) if table.schema != self.schema else table
        self.digest.update(table)
        self._buffer.append(table)
        self._buffered += table.num_rows
        self.rows += table.num_rows
        size = self.row_group_rows
        while self._buffered >= size:
            whole = pa.concat_tables(self._buffer)
            self._writer.write_table(whole.slice(0, size), row_group_size=size)
            rest = whole.slice(size)
            self._buffer, self._buffered = [rest], rest.num_rows
        if last:
            self._flush()

    def _flush(self) -> None:
        if self._buffered:
            self._writer.write_table(pa.concat_tables(self._buffer), row_group_size=self.row_group_rows)
        self._buffer, self._buffered = [], 0

    def close(self, schema: pa.Schema) -> int:
        """Write the last row group and the footer with ``schema``'s metadata; the rows written."""
        self._flush()
        if schema.remove_metadata() != self.schema:
            raise ValueError(f"{self.path}: closed with another schema than it was written with")
        metadata = {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}
        # the stored Arrow schema is the one with the metadata: what write_table would have stored
        metadata["ARROW:schema"] = base64.b64encode(schema.serialize().to_pybytes()).decode("ascii")
        self._writer.add_key_value_metadata(metadata)
        self._writer.close()
        return self.rows

    def abort(self) -> None:
        """Close and remove the unfinished file (after a failure)."""
        try:
            self._writer.close()
        except Exception:  # the failure being handled is the one that matters
            pass
        self.path.unlink(missing_ok=True)


class PartsWriter:
    """Writes one output through a resumable ``<out>.partial`` folder: a plan, one Parquet part a
    chunk, and the finished file, streamed as the chunks come (:meth:`open_finished`) or from the
    parts at the end (:meth:`assemble`; see module docstring). Label sets and
    correspondence sets are written this way.

    ``target``: the locked :class:`~fovlabel.io.output.OutputTarget`; ``schema``: the parts';
    ``finished``: the name of the file whose metadata holds the plan's id under ``id_key`` once
    the output is complete. Leftovers in the partial folder are reused when they were made from
    the same plan, else removed (they are an interrupted fovlabel run's: the target checked that).
    """

    finished = PAIRS_FILE
    id_key = "label_set_id"

    def __init__(self, target: OutputTarget, plan: dict, *, schema: pa.Schema = PAIRS_SCHEMA):
        self.target = target
        self.out = target.out
        self.schema = schema
        self.partial = target.partial
        self.parts = self.partial / PARTS_DIR
        self.plan_id = plan_id(plan)
        plan_text = json.dumps(plan, sort_keys=True)
        plan_file = self.partial / PLAN_FILE
        self.created = not self.partial.exists()
        #: True when the partial folder already holds the finished label set of this plan
        self.complete = self.partial.exists() and self._holds_finished_set()
        if self.partial.exists() and not self.complete:
            same = plan_file.is_file() and plan_file.read_text() == plan_text
            if not same:  # an interrupted run of another plan: ours, not reusable
                target.clear_partial()
                self.created = True
        if self.complete:
            return
        target.make_partial()
        try:
            self.parts.mkdir(exist_ok=True)
            if not plan_file.is_file():
                tmp = plan_file.with_name(PLAN_FILE + ".tmp")
                tmp.write_text(plan_text)
                os.replace(tmp, plan_file)
        except OSError as exc:
            raise self.disk_error(exc, self.partial) from None

    def _holds_finished_set(self) -> bool:
        if not self.target.partial_complete():
            return False
        try:
            meta = json.loads(pq.read_schema(self.partial / self.finished).metadata[METADATA_KEY])
        except (pa.ArrowException, OSError, KeyError, ValueError, TypeError):
            return False
        return isinstance(meta, dict) and meta.get(self.id_key) == self.plan_id

    def _part(self, index: int) -> Path:
        return self.parts / f"part-{index:06d}.parquet"

    def has_part(self, index: int) -> bool:
        return self._part(index).is_file()

    def part_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.parts.glob("part-*.parquet")) if self.parts.is_dir() else 0

    def disk_error(self, exc: OSError, path: Path, done: int | None = None, total: int | None = None):
        """The one-line error for a failed write: what was kept, and what to free."""
        for tmp in self.partial.rglob("*.tmp") if self.partial.is_dir() else ():
            tmp.unlink(missing_ok=True)  # half-written: never reused, only in the way
        if exc.errno == errno.ENOSPC:
            kept = self.part_bytes()
            progress = f"{done} of {total} chunk(s) are done and kept" if total else "finished parts are kept"
            need = ""
            if done and total:
                need = f" (the rest needs about {_mib(kept / done * (total - done) + kept / done * total)})"
            return OutputError(f"{path}: no space left on the device: {progress} in {self.partial} "
                               f"({_mib(kept)}); free space{need} and run again to resume")
        return _os_error(exc, path, "write")

    def write_part(self, index: int, table: pa.Table) -> None:
        _atomic_write_table(table, self._part(index), **PART_OPTIONS)

    def read_part(self, index: int) -> pa.Table:
        return pq.read_table(self._part(index), schema=self.schema)

    def part_rows(self, index: int) -> int:
        return pq.ParquetFile(self._part(index)).metadata.num_rows

    def fresh_spill(self) -> Path:
        """An empty folder in the partial folder for the labeller's spilled state (an interrupted
        run's spill is ours and is not reused: the state is rebuilt)."""
        spill = self.partial / SPILL_DIR
        shutil.rmtree(spill, ignore_errors=True)
        try:
            spill.mkdir()
        except OSError as exc:
            raise self.disk_error(exc, spill) from None
        return spill

    def drop_spill(self) -> None:
        shutil.rmtree(self.partial / SPILL_DIR, ignore_errors=True)

    def discard_if_empty(self) -> None:
        """After a failure: remove the partial folder this run made when nothing valid is in it."""
        if self.created and self.partial.is_dir() and not any(self.parts.glob("part-*.parquet")):
            shutil.rmtree(self.partial, ignore_errors=True)

    def open_finished(self) -> "FinishedStream":
        """The finished file, written while the chunks come (in chunk order): see FinishedStream."""
        try:
            return FinishedStream(self.partial / (self.finished + ".tmp"), self.schema)
        except OSError as exc:
            raise self.disk_error(exc, self.partial / self.finished) from None

    def close_finished(self, stream: "FinishedStream", schema: pa.Schema, n_parts: int, rows: int) -> Path:
        """Close ``stream`` with ``schema`` (which carries the metadata) as
        ``partial/<finished>``; refuse a row count other than ``rows``."""
        try:
            written = stream.close(schema)
            if written != rows:
                raise LabelSetError(f"{stream.path}: assembled {written} rows but the parts counted {rows}; "
                                    "nothing was written")
            os.replace(stream.path, self.partial / self.finished)
        except OSError as exc:
            raise self.disk_error(exc, self.partial / self.finished, n_parts, n_parts) from None
        return self.partial / self.finished

    def assemble(self, schema: pa.Schema, n_parts: int, rows: int) -> Path:
        """Stream the parts, in order, into ``partial/<finished>`` with ``schema`` (which carries the
        metadata); refuse a missing part or a row count other than ``rows``."""
        return self.close_finished(self.stream_parts(n_parts), schema, n_parts, rows)

    def stream_parts(self, n_parts: int) -> "FinishedStream":
        """The parts, in order, streamed into the finished file (open: close_finished closes it);
        a missing part is refused."""
        missing = [i for i in range(n_parts) if not self.has_part(i)]
        if missing:
            raise LabelSetError(f"{self.partial}: part {missing[0]} of {n_parts} is missing "
                                f"({len(missing)} missing); the run is incomplete, nothing was written")
        step = current_phase()
        stream = self.open_finished()
        try:
            for index in range(n_parts):
                for batch in pq.ParquetFile(self._part(index)).iter_batches():
                    stream.write(pa.Table.from_batches([batch]))
                step.advance()
        except OSError as exc:
            stream.abort()
            raise self.disk_error(exc, stream.path, n_parts, n_parts) from None
        except BaseException:
            stream.abort()
            raise
        return stream

    def commit_target(self, what: str) -> Path:
        """Move the finished output into place (io.output's commit), dropping the plan and parts."""
        def tidy(partial: Path) -> None:
            shutil.rmtree(partial / PARTS_DIR, ignore_errors=True)
            shutil.rmtree(partial / SPILL_DIR, ignore_errors=True)
            (partial / PLAN_FILE).unlink(missing_ok=True)

        try:
            return self.target.commit(tidy)
        except OSError as exc:
            raise _os_error(exc, self.out, f"move the finished {what} into place") from None


class LabelSetWriter(PartsWriter):
    """Writes one label set: the pairs as parts, then pairs.parquet and frames.parquet."""

    def __init__(self, target: OutputTarget, plan: dict, *, pairs_schema: pa.Schema = PAIRS_SCHEMA):
        super().__init__(target, plan, schema=pairs_schema)
        self.pairs_schema = pairs_schema
        self._frames_file: _FramesFile | None = None  # start_frames

    def start_frames(self, frames: pd.DataFrame, background: bool) -> None:
        """Begin frames.parquet of the labeller's final ``frames`` now, in a thread when
        ``background`` (run_to_disk: with --jobs above 1, while the chunks run); :meth:`commit`
        closes it with the metadata."""
        self._frames_file = _FramesFile(self, frames, background)

    def abort_frames(self) -> None:
        """After a failure: stop and remove the frames.parquet that start_frames began."""
        frames_file, self._frames_file = self._frames_file, None
        if frames_file is not None:
            frames_file.abort()

    def commit(self, frames: pd.DataFrame, n_parts: int, metadata: LabelSetMetadata,
               stream: FinishedStream | None = None) -> Path:
        """Close ``stream`` as pairs.parquet (or, without one, stream every part into it), check the
        count, write frames.parquet, move the set into place (io.output's commit: a kill at any
        step loses nothing)."""
        if not self.complete:
            metadata = dataclasses.replace(metadata, label_set_id=self.plan_id,
                                           frame_groups=present_groups(frames))
            frames_file = self._frames_file
            if frames_file is None:  # encoded beside the pairs (Parquet encoding releases the GIL)
                frames_file = _FramesFile(self, frames, background=True)
            # each file is whole or absent, and the set counts as complete only with both
            try:
                if stream is None:
                    stream = self.stream_parts(n_parts)
                # both tables' data hashes go into both files' metadata (verify checks them)
                try:
                    data_hash = {"frames": frames_file.digest(n_parts), "pairs": stream.digest.hexdigest()}
                except BaseException:
                    stream.abort()  # not closed yet: no half-written pairs file stays behind
                    raise
                metadata = dataclasses.replace(metadata, data_hash=data_hash)
                schema = self.pairs_schema.with_metadata(metadata.schema_metadata())
                self.close_finished(stream, schema, n_parts, metadata.pairs)
                _output.crash_point("pairs written")
                frames_file.close(metadata, n_parts)
            except BaseException:
                frames_file.abort()
                raise
        return self.commit_target("label set")


#: frames.parquet's row groups (2^17 rows: a 1.6M-frame set is converted from pandas and encoded
#: as 13 row groups, one after the other while the chunks run: ~20 MB of Arrow at a time, where
#: the whole table at once raised the run's peak by ~250 MB)
FRAMES_ROW_GROUP_ROWS = 1 << 17


class _FramesFile:
    """frames.parquet: encoded when made (in a thread with ``background``, else by :meth:`close`),
    closed with the metadata by :meth:`close` (FinishedStream: what one write_table with it
    writes); :meth:`abort` removes what it wrote."""

    def __init__(self, writer: LabelSetWriter, frames: pd.DataFrame, background: bool):
        self._writer = writer
        self._frames = frames
        self._stream: FinishedStream | None = None
        self._error: BaseException | None = None
        self._thread = None
        if background:
            self._thread = threading.Thread(target=self._encode, name="fovlabel-frames", daemon=True)
            self._thread.start()

    def _encode(self) -> None:
        try:
            frames = self._frames
            schema = frames_file_schema(frames)
            self._stream = FinishedStream(self._writer.partial / (FRAMES_FILE + ".tmp"), schema,
                                          use_dictionary=True, row_group_rows=FRAMES_ROW_GROUP_ROWS)
            # converted and written a row group at a time: little of it is in memory as Arrow
            for start in range(0, len(frames), FRAMES_ROW_GROUP_ROWS):
                table = frames_to_arrow(frames.iloc[start:start + FRAMES_ROW_GROUP_ROWS], schema=schema)
                self._stream.write(table, last=start + FRAMES_ROW_GROUP_ROWS >= len(frames))
        except BaseException as exc:  # raised by close, in the run's thread
            self._error = exc
        self._frames = None

    def _encoded(self) -> None:
        if self._thread is not None:
            self._thread.join()
        elif self._frames is not None:  # not in the background: here, once
            self._encode()

    def digest(self, n_parts: int) -> str:
        """The frames table's data hash (TableDigest), once it is encoded."""
        self._encoded()
        if self._error is not None:
            error, self._error = self._error, None
            if isinstance(error, OSError):
                raise self._writer.disk_error(error, self._writer.partial / FRAMES_FILE, n_parts, n_parts) from None
            raise error
        return self._stream.digest.hexdigest()

    def close(self, metadata: LabelSetMetadata, n_parts: int) -> None:
        path = self._writer.partial / FRAMES_FILE
        self._encoded()
        try:
            if self._error is not None:
                raise self._error
            self._stream.close(self._stream.schema.with_metadata(metadata.schema_metadata()))
            os.replace(self._stream.path, path)
        except OSError as exc:
            raise self._writer.disk_error(exc, path, n_parts, n_parts) from None

    def abort(self) -> None:
        if self._thread is not None:
            self._thread.join()
        self._frames = None  # not encoded yet: it never will be
        if self._stream is not None:
            self._stream.abort()


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
    frames_file = _member(folder, FRAMES_FILE)
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


def read_label_frames(path) -> pd.DataFrame:
    """The frames table of a label set (checked to belong with its pairs table), with every
    canonical column (the groups the set does not have are null)."""
    check_args(path=(path, "path"))
    folder, _, _, frames_pq = _open_label_set(path)
    frames = canonical_frames(_read_all(folder / FRAMES_FILE, frames_pq))
    check_frame_paths(frames, folder / FRAMES_FILE)
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
        frames = _read_all(folder / FRAMES_FILE, frames_pq, columns=names).to_pandas()
        a, b = pairs["frame_a"].to_numpy(), pairs["frame_b"].to_numpy()
        front = {}
        if with_keys:
            keys = frames["key"].to_numpy(dtype=object)
            front = {"group": frames["group"].to_numpy(dtype=object)[a], "key_a": keys[a], "key_b": keys[b]}
        if with_paths:
            check_frame_paths(frames, folder / FRAMES_FILE)
            base = image_root_of(meta, root, frames["source_file"].unique(), folder)
            image = (frames["image_path"] if "image_path" in frames.columns
                     else pd.Series([None] * len(frames))).to_numpy(dtype=object)
            absolute = np.array([None if p is None else str((base / p).resolve()) for p in image], dtype=object)
            front.update(path_a=absolute[a], path_b=absolute[b])
        for i, (name, values) in enumerate(front.items()):
            pairs.insert(i, name, values)
    pairs.attrs["fovlabel"] = meta
    return pairs


def summarize_label_set(path, rows: int = 5, batch_rows: int = 1 << 18) -> dict:
    """What ``fovlabel show`` prints, without loading the pairs table: counts from the metadata,
    overlap quantiles and the best ``rows`` pairs from one streamed pass over pairs.parquet
    (memory: 4 bytes a pair for the overlaps, plus one batch), roles and flags from the frames."""
    folder, meta, pairs_pq, frames_pq = _open_label_set(path)
    present = frames_pq.schema_arrow.names
    # kept as Arrow (no Python object a frame): counts with pyarrow.compute, keys by take
    frames = _read_all(folder / FRAMES_FILE, frames_pq,
                       columns=[c for c in ("key", "group", "role", "usable", "flag", "image_path") if c in present])
    n_pairs = pairs_pq.metadata.num_rows
    overlap = np.empty(n_pairs, np.float32)
    best: pa.Table | None = None
    filled = 0
    try:
        # without pre-buffering, a pass holds one batch, not the file (16M pairs: 160 MB, not 420)
        stream = pq.ParquetFile(folder / PAIRS_FILE, pre_buffer=False, page_checksum_verification=True)
        for batch in stream.iter_batches(batch_size=batch_rows):
            _check_pair_values(folder, batch, frames.num_rows, filled)
            values = batch.column("overlap").to_numpy()
            overlap[filled:filled + len(values)] = values
            filled += len(values)
            if rows > 0 and len(values):
                k = min(rows, len(values))
                top = np.argpartition(-values, k - 1)[:k]
                chunk = pa.Table.from_batches([batch]).take(pa.array(top))
                best = chunk if best is None else pa.concat_tables([best, chunk])
                if best.num_rows > 4 * rows:  # keep it small
                    order = np.argsort(-best.column("overlap").to_numpy(), kind="stable")[:rows]
                    best = best.take(pa.array(order))
    except (pa.ArrowException, OSError) as exc:
        raise LabelSetError(f"{folder / PAIRS_FILE}: cannot be read whole (damaged): {str(exc).splitlines()[0]}") from None
    quantiles = {}
    if n_pairs:  # in place: the overlaps are ours, no second copy
        values = np.quantile(overlap, [0.1, 0.5, 0.9], overwrite_input=True)
        quantiles = {f"q{int(q * 100)}": float(v) for q, v in zip((0.1, 0.5, 0.9), values)}
    top_rows = []
    if best is not None and best.num_rows:
        order = np.lexsort((best.column("frame_b").to_numpy(), best.column("frame_a").to_numpy(),
                            -best.column("overlap").to_numpy()))[:rows]
        best = best.take(pa.array(order))
        ids_a, ids_b = best.column("frame_a"), best.column("frame_b")
        best = best.to_pandas()
        best.insert(0, "group", frames.column("group").take(ids_a).to_pylist())
        best.insert(3, "key_a", frames.column("key").take(ids_a).to_pylist())
        best.insert(4, "key_b", frames.column("key").take(ids_b).to_pylist())
        try:  # absolute, from the recorded dataset root, when it is still there
            base = image_root_of(meta) if "image_path" in frames.column_names else None
        except LabelSetError:
            base = None
        if base is not None:
            for name, ids in (("path_a", ids_a), ("path_b", ids_b)):
                best[name] = [None if p is None else str((base / p).resolve())
                              for p in frames.column("image_path").take(ids).to_pylist()]
        top_rows = best.to_dict("records")
    roles = _counts(frames.column("role")) if "role" in frames.column_names else {"none": frames.num_rows}
    unusable = pc.invert(frames.column("usable"))
    flags = (_counts(pc.filter(frames.column("flag"), unusable)) if "flag" in frames.column_names
             else ({"unusable": int(pc.sum(unusable).as_py() or 0)} if pc.any(unusable).as_py() else {}))
    typed = LabelSetMetadata.from_dict(meta)
    return {
        "label_set": str(path),
        "fovlabel_version": meta["fovlabel_version"],
        "schema_version": meta["schema_version"],
        "labeller": meta["labeller"],
        "input": {k: meta["input"].get(k) for k in ("format", "path", "fingerprint")},
        "run": typed.run_settings,
        "params": typed.labeller_params,
        "frames": int(frames.num_rows),
        "roles": roles,
        "unusable": flags,
        "groups": meta.get("groups", {}),
        "pairs": int(n_pairs),
        "ranks": {k: int(v) for k, v in meta.get("ranks", {}).items()},
        "overlap_quantiles": quantiles,
        "best_pairs": top_rows,
    }


def _counts(column) -> dict:
    """{value: count} of a string column, nulls counted as "none"."""
    counts = pc.value_counts(pc.fill_null(column, "none"))
    return {str(v["values"]): int(v["counts"]) for v in counts.to_pylist()}
