"""What the commands share (rasterio keeps its ``rio/options.py`` so): ``--quiet``, the progress
reporter, the summary printer, and the flags made from declared parameters (fovlabel.params):
a command's options come from the ``Params`` classes alone, never re-listed by hand."""

from __future__ import annotations

import dataclasses
import sys

import click

from ..params import field_kinds

QUIET = click.Option(["--quiet", "-q"], is_flag=True, help="No progress on stderr (the summary is still printed).")


def progress_reporter(quiet: bool = False):
    """The run's progress on stderr: a line redrawn in place on a terminal, a line per phase (and
    at most one every 5 s while it runs) in logs and pipes, nothing with ``--quiet``."""
    from ..progress import Progress

    return Progress("quiet" if quiet else "auto", stream=sys.stderr)


def print_summary(summary) -> None:
    for line in summary.lines():
        click.echo(line)


class NumberOrWord(click.ParamType):
    """A number, or a word the parameter's own validation judges (``--fov-deg intrinsics``)."""

    name = "NUMBER|WORD"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return value
        try:
            return float(value)
        except ValueError:
            return value


def flag(name: str) -> str:
    """The flag of a parameter: ``radius_m`` is ``--radius-m``."""
    return "--" + name.replace("_", "-")


def choices_metavar(choices) -> str:
    return "[" + "|".join(choices) + "]"


def _click_type(kinds):
    kinds = [k for k in kinds if k is not type(None)]
    if str in kinds:  # a word, or a number a word may stand for (fov_deg: 90 or intrinsics)
        return NumberOrWord() if float in kinds else click.STRING
    return {float: click.FLOAT, int: click.INT}.get(kinds[0], click.STRING)


def options_from_params(owners_and_classes, *, defaults: bool = False, metavars=None) -> list[tuple[str, click.Option]]:
    """(field name, option) for every field of the given (owner name, Params class) pairs: one
    flag a name, its type from the field's annotation, its help from the first owner's field,
    marked with every owner that takes it where there are several owners. Choices are shown, and
    checked by the owner's own validation (one-line errors).

    ``defaults``: the option's default is the field's (click shows it); otherwise None, so that
    only what the user gave is passed on (a preset's values then stand), and the help says each
    owner's default. ``metavars``: a field's metavar where the type's would not do
    (``--labeller NAME``)."""
    owners_and_classes = list(owners_and_classes)
    owners: dict[str, list[str]] = {}
    fields: dict[str, tuple[dataclasses.Field, type]] = {}
    for owner, cls in owners_and_classes:
        for f in dataclasses.fields(cls):
            owners.setdefault(f.name, []).append(owner)
            fields.setdefault(f.name, (f, cls))
    mark = len(owners_and_classes) > 1
    options = []
    for name, (f, cls) in fields.items():
        help_text = f.metadata.get("help", "") + (f" [{', '.join(owners[name])}]" if mark else "")
        if not defaults:
            help_text += _defaults_text(name, owners_and_classes)
        kinds = field_kinds(cls)[name]
        default = f.default if defaults else None
        if bool in kinds:
            opt = click.Option([flag(name)], is_flag=True, default=default, help=help_text)
        else:
            choices = f.metadata.get("choices")
            metavar = (metavars or {}).get(name) or (choices_metavar(choices) if choices else None)
            opt = click.Option([flag(name)], type=_click_type(kinds), default=default, help=help_text,
                               metavar=metavar, show_default=defaults and default is not None)
        options.append((name, opt))
    return options


def _defaults_text(name: str, owners_and_classes) -> str:
    """" [default: 50.0]", or each owner's where they differ (" [default: hloc 20, classes 5]");
    nothing where the default is None or off."""
    values = {}
    for owner, cls in owners_and_classes:
        for f in dataclasses.fields(cls):
            if f.name == name and f.default not in (None, False):
                values[owner] = f.default
    if not values:
        return ""
    if len(set(map(repr, values.values()))) == 1:
        return f" [default: {next(iter(values.values()))}]"
    return " [default: " + ", ".join(f"{owner} {value}" for owner, value in values.items()) + "]"


def once(ctx, param, values):
    """The callback of an option declared ``multiple=True`` that must be given at most once: a
    second ``--preset`` is refused in one line instead of silently replacing the first."""
    if len(values) > 1:
        raise click.BadParameter(f"given {len(values)} times ({', '.join(values)}); give it once", ctx, param)
    return values[0] if values else None
