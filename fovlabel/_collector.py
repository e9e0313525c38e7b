"""The program's cyclic-collector pause (fovlabel._program says why): the state and its two
switches, in a module of their own so that the library (fovlabel.batch) can resume the collector
without importing the program and its command line."""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze the objects alive and turn the collector back on, if :func:`pause` turned it off."""
    global _paused
    if _paused:
        _paused = False
        gc.collect()  # frees what the start-up and the reading left in cycles (frozen, it would stay)
        gc.freeze()
        gc.enable()
