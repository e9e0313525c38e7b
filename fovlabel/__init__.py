"""fovlabel: graded overlap labels for image pairs, as Parquet pair tables.

Importing this package is cheap: numba, pyproj and scipy load on first use of a function.
"""

from __future__ import annotations

import importlib

from ._version import __version__
from .errors import (
    ArgumentError,
    ConfigError,
    FovlabelError,
    InputError,
    LabelSetError,
    OutputExistsError,
    UnknownFormatError,
)

_LAZY = {
    "weak_fov_overlap": "fovlabel.api",
    "strong_fov_overlap": "fovlabel.api",
    "annotate": "fovlabel.api",
    "read_frames": "fovlabel.readers",
    "read_pairs": "fovlabel.io.labelset",
    "read_label_frames": "fovlabel.io.labelset",
    "read_metadata": "fovlabel.io.labelset",
    "latlon_to_metric": "fovlabel.geometry.geodesy",
    "make_config": "fovlabel.config",
    "RunConfig": "fovlabel.config",
    "RunSettings": "fovlabel.config",
    "PRESETS": "fovlabel.config",
    "export": "fovlabel.exporters",
    "place_classes": "fovlabel.classes",
    "read_correspondences": "fovlabel.correspondences",
    "get_labeller": "fovlabel.labellers",
    "register_labeller": "fovlabel.labellers",
    "Labeller": "fovlabel.labellers",
    "LabellerParams": "fovlabel.labellers",
}

__all__ = [
    "__version__",
    "ArgumentError",
    "ConfigError",
    "FovlabelError",
    "InputError",
    "LabelSetError",
    "OutputExistsError",
    "UnknownFormatError",
    *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fovlabel' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
