"""``fovlabel annotate``: label a dataset and write a label set."""

from __future__ import annotations

import sys

import click

from ..config import MODES

_FORMATS_HELP = "Dataset format: msls, csv, kitti, tum, 7scenes, tbplaces, colmap."


class FovType(click.ParamType):
    """A number of degrees or the word 'intrinsics'."""

    name = "DEGREES|intrinsics"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)) or value == "intrinsics":
            return value
        try:
            return float(value)
        except ValueError:
            self.fail(f"{value!r} is neither a number of degrees nor 'intrinsics'", param, ctx)


def print_summary(summary) -> None:
    for line in summary.lines():
        click.echo(line)


def progress_reporter():
    """A click progress bar over chunks on stderr, when stderr is a terminal and there are several
    chunks; None otherwise (logs and pipes get only the summary)."""
    stream = sys.stderr
    if not stream.isatty():
        return None
    state = {}

    def report(done, total):
        if total < 2:
            return
        if "bar" not in state:
            state["bar"] = click.progressbar(length=total, label="labelling", file=stream)
            state["bar"].__enter__()
        state["bar"].update(done - state["bar"].pos)
        if done >= total:
            state["bar"].__exit__(None, None, None)

    return report


@click.command()
@click.argument("dataset", type=click.Path(exists=True))
@click.option("--format", "format_", required=True, help=_FORMATS_HELP)
@click.option("--labeller", default=None, help="weak2d (default, or the preset's).")
@click.option("--preset", default=None, help="Named defaults, e.g. msls (fov 90, radius 50 m, cross).")
@click.option("--fov-deg", type=FovType(), default=None,
              help="Camera FoV in degrees, (0, 360], or 'intrinsics' (2 atan(width / 2 fx)).")
@click.option("--fx", type=float, default=None, help="Focal length in pixels for --fov-deg intrinsics.")
@click.option("--width", type=float, default=None, help="Image width in pixels for --fov-deg intrinsics.")
@click.option("--radius-m", type=float, default=None, help="Sector radius in metres, > 0.")
@click.option("--measure", type=click.Choice(["iou", "ioa"]), default=None,
              help="iou: |A∩B|/|A∪B|; ioa: |A∩B|/|A| (A = query).")
@click.option("--mode", type=click.Choice(MODES), default=None,
              help="cross: queries x database; within: all i<j of a group; auto: cross when both roles exist.")
@click.option("--positive", type=float, default=None, help="Rank-2 threshold on overlap (default 0.5).")
@click.option("--keep-zero", is_flag=True, default=None, help="Keep candidate pairs with overlap 0.")
@click.option("--up", default=None, help="6DoF: up vector, auto (default) or +x, -x, +y, -y, +z, -z.")
@click.option("--max-tilt-deg", type=float, default=None,
              help="6DoF: cameras pitched more than this out of the ground plane are left out (80).")
@click.option("--epsg", default=None, help="Projected CRS for positions (default: UTM zone per group).")
@click.option("--stride", type=int, default=None, help="tum: keep every k-th frame.")
@click.option("--pose", type=click.Choice(["cam_to_world", "world_to_cam"]), default=None,
              help="csv with pose columns: which way the poses map.")
@click.option("--voxel-m", type=float, default=None, help="3D: voxel side in metres (0.05).")
@click.option("--pixel-stride", type=int, default=None, help="3D: back-project every k-th depth pixel (1).")
@click.option("--max-depth-m", type=float, default=None, help="3D: ignore depth beyond this.")
@click.option("--depth-tol", type=float, default=None, help="3D: relative depth agreement for visibility (0.05).")
@click.option("--source", type=click.Choice(["auto", "rgbd", "scene", "tracks"]), default=None,
              help="3D: where each frame's point set comes from.")
@click.option("--scene", type=click.Path(exists=True, dir_okay=False), default=None,
              help="3D: scene point cloud or mesh (PLY/PCD/OBJ).")
@click.option("--scene-from-rgbd", is_flag=True, default=None, help="3D: fuse the scene from the RGB-D frames (TSDF).")
@click.option("--jobs", type=int, default=1, show_default=True, help="Worker processes.")
@click.option("--out", required=True, type=click.Path(), help="Output label-set directory.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
def annotate(dataset, format_, labeller, preset, fov_deg, fx, width, radius_m, measure, mode,
             positive, keep_zero, up, max_tilt_deg, epsg, stride, pose, voxel_m, pixel_stride,
             max_depth_m, depth_tol, source, scene, scene_from_rgbd, jobs, out, overwrite):
    """Label every candidate image pair of DATASET and write Parquet to --out."""
    from ..api import annotate as run_annotate

    reader_options = {"epsg": epsg, "stride": stride, "pose": pose}
    summary = run_annotate(
        dataset, format_, labeller=labeller, preset=preset, out=out, overwrite=overwrite,
        jobs=jobs, reader_options={k: v for k, v in reader_options.items() if v is not None},
        progress=progress_reporter(), fov_deg=fov_deg, fx=fx, width=width, radius_m=radius_m,
        measure=measure, mode=mode, positive=positive, keep_zero=keep_zero, up=up,
        max_tilt_deg=max_tilt_deg, voxel_m=voxel_m, pixel_stride=pixel_stride, max_depth_m=max_depth_m,
        depth_tol=depth_tol, source=source, scene=scene, scene_from_rgbd=scene_from_rgbd,
    )
    print_summary(summary)
