"""Pose readers (kitti, tum, 7scenes, colmap, tbplaces, csv poses) on real and hand-made data,
and their errors."""

from __future__ import annotations

import json
import shutil
import struct

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from conftest import SHARED, shared
from fovlabel import InputError, annotate, read_frames, read_pairs
from fovlabel.geometry.poses import matrix_to_quat, quat_to_matrix
from fovlabel.readers.colmap import CAMERA_MODELS, load_model

KITTI = SHARED / "poses" / "kitti_odometry"
TUM = SHARED / "poses" / "tum_rgbd_groundtruth"
STAIRS = SHARED / "rgbd" / "7scenes_stairs_native"
MAUPERTUIS = SHARED / "colmap" / "maupertuis" / "sparse" / "0"


# ---- real data ----

@pytest.mark.realdata
def test_kitti_06_loop_closures_and_reach():
    pairs, frames = annotate(shared(KITTI) / "06.txt", "kitti", labeller="strong2d", fov_deg="intrinsics",
                             fx=707.09, width=1226, radius_m=30.0, mode="within", keep_zero=True,
                             return_frames=True)
    assert len(frames) == 1101 and frames["usable"].all()
    # the FoV from intrinsics lives in the labeller's state; the frames table is not written back
    from fovlabel.labellers.weak2d import camera_fov_deg
    from fovlabel.config import make_config

    fov = camera_fov_deg(frames, make_config(labeller="strong2d", fov_deg="intrinsics", fx=707.09, width=1226).params)
    assert fov[0] == pytest.approx(81.85, abs=0.01) and frames["fov_deg"].isna().all()
    centres = frames[["tx", "ty", "tz"]].to_numpy()
    R = quat_to_matrix(frames[["qw", "qx", "qy", "qz"]].to_numpy())
    close = cKDTree(centres).query_pairs(5.0, output_type="ndarray")
    close = close[np.abs(close[:, 0] - close[:, 1]) > 500]  # revisits, not neighbours in time
    turn = np.degrees(np.arccos(np.clip(np.einsum("ni,ni->n", R[close[:, 0], :, 2], R[close[:, 1], :, 2]), -1, 1)))
    loops = close[turn < 15.0]  # same direction: optical axes within 15°
    assert len(loops) > 2000
    overlap = pairs.set_index(["frame_a", "frame_b"])["overlap"]
    got = overlap.reindex(pd.MultiIndex.from_arrays([loops.min(1), loops.max(1)])).to_numpy()
    assert not np.isnan(got).any() and got.min() > 0.5
    # nothing beyond reach: apexes 2r apart cannot overlap and are not even candidates
    assert pairs["distance_m"].max() < 60.0
    assert frames["x_m"].isna().all()  # x_m means CRS coordinates; the plane placement has its own names
    far = cKDTree(frames[["plane_x_m", "plane_y_m"]].to_numpy()).query_pairs(60.0, output_type="ndarray")
    assert len(pairs) == len(far)  # with keep_zero, the pairs are exactly those closer than 2r
    assert (pairs["frame_a"] < pairs["frame_b"]).all()


@pytest.mark.realdata
def test_7scenes_stairs_roles_and_cross_sequence_pairs(tmp_path):
    out = tmp_path / "stairs"
    annotate(shared(STAIRS), "7scenes", preset="tb-places", out=out)
    pairs = read_pairs(out, with_keys=True)
    frames = pd.read_parquet(out / "_frames" / "frames.parquet").set_index("frame_id")
    roles = frames.groupby("sequence")["role"].first().to_dict()
    test_split = (STAIRS / "stairs" / "TestSplit.txt").read_text().split()
    expected = {f"seq-{int(s[8:]):02d}": "query" if s in test_split else "database"
                for s in test_split + (STAIRS / "stairs" / "TrainSplit.txt").read_text().split()}
    assert roles == expected
    seq_a = frames.loc[pairs["frame_a"], "sequence"].to_numpy()
    seq_b = frames.loc[pairs["frame_b"], "sequence"].to_numpy()
    cross = pairs[seq_a != seq_b]
    assert len(cross) > 0 and cross["overlap"].nunique() > 5  # graded, not binary
    assert frames["depth_path"].str.endswith(".depth.png").all()
    assert (frames["fx"] == 585.0).all() and (frames["width"] == 640).all()


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["freiburg1_xyz-groundtruth.txt", "fr2_desk_groundtruth.txt"])
def test_tum_groundtruth_neighbours_overlap_most(name):
    pairs = annotate(shared(TUM) / name, "tum", labeller="strong2d", mode="within", radius_m=2.0,
                     fov_deg="intrinsics", fx=517.3, width=640, reader_options={"stride": 10})
    gap = pairs["frame_b"] - pairs["frame_a"]
    by_gap = pairs.groupby(pd.cut(gap, [0, 1, 3, 10, 1_000_000]), observed=True)["overlap"].mean()
    assert (np.diff(by_gap.to_numpy()) < 0).all(), by_gap
    assert by_gap.iloc[0] > 0.9


