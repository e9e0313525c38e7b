"""The ``fovlabel`` command. Each sub-command parses flags and calls one library function;
a :class:`~fovlabel.errors.FovlabelError` becomes one line on stderr and exit code 2."""

from __future__ import annotations

import sys

import click

from .._version import __version__
from ..errors import FovlabelError


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except FovlabelError as exc:
            click.echo(f"error: {' '.join(str(exc).split())}", err=True)
            sys.exit(2)
        except OSError as exc:  # a file the library did not expect to fail: still one line
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"error: {where}{exc.strerror or exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fovlabel")
def main():
    """Graded overlap labels for image pairs, written as Parquet pair tables."""


def _register():
    from .annotate import annotate
    from .overlap import overlap
    from .run import run
    from .show import show
    from .verify import verify

    for command in (annotate, overlap, run, show, verify):
        main.add_command(command)


_register()
