"""``fovlabel verify``: check a label set fully and say what is wrong."""

from __future__ import annotations

import sys

import click


@click.command(short_help='Check a label set fully; say what is wrong.')
@click.argument("labels", type=click.Path())
def verify(labels):
    """Check the label set LABELS fully; print 'ok' or one line per problem (exit 2).

    Checks: both files readable and of one label set, counts as the metadata says, ids in range,
    overlaps in [0, 1], ranks as the threshold says, no repeated or self pairs, pairs within
    groups and in the mode's direction, only usable frames.

    \b
    Examples:
      fovlabel verify labels/munich
      fovlabel verify labels/munich && python train.py --labels labels/munich
    """
    from ..io.verify import verify_label_set

    meta, problems = verify_label_set(labels)
    if problems:
        for problem in problems:
            click.echo(f"error: {' '.join(problem.split())}", err=True)
        sys.exit(2)
    click.echo(f"ok: {labels}: {meta['frames']} frames, {meta['pairs']} pairs, labeller {meta['labeller']}")
