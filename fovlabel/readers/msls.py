"""Mapillary Street-Level Sequences (MSLS) layout.

``<root>/<city>/{query,database}/raw.csv`` (also under ``train_val/`` or ``test/``), or a single
city folder as the root. ``raw.csv`` columns: ``key, lon, lat, ca`` (+ ``captured_at`` in unix ms,
``pano``). ``ca`` is the compass angle: degrees clockwise from true north, the convention of
fovlabel's ``heading_deg``, so it is taken as it is and only corrected for meridian convergence
into the grid heading. ``seq_info.csv`` (``key, sequence_key``) gives sequences when present.
Panoramas (``pano`` true) are kept in the frames table but flagged unusable: their ``ca`` does not
describe a single forward view.

Each city is one group, projected into the UTM zone of its median position.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..schema import ROLES
from . import _common as c
from .base import EpsgOptions, Reader
RAW_COLUMNS = ("key", "lon", "lat", "ca")


def find_cities(root: Path) -> list[tuple[str, Path, str | None]]:
    """(city name, city folder, split) for every city under ``root``."""
    if not root.is_dir():
        raise InputError("MSLS root is not a directory", file=root)
    if any((root / r).is_dir() for r in ROLES):
        return [(root.name, root, None)]
    cities = []
    for split in (None, "train_val", "test"):
        base = root if split is None else root / split
        if not base.is_dir():
            continue
        for d in sorted(p for p in base.iterdir() if p.is_dir()):
            if any((d / r).is_dir() for r in ROLES):
                cities.append((d.name, d, split))
    if not cities:
        raise InputError(
            "no MSLS city found: expected <city>/{query,database}/raw.csv under the root, "
            "train_val/ or test/", file=root,
        )
    return cities


def read_msls(root: Path, *, epsg=None, threads: int = 1) -> pd.DataFrame:
    """Frames of every city under ``root``; ``epsg`` forces one projected CRS for all cities.
    ``threads`` cities are read at once (CSV parsing and projection release the GIL)."""
    return pd.concat(list(read_msls_cities(root, epsg=epsg, threads=threads)), ignore_index=True)


def read_msls_cities(root: Path, *, epsg=None, threads: int = 1):
    """The frames of :func:`read_msls`, a city (one group) at a time, in its order."""
    from .._threads import ordered_map

    cities = find_cities(root)
    names = [city for city, _, _ in cities]

    def read_city(found):
        city, city_dir, split = found
        parts = [_read_role(root, city_dir / role, role) for role in ROLES if (city_dir / role).is_dir()]
        parts = [p for p in parts if len(p)]
        if not parts:
            raise InputError(f"city {city!r} has no frames (its raw.csv files are empty)", file=city_dir)
        frames = pd.concat(parts, ignore_index=True)
        # a city name found under two splits would merge two groups: name it by its split then
        group = city if names.count(city) == 1 else f"{split or '.'}/{city}"
        frames["group"] = _text(np.full(len(frames), group, dtype=object))
        code = c.project_latlon(frames, epsg)
        _check_area(root, frames, code)
        c.add_grid(frames, code)
        return frames

    waiting = None if threads == 1 else threads + 1
    yield from ordered_map(read_city, cities, threads, waiting=waiting)


def _text(values) -> pd.Series:
    """Python strings as the frames table holds them (pandas would infer Arrow text)."""
    return pd.Series(values, dtype=object)


def _check_area(root: Path, frames: pd.DataFrame, code) -> None:
    """Refuse frames far outside the CRS's area of use, naming their raw.csv and row."""
    for source, part in frames.groupby("source_file", sort=False):
        path = root / source if not Path(source).is_absolute() else Path(source)
        c.check_in_crs_area(part["lat"].to_numpy(), part["lon"].to_numpy(), code, path,
                            part["source_row"].to_numpy() - 1, "lat, lon")


def _read_role(root: Path, folder: Path, role: str) -> pd.DataFrame:
    raw_path = folder / "raw.csv"
    raw = c.load_table(raw_path, what="MSLS raw.csv")
    c.require_columns(raw, RAW_COLUMNS, raw_path, "MSLS raw.csv")
    n = len(raw)
    keys = c.key_column(raw, "key", raw_path)
    folder_rel = folder.relative_to(root).as_posix() if folder.is_relative_to(root) else str(folder)
    prefix = "" if folder_rel == "." else folder_rel + "/"
    source = raw_path.relative_to(root).as_posix() if raw_path.is_relative_to(root) else str(raw_path)
    pano = c.bool_column(raw, "pano", raw_path)

    frames = pd.DataFrame({
        "key": _text(keys),
        # MSLS lays images out as <city>/<role>/images/<key>.jpg (relative to the dataset root)
        "image_path": _text([f"{prefix}images/{k}.jpg" for k in keys]),
        "role": _text(np.full(n, role, dtype=object)),
        "lat": c.numeric_column(raw, "lat", raw_path, lo=-90.0, hi=90.0),
        "lon": c.numeric_column(raw, "lon", raw_path, lo=-180.0, hi=180.0),
        "heading_deg": c.heading_column(raw, "ca", raw_path),
        "source_file": _text(np.full(n, source, dtype=object)),
        "source_row": np.arange(1, n + 1, dtype=np.int64),
        "usable": ~pano,
        "flag": _text(np.where(pano, "pano", None)),
    }, copy=False)
    if "captured_at" in raw.columns:
        frames["timestamp_s"] = c.numeric_column(raw, "captured_at", raw_path) / 1000.0
    seq_path = folder / "seq_info.csv"
    if seq_path.is_file():
        seq = c.load_table(seq_path, what="MSLS seq_info.csv")
        c.require_columns(seq, ("key", "sequence_key"), seq_path, "MSLS seq_info.csv")
        mapping = dict(zip(seq["key"].astype(str).str.strip(), seq["sequence_key"].astype(str)))
        frames["sequence"] = _text([mapping.get(k) for k in keys])
    return frames


class Msls(Reader):
    name = "msls"
    takes = "folder"
    summary = "Mapillary SLS: <city>/{query,database}/raw.csv (GPS + compass)"
    groups = ("gnss", "metric2d")
    Options = EpsgOptions

    reads_by_group = True

    def read(self, path, options, threads=1):
        return read_msls(path, epsg=options.epsg, threads=threads)

    def read_groups(self, path, options, threads=1):
        return read_msls_cities(path, epsg=options.epsg, threads=threads)
