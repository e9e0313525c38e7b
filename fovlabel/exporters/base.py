"""The exporter protocol: a label set written in a trainer's own input format.

An exporter is a small typed unit, like a labeller (:mod:`fovlabel.labellers.base`):

- ``name`` (what ``--to`` calls it) and ``summary``, one line for ``--help``;
- ``Options``: its own frozen dataclass of options (``param(default, help)`` fields), type-checked
  and validated on creation; an option it does not take is refused;
- ``check(labels, options)``: refuse a label set it cannot serve, in one line saying what it
  needs ("gcl-pairs needs a within-mode label set ...");
- ``write(folder, labels, options) -> list[str]``: write the files (paths relative to ``folder``)
  from the :class:`ExportInput`, and return their names.

Every export is written through :class:`fovlabel.io.output.OutputTarget` (kind
:data:`EXPORT`): atomically, under the lock, never over anything that is not a previous fovlabel
export. A finished export holds ``fovlabel-export.json``, naming the exporter, the label set it
came from (its ``label_set_id``), the options and every file written.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from ..params import Params, param  # noqa: F401  (param: for exporters' Options)

MANIFEST = "fovlabel-export.json"
#: written first into a partial export folder: it says the folder is fovlabel's to remove
PARTIAL_MARK = ".fovlabel-partial"


@dataclass(frozen=True)
class ExportOptions(Params):
    """Base of an exporter's options (fovlabel.params: type-checked and validated on creation)."""


@dataclass
class ExportInput:
    """What an exporter reads: the label set's metadata, its frames and pairs tables, its folder,
    and ``root``, the dataset's folder where it has moved (None: the recorded one)."""

    folder: Path
    meta: dict
    frames: pd.DataFrame
    pairs: pd.DataFrame
    root: Path | None = None
    #: where the export's files finally are (the --out folder, or the --into one): relative links
    #: are made relative to it
    destination: Path | None = None
    #: what the exporter wants the user to know (recorded in the manifest, printed by the CLI)
    notes: list = dataclasses.field(default_factory=list)

    @property
    def metadata(self):
        """The metadata as the typed object (io.metadata.LabelSetMetadata: ``.modes``,
        ``.positive``, ``.symmetric``, ``.labeller_params``)."""
        from ..io.metadata import LabelSetMetadata

        return LabelSetMetadata.from_dict(self.meta)

    @cached_property
    def dataset_root(self) -> Path:
        """The dataset's folder, checked to hold the labelled dataset (never a guess)."""
        from ..io.reading import dataset_root_of

        return dataset_root_of(self.meta, self.root, self.frames["source_file"].unique(), self.folder)

    @property
    def image_root(self) -> Path:
        """The folder ``image_path`` starts from (the dataset root, or the images folder under it)."""
        return self.dataset_root / self.meta["input"].get("image_root", ".")

    @property
    def im_prefix(self) -> str:
        """The dataset root, absolute, ending in "/" (GCL joins it by string concatenation)."""
        return str(self.dataset_root.resolve()).rstrip("/") + "/"


def h5py_module():
    """h5py, or a ConfigError saying which extra installs it (the GCL and MegaDepth exports)."""
    from ..errors import ConfigError

    try:
        import h5py
    except ImportError as exc:
        raise ConfigError(f"this export writes HDF5 with h5py ({exc}): pip install 'fovlabel[h5]'") from None
    return h5py


def local_index(n: int, ids) -> np.ndarray:
    """Each of ``n`` frame ids' position in ``ids`` (-1: not there): the remap from frame ids to
    a scene's or city's own rows."""
    local = np.full(n, -1, np.int64)
    local[np.asarray(ids, np.int64)] = np.arange(len(ids))
    return local


def image_names(frames) -> np.ndarray:
    """Each frame's name for a list of images: image_path where known, else key."""
    return np.where(frames["image_path"].notna().to_numpy(), frames["image_path"].to_numpy(dtype=object),
                    frames["key"].to_numpy(dtype=object))


def require_mode(labels: ExportInput, mode: str, needs: str) -> None:
    """ConfigError "<needs>; group 'g' is in <m> mode" for the first group not in ``mode``."""
    from ..errors import ConfigError

    modes = labels.metadata.modes
    other = sorted(g for g, m in modes.items() if m != mode)
    if other:
        raise ConfigError(f"{needs}; group {other[0]!r} is in {modes[other[0]]} mode")


def link_into(folder: Path, name: str, target: Path, destination: Path) -> str:
    """A relative symbolic link ``folder/name`` -> ``target`` (a dataset file), relative to where
    it will finally be (``destination/name``: the export after its commit), so that an export
    moves with its dataset. Returns ``name``."""
    import os

    from ..io.paths import inside

    link = inside(folder, name, link=True)
    link.parent.mkdir(parents=True, exist_ok=True)
    final_dir = (destination.resolve() / name).parent
    link.symlink_to(os.path.relpath(target.resolve(), final_dir))
    return name


class Exporter:
    """Base class of every exporter (see the module docstring)."""

    name: ClassVar[str]
    summary: ClassVar[str] = ""
    Options: ClassVar[type[ExportOptions]] = ExportOptions
    #: what the consumer's conventions are in this format (recorded in the manifest)
    conventions: ClassVar[dict] = {}

    def check(self, labels: ExportInput, options) -> None:
        """Raise ConfigError when this label set cannot be exported to this format."""

    def files(self, labels: ExportInput) -> list[str] | None:
        """The files :meth:`write` will write, where known before writing (``--into`` checks them
        free first); None: not known ahead."""
        return None

    def check_into(self, labels: ExportInput, into: Path) -> None:
        """Raise ConfigError when ``--into`` this folder would put the files where the trainer does
        not look (the layout it expects is in the message)."""

    def write(self, folder: Path, labels: ExportInput, options) -> list[str]:
        raise NotImplementedError


def _manifest_problem(folder: Path) -> str | None:
    """None when ``folder`` is a finished fovlabel export holding only the files its manifest names."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return f"it has no {MANIFEST}"
    try:
        listed = set(json.loads(manifest.read_text())["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"its {MANIFEST} is not readable"
    for path in folder.rglob("*"):
        if path.is_file():
            name = path.relative_to(folder).as_posix()
            if name not in (MANIFEST, PARTIAL_MARK) and name not in listed:
                return f"it holds {name}, which fovlabel did not write"
    return None


def _export_kind():
    from ..io.output import OutputKind

    class ExportKind(OutputKind):
        def why_not_own(self, path: Path) -> str | None:
            reason = _manifest_problem(path)
            return None if reason is None else f"it is not a fovlabel export: {reason}"

        def why_not_partial(self, path: Path) -> str | None:
            if (path / PARTIAL_MARK).is_file() or _manifest_problem(path) is None:
                return None
            return f"it has no {PARTIAL_MARK}, so fovlabel did not make it"

    return ExportKind(name="export", files=frozenset({MANIFEST}),
                      check_file=lambda p: None if _manifest_problem(p.parent) is None else "is incomplete")


#: What an export on disk is, for the output rules of io.output.
EXPORT = _export_kind()
