"""Chunked, resumable, parallel labelling of a frames table.

One level of parallelism: ``jobs`` worker processes (joblib) each run the single-threaded Numba
kernel on whole chunks. Chunks are planned up front in a fixed order and their results are
consumed in that order, so the output is identical for any ``jobs``.
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

    def _time_line(self) -> str:
        if not self.phases:
            return f"time: {self.seconds:.2f} s ({self.frames / max(self.seconds, 1e-9):,.0f} frames/s)"
        parts = []
        for name, seconds in self.phases.items():
            extra = ""
            if name == "labelling" and seconds > 0:
                extra = f" ({self.usable_frames / seconds:,.0f} frames/s)"
            elif name == "compiling kernels":
                extra = " (first run only)"
            parts.append(f"{name} {seconds:.2f} s{extra}")
        return f"time: {self.seconds:.2f} s: " + ", ".join(parts)

    def lines(self) -> list[str]:
        rank_names = {2: "positive", 1: "soft negative", 0: "hard negative"}
        out = [
            *self.notes,
            f"frames: {self.frames} ({self.usable_frames} usable) in {len(self.groups)} group(s)",
            *(f"  group {g}: {v['frames']} frames, mode {v['mode']}" for g, v in self.groups.items()),
            f"pairs: {self.pairs}",
            *(f"  rank {r} ({rank_names[r]}): {self.ranks.get(r, 0)}" for r in (2, 1)),
            f"  rank 0 (hard negative): {self.ranks.get(0, 0)}" if self.config.get("keep_zero") else
            "  rank 0 (hard negative): not written (absent pairs have overlap 0; --keep-zero writes them)",
            self._time_line(),
        ]
        if self.resumed_chunks:
            out.append(f"resumed: {self.resumed_chunks} chunk(s) reused from an interrupted run")
        if self.out:
            out.append(f"written: {self.out}")
        return out


def check_jobs(jobs: int) -> int:
    if int(jobs) < 1:
        raise ConfigError(f"jobs must be >= 1; got {jobs}")
    return int(jobs)


def _chunk_tables(state, config, chunks, jobs, skip=frozenset(), scheduler=None) -> Iterator[tuple[int, pa.Table]]:
    """(chunk index, table) for every chunk not in ``skip``, in chunk order: here, in ``jobs``
    threads or joblib processes, or on a Dask cluster (``scheduler``; fovlabel.schedulers).

    A labeller that runs its chunks in threads starts its first chunks at once, before the
    caller takes any (the caller loads the kernels meanwhile: the chunks' candidate searches need
    none, and a chunk's first kernel call waits for Numba's compiler lock). Close the iterator
    when done with it."""
    labeller = get_labeller(config.labeller)
    todo = [c for c in chunks if c.index not in skip]

    def one(c):
        return c.index, labeller.label_chunk(state, c, config.run, config.params)

    if scheduler is None and labeller.parallel in ("threads", "inside") and jobs > 1 and len(todo) > 1:
        # threads of this process, in chunk order, one chunk ahead of them: "threads" labels jobs
        # chunks at once; "inside" (the labeller's own threads) the next one while one is written
        from ._threads import OrderedMap

        width = jobs if labeller.parallel == "threads" else 1
        return OrderedMap(one, todo, width, waiting=width + 1)
    return _lazy_chunk_tables(labeller, state, config, todo, jobs, scheduler, one)


def _lazy_chunk_tables(labeller, state, config, todo, jobs, scheduler, one):
    if scheduler is not None and todo:
        from .schedulers import dask_chunk_tables

        yield from dask_chunk_tables(scheduler, labeller.label_chunk, labeller.worker_state(state), todo,
                                     config.run, config.params)
        return
    if jobs == 1 or len(todo) <= 1 or labeller.parallel != "processes":
        yield from map(one, todo)
        return
    from joblib import Parallel, delayed

    results = Parallel(n_jobs=jobs, return_as="generator")(
        delayed(labeller.label_chunk)(state, c, config.run, config.params) for c in todo
    )
    for c, table in zip(todo, results):
        yield c.index, table


def prepare_frames(frames: pd.DataFrame, config: RunConfig, root=None, jobs: int = 1, workdir=None):
    """The labeller's :class:`~fovlabel.labellers.base.Prepared` (frames, state, notes, meta);
    ``workdir``: a folder of this run's own where the labeller may spill state."""
    import inspect

    from ._collector import resume

    resume()  # the program's collector, paused while it imported and read (fovlabel._program)
    labeller = get_labeller(config.labeller)
    # a labeller written before workdir existed keeps working: it is given only what it takes
    takes_workdir = "workdir" in inspect.signature(labeller.prepare).parameters
    with phase("preparing"):
        if takes_workdir:
            return labeller.prepare(frames, config.params, root, jobs, workdir=workdir)
        return labeller.prepare(frames, config.params, root, jobs)


