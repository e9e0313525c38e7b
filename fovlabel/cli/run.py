"""``fovlabel run``: run a declarative pipeline file (TOML) from ``pipelines/``."""

from __future__ import annotations

import click


@click.command()
@click.argument("pipeline", type=click.Path(exists=True, dir_okay=False))
@click.option("--jobs", type=int, default=None, help="Worker processes (overrides the file).")
@click.option("--out", type=click.Path(), default=None, help="Output folder (overrides the file).")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
def run(pipeline, jobs, out, overwrite):
    """Run the batch job described by PIPELINE (dataset, format, labeller, preset, params, out)."""
    from ..pipeline import run_pipeline
    from .annotate import print_summary, progress_reporter

    summary = run_pipeline(pipeline, out=out, jobs=jobs, overwrite=overwrite, progress=progress_reporter())
    print_summary(summary)
