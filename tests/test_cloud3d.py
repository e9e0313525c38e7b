"""The 3D labeller: kernels against the naive reference, real RGB-D data, SfM tracks, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

import naive
from conftest import SHARED, shared
from fovlabel import ConfigError, InputError, annotate
from fovlabel.geometry.poses import quat_to_matrix
from fovlabel.io.depth import read_depth
from fovlabel.geometry import voxels as V
from fovlabel.geometry.camera import PinholeCamera

REDKITCHEN = SHARED / "rgbd" / "7scenes_redkitchen_every20"
STAIRS = SHARED / "rgbd" / "7scenes_stairs_native"
NYU = SHARED / "rgbd" / "nyu_dining_5frames"
MAUPERTUIS = SHARED / "colmap" / "maupertuis" / "sparse" / "0"
INTRINSICS = dict(fx=585.0, fy=585.0, cx=320.0, cy=240.0, width=640, height=480)


def redkitchen_csv(folder, invert=False, count=None):
    """A CSV listing redkitchen's depth images, 4x4 poses and intrinsics (the csv reader's RGB-D
    layout); ``invert`` writes each pose inverted (the wrong direction) to see overlaps collapse."""
    frames_dir = shared(REDKITCHEN) / "frames"
    # depth paths are relative to the CSV's folder (fovlabel reads nothing outside a dataset): a
    # link there to the shared frames, as a user links an images folder into a dataset
    if not (folder / "frames").exists():
        (folder / "frames").symlink_to(frames_dir.resolve(), target_is_directory=True)
    rows = []
    for pose in sorted(frames_dir.glob("frame-*.pose.txt"))[:count]:
        T = np.loadtxt(pose)
        if invert:
            T = np.linalg.inv(T)
        stem = pose.name[: -len(".pose.txt")]
        rows.append(dict(key=stem, depth_path=f"frames/{stem}.depth.png", depth_scale=1000.0,
                         **INTRINSICS, **{f"m{r}{c}": T[r, c] for r in range(4) for c in range(4)}))
    path = folder / ("redkitchen_inverted.csv" if invert else "redkitchen.csv")
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def kitchen(tmp_path_factory):
    path = redkitchen_csv(tmp_path_factory.mktemp("kitchen"))
    pairs, frames = annotate(path, "csv", labeller="cloud3d", mode="within", reader_options={"pose": "cam_to_world"},
                             return_frames=True)
    return path, pairs, frames


@pytest.mark.realdata
def test_kernel_matches_naive_backprojection_on_real_frames():
    frames_dir = shared(REDKITCHEN) / "frames"
    for k, stride, voxel, max_depth in ((0, 1, 0.05, np.inf), (300, 2, 0.02, 2.0), (980, 3, 0.1, np.inf)):
        depth = read_depth(frames_dir / f"frame-{k:06d}.depth.png")
        T = np.loadtxt(frames_dir / f"frame-{k:06d}.pose.txt")
        camera = PinholeCamera(585.0, 585.0, 320.0, 240.0, 640, 480)
        keys, reach, bad = V.backproject_voxels(depth, camera, 1000.0, T[:3, :3], T[:3, 3], voxel,
                                                stride=stride, max_depth_m=max_depth)
        expected = naive.backproject_voxels(depth, 585.0, 585.0, 320.0, 240.0, 1000.0, stride, max_depth,
                                            T[:3, :3], T[:3, 3], voxel)
        assert bad == 0 and len(keys) == len(expected) > 500
        assert {tuple(v) for v in naive.unpack_voxel_keys(keys).tolist()} == expected
        assert (np.diff(keys) > 0).all()


@pytest.mark.realdata
def test_pair_counts_match_python_sets(kitchen):
    path, pairs, frames = kitchen
    sets = []
    for _, row in frames.iterrows():
        depth = read_depth(path.parent / row["depth_path"])
        R = quat_to_matrix(row[["qw", "qx", "qy", "qz"]].to_numpy(float))[0]
        sets.append(naive.backproject_voxels(depth, 585.0, 585.0, 320.0, 240.0, 1000.0, 1, np.inf, R,
                                             row[["tx", "ty", "tz"]].to_numpy(float), 0.05))
    expected = naive.set_overlaps(sets)
    got = {(a, b): (s, o) for a, b, s, o in pairs[["frame_a", "frame_b", "shared", "overlap"]].itertuples(index=False)}
    assert got.keys() == expected.keys() and len(got) > 500
    for key, (shared_count, iou) in expected.items():
        assert got[key][0] == shared_count and got[key][1] == pytest.approx(iou, rel=1e-6)
    row = pairs.iloc[10]
    a, b = int(row["frame_a"]), int(row["frame_b"])
    assert row["cover_a"] == pytest.approx(len(sets[a] & sets[b]) / len(sets[a]), rel=1e-6)
    assert row["cover_b"] == pytest.approx(len(sets[a] & sets[b]) / len(sets[b]), rel=1e-6)


@pytest.mark.realdata
def test_kitchen_overlap_falls_with_frame_distance(kitchen):
    _, pairs, _ = kitchen
    first = pairs[pairs["frame_a"] == 0].set_index("frame_b")["overlap"]
    ks = np.arange(1, 11)  # frames 20, 40, ..., 200
    values = first.reindex(ks).fillna(0.0).to_numpy()
    assert values[0] > 0.6 and values[:4].tolist() == sorted(values[:4], reverse=True)
    assert spearmanr(ks, values).statistic <= -0.6  # the camera comes back a little after frame 140
    assert values[0] > 2 * values[5:].max()


@pytest.mark.realdata
def test_kitchen_ranking_agrees_with_depth_reprojection(kitchen):
    path, pairs, frames = kitchen
    depths = [read_depth(path.parent / p) for p in frames["depth_path"]]
    T = np.zeros((len(frames), 4, 4))
    T[:, :3, :3] = quat_to_matrix(frames[["qw", "qx", "qy", "qz"]].to_numpy())
    T[:, :3, 3], T[:, 3, 3] = frames[["tx", "ty", "tz"]].to_numpy(), 1.0
    rng = np.random.default_rng(0)
    sample = pairs.iloc[rng.choice(len(pairs), 150, replace=False)]
    consistency = [0.5 * (naive.depth_consistency(depths[a], depths[b], (585, 585, 320, 240), T[a], T[b], 1000.0)
                          + naive.depth_consistency(depths[b], depths[a], (585, 585, 320, 240), T[b], T[a], 1000.0))
                   for a, b in sample[["frame_a", "frame_b"]].itertuples(index=False)]
    assert spearmanr(sample["overlap"], consistency).statistic >= 0.8


@pytest.mark.realdata
def test_inverting_the_poses_collapses_the_overlaps(kitchen, tmp_path):
    _, pairs, _ = kitchen
    wrong = annotate(redkitchen_csv(tmp_path, invert=True), "csv", labeller="cloud3d", mode="within",
                     reader_options={"pose": "cam_to_world"}, keep_zero=True)
    right = pairs.set_index(["frame_a", "frame_b"])["overlap"]
    adjacent = [(i, i + 1) for i in range(49)]
    before = right.reindex(adjacent).fillna(0).to_numpy()
    after = wrong.set_index(["frame_a", "frame_b"])["overlap"].reindex(adjacent).fillna(0).to_numpy()
    assert np.median(before) > 0.5 and np.median(after) < 0.5 * np.median(before)


@pytest.mark.realdata
def test_scene_cloud_from_the_frames_ranks_like_rgbd(kitchen):
    pytest.importorskip("open3d", reason="open3d (the 3d extra) is not installed")
    path, pairs, _ = kitchen
    scene = annotate(path, "csv", labeller="cloud3d", mode="within", reader_options={"pose": "cam_to_world"},
                     scene_from_rgbd=True)
    both = pairs.merge(scene, on=["frame_a", "frame_b"], how="outer", suffixes=("_rgbd", "_scene")).fillna(0)
    assert len(scene) > 500
    assert spearmanr(both["overlap_rgbd"], both["overlap_scene"]).statistic >= 0.8


@pytest.mark.realdata
def test_stairs_cross_sequence_pairs_are_graded():
    pairs, frames = annotate(shared(STAIRS), "7scenes", labeller="cloud3d", mode="cross", return_frames=True)
    seq = frames.set_index("frame_id")["sequence"]
    cross = pairs[seq.loc[pairs["frame_a"]].to_numpy() != seq.loc[pairs["frame_b"]].to_numpy()]
    assert len(cross) > 10 and cross["overlap"].nunique() > 10
    assert 0.0 < cross["overlap"].min() < 0.05 and cross["overlap"].max() > 0.15  # graded: 0.02 .. 0.23


@pytest.mark.realdata
def test_colmap_track_iou_equals_a_hand_count():
    pairs = annotate(shared(MAUPERTUIS), "colmap", labeller="cloud3d", mode="within")
    names = {}
    for line in (MAUPERTUIS / "images.txt").read_text().splitlines():
        parts = line.split()
        if not line.startswith("#") and len(parts) == 10 and parts[9].endswith(".jpg"):
            names[int(parts[0])] = parts[9]
    seen = {name: set() for name in names.values()}
    for line in (MAUPERTUIS / "points3D.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split()
        for image_id in parts[8::2]:
            seen[names[int(image_id)]].add(int(parts[0]))
    order = sorted(names, key=int)  # frames follow the image ids
    sets = [seen[names[i]] for i in order]
    assert len(pairs) == 6 and (pairs["overlap"] > 0).all()
    for a, b, shared_count, iou in pairs[["frame_a", "frame_b", "shared", "overlap"]].itertuples(index=False):
        assert shared_count == len(sets[a] & sets[b])
        assert iou == pytest.approx(len(sets[a] & sets[b]) / len(sets[a] | sets[b]), rel=1e-6)


@pytest.mark.realdata
def test_nyu_pgm_frames(tmp_path):
    poses = np.loadtxt(shared(NYU) / "pose.txt")  # tx ty tz qx qy qz qw, camera-to-world
    table = pd.DataFrame({"key": [str(i) for i in range(1, 6)], "tx": poses[:, 0], "ty": poses[:, 1],
                          "tz": poses[:, 2], "qw": poses[:, 6], "qx": poses[:, 3], "qy": poses[:, 4],
                          "qz": poses[:, 5], "fx": 518.0, "fy": 519.0, "cx": 325.5, "cy": 253.5,
                          "width": 640, "height": 480, "depth_scale": 1000.0,
                          "depth_path": [f"depth/{i}.pgm" for i in range(1, 6)]})
    (tmp_path / "depth").symlink_to((NYU / "depth").resolve(), target_is_directory=True)
    table.to_csv(tmp_path / "nyu.csv", index=False)
    pairs = annotate(tmp_path / "nyu.csv", "csv", labeller="cloud3d", mode="within", reader_options={"pose": "cam_to_world"})
    assert len(pairs) == 10 and (pairs["overlap"] > 0).all()
    gap = pairs["frame_b"] - pairs["frame_a"]
    assert pairs.loc[gap == 1, "overlap"].mean() > pairs.loc[gap == 4, "overlap"].mean()


# ---- bad input ----

def _rgbd_table(tmp_path, depth_images, **extra):
    """A csv RGB-D table over hand-made depth images (identity poses, 8x6 pixels)."""
    from PIL import Image

    rows = []
    for k, img in enumerate(depth_images):
        path = tmp_path / f"d{k}.png"
        if img is not None:
            Image.fromarray(img).save(path)
        rows.append(dict(key=f"f{k}", tx=0.1 * k, ty=0.0, tz=0.0, qw=1.0, qx=0.0, qy=0.0, qz=0.0, fx=4.0, fy=4.0,
                         cx=4.0, cy=3.0, width=8, height=6, depth_scale=1000.0, depth_path=path.name, **extra))
    pd.DataFrame(rows).to_csv(tmp_path / "rgbd.csv", index=False)
    return tmp_path / "rgbd.csv"


def _annotate(path, **kw):
    return annotate(path, "csv", labeller="cloud3d", mode="within", reader_options={"pose": "cam_to_world"}, **kw)


def test_missing_depth_file(tmp_path):
    path = _rgbd_table(tmp_path, [np.full((6, 8), 1500, np.uint16), None])
    with pytest.raises(InputError, match=r"d1.png: depth image not found"):
        _annotate(path)


@pytest.mark.parametrize("row, column, value, message", [
    (1, "depth_path", "  ", r"frame 'f1' has no depth image"),
    (1, "depth_scale", np.inf, r"frame 'f1': depth_scale inf is not a number > 0"),
    (2, "depth_scale", -5.0, r"frame 'f2': depth_scale -5.0 is not a number > 0")])
def test_bad_depth_columns_name_the_first_bad_frame(tmp_path, row, column, value, message):
    """Frames handed to the labeller (not read from a file, so no reader checked them): the first
    bad usable frame in order is named, with its column; frames left out of pairs are not checked."""
    from fovlabel.labellers import get_labeller
    from fovlabel.readers import read_frames

    path = _rgbd_table(tmp_path, [np.full((6, 8), 1500, np.uint16)] * 4)
    frames = read_frames(path, "csv", pose="cam_to_world")
    frames[column] = frames[column].astype(object)
    frames.loc[row, column] = value
    frames.loc[3, ["depth_path", "depth_scale"]] = [None, 0.0]  # not usable: not checked
    frames.loc[3, "usable"] = False
    labeller = get_labeller("cloud3d")
    with pytest.raises(InputError, match=message) as info:
        labeller.prepare(frames, labeller.Params(source="rgbd"), root=tmp_path)
    assert info.value.column == column and str(info.value.file).endswith("rgbd.csv")


def test_cached_kernels_load_in_a_thread_while_depth_decodes(tmp_path, monkeypatch):
    """The 3D labeller's warm-up (loading its kernels, or compiling them on a first run) runs
    beside prepare (decoding depth), not after it; the labels are the same as with the warm-up
    in its own phase."""
    import threading

    from fovlabel import batch
    from fovlabel.labellers.cloud3d import Cloud3D

    path = _rgbd_table(tmp_path, [np.full((6, 8), 1500, np.uint16)] * 3)
    expected = _annotate(path, out=tmp_path / "before", voxel_m=1.0)
    calls = []
    real_warm_up, real_prepare = Cloud3D.warm_up, Cloud3D.prepare
    monkeypatch.setattr(batch, "_dispatcher", lambda name: type("D", (), {"signatures": []}))  # "not loaded"
    monkeypatch.setattr(Cloud3D, "warm_up", lambda self: (calls.append(("warm_up", threading.current_thread().name)),
                                                          real_warm_up(self)))
    monkeypatch.setattr(Cloud3D, "prepare", lambda self, *a, **k: (calls.append(("prepare", None)),
                                                                    real_prepare(self, *a, **k))[1])
    summary = _annotate(path, out=tmp_path / "after", voxel_m=1.0)
    warm = [name for what, name in calls if what == "warm_up"]
    assert warm[0] == "fovlabel-warm-up" and ("prepare", None) in calls
    assert summary.pairs == expected.pairs and summary.ranks == expected.ranks
    assert (pd.read_parquet(tmp_path / "after" / "pairs.parquet")
            .equals(pd.read_parquet(tmp_path / "before" / "pairs.parquet")))


def test_depth_size_differs_from_intrinsics(tmp_path):
    path = _rgbd_table(tmp_path, [np.full((6, 8), 1500, np.uint16), np.full((5, 8), 1500, np.uint16)])
    with pytest.raises(InputError, match=r"d1.png: depth image is 8x5 but the intrinsics say 8x6"):
        _annotate(path)


def test_8_bit_depth(tmp_path):
    path = _rgbd_table(tmp_path, [np.full((6, 8), 1500, np.uint16), np.full((6, 8), 200, np.uint8)])
    with pytest.raises(InputError, match=r"d1.png: depth image is 8-bit \(mode L\)"):
        _annotate(path)


def test_all_invalid_depth_is_reported_not_fatal(tmp_path):
    good = np.full((6, 8), 1500, np.uint16)
    path = _rgbd_table(tmp_path, [good, np.zeros((6, 8), np.uint16), good])
    out = tmp_path / "labels"
    summary = _annotate(path, out=out, voxel_m=1.0)  # 8x6 pixels 0.375 m apart on the wall
    assert any("1 frame(s) observe no point" in n and "'f1'" in n for n in summary.notes)
    frames = pd.read_parquet(out / "_frames" / "frames.parquet")
    assert frames.loc[1, "flag"] == "empty" and not frames.loc[1, "usable"]
    assert summary.pairs == 1  # f0 and f2 see the same wall


def test_unreadable_mesh_and_bad_voxel(tmp_path):
    pytest.importorskip("open3d", reason="open3d (the 3d extra) is not installed")
    path = _rgbd_table(tmp_path, [np.full((6, 8), 1500, np.uint16)] * 2)
    (tmp_path / "scene.ply").write_text("this is not a mesh\n")
    with pytest.raises(InputError, match=r"scene.ply: open3d cannot read a point cloud or mesh"):
        _annotate(path, scene=str(tmp_path / "scene.ply"))
    for voxel in (0.0, -0.1):
        with pytest.raises(ConfigError, match="voxel_m must be > 0"):
            _annotate(path, voxel_m=voxel)


def test_scene_cloud_visibility_uses_the_depth_map_or_a_z_buffer():
    # Two points on the optical axis, one behind the other: the z-buffer keeps the front one; a depth
    # map that says 2 m keeps the back one.
    points = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 2.0], [5.0, 0.0, 1.0]])
    eye, zero = np.eye(3), np.zeros(3)
    camera = PinholeCamera(4.0, 4.0, 4.0, 3.0, 8, 6)
    seen = V.visible_points(points, camera, eye, zero, max_depth_m=10.0)
    assert seen.tolist() == [True, False, False]  # the third is outside the image
    depth = np.full((6, 8), 2000, np.uint16)
    seen = V.visible_points(points, camera, eye, zero, depth=depth, units_per_m=1000.0, max_depth_m=10.0)
    assert seen.tolist() == [False, True, False]
    seen = V.visible_points(points, camera, eye, zero, max_depth_m=1.5)
    assert seen.tolist() == [True, False, False]  # max depth 1.5 m
    # the checking wrappers refuse what the kernels would misread
    with pytest.raises(ValueError, match="a depth image is a 2D uint16 array; got 2D float64"):
        V.visible_points(points, camera, eye, zero, depth=np.ones((6, 8)))
    with pytest.raises(ValueError, match="depth image is 8x5, the camera 8x6"):
        V.visible_points(points, camera, eye, zero, depth=np.ones((5, 8), np.uint16))
    with pytest.raises(ValueError, match="voxel_m must be a finite number > 0"):
        V.voxelize_points(points, 0.0)
    with pytest.raises(ValueError, match="camera intrinsics must be > 0"):
        V.backproject_voxels(depth, PinholeCamera(0.0, 4.0, 4.0, 3.0, 8, 6), 1000.0, eye, zero, 0.1)


def test_missing_open3d_says_how_to_fix_it(monkeypatch):
    import builtins

    from fovlabel.io.scene import import_open3d

    real_import = builtins.__import__

    def fake(reason):
        def importer(name, *args, **kwargs):
            if name == "open3d":
                raise ImportError(reason)
            return real_import(name, *args, **kwargs)
        return importer

    monkeypatch.setattr(builtins, "__import__", fake("libusb-1.0.so.0: cannot open shared object file"))
    with pytest.raises(ConfigError, match="open3d needs the system library libusb-1.0: apt-get install libusb-1.0-0"):
        import_open3d()
    monkeypatch.setattr(builtins, "__import__", fake("No module named 'open3d'"))
    with pytest.raises(ConfigError, match=r"open3d is not installed .*: pip install 'fovlabel\[3d\]'"):
        import_open3d()


def test_cli_3d_flags(tmp_path):
    from click.testing import CliRunner

    from fovlabel.cli import main

    path = _rgbd_table(tmp_path, [np.full((6, 8), 1500, np.uint16)] * 3)
    result = CliRunner().invoke(main, ["annotate", str(path), "--format", "csv", "--pose", "cam_to_world",
                                       "--labeller", "cloud3d", "--voxel-m", "1.0", "--pixel-stride", "2",
                                       "--max-depth-m", "5", "--mode", "within", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "3D source: rgbd, voxel 1 m" in result.output
    pairs = pd.read_parquet(tmp_path / "o" / "pairs.parquet")
    assert {"cover_a", "cover_b", "shared"} <= set(pairs.columns) and len(pairs) == 3
    config = __import__("fovlabel").read_pairs(tmp_path / "o").attrs["fovlabel"]["config"]
    assert (config["voxel_m"], config["pixel_stride"], config["max_depth_m"]) == (1.0, 2, 5.0)


@pytest.mark.realdata
def test_keep_zero_adds_the_pairs_that_could_meet():
    kept = annotate(shared(STAIRS), "7scenes", labeller="cloud3d", mode="cross", keep_zero=True, max_depth_m=3.0)
    plain = annotate(shared(STAIRS), "7scenes", labeller="cloud3d", mode="cross", max_depth_m=3.0)
    zero = kept[kept["shared"] == 0]
    assert (zero["overlap"] == 0).all() and (zero["rank"] == 0).all()
    pd.testing.assert_frame_equal(kept[kept["shared"] > 0].reset_index(drop=True), plain)
    assert len(kept) == 6 * 6  # 2 query x 2 database sequences of 3 frames: all within reach here


def test_sparse_and_bitset_counting_agree(monkeypatch):
    from fovlabel import incidence

    rng = np.random.default_rng(4)
    sets = [np.unique(rng.integers(0, 3000, rng.integers(50, 400))) for _ in range(60)]
    sizes = np.array([len(s) for s in sets])
    indptr = np.r_[0, np.cumsum(sizes)]
    matrix = incidence.Incidence(indptr, np.concatenate(sets), 3000)
    anchors, targets = np.arange(0, 25), np.arange(10, 60)
    expected = {(a, b): len(np.intersect1d(sets[anchors[a]], sets[targets[b]]))
                for a in range(len(anchors)) for b in range(len(targets))}
    expected = {k: v for k, v in expected.items() if v}
    # a sparse product that looks free forces it; one that looks dear forces bitsets (in blocks of 7)
    for weight, block in ((0.0, 4096), (1e9, 4096), (1e9, 7)):
        monkeypatch.setattr(incidence, "SPARSE_WEIGHT", weight)
        monkeypatch.setattr(incidence, "TARGET_BLOCK", block)
        i, j, c = incidence.shared_counts(matrix, anchors, targets)
        assert dict(zip(zip(i.tolist(), j.tolist()), c.tolist())) == expected


def test_scene_mesh_with_z_buffer_visibility(tmp_path):
    """The bundled RGB-D room's cameras, without their depth images, looking at the room as a mesh
    (PLY, read by open3d): visibility comes from the z-buffer, and the ranking follows the depth
    images' (Spearman >= 0.8)."""
    o3d = pytest.importorskip("open3d", reason="open3d (the 3d extra) is not installed")
    from conftest import ROOT

    room = ROOT / "sample_data" / "rgbd_room"
    # the room the generator ray-casts: a 5 x 4 x 2.5 m box with a 1.2 x 0.8 x 0.75 m table
    walls = o3d.geometry.TriangleMesh.create_box(5.0, 4.0, 2.5)
    table = o3d.geometry.TriangleMesh.create_box(1.2, 0.8, 0.75).translate([2.0, 1.5, 0.0])
    mesh = (walls + table).subdivide_midpoint(number_of_iterations=6)  # vertices every few cm
    o3d.io.write_triangle_mesh(str(tmp_path / "room.ply"), mesh)
    frames = pd.read_csv(room / "frames.csv").drop(columns=["depth_path", "depth_scale"])
    frames.to_csv(tmp_path / "frames.csv", index=False)
    scene = annotate(tmp_path / "frames.csv", "csv", labeller="cloud3d", mode="within", voxel_m=0.1,
                     reader_options={"pose": "cam_to_world"}, scene=str(tmp_path / "room.ply"))
    rgbd = annotate(room / "frames.csv", "csv", labeller="cloud3d", mode="within", voxel_m=0.1,
                    reader_options={"pose": "cam_to_world"})
    both = rgbd.merge(scene, on=["frame_a", "frame_b"], how="outer", suffixes=("_rgbd", "_scene")).fillna(0)
    assert len(scene) == 120  # 16 frames, all pairs see some of the same room
    assert spearmanr(both["overlap_rgbd"], both["overlap_scene"]).statistic >= 0.8


