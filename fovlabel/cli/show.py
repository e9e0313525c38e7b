"""``fovlabel show``: what a label set holds: its metadata, counts and first rows."""

from __future__ import annotations

import json

import click


@click.command(short_help='Metadata, counts and best pairs of a label set.')
@click.argument("labels", type=click.Path(exists=True))
@click.option("--rows", type=int, default=5, show_default=True, help="Pairs to print, with image keys.")
def show(labels, rows):
    """Print the metadata, counts and best pairs of the label set LABELS.

    \b
    Examples:
      fovlabel show labels/munich
      fovlabel show labels/munich --rows 20
    """
    import pandas as pd

    from ..io.labelset import read_pairs

    pairs = read_pairs(labels, with_keys=True)
    meta = pairs.attrs["fovlabel"]
    click.echo(f"label set {labels}: fovlabel {meta['fovlabel_version']}, schema "
               f"{meta['schema_version']}, labeller {meta['labeller']}")
    click.echo(f"input: {meta['input']['format']} {meta['input']['path']} ({meta['input']['fingerprint'][:19]}...)")
    click.echo(f"config: {json.dumps(meta['config'], sort_keys=True)}")
    click.echo(f"frames: {meta['frames']}, pairs: {len(pairs)}; overlap quantiles "
               + ", ".join(f"q{int(q * 100)}={pairs['overlap'].quantile(q):.3f}" for q in (0.1, 0.5, 0.9))
               if len(pairs) else f"frames: {meta['frames']}, pairs: 0")
    if rows > 0 and len(pairs):
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            click.echo(pairs.sort_values("overlap", ascending=False).head(rows).to_string(index=False))
