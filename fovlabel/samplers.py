"""Samplers for the losses that consume graded labels: plain Python and numpy, no torch import.

Each is an iterable that torch's ``DataLoader`` accepts (``sampler=`` for index tuples,
``batch_sampler=`` for lists of indices); seeded, so that the same seed gives the same draws.
Indices are frame ids of the label set (``frames.parquet``'s ``frame_id``, its row position).
All are built from a label set's folder (or its pairs and frames tables): absent pairs have
overlap 0 (hard negatives), as the label set says. With ``with_paths=True`` the pair and tuple
samplers follow each draw's frame ids with their images' absolute paths.

- :class:`GCLPairSampler`: per query a positive / soft negative / hard negative partner with
  p = 0.5 / 0.25 / 0.25 (the Generalized Contrastive Loss paper's MSLS sampling), yielding
  ``(query, match, overlap)``;
- :class:`OverlapBinSampler`: n pairs per overlap bin ``(lo, hi]`` (glue-factory / LoFTR style);
- :class:`PKSampler`: batches of P place classes x K frames (centroid triplet loss; the semantics
  of pytorch-metric-learning's ``MPerClassSampler``);
- :class:`TupleSampler`: ``(anchor, positive, negative)`` triplets, or quadruplets with a second
  negative overlapping neither the anchor nor the first negative.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .errors import ConfigError


def _positive(meta: dict) -> float:
    from .io.metadata import LabelSetMetadata

    return LabelSetMetadata.from_dict(meta).positive


def _tables(labels=None, pairs=None, frames=None):
    if labels is not None:
        from .io.reading import read_label_frames, read_pairs

        pairs, frames = read_pairs(labels), read_label_frames(labels)
    if pairs is None or frames is None:
        raise ConfigError("a sampler needs a label set folder, or its pairs and frames tables")
    return pairs, frames


class _Sampler:
    """What the samplers built on a label set share: with ``with_paths``, each draw's frame ids are
    followed by their images' absolute paths (io.reading.image_paths; ``root``: where the dataset
    has moved), so that nobody joins them with the frames by hand."""

    #: how many leading items of a draw are frame ids (None: all)
    _ids: int | None = 2
    _paths = None

    def _path_setup(self, labels, with_paths: bool, root) -> None:
        if with_paths:
            if labels is None:
                raise ConfigError("with_paths needs the label set folder (labels=...), where the images are named")
            from .io.reading import image_paths

            self._paths = image_paths(labels, root=root)

    def __iter__(self):
        if self._paths is None:
            yield from self._draws()
            return
        for draw in self._draws():
            ids = draw if self._ids is None else draw[:self._ids]
            yield (*draw, *(self._paths[i] for i in ids))

    def _draws(self):
        raise NotImplementedError


class _Overlaps:
    """Overlap of any pair of frames: the table's value, 0 where absent. A within-mode row
    (a, b) also gives (b, a), unless the table holds that row itself (an ioa label set)."""

    def __init__(self, pairs, frames):
        self.n = len(frames)
        self.partners = defaultdict(dict)
        for a, b, v in zip(pairs["frame_a"].tolist(), pairs["frame_b"].tolist(), pairs["overlap"].tolist()):
            self.partners[a][b] = v
            self.partners[b].setdefault(a, v)
        self.group = frames["group"].to_numpy(dtype=object)
        self.role = frames["role"].to_numpy(dtype=object)
        self.usable = frames["usable"].to_numpy(bool)
        self.by_group = {g: np.flatnonzero((self.group == g) & self.usable) for g in set(self.group)}

    def overlap(self, a, b) -> float:
        return self.partners.get(a, {}).get(b, 0.0)

    def candidates(self, q) -> np.ndarray:
        """The frames q may be paired with: its group's usable frames (the database in cross mode)."""
        members = self.by_group[self.group[q]]
        if self.role[q] == "query":
            members = members[self.role[members] == "database"]
        return members[members != q]


