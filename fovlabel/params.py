"""Parameter values checked by type, the one rule for every declared parameter (a labeller's
Params, the run settings, correspondences, a pipeline file's keys): an int is a float, nothing
else is converted, and a wrong type is a ConfigError naming the parameter. In a module of its own
so that labellers, config and the rest import it downhill."""

from __future__ import annotations

import numpy as np

from .errors import ConfigError

_KINDS = {"float": "a number", "int": "a whole number", "bool": "true or false", "str": "a string"}


def check_type(name: str, value, annotation: str):
    """``value`` as the field's type (an int is a float; nothing else is converted), or a
    ConfigError naming the field: ``radius_m = "50"`` or ``keep_zero = "no"`` in a pipeline file
    must not slip through as a string."""
    import numbers

    kinds = [k.strip() for k in str(annotation).split("|")]
    if value is None and "None" in kinds:
        return None
    for kind in kinds:
        if kind == "bool" and isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (bool, np.bool_)):
            continue  # True is an int to Python, never a number here
        if kind == "float" and isinstance(value, numbers.Real):
            return float(value)
        if kind == "int" and isinstance(value, numbers.Integral):
            return int(value)
        if kind == "str" and isinstance(value, str):
            return value
    wanted = " or ".join(_KINDS.get(k, k) for k in kinds if k != "None")
    got = f"{type(value).__name__} {value!r}" if not isinstance(value, str) else f"the string {value!r}"
    raise ConfigError(f"{name} must be {wanted}; got {got}")
