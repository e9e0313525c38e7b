"""Labellers, registered by name. A labeller turns candidate pairs of frames into overlaps.

The protocol is :class:`fovlabel.labellers.base.Labeller` (its module docstring says what a
labeller is). Built-in labellers are imported on first use; others join with
:func:`register_labeller` and are then usable everywhere a name is: ``annotate``, pipelines, the
command line.
"""

from __future__ import annotations

from .._registry import lookup, register
from .base import Labeller, LabellerParams, Prepared, param

#: name -> "module:Class" (imported on first use) or a registered instance
LABELLERS: dict = {
    "weak2d": "fovlabel.labellers.weak2d:Weak2D",
    "strong2d": "fovlabel.labellers.strong2d:Strong2D",
    "cloud3d": "fovlabel.labellers.cloud3d:Cloud3D",
}

__all__ = ["LABELLERS", "Labeller", "LabellerParams", "Prepared", "get_labeller", "param",
           "register_labeller"]


def register_labeller(labeller, *, replace: bool = False) -> Labeller:
    """Add a labeller (a :class:`Labeller` subclass or instance) under its ``name``."""
    return register(LABELLERS, Labeller, labeller, "a labeller", replace=replace)


def get_labeller(name: str) -> Labeller:
    """The registered labeller called ``name``."""
    return lookup(LABELLERS, name, "labeller")

