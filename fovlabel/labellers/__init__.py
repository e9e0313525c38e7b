"""Labellers, registered by name. A labeller turns candidate pairs of frames into overlaps.

The protocol is :class:`fovlabel.labellers.base.Labeller` (its module docstring says what a
labeller is). Built-in labellers are imported on first use; others join with
:func:`register_labeller` and are then usable everywhere a name is: ``annotate``, pipelines, the
command line.
"""

from __future__ import annotations

import importlib

from ..errors import ConfigError, UnknownFormatError
from .base import Labeller, LabellerParams, Prepared, param

#: name -> "module:Class" (imported on first use) or a registered instance
LABELLERS: dict = {
    "weak2d": "fovlabel.labellers.weak2d:Weak2D",
    "strong2d": "fovlabel.labellers.strong2d:Strong2D",
    "cloud3d": "fovlabel.labellers.cloud3d:Cloud3D",
}

__all__ = ["LABELLERS", "Labeller", "LabellerParams", "Prepared", "get_labeller", "param", "register_labeller"]


def register_labeller(labeller, *, replace: bool = False) -> Labeller:
    """Add a labeller (a :class:`Labeller` subclass or instance) under its ``name``."""
    instance = labeller() if isinstance(labeller, type) else labeller
    if not isinstance(instance, Labeller):
        raise ConfigError(f"a labeller must be a fovlabel.labellers.Labeller; got {type(instance).__name__}")
    name = getattr(instance, "name", None)
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{type(instance).__name__} has no name")
    if name in LABELLERS and not replace:
        raise ConfigError(f"a labeller named {name!r} is already registered (pass replace=True)")
    LABELLERS[name] = instance
    return instance


def get_labeller(name: str) -> Labeller:
    """The registered labeller called ``name``."""
    if name not in LABELLERS:
        raise UnknownFormatError(f"unknown labeller {name!r}; known: {', '.join(sorted(LABELLERS))}")
    entry = LABELLERS[name]
    if isinstance(entry, str):
        module, cls = entry.split(":")
        entry = LABELLERS[name] = getattr(importlib.import_module(module), cls)()
    return entry
