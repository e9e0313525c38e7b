"""The resumable parts writer: one output written through a ``<out>.partial`` folder (a plan,
one Parquet part a chunk, the finished file streamed as the chunks come). Writing is atomic and
resumable: a run that is killed leaves the partial folder; the next run with the same plan reuses
the finished parts and yields the same output as an uninterrupted run. Label sets and
correspondence sets are written this way."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import LabelSetError, OutputError
from ..progress import current_phase
from ..schema import METADATA_KEY, PAIRS_SCHEMA
from .layout import PAIRS_FILE, PARTS_DIR, PLAN_FILE, SPILL_DIR
from .output import OutputTarget, _os_error
from .parquet_stream import PART_OPTIONS, FinishedStream, _atomic_write_table


def plan_id(plan: dict) -> str:
    """The id of a run's plan (input fingerprint, config, chunking, versions): both files of the
    label set it makes carry it, so that files of two label sets are never mixed up."""
    return "sha256:" + hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()


def _mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:.1f} MiB"


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

    def __init__(self, target: OutputTarget, plan: dict | None, *, schema: pa.Schema = PAIRS_SCHEMA):
        self.target = target
        self.out = target.out
        self.schema = schema
        self.partial = target.partial
        self.parts = self.partial / PARTS_DIR
        self.created = not self.partial.exists()
        if plan is None:  # known later (set_plan): a fresh run only, nothing to reuse before it
            if not self.created:
                raise RuntimeError(f"{self.partial}: a plan comes later only for a run with no partial folder")
            self.plan_id, self.complete = None, False
            self._make(None)
            return
        self.plan_id = plan_id(plan)
        plan_text = json.dumps(plan, sort_keys=True)
        plan_file = self.partial / PLAN_FILE
        #: True when the partial folder already holds the finished label set of this plan
        self.complete = self.partial.exists() and self._holds_finished_set()
        if self.partial.exists() and not self.complete:
            same = plan_file.is_file() and plan_file.read_text() == plan_text
            if not same:  # an interrupted run of another plan: ours, not reusable
                target.clear_partial()
                self.created = True
        if self.complete:
            return
        self._make(None if plan_file.is_file() else plan_text)

    def _make(self, plan_text: str | None) -> None:
        """The partial folder and its parts folder, and the plan file where ``plan_text`` is given."""
        self.target.make_partial()
        try:
            self.parts.mkdir(exist_ok=True)
            if plan_text is not None:
                plan_file = self.partial / PLAN_FILE
                tmp = plan_file.with_name(PLAN_FILE + ".tmp")
                tmp.write_text(plan_text)
                os.replace(tmp, plan_file)
        except OSError as exc:
            raise self.disk_error(exc, self.partial) from None

    def set_plan(self, plan: dict) -> None:
        """The plan of a writer made without one, known now (the caller has checked that the
        parts written so far are its chunks): its file is written, and from now on an interrupted
        run's parts are reused by the next run of this plan. A run interrupted before this left a
        partial folder without a plan, which is cleared, not reused."""
        self.plan_id = plan_id(plan)
        self._make(json.dumps(plan, sort_keys=True))

    def discard_unplanned(self) -> None:
        """After a failure before :meth:`set_plan`: the partial folder can never be reused
        (no plan), so it goes, parts and all (this run made it)."""
        if self.created and self.plan_id is None and self.partial.is_dir():
            shutil.rmtree(self.partial, ignore_errors=True)

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
