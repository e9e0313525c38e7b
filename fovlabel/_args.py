"""The Python API's argument checks, at the boundary, as the command line's are.

A public function calls :func:`check_args` first, with each argument and what it must be; a
wrong type raises :class:`fovlabel.errors.ArgumentError` naming the argument, never a
conversion (``overwrite="no"`` is not True, ``jobs=2.7`` is not 2) and never a TypeError from
deep inside. Kinds:

- ``bool``: True or False (numpy's bool too);
- ``int``: a whole number (not a bool, not a float);
- ``float``: a real number (an int is one; not a bool);
- ``str``: a string;
- ``"path"``: a ``str`` or ``os.PathLike``, not empty;
- any kind followed by ``?``: None is allowed too.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

from .errors import ArgumentError

_WORDS = {bool: "True or False", int: "a whole number", float: "a number", str: "a string",
          "path": "a path (str or os.PathLike)", dict: "a dict"}


def _fits(value, kind) -> bool:
    if kind is bool:
        return isinstance(value, (bool, np.bool_))
    if isinstance(value, (bool, np.bool_)):
        return False  # True is an int to Python, never a count or a number here
    if kind is int:
        return isinstance(value, numbers.Integral)
    if kind is float:
        return isinstance(value, numbers.Real)
    if kind == "path":
        return isinstance(value, (str, os.PathLike)) and os.fspath(value) != ""
    return isinstance(value, kind)


def check_arg(name: str, value, kind):
    """``value`` when it is of ``kind`` (see the module docstring), else ArgumentError."""
    optional = isinstance(kind, str) and kind.endswith("?")
    if optional:
        kind = kind[:-1]
        kind = {"bool": bool, "int": int, "float": float, "str": str, "dict": dict}.get(kind, kind)
        if value is None:
            return None
    if _fits(value, kind):
        return value
    got = f"the string {value!r}" if isinstance(value, str) else f"{type(value).__name__} {value!r}"
    wanted = _WORDS.get(kind, getattr(kind, "__name__", str(kind))) + (" or None" if optional else "")
    raise ArgumentError(f"argument {name!r} must be {wanted}; got {got}")


def check_args(**checks) -> None:
    """``check_args(name=(value, kind), ...)``: each as :func:`check_arg`."""
    for name, (value, kind) in checks.items():
        check_arg(name, value, kind)


def check_numbers(name: str, value) -> np.ndarray:
    """``value`` (a number or an array-like of them) as a float64 array, else ArgumentError."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        got = f"the string {value!r}" if isinstance(value, str) else type(value).__name__
        raise ArgumentError(f"argument {name!r} must be a number or an array of numbers; got {got}") from None
    return array
