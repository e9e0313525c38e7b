"""The ``fovlabel view`` web app: a small read-only HTTP server (Python's own ``http.server``,
threaded: no framework is needed for a dozen GET routes) and the page in ``static/``, which ships
inside the package (nothing is fetched from the internet).

Routes (GET only; anything else is 404, other methods 405):

- ``/`` and ``/static/{index.html,app.js,app.css}``: the page;
- ``/api/info``: the label set's frames, groups, roles, bounds; ``/api/status``: whether the pair
  index, histogram and summary are ready;
- ``/api/map?x0&y0&x1&y1&w&h[&group]``: the frames in a view, one by one or counted on a grid;
- ``/api/near?x&y&r``: the frame nearest a point; ``/api/search?q``: frames by key;
- ``/api/frame/ID``: a frame and its matches in rank order; ``/api/pair/A/B``: a pair's row;
- ``/api/pair/A/B.png``: a 3D pair's shared pixels (the ``plot pair`` picture);
- ``/api/correspondences/A/B``: a pair's pixel correspondences from ``--correspondences``;
- ``/api/image/ID[?w=320]``: frame ID's image as a JPEG thumbnail, only where it is a file inside
  the dataset (no path is ever taken from the URL: a frame id names the image);
- ``/api/summary``: what ``fovlabel show`` prints, and the histogram per rank.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from ..errors import FovlabelError

STATIC = {"index.html": "text/html; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
          "app.css": "text/css; charset=utf-8"}


class NotFound(Exception):
    pass


def _int(text: str, n: int) -> int:
    if not re.fullmatch(r"\d{1,12}", text or "") or int(text) >= n:
        raise NotFound
    return int(text)


def _float(query: dict, name: str, default=None) -> float:
    try:
        return float(query[name][0])
    except (KeyError, ValueError, IndexError):
        if default is None:
            raise NotFound from None
        return default


class ViewApp:
    """The routes over a :class:`~fovlabel.view.data.LabelSetView`."""

    def __init__(self, view):
        self.view = view
        self.workdir = tempfile.TemporaryDirectory(prefix="fovlabel-view-")

    def static(self, name: str) -> tuple[bytes, str]:
        if name not in STATIC:
            raise NotFound
        return resources.files("fovlabel.view").joinpath("static", name).read_bytes(), STATIC[name]

    def handle(self, path: str, query: dict):
        """(body bytes, content type) of a GET, or NotFound."""
        v = self.view
        if path in ("/", "/index.html"):
            return self.static("index.html")
        if path.startswith("/static/"):
            return self.static(path[len("/static/"):])
        parts = path.strip("/").split("/")
        if parts[0] != "api" or len(parts) < 2:
            raise NotFound
        route, rest = parts[1], parts[2:]
        if route == "info" and not rest:
            return _json(v.meta_info())
        if route == "status" and not rest:
            return _json({"ready": v.ready.is_set(), "error": v.error})
        if route == "map" and not rest:
            group = query.get("group", [""])[0]
            return _json(v.map_view(_float(query, "x0"), _float(query, "y0"), _float(query, "x1"),
                                    _float(query, "y1"), int(_float(query, "w", 800)), int(_float(query, "h", 600)),
                                    _int(group, len(v.group_names)) if group else None))
        if route == "near" and not rest:
            return _json({"id": v.nearest(_float(query, "x"), _float(query, "y"), _float(query, "r"))})
        if route == "search" and not rest:
            return _json({"frames": v.search(query.get("q", [""])[0][:200])})
        if route == "frame" and len(rest) == 1:
            return _json(v.matches(_int(rest[0], v.n)))
        if route == "pair" and len(rest) == 2:
            a = _int(rest[0], v.n)
            if rest[1].endswith(".png"):
                b = _int(rest[1][:-4], v.n)
                if not v.labeller.pixels or a == b:
                    raise NotFound
                return v.pair_picture(a, b, Path(self.workdir.name)), "image/png"
            b = _int(rest[1], v.n)
            return _json(v.pair(a, b))
        if route == "correspondences" and len(rest) == 2:
            return _json({"lines": v.pair_correspondences(_int(rest[0], v.n), _int(rest[1], v.n))})
        if route == "image" and len(rest) == 1:
            body = v.thumbnail(_int(rest[0], v.n), max(16, min(int(_float(query, "w", 320)), 1600)))
            if body is None:
                raise NotFound
            return body, "image/jpeg"
        if route == "summary" and not rest:
            v.ready.wait()
            return _json({"summary": v.summary, "histogram": v.histogram, "error": v.error})
        raise NotFound


def _json(data) -> tuple[bytes, str]:
    """JSON as browsers parse it: NaN and infinities (not JSON) become null."""
    try:
        text = json.dumps(data, default=str, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(data), default=str, allow_nan=False)
    return text.encode(), "application/json"


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def make_handler(app: ViewApp):
    class Handler(BaseHTTPRequestHandler):
        server_version = "fovlabel-view"

        def do_GET(self):  # noqa: N802 - http.server's name
            split = urlsplit(self.path)
            try:
                body, kind = app.handle(split.path, parse_qs(split.query))
                status = HTTPStatus.OK
            except NotFound:
                body, kind, status = b"not found", "text/plain; charset=utf-8", HTTPStatus.NOT_FOUND
            except FovlabelError as exc:
                body, kind, status = _json({"error": str(exc)})[0], "application/json", HTTPStatus.BAD_REQUEST
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _refuse(self):
            self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
            self.send_header("Allow", "GET")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

        def log_message(self, format, *args):  # noqa: A002 - quiet: the terminal says only where it runs
            pass

    return Handler


def start(view, host: str = "127.0.0.1", port: int = 8765) -> tuple[ThreadingHTTPServer, str]:
    """Start serving ``view`` in a thread (the pair index is built beside it); returns the
    server and its URL. ``server.shutdown()`` stops it."""
    app = ViewApp(view)
    server = ThreadingHTTPServer((host, port), make_handler(app))
    server.daemon_threads = True
    threading.Thread(target=view.build_index, name="fovlabel-view-index", daemon=True).start()
    threading.Thread(target=server.serve_forever, name="fovlabel-view", daemon=True).start()
    shown = f"[{host}]" if ":" in host else host
    return server, f"http://{shown}:{server.server_address[1]}/"