def colmap_text_to_binary(src, dst):
    """Write a COLMAP text model as cameras.bin + images.bin (COLMAP's binary layout)."""
    model = load_model(src)
    ids = {name: mid for mid, (name, _) in CAMERA_MODELS.items()}
    dst.mkdir()
    with open(dst / "cameras.bin", "wb") as f:
        f.write(struct.pack("<Q", len(model.cameras)))
        for cid, cam in model.cameras.items():
            f.write(struct.pack("<iiQQ", cid, ids[cam.model], cam.width, cam.height))
            f.write(struct.pack(f"<{len(cam.params)}d", *cam.params))
    with open(dst / "images.bin", "wb") as f:
        f.write(struct.pack("<Q", len(model.images)))
        for im in model.images:
            f.write(struct.pack("<I7dI", im.image_id, *im.q_cam_from_world, *im.t_cam_from_world, im.camera_id))
            f.write(im.name.encode() + b"\0")
            f.write(struct.pack("<Q", len(im.point3d_ids)))
            for pid in im.point3d_ids:
                f.write(struct.pack("<ddq", 0.0, 0.0, pid))


@pytest.mark.realdata
def test_colmap_text_and_binary_models_read_the_same(tmp_path):
    colmap_text_to_binary(shared(MAUPERTUIS), tmp_path / "bin")
    text = read_frames(MAUPERTUIS, format="colmap")
    binary = read_frames(tmp_path / "bin", format="colmap")
    cols = ["key", "tx", "ty", "tz", "qw", "qx", "qy", "qz", "fx", "fy", "cx", "cy", "width", "height"]
    pd.testing.assert_frame_equal(text[cols], binary[cols])
    assert len(text) == 4 and text["group"].iloc[0] == "maupertuis"
    # camera centres by hand from images.txt: C = -R^T t
    for line in (MAUPERTUIS / "images.txt").read_text().splitlines():
        parts = line.split()
        if line.startswith("#") or len(parts) != 10 or not parts[9].endswith(".jpg"):
            continue
        q, t = np.array(parts[1:5], float), np.array(parts[5:8], float)
        centre = -quat_to_matrix(q / np.linalg.norm(q))[0].T @ t
        row = text[text["key"] == parts[9]].iloc[0]
        assert np.allclose(row[["tx", "ty", "tz"]].to_numpy(float), centre, atol=1e-9)
    pairs = annotate(MAUPERTUIS, "colmap", labeller="strong2d", mode="within")
    assert len(pairs) == 6


# ---- hand-made files ----

def _tum_dir(tmp_path, rgb_times, gt_times=None, q="0 0 0 1"):
    folder = tmp_path / "tum"
    folder.mkdir(parents=True)
    gt_times = np.arange(0.0, 1.01, 0.01) if gt_times is None else gt_times
    (folder / "groundtruth.txt").write_text("# timestamp tx ty tz qx qy qz qw\n" + "".join(
        f"{t:.4f} {t:.4f} 0 0 {q}\n" for t in gt_times))
    (folder / "rgb.txt").write_text("# timestamp filename\n" + "".join(f"{t:.6f} rgb/{t:.6f}.png\n" for t in rgb_times))
    (folder / "depth.txt").write_text("".join(f"{t + 0.004:.6f} depth/{t:.6f}.png\n" for t in rgb_times))
    return folder


def test_tum_images_get_interpolated_poses_and_depth(tmp_path):
    folder = _tum_dir(tmp_path, [0.105, 0.5])
    frames = read_frames(folder, format="tum")
    assert frames["key"].tolist() == ["rgb/0.105000.png", "rgb/0.500000.png"]
    assert frames["tx"].tolist() == pytest.approx([0.105, 0.5])  # linear between 0.10 and 0.11
    assert frames["depth_path"].tolist() == ["depth/0.105000.png", "depth/0.500000.png"]
    assert frames[["qw", "qx", "qy", "qz"]].iloc[0].tolist() == pytest.approx([1, 0, 0, 0])


def test_tum_quaternion_is_scalar_last_in_the_file(tmp_path):
    folder = _tum_dir(tmp_path, [0.5], q="0 0 0.7071068 0.7071068")  # qx qy qz qw: 90° about z
    frames = read_frames(folder / "groundtruth.txt", format="tum")
    assert frames[["qw", "qx", "qy", "qz"]].iloc[0].tolist() == pytest.approx([0.7071068, 0, 0, 0.7071068], abs=1e-6)


