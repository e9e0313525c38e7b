"""The incidence matrix of frames' sets: built in memory or spilled to a folder, read in blocks,
counted by list walks or bitsets; every way gives the same counts as Python set intersections."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import naive
from fovlabel import incidence


def _sets(seed=4, n=60, universe=3000):
    rng = np.random.default_rng(seed)
    sets = [np.unique(rng.integers(0, universe, rng.integers(50, 400))) * 7919 + 2**40 for _ in range(n)]
    sets[5] = np.zeros(0, np.int64)  # observes nothing
    sets[9] = None  # not usable
    sets[10] = sets[11].copy()  # identical sets
    sets[12] = sets[13][::3].copy()  # nested
    return sets


def test_vocabulary_merge_matches_python_sets():
    """The builder's linear merge of the vocabulary (sorted, distinct) with pending keys (sorted,
    repeats): the union of the sets, in every degenerate case."""
    from fovlabel._incidence_kernels import union_sorted

    rng = np.random.default_rng(7)
    empty = np.zeros(0, np.int64)
    a = np.unique(rng.integers(-2**62, 2**62, 500))
    b = np.sort(np.r_[rng.choice(a, 200), rng.integers(-2**62, 2**62, 300), a[:5], a[:5]])  # repeats, shared
    cases = [(empty, empty), (a, empty), (empty, b), (a, b), (a, a), (a, np.sort(np.r_[a, a])),  # identical
             (a, a[10:20]), (a[10:20], np.sort(a)), (np.array([1, 3]), np.array([2, 2, 4])),  # nested, interleaved
             (np.array([5]), np.array([1, 1, 1])), (np.array([-1, 0]), np.array([0, 0, 1]))]
    for x, y in cases:
        got = union_sorted(x, y)
        assert got.dtype == np.int64 and got.tolist() == naive.union_sorted(x, y).tolist()


def test_pair_measures_match_numpy_bit_for_bit():
    """The 3D pairs' columns in one kernel pass are the whole-array numpy formulas' exact values,
    with empty sets, identical and nested sets, coincident centres and parallel, opposite and
    nearly parallel axes (the clip of the dot product)."""
    from fovlabel._incidence_kernels import pair_measures

    rng = np.random.default_rng(3)
    n, m = 40, 5000
    sizes = rng.integers(0, 3000, n)
    sizes[:3] = [0, 0, 17]
    centre = rng.normal(size=(n, 3)) * 5
    centre[5] = centre[6]  # the same place
    axis = rng.normal(size=(n, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    axis[7], axis[8], axis[9] = axis[10], -axis[10], axis[10] + 1e-9  # parallel, opposite, |dot| > 1
    a, b = rng.integers(0, n, m).astype(np.int32), rng.integers(0, n, m).astype(np.int32)
    a[:6], b[:6] = [0, 1, 2, 5, 7, 8], [1, 0, 2, 6, 10, 10]  # both empty, one empty, identical, ...
    shared = np.minimum(sizes[a], sizes[b]) * rng.random(m) // 1
    shared[:6] = [0, 0, 17, *np.minimum(sizes[[5, 7, 8]], sizes[[6, 10, 10]])]  # nested: all of the smaller
    shared = shared.astype(np.int32)
    for with_poses in (True, False):
        got = pair_measures(a, b, shared, sizes, centre if with_poses else np.zeros((1, 3)),
                            axis if with_poses else np.zeros((1, 3)), with_poses)
        expected = naive.pair_measures(a, b, shared, sizes, centre if with_poses else None, axis)
        for g, e in zip(got, expected):
            assert g.dtype == e.dtype and np.array_equal(g, e, equal_nan=True)
    assert got[0][2] == 1.0 and got[0][0] == got[0][1] == 0.0


@pytest.mark.parametrize("spill", [False, True])
def test_counts_match_python_sets_whatever_the_blocks(tmp_path, monkeypatch, spill):
    sets = _sets()
    monkeypatch.setattr(incidence, "MERGE_KEYS", 500)  # many vocabulary merges
    matrix = incidence.Incidence.from_sets(sets, tmp_path / "spill" if spill else None)
    assert (matrix.path is not None) == spill and (matrix.indices is None) == spill
    assert matrix.dtype == "int32"  # compact ids where they fit
    assert matrix.sizes.tolist() == [0 if s is None else len(s) for s in sets]
    if spill:
        assert [p.name.split("-")[0] for p in (tmp_path / "spill").iterdir()] == ["ids"]  # keys file gone
    anchors, targets = np.arange(0, 25), np.r_[np.arange(10, 60), 3]  # targets need not be sorted
    expected = naive.shared_counts(sets, anchors, targets)
    for method, entries, rows in (("auto", 1 << 21, 4096), ("lists", 700, 4096), ("bitsets", 700, 3),
                                  ("bitsets", 1 << 21, 4096)):
        monkeypatch.setattr(incidence, "TARGET_ENTRIES", entries)
        monkeypatch.setattr(incidence, "TARGET_BLOCK", rows)
        i, j, c = incidence.shared_counts(matrix, anchors, targets, method=method)
        assert dict(zip(zip(i.tolist(), j.tolist()), c.tolist())) == expected, (method, entries, rows)


def test_a_spilled_matrix_pickles_as_its_path(tmp_path):
    sets = _sets()
    matrix = incidence.Incidence.from_sets(sets, tmp_path)
    data = pickle.dumps(matrix)
    assert len(data) < 2_000 + 8 * len(sets)  # the path and indptr, not the ids
    again = pickle.loads(data)
    for rows in (np.arange(3, 17), np.array([40, 2, 33])):
        for got, want in zip(again.rows(rows), matrix.rows(rows)):
            assert np.array_equal(got, want)
    in_memory = incidence.Incidence.from_sets(sets)
    assert np.array_equal(in_memory.rows(np.arange(len(sets)))[1], matrix.rows(np.arange(len(sets)))[1])


def test_spilled_ids_are_the_same_file_in_any_number_of_threads(tmp_path, monkeypatch):
    """finish(threads=N) maps the spilled keys a block at a time in N threads, in order."""
    sets = _sets()
    monkeypatch.setattr(incidence, "MERGE_KEYS", 300)  # many blocks
    files = []
    for threads in (1, 2, 3):
        builder = incidence.IncidenceBuilder(len(sets), tmp_path / f"t{threads}")
        for i, keys in enumerate(sets):
            if keys is not None:
                builder.add(i, keys)
        matrix = builder.finish(threads=threads)
        files.append(open(matrix.path, "rb").read())
        in_memory = incidence.Incidence.from_sets(sets)
        assert np.array_equal(matrix.rows(np.arange(len(sets)))[1], in_memory.rows(np.arange(len(sets)))[1])
    assert files[0] == files[1] == files[2] and len(files[0]) > 4 * 300 * 4


def test_builder_refuses_frames_out_of_order(tmp_path):
    builder = incidence.IncidenceBuilder(3, tmp_path)
    builder.add(1, np.array([1, 2]))
    with pytest.raises(ValueError, match="increasing order"):
        builder.add(0, np.array([3]))


def test_row_blocks_bound_entries_and_rows():
    sizes = np.array([5, 5, 20, 1, 1, 1, 9])
    blocks = list(incidence.row_blocks(sizes, 10, 2))
    assert blocks == [(0, 2), (2, 3), (3, 5), (5, 7)]  # a row larger than the limit is a block alone
    assert list(incidence.row_blocks(np.zeros(0, np.int64), 10, 2)) == []


def test_3d_labels_do_not_depend_on_jobs_blocks_or_chunks(tmp_path, monkeypatch):
    """The bundled RGB-D room: --jobs 2 with 3-frame chunks and 2-frame anchor blocks, the
    in-memory API, and one thread with whole chunks give the same pairs (keep_zero too); the
    spill folder is gone after the commit."""
    import pandas as pd

    from conftest import ROOT
    from fovlabel import annotate, read_pairs
    from fovlabel.labellers import cloud3d

    csv = ROOT / "sample_data" / "rgbd_room" / "frames.csv"
    common = dict(labeller="cloud3d", mode="within", reader_options={"pose": "cam_to_world"})
    for keep_zero in (False, True):
        whole = annotate(csv, "csv", out=tmp_path / f"one{keep_zero}", jobs=1, keep_zero=keep_zero, **common)
        with monkeypatch.context() as m:
            m.setattr(cloud3d, "ANCHOR_BLOCK", 2)
            m.setattr(cloud3d, "TABLE_SLICE", 5)
            split = annotate(csv, "csv", out=tmp_path / f"two{keep_zero}", jobs=2, chunk_frames=3,
                             keep_zero=keep_zero, **common)
            in_memory = annotate(csv, "csv", jobs=2, chunk_frames=3, keep_zero=keep_zero, **common)
        assert whole.pairs == split.pairs == len(in_memory) > 0
        pd.testing.assert_frame_equal(read_pairs(tmp_path / f"one{keep_zero}"), read_pairs(tmp_path / f"two{keep_zero}"))
        pd.testing.assert_frame_equal(read_pairs(tmp_path / f"one{keep_zero}"),
                                      in_memory.reset_index(drop=True), check_dtype=False)
        assert sorted(p.name for p in (tmp_path / f"two{keep_zero}").iterdir()) == ["_frames", "pairs.parquet"]


def test_ordered_map_keeps_order_bounds_the_waiting_and_raises_the_first_failure():
    import threading
    import time

    from fovlabel._threads import ordered_map

    started, lock = [], threading.Lock()

    def slow(i):
        with lock:
            started.append(i)
        time.sleep(0.02 * (i % 3))
        if i in (7, 9):
            raise ValueError(f"item {i}")
        return i * i

    results = ordered_map(slow, range(6), 2, waiting=3)
    assert next(results) == 0
    assert len(started) <= 3  # no more than `waiting` submitted before the first was consumed
    assert list(results) == [1, 4, 9, 16, 25]
    assert list(ordered_map(slow, range(5), 1)) == [0, 1, 4, 9, 16]
    with pytest.raises(ValueError, match="item 7"):
        list(ordered_map(slow, range(12), 2))


def test_ordered_map_object_starts_when_made_and_close_drops_what_has_not_started():
    """OrderedMap (the labelling's threads): the first items run before any is taken (the run
    loads its kernels meanwhile); close() waits for what runs and drops the rest."""
    import threading

    from fovlabel._threads import OrderedMap

    started, gate = [], threading.Event()

    def work(i):
        started.append(i)
        gate.wait(5)
        return -i

    work_map = OrderedMap(work, range(10), 2, waiting=3)
    for _ in range(100):  # the two threads pick up items 0 and 1 without being asked
        if len(started) == 2:
            break
        threading.Event().wait(0.01)
    assert sorted(started) == [0, 1]
    gate.set()
    assert next(work_map) == 0
    work_map.close()
    assert len(started) <= 4 and list(work_map) == []  # 3 waiting at most, then nothing more
    with OrderedMap(lambda i: i + 1, range(4), 2) as results:
        assert list(results) == [1, 2, 3, 4]


def test_rows_in_any_order(tmp_path):
    sets = _sets()
    for matrix in (incidence.Incidence.from_sets(sets), incidence.Incidence.from_sets(sets, tmp_path)):
        ptr, ids = matrix.rows(np.array([0, 2, 1, 3]))  # spans 0..3 but out of order
        whole_ptr, whole = matrix.rows(np.arange(4))
        for k, row in enumerate([0, 2, 1, 3]):
            assert np.array_equal(ids[ptr[k]:ptr[k + 1]], whole[whole_ptr[row]:whole_ptr[row + 1]])


def test_an_interrupted_3d_run_leaves_its_parts_not_its_spill_and_resumes(tmp_path, monkeypatch):
    import pandas as pd

    from conftest import ROOT
    from fovlabel import annotate, read_pairs
    from fovlabel.io import labelset

    csv = ROOT / "sample_data" / "rgbd_room" / "frames.csv"
    common = dict(labeller="cloud3d", mode="within", reader_options={"pose": "cam_to_world"}, chunk_frames=4)
    reference = annotate(csv, "csv", out=tmp_path / "reference", **common)
    real, calls = labelset.PartsWriter.write_part, {"n": 0}

    def killed_after_two(self, index, table):
        assert (self.partial / labelset.SPILL_DIR).is_dir()  # the voxel sets are on disk while it labels
        calls["n"] += 1
        if calls["n"] > 2:
            raise KeyboardInterrupt
        real(self, index, table)

    monkeypatch.setattr(labelset.PartsWriter, "write_part", killed_after_two)
    with pytest.raises(KeyboardInterrupt):
        annotate(csv, "csv", out=tmp_path / "labels", **common)
    partial = tmp_path / "labels.partial"
    assert sorted(p.name for p in partial.iterdir()) == ["parts", "plan.json"]  # no spill left behind
    monkeypatch.setattr(labelset.PartsWriter, "write_part", real)
    again = annotate(csv, "csv", out=tmp_path / "labels", **common)
    assert again.resumed_chunks == 2 and again.pairs == reference.pairs
    pd.testing.assert_frame_equal(read_pairs(tmp_path / "labels"), read_pairs(tmp_path / "reference"))
