"""Place classes from overlap: disjoint classes in which every member overlaps its class's
representative by at least ``min_overlap`` (for pytorch-metric-learning's ``MPerClassSampler``,
CosPlace-style classification, centroid triplet loss).

Connected components are not enough: overlap chains (a sees b, b sees c, ...) make one class of a
whole trajectory (KITTI 06 at 0.5: all 1,101 frames). Instead, classes grow around
representatives, greedily and deterministically: the unassigned frame with the most unassigned
neighbours (overlap >= min_overlap) becomes a representative and takes those neighbours; ties go
to the lower frame id; repeat until every usable frame has a class. Classes smaller than
``min_size`` are dropped (class -1).

A cross-mode label set has no database-database pairs, and its queries must not chain database
frames together: the overlaps among the database frames are computed (the label set's own
labeller and parameters, in within mode, on its dataset) and the queries are classed against
them; the report says so.
"""

from __future__ import annotations

import heapq
from pathlib import Path
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ConfigError
from .io.metadata import LabelSetMetadata


@dataclass
class ClassReport:
    classes: np.ndarray  # one class id per frame, -1: none
    min_overlap: float
    sizes: list = field(default_factory=list)
    inside_share: float = 0.0  # pairs inside a class with overlap >= min_overlap / pairs inside a class
    leakage: float = 0.0  # pairs across classes with overlap >= min_overlap / all pairs >= min_overlap
    notes: list = field(default_factory=list)
    pairs: tuple = ()  # (a, b, overlap) the classes were made from (with computed database pairs)
    representatives: list = field(default_factory=list)  # the representative frame of each class

    def lines(self) -> list[str]:
        sizes = np.array(self.sizes) if self.sizes else np.zeros(1)
        return [*self.notes,
                f"classes: {len(self.sizes)} (sizes: min {sizes.min():.0f}, median {np.median(sizes):.0f}, "
                f"mean {sizes.mean():.1f}, max {sizes.max():.0f}); frames in a class: {(self.classes >= 0).sum()}",
                f"pairs inside a class with overlap >= {self.min_overlap:g}: {self.inside_share:.1%}",
                f"leakage (pairs with overlap >= {self.min_overlap:g} across classes): {self.leakage:.1%}"]


def greedy_classes(n: int, a, b, overlap, usable, min_overlap: float, min_size: int = 1,
                   representatives: list | None = None) -> np.ndarray:
    """Class id per frame (see the module docstring); ``a, b, overlap``: each pair once.
    ``representatives``: filled with each class's representative frame, in class order."""
    strong = np.asarray(overlap) >= min_overlap
    a, b = np.asarray(a)[strong], np.asarray(b)[strong]
    neighbours = [[] for _ in range(n)]
    for x, y in zip(a.tolist(), b.tolist()):
        neighbours[x].append(y)
        neighbours[y].append(x)
    usable = np.asarray(usable, bool)
    free = usable.copy()
    degree = np.array([sum(free[y] for y in nb) for nb in neighbours])
    heap = [(-int(degree[i]), i) for i in np.flatnonzero(usable).tolist()]
    heapq.heapify(heap)
    classes = np.full(n, -1, np.int64)
    reps: list = []
    next_id = 0
    while heap:
        d, rep = heapq.heappop(heap)
        if not free[rep]:
            continue
        current = sum(free[y] for y in neighbours[rep])
        if -d != current:  # stale entry: push it back with its current count
            heapq.heappush(heap, (-current, rep))
            continue
        members = [rep] + [y for y in neighbours[rep] if free[y]]
        for m in members:
            free[m] = False
        classes[members] = next_id
        reps.append(rep)
        next_id += 1
    if min_size > 1:
        ids, counts = np.unique(classes[classes >= 0], return_counts=True)
        small = set(ids[counts < min_size].tolist())
        classes = np.where(np.isin(classes, list(small)), -1, classes)
        kept = np.unique(classes[classes >= 0])
        remap = {c: i for i, c in enumerate(kept.tolist())}
        classes = np.array([remap.get(c, -1) for c in classes.tolist()], np.int64)
        reps = [reps[c] for c in kept.tolist()]
    if representatives is not None:
        representatives[:] = reps
    return classes


def class_quality(classes, a, b, overlap, min_overlap: float) -> tuple[float, float]:
    """(share of same-class pairs with overlap >= min_overlap, leakage): pairs as listed (absent
    pairs have overlap 0). Same-class pairs absent from the list count as below the threshold."""
    classes = np.asarray(classes)
    a, b, v = np.asarray(a), np.asarray(b), np.asarray(overlap)
    ca, cb = classes[a], classes[b]
    strong = v >= min_overlap
    same = (ca == cb) & (ca >= 0)
    ids, counts = np.unique(classes[classes >= 0], return_counts=True)
    same_pairs = float((counts * (counts - 1) / 2).sum())
    inside = (same & strong).sum() / same_pairs if same_pairs else 0.0
    leak = (strong & ~same).sum() / max(strong.sum(), 1)
    return float(inside), float(leak)


