"""Errors raised by fovlabel.

Every error a user can cause derives from :class:`FovlabelError`; the CLI turns it into one line
on stderr and exit code 2. Subclasses name the rule that was broken so callers can catch narrowly.
"""

from __future__ import annotations


class FovlabelError(Exception):
    """Root of every error fovlabel raises on purpose."""


class InputError(FovlabelError, ValueError):
    """A dataset file breaks a rule: a missing column, a bad value, a duplicate key, an empty group.

    The message names the file, the row and the column where the rule is broken.
    """

    def __init__(self, message: str, *, file=None, row=None, column=None):
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        where = []
        if self.file is not None:
            where.append(self.file)
        if row is not None:  # a data row number, or a location such as "line 12", "poses[3]"
            where.append(f"row {row}" if str(row)[:1].isdigit() else str(row))
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{': '.join([', '.join(where), message]) if where else message}")
        self.reason = message


class ConfigError(FovlabelError, ValueError):
    """A parameter is out of its range (radius <= 0, fov outside (0, 360], unknown measure...)."""


class UnknownFormatError(ConfigError):
    """A reader, labeller or preset name that is not registered."""


class OutputError(FovlabelError):
    """The output cannot be written there: it is not fovlabel's to replace, or the disk refuses."""


class OutputExistsError(OutputError, FileExistsError):
    """The output already exists and ``overwrite`` was not given."""


class OutputBusyError(OutputError):
    """Another fovlabel run holds the lock on this output."""


class LabelSetError(FovlabelError):
    """A label set on disk is incomplete, or its metadata is missing or of another schema version."""


class ArgumentError(ConfigError, TypeError):
    """A Python API argument of the wrong type (``overwrite="no"``, ``jobs=2.7``, ``labels=None``):
    the message names the argument, what it must be and what it got."""
