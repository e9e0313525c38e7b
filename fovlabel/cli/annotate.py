"""``fovlabel annotate``: label a dataset and write a label set.

The options are generated from the registries: run settings from :class:`RunSettings`, one flag
per parameter of every registered labeller (from its ``Params`` dataclass: type, choices, help),
one per reader option (from ``READERS``); the help lists every format, labeller and preset. A flag
of another labeller than the chosen one is refused by the library ("cloud3d does not take measure").
"""

from __future__ import annotations

import dataclasses
import sys

import click

from ..config import MODES, PRESET_SUMMARIES, PRESETS, RunSettings
from ..labellers import LABELLERS, get_labeller
from ..readers import READERS


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


_TYPES = {"float": float, "int": int, "str": str}


def _choices(choices) -> str:
    return "[" + "|".join(choices) + "]"


def _click_type(kind):
    kinds = [k.strip() for k in str(kind).split("|") if k.strip() != "None"]
    if len(kinds) > 1:
        return NumberOrWord()
    return _TYPES.get(kinds[0], str)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def options_from_dataclasses(owners_and_classes) -> list[tuple[str, click.Option]]:
    """(field name, option) for every field of the given (owner name, dataclass) pairs: one flag
    per name, its help from the first owner's field, marked with every owner that takes it.
    Choices are shown, and checked by the owner's own validation (one-line errors)."""
    owners: dict[str, list[str]] = {}
    fields: dict[str, dataclasses.Field] = {}
    for owner, cls in owners_and_classes:
        for f in dataclasses.fields(cls):
            owners.setdefault(f.name, []).append(owner)
            fields.setdefault(f.name, f)
    options = []
    for name, f in fields.items():
        help_text = f"{f.metadata.get('help', '')} [{', '.join(owners[name])}]"
        if "bool" in str(f.type):
            opt = click.Option([_flag(name)], is_flag=True, default=None, help=help_text)
        else:
            choices = f.metadata.get("choices")
            opt = click.Option([_flag(name)], type=_click_type(f.type), default=None, help=help_text,
                               metavar=_choices(choices) if choices else None)
        options.append((name, opt))
    return options


def _labeller_options() -> list[tuple[str, click.Option]]:
    """(parameter name, option) for every parameter of every registered labeller, in order."""
    return options_from_dataclasses((name, get_labeller(name).Params) for name in LABELLERS)


def _reader_options() -> list[tuple[str, click.Option]]:
    seen: dict[str, tuple] = {}
    for fmt, info in READERS.items():
        for oname, option in info.options.items():
            if oname in seen:
                seen[oname][1].append(fmt)
            else:
                seen[oname] = (option, [fmt])
    options = []
    for oname, (option, formats) in seen.items():
        help_text = f"{option.help} [{', '.join(formats)}]"
        if option.kind == "bool":
            opt = click.Option([_flag(oname)], is_flag=True, default=None, help=help_text)
        elif isinstance(option.kind, tuple):
            opt = click.Option([_flag(oname)], default=None, help=help_text, metavar=_choices(option.kind))
        else:
            opt = click.Option([_flag(oname)], type=_TYPES.get(option.kind, str), default=None, help=help_text)
        options.append((oname, opt))
    return options


def _listing() -> str:
    lines = ["\b", "Formats (DATASET is):"]
    lines += [f"  {name:<9} {info.takes:<15} {info.summary}" for name, info in READERS.items()]
    lines += ["\b", "Labellers:"]
    lines += [f"  {name:<9} {get_labeller(name).summary}" for name in LABELLERS]
    lines += ["\b", "Presets:"]
    lines += [f"  {name:<9} {PRESET_SUMMARIES.get(name, ', '.join(f'{k}={v}' for k, v in spec.items()))}"
              for name, spec in PRESETS.items()]
    lines += ["\b", "Examples:",
              "  fovlabel annotate sample_data/msls --format msls --preset msls --out labels/city",
              "  fovlabel annotate poses/06.txt --format kitti --labeller strong2d --fov-deg intrinsics \\",
              "      --fx 707.09 --width 1226 --radius-m 30 --mode within --out labels/kitti06",
              "  fovlabel annotate sample_data/rgbd_room/frames.csv --format csv --pose cam_to_world \\",
              "      --labeller cloud3d --voxel-m 0.05 --mode within --out labels/room"]
    return "\n\n".join(["\n".join(lines[i:j]) for i, j in _blocks(lines)])


