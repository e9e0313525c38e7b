"""Labelling while reading: a group's chunks start as soon as the reader has read it, while it
reads the next groups. At 1.6M MSLS-like frames about 5.6 s passed before the first chunk
(reading, the input's fingerprint, preparing, the plan), most of it one thread holding the GIL
while the other core idled.

Taken by a fresh run (no partial folder) of a reader that reads a group at a time
(``Reader.reads_by_group``) and a labeller whose groups are independent
(``Labeller.groups_independent``) running its chunks in threads, with more than one job, here
(:func:`streams`). Everything else reads first (batch.run_to_disk). What stays exact:

- the chunks and their pairs: each group is prepared and planned alone (pairs.plan_chunks plans a
  group by itself), its chunk indices run on from the previous groups' and its frame ids are
  offset into the whole table's. After the reading the whole table is prepared and planned as
  run_to_disk does, and the two plans are compared chunk for chunk (a difference is a bug,
  raised before the plan is written);
- the fingerprint: the whole table's, after the reading, as before;
- the resume: the plan (fingerprint, config) is written once known, at the end of the reading,
  after the chunks labelled so far were checked to be its own. A run killed before then leaves
  a partial folder without a plan, which the next run clears (or this run removes, on a
  failure): nothing of it is reused, as a run killed before its first chunk left nothing to
  reuse. From the plan on, every part in the folder is this plan's, and a killed run resumes as
  any other; a run that finds a partial folder (a resume) reads first and goes the usual way.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .batch import Summary, _finish, _Labelling, _PairsSink, _quiet_warm_up, run_plan
from .config import RunConfig
from .execution import Execution
from .labellers import get_labeller
from .pairs import Chunk, group_modes, plan_chunks
from .progress import phase


def streams(reader, labeller, execution: Execution, target) -> bool:
    """True where a run labels while it reads (module docstring)."""
    return bool(execution.label_while_reading and reader.reads_by_group and labeller.groups_independent
                and labeller.parallel == "threads" and not target.partial.exists())


_END = object()


class _Feed:
    """The chunks of the groups read so far, in chunk order, for the labelling threads; ended by
    the reading (:meth:`end`) or a failure (:meth:`cancel`)."""

    def __init__(self):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self.cancelled = False

    def put(self, item) -> None:
        self._queue.put(item)

    def end(self) -> None:
        self._queue.put(_END)

    def cancel(self) -> None:
        self.cancelled = True
        self._queue.put(_END)

    def __iter__(self):
        while True:
            item = self._queue.get()
            if item is _END or self.cancelled:
                return
            yield item


class _LabellingThread:
    """Labels the fed chunks in ``workers`` threads and keeps their tables in chunk order (the
    sink: parts and pairs.parquet), beside the reading; counts what it kept."""

    def __init__(self, labeller, config: RunConfig, workers: int, sink: _PairsSink, feed: _Feed):
        self.labeller, self.config, self.workers, self.sink, self.feed = labeller, config, workers, sink, feed
        self.done, self.error = 0, None
        self.thread = threading.Thread(target=self._run, name="fovlabel-labelling", daemon=True)
        self.thread.start()

    def _one(self, item):
        chunk, group = item
        state, shift, offset = group.now  # read once: the reading may swap it meanwhile
        if shift:  # the whole table's state: the chunk's rows as the whole table's
            chunk = Chunk(chunk.index, chunk.group, chunk.mode, chunk.anchors + shift, chunk.targets + shift)
        table = self.labeller.label_chunk(state, chunk, self.config.run, self.config.params)
        return chunk.index, offset_ids(table, offset)

    def _run(self) -> None:
        from ._threads import OrderedMap

        try:
            with OrderedMap(self._one, self.feed, self.workers, waiting=self.workers + 1) as results:
                for index, table in results:
                    if self.feed.cancelled:
                        return
                    self.sink.keep(index, table)
                    self.done += 1
        except BaseException as exc:  # noqa: BLE001 - raised in the run's thread (check)
            self.error = exc

    def check(self) -> None:
        """Raise, in the caller's thread, what failed in the labelling."""
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        self.feed.cancel()
        self.thread.join()


class _Group:
    """A group's state for its chunks: ``now`` is (state, rows' shift, ids' offset): first its own
    state (rows from 0, ids offset into the whole table's), then, once the whole table is
    prepared, the whole table's (rows shifted, ids as they are): the group's own is then freed
    when no chunk runs on it. Both give the same pairs (its groups are independent)."""

    def __init__(self, state, offset: int):
        self.offset = offset
        self.now = (state, 0, offset)

    def use_whole(self, state) -> None:
        self.now = (state, self.offset, 0)


def offset_ids(table: pa.Table, offset: int) -> pa.Table:
    """A group's pairs table (frame ids from 0) with the ids of the whole frames table."""
    if offset == 0:
        return table
    for name in ("frame_a", "frame_b"):
        i = table.schema.get_field_index(name)
        column = table.column(i)
        table = table.set_column(i, table.schema.field(i), pc.add(column, pa.scalar(offset, column.type)))
    return table


