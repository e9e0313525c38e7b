"""``fovlabel export``: a label set in a trainer's own input format. Options are generated from
the registered exporters' ``Options`` dataclasses, each marked with the formats that take it."""

from __future__ import annotations

import click


def build_export() -> click.Command:
    from ..exporters import EXPORTERS, get_exporter
    from .options import QUIET, options_from_params

    options = [opt for _, opt in options_from_params((name, get_exporter(name).Options) for name in EXPORTERS)]

    def callback(labels, to, out, into, root, overwrite, quiet, **values):
        from ..exporters import export
        from .options import progress_reporter

        path = export(labels, to, out, into=into, root=root, overwrite=overwrite, progress=progress_reporter(quiet),
                      **{k: v for k, v in values.items() if v is not None})
        manifest = path / "fovlabel-export.json"
        if manifest.is_file():
            import json

            for note in json.loads(manifest.read_text()).get("notes", []):
                click.echo(note)
        click.echo(f"written: {path} ({to})")

    listing = "\n".join(f"  {name:<10} {get_exporter(name).summary}" for name in EXPORTERS)
    epilog = ("\b\nFormats:\n" + listing + "\n\n\b\nExamples:\n"
              "  fovlabel export labels/kitti06 --to hloc --k 20 --out exports/kitti06_hloc\n"
              "  fovlabel export labels/stairs --to gcl-pairs --out exports/stairs_gcl\n"
              "  fovlabel export labels/msls --to gcl-msls --into /data/msls")
    return click.Command(
        "export", callback=callback, epilog=epilog,
        help="Write the label set LABELS in a trainer's input format (--to) into the folder --out.",
        short_help="Write a label set in a trainer's input format.",
        params=[
            click.Argument(["labels"], type=click.Path()),
            click.Option(["--to"], required=True, metavar="FORMAT", help="Export format (see Formats below)."),
            click.Option(["--out"], type=click.Path(), help="Output folder (new, or a previous export)."),
            click.Option(["--into"], type=click.Path(),
                         help="Lay the files into this existing folder (e.g. the MSLS root) instead; only "
                              "new files are added, none is replaced."),
            click.Option(["--root"], type=click.Path(exists=True, file_okay=False),
                         help="The dataset's folder, where it has moved since it was labelled."),
            click.Option(["--overwrite"], is_flag=True,
                         help="Replace a previous fovlabel export at --out (never anything else)."),
            *options,
            QUIET,
        ],
        context_settings={"max_content_width": 110},
    )
