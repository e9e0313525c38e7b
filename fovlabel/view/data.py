"""What ``fovlabel view`` serves, read from a label set once: the frames placed on a map, an index
of the pairs by frame, the histogram and the summary, and each frame's image (by frame id only).

Memory at the 1.6M-frame / 40M-pair MSLS-like set: the frames' map columns (x, y, heading as
float32, group and role codes, the keys as one Arrow array: about 60 bytes a frame), the pair
index (where each frame's rows start as ``frame_a``, 8 bytes a frame; and the rows where it is
``frame_b``, 4 bytes a pair: 160 MB at 40M pairs), a cache of a few decoded row groups of
pairs.parquet (a click reads the row groups that hold its rows, not the table) and of image
thumbnails. The pairs are indexed in one streamed pass, in a thread: the map is served before.
"""

from __future__ import annotations

import io
import math
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import LabelSetError
from ..io.layout import PAIRS_FILE

#: frames drawn one by one when at most this many are in view; else counts on a grid
MAX_POINTS = 20_000
#: the histogram's bins over [0, 1]
BINS = 50
#: rows read a batch at a time while indexing
BATCH_ROWS = 1 << 20
EARTH_R = 6_378_137.0


def web_mercator(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) in Web Mercator metres of WGS84 degrees: every city of a set on one map."""
    lat = np.clip(np.asarray(lat, np.float64), -85.0, 85.0)
    x = EARTH_R * np.radians(np.asarray(lon, np.float64))
    y = EARTH_R * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))
    return x, y


class _LRU:
    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key, make):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


class LabelSetView:
    """A label set opened for the viewer (module docstring). ``root``: where a moved dataset now
    is; ``correspondences``: a correspondence set of this label set, or None."""

    def __init__(self, labels, root=None, correspondences=None):
        from ..io.metadata import labeller_of
        from ..io.reading import _open_label_set, read_label_frames

        self.labels = Path(labels)
        self.folder, self.meta, pairs_pq, frames_pq = _open_label_set(labels)
        self.root = root
        self.labeller, self.params = labeller_of(self.meta)
        frames = read_label_frames(labels)
        self.n = len(frames)
        self.keys = pa.array(frames["key"].astype(str).to_numpy(dtype=object), pa.string())
        self.groups, self.group_names = _codes(frames["group"])
        self.roles, self.role_names = _codes(frames["role"])
        self.usable = frames["usable"].to_numpy(bool)
        self.flags = frames["flag"].to_numpy(dtype=object)
        self.size = [frames[c].to_numpy(np.float64, na_value=np.nan) for c in ("width", "height")]
        self.dataset_root: Path | None = None  # _images sets it where the frames name images
        self.x, self.y, self.heading, self.geographic = self._place(frames)
        self.placed = np.isfinite(self.x) & np.isfinite(self.y)
        self.sector = self._sectors(frames)
        self.image_path = self._images(frames)
        del frames
        self._tree, self._tree_lock = None, threading.Lock()
        self.n_pairs = pairs_pq.metadata.num_rows
        self.row_group_starts = np.cumsum([0] + [pairs_pq.metadata.row_group(k).num_rows
                                                 for k in range(pairs_pq.metadata.num_row_groups)])
        self._row_groups = _LRU(8)
        self._thumbs = _LRU(512)
        self.correspondences = Path(correspondences) if correspondences else None
        if self.correspondences is not None:
            from ..correspondences import read_correspondence_metadata

            info = read_correspondence_metadata(self.correspondences)
            if info.get("label_set_id") != self.meta.get("label_set_id"):
                raise LabelSetError(f"{self.correspondences}: a correspondence set of another label set "
                                    f"(label set id {str(info.get('label_set_id'))[:19]}...)")
        self.ready = threading.Event()
        self.error: str | None = None
        self.summary: dict | None = None
        self.histogram: dict | None = None

    # -- the frames -----------------------------------------------------------------------------

    def _place(self, frames):
        """(x, y, heading, geographic): GPS frames in Web Mercator (all cities on one map), else
        where the labeller places them (the ground plane of the poses)."""
        lat = frames["lat"].to_numpy(np.float64, na_value=np.nan)
        lon = frames["lon"].to_numpy(np.float64, na_value=np.nan)
        if np.isfinite(lat).any() and np.isfinite(lat[self.usable] if self.usable.any() else lat).all():
            x, y = web_mercator(lat, lon)
            heading = frames["heading_deg"].to_numpy(np.float64, na_value=np.nan)
            return x, y, heading, True
        placed = self.labeller.place(frames, self.params)
        if placed is None:
            nan = np.full(len(frames), np.nan)
            return nan, nan, nan, False
        return (*placed, False)

    def _sectors(self, frames):
        """(fov, radius) arrays of the sectors the labeller draws (2D), or None."""
        if self.labeller.placement is None:
            return None
        drawn = self.labeller.sectors(frames, self.params)
        if drawn is None:
            return None
        fov, radius = drawn
        fov = np.broadcast_to(np.asarray(fov, np.float64), (len(frames),)).copy()
        placement = tuple(frames[c].to_numpy(np.float64, na_value=np.nan) for c in self.labeller.placement)
        return {"fov": fov, "radius": float(radius), "x": placement[0], "y": placement[1], "heading": placement[2]}

    def _images(self, frames):
        """Each frame's image as an absolute path inside the dataset, or None (io.reading: the
        dataset root checked; a path that leaves it, through a link too, is left out)."""
        from ..io.reading import image_root_of

        if "image_path" not in frames or frames["image_path"].isna().all():
            return np.full(len(frames), None, dtype=object)
        try:
            base = image_root_of(self.meta, self.root, frames["source_file"].unique(), self.folder)
        except LabelSetError:
            return np.full(len(frames), None, dtype=object)
        self.dataset_root = base.resolve()
        return frames["image_path"].to_numpy(dtype=object)

    def image_file(self, i: int) -> Path | None:
        """Frame ``i``'s image, only where it is a file inside the dataset (its real path, links
        resolved, under the dataset's real root); else None."""
        if not 0 <= i < self.n or self.image_path[i] is None or self.dataset_root is None:
            return None
        relative = Path(str(self.image_path[i]))
        if relative.is_absolute() or ".." in relative.parts:
            return None
        path = (self.dataset_root / relative).resolve()
        if not path.is_relative_to(self.dataset_root) or not path.is_file():
            return None
        return path

    def thumbnail(self, i: int, width: int) -> bytes | None:
        """Frame ``i``'s image as a JPEG at most ``width`` pixels wide, or None."""
        path = self.image_file(i)
        if path is None:
            return None

        def make():
            from PIL import Image

            with Image.open(path) as image:
                image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
                image.thumbnail((width, width * 4))
                out = io.BytesIO()
                image.save(out, "JPEG", quality=85)
                return out.getvalue()

        return self._thumbs.get((i, width), make)

    def frame_info(self, i: int) -> dict:
        info = {"id": int(i), "key": self.keys[i].as_py(), "group": self.group_names[self.groups[i]],
                "role": self.role_names[self.roles[i]], "usable": bool(self.usable[i]),
                "flag": self.flags[i] if isinstance(self.flags[i], str) else None, "x": _num(self.x[i]), "y": _num(self.y[i]), "heading": _num(self.heading[i]),
                "image": self.image_file(i) is not None, "width": _num(self.size[0][i]), "height": _num(self.size[1][i])}
        if self.sector is not None:
            s = self.sector
            info["sector"] = [_num(s["x"][i]), _num(s["y"][i]), _num(s["heading"][i]), _num(s["fov"][i]), s["radius"]]
        return info

    # -- the map --------------------------------------------------------------------------------

    def bounds(self) -> list:
        if not self.placed.any():
            return [0.0, 0.0, 1.0, 1.0]
        x, y = self.x[self.placed], self.y[self.placed]
        return [float(x.min()), float(y.min()), float(x.max()), float(y.max())]

    def map_view(self, x0, y0, x1, y1, width: int, height: int, group: int | None = None) -> dict:
        """The frames in a view: one by one when few (id, x, y, heading, group, role), else a
        count and the commonest role per grid cell of about 4 x 4 pixels."""
        inside = self.placed & (self.x >= x0) & (self.x <= x1) & (self.y >= y0) & (self.y <= y1)
        if group is not None:
            inside &= self.groups == group
        rows = np.flatnonzero(inside)
        out = {"total": int(self.placed.sum()) if group is None else int((self.placed & (self.groups == group)).sum()),
               "in_view": int(len(rows))}
        if len(rows) <= MAX_POINTS:
            out["points"] = {"id": rows.tolist(), "x": np.round(self.x[rows], 2).tolist(),
                             "y": np.round(self.y[rows], 2).tolist(),
                             "heading": [None if not math.isfinite(h) else round(h, 1) for h in self.heading[rows].tolist()],
                             "group": self.groups[rows].tolist(), "role": self.roles[rows].tolist()}
            return out
        nx, ny = max(1, int(width) // 4), max(1, int(height) // 4)
        ix = np.clip(((self.x[rows] - x0) / max(x1 - x0, 1e-9) * nx).astype(np.int64), 0, nx - 1)
        iy = np.clip(((self.y[rows] - y0) / max(y1 - y0, 1e-9) * ny).astype(np.int64), 0, ny - 1)
        cell = iy * nx + ix
        roles = max(len(self.role_names), 1)
        counts = np.bincount(cell * roles + self.roles[rows], minlength=nx * ny * roles).reshape(nx * ny, roles)
        total = counts.sum(axis=1)
        filled = np.flatnonzero(total)
        out["cells"] = {"nx": nx, "ny": ny, "cell": filled.tolist(), "count": total[filled].tolist(),
                        "role": counts[filled].argmax(axis=1).tolist()}
        return out

    def nearest(self, x: float, y: float, radius: float) -> int | None:
        """The placed frame nearest (x, y) within ``radius``, or None."""
        from scipy.spatial import cKDTree

        with self._tree_lock:
            if self._tree is None:
                rows = np.flatnonzero(self.placed)
                self._tree = (cKDTree(np.column_stack([self.x[rows], self.y[rows]])), rows)
        tree, rows = self._tree
        if not len(rows):
            return None
        d, k = tree.query([x, y], distance_upper_bound=radius)
        return None if not np.isfinite(d) else int(rows[k])

    def search(self, text: str, limit: int = 20) -> list:
        """Frames whose key starts with ``text`` (then those that contain it), at most ``limit``."""
        if not text:
            return []
        found = np.flatnonzero(pc.starts_with(self.keys, text).to_numpy(zero_copy_only=False))
        if len(found) < limit:
            more = np.flatnonzero(pc.match_substring(self.keys, text).to_numpy(zero_copy_only=False))
            found = np.concatenate([found, np.setdiff1d(more, found)])
        if text.isdigit() and int(text) < self.n:
            found = np.concatenate([[int(text)], found[found != int(text)]])
        return [self.frame_info(int(i)) for i in found[:limit]]

    # -- the pairs ------------------------------------------------------------------------------

    def build_index(self) -> None:
        """One streamed pass over pairs.parquet: where each frame's rows are (as frame_a: a range,
        the table being in frame_a order; as frame_b: a list), and the histogram; then the
        summary (what ``show`` prints). Sets :attr:`ready`."""
        from ..io.reading import pair_batches
        from ..io.summary import summarize_label_set

        try:
            self.nearest(0.0, 0.0, 0.0)  # the frames' KD-tree, for the clicks on the map
            _, _, batches = pair_batches(self.labels, ["rank"], batch_rows=BATCH_ROWS)
            counts_a = np.zeros(self.n + 1, np.int64)
            counts_b = np.zeros(self.n + 1, np.int64)
            edges = np.linspace(0.0, 1.0, BINS + 1)
            hist = np.zeros((3, BINS), np.int64)
            last = -1
            sorted_a = True
            for _, batch in batches:
                a = batch.column("frame_a").to_numpy()
                b = batch.column("frame_b").to_numpy()
                if len(a):
                    sorted_a &= bool(a[0] >= last and (np.diff(a) >= 0).all())
                    last = int(a[-1])
                counts_a[1:] += np.bincount(a, minlength=self.n)
                counts_b[1:] += np.bincount(b, minlength=self.n)
                rank = batch.column("rank").to_numpy()
                overlap = batch.column("overlap").to_numpy()
                for r in range(3):
                    hist[r] += np.histogram(overlap[rank == r], edges)[0]
            if not sorted_a:
                raise LabelSetError(f"{self.folder / PAIRS_FILE}: pairs are not in frame_a order (not a fovlabel "
                                    "label set as it wrote it)")
            self.start_a = np.cumsum(counts_a)
            self.start_b = np.cumsum(counts_b)
            self.rows_b = self._rows_by_b()
            self.histogram = {"edges": edges.tolist(), "counts": {str(r): hist[r].tolist() for r in range(3)},
                              "positive": float(self.meta.get("run", {}).get("positive", 0.5))}
            self.summary = summarize_label_set(self.labels, rows=5)
        except Exception as exc:  # noqa: BLE001 - the page says it
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.ready.set()

    def _rows_by_b(self) -> np.ndarray:
        """The row numbers of the pairs table ordered by frame_b (each frame's in table order):
        frame f's rows as frame_b are rows_b[start_b[f]:start_b[f + 1]]; a second streamed pass."""
        from ..io.reading import pair_batches

        rows = np.empty(self.n_pairs, np.int32 if self.n_pairs < 2**31 else np.int64)
        fill = self.start_b[:-1].copy()
        _, _, batches = pair_batches(self.labels, [], batch_rows=BATCH_ROWS)
        for first, batch in batches:
            b = batch.column("frame_b").to_numpy().astype(np.int64)
            order = np.argsort(b, kind="stable")
            sb = b[order]
            begin = np.r_[0, np.flatnonzero(np.diff(sb)) + 1]
            within = np.arange(len(sb)) - np.repeat(begin, np.diff(np.r_[begin, len(sb)]))
            rows[fill[sb] + within] = first + order
            np.add.at(fill, sb[begin], np.diff(np.r_[begin, len(sb)]))
        return rows

    def _row_group(self, k: int) -> pa.Table:
        def read():
            return pq.ParquetFile(self.folder / PAIRS_FILE).read_row_group(k)

        return self._row_groups.get(k, read)

    def rows(self, rows: np.ndarray) -> pa.Table:
        """The pairs table's rows ``rows`` (any order), read by row group."""
        rows = np.asarray(rows, np.int64)
        if not len(rows):
            return pq.ParquetFile(self.folder / PAIRS_FILE).schema_arrow.empty_table()
        groups = np.searchsorted(self.row_group_starts, rows, side="right") - 1
        pieces = []
        for k in np.unique(groups):
            mine = rows[groups == k]
            pieces.append(self._row_group(int(k)).take(pa.array(mine - self.row_group_starts[k])))
        return pa.concat_tables(pieces)

    def _rows_of(self, i: int):
        """Frame ``i``'s rows of the pairs table (as frame_a, then as frame_b), as a DataFrame,
        once the index is built."""
        self.ready.wait()
        if self.error:
            raise LabelSetError(self.error)
        as_a = np.arange(self.start_a[i], self.start_a[i + 1])
        as_b = self.rows_b[self.start_b[i]:self.start_b[i + 1]]
        return self.rows(np.concatenate([as_a, as_b])).to_pandas()

    def matches(self, i: int) -> dict:
        """Frame ``i``'s pairs, each seen from ``i``: the other frame, its overlap, distance,
        heading difference and rank (3D: the coverages), in rank order (overlap falling, then
        frame id)."""
        table = self._rows_of(i)
        other = np.where(table["frame_a"].to_numpy() == i, table["frame_b"].to_numpy(), table["frame_a"].to_numpy())
        table.insert(0, "other", other)
        table = table.sort_values(["overlap", "other"], ascending=[False, True], kind="stable")
        out = []
        facing = self._facing_flag()
        for row in table.itertuples(index=False):
            j = int(row.other)
            item = {"id": j, "key": self.keys[j].as_py(), "overlap": float(row.overlap),
                    "distance_m": float(row.distance_m), "heading_diff_deg": float(row.heading_diff_deg),
                    "rank": int(row.rank), "x": _num(self.x[j]), "y": _num(self.y[j]),
                    "direction": "a" if int(row.frame_a) == i else "b",
                    "view": facing(float(row.heading_diff_deg), float(row.overlap))}
            for extra in ("cover_a", "cover_b", "shared"):
                if extra in table.columns:
                    item[extra] = float(getattr(row, extra))
            out.append(item)
        return {"frame": self.frame_info(i), "matches": out}

    def _facing_flag(self):
        """A pair's view flag, where the measure has one: with the view-consistent measure, the
        heading difference against its limit; with the plain 2D sectors, "facing" for cameras
        turned more than FACING_DEG from each other (the 2D model's false positive); none in 3D."""
        from .._figures import FACING_DEG

        if self.sector is None:
            return lambda dh, overlap: ""
        limit = getattr(self.params, "max_view_angle_deg", None)
        if limit:
            return lambda dh, overlap: f"headings > {limit:g}° apart" if dh > limit else ""
        return lambda dh, overlap: "facing: 2D false positive?" if dh > FACING_DEG and overlap > 0 else ""

    def pair(self, i: int, j: int) -> dict:
        """Frames i and j and their row of the pairs table (or null: not a pair, overlap 0)."""
        table = self._rows_of(i)
        hit = table[((table["frame_a"] == i) & (table["frame_b"] == j)) |
                    ((table["frame_a"] == j) & (table["frame_b"] == i))]
        row = None
        if len(hit):
            first = hit.sort_values("frame_a", key=lambda s: s != i).iloc[0]
            row = {k: (float(v) if isinstance(v, (float, np.floating)) else int(v)) for k, v in first.items()}
        return {"a": self.frame_info(i), "b": self.frame_info(j), "row": row,
                "pixels": bool(self.labeller.pixels), "measure": self.summary_measure(),
                "correspondences": self.correspondences is not None}

    def summary_measure(self) -> str:
        from ..io.metadata import LabelSetMetadata

        return LabelSetMetadata.from_dict(self.meta).measure

    def pair_correspondences(self, i: int, j: int, limit: int = 200) -> list:
        """Up to ``limit`` of the pair's matching pixel correspondences from the given set."""
        from ..correspondences import CORRESPONDENCES_FILE

        if self.correspondences is None:
            return []
        file = self.correspondences / CORRESPONDENCES_FILE if self.correspondences.is_dir() else self.correspondences
        table = pq.read_table(file, columns=["frame_a", "frame_b", "u_a", "v_a", "u_b", "v_b", "match"],
                              filters=[("frame_a", "=", i), ("frame_b", "=", j), ("match", "=", True)])
        rows = table.to_pandas()
        if len(rows) > limit:
            rows = rows.iloc[np.linspace(0, len(rows) - 1, limit).astype(int)]
        return rows[["u_a", "v_a", "u_b", "v_b"]].round(1).values.tolist()

    def pair_picture(self, i: int, j: int, workdir: Path) -> bytes:
        """The ``plot pair`` picture of a 3D pair (its shared pixels), drawn once."""
        from ..plot import plot_pair

        out = Path(workdir) / f"pair_{i}_{j}.png"
        if not out.exists():
            plot_pair(self.labels, i, j, out, overwrite=True, root=self.root)
        return out.read_bytes()

    def meta_info(self) -> dict:
        return {"labels": str(self.labels), "frames": self.n, "placed": int(self.placed.sum()),
                "pairs": self.n_pairs, "labeller": self.meta.get("labeller"), "geographic": self.geographic,
                "groups": self.group_names, "roles": self.role_names, "bounds": self.bounds(),
                "plane_axes": list(self.labeller.plane_axes), "pixels": bool(self.labeller.pixels),
                "sectors": self.sector is not None, "correspondences": self.correspondences is not None}


def _codes(column):
    import pandas as pd

    codes, names = pd.factorize(column.astype(object).where(column.notna(), "none"), sort=False)
    return codes.astype(np.int32), [str(n) for n in names]


def _num(v):
    v = float(v)
    return v if math.isfinite(v) else None
