"""The Python API: per-pair overlap, annotating a dataset, reading label sets back."""

from __future__ import annotations

import time
from pathlib import Path

from .config import make_config
from .execution import Execution
from .labellers import get_labeller
from .errors import ConfigError
from .progress import phase


def weak_fov_overlap(
    x_a, y_a, heading_deg_a, x_b, y_b, heading_deg_b,
    *, fov_deg=90.0, radius_m=50.0, fov_deg_b=None, radius_m_b=None, measure="iou",
    max_view_angle_deg=None,
):
    """Exact 2D field-of-view overlap of camera pairs from metric position and compass heading.

    Positions in metres in one metric frame (e.g. UTM; see :func:`latlon_to_metric`), within
    ±1e8 m; headings in degrees clockwise from the frame's north (+y), in [0, 360) (anything else
    is a ConfigError, never wrapped: the rule of every input). Every argument broadcasts (scalars or arrays);
    ``fov_deg``/``radius_m`` are camera A's and also B's unless ``fov_deg_b``/``radius_m_b`` are
    given. ``measure``: "iou" = |A∩B|/|A∪B|, "ioa" = |A∩B|/|A|. ``max_view_angle_deg`` (θ, in
    (0, 180]): the view-consistent overlap, which counts only the points of A∩B whose rays to
    the two cameras meet at an angle of at most θ (two cameras facing each other share little);
    None: the plain overlap. Returns a float (scalar inputs) or a float64 array in [0, 1].
    """
    from ._args import check_args
    from .geometry.sector import sector_overlap

    check_args(measure=(measure, str), max_view_angle_deg=(max_view_angle_deg, "float?"))
    out = sector_overlap(
        x_a, y_a, heading_deg_a, x_b, y_b, heading_deg_b,
        fov_deg_a=fov_deg, radius_m_a=radius_m, fov_deg_b=fov_deg_b, radius_m_b=radius_m_b,
        measure=measure, max_view_angle_deg=max_view_angle_deg,
    )
    return float(out) if out.ndim == 0 else out


def strong_fov_overlap(
    world_from_cam_a, world_from_cam_b,
    *, fov_deg=90.0, radius_m=50.0, fov_deg_b=None, radius_m_b=None, measure="iou",
    up="auto", max_tilt_deg=80.0, max_view_angle_deg=None,
):
    """2D field-of-view overlap of camera pairs from 6DoF poses.

    ``world_from_cam_*``: camera-to-world 4x4 (or 3x4) matrices, one pose (4, 4) or a stack
    (n, 4, 4); OpenCV camera axes (x right, y down, z forward). The sectors lie on the ground plane
    perpendicular to ``up`` ("auto": opposite to the mean y axis of all the given cameras, or an
    axis name such as "+z"); apex = camera centre, heading = optical axis, both projected on it.
    A pair with a camera pitched more than ``max_tilt_deg`` out of the plane gets NaN (no heading).
    Other arguments as :func:`weak_fov_overlap`.
    """
    import numpy as np

    from ._args import check_args
    from .geometry.ground import check_max_tilt_deg, check_up, project_to_ground, resolve_up
    from .geometry.poses import as_matrices, check_rigid

    check_args(measure=(measure, str), up=(up, str), max_tilt_deg=(max_tilt_deg, float),
               max_view_angle_deg=(max_view_angle_deg, "float?"))

    check_up(up)  # before any work
    check_max_tilt_deg(max_tilt_deg)
    Ra, ta = as_matrices(world_from_cam_a)
    Rb, tb = as_matrices(world_from_cam_b)
    Ra, Rb = check_rigid(Ra), check_rigid(Rb)
    ground = resolve_up(up, np.concatenate([Ra, Rb]))
    xa, ya, ha, _, ok_a = project_to_ground(Ra, ta, ground, max_tilt_deg)
    xb, yb, hb, _, ok_b = project_to_ground(Rb, tb, ground, max_tilt_deg)
    out = np.asarray(weak_fov_overlap(xa, ya, ha, xb, yb, hb, fov_deg=fov_deg, radius_m=radius_m,
                                      fov_deg_b=fov_deg_b, radius_m_b=radius_m_b, measure=measure,
                                      max_view_angle_deg=max_view_angle_deg),
                     dtype=np.float64)
    out = np.where(ok_a & ok_b, out, np.nan)
    single = np.ndim(world_from_cam_a) == 2 and np.ndim(world_from_cam_b) == 2
    return float(out[0]) if single else out


