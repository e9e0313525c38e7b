"""Set overlaps from a frame x element incidence matrix: which frames share which elements
(voxels, SfM points), counted for a block of anchor frames against its targets.

Pairs come from the data, never from a loop over pairs: a block is intersected either as a sparse
product (cost: the sum over elements of anchors-seeing x targets-seeing) or with bitsets (cost:
anchors x targets x elements / 64), whichever is cheaper for that block; memory stays bounded by
the block. Any labeller whose frames observe sets (voxels, tracks, a frustum's cells) uses this.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: a sparse product's multiply-add costs about this many bitset words: an estimate, which changes
#: which path a block takes (its speed), never the counts
SPARSE_WEIGHT = 8.0
#: bitset path: targets per block (the counts are anchors x this), and the most memory for bitsets
TARGET_BLOCK = 4096
BITSET_BYTES = 512 * 2**20


@dataclass
class Incidence:
    """CSR rows, one per frame: the sorted element ids (0..n_columns-1) the frame observes."""

    indptr: np.ndarray
    indices: np.ndarray
    n_columns: int

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.indptr)

    @classmethod
    def from_sets(cls, sets) -> "Incidence":
        """From one sorted unique int64 key array per frame (None: observes nothing)."""
        sizes = np.array([0 if s is None else len(s) for s in sets], np.int64)
        present = [s for s in sets if s is not None and len(s)]
        columns = column_ids(np.concatenate(present) if present else np.zeros(0, np.int64))
        indptr = np.zeros(len(sets) + 1, np.int64)
        indptr[1:] = np.cumsum(sizes)
        return cls(indptr, columns.astype(np.int64), int(columns.max() + 1) if len(columns) else 0)


def column_ids(keys: np.ndarray) -> np.ndarray:
    """Dense ids (0..n_unique-1, in key order) of keys made of many sorted runs (one per frame).

    np.unique(return_inverse=True) would quicksort; a stable sort merges the sorted runs instead,
    about 3x faster here."""
    if len(keys) == 0:
        return np.zeros(0, np.int64)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new = np.empty(len(keys), bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    ids = np.empty(len(keys), np.int64)
    ids[order] = np.cumsum(new) - 1
    return ids


def _rows(incidence: Incidence, rows):
    from scipy.sparse import csr_matrix

    indptr, indices = incidence.indptr, incidence.indices
    lengths = indptr[rows + 1] - indptr[rows]
    sub_ptr = np.zeros(len(rows) + 1, np.int64)
    sub_ptr[1:] = np.cumsum(lengths)
    idx = np.concatenate([indices[indptr[r]:indptr[r + 1]] for r in rows]) if len(rows) else np.zeros(0, np.int64)
    data = np.ones(len(idx), np.int32)
    return csr_matrix((data, idx, sub_ptr), shape=(len(rows), max(incidence.n_columns, 1)))


def shared_counts(incidence: Incidence, anchors, targets):
    """(i, j, count) of every anchor/target row pair sharing at least one element; i, j index the
    given arrays. Chooses the sparse product or bitsets by their cost on this block."""
    from ._incidence_kernels import bitset_counts, fill_bitsets

    anchors, targets = np.asarray(anchors, np.int64), np.asarray(targets, np.int64)
    A, B = _rows(incidence, anchors), _rows(incidence, targets)
    ka = np.bincount(A.indices, minlength=A.shape[1])
    kb = np.bincount(B.indices, minlength=B.shape[1])
    sparse_cost = float(np.dot(ka.astype(np.float64), kb))
    used = np.flatnonzero((ka > 0) & (kb > 0))
    bitset_cost = len(anchors) * len(targets) * max(1.0, len(used) / 64.0)
    words = (len(used) + 63) // 64
    bitset_bytes = (len(anchors) + min(len(targets), TARGET_BLOCK)) * words * 8
    if sparse_cost * SPARSE_WEIGHT <= bitset_cost or len(used) == 0 or bitset_bytes > BITSET_BYTES:
        C = (A @ B.T).tocoo()
        return C.row.astype(np.int64), C.col.astype(np.int64), C.data.astype(np.int64)
    A, B = A[:, used].tocsr(), B[:, used].tocsr()  # columns renumbered 0..len(used)-1
    bits_a = fill_bitsets(A.indptr.astype(np.int64), A.indices.astype(np.int64), np.arange(A.shape[0]), words)
    out_i, out_j, out_c = [], [], []
    for start in range(0, B.shape[0], TARGET_BLOCK):  # bounded: anchors x TARGET_BLOCK counts
        rows = np.arange(start, min(start + TARGET_BLOCK, B.shape[0]))
        bits_b = fill_bitsets(B.indptr.astype(np.int64), B.indices.astype(np.int64), rows, words)
        counts = bitset_counts(bits_a, bits_b)
        i, j = np.nonzero(counts)
        out_i.append(i)
        out_j.append(j + start)
        out_c.append(counts[i, j])
    return (np.concatenate(out_i).astype(np.int64), np.concatenate(out_j).astype(np.int64),
            np.concatenate(out_c).astype(np.int64))
