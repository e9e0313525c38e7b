"""Path rules, in one place: what fovlabel may write, and which dataset files it may read.

**Writing.** Every file that an exporter, ``classes``, ``correspondences`` or ``plot`` writes is
named through :func:`inside`, which refuses a name that leaves the output's folder after
resolution (an absolute name, ``..`` that climbs out, a symbolic link that leads out), whatever
built the name. Names made from data (groups, cities, keys, image names) pass through
:func:`safe_name` first, the one rule for them:

- every ``/``, ``\\``, NUL and other control character becomes ``_``;
- a leading ``.`` becomes ``_`` (so ``..`` is ``_.`` and no name is hidden or climbs);
- an empty name becomes ``_``.

Every other character is kept, so the names of real datasets (``munich_4s``, ``scene0000_00``,
``seq-01``) are unchanged.

**Outputs stay apart.** :func:`enclosing_output` names the fovlabel output (label set, export,
correspondence set) that a path lies in; nothing is written into one except by the command that
owns it.

**Reading.** A frame's ``image_path`` and ``depth_path`` are relative to the dataset root (the
images folder the reader recorded, for ``image_path``) and must stay under it; ``source_file``
likewise. :func:`escaping` finds the paths that do not (absolute, or climbing out with ``..``);
this is a rule on the names, so a symbolic link *inside* a dataset (an ``images`` folder that links
to another disk) is the dataset's own choice and is followed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

import numpy as np

from ..errors import OutputError

_UNSAFE = re.compile(r"[/\\\x00-\x1f\x7f]")


def safe_name(text) -> str:
    """``text`` as one file-name component, by the module's rule (no separator, no leading dot)."""
    name = _UNSAFE.sub("_", str(text))
    if name.startswith("."):
        name = "_" + name[1:]
    return name or "_"


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def inside(folder, name, *, link: bool = False) -> Path:
    """``folder / name``, or an OutputError when that leaves ``folder`` once resolved (an absolute
    name, a ``..`` that climbs out, a symbolic link on the way that leads out). ``link``: the
    name is a symbolic link fovlabel makes (to a dataset file): its folder must be inside, the
    link itself is not followed."""
    folder = Path(folder)
    text = os.fspath(name)
    if "\x00" in text:
        raise OutputError(f"{folder}: refusing to write {text!r}: the name holds a NUL character")
    relative = PurePosixPath(text.replace("\\", "/"))
    if not text or relative.is_absolute() or Path(text).is_absolute() or relative.name in ("", ".", ".."):
        raise OutputError(f"{folder}: refusing to write {text!r}: not a name relative to the output's folder")
    target = folder / text
    base = folder.resolve()
    where = target.parent.resolve() / target.name if link else target.resolve()
    if not _within(where, base) or where == base:
        raise OutputError(f"{target}: refusing to write there: it leads outside {folder} "
                          "(fovlabel writes only inside its output's folder)")
    return target


#: the folder of a label set that holds its pictures (annotate --plots), and nothing else
PLOTS_DIR = "plots"

#: what makes a folder a fovlabel output, by the files it holds: (kind, files it must hold)
_OUTPUT_MARKS = (
    ("label set", ("pairs.parquet",)),  # and its frames table (io.layout), which may be in a subfolder
    ("export", ("fovlabel-export.json",)),
    ("correspondence set", ("correspondences.parquet",)),
)


def _output_kind(folder: Path) -> str | None:
    """The kind of fovlabel output ``folder`` is, or None (Parquet files must carry fovlabel's
    metadata: a user's folder that happens to hold the names is not one)."""
    for kind, files in _OUTPUT_MARKS:
        if all((folder / f).is_file() for f in files):
            if files[0].endswith(".parquet"):
                try:
                    import pyarrow.parquet as pq

                    if b"fovlabel" not in (pq.read_schema(folder / files[0]).metadata or {}):
                        continue
                except Exception:  # noqa: BLE001 (unreadable: not ours)
                    continue
            return kind
    return None


def enclosing_output(path, *, include_self: bool = False) -> tuple[str, Path] | None:
    """(kind, folder) of the fovlabel output that ``path`` lies inside (its folder or any above
    it; ``include_self``: ``path`` itself too), or None."""
    path = Path(path).resolve()
    candidates = ([path] if include_self else []) + list(path.parents)
    for folder in candidates:
        if folder.is_dir():
            kind = _output_kind(folder)
            if kind is not None:
                return kind, folder
    return None


