"""hloc's pairs file: ``name0 name1`` a line (cvg/Hierarchical-Localization, parsed with
``line.split()`` by ``hloc.utils.parsers.parse_retrieval``).

For each image, its ``k`` partners of highest overlap above ``min_overlap`` (strictly), best
first; in cross mode the queries' partners among the database, in within mode every frame's among
the others (both directions, as hloc's own ``pairs_from_poses`` writes them). Names are the frames'
``image_path`` (COLMAP: the image name, relative to the image folder) or else their ``key``; hloc
splits on white space, so a name holding any is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..io.reading import both_directions
from ..io.paths import inside
from .base import ExportOptions, Exporter, image_names, param

PAIRS_FILE = "pairs.txt"


@dataclass(frozen=True)
class HlocOptions(ExportOptions):
    k: int = param(10, "Partners per image, best overlap first (>= 1).")
    min_overlap: float = param(0.0, "hloc: an image's partners overlap it by more than this, [0, 1).")
    image_root: str | None = param(None, "hloc's image folder: names in pairs.txt relative to it (default: the "
                                         "dataset's images folder; frames without an image: their key).")

    def validate(self):
        if self.k < 1:
            raise ConfigError(f"k must be >= 1; got {self.k}")
        if not 0.0 <= self.min_overlap < 1.0:
            raise ConfigError(f"min_overlap must be in [0, 1); got {self.min_overlap:g}")


def names_under(labels, image_root) -> np.ndarray:
    """Each frame's image path relative to ``image_root`` (hloc's image folder), else its key;
    an image outside that folder is refused, naming it."""
    import os
    from pathlib import Path

    frames = labels.frames
    names = image_names(frames)
    known = frames["image_path"].notna().to_numpy()
    if not known.any():
        return names
    base, folder = labels.image_root.resolve(), Path(image_root).resolve()
    for i in np.flatnonzero(known):
        relative = os.path.relpath(base / names[i], folder)
        if relative.startswith(".."):
            raise ConfigError(f"image {base / names[i]} (frame {frames['key'].iloc[i]!r}) lies outside --image-root "
                              f"{folder}: name the folder hloc reads the images from")
        names[i] = relative
    return names


class Hloc(Exporter):
    name = "hloc"
    summary = "hloc pairs.txt: each image's top-k partners by overlap (name0 name1 a line)"
    Options = HlocOptions

    def check(self, labels, options):
        names = self.names(labels, options)
        usable = labels.frames["usable"].to_numpy()
        for i in np.flatnonzero(usable):
            if any(c.isspace() for c in str(names[i])):
                row = labels.frames.iloc[i]
                raise ConfigError(f"hloc cannot take image name {names[i]!r} (frame {row['frame_id']}, "
                                  f"{row['source_file']}): hloc splits pairs-file lines on white space")

    @staticmethod
    def names(labels, options):
        if options.image_root is None:
            return image_names(labels.frames)
        return names_under(labels, options.image_root)

    def write(self, folder, labels, options):
        pairs = labels.pairs
        a, b = pairs["frame_a"].to_numpy(np.int64), pairs["frame_b"].to_numpy(np.int64)
        overlap = pairs["overlap"].to_numpy(np.float64)
        within = {g for g, m in labels.metadata.modes.items() if m == "within"}
        group = labels.frames["group"].to_numpy(dtype=object)
        both = np.isin(group[a], list(within)) if within else np.zeros(len(a), bool)
        if both_directions(labels.meta):  # ioa: both directions are rows already
            both[:] = False
        # within mode lists each pair once (a < b): each frame ranks its partners in both directions
        src = np.concatenate([a, b[both]])
        dst = np.concatenate([b, a[both]])
        val = np.concatenate([overlap, overlap[both]])
        keep = val > options.min_overlap
        src, dst, val = src[keep], dst[keep], val[keep]
        order = np.lexsort((dst, -val, src))  # by image, best first, ties by frame id
        src, dst = src[order], dst[order]
        rank = np.arange(len(src)) - np.searchsorted(src, src, side="left")
        top = rank < options.k
        names = self.names(labels, options)
        lines = [f"{names[i]} {names[j]}\n" for i, j in zip(src[top].tolist(), dst[top].tolist())]
        inside(folder, PAIRS_FILE).write_text("".join(lines))
        return [PAIRS_FILE]


# kept for one version: classes lived here before (fovlabel.exporters.classes now)
from .classes import Classes, ClassesOptions  # noqa: E402,F401
