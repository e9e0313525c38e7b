"""Exporters, registered by name: a label set written in a trainer's own input format.

The protocol is :class:`fovlabel.exporters.base.Exporter`. Built-in exporters are imported on
first use; others join with :func:`register_exporter`. :func:`export` writes one through the
output rules of :mod:`fovlabel.io.output` (atomic, locked, never over anything but a previous
fovlabel export).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from ..errors import ConfigError, UnknownFormatError
from .base import EXPORT, MANIFEST, PARTIAL_MARK, Exporter, ExportInput, ExportOptions

#: name -> "module:Class" (imported on first use) or a registered instance
EXPORTERS: dict = {
    "hloc": "fovlabel.exporters.hloc:Hloc",
    "gcl-pairs": "fovlabel.exporters.gcl:GclPairs",
}

__all__ = ["EXPORTERS", "Exporter", "ExportInput", "ExportOptions", "export", "get_exporter", "register_exporter"]


def register_exporter(exporter, *, replace: bool = False) -> Exporter:
    instance = exporter() if isinstance(exporter, type) else exporter
    if not isinstance(instance, Exporter):
        raise ConfigError(f"an exporter must be a fovlabel.exporters.Exporter; got {type(instance).__name__}")
    if instance.name in EXPORTERS and not replace:
        raise ConfigError(f"an exporter named {instance.name!r} is already registered (pass replace=True)")
    EXPORTERS[instance.name] = instance
    return instance


def get_exporter(name: str) -> Exporter:
    if name not in EXPORTERS:
        raise UnknownFormatError(f"unknown export format {name!r}; known: {', '.join(sorted(EXPORTERS))}")
    entry = EXPORTERS[name]
    if isinstance(entry, str):
        module, cls = entry.split(":")
        entry = EXPORTERS[name] = getattr(importlib.import_module(module), cls)()
    return entry


def make_options(exporter: Exporter, options: dict):
    """The exporter's Options from flat keyword arguments; one it does not take is refused."""
    given = {k: v for k, v in options.items() if v is not None}
    takes = set(exporter.Options.names())
    foreign = sorted(set(given) - takes)
    if foreign:
        raise ConfigError(f"{exporter.name} does not take {', '.join(foreign)}; it takes: "
                          f"{', '.join(sorted(takes)) or 'no options'}")
    return exporter.Options(**given)


def load_input(labels) -> ExportInput:
    """A label set, read and checked, as exporters see it."""
    from ..io.labelset import read_label_frames, read_pairs

    pairs = read_pairs(labels)
    folder = Path(labels)
    return ExportInput(folder if folder.is_dir() else folder.parent, pairs.attrs["fovlabel"],
                       read_label_frames(labels), pairs)


def export(labels, to: str, out, *, overwrite: bool = False, **options) -> Path:
    """Write the label set ``labels`` in the format ``to`` into the folder ``out``; returns ``out``.

    ``options``: the exporter's own (``get_exporter(to).Options``). The folder holds the format's
    files and ``fovlabel-export.json`` (exporter, options, the label set's id, every file).
    """
    from .. import __version__
    from ..io.output import OutputTarget

    exporter = get_exporter(to)
    opts = make_options(exporter, options)
    data = load_input(labels)
    exporter.check(data, opts)
    dataset = Path(data.meta["input"]["path"])
    inputs = [data.folder] + ([dataset] if dataset.is_absolute() and dataset.exists() else [])
    with OutputTarget(out, EXPORT, overwrite=overwrite, inputs=inputs, sealed=[data.folder]) as target:
        target.clear_partial()
        partial = target.make_partial()
        (partial / PARTIAL_MARK).write_text("")
        files = sorted(exporter.write(partial, data, opts))
        manifest = {"exporter": exporter.name, "options": opts.to_dict(), "fovlabel_version": __version__,
                    "label_set": str(Path(labels).resolve()), "label_set_id": data.meta.get("label_set_id"),
                    "files": files}
        tmp = partial / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
        tmp.replace(partial / MANIFEST)
        return target.commit(lambda p: (p / PARTIAL_MARK).unlink(missing_ok=True))
