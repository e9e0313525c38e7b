"""Pixel correspondences of 3D label sets: the kernel against numpy, real 7-Scenes frames against
the folder's independent check, COLMAP tracks, the output rules, resume, negatives."""

from __future__ import annotations

import numpy as np
import pytest

import naive
from conftest import SHARED, cli, shared, snapshot
from fovlabel import annotate
from fovlabel.correspondences import (CORRESPONDENCES_FILE, _RgbdSource, correspondences, read_correspondences,
                                      reproject)
from fovlabel.errors import ConfigError, OutputError
from fovlabel.io.labelset import dataset_root_of, read_label_frames, read_pairs
from fovlabel.progress import Progress

KITCHEN = SHARED / "rgbd" / "7scenes_redkitchen_every20"
MAUPERTUIS = SHARED / "colmap" / "maupertuis" / "sparse" / "0"


@pytest.fixture(scope="module")
def kitchen(tmp_path_factory):
    out = tmp_path_factory.mktemp("kitchen") / "labels"
    annotate(shared(KITCHEN), "7scenes", labeller="cloud3d", mode="within", out=out)
    return out


def _source(labels):
    frames = read_label_frames(labels)
    return frames, _RgbdSource(frames, dataset_root_of(read_pairs(labels).attrs["fovlabel"]))


def _frame(frames, number):
    return int(np.flatnonzero(frames["key"].str.endswith(f"{number:06d}").to_numpy())[0])


def _all_valid(src, i, j, invert=False):
    depth_a, valid = src.depth(i)
    depth_b, _ = src.depth(j)
    vs, us = np.divmod(valid, depth_a.shape[1])
    pa, pb = src.pose(i), src.pose(j)
    if invert:  # the wrong pose direction: camera-to-world read as world-to-camera
        pa, pb = (pa[0].T, -pa[0].T @ pa[1]), (pb[0].T, -pb[0].T @ pb[1])
    return depth_a, us, vs, pa, depth_b, pb


def test_kernel_matches_numpy_exactly_on_real_frames(kitchen):
    frames, src = _source(kitchen)
    for a, b in ((0, 20), (0, 300), (200, 220)):
        i, j = _frame(frames, a), _frame(frames, b)
        depth_a, us, vs, pa, depth_b, pb = _all_valid(src, i, j)
        us, vs = np.r_[us, 0, 5], np.r_[vs, 0, 5]  # and two pixels whatever their depth
        ca, cb = src.camera(i), src.camera(j)
        got = reproject(depth_a, us, vs, ca, 1000.0, pa, depth_b, cb, 1000.0, pb, 0.05)
        ref = naive.reproject_pixels(depth_a, us, vs, (ca.fx, ca.fy, ca.cx, ca.cy), 1000.0, *pa, depth_b,
                                     (cb.fx, cb.fy, cb.cx, cb.cy), 1000.0, *pb, 0.05)
        for g, r in zip(got, ref):
            assert np.array_equal(g, r, equal_nan=True)
        assert len(set(got[4].tolist())) >= 4  # matches, outside, occluded, no depth: all seen


def test_shares_agree_with_the_folders_independent_check(kitchen):
    """README.txt of the redkitchen folder: share of a's valid pixels that land inside b, in front,
    on a valid pixel whose depth is within 5%: (0,20) 0.90, (200,220) 0.77, (0,100) 0.35,
    (0,300) 0.31, (0,980) 0.39. Inverting the poses must more than halve the mean."""
    frames, src = _source(kitchen)
    right, wrong = [], []
    for a, b, expected in ((0, 20, 0.90), (200, 220, 0.77), (0, 100, 0.35), (0, 300, 0.31), (0, 980, 0.39)):
        i, j = _frame(frames, a), _frame(frames, b)
        for invert, shares in ((False, right), (True, wrong)):
            depth_a, us, vs, pa, depth_b, pb = _all_valid(src, i, j, invert)
            status = reproject(depth_a, us, vs, src.camera(i), 1000.0, pa, depth_b, src.camera(j), 1000.0, pb, 0.05)[4]
            shares.append((status == 0).mean())
        assert right[-1] == pytest.approx(expected, abs=0.02), (a, b)
    assert np.mean(wrong) < 0.5 * np.mean(right)