def test_a_dense_3d_chunk_is_cut_by_its_pair_load_and_labels_the_same(monkeypatch):
    """Cloud3D.pair_load counts the frames whose centres are within twice the group's largest
    reach (pairs.sampled_load); with a small budget the stairs' chunks are cut (more chunks, each
    within it) and the pairs are the same, row for row."""
    import fovlabel.batch as batch
    from fovlabel.labellers.cloud3d import Cloud3D

    plans = []
    real = batch.plan_chunks

    def recorded(*args, **kw):
        plans.append(real(*args, **kw))
        return plans[-1]

    monkeypatch.setattr(batch, "plan_chunks", recorded)
    plain = annotate(shared(STAIRS), "7scenes", labeller="cloud3d", mode="within")
    monkeypatch.setattr(Cloud3D, "chunk_pairs", 30)  # the stairs' 12 frames all see each other
    cut = annotate(shared(STAIRS), "7scenes", labeller="cloud3d", mode="within")
    assert len(plans[0]) == 1 and len(plans[1]) == 6  # 2 anchors of load 12 each a chunk: 24 <= 30
    assert [a for c in plans[1] for a in c.anchors.tolist()] == plans[0][0].anchors.tolist()
    assert len(plain) > 20
    pd.testing.assert_frame_equal(plain, cut)


def test_cloud3d_pair_load_without_poses_counts_the_whole_group():
    """Without camera centres (SfM tracks whose poses are not all known) every usable frame of
    the group is a candidate: the load is the group's size where a chunk could pass the budget."""
    from fovlabel.pairs import sampled_load

    frames = pd.DataFrame({"usable": [True] * 5 + [False] + [True] * 3, "group": ["a"] * 6 + ["b"] * 3})
    load = sampled_load(frames, None, np.zeros(9), 10, 4)
    assert load.tolist() == [5, 5, 5, 5, 5, 0, 3, 3, 3]
    assert not sampled_load(frames, None, np.zeros(9), 10, 100).any()  # far below: plan unchanged
    points = np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0], [9, 0, 0], [10, 0, 0], [0, 0, 0],
                       [0, 0, 0], [0, 0, 5], [0, 0, 50]], float)
    load = sampled_load(frames, points, np.full(9, 0.6), 10, 1)  # reach 1.2 m: neighbours 1 m apart
    assert load.tolist() == [2, 3, 2, 2, 2, 0, 1, 1, 1]