def _dispatcher(name: str):
    import importlib

    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


def kernels_cached(names) -> bool | None:
    """True when Numba's on-disk cache holds a compiled version of every kernel named
    ("module:function"), False when one has none (it will be compiled), None when this Numba does
    not say. The index files are Numba's own; a stale one (source changed) counts as none."""
    try:
        for name in names:
            cache = _dispatcher(name)._cache._cache_file
            if not cache._load_index():
                return False
        return True
    except Exception:  # numba internals differ between versions: then we do not know
        return None


def warm_up_in_background(labeller):
    """A started thread loading the labeller's cached kernels while :meth:`prepare` runs, for a
    labeller that asks for it (``warm_up_while_preparing``); else None. A first run (kernels
    not cached) compiles them in load_kernels' own phase instead; load_kernels joins the thread."""
    import threading

    if not (labeller.warm_up_while_preparing and labeller.kernels) or not kernels_cached(labeller.kernels):
        return None
    thread = threading.Thread(target=_quiet_warm_up, args=(labeller,), name="fovlabel-warm-up", daemon=True)
    thread.start()
    return thread


def _quiet_warm_up(labeller) -> None:
    try:
        labeller.warm_up()
    except Exception:  # noqa: BLE001 - load_kernels runs warm_up again in its phase, and it raises there
        pass


def load_kernels(labeller, background=None) -> None:
    """Compile (first run) or load the labeller's kernels before the chunks, as a phase of its own
    (the chunks' time is then labelling only, and a first run says why it waits); ``background``:
    the thread of :func:`warm_up_in_background`, waited for first."""
    if background is not None:
        background.join()
    if not labeller.kernels:
        return
    if all(_dispatcher(k).signatures for k in labeller.kernels):
        return  # already in this process
    cached = kernels_cached(labeller.kernels)
    name = "loading kernels" if cached else "compiling kernels"
    with phase(name) as step:
        if not cached:
            step.describe(note="first run: Numba compiles them once and caches them for later runs")
        labeller.warm_up()


def _summary_base(frames: pd.DataFrame, config: RunConfig) -> tuple[dict, list[Chunk]]:
    modes = group_modes(frames, config.run.mode)
    chunks = plan_chunks(frames, modes, config.run.chunk_frames)
    groups = {}
    for g, sub in frames.groupby("group", sort=False):
        groups[g] = {"frames": int(len(sub)), "mode": modes.get(g, "none (no usable frames)"),
                     "crs": sub["crs"].iloc[0]}
    return groups, chunks


def label_frames(frames: pd.DataFrame, config: RunConfig, *, jobs: int = 1, root=None, scheduler=None):
    """All pairs of a frames table, in memory: (pairs DataFrame, the labeller's frames table).

    ``root``: the folder relative paths in the frames table start from (depth images)."""
    import tempfile

    jobs = check_jobs(jobs)
    with tempfile.TemporaryDirectory(prefix="fovlabel-") as workdir:
        warming = warm_up_in_background(get_labeller(config.labeller))
        prepared = prepare_frames(frames, config, root, jobs, workdir)
        frames = prepared.frames
        _, chunks = _summary_base(frames, config)
        results = _chunk_tables(prepared.state, config, chunks, jobs, scheduler=scheduler)  # may start now
        try:
            load_kernels(get_labeller(config.labeller), warming)
            with phase("labelling", total=len(chunks), unit="chunk") as step:
                tables = []
                for _, table in results:
                    tables.append(table)
                    step.advance()
        finally:
            results.close()
    empty = get_labeller(config.labeller).pairs_schema.empty_table()
    pairs = (pa.concat_tables(tables) if tables else empty).to_pandas()
    return pairs, frames