def _signature(chunk: Chunk, offset: int, digests: dict) -> tuple:
    """What identifies a chunk of the whole plan: index, group, mode and the digests of its
    anchors and targets as whole-table rows (a group's chunks share one targets array: its
    digest is taken once, in ``digests``)."""
    def digest(rows):
        return hashlib.sha256(np.ascontiguousarray(rows, np.int64).tobytes()).hexdigest()

    key = (id(chunk.targets), offset)
    if key not in digests:
        digests[key] = digest(np.asarray(chunk.targets, np.int64) + offset)
    return chunk.index, chunk.group, chunk.mode, digest(np.asarray(chunk.anchors, np.int64) + offset), digests[key]


def _read_and_feed(parts, labeller, config: RunConfig, root, feed: _Feed, worker: _LabellingThread):
    """The reading phase: each group prepared and planned alone as it comes, its chunks fed to
    the labelling; returns (the parts read, the streamed plan's chunk signatures)."""
    read, signatures, digests, groups = [], [], {}, []
    with phase("reading", unit="frame") as step:
        for part in parts:
            worker.check()  # a failed chunk stops the reading
            read.append(part)
            step.advance(len(part))
            offset = int(part["frame_id"].iat[0])
            prepared = labeller.prepare(part, config.params, root, 1)
            modes = group_modes(prepared.frames, config.run.mode, check_cross=False)
            load = labeller.pair_load(prepared.state, prepared.frames, config.run.chunk_frames)
            groups.append(_Group(prepared.state, offset))
            for c in plan_chunks(prepared.frames, modes, config.run.chunk_frames, load, labeller.chunk_pairs):
                chunk = Chunk(len(signatures), c.group, c.mode, c.anchors, c.targets)
                signatures.append(_signature(chunk, offset, digests))
                feed.put((chunk, groups[-1]))
            del prepared
        step.describe(note=f"{worker.done} of its {len(signatures)} chunk(s) labelled meanwhile")
    feed.end()
    return read, signatures, groups


def run_while_reading(parts, config: RunConfig, target, *, execution: Execution, root, input_info_of) -> Summary:
    """Read ``parts`` (readers.read_frame_groups), label each group as it comes and write the
    label set at ``target`` (module docstring); ``input_info_of(frames)``: the metadata's input
    record of the whole frames table. The label set is byte for byte run_to_disk's."""
    from .io.fingerprint import frames_fingerprint
    from .io.labelset_writer import LabelSetWriter
    from .readers import concat_frame_parts

    start = time.perf_counter()
    labeller = get_labeller(config.labeller)
    writer = LabelSetWriter(target, None, pairs_schema=labeller.pairs_schema)
    warming = threading.Thread(target=_quiet_warm_up, args=(labeller,), name="fovlabel-warm-up", daemon=True)
    warming.start()
    feed, sink, worker = _Feed(), None, None
    try:
        sink = _PairsSink(writer, None)
        worker = _LabellingThread(labeller, config, execution.chunk_workers, sink, feed)
        read, signatures, groups = _read_and_feed(parts, labeller, config, root, feed, worker)
        frames = concat_frame_parts(read)
        input_info = input_info_of(frames)
        run = _Labelling.begin(frames, config, execution, root, None)
        run.warming = warming
        digests: dict = {}
        if [_signature(c, 0, digests) for c in run.chunks] != signatures:
            raise RuntimeError(f"labeller {labeller.name} says its groups are independent, but a group "
                               "prepared alone is planned otherwise than in the whole table")
        for group in groups:  # the chunks still to run take the whole table's state: the groups' own go
            group.use_whole(run.prepared.state)
        del groups
        # of what was read (a labeller whose groups are independent leaves the frames it is given as
        # they are; the label set's bytes are compared with a run that reads first in the tests)
        fingerprint = frames_fingerprint(frames)
        writer.set_plan(run_plan(fingerprint, config))
        sink.n_chunks = len(run.chunks)
        run.load_kernels()
        writer.start_frames(run.prepared.frames, background=True)
        with phase("labelling", total=len(run.chunks), unit="chunk") as step:
            counted = set(range(worker.done, len(run.chunks)))  # the rate counts this phase's chunks
            reported = 0
            while True:  # the chunks labelled so far, then as they come
                alive = worker.thread.is_alive()
                if worker.done > reported:
                    step.advance(worker.done - reported)
                    reported = worker.done
                if not alive:
                    break
                worker.thread.join(0.1)
            worker.check()
        sink.check_complete()
    except BaseException:
        if worker is not None:
            worker.stop()
        if sink is not None:
            sink.stream.abort()
        writer.abort_frames()
        writer.discard_unplanned()
        writer.discard_if_empty()
        raise
    return _finish(writer, target, run, sink, config, input_info, fingerprint, frames.attrs.get("notes", []),
                   start, counted)
