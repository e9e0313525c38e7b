"""Set overlaps from a frame x element incidence matrix: which frames share which elements
(voxels, SfM points), counted for a block of anchor frames against its targets.

Pairs come from the data, never from a loop over pairs. A block of anchors is counted against its
targets in blocks of at most :data:`TARGET_ENTRIES` elements, each either by walking the anchors'
element lists (cost: the sum over elements of anchors-seeing x targets-seeing) or with bitsets
(cost: anchors x targets x elements / 64), whichever is cheaper for that block. Both kernels
release the GIL, so threads count blocks side by side.

Memory does not grow with the number of frames: :class:`IncidenceBuilder` spills each frame's keys
to a folder as they come, keeps only the sorted vocabulary of distinct keys, and then writes the
rows as compact ids (int32 while fewer than 2^31 distinct elements, else int64) to one file there;
blocks read their rows from that file (np.memmap, dropped after each read). Without a folder the
rows stay in memory. Any labeller whose frames observe sets (voxels, tracks, a frustum's cells)
uses this.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: a list walk's step costs about this many bitset words: an estimate, which changes which path a
#: block takes (its speed), never the counts
SPARSE_WEIGHT = 8.0
#: the list walk's cost is estimated from every COST_STEP-th target element (the estimate took as
#: long as a count; it picks a path, which changes the speed, never the counts)
COST_STEP = 16
#: bitset path: targets per block (the counts are anchors x this), and the most memory for bitsets
TARGET_BLOCK = 4096
BITSET_BYTES = 16 * 2**20
#: elements of the targets read at once (their rows' ids: 4-8 bytes each); callers bound their
#: anchor blocks the same way (row_blocks), so a count's memory does not depend on the frames
TARGET_ENTRIES = 1 << 21
#: keys held before they are merged into the vocabulary (builder)
MERGE_KEYS = 1 << 19
INT32_COLUMNS = 2**31 - 1


@dataclass
class Incidence:
    """CSR rows, one per frame: the sorted element ids (0..n_columns-1) the frame observes.

    ``indices`` in memory, or (``path``) in a file of ``dtype`` ids that rows are read from; a
    file-backed matrix pickles as its path (worker processes and Dask workers that see the same
    file system read the same file)."""

    indptr: np.ndarray
    indices: np.ndarray | None
    n_columns: int
    path: str | None = None
    dtype: str = "int64"

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.indptr)

    @classmethod
    def from_sets(cls, sets, folder=None) -> "Incidence":
        """From one sorted unique int64 key array per frame (None: observes nothing)."""
        builder = IncidenceBuilder(len(sets), folder)
        for i, keys in enumerate(sets):
            if keys is not None:
                builder.add(i, keys)
        return builder.finish()

    def _ids(self):
        if self.path is None:
            return self.indices
        if os.path.getsize(self.path) == 0:
            return np.zeros(0, self.dtype)
        return np.memmap(self.path, dtype=self.dtype, mode="r")

    def rows(self, rows) -> tuple[np.ndarray, np.ndarray]:
        """(indptr, ids) of the given rows as a CSR block, in memory."""
        rows = np.asarray(rows, np.int64)
        start, stop = self.indptr[rows], self.indptr[rows + 1]
        lengths = stop - start
        ptr = np.zeros(len(rows) + 1, np.int64)
        np.cumsum(lengths, out=ptr[1:])
        if len(rows) and (np.diff(rows) == 1).all():  # consecutive rows: one slice
            if self.path is None:
                return ptr, self.indices[start[0]:stop[-1]].copy()
            # read, not mapped: no page faults, and nothing of the file stays in this process
            dtype = np.dtype(self.dtype)
            return ptr, np.fromfile(self.path, dtype, count=int(stop[-1] - start[0]),
                                    offset=int(start[0]) * dtype.itemsize)
        ids = self._ids()
        out = np.asarray(ids[np.repeat(start - ptr[:-1], lengths) + np.arange(ptr[-1])])
        del ids  # unmaps a file-backed matrix: its pages leave this process's memory
        return ptr, out


class IncidenceBuilder:
    """Builds an :class:`Incidence` from frames' sorted unique int64 keys, one frame at a time
    (frames in increasing order; a frame not added observes nothing).

    With ``folder``, keys are spilled there as they come and the finished matrix lives in one file
    of ids there (removed with the folder); memory holds the vocabulary of distinct keys and at
    most :data:`MERGE_KEYS` pending keys. Without, everything stays in memory."""

    def __init__(self, n_frames: int, folder=None):
        self.sizes = np.zeros(n_frames, np.int64)
        self.folder = None if folder is None else Path(folder)
        self.vocabulary = np.zeros(0, np.int64)
        self._pending: list = []
        self._pending_keys = 0
        self._kept: list = []  # in memory: every frame's keys
        self._last = -1
        self._spill = None
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._name = uuid.uuid4().hex[:12]
            self._spill = open(self.folder / f"keys-{self._name}.i64", "wb")

    def add(self, i: int, keys: np.ndarray) -> None:
        if i <= self._last:
            raise ValueError(f"frames must be added in increasing order; got {i} after {self._last}")
        self._last = i
        keys = np.asarray(keys, np.int64)
        self.sizes[i] = len(keys)
        if not len(keys):
            return
        if self._spill is not None:
            self._spill.write(memoryview(np.ascontiguousarray(keys)))  # no copy
        else:
            self._kept.append(keys)
        self._pending.append(keys)
        self._pending_keys += len(keys)
        if self._pending_keys >= MERGE_KEYS:
            self._merge()

    def _merge(self) -> None:
        """The pending keys into the vocabulary: sorted (numpy releases the GIL), then merged in
        one linear pass, so a merge costs the vocabulary's length, not a sort of it."""
        if self._pending:
            from ._incidence_kernels import union_sorted

            self.vocabulary = union_sorted(self.vocabulary, np.sort(np.concatenate(self._pending)))
        self._pending, self._pending_keys = [], 0

    def finish(self, threads: int = 1) -> Incidence:
        """The matrix: ids are positions in the sorted vocabulary. ``threads``: spilled keys are
        mapped to ids a block at a time in that many threads (numpy's searchsorted releases the
        GIL); the file is the same for any number."""
        self._merge()
        indptr = np.zeros(len(self.sizes) + 1, np.int64)
        np.cumsum(self.sizes, out=indptr[1:])
        n_columns = len(self.vocabulary)
        dtype = np.int32 if n_columns <= INT32_COLUMNS else np.int64
        if self._spill is None:
            ids = [np.searchsorted(self.vocabulary, k).astype(dtype) for k in self._kept]
            self._kept = []
            indices = np.concatenate(ids) if ids else np.zeros(0, dtype)
            return Incidence(indptr, indices, n_columns, None, np.dtype(dtype).name)
        self._spill.close()
        keys_path = Path(self._spill.name)
        ids_path = self.folder / f"ids-{self._name}.{np.dtype(dtype).str[1:]}"
        from ._threads import ordered_map

        vocabulary = self.vocabulary

        def blocks(src):
            while len(keys := np.fromfile(src, np.int64, count=MERGE_KEYS)):
                yield keys

        with open(keys_path, "rb") as src, open(ids_path, "wb") as dst:
            for ids in ordered_map(lambda keys: np.searchsorted(vocabulary, keys).astype(dtype), blocks(src),
                                   threads):
                dst.write(ids.tobytes())
        keys_path.unlink()
        return Incidence(indptr, None, n_columns, str(ids_path), np.dtype(dtype).name)