def run_to_disk(
    frames: pd.DataFrame,
    config: RunConfig,
    target,
    *,
    input_info: dict,
    jobs: int = 1,
    root=None,
    notes=(),
    scheduler=None,
) -> Summary:
    """Label every chunk and write the label set at ``target`` (a locked
    :class:`~fovlabel.io.output.OutputTarget`; atomic, resumable; see io.parts). Progress goes
    to the run's reporter (:mod:`fovlabel.progress`), phase by phase."""
    from .io.fingerprint import frames_fingerprint
    from .io.labelset_writer import LabelSetWriter
    from .io.metadata import LabelSetMetadata

    start = time.perf_counter()
    jobs = check_jobs(jobs)
    labeller = get_labeller(config.labeller)
    fingerprint = frames_fingerprint(frames)  # of what was read, before the labeller's additions
    # the chunk plan follows from these, so they are the whole plan: a finished set of the same
    # plan left by a killed run is found before any labelling work (3D: before decoding depth)
    plan = {"fingerprint": fingerprint, "config": config.to_dict(), "fovlabel_version": __version__,
            "schema_version": schema.SCHEMA_VERSION}
    writer = LabelSetWriter(target, plan, pairs_schema=labeller.pairs_schema)
    if writer.complete:
        return _commit_reused(writer, target, config, notes, start)
    ranks = {0: 0, 1: 0, 2: 0}
    n_pairs = 0

    def count(table):
        nonlocal n_pairs
        n_pairs += table.num_rows
        counts = np.bincount(table.column("rank").to_numpy(), minlength=3)  # ranks are 0, 1, 2
        for v, c in enumerate(counts):
            ranks[v] += int(c)

    try:  # a failure before any part is written leaves no partial folder behind
        warming = warm_up_in_background(labeller)
        prepared = prepare_frames(frames, config, root, jobs, writer.fresh_spill())
        frames, state = prepared.frames, prepared.state
        labeller_notes, labeller_meta = prepared.notes, prepared.meta
        groups, chunks = _summary_base(frames, config)
        done = {c.index for c in chunks if writer.has_part(c.index)}
        # the first chunks start before the kernels load (labellers that run in threads; see
        # _chunk_tables); pairs.parquet is written as the chunks come, in chunk order (the parts
        # are what a resumed run reuses): the writing phase then only closes it
        tables = _chunk_tables(state, config, chunks, jobs, skip=done, scheduler=scheduler)
        stream = None
        finished = 0
        try:
            if len(done) < len(chunks):
                load_kernels(labeller, warming)
            elif warming is not None:
                warming.join()
            # with more than one job frames.parquet is encoded while the chunks run (from now:
            # its conversion from pandas needs the GIL, which the kernels leave free)
            writer.start_frames(frames, background=jobs > 1)
            stream = writer.open_finished()
            with phase("labelling", total=len(chunks), unit="chunk") as step:
                if done:
                    step.describe(note=f"{len(done)} reused from an interrupted run")

                def take(table):
                    nonlocal finished
                    count(table)
                    try:
                        stream.write(table)
                    except OSError as exc:
                        raise writer.disk_error(exc, stream.path, finished, len(chunks)) from None
                    finished += 1
                    step.advance()

                reused = sorted(done)
                for index, table in tables:
                    while reused and reused[0] < index:
                        take(writer.read_part(reused.pop(0)))
                    try:
                        writer.write_part(index, table)
                    except OSError as exc:
                        raise writer.disk_error(exc, writer.partial, finished, len(chunks)) from None
                    take(table)
                for index in reused:
                    take(writer.read_part(index))
            if finished != len(chunks):  # every chunk, once, or no label set
                raise LabelSetError(f"{writer.partial}: {len(chunks) - finished} of {len(chunks)} chunk(s) "
                                    "were not labelled; the run is incomplete, nothing was written")
        except BaseException:
            if stream is not None:
                stream.abort()
            raise
        finally:
            tables.close()
    except BaseException:
        writer.abort_frames()
        writer.drop_spill()
        writer.discard_if_empty()
        raise
    writer.drop_spill()  # the state is not needed any more: free its disk before the writing
    metadata = LabelSetMetadata(
        fovlabel_version=__version__,
        labeller=config.labeller,
        config=config.to_dict(),
        run=config.run.to_dict(),
        params=config.params.to_dict(),
        input={**input_info, "fingerprint": fingerprint},
        groups=groups,
        labeller_info=labeller_meta,
        frames=int(len(frames)),
        pairs=n_pairs,
        ranks={str(k): v for k, v in ranks.items()},
        absent_pairs="overlap 0 (hard negative)" if not config.run.keep_zero else "not candidates",
    )
    with phase("writing", total=len(chunks), unit="part"):
        path = writer.commit(frames, len(chunks), metadata, stream)
    all_notes = [*notes, *labeller_notes]
    if target.recovered:
        all_notes.append(f"recovered: {target.recovered}")
    return Summary(
        frames=int(len(frames)), usable_frames=int(frames["usable"].sum()), groups=groups,
        pairs=n_pairs, ranks=ranks, seconds=time.perf_counter() - start, config=config.to_dict(),
        out=str(Path(path)), resumed_chunks=len(done), notes=all_notes,
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
