"""``fovlabel correspondences``: pixel correspondences of a 3D label set's overlapping pairs."""

from __future__ import annotations

import click

from .annotate import QUIET


@click.command("correspondences", short_help="Pixel correspondences of a 3D label set's overlapping pairs.")
@click.argument("labels", type=click.Path(exists=True, file_okay=False))
@click.option("--min-overlap", type=float, default=0.3, show_default=True, help="Pairs with at least this overlap.")
@click.option("--by", default="overlap", show_default=True, metavar="[overlap|cover]",
              help="overlap: the pair's IoU; cover: the smaller of its two coverages.")
@click.option("--per-pair", type=int, default=1000, show_default=True,
              help="Pixels of frame a drawn a pair (the matches kept are at most this many).")
@click.option("--depth-tol", type=float, default=0.05, show_default=True,
              help="Relative depth agreement in b (0.15 for ScanNet, as LoFTR/SuperGlue).")
@click.option("--negatives", type=float, default=0.0, show_default=True,
              help="Non-matching rows per match, for contrastive losses (0.5: one per two matches).")
@click.option("--neg-radius-px", type=float, default=8.0, show_default=True,
              help="A negative's pixel of b lies farther than this from the true match.")
@click.option("--max-reproj-px", type=float, default=1.0, show_default=True,
              help="COLMAP tracks: leave out observations this far from their 3D point's projection.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--root", type=click.Path(exists=True, file_okay=False), default=None,
              help="Where the dataset is now, if it moved.")
@click.option("--out", required=True, type=click.Path(), help="Output folder (correspondences.parquet).")
@click.option("--overwrite", is_flag=True, help="Replace a previous fovlabel correspondence set at --out.")
@click.option("--quiet", "-q", is_flag=True, help=QUIET.help)
def correspondences(labels, min_overlap, by, per_pair, depth_tol, negatives, neg_radius_px, max_reproj_px, seed,
                    root, out, overwrite, quiet):
    """Pixel correspondences of the overlapping pairs of the 3D label set LABELS, as Parquet.

    RGB-D label sets: pixels of frame a with valid depth, moved into frame b with the poses and
    intrinsics, kept where they land inside b, in front of it, on a pixel whose depth agrees.
    COLMAP label sets: the 2D observations of the 3D points both images see. Pixels in the OpenCV
    convention (integer coordinates at pixel centres).

    \b
    Examples:
      fovlabel correspondences labels/kitchen --min-overlap 0.3 --per-pair 1000 --out corr/kitchen
      fovlabel correspondences labels/kitchen --negatives 1 --out corr/kitchen_contrastive
    """
    from ..correspondences import correspondences as run
    from .annotate import progress_reporter

    summary = run(labels, out, overwrite=overwrite, root=root, progress=progress_reporter(quiet),
                  min_overlap=min_overlap, by=by, per_pair=per_pair, depth_tol=depth_tol, negatives=negatives,
                  neg_radius_px=neg_radius_px, max_reproj_px=max_reproj_px, seed=seed)
    click.echo(f"pairs: {summary['pairs']} (overlap >= {min_overlap:g} by {by}), source {summary['source']}")
    click.echo(f"rows: {summary['rows']:,} ({summary['matches']:,} matches, {summary['negatives']:,} negatives)")
    click.echo(f"written: {summary['out']}")
