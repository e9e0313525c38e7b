"""Numba kernels behind fovlabel.incidence: set-overlap counts with bitsets."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _popcount(x):
    x = x - ((x >> 1) & 0x5555555555555555)
    x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0F
    return (x * 0x0101010101010101) >> 56


@njit(cache=True)
def bitset_counts(bits_a, bits_b):
    """|A_i ∩ B_j| for every row pair of two bitset matrices (n_a, words) and (n_b, words)."""
    na, words = bits_a.shape
    nb = bits_b.shape[0]
    out = np.zeros((na, nb), np.int32)
    for i in range(na):
        for j in range(nb):
            s = 0
            for w in range(words):
                s += _popcount(bits_a[i, w] & bits_b[j, w])
            out[i, j] = s
    return out


@njit(cache=True)
def fill_bitsets(indptr, indices, rows, words):
    """Bitset rows (len(rows), words) uint64 from a CSR incidence matrix (column ids < 64 words)."""
    out = np.zeros((rows.shape[0], words), np.uint64)
    for r in range(rows.shape[0]):
        row = rows[r]
        for k in range(indptr[row], indptr[row + 1]):
            c = indices[k]
            out[r, c >> 6] |= np.uint64(1) << np.uint64(c & 63)
    return out