def _hard(ov: _Overlaps, q, rng, exclude=()):
    """A uniformly drawn candidate of q with overlap 0 (absent, or a kept zero), or None."""
    cands = ov.candidates(q)
    nonzero = {b for b, v in ov.partners.get(q, {}).items() if v > 0}
    if len(cands) - len(nonzero & set(cands.tolist())) <= 0:
        return None
    for _ in range(64):  # rejection: most candidates of a street or room are hard negatives
        c = int(cands[rng.integers(len(cands))])
        if c not in nonzero and c not in exclude and all(ov.overlap(c, e) == 0 for e in exclude):
            return c
    free = [int(c) for c in cands if c not in nonzero and c not in exclude and
            all(ov.overlap(int(c), e) == 0 for e in exclude)]
    return int(free[rng.integers(len(free))]) if free else None


class GCLPairSampler(_Sampler):
    """(query, match, overlap) per query: the match's class drawn with ``p`` = (positive, soft,
    hard); positive: overlap >= ``positive``; soft: 0 < overlap < positive; hard: overlap 0
    (absent or kept zeros), drawn among the query's candidates (its group's database in cross
    mode, the group's other frames in within mode). A query whose drawn class is empty is skipped,
    as GCL's loader does. Queries: the label set's queries (cross mode) or all usable frames."""

    def __init__(self, labels=None, *, pairs=None, frames=None, p=(0.5, 0.25, 0.25), positive=None,
                 seed=0, epochs=1, with_paths=False, root=None):
        pairs, frames = _tables(labels, pairs, frames)
        self._path_setup(labels, with_paths, root)
        if len(p) != 3 or abs(sum(p) - 1.0) > 1e-9 or min(p) < 0:
            raise ConfigError(f"p must be three probabilities summing to 1; got {p}")
        self.ov = _Overlaps(pairs, frames)
        meta = pairs.attrs.get("fovlabel", {})
        self.positive = float(positive if positive is not None else _positive(meta))
        self.p, self.seed, self.epochs = tuple(p), seed, epochs
        queries = np.flatnonzero(self.ov.usable & (self.ov.role == "query"))
        self.queries = queries if len(queries) else np.flatnonzero(self.ov.usable)
        self._classes = {}
        for q in self.queries.tolist():
            ps = [(b, v) for b, v in self.ov.partners.get(q, {}).items() if v >= self.positive]
            ss = [(b, v) for b, v in self.ov.partners.get(q, {}).items() if 0 < v < self.positive]
            self._classes[q] = (ps, ss)

    def _draws(self):
        rng = np.random.default_rng(self.seed)
        for _ in range(self.epochs):
            for q in rng.permutation(self.queries).tolist():
                kind = rng.choice(3, p=self.p)
                if kind == 2:
                    h = _hard(self.ov, q, rng)
                    if h is not None:
                        yield q, h, 0.0
                    continue
                pool = self._classes[q][kind]
                if pool:
                    b, v = pool[rng.integers(len(pool))]
                    yield q, b, v

    def __len__(self):
        return len(self.queries) * self.epochs


class OverlapBinSampler(_Sampler):
    """``n_per_bin`` pairs ``(a, b, overlap)`` from each overlap bin ``(lo, hi]`` of ``bins``
    (edges), as glue-factory and LoFTR sample; a bin holding fewer than ``n_per_bin`` pairs is
    skipped, as glue-factory does. ``negatives``: a share of extra pairs with overlap 0."""

    def __init__(self, labels=None, *, pairs=None, frames=None, bins=(0.1, 0.3, 0.5, 0.7), n_per_bin=100,
                 negatives=0.0, seed=0, with_paths=False, root=None):
        pairs, frames = _tables(labels, pairs, frames)
        self._path_setup(labels, with_paths, root)
        edges = np.asarray(bins, np.float64)
        if len(edges) < 2 or np.any(np.diff(edges) <= 0):
            raise ConfigError(f"bins must be at least two increasing edges; got {tuple(bins)}")
        self.ov = _Overlaps(pairs, frames)
        self.a = pairs["frame_a"].to_numpy(np.int64)
        self.b = pairs["frame_b"].to_numpy(np.int64)
        self.v = pairs["overlap"].to_numpy(np.float64)
        self.edges, self.n, self.negatives, self.seed = edges, int(n_per_bin), float(negatives), seed
        self.skipped = [(float(lo), float(hi)) for lo, hi in zip(edges[:-1], edges[1:])
                        if ((self.v > lo) & (self.v <= hi)).sum() < self.n]

    def _draws(self):
        rng = np.random.default_rng(self.seed)
        out = []
        for lo, hi in zip(self.edges[:-1], self.edges[1:]):
            idx = np.flatnonzero((self.v > lo) & (self.v <= hi))
            if len(idx) < self.n:
                continue
            for k in rng.choice(idx, self.n, replace=False).tolist():
                out.append((int(self.a[k]), int(self.b[k]), float(self.v[k])))
        for _ in range(int(round(self.negatives * len(out)))):
            q = int(rng.choice(np.flatnonzero(self.ov.usable)))
            h = _hard(self.ov, q, rng)
            if h is not None:
                out.append((q, h, 0.0))
        yield from (out[i] for i in rng.permutation(len(out)))


