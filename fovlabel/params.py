"""The one way fovlabel declares a parameter: a frozen dataclass deriving :class:`Params`, each
field made with :func:`param` (default, one line of help, and for a word its ``choices``).

Labellers' parameters, readers' and exporters' options, the run settings and the
correspondence settings are all declared so. What follows from the declaration alone:

- on creation every field is checked against its annotation (an int is a float, nothing else is
  converted, a wrong type is a ConfigError naming the parameter: ``radius_m = "50"`` in a
  pipeline file must not slip through as a string), then the class's :meth:`Params.validate`
  checks ranges;
- the command line's flags, their types and their help (:mod:`fovlabel.cli.options`);
- what a caller may pass: a name that is not a field is refused by whoever builds the object.

In a module of its own so that labellers, readers, exporters and config import it downhill.
"""

from __future__ import annotations

import dataclasses
import numbers
import types
import typing
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .errors import ConfigError

_WORDS = {float: "a number", int: "a whole number", bool: "true or false", str: "a string"}


def param(default, help: str, **metadata):
    """A parameter field: its default, its one-line help, and e.g. ``choices`` for a word."""
    return field(default=default, metadata={"help": help, **metadata})


@dataclass(frozen=True)
class Params:
    """Base of every declared parameter set (see the module docstring)."""

    def __post_init__(self):
        kinds = field_kinds(type(self))
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, check_value(f.name, getattr(self, f.name), kinds[f.name]))
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError for a value out of range (subclasses)."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def help(cls, name: str) -> str:
        """The one-line help of a parameter (its field's ``metadata["help"]``)."""
        for f in dataclasses.fields(cls):
            if f.name == name:
                return f.metadata.get("help", "")
        raise KeyError(name)


@lru_cache(maxsize=None)
def field_kinds(cls: type) -> dict[str, tuple[type, ...]]:
    """{field: the types its annotation allows (float, int, bool, str, NoneType)}, resolved once
    a class from its real type hints."""
    hints = typing.get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        union = typing.get_origin(hint) in (typing.Union, types.UnionType)
        out[f.name] = tuple(typing.get_args(hint)) if union else (hint,)
    return out


def check_value(name: str, value, kinds: tuple[type, ...]):
    """``value`` as one of ``kinds`` (an int is a float; nothing else is converted), or a
    ConfigError naming the parameter."""
    if value is None and type(None) in kinds:
        return None
    for kind in kinds:
        if kind is bool and isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (bool, np.bool_)):
            continue  # True is an int to Python, never a number here
        if kind is float and isinstance(value, numbers.Real):
            return float(value)
        if kind is int and isinstance(value, numbers.Integral):
            return int(value)
        if kind is str and isinstance(value, str):
            return value
    wanted = " or ".join(_WORDS.get(k, getattr(k, "__name__", str(k))) for k in kinds if k is not type(None))
    got = f"{type(value).__name__} {value!r}" if not isinstance(value, str) else f"the string {value!r}"
    raise ConfigError(f"{name} must be {wanted}; got {got}")


_NAMED = {"float": float, "int": int, "bool": bool, "str": str, "None": type(None)}


def check_type(name: str, value, annotation: str):
    """:func:`check_value` with the kinds spelled as text ("float | None"): kept for one version."""
    return check_value(name, value, tuple(_NAMED[k.strip()] for k in str(annotation).split("|")))