def place_classes(labels, min_overlap: float = 0.5, min_size: int = 1, *, root=None) -> ClassReport:
    """Place classes of a label set (see the module docstring), with their quality report.
    ``root``: the dataset's folder where it has moved (a cross-mode set reads the dataset again)."""
    from ._args import check_args
    from .io.reading import read_label_frames, read_pairs

    check_args(labels=(labels, "path"), min_overlap=(min_overlap, float), min_size=(min_size, int),
               root=(root, "path?"))
    if not 0.0 < min_overlap <= 1.0:
        raise ConfigError(f"min_overlap must be in (0, 1]; got {min_overlap:g}")
    if int(min_size) < 1:
        raise ConfigError(f"min_size must be >= 1; got {min_size}")
    pairs, frames = read_pairs(labels), read_label_frames(labels)
    meta = pairs.attrs["fovlabel"]
    notes = []
    modes = LabelSetMetadata.from_dict(meta).modes
    a, b, v = (pairs[c].to_numpy() for c in ("frame_a", "frame_b", "overlap"))
    if "cross" in modes.values():
        extra = _database_pairs(meta, frames, root)
        notes.append(f"cross mode: the label set has no database-database pairs; computed {len(extra):,} of "
                     f"them ({meta['labeller']}, within mode, on {meta['input']['path']}) rather than "
                     "chaining database frames through queries")
        a, b = np.concatenate([a, extra["frame_a"].to_numpy()]), np.concatenate([b, extra["frame_b"].to_numpy()])
        v = np.concatenate([v, extra["overlap"].to_numpy()])
    reps: list = []
    classes = greedy_classes(len(frames), a, b, v, frames["usable"].to_numpy(), min_overlap, min_size, reps)
    inside, leak = class_quality(classes, a, b, v, min_overlap)
    sizes = np.unique(classes[classes >= 0], return_counts=True)[1].tolist()
    return ClassReport(classes, min_overlap, sizes, inside, leak, notes, (a, b, v), reps)


def _database_pairs(meta, frames, root=None) -> pd.DataFrame:
    """Database x database pairs of a cross-mode label set, computed with its own labeller on
    its dataset (checked to be the one labelled: io.reading.dataset_root_of)."""
    from .api import annotate
    from .io.reading import dataset_root_of

    run, params = meta.get("run") or {}, meta.get("params") or {}
    if not params:
        raise ConfigError("classes of a cross-mode label set need its parameters: regenerate it with "
                          "fovlabel >= 0.2 (schema version 2)")
    inp = meta["input"]
    folder = dataset_root_of(meta, root, frames["source_file"].unique())
    recorded = Path(inp["path"])  # a dataset file (a CSV) or folder; where it has moved, under root
    if root is None:
        dataset = recorded
    else:
        dataset = folder / recorded.name if (folder / recorded.name).is_file() else folder
    settings = {k: v for k, v in run.items() if k in ("positive", "chunk_frames")}
    pairs = annotate(dataset, inp["format"], labeller=meta["labeller"], mode="within",
                     reader_options=inp.get("reader_options") or {}, **settings, **params)
    role = frames["role"].to_numpy(dtype=object)
    keep = (role[pairs["frame_a"].to_numpy()] == "database") & (role[pairs["frame_b"].to_numpy()] == "database")
    return pairs[keep]


def cell_classes(frames, cell_m: float = 10.0, heading_bin_deg: float = 30.0) -> np.ndarray:
    """CosPlace-style classes: the UTM (or plane) cell of ``cell_m`` x a heading bin, per group."""
    x = frames["x_m"].to_numpy(np.float64, na_value=np.nan)
    y = frames["y_m"].to_numpy(np.float64, na_value=np.nan)
    h = frames["grid_heading_deg"].to_numpy(np.float64, na_value=np.nan)
    if np.isnan(x).all():  # pose sets: the ground-plane placement
        x, y, h = (frames[c].to_numpy(np.float64, na_value=np.nan) for c in ("plane_x_m", "plane_y_m",
                                                                               "plane_heading_deg"))
    ok = frames["usable"].to_numpy() & np.isfinite(x) & np.isfinite(y) & np.isfinite(h)
    key = pd.Series(list(zip(frames["group"], np.floor(x / cell_m), np.floor(y / cell_m),
                             np.floor(np.mod(h, 360.0) / heading_bin_deg))))
    codes = pd.factorize(key)[0]
    return np.where(ok, codes, -1)


CLASSES_KEY = b"fovlabel_classes"


def classes_table(labels, report: ClassReport):
    """frame_id, key, group, class (-1: none), image_path as a pyarrow Table with the report as
    metadata (absolute paths: io.reading.image_paths)."""
    import json

    import pyarrow as pa

    from .io.reading import read_label_frames, read_pairs

    frames = read_label_frames(labels)
    meta = {"label_set_id": read_pairs(labels).attrs["fovlabel"].get("label_set_id"),
            "min_overlap": report.min_overlap, "classes": len(report.sizes), "inside_share": report.inside_share,
            "leakage": report.leakage, "notes": report.notes}
    table = pa.table({"frame_id": frames["frame_id"].to_numpy(np.int32), "key": frames["key"].astype(str),
                      "group": frames["group"].astype(str), "class": report.classes.astype(np.int64),
                      # the image, relative to the dataset's images folder, as the frames table names it
                      "image_path": pa.array(frames["image_path"].astype(object).where(frames["image_path"].notna(), None)
                                             .tolist(), pa.string())})
    return table.replace_schema_metadata({CLASSES_KEY: json.dumps(meta).encode()})


def write_classes_file(labels, out, report: ClassReport, *, overwrite: bool = False):
    """Write the classes as one Parquet file, atomically; an existing file is replaced only with
    ``overwrite`` and only when it is a fovlabel classes file (io.output.write_own_file)."""
    import pyarrow.parquet as pq

    from .io.output import write_own_file

    return write_own_file(out, ".parquet", lambda p: CLASSES_KEY in (pq.read_schema(p).metadata or {}),
                          lambda tmp: pq.write_table(classes_table(labels, report), tmp),
                          ours="a fovlabel classes file",
                          wrong_suffix="the classes file is Parquet (name it .parquet); for CSV too, use "
                                       "fovlabel export --to classes", overwrite=overwrite)
