"""Exporters, registered by name: a label set written in a trainer's own input format.

The protocol is :class:`fovlabel.exporters.base.Exporter`. Built-in exporters are imported on
first use; others join with :func:`register_exporter`. :func:`export` writes one through the
output rules of :mod:`fovlabel.io.output` (atomic, locked, never over anything but a previous
fovlabel export).
"""

from __future__ import annotations

import json
from pathlib import Path

from .._registry import lookup, register
from ..errors import ConfigError
from .base import EXPORT, MANIFEST, PARTIAL_MARK, Exporter, ExportInput, ExportOptions

#: name -> "module:Class" (imported on first use) or a registered instance
EXPORTERS: dict = {
    "hloc": "fovlabel.exporters.hloc:Hloc",
    "classes": "fovlabel.exporters.classes:Classes",
    "gcl-pairs": "fovlabel.exporters.gcl_pairs:GclPairs",
    "gcl-msls": "fovlabel.exporters.gcl_msls:GclMsls",
    "d2net": "fovlabel.exporters.d2net:D2Net",
    "glue-factory": "fovlabel.exporters.d2net:GlueFactory",
    "loftr-megadepth": "fovlabel.exporters.loftr:LoftrMegadepth",
    "loftr-scannet": "fovlabel.exporters.loftr:LoftrScannet",
    "vpr-folders": "fovlabel.exporters.vpr_folders:VprFolders",
    "vpr-eval": "fovlabel.exporters.vpr_eval:VprEval",
    "gsv-cities": "fovlabel.exporters.gsv_cities:GsvCities",
}

__all__ = ["EXPORTERS", "Exporter", "ExportInput", "ExportOptions", "export", "get_exporter", "register_exporter"]


def register_exporter(exporter, *, replace: bool = False) -> Exporter:
    """Add an exporter (an :class:`Exporter` subclass or instance) under its ``name``."""
    return register(EXPORTERS, Exporter, exporter, "an exporter", replace=replace)


def get_exporter(name: str) -> Exporter:
    """The registered exporter called ``name``."""
    return lookup(EXPORTERS, name, "export format")


def make_options(exporter: Exporter, options: dict):
    """The exporter's Options from flat keyword arguments; one it does not take is refused."""
    given = {k: v for k, v in options.items() if v is not None}
    takes = set(exporter.Options.names())
    foreign = sorted(set(given) - takes)
    if foreign:
        raise ConfigError(f"{exporter.name} does not take {', '.join(foreign)}; it takes: "
                          f"{', '.join(sorted(takes)) or 'no options'}")
    return exporter.Options(**given)


def load_input(labels, root=None) -> ExportInput:
    """A label set, read and checked, as exporters see it (``root``: the dataset's folder where it
    has moved)."""
    from ..io.reading import read_label_frames, read_pairs

    pairs = read_pairs(labels)
    folder = Path(labels)
    return ExportInput(folder if folder.is_dir() else folder.parent, pairs.attrs["fovlabel"],
                       read_label_frames(labels), pairs, None if root is None else Path(root))


def export(labels, to: str, out=None, *, overwrite: bool = False, into=None, root=None, progress=None,
           **options) -> Path:
    """Write the label set ``labels`` in the format ``to`` into the folder ``out``; returns it.

    ``options``: the exporter's own (``get_exporter(to).Options``). The folder holds the format's
    files and ``fovlabel-export.json`` (exporter, options, the label set's id, every file).
    ``into``: instead of ``out``, lay the files into an existing folder (the dataset root, where a
    trainer looks for them): only new files are added, and an existing one is never replaced.
    ``root``: the dataset's folder where it has moved since it was labelled (paths in the export
    start there; without it, the recorded folder must still hold the dataset).
    ``progress``: a :class:`fovlabel.progress.Progress` (reading, exporting); default silent.
    """
    from .._args import check_args
    from ..progress import Progress

    check_args(labels=(labels, "path"), to=(to, str), out=(out, "path?"), overwrite=(overwrite, bool),
               into=(into, "path?"), root=(root, "path?"))
    reporter = progress if progress is not None else Progress("quiet")
    with reporter.active():
        return _export(labels, to, out, overwrite, into, root, options)


