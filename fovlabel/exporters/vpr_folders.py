"""``vpr-folders``: a cross-mode label set as the @UTM image folders that VPR-methods-evaluation,
CosPlace, EigenPlaces and the geo-localisation benchmark read (gmberton/datasets_vg's layout).

``images/<split>/database/`` and ``images/<split>/queries/`` hold one relative symbolic link (or,
with ``copy``, a copy) per usable frame with an image, named as datasets_vg names images
(io.utm_names): UTM east and north in the frame's own UTM zone (from its latitude and longitude;
the ``utm`` package's zones), zone and band, lat, lon, the escaped frame key in field 7, the
compass heading in whole degrees in field 9, the time in field 13 where known. Beside each
folder, ``<folder>_images_paths.txt`` lists the names (relative to the folder), which the
consumers read instead of a glob. Every group goes into the one split; a frame's role gives its
folder. The frames need latitude and longitude (a GPS dataset, or ``vpr-folders`` itself).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..io.paths import inside, safe_name
from ..io.utm_names import escape_key, format_name, timestamp_text, utm_epsg, utm_zone
from .base import ExportOptions, Exporter, link_into, param, require_mode

FOLDERS = {"database": "database", "query": "queries"}


@dataclass(frozen=True)
class VprFoldersOptions(ExportOptions):
    split: str = param("test", "The split folder under images/ (train, val, test).")
    copy: bool = param(False, "Copy the images instead of linking them.")

    def validate(self):
        if safe_name(self.split) != self.split or self.split in ("", ".", ".."):
            raise ConfigError(f"split must be a plain folder name; got {self.split!r}")


def utm_coordinates(lat, lon):
    """(east, north, zone, letter) of each point in its own UTM zone."""
    from pyproj import Transformer

    zone, letter = utm_zone(lat, lon)
    east, north = np.empty(len(lat)), np.empty(len(lat))
    for z, north_half in {(int(a), b >= "N") for a, b in zip(zone, letter)}:
        mine = (zone == z) & (np.array([b >= "N" for b in letter]) == north_half)
        epsg = utm_epsg(z, "N" if north_half else "M")
        transformer = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
        east[mine], north[mine] = transformer.transform(lon[mine], lat[mine])
    return east, north, zone, letter


class VprFolders(Exporter):
    name = "vpr-folders"
    summary = "@UTM image folders (VPR-methods-evaluation, CosPlace): images/<split>/{database,queries}/"
    Options = VprFoldersOptions
    conventions = {"names": "datasets_vg's @UTM names; field 7: the frame key (% @ / escaped as %25 %40 %2F); "
                            "field 9: compass heading, whole degrees (truncated)"}

    def check(self, labels, options):
        require_mode(labels, "cross", "vpr-folders needs queries and a database: a cross-mode label set")
        frames = labels.frames
        usable = frames["usable"].to_numpy()
        missing = usable & ~(frames["lat"].notna() & frames["lon"].notna()).to_numpy()
        if missing.any():
            row = frames.iloc[int(np.flatnonzero(missing)[0])]
            raise ConfigError(f"vpr-folders names images by latitude and longitude; frame {row['key']!r} "
                              f"({row['source_file']}) has none")
        if not frames.loc[usable, "image_path"].notna().any():
            raise ConfigError("vpr-folders links the frames' images; this label set's frames name none")

    def write(self, folder, labels, options):
        frames = labels.frames
        keep = frames["usable"].to_numpy() & frames["image_path"].notna().to_numpy()
        rows = frames[keep]
        lat, lon = rows["lat"].to_numpy(np.float64), rows["lon"].to_numpy(np.float64)
        east, north, zone, letter = utm_coordinates(lat, lon)
        heading = rows["heading_deg"].to_numpy(np.float64, na_value=np.nan)
        stamps = rows["timestamp_s"].to_numpy(np.float64, na_value=np.nan)
        image_root = labels.image_root
        files, listed, missing = [], {role: [] for role in FOLDERS.values()}, []
        for k, (key, role, path) in enumerate(zip(rows["key"], rows["role"], rows["image_path"])):
            source = image_root / path
            if not source.is_file():
                missing.append(str(source))
                continue
            sub = FOLDERS[role]
            name = format_name(east[k], north[k], zone[k], letter[k], lat[k], lon[k], pano_id=escape_key(key),
                               heading=heading[k], timestamp=timestamp_text(stamps[k]),
                               extension=Path(path).suffix.lower() or ".jpg")
            relative = f"images/{options.split}/{sub}/{name}"
            if options.copy:
                target = inside(folder, relative)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
            else:
                link_into(folder, relative, source, labels.destination)
            files.append(relative)
            listed[sub].append(name)
        if missing:
            labels.notes.append(f"{len(missing)} frame(s) left out: their image is missing (first: {missing[0]})")
        for sub, names in listed.items():
            listing = f"images/{options.split}/{sub}_images_paths.txt"
            inside(folder, listing).parent.mkdir(parents=True, exist_ok=True)
            inside(folder, listing).write_text("".join(f"{n}\n" for n in names))
            files.append(listing)
        return files
