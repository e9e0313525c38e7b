"""The @UTM image names of the geo-localisation benchmarks (gmberton/datasets_vg), read by
VPR-methods-evaluation, CosPlace and EigenPlaces: the codec, in one place for the ``vpr-folders``
reader and exporter.

A name is ``@`` fields with a leading ``@`` and the extension last::

    @<utm east>@<utm north>@<zone>@<letter>@<lat>@<lon>@<pano id>@<tile>@<heading>@<pitch>@<roll>@<height>@<timestamp>@<note>@.jpg

east and north ``%010.2f`` (centimetres), zone two digits, the latitude band letter, lat
``%09.5f``, lon ``%010.5f``, heading whole compass degrees (0 = north, clockwise; datasets_vg
writes ``int(heading)``, truncating), timestamp ``YYYYMMDD_hhmmss`` (fields optional left to
right); an absent field is empty (``@@``). The consumers split the whole path on ``@`` and read
fields 1 and 2 (and 9, CosPlace), so no folder above an image may hold ``@``.

fovlabel puts the frame key in field 7 (the pano id), escaped so that it holds no ``@`` or
``/``: ``%`` -> ``%25``, ``@`` -> ``%40``, ``/`` -> ``%2F`` (:func:`escape_key`).
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

FIELDS = ("utm_east", "utm_north", "zone", "letter", "lat", "lon", "pano_id", "tile", "heading", "pitch",
          "roll", "height", "timestamp", "note")
#: latitude bands of UTM, from 80° S, 8° each (X spans 72-84° N)
BANDS = "CDEFGHJKLMNPQRSTUVWX"
#: the frame key's escapes in field 7, in the order escape_key applies them (unescape: reversed)
ESCAPES = (("%", "%25"), ("@", "%40"), ("/", "%2F"))


def escape_key(key: str) -> str:
    text = str(key)
    for char, code in ESCAPES:
        text = text.replace(char, code)
    return text


def unescape_key(text: str) -> str:
    for char, code in reversed(ESCAPES):
        text = text.replace(code, char)
    return text


def utm_zone(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """(zone number, band letter) of each point, with UTM's exceptions (32V over south-west
    Norway, 31X-37X over Svalbard), as the ``utm`` package datasets_vg uses gives them."""
    lat, lon = np.asarray(lat, np.float64), np.asarray(lon, np.float64)
    zone = (np.floor((lon + 180.0) / 6.0).astype(np.int64) % 60) + 1
    zone = np.where((lat >= 56) & (lat < 64) & (lon >= 3) & (lon < 12), 32, zone)
    svalbard = (lat >= 72) & (lat <= 84)
    for lo, hi, z in ((0, 9, 31), (9, 21, 33), (21, 33, 35), (33, 42, 37)):
        zone = np.where(svalbard & (lon >= lo) & (lon < hi), z, zone)
    band = np.clip(np.floor((lat + 80.0) / 8.0).astype(np.int64), 0, len(BANDS) - 1)
    return zone, np.array([BANDS[b] for b in band.tolist()], dtype=object)


def utm_epsg(zone: int, letter: str) -> int:
    """The EPSG code of a UTM zone, north of the equator from band N on."""
    return (32600 if letter >= "N" else 32700) + int(zone)


def timestamp_text(seconds) -> str:
    """``YYYYMMDD_hhmmss`` (UTC) of a Unix time, or "" where unknown."""
    if seconds is None or not np.isfinite(seconds):
        return ""
    return datetime.fromtimestamp(float(seconds), tz=timezone.utc).strftime("%Y%m%d_%H%M%S")


def format_name(east, north, zone, letter, lat, lon, pano_id="", heading=None, timestamp="", note="",
                extension=".jpg") -> str:
    """One image name (module docstring); heading truncated to whole degrees as datasets_vg does."""
    heading_text = "" if heading is None or not np.isfinite(heading) else f"{int(float(heading)):03d}"
    return (f"@{float(east):010.2f}@{float(north):010.2f}@{int(zone):02d}@{letter}@{float(lat):09.5f}"
            f"@{float(lon):010.5f}@{pano_id}@@{heading_text}@@@@{timestamp}@{note}@{extension}")


def parse_name(name: str) -> dict | None:
    """The fields of one image name (its file name, without folders), or None when it is not one."""
    parts = name.split("@")
    if len(parts) != len(FIELDS) + 2 or parts[0] != "":
        return None
    return dict(zip(FIELDS, parts[1:-1]), extension=parts[-1])
