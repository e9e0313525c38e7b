"""The ``fovlabel`` program's entry point (the console script in pyproject.toml).

The program imports pandas, pyarrow, SciPy and Numba and reads its input before any labelling:
several hundred thousand objects that live until it exits, which Python's cyclic collector would
traverse again at every full collection meanwhile, for nothing. So the collector is paused before
the first import (:func:`pause`), and when the work on frames begins
(fovlabel.batch.prepare_frames; at once for a command other than ``annotate``) :func:`resume`
collects once, freezes what is alive (it is never traversed again) and turns it back on: the loops
over frames and chunks collect as usual. In a library caller's process :func:`resume` does nothing:
only the program pauses the collector.
"""

from __future__ import annotations

from ._collector import pause, resume  # noqa: F401 (the switches live downhill: fovlabel.batch uses them)


def entry():
    """The program: fovlabel.cli.entry, with the collector paused while it imports and, for
    ``annotate``, until the frames work begins; any other command resumes it before it runs."""
    import sys

    pause()
    from .cli import entry as run

    if sys.argv[1:2] != ["annotate"]:
        resume()
    return run()