def _blocks(lines):
    starts = [i for i, line in enumerate(lines) if line == "\b"] + [len(lines)]
    return zip(starts[:-1], starts[1:])


def print_summary(summary) -> None:
    for line in summary.lines():
        click.echo(line)


def progress_reporter(quiet: bool = False):
    """The run's progress on stderr: a line redrawn in place on a terminal, a line per phase (and
    at most one every 5 s while it runs) in logs and pipes, nothing with ``--quiet``."""
    from ..progress import Progress

    return Progress("quiet" if quiet else "auto", stream=sys.stderr)


QUIET = click.Option(["--quiet", "-q"], is_flag=True,
                     help="No progress on stderr (the summary is still printed).")


def build_annotate() -> click.Command:
    """The command as the registries stand now (a labeller or reader registered before the command
    line runs gets its flags and its line in the help)."""
    labeller_options = _labeller_options()
    reader_options = _reader_options()
    reader_names = {n for n, _ in reader_options}
    clash = {n for n, _ in labeller_options} & (reader_names | set(RunSettings.__dataclass_fields__))
    if clash:  # a registry bug: refuse to build a command where a flag means two things
        raise RuntimeError(f"a flag would mean two things: {', '.join(sorted(clash))}")

    def callback(dataset, format_, labeller, preset, jobs, scheduler, out, overwrite, plots, quiet, **values):
        from ..api import annotate as run_annotate

        options = {k: v for k, v in values.items() if k in reader_names and v is not None}
        params = {k: v for k, v in values.items() if k not in reader_names and v is not None}
        summary = run_annotate(dataset, format_, labeller=labeller, preset=preset, out=out,
                               overwrite=overwrite, jobs=jobs, reader_options=options,
                               progress=progress_reporter(quiet), plots=plots, scheduler=scheduler, **params)
        print_summary(summary)

    return click.Command(
        "annotate",
        callback=callback,
        help="Label every candidate image pair of DATASET and write a label set (Parquet) to --out.",
        short_help="Label every candidate image pair of a dataset; write Parquet.",
        epilog=_listing(),
        params=_annotate_params(labeller_options, reader_options),
        context_settings={"max_content_width": 110},
    )


def _annotate_params(labeller_options, reader_options):
    # --format, --labeller and --preset are checked by the library, whose one-line errors list
    # the registered names; the help lists them too.
    return [
        click.Argument(["dataset"], type=click.Path(exists=True)),
        click.Option(["--format", "format_"], required=True, metavar="FORMAT",
                     help="Dataset format (see Formats below)."),
        click.Option(["--labeller"], default=None, metavar="NAME",
                     help="Labeller (see Labellers below; default weak2d, or the preset's)."),
        click.Option(["--preset"], default=None, metavar="NAME",
                     help="Named defaults (see Presets below); flags override them."),
        click.Option(["--mode"], default=None, metavar=_choices(MODES), help=RunSettings.HELP["mode"]),
        click.Option(["--positive"], type=float, default=None, help=RunSettings.HELP["positive"]),
        click.Option(["--keep-zero"], is_flag=True, default=None, help=RunSettings.HELP["keep_zero"]),
        click.Option(["--chunk-frames"], type=int, default=None, help=RunSettings.HELP["chunk_frames"]),
        *(opt for _, opt in labeller_options),
        *(opt for _, opt in reader_options),
        click.Option(["--jobs"], type=int, default=1, show_default=True,
                     help="Parallel workers: processes for the chunks; threads for cloud3d's depth decoding."),
        click.Option(["--scheduler"], default=None, metavar="local|dask-local:N|tcp://HOST:PORT",
                     help="Where the chunks run: here (default), a local Dask cluster of N workers, or a "
                          "running dask scheduler whose workers see the same files. The output is the same."),
        click.Option(["--out"], required=True, type=click.Path(), help="Output label-set directory."),
        click.Option(["--overwrite"], is_flag=True,
                     help="Replace an existing fovlabel label set at --out (never anything else)."),
        click.Option(["--plots"], is_flag=True,
                     help="Also draw the histogram and three example pairs into OUT/plots/ (matplotlib)."),
        QUIET,
    ]
