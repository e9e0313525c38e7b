"""``fovlabel plot``: pictures of a label set (PNG, headless)."""

from __future__ import annotations

import re

import click


@click.group(short_help="Pictures of a label set: a pair, a query's map, the histogram, all frames.")
def plot():
    """Draw pictures of a label set as PNG (matplotlib, headless).

    \b
    Examples:
      fovlabel plot pair labels/city q0006 d0006 --out pair.png
      fovlabel plot histogram labels/city --out histogram.png
    """


class _FrameArgs(click.Command):
    """A command whose arguments name frames: a negative number there is no option click does not
    know but a frame id that cannot be, said plainly."""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            if re.fullmatch(r"-\d+", exc.option_name or ""):
                raise click.UsageError(f"{exc.option_name} is no frame: frame ids are 0 or more; a key that "
                                       f"starts with '-' goes after '--' (fovlabel plot ... LABELS -- KEY)",
                                       ctx) from None
            raise


def _png_output(command):
    """--out and --overwrite, as every picture takes them."""
    command = click.option("--overwrite", is_flag=True, help="Replace a picture fovlabel drew before.")(command)
    return click.option("--out", required=True, type=click.Path(), help="PNG file to write.")(command)


@plot.command("pair", cls=_FrameArgs)
@click.argument("labels", type=click.Path())
@click.argument("a")
@click.argument("b")
@_png_output
@click.option("--root", type=click.Path(exists=True, file_okay=False), default=None,
              help="Where the dataset is now, if it moved (3D label sets read its images).")
@click.option("--matches", type=int, default=0, show_default=True,
              help="3D label sets: also draw this many pixel correspondences as lines.")
def pair(labels, a, b, out, overwrite, root, matches):
    """Frames A and B (keys or frame ids) and what they share.

    2D label sets: the two sectors with their intersection shaded. 3D label sets: the two images
    side by side (colour, else depth) with the pixels of shared voxels or tracks highlighted.

    \b
    Examples:
      fovlabel plot pair labels/city q0006 d0006 --out pair.png
      fovlabel plot pair labels/room 0000 0003 --out room_pair.png --matches 40
    """
    from ..plot import plot_pair

    click.echo(f"written: {plot_pair(labels, a, b, out, overwrite=overwrite, root=root, matches=matches)}")


@plot.command("histogram")
@click.argument("labels", type=click.Path())
@_png_output
def histogram(labels, out, overwrite):
    """Overlap histogram per rank (log counts) with the positive threshold, and pairs per frame.

    \b
    Examples:
      fovlabel plot histogram labels/city --out histogram.png
    """
    from ..plot import plot_histogram

    click.echo(f"written: {plot_histogram(labels, out, overwrite=overwrite)}")


@plot.command("query", cls=_FrameArgs)
@click.argument("labels", type=click.Path())
@click.argument("key")
@_png_output
def query(labels, key, out, overwrite):
    """The query KEY's group as a map: arrows in each frame's heading, coloured by rank with the
    query; the query and its top 5 matches marked.

    \b
    Examples:
      fovlabel plot query labels/city q0006 --out query.png
    """
    from ..plot import plot_query

    click.echo(f"written: {plot_query(labels, key, out, overwrite=overwrite)[0]}")


@plot.command("map")
@click.argument("labels", type=click.Path())
@_png_output
def map_(labels, out, overwrite):
    """Every frame of LABELS, coloured by group and role, with a scale bar.

    \b
    Examples:
      fovlabel plot map labels/city --out map.png
    """
    from ..plot import plot_map

    click.echo(f"written: {plot_map(labels, out, overwrite=overwrite)}")
