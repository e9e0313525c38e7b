"""The label-set writer: the pairs as parts (io.parts), then pairs.parquet and frames.parquet,
each whole or absent, moved into place together (io.output's commit)."""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path

import pandas as pd
import pyarrow as pa

from ..schema import PAIRS_SCHEMA, frames_file_schema, present_groups
from . import output as _output
from .frames import frames_to_arrow
from .layout import FRAMES_FILE
from .metadata import LabelSetMetadata
from .output import OutputTarget
from .parquet_stream import FinishedStream
from .parts import PartsWriter


class LabelSetWriter(PartsWriter):
    """Writes one label set: the pairs as parts, then pairs.parquet and frames.parquet."""

    def __init__(self, target: OutputTarget, plan: dict | None, *, pairs_schema: pa.Schema = PAIRS_SCHEMA):
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


#: frames.parquet's row groups (2^17 rows): a large frames table is converted from pandas and
#: encoded a row group at a time while the chunks run, so little of it is in memory as Arrow at
#: once (the whole table at once raises the run's peak memory)
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
            (self._writer.partial / FRAMES_FILE).parent.mkdir(exist_ok=True)
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
        folder = (self._writer.partial / FRAMES_FILE).parent
        if folder.is_dir() and not any(folder.iterdir()):  # the folder it made, left empty
            folder.rmdir()
