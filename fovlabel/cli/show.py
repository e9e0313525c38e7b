"""``fovlabel show``: what a label set holds, from its metadata and one streamed pass."""

from __future__ import annotations

import json

import click


@click.command(short_help="Metadata, counts and best pairs of a label set.")
@click.argument("labels", type=click.Path())
@click.option("--rows", type=int, default=5, show_default=True, help="Best pairs to print, with image keys.")
@click.option("--json", "as_json", is_flag=True, help="Print everything as one JSON object.")
@click.option("--paths", is_flag=True, help="Print the best pairs' absolute image paths too.")
def show(labels, rows, as_json, paths):
    """Print the metadata, counts and best pairs of the label set LABELS.

    Counts come from the metadata, statistics from one streamed pass over the overlaps: a label
    set of millions of pairs is never loaded whole.

    \b
    Examples:
      fovlabel show labels/munich
      fovlabel show labels/munich --rows 20
      fovlabel show labels/munich --json | python -m json.tool
    """
    from ..io.summary import summarize_label_set

    info = summarize_label_set(labels, rows=max(rows, 0))
    if as_json:
        click.echo(json.dumps(info, indent=2, sort_keys=True, default=_plain))
        return
    rank_names = {"2": "positive", "1": "soft negative", "0": "hard negative"}
    click.echo(f"label set {labels}: fovlabel {info['fovlabel_version']}, schema {info['schema_version']}, "
               f"labeller {info['labeller']}")
    inp = info["input"]
    click.echo(f"input: {inp['format']} {inp['path']} ({str(inp['fingerprint'])[:19]}...)")
    click.echo(f"run: {json.dumps(info['run'], sort_keys=True)}")
    click.echo(f"params: {json.dumps(info['params'], sort_keys=True)}")
    roles = ", ".join(f"{n:,} {r}" if r != "none" else f"{n:,} without a role"
                      for r, n in sorted(info["roles"].items()))
    unusable = ", ".join(f"{n:,} {f}" for f, n in sorted(info["unusable"].items())) or "none"
    click.echo(f"frames: {info['frames']:,} ({roles}); left out: {unusable}")
    click.echo(f"pairs: {info['pairs']:,}")
    for rank in ("2", "1", "0"):
        if rank == "0" and not info["run"].get("keep_zero"):
            click.echo("  rank 0 (hard negative): not written (absent pairs have overlap 0)")
        elif rank in info["ranks"]:
            click.echo(f"  rank {rank} ({rank_names[rank]}): {info['ranks'][rank]:,}")
    if info["overlap_quantiles"]:
        click.echo("overlap quantiles: " + ", ".join(f"{k}={v:.3f}" for k, v in info["overlap_quantiles"].items()))
    if info["best_pairs"]:
        import pandas as pd

        table = pd.DataFrame(info["best_pairs"])
        shown = table.drop(columns=[c for c in ("path_a", "path_b") if c in table.columns])
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            click.echo(shown.to_string(index=False))
        if paths and "path_a" in table.columns:
            for a, b in zip(table["path_a"], table["path_b"]):
                click.echo(f"{a}  {b}")


def _plain(value):
    """numpy scalars in the JSON output."""
    return value.item() if hasattr(value, "item") else str(value)
