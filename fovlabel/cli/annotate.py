"""``fovlabel annotate``: label a dataset and write a label set.

The options are generated from the declarations (fovlabel.params, cli.options): the run settings'
from :class:`RunSettings`, one flag per parameter of every registered labeller (its ``Params``) and
one per option of every registered reader (its ``Options``); the help lists every format, labeller
and preset. A flag of another labeller than the chosen one is refused by the library ("cloud3d does
not take measure").
"""

from __future__ import annotations

import click

from ..config import MODES, PRESET_SUMMARIES, PRESETS, RunSettings
from ..execution import Execution
from ..labellers import LABELLERS, get_labeller
from ..readers import READERS, get_reader
from .options import QUIET, choices_metavar, once, options_from_params, print_summary, progress_reporter

_MODES = choices_metavar(MODES)


def _labeller_options() -> list[tuple[str, click.Option]]:
    """(parameter name, option) for every parameter of every registered labeller, in order."""
    return options_from_params((name, get_labeller(name).Params) for name in LABELLERS)


def _reader_options() -> list[tuple[str, click.Option]]:
    """(option name, option) for every option of every registered reader, marked with its formats."""
    return options_from_params((name, get_reader(name).Options) for name in READERS)


def _listing() -> str:
    lines = ["\b", "Formats (DATASET is):"]
    lines += [f"  {name:<9} {get_reader(name).takes:<15} {get_reader(name).summary}" for name in READERS]
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


def build_annotate() -> click.Command:
    """The command as the registries stand now (a labeller or reader registered before the command
    line runs gets its flags and its line in the help)."""
    labeller_options = _labeller_options()
    reader_options = _reader_options()
    reader_names = {n for n, _ in reader_options}
    clash = {n for n, _ in labeller_options} & (reader_names | set(RunSettings.names()))
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
    run = dict(options_from_params([("run", RunSettings)], metavars={"labeller": "NAME", "mode": _MODES}))
    own = ", ".join(f"{name} {get_labeller(name).chunk_frames:,}" for name in LABELLERS)
    run["chunk_frames"].help = ("Anchor frames per work unit (memory and parallelism; not the result). "
                                f"[default: the labeller's own: {own}]")
    return [
        click.Argument(["dataset"], type=click.Path(exists=True)),
        click.Option(["--format", "format_"], required=True, metavar="FORMAT", multiple=True, callback=once,
                     help="Dataset format (see Formats below)."),
        click.Option(["--labeller"], metavar="NAME", multiple=True, callback=once,
                     help=run.pop("labeller").help),
        click.Option(["--preset"], metavar="NAME", multiple=True, callback=once,
                     help="Named defaults (see Presets below); flags override them."),
        *run.values(),
        *(opt for _, opt in labeller_options),
        *(opt for _, opt in reader_options),
        *dict(options_from_params([("execution", Execution)], defaults=True,
                                  metavars={"scheduler": "local|dask-local:N|tcp://HOST:PORT"})).values(),
        click.Option(["--out"], required=True, type=click.Path(), help="Output label-set directory."),
        click.Option(["--overwrite"], is_flag=True,
                     help="Replace an existing fovlabel label set at --out (never anything else)."),
        click.Option(["--plots"], is_flag=True,
                     help="Also draw the histogram and three example pairs into OUT/plots/ (matplotlib)."),
        QUIET,
    ]
