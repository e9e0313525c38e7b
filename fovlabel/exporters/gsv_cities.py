"""``gsv-cities``: places defined by overlap, in the GSV-Cities layout (amaralibey/gsv-cities),
which MixVPR, SALAD, BoQ, CliqueMining and OpenVPRLab train on.

GSV-Cities trains by batches of P places x K images, every other place of the batch a negative.
So a place must be a set of images that truly show one place, and two places of one city must
share nothing, or the loss learns from false negatives. Here (:func:`overlap_places`):

- a place is a set of ``min_images`` to ``max_images`` frames in which **every pair overlaps by at
  least** ``min_overlap``;
- **no pair of frames from two different places of one city overlaps at all**; frames that overlap
  a place without belonging to it are left out (the summary counts them).

Places are grown greedily (:func:`overlap_places`): each takes a seed's free partners in order
of overlap with the seed while every pair stays above ``min_overlap``; the places that retire
fewest frames for their size come first; a place that reaches ``min_images`` is kept and the
frames overlapping it are retired. Within-mode label sets only (a place's every
pair must have been labelled), with a symmetric measure (iou).

Files: ``Dataframes/<city_id>.csv`` (``place_id, year, month, northdeg, city_id, lat, lon,
panoid``; ``place_id`` < 100,000 a city, as the loader concatenates cities with
``place_id += i * 10^5``) and ``Images/<city_id>/<name>``, a relative link (or ``copy``) per
frame, named as ``GSVCitiesDataset.get_img_name`` builds it from the CSV **as pandas reads it
back**: ``city_id + '_' + str(place_id % 10^5).zfill(7) + '_' + str(year).zfill(4) + '_' +
str(month).zfill(2) + '_' + str(northdeg).zfill(3) + '_' + str(lat) + '_' + str(lon) + '_' +
panoid + '.jpg'``. The loader joins these by string concatenation, so ``city_id`` and ``panoid``
must read back as text: ``panoid`` is ``k`` + the escaped frame key (MSLS keys are digits, which
pandas reads as numbers), and a city whose name reads as a number gets a ``c`` in front. ``year``
and ``month`` come from the frame's time (UTC), 0 where unknown; ``northdeg`` is the compass
heading in whole degrees.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..io.paths import inside, safe_name
from ..io.utm_names import escape_key
from .base import ExportOptions, Exporter, link_into, param, require_mode

MAX_PLACES = 100_000


@dataclass(frozen=True)
class GsvCitiesOptions(ExportOptions):
    min_overlap: float = param(0.5, "Every pair of a place overlaps at least this much, (0, 1].")
    min_images: int = param(4, "Images a place at least (GSV-Cities' loader drops smaller places).")
    max_images: int = param(20, "Images a place at most.")
    copy: bool = param(False, "Copy the images instead of linking them.")

    def validate(self):
        if not 0.0 < self.min_overlap <= 1.0:
            raise ConfigError(f"min_overlap must be in (0, 1]; got {self.min_overlap:g}")
        if not 2 <= self.min_images <= self.max_images:
            raise ConfigError(f"need 2 <= min_images <= max_images; got {self.min_images}, {self.max_images}")


#: the weights of the retired frames in a place's score that overlap_places tries (the best
#: for each connected part of the overlap graph is kept)
COST_WEIGHTS = (0.125, 0.25, 0.5)


def overlap_places(n: int, a, b, overlap, usable, min_overlap: float, min_images: int, max_images: int):
    """Place of each of ``n`` frames (-1: none) from symmetric pairs (a, b, overlap) (module
    docstring): every pair inside a place >= ``min_overlap``, no pair across places > 0.

    Greedy (:func:`_greedy_places`) with a few weights of the frames a place retires
    (COST_WEIGHTS); the parts of the overlap graph that share no pair are independent, so each
    part keeps the weight that keeps most of its frames. The measured figures are in
    benchmarks/bench_gsv_places.py, with the exact optimum (an integer program) beside them."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    overlap = np.asarray(overlap, np.float64)
    if n == 0:
        return np.zeros(0, np.int64)
    graph = _Graph(n, a, b, overlap, min_overlap)
    touching = overlap > 0
    _, part = connected_components(coo_matrix((np.ones(int(touching.sum())), (a[touching], b[touching])),
                                              shape=(n, n)), directed=False)
    best, kept = None, None
    for weight in COST_WEIGHTS:
        place = _greedy_places(graph, usable, min_images, max_images, weight)
        in_part = np.bincount(part, weights=place >= 0, minlength=part.max() + 1)
        if best is None:
            best, kept = place, in_part
            continue
        better = in_part > kept  # each part its best weight; ties keep the earlier
        take = better[part]
        best = np.where(take, place + best.max() + 1, best)
        best[take & (place < 0)] = -1
        kept = np.maximum(kept, in_part)
    return _renumber(best)


