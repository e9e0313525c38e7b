"""Numba kernels behind fovlabel.incidence: set-overlap counts by list walks and with bitsets.
All release the GIL (threads count blocks side by side)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _popcount(x):
    x = x - ((x >> 1) & 0x5555555555555555)
    x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0F
    return (x * 0x0101010101010101) >> 56


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def fill_bitsets(indptr, indices, slot, first, last, words):
    """Bitset rows first..last-1 (last - first, words) uint64 of a CSR block: bit slot[c] for each
    column c of a row (columns with slot -1 are skipped)."""
    out = np.zeros((last - first, words), np.uint64)
    for r in range(first, last):
        for k in range(indptr[r], indptr[r + 1]):
            s = slot[indices[k]]
            if s >= 0:
                out[r - first, s >> 6] |= np.uint64(1) << np.uint64(s & 63)
    return out


@njit(cache=True, nogil=True)
def list_cost(col_ptr, slot, b_ids, step):
    """The steps :func:`list_counts` takes for these target elements (for each, the anchors that
    see it), estimated from every ``step``-th element (1: exact)."""
    total = 0
    for k in range(0, b_ids.shape[0], step):
        s = slot[b_ids[k]]
        if s >= 0:
            total += col_ptr[s + 1] - col_ptr[s]
    return total * step


@njit(cache=True, nogil=True)
def anchor_columns(indptr, indices, slot, n_slots):
    """The anchors' CSR rows by column: (col_ptr, anchor rows) for the ``n_slots`` columns that
    ``slot`` numbers (column -> slot); rows in increasing order in each column."""
    col_ptr = np.zeros(n_slots + 1, np.int64)
    for k in range(indices.shape[0]):
        col_ptr[slot[indices[k]] + 1] += 1
    for s in range(n_slots):
        col_ptr[s + 1] += col_ptr[s]
    fill = col_ptr[:-1].copy()
    rows = np.empty(indices.shape[0], np.int32)  # anchor positions in the block
    for r in range(indptr.shape[0] - 1):
        for k in range(indptr[r], indptr[r + 1]):
            s = slot[indices[k]]
            rows[fill[s]] = r
            fill[s] += 1
    return col_ptr, rows


@njit(cache=True, nogil=True)
def list_counts(col_ptr, col_rows, slot, b_ptr, b_ids, n_anchors):
    """(i, j, count) of every anchor i / target j sharing elements: for each target, walk its
    elements and the anchors that see each (``col_ptr``/``col_rows``, by ``slot``)."""
    count = np.zeros(n_anchors, np.int64)
    touched = np.empty(n_anchors, np.int64)
    cap = 1024
    out_i = np.empty(cap, np.int64)
    out_j = np.empty(cap, np.int64)
    out_c = np.empty(cap, np.int64)
    n = 0
    for j in range(b_ptr.shape[0] - 1):
        nt = 0
        for k in range(b_ptr[j], b_ptr[j + 1]):
            s = slot[b_ids[k]]
            if s < 0:
                continue
            for q in range(col_ptr[s], col_ptr[s + 1]):
                a = col_rows[q]
                if count[a] == 0:
                    touched[nt] = a
                    nt += 1
                count[a] += 1
        if n + nt > cap:
            while n + nt > cap:
                cap *= 2
            grown_i, grown_j, grown_c = np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap, np.int64)
            grown_i[:n], grown_j[:n], grown_c[:n] = out_i[:n], out_j[:n], out_c[:n]
            out_i, out_j, out_c = grown_i, grown_j, grown_c
        for t in range(nt):
            a = touched[t]
            out_i[n], out_j[n], out_c[n] = a, j, count[a]
            count[a] = 0
            n += 1
    return out_i[:n], out_j[:n], out_c[:n]


@njit(cache=True, nogil=True)
def union_sorted(a, b):
    """The sorted distinct values of ``a`` (sorted, distinct) and ``b`` (sorted, repeats allowed):
    one linear merge."""
    out = np.empty(a.shape[0] + b.shape[0], a.dtype)
    i = j = n = 0
    while i < a.shape[0] or j < b.shape[0]:
        if j == b.shape[0] or (i < a.shape[0] and a[i] <= b[j]):
            x = a[i]
            i += 1
        else:
            x = b[j]
            j += 1
        if n == 0 or out[n - 1] != x:
            out[n] = x
            n += 1
    return out[:n].copy()


@njit(cache=True, nogil=True)
def pair_measures(a, b, shared, sizes, centre, axis, geometry):
    """Each counted pair's IoU (float64), coverages of a and b (float32), and with ``geometry``
    the distance between the camera centres and the angle between the optical axes in degrees
    (float64; NaN without). One pass: shared / max(union, 1)
    (0 when the union is empty), sqrt((dx² + dy²) + dz²), arccos of the clipped dot product
    (ax bx + ay by) + az bz, in degrees."""
    n = a.shape[0]
    iou = np.empty(n)
    cover_a = np.empty(n, np.float32)
    cover_b = np.empty(n, np.float32)
    dist = np.full(n, np.nan)
    angle = np.full(n, np.nan)
    to_deg = 180.0 / np.pi
    for k in range(n):
        i, j, s = a[k], b[k], np.int64(shared[k])
        size_a, size_b = sizes[i], sizes[j]
        union = size_a + size_b - s
        iou[k] = s / max(union, 1) if union > 0 else 0.0
        cover_a[k] = s / max(size_a, 1) if size_a > 0 else 0.0
        cover_b[k] = s / max(size_b, 1) if size_b > 0 else 0.0
        if geometry:
            dx, dy, dz = centre[i, 0] - centre[j, 0], centre[i, 1] - centre[j, 1], centre[i, 2] - centre[j, 2]
            dist[k] = math.sqrt(dx * dx + dy * dy + dz * dz)
            c = axis[i, 0] * axis[j, 0] + axis[i, 1] * axis[j, 1] + axis[i, 2] * axis[j, 2]
            angle[k] = math.acos(min(max(c, -1.0), 1.0)) * to_deg
    return iou, cover_a, cover_b, dist, angle
