"""plot pair for 3D label sets: the pixels two frames share, recomputed exactly as labelled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from conftest import ROOT, SHARED, cli, shared
from fovlabel import annotate, read_pairs
from fovlabel.plot import plot_pair
from fovlabel.views import shared_pixels

ROOM = ROOT / "sample_data" / "rgbd_room"


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    out = tmp_path_factory.mktemp("room") / "labels"
    annotate(ROOM / "frames.csv", "csv", labeller="cloud3d", mode="within", voxel_m=0.05, pixel_stride=2,
             reader_options={"pose": "cam_to_world"}, out=out)
    return out


def test_shared_pixels_recount_the_labels_shared_voxels(room):
    pairs = read_pairs(room)
    for _, row in pairs.iloc[::17].iterrows():  # pairs near and far
        pair = shared_pixels(room, int(row["frame_a"]), int(row["frame_b"]))
        assert pair.source == "rgbd"
        assert pair.shared == int(row["shared"]) and pair.agrees  # exactly the labeller's sets
        assert pair.a.observed == round(pair.shared / row["cover_a"])
        assert pair.a.mask.any() and pair.b.mask.any()
        # a shared pixel is a valid one; a pixel far outside the other's view is never shared
        valid = np.zeros_like(pair.a.mask)
        valid[pair.a.observed_px[:, 1], pair.a.observed_px[:, 0]] = True
        assert not (pair.a.mask & ~valid).any()


def test_a_changed_dataset_is_said_not_hidden(tmp_path):
    import shutil

    room = shutil.copytree(ROOM, tmp_path / "room")
    out = tmp_path / "labels"
    annotate(room / "frames.csv", "csv", labeller="cloud3d", mode="within", voxel_m=0.05,
             reader_options={"pose": "cam_to_world"}, out=out)
    first = pd.read_csv(room / "frames.csv")["depth_path"].iloc[0]
    with Image.open(room / first) as im:  # the depth image of frame 0 loses half its readings
        depth = np.asarray(im).copy()
    depth[: depth.shape[0] // 2] = 0
    Image.fromarray(depth).save(room / first)
    pair = shared_pixels(out, 0, 1)
    assert not pair.agrees and pair.shared < pair.label_shared
    plot_pair(out, 0, 1, tmp_path / "p.png")  # drawn, with the disagreement in its title (looked at)


def _tinted(png) -> np.ndarray:
    """Pixels of the intersection's tint (a grey background blended with it keeps R - B high)."""
    with Image.open(png) as im:
        rgb = np.asarray(im.convert("RGB"), np.int64)
    return (rgb[:, :, 0] - rgb[:, :, 2]) > 60


def test_plot_pair_3d_highlights_each_views_shared_pixels_in_proportion(room, tmp_path):
    pairs = read_pairs(room)
    row = pairs.iloc[int(np.argmin(np.abs(pairs["overlap"].to_numpy() - 0.5)))]
    a, b = int(row["frame_a"]), int(row["frame_b"])
    pair = shared_pixels(room, a, b)
    png = plot_pair(room, a, b, tmp_path / "p.png")
    tinted = _tinted(png)
    half = tinted.shape[1] // 2
    left, right = tinted[:, :half].sum(), tinted[:, half:].sum()
    # the two panels are drawn at one scale: the tinted areas are as the masks (image pixels)
    assert left / right == pytest.approx(pair.a.mask.sum() / pair.b.mask.sum(), rel=0.05)
    with Image.open(png) as im:
        assert im.info["Software"].startswith("fovlabel")


def test_plot_command_and_annotate_plots_draw_3d_pairs(room, tmp_path):
    result = cli("plot", "pair", room, "0000", "0003", "--out", tmp_path / "q.png")
    assert result.exit_code == 0, result.output
    assert _tinted(tmp_path / "q.png").sum() > 1000
    out = tmp_path / "labels"
    result = cli("annotate", ROOM / "frames.csv", "--format", "csv", "--pose", "cam_to_world", "--labeller",
                 "cloud3d", "--mode", "within", "--out", out, "--plots", "-q")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "plots").iterdir()) == [
        "histogram.png", "pair_near_threshold.png", "pair_positive.png", "pair_soft_negative.png"]


def test_scene_source_pixels_recount_the_labels(tmp_path):
    o3d = pytest.importorskip("open3d", reason="open3d (the 3d extra) is not installed")
    walls = o3d.geometry.TriangleMesh.create_box(5.0, 4.0, 2.5)
    table = o3d.geometry.TriangleMesh.create_box(1.2, 0.8, 0.75).translate([2.0, 1.5, 0.0])
    o3d.io.write_triangle_mesh(str(tmp_path / "room.ply"), (walls + table).subdivide_midpoint(number_of_iterations=5))
    frames = pd.read_csv(ROOM / "frames.csv").drop(columns=["depth_path", "depth_scale"])
    frames.to_csv(tmp_path / "frames.csv", index=False)
    out = tmp_path / "labels"
    annotate(tmp_path / "frames.csv", "csv", labeller="cloud3d", mode="within", voxel_m=0.1, out=out,
             reader_options={"pose": "cam_to_world"}, scene=str(tmp_path / "room.ply"))
    pairs = read_pairs(out)
    for _, row in pairs.iloc[::40].iterrows():
        pair = shared_pixels(out, int(row["frame_a"]), int(row["frame_b"]))
        assert pair.source == "scene" and pair.shared == int(row["shared"])
        assert len(pair.a.shared_px) > 0
    assert _tinted(plot_pair(out, 0, 1, tmp_path / "s.png")).sum() > 100


def test_colmap_tracks_pixels_recount_the_labels(tmp_path):
    model = shared(SHARED / "colmap" / "maupertuis" / "sparse" / "0")
    out = tmp_path / "labels"
    annotate(model, "colmap", labeller="cloud3d", mode="within", out=out)
    pairs = read_pairs(out)
    for _, row in pairs.iterrows():
        pair = shared_pixels(out, int(row["frame_a"]), int(row["frame_b"]))
        assert pair.source == "tracks" and pair.shared == int(row["shared"])
        assert len(pair.a.shared_px) >= pair.shared  # a track may be seen twice in an image, never less
        assert pair.a.background_kind == "colour image"
        u, v = pair.a.shared_px.T
        assert (u >= 0).all() and (u < pair.a.width).all() and (v >= 0).all() and (v < pair.a.height).all()
    assert _tinted(plot_pair(out, 0, 1, tmp_path / "t.png")).sum() > 200


def test_plot_pair_draws_correspondences_as_lines(room, tmp_path):
    plain = plot_pair(room, "0002", "0005", tmp_path / "plain.png")
    lines = plot_pair(room, "0002", "0005", tmp_path / "lines.png", matches=30)
    with Image.open(plain) as a, Image.open(lines) as b:
        pa, pb = np.asarray(a.convert("RGB"), np.int64), np.asarray(b.convert("RGB"), np.int64)
    # the lines cross the gap between the two images: pixels white without them are coloured
    gap = slice(pa.shape[1] // 2 - 12, pa.shape[1] // 2 + 12)
    white = (pa[:, gap] == 255).all(axis=2)
    coloured = np.abs(pb[:, gap] - 255).sum(axis=2) > 60
    assert (white & coloured).sum() >= 30 * 10
    crossed_rows = np.flatnonzero((white & coloured).any(axis=1))
    assert len(np.unique(crossed_rows // 3)) >= 20  # many lines, at many heights
    result = cli("plot", "pair", room, "0002", "0005", "--out", tmp_path / "c.png", "--matches", "10")
    assert result.exit_code == 0, result.output