class _Graph:
    """The pairs as a graph: each frame's partners with overlap >= ``min_overlap`` (most
    overlapping first) and its neighbours with overlap > 0."""

    def __init__(self, n, a, b, overlap, min_overlap):
        strong, touching = overlap >= min_overlap, overlap > 0
        self.partners: list[dict] = [dict() for _ in range(n)]
        for i, j, v in zip(a[strong].tolist(), b[strong].tolist(), overlap[strong].tolist()):
            self.partners[i][j] = v
            self.partners[j][i] = v
        self.order = [sorted(p, key=lambda j, p=p: (-p[j], j)) for p in self.partners]
        self.neighbours: list[set] = [set() for _ in range(n)]
        for i, j in zip(a[touching].tolist(), b[touching].tolist()):
            self.neighbours[i].add(j)
            self.neighbours[j].add(i)


def _greedy_places(graph: _Graph, usable, min_images: int, max_images: int, weight: float) -> np.ndarray:
    """Places taken best first: a seed's place is its free partners, most overlapping first,
    while every pair stays strong; its score is its size less ``weight`` x the free frames it
    would retire (those overlapping it from outside). After each take, every seed whose place or
    cost the retired frames touch is scored again (either may have changed, up or down), so the
    place taken is always the best of the moment."""
    import heapq

    n = len(graph.partners)
    place = np.full(n, -1, np.int64)
    retired = ~np.asarray(usable, bool).copy()
    partners, neighbours = graph.partners, graph.neighbours

    def grow(seed):
        members = [seed]
        for j in graph.order[seed]:
            if len(members) == max_images:
                break
            if not retired[j] and all(j in partners[m] for m in members[1:]):
                members.append(j)
        if len(members) < min_images:
            return None, 0.0
        outside = set().union(*(neighbours[m] for m in members)).difference(members)
        return members, len(members) - weight * sum(1 for j in outside if not retired[j])

    version = np.zeros(n, np.int64)
    heap: list = []

    def score(seed):
        version[seed] += 1  # an entry of an older version is stale
        if not retired[seed] and len(partners[seed]) + 1 >= min_images:
            members, value = grow(seed)
            if members is not None:
                heapq.heappush(heap, (-value, seed, int(version[seed])))

    for seed in range(n):
        score(seed)
    count = 0
    while heap:
        _, seed, stamp = heapq.heappop(heap)
        if stamp != version[seed] or retired[seed]:
            continue
        members, _ = grow(seed)
        place[members] = count
        count += 1
        newly = {j for m in members for j in neighbours[m] if not retired[j]} | set(members)
        retired[list(newly)] = True  # whatever overlaps this place can belong to no other
        # a seed's place changes when a partner retires, its cost when a member's neighbour does:
        # the seeds that are, or are strong partners of, a neighbour of a retired frame
        near = set().union(*(neighbours[j] for j in newly))
        for s in near.union(*(partners[j].keys() for j in near)):
            if not retired[s]:
                score(s)
    return place


def _renumber(place: np.ndarray) -> np.ndarray:
    """Places numbered 0, 1, ... in order of their first frame (-1 stays)."""
    out = np.full(len(place), -1, np.int64)
    kept = place >= 0
    _, first, inverse = np.unique(place[kept], return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first, kind="stable"), kind="stable")
    out[kept] = rank[inverse]
    return out


def _text_safe(value: str, prefix: str) -> str:
    """``value`` as text pandas reads back as text (not a number, a bool or a missing value)."""
    probe = pd.read_csv(io.StringIO(f"x\n{value}\n"))["x"]
    return value if isinstance(probe.iloc[0], str) and probe.iloc[0] == value else prefix + value


