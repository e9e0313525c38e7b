"""``fovlabel classes``: place classes from overlap, with their quality report."""

from __future__ import annotations

import click


@click.command(short_help="Place classes from overlap (for P x K and CosPlace-style training).")
@click.argument("labels", type=click.Path())
@click.option("--min-overlap", type=float, default=0.5, show_default=True,
              help="Every member overlaps its class representative at least this much.")
@click.option("--min-size", type=int, default=1, show_default=True, help="Drop classes smaller than this.")
@click.option("--out", type=click.Path(), default=None, help="Write frame_id, key, group, class, image_path to this .parquet.")
@click.option("--overwrite", is_flag=True, help="Replace a previous fovlabel classes file.")
@click.option("--root", type=click.Path(exists=True, file_okay=False), default=None,
              help="The dataset's folder, where it has moved since it was labelled (cross-mode sets read it).")
def classes(labels, min_overlap, min_size, out, overwrite, root):
    """Disjoint place classes over the usable frames of LABELS, where every member overlaps its
    class's representative by at least --min-overlap; prints the class sizes, the share of
    same-class pairs above the threshold and the leakage (pairs above it across classes).

    \b
    Examples:
      fovlabel classes labels/kitti06 --min-overlap 0.5
      fovlabel classes labels/munich --min-size 4 --out labels/munich_classes.parquet
    """
    from ..classes import place_classes, write_classes_file
    from ..io.paths import refuse_inside_output

    if out:  # before the work: a refusal costs nothing
        refuse_inside_output(out, "a fovlabel classes file")
    report = place_classes(labels, min_overlap, min_size, root=root)
    for line in report.lines():
        click.echo(line)
    if out:
        click.echo(f"written: {write_classes_file(labels, out, report, overwrite=overwrite)}")