def test_a_correspondence_set_on_real_frames(kitchen, tmp_path):
    out = tmp_path / "corr"
    summary = correspondences(kitchen, out, min_overlap=0.3, per_pair=300, negatives=0.5, seed=3)
    table = read_correspondences(out)
    meta = table.attrs["fovlabel"]
    pairs = read_pairs(kitchen)
    chosen = pairs[pairs["overlap"] >= 0.3]
    assert meta["pairs"] == len(chosen) == summary["pairs"] and meta["rows"] == len(table)
    assert "pixel centres" in meta["pixel_convention"] and meta["label_set_id"] == pairs.attrs["fovlabel"]["label_set_id"]
    assert set(zip(table["frame_a"], table["frame_b"])) <= set(zip(chosen["frame_a"], chosen["frame_b"]))
    matches, negatives = table[table["match"]], table[~table["match"]]
    assert matches.groupby(["frame_a", "frame_b"]).size().max() <= 300
    assert len(negatives) == pytest.approx(0.5 * len(matches), rel=0.02)
    # every match is a real one: recomputed by the numpy reference, and its depths agree within 5%
    frames, src = _source(kitchen)
    for (a, b), rows in list(matches.groupby(["frame_a", "frame_b"]))[:5]:
        depth_a, _ = src.depth(a)
        depth_b, _ = src.depth(b)
        ca, cb = src.camera(a), src.camera(b)
        ub, vb, za, zb, status = naive.reproject_pixels(
            depth_a, rows["u_a"].to_numpy(int), rows["v_a"].to_numpy(int), (ca.fx, ca.fy, ca.cx, ca.cy), 1000.0,
            *src.pose(a), depth_b, (cb.fx, cb.fy, cb.cx, cb.cy), 1000.0, *src.pose(b), 0.05)
        assert (status == 0).all()
        assert np.allclose(ub, rows["u_b"], atol=1e-3) and np.allclose(vb, rows["v_b"], atol=1e-3)
        assert np.allclose(zb, rows["depth_b_m"], atol=1e-6)
    # a negative pairs a match's pixel of a with a pixel of b far from where it truly lands
    true = matches[["frame_a", "frame_b", "u_a", "v_a", "u_b", "v_b"]]
    joined = negatives.merge(true, on=["frame_a", "frame_b", "u_a", "v_a"], how="left", suffixes=("", "_true"))
    assert joined["u_b_true"].notna().all()
    assert (np.hypot(joined["u_b"] - joined["u_b_true"], joined["v_b"] - joined["v_b_true"]) > 8.0).all()


def test_chunks_do_not_change_it_and_a_killed_run_resumes(kitchen, tmp_path, monkeypatch):
    whole = correspondences(kitchen, min_overlap=0.4, per_pair=200, chunk_pairs=1000)
    small = correspondences(kitchen, min_overlap=0.4, per_pair=200, chunk_pairs=7)
    assert whole.equals(small)
    # the pairs are streamed (a dense set's table is never whole in memory): batches of 5 rows
    import fovlabel.io.reading as reading

    batches = []
    streamed = reading.pair_batches

    def in_fives(path, columns):
        meta, rows, it = streamed(path, columns, batch_rows=5)
        return meta, rows, (batches.append(len(batch)) or (first, batch) for first, batch in it)

    monkeypatch.setattr(reading, "pair_batches", in_fives)
    assert correspondences(kitchen, min_overlap=0.4, per_pair=200, chunk_pairs=7).equals(small)
    assert len(batches) > 10 and max(batches) == 5
    monkeypatch.undo()

    class Killed(Exception):
        pass

    def die(name, done, total):
        if name == "matching" and done >= 2:
            raise Killed()

    out = tmp_path / "corr"
    with pytest.raises(Killed):
        correspondences(kitchen, out, min_overlap=0.4, per_pair=200, chunk_pairs=7,
                        progress=Progress("quiet", callback=die))
    parts = sorted((tmp_path / "corr.partial" / "parts").glob("part-*.parquet"))
    assert len(parts) == 2 and not out.exists()
    computed = []
    original = _RgbdSource.pair
    monkeypatch.setattr(_RgbdSource, "pair", lambda self, a, b, p: computed.append((a, b)) or original(self, a, b, p))
    correspondences(kitchen, out, min_overlap=0.4, per_pair=200, chunk_pairs=7)
    assert read_correspondences(out).equals(small)
    assert not (tmp_path / "corr.partial").exists()
    n_pairs = len(small.groupby(["frame_a", "frame_b"]))
    assert len(computed) == n_pairs - 2 * 7  # the two kept chunks were reused, not redone