class GsvCities(Exporter):
    name = "gsv-cities"
    summary = "GSV-Cities places by overlap: Dataframes/<city>.csv + Images/<city>/ (MixVPR, SALAD, BoQ)"
    Options = GsvCitiesOptions

    def check(self, labels, options):
        require_mode(labels, "within", "gsv-cities needs every pair of a city labelled: a within-mode label set "
                                       "(annotate --mode within)")
        if not labels.metadata.symmetric:
            raise ConfigError(f"gsv-cities needs a symmetric measure (iou); this label set uses "
                              f"{labels.metadata.measure}")
        frames = labels.frames
        usable = frames["usable"].to_numpy()
        if not frames.loc[usable, "image_path"].notna().any():
            raise ConfigError("gsv-cities links the frames' images; this label set's frames name none")

    def places(self, labels, options) -> np.ndarray:
        """Each frame's place; only frames whose image is in the dataset take part."""
        frames, pairs = labels.frames, labels.pairs
        root = labels.image_root
        present = np.array([isinstance(p, str) and (root / p).is_file() for p in frames["image_path"]], bool)
        missing = int((frames["usable"].to_numpy() & ~present).sum())
        if missing:
            labels.notes.append(f"{missing:,} usable frame(s) have no image in the dataset: they take no part")
        return overlap_places(len(frames), pairs["frame_a"], pairs["frame_b"], pairs["overlap"],
                              frames["usable"].to_numpy() & present,
                              options.min_overlap, options.min_images, options.max_images)

    def write(self, folder, labels, options):
        frames = labels.frames
        place = self.places(labels, options)
        files, kept, places_total = [], 0, 0
        lat = frames["lat"].to_numpy(np.float64, na_value=np.nan)
        lon = frames["lon"].to_numpy(np.float64, na_value=np.nan)
        heading = frames["heading_deg"].to_numpy(np.float64, na_value=np.nan)
        if np.isnan(heading).all():
            heading = frames["plane_heading_deg"].to_numpy(np.float64, na_value=np.nan)
        stamps = pd.to_datetime(frames["timestamp_s"].to_numpy(np.float64, na_value=np.nan), unit="s", utc=True)
        for group in dict.fromkeys(frames["group"]):
            mine = np.flatnonzero((frames["group"] == group).to_numpy() & (place >= 0))
            usable = int(((frames["group"] == group) & frames["usable"]).sum())
            ids = {p: k for k, p in enumerate(dict.fromkeys(place[mine].tolist()))}
            if len(ids) >= MAX_PLACES:
                raise ConfigError(f"city {group!r} has {len(ids):,} places; GSV-Cities' loader takes fewer than "
                                  f"{MAX_PLACES:,} a city: split the city into groups")
            city = _text_safe(safe_name(group), "c")
            table = pd.DataFrame({
                "place_id": [ids[p] for p in place[mine]],
                "year": np.where(stamps[mine].isna(), 0, stamps[mine].year.fillna(0)).astype(int),
                "month": np.where(stamps[mine].isna(), 0, stamps[mine].month.fillna(0)).astype(int),
                "northdeg": np.where(np.isfinite(heading[mine]), np.round(np.nan_to_num(heading[mine])) % 360, 0)
                .astype(int),
                "city_id": city,
                "lat": np.where(np.isfinite(lat[mine]), lat[mine], 0.0),
                "lon": np.where(np.isfinite(lon[mine]), lon[mine], 0.0),
                "panoid": ["k" + escape_key(k) for k in frames["key"].to_numpy(dtype=object)[mine]],
            })
            csv = f"Dataframes/{city}.csv"
            inside(folder, csv).parent.mkdir(parents=True, exist_ok=True)
            table.to_csv(inside(folder, csv), index=False)
            files.append(csv)
            back = pd.read_csv(inside(folder, csv))  # the names come from what the loader reads
            for k, (_, row) in enumerate(back.iterrows()):
                name = image_name(row)
                relative = f"Images/{city}/{name}"
                source = labels.image_root / frames["image_path"].iloc[mine[k]]
                if options.copy:
                    inside(folder, relative).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, inside(folder, relative))
                else:
                    link_into(folder, relative, source, labels.destination)
                files.append(relative)
            kept += len(mine)
            places_total += len(ids)
            labels.notes.append(f"{city}: {len(ids):,} places of {options.min_images}-{options.max_images} frames "
                                f"({len(mine):,} of {usable:,} usable frames); {usable - len(mine):,} left out "
                                f"(between places, or in no place of {options.min_images})")
        return files


def image_name(row) -> str:
    """The image name GSV-Cities' loader builds from one CSV row as pandas reads it (row.place_id
    in a column here; the loader has it as the index)."""
    place = str(int(row["place_id"]) % 10**5).zfill(7)
    return (row["city_id"] + "_" + place + "_" + str(row["year"]).zfill(4) + "_" + str(row["month"]).zfill(2) + "_" +
            str(row["northdeg"]).zfill(3) + "_" + str(row["lat"]) + "_" + str(row["lon"]) + "_" + row["panoid"] +
            ".jpg")
