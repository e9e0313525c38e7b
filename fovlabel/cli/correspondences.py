"""``fovlabel correspondences``: pixel correspondences of a 3D label set's overlapping pairs. Its
settings' flags come from :class:`fovlabel.correspondences.CorrespondenceParams` alone."""

from __future__ import annotations

import click

from .options import QUIET, options_from_params, progress_reporter


def build_correspondences() -> click.Command:
    from ..correspondences import CorrespondenceParams

    settings = [opt for _, opt in options_from_params([("correspondences", CorrespondenceParams)], defaults=True)]

    def callback(labels, root, out, overwrite, quiet, **values):
        from ..correspondences import correspondences as run

        summary = run(labels, out, overwrite=overwrite, root=root, progress=progress_reporter(quiet), **values)
        click.echo(f"pairs: {summary['pairs']:,} (overlap >= {values['min_overlap']:g} by {values['by']}), "
                   f"source {summary['source']}")
        click.echo(f"rows: {summary['rows']:,} ({summary['matches']:,} matches, {summary['negatives']:,} negatives)")
        click.echo(f"written: {summary['out']}")

    return click.Command(
        "correspondences", callback=callback,
        short_help="Pixel correspondences of a 3D label set's overlapping pairs.",
        help="""Pixel correspondences of the overlapping pairs of the 3D label set LABELS, as Parquet.

    RGB-D label sets: pixels of frame a with valid depth, moved into frame b with the poses and
    intrinsics, kept where they land inside b, in front of it, on a pixel whose depth agrees.
    COLMAP label sets: the 2D observations of the 3D points both images see. Pixels in the OpenCV
    convention (integer coordinates at pixel centres).

    \b
    Examples:
      fovlabel correspondences labels/kitchen --min-overlap 0.3 --per-pair 1000 --out corr/kitchen
      fovlabel correspondences labels/kitchen --negatives 1 --out corr/kitchen_contrastive
    """,
        params=[
            click.Argument(["labels"], type=click.Path(exists=True, file_okay=False)),
            *settings,
            click.Option(["--root"], type=click.Path(exists=True, file_okay=False), default=None,
                         help="Where the dataset is now, if it moved."),
            click.Option(["--out"], required=True, type=click.Path(), help="Output folder (correspondences.parquet)."),
            click.Option(["--overwrite"], is_flag=True,
                         help="Replace a previous fovlabel correspondence set at --out (never anything else)."),
            QUIET,
        ],
    )
