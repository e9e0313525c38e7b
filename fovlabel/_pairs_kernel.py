"""Numba kernel behind fovlabel.pairs: the KD-tree's pairs kept and put in (a, b) order in linear
time, by two stable counting passes (by target, then by anchor), where a mask, a stable argsort of
every pair and a permutation of three arrays took three times the search itself."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def kept_in_order(i, j, v, anchors, targets, radius, within):
    """(a, b, dist) of the pairs a = anchors[i[k]], b = targets[j[k]] at apex distance v[k] with
    v[k] < radius[a] + radius[b] (``within``: and a < b), sorted by (a, b).

    ``anchors`` and ``targets`` ascend, so (a, b) order is (i, j) order. Stable counting passes,
    least significant first: O(pairs + anchors + targets), no comparison sort."""
    n = len(i)
    na = len(anchors)
    nt = len(targets)
    keep = np.empty(n, np.bool_)
    start_j = np.zeros(nt + 1, np.int64)  # counts, then where each target's pairs start
    for k in range(n):
        a = anchors[i[k]]
        b = targets[j[k]]
        ok = v[k] < radius[a] + radius[b] and (not within or a < b)
        keep[k] = ok
        if ok:
            start_j[j[k] + 1] += 1
    for t in range(nt):
        start_j[t + 1] += start_j[t]
    m = start_j[nt]
    i1 = np.empty(m, np.int64)
    j1 = np.empty(m, np.int64)
    v1 = np.empty(m, np.float64)
    start_i = np.zeros(na + 1, np.int64)
    for k in range(n):  # by target
        if keep[k]:
            p = start_j[j[k]]
            start_j[j[k]] = p + 1
            i1[p] = i[k]
            j1[p] = j[k]
            v1[p] = v[k]
            start_i[i[k] + 1] += 1
    for r in range(na):
        start_i[r + 1] += start_i[r]
    a_out = np.empty(m, np.int64)
    b_out = np.empty(m, np.int64)
    d_out = np.empty(m, np.float64)
    for p in range(m):  # by anchor, keeping the target order within each anchor
        q = start_i[i1[p]]
        start_i[i1[p]] = q + 1
        a_out[q] = anchors[i1[p]]
        b_out[q] = targets[j1[p]]
        d_out[q] = v1[p]
    return a_out, b_out, d_out
