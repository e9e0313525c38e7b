"""The one registry pattern of labellers and exporters: names to "module:Class" (imported on
first use, so that listing costs nothing) or to registered instances."""

from __future__ import annotations

import importlib

from .errors import ConfigError, UnknownFormatError


def register(registry: dict, base: type, item, what: str, *, replace: bool = False):
    """Add ``item`` (a ``base`` subclass or instance) under its ``name``; returns the instance."""
    from ._args import check_arg

    check_arg("replace", replace, bool)
    instance = item() if isinstance(item, type) else item
    if not isinstance(instance, base):
        raise ConfigError(f"{what} must be a {base.__module__.rsplit('.', 1)[0]}.{base.__name__}; "
                          f"got {type(instance).__name__}")
    name = getattr(instance, "name", None)
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{type(instance).__name__} has no name")
    if name in registry and not replace:
        raise ConfigError(f"{what} named {name!r} is already registered (pass replace=True)")
    registry[name] = instance
    return instance


def lookup(registry: dict, name: str, unknown: str):
    """The registered instance called ``name`` (imported and made on first use)."""
    from ._args import check_arg

    check_arg("name", name, str)
    if name not in registry:
        raise UnknownFormatError(f"unknown {unknown} {name!r}; known: {', '.join(sorted(registry))}")
    entry = registry[name]
    if isinstance(entry, str):
        module, cls = entry.split(":")
        entry = registry[name] = getattr(importlib.import_module(module), cls)()
    return entry