def refuse_inside_output(path, what: str, *, include_self: bool = False, owner=None) -> None:
    """OutputError when ``path`` lies inside a fovlabel output (other than ``owner``, the one that
    may hold it: a label set's own plots)."""
    found = enclosing_output(path, include_self=include_self)
    if found is None:
        return
    kind, folder = found
    if owner is not None and Path(owner).resolve() == folder:
        return
    if kind == "label set" and Path(path).resolve().parent == folder / PLOTS_DIR and str(path).endswith(".png"):
        return  # a label set's plots/ holds fovlabel's pictures of it (annotate --plots)
    where = "is" if Path(path).resolve() == folder else "is inside"
    raise OutputError(f"{path}: refusing to write {what} there: it {where} the fovlabel {kind} {folder}, "
                      f"which holds only its own files; choose a folder outside it")


# -- reading -----------------------------------------------------------------------------------

def escaping(values) -> np.ndarray:
    """Mask of the relative paths in ``values`` (str or None) that leave their root: absolute
    ones, and those whose ``..`` climb above it (POSIX paths: a backslash is a character).
    One pass over all the text finds whether any path may (a ``..``, or a leading ``/``); only
    then is each looked at (a check a path is slow on millions of them)."""
    values = np.asarray(values, dtype=object)
    texts = [v for v in values.tolist() if isinstance(v, str)]
    joined = "\n".join(texts)
    if ".." not in joined and not joined.startswith("/") and "\n/" not in joined:
        return np.zeros(len(values), bool)
    return np.fromiter((isinstance(v, str) and _leaves(v) for v in values.tolist()), bool, len(values))


def _leaves(text: str) -> bool:
    if text.startswith("/"):
        return True
    depth = 0
    for part in text.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


#: the frame columns that name dataset files, and what each is relative to
PATH_COLUMNS = {"source_file": "the dataset root", "image_path": "the images folder",
                "depth_path": "the dataset root"}


def first_escaping(frames) -> tuple[str, int, str] | None:
    """(column, row index, value) of the first frame path that leaves its root, or None."""
    for column in PATH_COLUMNS:
        if column not in frames.columns:
            continue
        bad = escaping(frames[column].to_numpy(dtype=object))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            return column, i, frames[column].iloc[i]
    return None


def sources_record(root, names) -> dict:
    """What the dataset's source files were when labelled: their number and a sha256 of each
    name with its size (cheap: one stat a file), so that a moved or changed dataset is noticed
    before its paths are trusted (:func:`check_dataset_root`)."""
    import hashlib

    root = Path(root)
    lines = []
    for name in sorted({str(n) for n in names if n is not None}):
        try:
            size = (root / name).stat().st_size
        except OSError:
            size = -1
        lines.append(f"{name}\t{size}\n")
    return {"files": len(lines), "sha256": hashlib.sha256("".join(lines).encode()).hexdigest()}


def check_dataset_root(root: Path, names, recorded: dict | None, *, given: bool, where) -> Path:
    """``root`` when it holds the dataset a label set was made from, else a LabelSetError that
    says so and names ``--root``: every source file must be there, and (for the recorded root, not
    one the user gave) their sizes as when labelled (``recorded``: :func:`sources_record`)."""
    from ..errors import LabelSetError

    fix = "pass --root (root= in Python) with the dataset's folder"
    if not root.is_dir():
        raise LabelSetError(f"{where}: the dataset root {root} {'is not a folder' if root.exists() else 'no longer exists'}"
                            f" (was the dataset moved?); {fix}")
    names = sorted({str(n) for n in names if n is not None})
    missing = [n for n in names if not (root / n).exists()]  # a file, or a folder (vpr-folders' image folders)
    if missing:
        raise LabelSetError(f"{where}: {root} does not hold the labelled dataset: {missing[0]} is missing "
                            f"({len(missing)} of {len(names)} source file(s)); {fix}")
    if not given and recorded and sources_record(root, names) != recorded:
        raise LabelSetError(f"{where}: the dataset at {root} differs from the one labelled (its source files "
                            f"changed size since); relabel it, or {fix} to use it as it is")
    return root