def _export(labels, to, out, overwrite, into, root, options) -> Path:
    from .. import __version__
    from ..io.output import OutputTarget
    from ..progress import phase

    exporter = get_exporter(to)
    opts = make_options(exporter, options)
    with phase("reading labels", unit="pair") as step:
        data = load_input(labels, root)
        step.advance(len(data.pairs))
    exporter.check(data, opts)
    if (out is None) == (into is None):
        raise ConfigError("give exactly one of out (a new export folder) and into (an existing folder)")
    if into is not None:
        return _export_into(exporter, data, opts, Path(into), labels)
    dataset = Path(data.meta["input"]["path"])
    inputs = [data.folder] + ([dataset] if dataset.is_absolute() and dataset.exists() else [])
    data.destination = Path(out)
    with OutputTarget(out, EXPORT, overwrite=overwrite, inputs=inputs, sealed=[data.folder]) as target:
        target.clear_partial()
        partial = target.make_partial()
        (partial / PARTIAL_MARK).write_text("")
        try:
            with phase(f"writing {exporter.name}", unit="file") as step:
                files = _written(partial, exporter.write(partial, data, opts))
                step.advance(len(files))
        except BaseException:  # nothing valid was written: leave no partial folder (it is ours, marked)
            target.clear_partial()
            raise
        manifest = {"exporter": exporter.name, "options": opts.to_dict(), "fovlabel_version": __version__,
                    "label_set": str(Path(labels).resolve()), "label_set_id": data.meta.get("label_set_id"),
                    "files": files, **({"conventions": exporter.conventions} if exporter.conventions else {}),
                    **({"notes": data.notes} if data.notes else {})}
        tmp = partial / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
        tmp.replace(partial / MANIFEST)
        return target.commit(lambda p: (p / PARTIAL_MARK).unlink(missing_ok=True))


def _written(folder: Path, files) -> list[str]:
    """The exporter's list of files, sorted, each checked to lie inside ``folder`` (io.paths)."""
    from ..io.paths import inside

    import os

    files = sorted(str(f) for f in files)
    for name in files:
        inside(folder, name, link=os.path.islink(folder / name))
    return files


STAGING_PREFIX = ".fovlabel-into-"
#: inside a staging folder: marks it fovlabel's, and is held (flock) by the run writing it
STAGING_LOCK = ".fovlabel-staging.lock"


def _remove_dead_staging(into: Path) -> None:
    """Remove the staging folders that killed ``--into`` runs left in ``into``: only those that
    carry fovlabel's lock file and whose run is gone (its lock is free); never anything else."""
    import fcntl
    import os
    import shutil

    for staging in into.glob(STAGING_PREFIX + "*"):
        lock = staging / STAGING_LOCK
        if staging.is_symlink() or not staging.is_dir() or not lock.is_file():
            continue
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a run is writing it now
        finally:
            os.close(fd)
        shutil.rmtree(staging, ignore_errors=True)


def _export_into(exporter, data, opts, into: Path, labels) -> Path:
    """Write into a staging folder inside ``into``, then link each file into place: every
    destination is checked free first, and a link never replaces a file that appeared since.
    A failure while linking removes the links this run made; a killed run's staging folder is
    removed by the next run into the same folder."""
    import fcntl
    import os
    import tempfile

    from ..io.paths import inside, refuse_inside_output
    from ..progress import phase

    if not into.is_dir():
        raise ConfigError(f"{into}: --into needs an existing folder (the dataset root)")
    refuse_inside_output(into, f"{exporter.name} files", include_self=True)
    exporter.check_into(data, into)
    _remove_dead_staging(into)
    data.destination = into
    planned = exporter.files(data)
    if planned is not None:
        taken = [p for p in planned if inside(into, p).exists()]
        if taken:
            raise ConfigError(f"{into / taken[0]}: exists; --into adds only new files and never replaces "
                              f"one ({len(taken)} of {len(planned)} exist)")
    with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX, dir=into) as staging:
        staging = Path(staging)
        # locked before it has its name: another run never finds it unlocked while we work
        lock = os.open(staging / (STAGING_LOCK + ".tmp"), os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.rename(staging / (STAGING_LOCK + ".tmp"), staging / STAGING_LOCK)
        try:
            with phase(f"writing {exporter.name}", unit="file") as step:
                files = _written(staging, exporter.write(staging, data, opts))
                step.advance(len(files))
            targets = [inside(into, name, link=os.path.islink(staging / name)) for name in files]
            taken = [t for t in targets if os.path.lexists(t)]
            if taken:
                raise ConfigError(f"{taken[0]}: exists; --into adds only new files and never replaces one")
            _link_all(staging, files, targets)
        finally:
            os.close(lock)
    return into


def _link_all(staging: Path, files, targets) -> None:
    """Hard-link each staged file to its target (a link never replaces: it fails if the name
    appeared meanwhile; a staged symbolic link is linked itself, not followed); on any failure,
    remove the links made so far."""
    import os

    def same(a, b) -> bool:
        sa, sb = os.lstat(a), os.lstat(b)
        return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)

    made = []
    try:
        for name, target in zip(files, targets):
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(staging / name, target, follow_symlinks=False)
            except FileExistsError:
                raise ConfigError(f"{target}: exists; --into adds only new files and never replaces one") from None
            made.append((staging / name, target))
    except BaseException:
        for source, target in made:  # only our own links: the same file as the staged one
            try:
                if same(source, target):
                    target.unlink()
            except OSError:
                pass
        raise
