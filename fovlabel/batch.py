"""Chunked, resumable, parallel labelling of a frames table.

Chunks are planned up front in a fixed order and their results are consumed in that order, so
the output is identical for any execution (fovlabel.execution: how many chunks at once, in
processes or threads, here or on a Dask cluster).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

from . import schema
from ._version import __version__
from .config import RunConfig
from .errors import ConfigError, LabelSetError
from .execution import Execution
from .labellers import get_labeller
from .pairs import Chunk, group_modes, plan_chunks
from .progress import phase


@dataclass
class Summary:
    """What a run did: counts, modes, timing and where it wrote."""

    frames: int
    usable_frames: int
    groups: dict
    pairs: int
    ranks: dict
    seconds: float
    config: dict
    out: str | None = None
    resumed_chunks: int = 0
    notes: list = field(default_factory=list)
    phases: dict = field(default_factory=dict)  # phase name -> seconds, in the order they ran
    #: usable frames whose chunks this run labelled (a resumed run reuses the others): the rate's
    labelled_frames: int | None = None

    def _time_line(self) -> str:
        if not self.phases:
            return f"time: {self.seconds:.2f} s ({self.frames / max(self.seconds, 1e-9):,.0f} frames/s)"
        parts = []
        for name, seconds in self.phases.items():
            extra = ""
            if name == "labelling" and seconds > 0:
                labelled = self.usable_frames if self.labelled_frames is None else self.labelled_frames
                extra = f" ({labelled / seconds:,.0f} frames/s)"
            elif name == "compiling kernels":
                extra = " (first run only)"
            parts.append(f"{name} {seconds:.2f} s{extra}")
        return f"time: {self.seconds:.2f} s: " + ", ".join(parts)

    def lines(self) -> list[str]:
        rank_names = {2: "positive", 1: "soft negative", 0: "hard negative"}
        out = [
            *self.notes,
            f"frames: {self.frames:,} ({self.usable_frames:,} usable) in {len(self.groups):,} group(s)",
            *(f"  group {g}: {v['frames']:,} frames, mode {v['mode']}" for g, v in self.groups.items()),
            f"pairs: {self.pairs:,}",
            *(f"  rank {r} ({rank_names[r]}): {self.ranks.get(r, 0):,}" for r in (2, 1)),
            f"  rank 0 (hard negative): {self.ranks.get(0, 0):,}" if self.config.get("keep_zero") else
            "  rank 0 (hard negative): not written (absent pairs have overlap 0; --keep-zero writes them)",
            self._time_line(),
        ]
        if self.resumed_chunks:
            out.append(f"resumed: {self.resumed_chunks} chunk(s) reused from an interrupted run")
        if self.out:
            out.append(f"written: {self.out}")
        return out


def check_jobs(jobs: int) -> int:
    """``jobs`` checked (kept for one version: fovlabel.execution.Execution checks it)."""
    return Execution(jobs=jobs).jobs


def _chunk_tables(state, config, chunks, execution: Execution, skip=frozenset()) -> Iterator[tuple[int, pa.Table]]:
    """(chunk index, table) for every chunk not in ``skip``, in chunk order: here, in threads or
    joblib processes (``execution.chunk_workers``), or on a Dask cluster (``execution.scheduler``;
    fovlabel.schedulers).

    A labeller that runs its chunks in threads starts its first chunks at once, before the
    caller takes any (the caller loads the kernels meanwhile: the chunks' candidate searches need
    none, and a chunk's first kernel call waits for Numba's compiler lock). Close the iterator
    when done with it."""
    labeller = get_labeller(config.labeller)
    todo = [c for c in chunks if c.index not in skip]
    workers = execution.chunk_workers

    def one(c):
        return c.index, labeller.label_chunk(state, c, config.run, config.params)

    if execution.scheduler is None and labeller.parallel in ("threads", "inside") and workers > 1 and len(todo) > 1:
        # threads of this process, in chunk order, one chunk ahead of them: "threads" labels that
        # many chunks at once; "inside" (the labeller's own threads) the next one while one is written
        from ._threads import OrderedMap

        width = workers if labeller.parallel == "threads" else 1
        return OrderedMap(one, todo, width, waiting=width + 1)
    return _lazy_chunk_tables(labeller, state, config, todo, execution, one)


def _lazy_chunk_tables(labeller, state, config, todo, execution, one):
    if execution.scheduler is not None and todo:
        from .schedulers import dask_chunk_tables

        yield from dask_chunk_tables(execution.scheduler, labeller.label_chunk, labeller.worker_state(state), todo,
                                     config.run, config.params)
        return
    workers = execution.chunk_workers
    if workers == 1 or len(todo) <= 1 or labeller.parallel != "processes":
        yield from map(one, todo)
        return
    from joblib import Parallel, delayed

    results = Parallel(n_jobs=workers, return_as="generator")(
        delayed(labeller.label_chunk)(state, c, config.run, config.params) for c in todo
    )
    for c, table in zip(todo, results):
        yield c.index, table


def prepare_frames(frames: pd.DataFrame, config: RunConfig, root=None, threads: int = 1, workdir=None):
    """The labeller's :class:`~fovlabel.labellers.base.Prepared` (frames, state, notes, meta);
    ``threads``: what its ``prepare`` may use; ``workdir``: a folder of this run's own where the
    labeller may spill state."""
    import inspect

    from ._collector import resume

    resume()  # the program's collector, paused while it imported and read (fovlabel._program)
    labeller = get_labeller(config.labeller)
    # a labeller written before workdir existed keeps working: it is given only what it takes
    takes_workdir = "workdir" in inspect.signature(labeller.prepare).parameters
    with phase("preparing"):
        if takes_workdir:
            return labeller.prepare(frames, config.params, root, threads, workdir=workdir)
        return labeller.prepare(frames, config.params, root, threads)


def _dispatcher(name: str):
    import importlib

    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


def compiled_now(names) -> bool:
    """True when loading the kernels named ("module:function") compiled one of them in this
    process instead of reading it from Numba's on-disk cache (a first run): the dispatchers'
    public ``stats`` count the cache misses."""
    return any(getattr(getattr(_dispatcher(name), "stats", None), "cache_misses", None) for name in names)


def warm_up_in_background(labeller):
    """A started thread loading (or, on a first run, compiling) the labeller's kernels while
    :meth:`prepare` runs, for a labeller that asks for it (``warm_up_while_preparing``); else
    None. load_kernels joins it."""
    import threading

    if not (labeller.warm_up_while_preparing and labeller.kernels):
        return None
    thread = threading.Thread(target=_quiet_warm_up, args=(labeller,), name="fovlabel-warm-up", daemon=True)
    thread.start()
    return thread


def _quiet_warm_up(labeller) -> None:
    try:
        labeller.warm_up()
    except Exception:  # noqa: BLE001 - load_kernels runs warm_up again in its phase, and it raises there
        pass


#: what the kernels phase says while it waits
KERNELS_NOTE = "a first run compiles them (once: Numba caches them for later runs)"


def load_kernels(labeller, background=None) -> None:
    """Load (or, on a first run, compile) the labeller's kernels before the chunks, as a phase of
    its own (the chunks' time is then labelling only, and a first run says why it waited);
    ``background``: the thread of :func:`warm_up_in_background`, waited for in the phase. The
    phase is "compiling kernels" when Numba compiled one (compiled_now), else "loading kernels"."""
    if not labeller.kernels:
        if background is not None:
            background.join()
        return
    if background is None and all(_dispatcher(k).signatures for k in labeller.kernels):
        return  # already in this process
    with phase("loading kernels") as step:
        if background is not None:
            background.join()
        if not all(_dispatcher(k).signatures for k in labeller.kernels):
            step.describe(note=KERNELS_NOTE)
            labeller.warm_up()
        if compiled_now(labeller.kernels):
            step.describe("compiling kernels")  # what it turned out to be (the summary says so)


def _summary_base(frames: pd.DataFrame, config: RunConfig, labeller=None, state=None) -> tuple[dict, list[Chunk]]:
    modes = group_modes(frames, config.run.mode)
    load = labeller.pair_load(state, frames, config.run.chunk_frames) if labeller is not None else None
    chunks = plan_chunks(frames, modes, config.run.chunk_frames, load, labeller.chunk_pairs if labeller else None)
    groups = {}
    for g, sub in frames.groupby("group", sort=False):
        groups[g] = {"frames": int(len(sub)), "mode": modes.get(g, "none (no usable frames)"),
                     "crs": sub["crs"].iloc[0]}
    return groups, chunks


@dataclass
class _Labelling:
    """What labelling in memory and to disk share: the labeller, its prepared frames and state,
    the groups and the chunk plan, and the kernels' warm-up thread."""

    labeller: object
    prepared: object
    groups: dict
    chunks: list
    warming: object

    @classmethod
    def begin(cls, frames, config: RunConfig, execution: Execution, root, workdir) -> "_Labelling":
        labeller = get_labeller(config.labeller)
        warming = warm_up_in_background(labeller)
        prepared = prepare_frames(frames, config, root, execution.prepare_threads, workdir)
        groups, chunks = _summary_base(prepared.frames, config, labeller, prepared.state)
        return cls(labeller, prepared, groups, chunks, warming)

    def tables(self, config, execution, skip=frozenset()):
        """The chunks' tables, in chunk order (started now: see _chunk_tables); close when done."""
        return _chunk_tables(self.prepared.state, config, self.chunks, execution, skip)

    def load_kernels(self, needed: bool = True) -> None:
        """The kernels' phase, when any chunk is to be labelled; else only the warm-up joined."""
        if needed:
            load_kernels(self.labeller, self.warming)
        elif self.warming is not None:
            self.warming.join()


def label_frames(frames: pd.DataFrame, config: RunConfig, *, execution: Execution | None = None, root=None,
                 jobs: int | None = None, scheduler=None):
    """All pairs of a frames table, in memory: (pairs DataFrame, the labeller's frames table).

    ``root``: the folder relative paths in the frames table start from (depth images).
    ``jobs`` and ``scheduler``: kept for one version (an :class:`Execution` says both)."""
    import tempfile

    execution = _execution(execution, jobs, scheduler)
    with tempfile.TemporaryDirectory(prefix="fovlabel-") as workdir:
        run = _Labelling.begin(frames, config, execution, root, workdir)
        results = run.tables(config, execution)  # may start now
        try:
            run.load_kernels()
            with phase("labelling", total=len(run.chunks), unit="chunk") as step:
                tables = []
                for _, table in results:
                    tables.append(table)
                    step.advance()
        finally:
            results.close()
    pairs = (pa.concat_tables(tables) if tables else run.labeller.pairs_schema.empty_table()).to_pandas()
    return pairs, run.prepared.frames


def _execution(execution, jobs, scheduler) -> Execution:
    if execution is not None:
        if jobs is not None or scheduler is not None:
            raise ConfigError("give an execution, or jobs and scheduler, not both")
        return execution
    return Execution(jobs=1 if jobs is None else jobs, scheduler=scheduler)


class _PairsSink:
    """Where a run's chunk tables go, in chunk order: a labelled chunk first to its part (what a
    resumed run reuses), then every chunk's rows to pairs.parquet as they come (the writing phase
    then only closes it), its rows and ranks counted."""

    def __init__(self, writer, n_chunks: int | None):
        self.writer, self.n_chunks = writer, n_chunks  # None: not known yet (streaming)
        self.pairs, self.ranks, self.finished, self.reused = 0, {0: 0, 1: 0, 2: 0}, 0, 0
        self.stream = writer.open_finished()

    def keep(self, index: int, table: pa.Table) -> None:
        """A labelled chunk: its part, then its rows."""
        try:
            self.writer.write_part(index, table)
        except OSError as exc:
            raise self.writer.disk_error(exc, self.writer.partial, self.finished, self.n_chunks) from None
        self.take(table)

    def take(self, table: pa.Table) -> None:
        """A chunk's rows, in chunk order."""
        self.pairs += table.num_rows
        counts = np.bincount(table.column("rank").to_numpy(), minlength=3)  # ranks are 0, 1, 2
        for rank, count in enumerate(counts):
            self.ranks[rank] += int(count)
        try:
            self.stream.write(table)
        except OSError as exc:
            raise self.writer.disk_error(exc, self.stream.path, self.finished, self.n_chunks) from None
        self.finished += 1

    def check_complete(self) -> None:
        if self.finished != self.n_chunks:  # every chunk, once, or no label set
            raise LabelSetError(f"{self.writer.partial}: {self.n_chunks - self.finished} of {self.n_chunks} "
                                "chunk(s) were not labelled; the run is incomplete, nothing was written")


def _in_chunk_order(tables, reused, writer):
    """(index, table, labelled now) in chunk order: the chunks labelled now as they come, the
    parts an interrupted run left read in their places."""
    reused = sorted(reused)
    for index, table in tables:
        while reused and reused[0] < index:
            done = reused.pop(0)
            yield done, writer.read_part(done), False
        yield index, table, True
    for index in reused:
        yield index, writer.read_part(index), False


def run_plan(fingerprint: str, config: RunConfig) -> dict:
    """A run's plan: what its chunks follow from (a resumed run reuses the parts of the same plan)."""
    return {"fingerprint": fingerprint, "config": config.to_dict(), "fovlabel_version": __version__,
            "schema_version": schema.SCHEMA_VERSION}


def run_to_disk(frames: pd.DataFrame, config: RunConfig, target, *, input_info: dict,
                execution: Execution | None = None, root=None, notes=(), jobs: int | None = None,
                scheduler=None) -> Summary:
    """Label every chunk and write the label set at ``target`` (a locked
    :class:`~fovlabel.io.output.OutputTarget`; atomic, resumable; see io.parts). Progress goes
    to the run's reporter (:mod:`fovlabel.progress`), phase by phase. ``jobs`` and ``scheduler``:
    kept for one version (an :class:`Execution` says both)."""
    from .io.fingerprint import frames_fingerprint
    from .io.labelset_writer import LabelSetWriter

    start = time.perf_counter()
    execution = _execution(execution, jobs, scheduler)
    labeller = get_labeller(config.labeller)
    fingerprint = frames_fingerprint(frames)  # of what was read, before the labeller's additions
    # the chunk plan follows from these, so they are the whole plan: a finished set of the same
    # plan left by a killed run is found before any labelling work (3D: before decoding depth)
    writer = LabelSetWriter(target, run_plan(fingerprint, config), pairs_schema=labeller.pairs_schema)
    if writer.complete:
        return _commit_reused(writer, target, config, notes, start)
    sink = None
    try:  # a failure before any part is written leaves no partial folder behind
        run = _Labelling.begin(frames, config, execution, root, writer.fresh_spill())
        done = {c.index for c in run.chunks if writer.has_part(c.index)}
        tables = run.tables(config, execution, skip=done)
        try:
            run.load_kernels(needed=len(done) < len(run.chunks))
            # frames.parquet is encoded while the chunks run, with more than one job (from now:
            # its conversion from pandas needs the GIL, which the kernels leave free)
            writer.start_frames(run.prepared.frames, background=execution.encode_in_background)
            sink = _PairsSink(writer, len(run.chunks))
            with phase("labelling", total=len(run.chunks), unit="chunk") as step:
                if done:
                    step.describe(note=f"{len(done)} reused from an interrupted run")
                for index, table, labelled in _in_chunk_order(tables, done, writer):
                    if labelled:
                        sink.keep(index, table)
                    else:
                        sink.take(table)
                        sink.reused += 1
                    step.advance()
            sink.check_complete()
        finally:
            tables.close()
    except BaseException:
        if sink is not None:
            sink.stream.abort()
        writer.abort_frames()
        writer.drop_spill()
        writer.discard_if_empty()
        raise
    return _finish(writer, target, run, sink, config, input_info, fingerprint, notes, start,
                   {c.index for c in run.chunks if c.index not in done})


def _finish(writer, target, run: "_Labelling", sink: "_PairsSink", config: RunConfig, input_info: dict,
            fingerprint: str, notes, start: float, counted) -> Summary:
    """Commit a labelled run's set and say what it did; ``counted``: the chunks whose anchors the
    labelling phase's rate counts (those it labelled)."""
    writer.drop_spill()  # the state is not needed any more: free its disk before the writing
    metadata = _metadata(config, input_info, fingerprint, run, sink)
    with phase("writing"):  # the pairs are written already: this closes the files and commits
        path = writer.commit(run.prepared.frames, len(run.chunks), metadata, sink.stream)
    all_notes = [*notes, *run.prepared.notes] + ([f"recovered: {target.recovered}"] if target.recovered else [])
    frames = run.prepared.frames
    usable = int(frames["usable"].sum())
    anchors = sum(len(c.anchors) for c in run.chunks)
    fresh = sum(len(c.anchors) for c in run.chunks if c.index in counted)
    return Summary(
        frames=int(len(frames)), usable_frames=usable, groups=run.groups,
        pairs=sink.pairs, ranks=sink.ranks, seconds=time.perf_counter() - start, config=config.to_dict(),
        out=str(Path(path)), resumed_chunks=sink.reused, notes=all_notes,
        labelled_frames=round(usable * fresh / anchors) if anchors else usable,
    )


def _metadata(config: RunConfig, input_info: dict, fingerprint: str, run: _Labelling, sink: _PairsSink):
    from .io.metadata import LabelSetMetadata

    return LabelSetMetadata(
        fovlabel_version=__version__,
        labeller=config.labeller,
        config=config.to_dict(),
        run=config.run.to_dict(),
        params=config.params.to_dict(),
        input={**input_info, "fingerprint": fingerprint},
        groups=run.groups,
        labeller_info=run.prepared.meta,
        frames=int(len(run.prepared.frames)),
        pairs=sink.pairs,
        ranks={str(k): v for k, v in sink.ranks.items()},
        absent_pairs="overlap 0 (hard negative)" if not config.run.keep_zero else "not candidates",
    )


def _commit_reused(writer, target, config, notes, start) -> Summary:
    """Commit the finished label set a killed run left in the partial folder, as it is."""
    from .io.reading import read_label_frames, read_metadata

    meta = read_metadata(writer.partial)
    frames = read_label_frames(writer.partial)
    path = writer.commit(frames, 0, None)
    ranks = {int(k): int(v) for k, v in meta["ranks"].items()}
    all_notes = [*notes, "reused: the complete label set of an interrupted run with this same plan"]
    if target.recovered:
        all_notes.append(f"recovered: {target.recovered}")
    return Summary(
        frames=int(meta["frames"]), usable_frames=int(frames["usable"].sum()), groups=meta["groups"],
        pairs=int(meta["pairs"]), ranks=ranks, seconds=time.perf_counter() - start,
        config=config.to_dict(), out=str(Path(path)), notes=all_notes,
    )