def test_tum_errors(tmp_path):
    folder = _tum_dir(tmp_path, [0.5, 1.7])
    with pytest.raises(InputError) as err:
        read_frames(folder, format="tum")
    assert "rgb.txt, line 3: image time 1.700000 is outside the ground truth's span [0.000000, 1.000000]" in str(err.value)
    assert len(read_frames(folder, format="tum", clip=True)) == 1
    gappy = _tum_dir(tmp_path / "g", [0.5], gt_times=np.r_[np.arange(0, 0.4, 0.01), np.arange(0.7, 1.0, 0.01)])
    with pytest.raises(InputError, match="poses around image time 0.500000 are 0.3.. s apart"):
        read_frames(gappy, format="tum")


@pytest.mark.parametrize(
    "line, message",
    [
        ("0.5 1 2 3 0 0 0", "line 3: TUM pose 'timestamp tx ty tz qx qy qz qw': expected 8 numbers, got 7"),
        ("0.5 1 2 3 0 0 0 0", "line 3: quaternion [0.0, 0.0, 0.0, 0.0] is zero"),
        ("0.5 1 2 3 0 0 0 1.01", "line 3: quaternion norm 1.010000 is not 1"),
    ],
)
def test_tum_bad_pose_lines(tmp_path, line, message):
    path = tmp_path / "groundtruth.txt"
    path.write_text(f"# header\n0.4 1 2 3 0 0 0 1\n{line}\n")
    with pytest.raises(InputError) as err:
        read_frames(path, format="tum")
    assert message in str(err.value) and str(err.value).startswith(str(path))


def test_nearly_unit_quaternions_are_normalised(tmp_path):
    path = tmp_path / "groundtruth.txt"
    path.write_text("0.4 1 2 3 0 0 0 1.0008\n")
    assert read_frames(path, format="tum")["qw"].iloc[0] == pytest.approx(1.0)


def test_kitti_wrong_count_and_non_rigid(tmp_path):
    good = "1 0 0 0 0 1 0 0 0 0 1 0"
    path = tmp_path / "00.txt"
    path.write_text(f"{good}\n{good} 5\n")
    with pytest.raises(InputError, match=r"00.txt, line 2: KITTI pose .*: expected 12 numbers, got 13"):
        read_frames(path, format="kitti")
    path.write_text(f"{good}\n1 0 0 0 0 2 0 0 0 0 1 0\n")
    with pytest.raises(InputError, match=r"00.txt, line 2: rotation is not rigid: det 2"):
        read_frames(path, format="kitti")


@pytest.mark.realdata
def test_7scenes_missing_split_and_non_rigid_pose(tmp_path):
    root = tmp_path / "stairs_copy"
    shutil.copytree(shared(STAIRS) / "stairs", root / "stairs")
    (root / "stairs" / "TrainSplit.txt").unlink()
    with pytest.raises(InputError, match=r"TrainSplit.txt: 7-Scenes split file TrainSplit.txt is missing"):
        read_frames(root, format="7scenes")
    shutil.copy(STAIRS / "stairs" / "TrainSplit.txt", root / "stairs" / "TrainSplit.txt")
    pose = root / "stairs" / "seq-02" / "frame-000001.pose.txt"
    pose.write_text("2 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n")
    with pytest.raises(InputError, match=r"frame-000001.pose.txt: rotation is not rigid"):
        read_frames(root, format="7scenes")


def test_colmap_unknown_camera(tmp_path):
    model = tmp_path / "sparse" / "0"
    model.mkdir(parents=True)
    (model / "cameras.txt").write_text("# cameras\n1 SIMPLE_PINHOLE 100 80 90 50 40\n")
    (model / "images.txt").write_text("# images\n1 1 0 0 0 0 0 0 1 a.jpg\n\n2 1 0 0 0 1 0 0 7 b.jpg\n\n")
    with pytest.raises(InputError) as err:
        read_frames(model, format="colmap")
    assert str(err.value) == (f"{model / 'images.txt'}, line 4, column 'CAMERA_ID': image 'b.jpg' uses camera 7, "
                              "which cameras.txt does not define (cameras: [1])")


def test_tbplaces_index(tmp_path):
    index = {"im_paths": ["a/0.png", "a/1.png"], "poses": [[0, 0, 0, 0, 0, 0, 1], [0.5, 0, 0, 0, 0, 0, 1]]}
    (tmp_path / "garden.json").write_text(json.dumps(index))
    frames = read_frames(tmp_path / "garden.json", format="tbplaces")
    assert frames["key"].tolist() == ["a/0.png", "a/1.png"] and frames["group"].iloc[0] == "garden"
    assert frames["qw"].tolist() == [1.0, 1.0] and frames["tx"].tolist() == [0.0, 0.5]
    index["poses"][1] = [0, 0, 0, 0, 0, 1]
    (tmp_path / "bad.json").write_text(json.dumps(index))
    with pytest.raises(InputError, match=r"bad.json, poses\[1\]: pose must be 7 numbers"):
        read_frames(tmp_path / "bad.json", format="tbplaces")


