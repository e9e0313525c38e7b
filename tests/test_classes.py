"""Place classes: every member overlaps its representative; deterministic; cross mode computes
the database pairs it needs; less leakage than CosPlace cells of a similar size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import MUNICH, SAMPLE, SHARED, cli, shared
from fovlabel import annotate, read_pairs
from fovlabel.classes import cell_classes, class_quality, greedy_classes, place_classes
from fovlabel.errors import OutputError
from fovlabel.exporters import export
from fovlabel.samplers import PKSampler


def _overlap_of(a, b, v):
    table = {}
    for x, y, w in zip(a.tolist(), b.tolist(), v.tolist()):
        table[(x, y)] = table[(y, x)] = w
    return lambda x, y: 1.0 if x == y else table.get((x, y), 0.0)


def _check_members(report):
    overlap = _overlap_of(*report.pairs)
    for c, rep in enumerate(report.representatives):
        members = np.flatnonzero(report.classes == c)
        assert rep in members
        assert all(overlap(rep, m) >= report.min_overlap for m in members)


def test_greedy_classes_on_a_chain_are_not_connected_components():
    # a chain 0-1-2-...-9, each neighbour overlapping 0.6: one component, but no frame overlaps
    # the whole chain; classes of at most 3 (a representative and its two neighbours)
    a, b = np.arange(9), np.arange(1, 10)
    classes = greedy_classes(10, a, b, np.full(9, 0.6), np.ones(10, bool), 0.5)
    sizes = np.unique(classes, return_counts=True)[1]
    assert sizes.max() <= 3 and len(sizes) >= 4 and (classes >= 0).all()
    assert np.array_equal(classes, greedy_classes(10, a, b, np.full(9, 0.6), np.ones(10, bool), 0.5))


@pytest.mark.realdata
def test_kitti_06_classes_hold_their_threshold_and_leak_less_than_cells(tmp_path):
    labels = tmp_path / "kitti06"
    annotate(shared(SHARED / "poses" / "kitti_odometry") / "06.txt", "kitti", labeller="strong2d",
             fov_deg="intrinsics", fx=707.09, width=1226, radius_m=30.0, mode="within", out=labels)
    report = place_classes(labels, 0.5)
    _check_members(report)
    assert len(report.sizes) > 50 and max(report.sizes) < 100  # not one class of all 1,101 frames
    again = place_classes(labels, 0.5)
    assert np.array_equal(report.classes, again.classes)  # deterministic
    # CosPlace cells of a similar mean size leak more (benchmarks/bench_classes.py: 14 m x 30°)
    from fovlabel import read_label_frames

    cells = cell_classes(read_label_frames(labels), 14.0, 30.0)
    cell_sizes = np.unique(cells[cells >= 0], return_counts=True)[1]
    assert abs(cell_sizes.mean() - np.mean(report.sizes)) < 1.5
    assert report.leakage < class_quality(cells, *report.pairs, 0.5)[1]


def test_cross_mode_computes_the_database_pairs_it_needs(tmp_path):
    labels = tmp_path / "city"
    annotate(SAMPLE, "msls", preset="msls", out=labels)
    report = place_classes(labels, 0.5)
    assert report.notes and "computed" in report.notes[0] and "rather than chaining" in report.notes[0]
    _check_members(report)
    a, b, _ = report.pairs
    assert len(a) > len(read_pairs(labels))  # database-database pairs were added


def test_min_size_the_classes_file_and_the_export(tmp_path):
    labels = tmp_path / "city"
    annotate(SAMPLE, "msls", preset="msls", out=labels)
    report = place_classes(labels, 0.5, min_size=3)
    assert min(report.sizes) >= 3 and (report.classes == -1).any()
    result = cli("classes", labels, "--min-size", "3", "--out", tmp_path / "c.parquet")
    assert result.exit_code == 0 and "leakage" in result.output
    table = pq.read_table(tmp_path / "c.parquet").to_pandas()
    assert table["class"].tolist() == report.classes.tolist() and list(table.columns) == ["frame_id", "key", "group", "class", "image_path"]
    assert cli("classes", labels, "--out", tmp_path / "c.parquet").exit_code == 2  # exists
    (tmp_path / "mine.parquet").write_bytes(b"not parquet")
    with pytest.raises(OutputError, match="not a fovlabel classes file"):
        from fovlabel.classes import write_classes_file

        write_classes_file(labels, tmp_path / "mine.parquet", report, overwrite=True)
    out = export(labels, "classes", tmp_path / "exp", min_size=3)
    csv = pd.read_csv(out / "classes.csv")
    assert csv["class"].tolist() == report.classes.tolist()
    # what MPerClassSampler-style training takes: P classes x K frames a batch
    batch = next(iter(PKSampler(csv["class"].to_numpy(), p=4, k=2, seed=0)))
    assert len(batch) == 8 and len({csv["class"][i] for i in batch}) == 4


@pytest.mark.realdata
def test_munich_classes(tmp_path):
    labels = tmp_path / "munich"
    annotate(shared(MUNICH), "msls", preset="msls", out=labels)
    report = place_classes(labels, 0.5)
    _check_members(report)
    assert report.leakage < 0.35 and len(report.sizes) > 50