def row_blocks(sizes, limit_entries: int, limit_rows: int):
    """Split positions 0..len(sizes)-1 into consecutive runs of at most ``limit_rows`` rows and
    (unless a single row is larger) ``limit_entries`` elements."""
    start, n = 0, len(sizes)
    total = np.cumsum(sizes)
    while start < n:
        base = total[start - 1] if start else 0
        stop = int(np.searchsorted(total, base + limit_entries, side="right"))
        stop = min(max(stop, start + 1), start + limit_rows, n)
        yield start, stop
        start = stop


def shared_counts(incidence: Incidence, anchors, targets, method: str = "auto"):
    """(i, j, count) of every anchor/target row pair sharing at least one element; i, j index the
    given arrays. Targets are counted in blocks (bounded memory), each by the cheaper path
    (``method`` "auto"), or always by list walks ("lists") or bitsets ("bitsets")."""
    from ._incidence_kernels import anchor_columns, bitset_counts, fill_bitsets, list_cost, list_counts

    anchors, targets = np.asarray(anchors, np.int64), np.asarray(targets, np.int64)
    a_ptr, a_ids = incidence.rows(anchors)
    # the anchors' columns, numbered 0..m-1 (slot): by column, the anchors that see it (lists);
    # a target's other columns meet no anchor and are skipped by both paths
    seen = np.zeros(max(incidence.n_columns, 1), bool)
    seen[a_ids] = True
    used = np.flatnonzero(seen)
    slot = np.full(len(seen), -1, np.int64)
    slot[used] = np.arange(len(used))
    col_ptr, col_rows = anchor_columns(a_ptr, a_ids, slot, len(used))
    words = max(1, (len(used) + 63) // 64)
    bits_a = None
    out_i, out_j, out_c = [], [], []
    for start, stop in row_blocks(incidence.sizes[targets], TARGET_ENTRIES, len(targets)):
        b_ptr, b_ids = incidence.rows(targets[start:stop])
        n_b = stop - start
        # bitsets of the anchors, and of at most TARGET_BLOCK targets at a time within BITSET_BYTES
        b_rows = int(min(TARGET_BLOCK, n_b, max(1, BITSET_BYTES // 2 // (words * 8))))
        bitset_bytes = (len(anchors) + b_rows) * words * 8
        if method == "auto":
            lists = (list_cost(col_ptr, slot, b_ids, COST_STEP) * SPARSE_WEIGHT
                     <= len(anchors) * n_b * max(1.0, len(used) / 64))
        else:
            lists = method == "lists"
        if lists or bitset_bytes > BITSET_BYTES:
            i, j, c = list_counts(col_ptr, col_rows, slot, b_ptr, b_ids, len(anchors))
            out_i.append(i)
            out_j.append(j + start)
            out_c.append(c)
            continue
        if bits_a is None:
            bits_a = fill_bitsets(a_ptr, a_ids, slot, 0, len(anchors), words)
        for first in range(0, n_b, b_rows):  # bounded: anchors x b_rows counts
            last = min(first + b_rows, n_b)
            counts = bitset_counts(bits_a, fill_bitsets(b_ptr, b_ids, slot, first, last, words))
            i, j = np.nonzero(counts)
            out_i.append(i)
            out_j.append(j + start + first)
            out_c.append(counts[i, j])
    if not out_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    return (np.concatenate(out_i).astype(np.int64), np.concatenate(out_j).astype(np.int64),
            np.concatenate(out_c).astype(np.int64))
