"""``fovlabel view``: a local web app to browse a label set."""

from __future__ import annotations

import click


@click.command(short_help="Browse a label set in the browser (a local web app).")
@click.argument("labels", type=click.Path())
@click.option("--port", type=int, default=8765, show_default=True, help="Port to serve on (0: any free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; anything but 127.0.0.1 lets other machines read the label set and its images.")
@click.option("--no-browser", is_flag=True, help="Do not open the browser; only print the address.")
@click.option("--correspondences", type=click.Path(), default=None,
              help="A correspondence set of this label set: a pair's pixel correspondences drawn on its images.")
@click.option("--root", type=click.Path(), default=None, help="Where the dataset is now, if it has moved.")
def view(labels, port, host, no_browser, correspondences, root):
    """Serve the label set LABELS as a web page and open it: the map of every frame, a frame's
    matches in rank order, a pair's images and sectors (2D) or shared pixels (3D), the histogram
    and the summary, search by key, and a link for every frame and pair. Read-only; it serves
    only the label set's tables and the images its frames name. Ctrl-C stops it.

    \b
    Examples:
      fovlabel view labels/city
      fovlabel view labels/kitchen --correspondences labels/kitchen_corr --port 8800
    """
    import threading
    import webbrowser

    from ..view import open_view

    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: serving on {host}: other machines can read this label set and its images", err=True)
    server, url = open_view(labels, root=root, correspondences=correspondences, host=host, port=port)
    click.echo(f"fovlabel view: {url} (Ctrl-C stops it)")
    if not no_browser:
        webbrowser.open(url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