def test_csv_poses_both_directions_and_both_layouts(tmp_path):
    rng = np.random.default_rng(2)
    q = rng.normal(size=(5, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    R = quat_to_matrix(q)
    t = rng.normal(size=(5, 3))
    c2w = pd.DataFrame({"key": list("abcde"), "tx": t[:, 0], "ty": t[:, 1], "tz": t[:, 2],
                        "qw": q[:, 0], "qx": q[:, 1], "qy": q[:, 2], "qz": q[:, 3]})
    c2w.to_csv(tmp_path / "c2w.csv", index=False)
    Rt = np.swapaxes(R, 1, 2)
    w2c_t = -np.einsum("nij,nj->ni", Rt, t)
    M = np.zeros((5, 4, 4))
    M[:, :3, :3], M[:, :3, 3], M[:, 3, 3] = Rt, w2c_t, 1.0
    w2c = pd.DataFrame(M.reshape(5, 16), columns=[f"m{r}{k}" for r in range(4) for k in range(4)])
    w2c.insert(0, "key", list("abcde"))
    w2c.to_csv(tmp_path / "w2c.csv", index=False)
    a = read_frames(tmp_path / "c2w.csv", format="csv", pose="cam_to_world")
    b = read_frames(tmp_path / "w2c.csv", format="csv", pose="world_to_cam")
    cols = ["tx", "ty", "tz", "qw", "qx", "qy", "qz"]
    assert np.allclose(a[cols].to_numpy(), b[cols].to_numpy(), atol=1e-9)
    assert np.allclose(a[["qw", "qx", "qy", "qz"]].to_numpy(), matrix_to_quat(R), atol=1e-9)
    with pytest.raises(InputError, match="pose columns need pose= one of cam_to_world, world_to_cam"):
        read_frames(tmp_path / "c2w.csv", format="csv")
    w2c.loc[2, "m00"] = 3.0
    w2c.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputError, match=r"bad.csv, row 3 \(line 4\): rotation is not rigid"):
        read_frames(tmp_path / "bad.csv", format="csv", pose="world_to_cam")


def test_tum_depth_is_5000_units_per_metre(tmp_path):
    from PIL import Image

    from fovlabel.config import make_config
    from fovlabel.labellers import get_labeller

    folder = _tum_dir(tmp_path, [0.2, 0.3])
    (folder / "depth").mkdir()
    for t in (0.2, 0.3):  # a wall 1 m in front: 5000 TUM units
        Image.fromarray(np.full((6, 8), 5000, np.uint16)).save(folder / "depth" / f"{t:.6f}.png")
    frames = read_frames(folder, format="tum")
    assert frames["depth_scale"].tolist() == [5000.0, 5000.0]
    frames[["fx", "fy", "cx", "cy", "width", "height"]] = [4.0, 4.0, 4.0, 3.0, 8, 6]
    config = make_config(labeller="cloud3d", voxel_m=0.01)
    state = get_labeller("cloud3d").prepare(frames, config.params, folder).state
    # the farthest pixel (a corner) is 1 m deep: sqrt(1 + (4/4)^2 + (3/4)^2) m from the camera
    assert state["reach"][0] - np.sqrt(3.0) * 0.01 == pytest.approx(np.sqrt(1 + 1 + 0.5625), rel=1e-9)


@pytest.mark.realdata
def test_tum_fr2_desk_with_a_repeated_timestamp_reads_at_stride_1(tmp_path):
    # the real fr2_desk ground truth has two lines with the same timestamp (1311868229.5760): valid;
    # the reader keeps the first pose of that instant and the summary says so
    path = shared(TUM) / "fr2_desk_groundtruth.txt"
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    stamps = [line.split()[0] for line in lines]
    repeated = len(stamps) - len(set(stamps))
    assert repeated >= 1
    frames = read_frames(path, "tum")
    assert len(frames) == len(set(stamps)) and frames["key"].is_unique
    assert frames.attrs["notes"][0].startswith(f"fr2_desk_groundtruth.txt: {repeated} pose line(s) repeat")
    # a 5 mm radius keeps the pairs to neighbours (the camera moves about 1 mm a frame)
    summary = annotate(path, "tum", labeller="strong2d", mode="within", radius_m=0.005, fov_deg=60.0,
                       out=tmp_path / "labels")
    assert summary.frames == len(set(stamps))
    assert any("repeat the timestamp" in line for line in summary.lines())
