"""``vpr-folders``: the @UTM image folders of the geo-localisation benchmarks (gmberton/datasets_vg).

Layout: ``<root>/images/<split>/database/`` and ``<root>/images/<split>/queries/`` (split
``train``, ``val``, ``test``, or any name); the path given may be the root, its ``images/``, or
one split folder (holding ``database/`` and ``queries/``). A folder's images are those listed in
``<folder>_images_paths.txt`` beside it (paths relative to the folder), else every ``.jpg``,
``.jpeg`` and ``.png`` below it. Each name carries the frame (io.utm_names):

- positions from fields 1 and 2 (UTM east, north, centimetres), the CRS from the zone and band
  (fields 3, 4); lat, lon from fields 5, 6;
- the compass heading from field 9 (whole degrees). Where it is empty (Pitts30k, Tokyo 24/7, MSLS
  as converted there: field 8 holds a panorama tile instead) the frame is flagged
  ``no heading``: weak 2D refuses it, saying so;
- role from the folder (``queries`` -> query), group from the split;
- key from field 7 (fovlabel's exports put the escaped frame key there) where it names each frame
  once in its group, else the image's path in its folder; time from field 13 where it is whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.utm_names import ESCAPES, FIELDS, utm_epsg
from . import _common as c
from .base import Reader

ROLES = {"queries": "query", "database": "database"}
EXTENSIONS = (".jpg", ".jpeg", ".png")


def split_folders(path: Path) -> list[Path]:
    """The split folders (holding database/ and queries/) of a root, its images/, or one split."""
    def is_split(folder: Path) -> bool:
        return all((folder / role).is_dir() for role in ROLES)

    if is_split(path):
        return [path]
    base = path / "images" if (path / "images").is_dir() else path
    splits = sorted(p for p in base.iterdir() if p.is_dir() and is_split(p))
    if not splits:
        raise InputError("not a vpr-folders dataset: no folder holds both database/ and queries/ "
                         "(expected <root>/images/<split>/{database,queries}/)", file=path)
    return splits


def _images(folder: Path) -> tuple[list[str], Path | None]:
    """(image paths relative to ``folder``, the paths file they came from or None)."""
    listing = folder.with_name(folder.name + "_images_paths.txt")
    if listing.is_file():
        return [line for line in listing.read_text().splitlines() if line.strip()], listing
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.suffix.lower() in EXTENSIONS and p.is_file())
    return names, None


def _read_folder(root: Path, folder: Path, role: str, group: str) -> pd.DataFrame:
    """One role folder's frames. The names are split and cast by Arrow (a Python loop over a
    million names is too slow: benchmarks/bench_vpr_folders.py); a name that breaks the format is then found and named."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names, listing = _images(folder)
    where = listing or folder
    source = where.relative_to(root).as_posix() if where.is_relative_to(root) else str(where)
    if not names:
        raise InputError(f"no images in {folder.name}/ (.jpg, .jpeg, .png)", file=folder)
    n = len(names)
    paths = pa.array(names, pa.string())
    parts = pc.split_pattern(pc.replace_substring_regex(paths, r"^.*/", ""), "@")
    # a split always has a first part: the name before its leading "@", which must be empty
    ok = pc.and_(pc.equal(pc.list_value_length(parts), len(FIELDS) + 2), pc.equal(pc.list_element(parts, 0), ""))
    ok = pc.fill_null(ok, False).to_numpy(zero_copy_only=False)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        _refuse(names, listing, folder, i, "name", "is not an @UTM name (@east@north@zone@letter@lat@lon@pano@tile"
                                                   "@heading@pitch@roll@height@timestamp@note@.jpg)")
    field = {name: pc.list_element(parts, k + 1) for k, name in enumerate(FIELDS)}

    def number(name: str, what: str, blank_ok: bool = False) -> np.ndarray:
        text = field[name]
        if blank_ok:
            text = pc.if_else(pc.equal(text, ""), pa.nulls(n, pa.string()), text)
        try:
            return pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:
            values = pd.to_numeric(pd.Series(text.to_pylist()), errors="coerce").to_numpy(np.float64)
            bad = ~np.isfinite(values) & (pd.Series(text.to_pylist()).notna().to_numpy())
            _refuse(names, listing, folder, int(np.flatnonzero(bad)[0]), name,
                    f"field {FIELDS.index(name) + 1} ({what}) is not a number")

    zones = sorted(set(pc.binary_join_element_wise(field["zone"], field["letter"], "").unique().to_pylist()))
    if len(zones) != 1:
        raise InputError(f"split {group!r} spans UTM zones {', '.join(zones)}: one metric frame a group is "
                         "needed; split the folder by zone", file=folder)
    east, north = number("utm_east", "UTM east"), number("utm_north", "UTM north")
    lat, lon = number("lat", "latitude"), number("lon", "longitude")
    heading = number("heading", "heading", blank_ok=True)
    keys = field["pano_id"]
    if pc.any(pc.match_substring(keys, "%")).as_py():
        for char, code in reversed(ESCAPES):  # io.utm_names.unescape_key, on the whole column
            keys = pc.replace_substring(keys, code, char)
    keys = keys.to_numpy(zero_copy_only=False).astype(object)
    if (keys == "").any() or len(pd.unique(keys)) != n:
        keys = np.array([str(Path(name).with_suffix("")) for name in names], dtype=object)
    stamps = pc.strptime(field["timestamp"], format="%Y%m%d_%H%M%S", unit="s", error_is_null=True)
    seconds = pc.cast(stamps, pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64)
    prefix = folder.relative_to(root).as_posix() + "/" if folder.is_relative_to(root) and folder != root else ""
    image_path = pc.binary_join_element_wise(pa.scalar(prefix), paths, "").to_numpy(zero_copy_only=False)
    no_heading = ~np.isfinite(heading)
    frames = pd.DataFrame({
        "key": pd.Series(keys, dtype=object),
        "group": pd.Series(np.full(n, group, dtype=object), dtype=object),
        "role": pd.Series(np.full(n, role, dtype=object), dtype=object),
        "x_m": east, "y_m": north, "lat": lat, "lon": lon,
        "heading_deg": np.mod(heading, 360.0),
        "image_path": pd.Series(image_path.astype(object), dtype=object),
        "timestamp_s": seconds,
        "source_file": pd.Series(np.full(n, source, dtype=object), dtype=object),
        "source_row": np.arange(1, n + 1, dtype=np.int64),
        "usable": np.ones(n, bool),
        "flag": pd.Series(np.where(no_heading, "no heading", None), dtype=object),
    }, copy=False)
    zone, letter = zones[0][:-1], zones[0][-1]
    c.add_grid(frames, utm_epsg(int(zone), letter))
    return frames


def _refuse(names, listing, folder, i: int, column: str, why: str):
    raise InputError(f"{names[i]!r} {why}", file=listing or folder / names[i],
                     row=f"line {i + 1}" if listing else None, column=column)


def read_vpr_folders(path: Path) -> pd.DataFrame:
    """The frames of every split under ``path`` (module docstring)."""
    root = path
    parts = []
    for split in split_folders(path):
        group = split.name
        for folder_name, role in ROLES.items():
            parts.append(_read_folder(root, split / folder_name, role, group))
    frames = pd.concat(parts, ignore_index=True)
    missing = frames["flag"].eq("no heading")
    if missing.any():
        frames.attrs["notes"] = [f"{int(missing.sum())} of {len(frames)} image(s) have no heading (field 9 empty): "
                                 "flagged 'no heading'"]
    return frames


class VprFolders(Reader):
    name = "vpr-folders"
    takes = "folder"
    summary = "@UTM image folders (datasets_vg): images/<split>/{database,queries}/@east@north@...@.jpg"
    groups = ("gnss", "metric2d")

    def read(self, path, options, threads=1):
        return read_vpr_folders(path)
