"""The ``fovlabel`` command. Each sub-command parses flags and calls one library function;
a :class:`~fovlabel.errors.FovlabelError` becomes one line on stderr and exit code 2."""

from __future__ import annotations

import gc
import os
import sys

import click

from .._version import __version__
from ..errors import FovlabelError


class _Group(click.Group):
    """Commands by name; ``annotate``, ``export`` and ``correspondences`` are built when asked
    for, from the registries and declarations as they stand."""

    def get_command(self, ctx, name):
        if name == "annotate":
            from .annotate import build_annotate

            return build_annotate()
        if name == "export":
            from .export import build_export

            return build_export()
        if name == "correspondences":
            from .correspondences import build_correspondences

            return build_correspondences()
        return super().get_command(ctx, name)

    def resolve_command(self, ctx, args):
        """A mistyped command gets a "did you mean" (``fovlabel anotate``)."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            import difflib

            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            ctx.fail(f"no such command '{name}'{hint} (commands: {', '.join(self.list_commands(ctx))})")
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), "annotate", "correspondences", "export"})

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except FovlabelError as exc:
            click.echo(f"error: {' '.join(str(exc).split())}", err=True)
            sys.exit(2)
        except click.UsageError as exc:  # a flag click itself refused: one line too, with where to look
            command = exc.ctx.command_path if exc.ctx is not None else "fovlabel"
            click.echo(f"error: {' '.join(exc.format_message().split())} (see '{command} --help')", err=True)
            sys.exit(2)
        except BrokenPipeError:  # `fovlabel show L | head`: the reader has gone; stop quietly, as Unix
            # tools do (128 + SIGPIPE), and let nothing flush into the closed pipe at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except OSError as exc:  # a file the library did not expect to fail: still one line
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"error: {where}{exc.strerror or exc}", err=True)
            sys.exit(2)


@click.group(cls=_Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fovlabel")
@click.pass_context
def main(ctx):
    """Graded overlap labels for image pairs, written as Parquet pair tables.

    \b
    Examples:
      fovlabel annotate sample_data/msls --format msls --preset msls --out labels/city
      fovlabel show labels/city
      fovlabel verify labels/city
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def _register():
    from .classes import classes
    from .overlap import overlap
    from .plot import plot
    from .run import run
    from .show import show
    from .verify import verify
    from .view import view

    for command in (classes, overlap, plot, run, show, verify, view):
        main.add_command(command)


_register()


def entry():
    """The ``fovlabel`` program (the console script): :func:`main`, then exit without Python's
    final collector passes over every object left. Everything a command writes is closed and
    committed before it returns, so those passes only cost time (a large share of the exit,
    after a big dataset is read)."""
    try:
        main()
    finally:
        gc.freeze()  # the objects left are freed by reference counting as modules are torn down