class PKSampler:
    """Batches of ``p`` classes x ``k`` frames (a ``batch_sampler=``): classes drawn without
    replacement within a batch, members without replacement where a class has ``k`` or more, with
    replacement otherwise (pytorch-metric-learning's ``MPerClassSampler`` semantics).
    ``classes``: one class id per frame (e.g. from :func:`fovlabel.classes.place_classes`; -1 = none)."""

    def __init__(self, classes, p: int, k: int, *, batches: int | None = None, seed=0):
        classes = np.asarray(classes)
        self.members = {c: np.flatnonzero(classes == c) for c in np.unique(classes) if c != -1}
        if p < 1 or k < 1:
            raise ConfigError(f"p and k must be >= 1; got {p}, {k}")
        if len(self.members) < p:
            raise ConfigError(f"a batch needs {p} classes; there are {len(self.members)}")
        self.p, self.k, self.seed = p, k, seed
        self.batches = batches if batches is not None else max(1, sum(map(len, self.members.values())) // (p * k))

    def __iter__(self):
        rng = np.random.default_rng(self.seed)
        ids = list(self.members)
        for _ in range(self.batches):
            batch = []
            for c in rng.choice(len(ids), self.p, replace=False):
                m = self.members[ids[c]]
                batch += rng.choice(m, self.k, replace=len(m) < self.k).tolist()
            yield batch

    def __len__(self):
        return self.batches


class TupleSampler(_Sampler):
    """(anchor, positive, negative) per anchor with a positive partner: the positive drawn among
    its rank-2 partners (overlap >= ``positive``), the negative among its candidates with overlap 0;
    with ``quadruplets``, a second negative overlapping neither the anchor nor the first negative
    (PointNetVLAD's quadruplet). Anchors without a positive or a negative are skipped."""

    _ids = None  # every item is a frame id

    def __init__(self, labels=None, *, pairs=None, frames=None, positive=None, quadruplets=False, seed=0,
                 with_paths=False, root=None):
        pairs, frames = _tables(labels, pairs, frames)
        self._path_setup(labels, with_paths, root)
        self.ov = _Overlaps(pairs, frames)
        meta = pairs.attrs.get("fovlabel", {})
        self.positive = float(positive if positive is not None else _positive(meta))
        self.quadruplets, self.seed = quadruplets, seed
        self.anchors = [q for q in np.flatnonzero(self.ov.usable).tolist()
                        if any(v >= self.positive for v in self.ov.partners.get(q, {}).values())]

    def _draws(self):
        rng = np.random.default_rng(self.seed)
        for q in rng.permutation(self.anchors).tolist():
            pos = [b for b, v in self.ov.partners[q].items() if v >= self.positive]
            p = int(pos[rng.integers(len(pos))])
            n1 = _hard(self.ov, q, rng)
            if n1 is None:
                continue
            if not self.quadruplets:
                yield q, p, n1
                continue
            n2 = _hard(self.ov, q, rng, exclude=(n1,))
            if n2 is not None:
                yield q, p, n1, n2
