"""``fovlabel run``: run a declarative pipeline file (TOML) from ``pipelines/``."""

from __future__ import annotations

import click

from .options import QUIET


@click.command(short_help='Run a batch job described by a TOML pipeline file.')
@click.argument("pipeline", type=click.Path(exists=True, dir_okay=False))
@click.option("--jobs", type=int, default=None, help="Worker processes (overrides the file).")
@click.option("--out", type=click.Path(), default=None, help="Output folder (overrides the file).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@click.option("--quiet", "-q", is_flag=True, help=QUIET.help)
@click.option("--scheduler", default=None, metavar="local|dask-local:N|tcp://HOST:PORT",
              help="Where the chunks run (overrides the file); the output is the same.")
def run(pipeline, jobs, out, overwrite, quiet, scheduler):
    """Run the batch job described by the TOML file PIPELINE.

    \b
    Keys (paths relative to the file):
      dataset = "../sample_data/msls"   the dataset (required)
      format = "msls"                   its format, as for annotate --format (required)
      out = "../labels/sample_msls"     the label set to write (required)
      labeller = "weak2d"               optional; else the preset's, else weak2d
      preset = "msls"                   optional named defaults
      jobs = 2                          optional worker count
      scheduler = "dask-local:2"        optional: local, dask-local:N or tcp://HOST:PORT
      description = "..."               optional, for people
      [reader]                          reader options, e.g. epsg = 32632, pose = "cam_to_world"
      [params]                          run settings and the labeller's parameters, as
                                        annotate's flags with _ (fov_deg = 90.0, radius_m = 50.0)
    Values are type-checked: keep_zero = "no" is an error naming the file and key.

    \b
    Examples:
      fovlabel run pipelines/sample_msls_weak2d.toml
      fovlabel run pipelines/munich_4seasons_weak2d.toml --jobs 2 --out labels/munich --overwrite
    """
    from ..pipeline import run_pipeline
    from .options import print_summary, progress_reporter

    summary = run_pipeline(pipeline, out=out, jobs=jobs, overwrite=overwrite, progress=progress_reporter(quiet),
                           scheduler=scheduler)
    print_summary(summary)
