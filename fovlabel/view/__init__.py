"""``fovlabel view``: browse a label set in the browser (fovlabel.view.server: the routes and
the rules; fovlabel.view.data: what is read, once, from the label set)."""

from __future__ import annotations


def open_view(labels, *, root=None, correspondences=None, host: str = "127.0.0.1", port: int = 8765):
    """Open ``labels`` and serve it; returns (server, url). ``server.shutdown()`` stops it."""
    from .data import LabelSetView
    from .server import start

    return start(LabelSetView(labels, root=root, correspondences=correspondences), host, port)