def annotate(
    dataset,
    format: str,
    *,
    labeller: str | None = None,
    preset: str | None = None,
    out=None,
    overwrite: bool = False,
    jobs: int = 1,
    reader_options: dict | None = None,
    progress=None,
    return_frames: bool = False,
    plots: bool = False,
    scheduler: str | None = None,
    **params,
):
    """Label every candidate pair of a dataset.

    ``params`` override the preset's fields: run settings (``mode``, ``positive``, ``keep_zero``,
    ``chunk_frames``; :class:`fovlabel.config.RunSettings`) and the labeller's own parameters
    (``get_labeller(name).Params``: e.g. ``fov_deg``, ``radius_m``, ``measure`` for weak2d). A
    parameter the labeller does not take is a ConfigError.
    ``plots``: also draw the histogram and three example pairs into ``<out>/plots/``.
    ``progress``: a :class:`fovlabel.progress.Progress` that reports the run phase by phase
    (default: silent); the summary's time is split by the phases either way.
    ``jobs`` and ``scheduler``: how wide and where the run executes (:mod:`fovlabel.execution`
    says what ``jobs`` means at each stage): ``scheduler`` None (here), ``"dask-local:N"`` or
    ``"tcp://HOST:PORT"`` (a Dask cluster; :mod:`fovlabel.schedulers`); the output is the same.
    With ``out=None`` returns the pairs as a DataFrame, or ``(pairs, frames)`` with
    ``return_frames=True`` (the frames table with the labeller's flags, ``usable`` and ``flag``,
    and strong2d's ground-plane placement ``plane_*``); with ``out`` writes a label set there
    (under the output rules of :mod:`fovlabel.io.output`) and returns the run's
    :class:`fovlabel.batch.Summary`.
    """
    from ._args import check_args
    from .progress import Progress

    check_args(dataset=(dataset, "path"), format=(format, str), labeller=(labeller, "str?"),
               preset=(preset, "str?"), out=(out, "path?"), overwrite=(overwrite, bool), jobs=(jobs, int),
               reader_options=(reader_options, "dict?"), return_frames=(return_frames, bool),
               plots=(plots, bool), scheduler=(scheduler, "str?"))
    config = make_config(preset, labeller=labeller, **params)
    execution = Execution(jobs=jobs, scheduler=scheduler)  # checked before any work
    if progress is not None and not isinstance(progress, Progress):
        raise TypeError(f"progress must be a fovlabel.progress.Progress; got {type(progress).__name__}")
    reporter = progress if progress is not None else Progress("quiet")
    started = time.perf_counter()
    with reporter.active():
        result = _annotate(dataset, format, config, out, overwrite, execution, reader_options or {}, plots,
                           return_frames)
    if out is not None:  # the summary's time covers the whole run, split by phase
        result.seconds = time.perf_counter() - started
        result.phases = dict(reporter.seconds)
    return result


def _annotate(dataset, format, config, out, overwrite, execution, reader_options, plots, return_frames):
    from .batch import label_frames, run_to_disk

    if out is None:
        frames = _read(dataset, format, reader_options, execution)
        pairs, frames = label_frames(frames, config, execution=execution, root=dataset_root(dataset))
        return (pairs, frames) if return_frames else pairs
    from .io.layout import LABEL_SET
    from .io.output import OutputTarget
    from .io.paths import sources_record

    labeller = get_labeller(config.labeller)
    inputs = [dataset, *labeller.inputs(config.params)]

    def input_info_of(frames) -> dict:
        # absolute: the label set is read from elsewhere later (exports resolve image paths by it)
        return {"path": str(Path(dataset).resolve()), "format": format, "reader_options": reader_options,
                # image_path starts here, relative to the dataset root (COLMAP: its images/)
                "image_root": frames.attrs.get("image_root", "."),
                # the source files as labelled: a moved or changed dataset is noticed before
                # its paths are trusted (io.paths.check_dataset_root)
                "sources": sources_record(dataset_root(dataset), frames["source_file"].unique())}

    # the rules on --out, and the lock, come before any work: a refusal costs nothing
    with OutputTarget(out, LABEL_SET, overwrite=overwrite, inputs=inputs) as target:
        from .readers import get_reader, read_frame_groups
        from .streaming import run_while_reading, streams

        _check_reader_options(reader_options)
        if streams(get_reader(format), labeller, execution, target):  # a group labelled while the next are read
            # one thread reads, a group at a time: the others label the groups read so far
            _, parts = read_frame_groups(dataset, format, threads=1, **reader_options)
            summary = run_while_reading(parts, config, target, execution=execution, root=dataset_root(dataset),
                                        input_info_of=input_info_of)
        else:
            frames = _read(dataset, format, reader_options, execution)
            summary = run_to_disk(frames, config, target, input_info=input_info_of(frames), execution=execution,
                                  root=dataset_root(dataset), notes=frames.attrs.get("notes", []))
        if plots:  # after the commit, still under the lock: the label set is whole whatever happens
            from .plot import plot_run

            with phase("plotting", unit="picture") as step:
                drawn = plot_run(target.out)
                step.advance(len(drawn))
            summary.notes.append(f"plots: {len(drawn)} picture(s) in {target.out / 'plots'}")
        return summary


def _read(dataset, format, reader_options, execution):
    from .readers import read_frames

    _check_reader_options(reader_options)
    with phase("reading", unit="frame") as step:
        frames = read_frames(dataset, format, threads=execution.reader_threads, **reader_options)
        step.advance(len(frames))
    return frames


def _check_reader_options(reader_options: dict) -> None:
    if "threads" in reader_options:  # not the reader's: the run's --jobs sets it
        raise ConfigError("reader option 'threads' is set by jobs (--jobs), not among the reader's options")


def dataset_root(dataset) -> Path:
    """The folder that a dataset's relative paths (image_path, depth_path) start from."""
    path = Path(dataset)
    return path if path.is_dir() else path.parent