def test_output_rules(kitchen, tmp_path):
    out = tmp_path / "corr"
    correspondences(kitchen, out, min_overlap=0.6, per_pair=50)
    with pytest.raises(OutputError, match="output exists"):
        correspondences(kitchen, out, min_overlap=0.6, per_pair=50)
    correspondences(kitchen, out, min_overlap=0.6, per_pair=20, overwrite=True)
    assert read_correspondences(out).attrs["fovlabel"]["params"]["per_pair"] == 20
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("x")
    before = snapshot(tmp_path / "mine")
    with pytest.raises(OutputError, match="not a fovlabel correspondence set"):
        correspondences(kitchen, tmp_path / "mine", overwrite=True)
    assert snapshot(tmp_path / "mine") == before
    with pytest.raises(OutputError):
        correspondences(kitchen, kitchen / "corr")  # never into the label set
    with pytest.raises(ConfigError, match="depth_tol must be > 0"):
        correspondences(kitchen, depth_tol=0.0)


def test_a_moved_dataset_is_one_line_and_leaves_nothing(tmp_path):
    import shutil

    from conftest import ROOT

    room = shutil.copytree(ROOT / "sample_data" / "rgbd_room", tmp_path / "room")
    annotate(room / "frames.csv", "csv", labeller="cloud3d", mode="within", out=tmp_path / "labels",
             reader_options={"pose": "cam_to_world"})
    room.rename(tmp_path / "moved")
    result = cli("correspondences", tmp_path / "labels", "--out", tmp_path / "c", "-q")
    assert result.exit_code == 2 and "no longer exists (was the dataset moved?)" in result.output
    assert "--root" in result.output and len(result.output.strip().splitlines()) == 1
    assert not any((tmp_path / n).exists() for n in ("c", "c.partial", "c.lock"))
    result = cli("correspondences", tmp_path / "labels", "--out", tmp_path / "c", "-q", "--root", tmp_path / "moved")
    assert result.exit_code == 0 and read_correspondences(tmp_path / "c")["match"].all()


def test_the_command(kitchen, tmp_path):
    result = cli("correspondences", kitchen, "--min-overlap", "0.5", "--per-pair", "100", "--out", tmp_path / "c",
                 "--quiet")
    assert result.exit_code == 0, result.output
    assert "matches" in result.stdout and (tmp_path / "c" / CORRESPONDENCES_FILE).is_file()
    bad = cli("correspondences", kitchen, "--by", "width", "--out", tmp_path / "d")
    assert bad.exit_code == 2 and "by must be one of overlap, cover" in bad.output


def test_2d_label_sets_are_refused(tmp_path):
    from conftest import SAMPLE

    annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "l")
    with pytest.raises(ConfigError, match="correspondences need a 3D label set"):
        correspondences(tmp_path / "l")


def test_colmap_tracks_reproject_to_one_point(tmp_path):
    """Every correspondence's two pixels lie within a pixel of their 3D point's projection."""
    from fovlabel.geometry.camera import PinholeCamera
    from fovlabel.readers.colmap import track_points
    from fovlabel.views import _pose

    model = shared(MAUPERTUIS)
    labels = tmp_path / "labels"
    annotate(model, "colmap", labeller="cloud3d", mode="within", out=labels)
    frames = read_label_frames(labels)
    # the convention at the boundary: COLMAP's principal point 959.5 (top-left pixel centre at 0.5)
    assert frames["cx"].iloc[0] == 959.0
    table = correspondences(labels, min_overlap=0.3, per_pair=100_000)
    assert len(table) > 1500 and table["match"].all() and table["point_id"].notna().all()
    points = track_points(model)
    for side in ("a", "b"):
        for i, rows in table.groupby(f"frame_{side}"):
            c, (R, t) = PinholeCamera.from_row(frames.iloc[i]), _pose(frames.iloc[i])
            cam = (np.array([points[k] for k in rows["point_id"]]) - t) @ R
            u, v = c.fx * cam[:, 0] / cam[:, 2] + c.cx, c.fy * cam[:, 1] / cam[:, 2] + c.cy
            assert np.hypot(u - rows[f"u_{side}"], v - rows[f"v_{side}"]).max() <= 1.0
            assert np.allclose(cam[:, 2], rows[f"depth_{side}_m"], rtol=1e-5)
    loose = correspondences(labels, min_overlap=0.3, per_pair=100_000, max_reproj_px=5.0)
    assert len(loose) > len(table)  # the model has observations a few pixels off: they were left out
