"""Exporters: each format read back by an independent reader written here from the trainer's
documentation (../shared/TRAINER_FORMATS.md), and the output rules for exports."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import SAMPLE, SHARED, cli, shared, snapshot
from fovlabel import ConfigError, annotate, read_label_frames, read_pairs
from fovlabel.errors import OutputError
from fovlabel.exporters import export

KITTI = SHARED / "poses" / "kitti_odometry"


@pytest.fixture(scope="module")
def poses_set(tmp_path_factory):
    """A within-mode strong2d label set of a small synthetic trajectory (two passes of a loop)."""
    tmp = tmp_path_factory.mktemp("poses")
    lines = []
    for k in range(40):
        a = 2 * np.pi * k / 20  # twice round a circle of radius 10 m, camera looking along it
        c, s = np.cos(a), np.sin(a)
        R = np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]])  # columns x, y (down), z (forward, tangent)
        t = [10 * c, 0.0, 10 * s]
        lines.append(" ".join(f"{v:.9f}" for v in np.c_[R, t].ravel()))
    (tmp / "00.txt").write_text("\n".join(lines) + "\n")
    out = tmp / "labels"
    annotate(tmp / "00.txt", "kitti", labeller="strong2d", fov_deg=90.0, radius_m=8.0, mode="within", out=out)
    return out


def _parse_hloc(path):
    """hloc.utils.parsers.parse_retrieval, as documented: ``name0 name1`` a line, split on white space."""
    pairs = {}
    for line in path.read_text().splitlines():
        if line:
            q, r = line.split()
            pairs.setdefault(q, []).append(r)
    return pairs


def _best_partners(labels, k, min_overlap, both_ways=True):
    pairs = read_pairs(labels, with_keys=True)
    both = pairs[["key_a", "key_b", "overlap"]].to_numpy()
    if both_ways:  # within mode: each pair once, each frame ranks partners in both directions
        both = np.r_[both, pairs[["key_b", "key_a", "overlap"]].to_numpy()]
    out = {}
    for q, r, v in sorted(both.tolist(), key=lambda x: (x[0], -x[2], x[1])):
        if v > min_overlap and len(out.setdefault(q, [])) < k:
            out[q].append(r)
    return {q: rs for q, rs in out.items() if rs}


def test_hloc_round_trip(poses_set, tmp_path):
    out = export(poses_set, "hloc", tmp_path / "hloc", k=3, min_overlap=0.2)
    parsed = _parse_hloc(out / "pairs.txt")
    assert parsed == {q: rs for q, rs in _best_partners(poses_set, 3, 0.2).items()}
    assert max(len(v) for v in parsed.values()) == 3 and len(parsed) == 40
    manifest = json.loads((out / "fovlabel-export.json").read_text())
    assert manifest["files"] == ["pairs.txt"] and manifest["options"] == {"k": 3, "min_overlap": 0.2, "image_root": None}
    assert manifest["label_set_id"] == read_pairs(poses_set).attrs["fovlabel"]["label_set_id"]


def test_hloc_cross_mode_lists_queries_against_the_database(tmp_path):
    labels = tmp_path / "labels"
    annotate(SAMPLE, "msls", preset="msls", out=labels)
    out = export(labels, "hloc", tmp_path / "hloc", k=5)
    frames = read_label_frames(labels).set_index("image_path")  # names: image paths (MSLS layout)
    parsed = _parse_hloc(out / "pairs.txt")
    assert set(frames.loc[list(parsed), "role"]) == {"query"}
    assert {frames.loc[r, "role"] for rs in parsed.values() for r in rs} == {"database"}
    by_key = frames.reset_index().set_index("key")["image_path"]
    expected = {by_key[q]: [by_key[r] for r in rs] for q, rs in _best_partners(labels, 5, 0.0, both_ways=False).items()}
    assert parsed == expected


def test_hloc_refuses_a_name_with_white_space(tmp_path):
    (tmp_path / "f.csv").write_text("key,lat,lon,heading_deg\nmy image.jpg,48.1,11.5,0\nb.jpg,48.10001,11.5,0\n")
    annotate(tmp_path / "f.csv", "csv", mode="within", out=tmp_path / "labels")
    with pytest.raises(ConfigError, match=r"hloc cannot take image name 'my image.jpg' \(frame 0, f.csv\): "
                                          "hloc splits pairs-file lines on white space"):
        export(tmp_path / "labels", "hloc", tmp_path / "hloc")
    assert not (tmp_path / "hloc").exists()


@pytest.mark.realdata
def test_hloc_on_kitti_06(tmp_path):
    labels = tmp_path / "kitti06"
    annotate(shared(KITTI) / "06.txt", "kitti", labeller="strong2d", fov_deg="intrinsics", fx=707.09,
             width=1226, radius_m=30.0, mode="within", out=labels)
    out = export(labels, "hloc", tmp_path / "hloc", k=10, min_overlap=0.3)
    parsed = _parse_hloc(out / "pairs.txt")
    assert parsed == _best_partners(labels, 10, 0.3)
    # the loop closure: frames of the first pass find frames of the second among their partners
    revisits = sum(any(abs(int(q) - int(r)) > 500 for r in rs) for q, rs in parsed.items())
    assert revisits > 100


def _read_gcl(folder, group):
    """GCL's SiameseDataSet inputs, read as documented: condensed squareform fov/sim + index JSON."""
    import h5py
    from scipy.spatial.distance import squareform

    with h5py.File(folder / f"{group}_gt.h5", "r") as f:
        fov, sim = f["fov"][()], f["sim"][()]
    index = json.loads((folder / f"{group}.json").read_text())
    return squareform(fov.astype(np.float64)), squareform(sim.astype(np.float64)), index


def test_gcl_pairs_round_trip(poses_set, tmp_path):
    out = export(poses_set, "gcl-pairs", tmp_path / "gcl")
    group = read_label_frames(poses_set)["group"].iloc[0]
    fov, sim, index = _read_gcl(out, group)
    frames = read_label_frames(poses_set)
    pairs = read_pairs(poses_set)
    assert fov.shape == (len(frames), len(frames))
    expected = np.zeros_like(fov)
    expected[pairs["frame_a"], pairs["frame_b"]] = pairs["overlap"].astype(np.float32)
    expected += expected.T
    assert np.array_equal(fov, expected)  # cell by cell; absent pairs 0, diagonal 0 (GCL's trap)
    assert (fov > 0).sum() > 2 * len(frames)  # a graded matrix, not an empty one
    assert np.array_equal(sim, (expected >= 0.5).astype(float))  # the label set's positive threshold
    assert index["im_paths"] == frames["key"].tolist() and index["im_prefix"].endswith("/")
    # poses: camera-to-world, quaternion scalar-last, as GCL reads them
    assert np.allclose(index["poses"], frames[["tx", "ty", "tz", "qx", "qy", "qz", "qw"]].to_numpy())
    # written in row blocks: any block size gives the same bytes
    small = export(poses_set, "gcl-pairs", tmp_path / "gcl3", block_rows=3)
    assert np.array_equal(_read_gcl(small, group)[0], fov)


@pytest.mark.realdata
def test_gcl_pairs_on_7scenes_stairs(tmp_path):
    labels = tmp_path / "stairs"
    annotate(shared(SHARED / "rgbd" / "7scenes_stairs_native"), "7scenes", preset="tb-places", out=labels)
    fov, _, index = _read_gcl(export(labels, "gcl-pairs", tmp_path / "gcl"), "stairs")
    assert fov.shape == (12, 12) and (fov > 0).sum() > 10
    root = index["im_prefix"]
    assert all((__import__("pathlib").Path(root) / p).is_file() for p in index["im_paths"])


def test_gcl_pairs_refuses_what_it_cannot_serve(tmp_path):
    labels = tmp_path / "cross"
    annotate(SAMPLE, "msls", preset="msls", out=labels)
    with pytest.raises(ConfigError, match="gcl-pairs needs a within-mode label set .* group 'sampleville' is in "
                                          "cross mode: use gcl-msls"):
        export(labels, "gcl-pairs", tmp_path / "gcl")
    ioa = tmp_path / "ioa"
    annotate(SAMPLE, "msls", preset="msls", mode="within", measure="ioa", out=ioa)
    with pytest.raises(ConfigError, match="gcl-pairs needs a symmetric measure"):
        export(ioa, "gcl-pairs", tmp_path / "gcl")


def test_exports_follow_the_output_rules(poses_set, tmp_path):
    out = export(poses_set, "hloc", tmp_path / "hloc", k=2)
    with pytest.raises(OutputError, match="output exists; pass --overwrite"):
        export(poses_set, "hloc", out, k=2)
    export(poses_set, "hloc", out, k=1, overwrite=True)
    assert max(len(v) for v in _parse_hloc(out / "pairs.txt").values()) == 1
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="it holds notes.txt, which fovlabel did not write"):
        export(poses_set, "hloc", out, overwrite=True)
    before = snapshot(poses_set)
    with pytest.raises(OutputError, match="it is inside the label set"):
        export(poses_set, "hloc", poses_set / "hloc")
    with pytest.raises(OutputError, match="it is the input dataset"):
        export(poses_set, "hloc", poses_set, overwrite=True)
    assert snapshot(poses_set) == before
    with pytest.raises(ConfigError, match="hloc does not take block_rows; it takes: image_root, k, min_overlap"):
        export(poses_set, "hloc", tmp_path / "x", block_rows=3)


def test_export_command(poses_set, tmp_path):
    result = cli("export", poses_set, "--to", "hloc", "--k", "2", "--out", tmp_path / "h")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"written: {tmp_path / 'h'} (hloc)"
    assert [line.split(":")[1].strip() for line in result.stderr.splitlines()] == ["reading labels", "writing hloc"]
    quiet = cli("export", poses_set, "--to", "hloc", "--k", "2", "--out", tmp_path / "h", "--overwrite", "-q")
    assert quiet.exit_code == 0 and quiet.stderr == "", quiet.output
    text = cli("export", "--help").output
    for name in ("hloc", "gcl-pairs", "gcl-msls", "d2net", "loftr-megadepth", "loftr-scannet", "classes"):
        assert f"  {name:<10} " in text
    assert "--min-overlap FLOAT" in text and "Examples:" in text
    result = cli("export", poses_set, "--to", "loftr-megadepth2", "--out", tmp_path / "x")
    from fovlabel.exporters import EXPORTERS

    assert result.exit_code == 2
    assert result.output.strip() == f"error: unknown export format 'loftr-megadepth2'; known: {', '.join(sorted(EXPORTERS))}"


def _gcl_msls_reader(root, city, split="train_val/"):
    """GCL's MSLSDataSet inputs as documented: <root>train_val/<city>_gt.h5 'fov' (n_query x
    n_database, raw.csv row order) and the pano flag from raw.csv's last column."""
    import h5py
    import pandas as pd

    with h5py.File(f"{root}{split}{city}_gt.h5", "r") as f:
        fov, sim = f["fov"][()], f["sim"][()]
    raws = {role: pd.read_csv(f"{root}{split}{city}/{role}/raw.csv") for role in ("query", "database")}
    return fov, sim, raws


def test_gcl_msls_round_trip_on_the_sample_city(tmp_path):
    labels = tmp_path / "labels"
    annotate(SAMPLE, "msls", preset="msls", out=labels)
    out = export(labels, "gcl-msls", tmp_path / "gcl", block_mb=0.01)  # tiny blocks: many row blocks
    pairs = read_pairs(labels, with_keys=True)
    assert sorted(json.loads((out / "fovlabel-export.json").read_text())["files"]) == [
        "train_val/sampleville/database.json", "train_val/sampleville/query.json", "train_val/sampleville_gt.h5"]
    # lay the files beside the data, as --into would, and read them as GCL does
    import shutil

    root = shutil.copytree(SAMPLE, tmp_path / "msls")
    shutil.copytree(out / "train_val", root / "train_val", dirs_exist_ok=True)
    fov, sim, raws = _gcl_msls_reader(f"{root}/", "sampleville")
    q_keys, d_keys = raws["query"]["key"].tolist(), raws["database"]["key"].tolist()
    assert fov.shape == (len(q_keys), len(d_keys)) and fov.dtype == np.float32
    expected = np.zeros_like(fov)
    expected[[q_keys.index(k) for k in pairs["key_a"]], [d_keys.index(k) for k in pairs["key_b"]]] = pairs["overlap"]
    assert np.array_equal(fov, expected) and np.array_equal(sim, (expected >= 0.5).astype(np.uint8))
    # panoramas stay in the matrix, at their raw.csv rows/columns, as zero rows/columns
    pano_q = raws["query"].iloc[:, -1].astype(bool).to_numpy()
    pano_d = raws["database"].iloc[:, -1].astype(bool).to_numpy()
    assert pano_q.any() or pano_d.any()
    assert not fov[pano_q].any() and not fov[:, pano_d].any()
    index = json.loads((out / "train_val" / "sampleville" / "query.json").read_text())
    assert index["im_paths"] == [f"train_val/sampleville/query/images/{k}.jpg" for k in q_keys]
    frames = read_label_frames(labels).set_index("key")
    assert np.allclose(index["loc"], frames.loc[q_keys, ["x_m", "y_m", "heading_deg"]].to_numpy())


def test_gcl_msls_into_adds_only_new_files(tmp_path):
    import shutil

    labels = tmp_path / "labels"
    annotate(SAMPLE, "msls", preset="msls", out=labels)
    root = shutil.copytree(SAMPLE, tmp_path / "msls")
    before = snapshot(root)
    assert export(labels, "gcl-msls", into=root) == root
    after = snapshot(root)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing that was there changed
    assert sorted(set(after) - set(before)) == ["train_val/sampleville/database.json",
                                                "train_val/sampleville/query.json", "train_val/sampleville_gt.h5"]
    with pytest.raises(ConfigError, match=r"sampleville_gt.h5: exists; --into adds only new files and never "
                                          r"replaces one \(3 of 3 exist\)"):
        export(labels, "gcl-msls", into=root)
    assert snapshot(root) == after
    assert not [p for p in root.iterdir() if p.name.startswith(".fovlabel-into-")]


def test_gcl_msls_refuses_what_it_cannot_serve(poses_set, tmp_path):
    with pytest.raises(ConfigError, match="gcl-msls needs a label set of an MSLS dataset .*; this one is kitti"):
        export(poses_set, "gcl-msls", tmp_path / "x")
    within = tmp_path / "within"
    annotate(SAMPLE, "msls", preset="msls", mode="within", out=within)
    with pytest.raises(ConfigError, match="gcl-msls needs cross mode .* group 'sampleville' is in within mode"):
        export(within, "gcl-msls", tmp_path / "x")


@pytest.mark.realdata
def test_gcl_msls_on_munich(tmp_path):
    from conftest import MUNICH

    labels = tmp_path / "munich"
    annotate(shared(MUNICH), "msls", preset="msls", out=labels)
    out = export(labels, "gcl-msls", tmp_path / "gcl")
    import h5py
    import pandas as pd

    with h5py.File(out / "munich_4s_gt.h5", "r") as f:
        fov = f["fov"][()]
    q = pd.read_csv(MUNICH / "munich_4s" / "query" / "raw.csv")["key"].astype(str).tolist()
    d = pd.read_csv(MUNICH / "munich_4s" / "database" / "raw.csv")["key"].astype(str).tolist()
    pairs = read_pairs(labels, with_keys=True)
    expected = np.zeros((len(q), len(d)), np.float32)
    expected[[q.index(k) for k in pairs["key_a"]], [d.index(k) for k in pairs["key_b"]]] = pairs["overlap"]
    assert np.array_equal(fov, expected) and (fov >= 0.5).sum() == (pairs["rank"] == 2).sum()


# -- d2net / glue-factory and LoFTR MegaDepth ------------------------------------------------------

MAUPERTUIS = SHARED / "colmap" / "maupertuis" / "sparse" / "0"


@pytest.mark.realdata
def test_d2net_equals_d2nets_definition_on_maupertuis(tmp_path):
    labels = tmp_path / "maup"
    annotate(shared(MAUPERTUIS), "colmap", labeller="cloud3d", mode="within", out=labels)
    out = export(labels, "d2net", tmp_path / "d2")
    info = np.load(out / "scene_info" / "maupertuis.npz", allow_pickle=True)
    # by hand from points3D.txt: P_i = the points whose track holds image i; [i, j] = |Pi ∩ Pj| / |Pi|
    seen = {}
    for line in (MAUPERTUIS / "points3D.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            parts = line.split()
            for image_id in parts[8::2]:
                seen.setdefault(int(image_id), set()).add(int(parts[0]))
    ids = sorted(seen)
    expected = np.array([[-1.0 if i == j else len(seen[i] & seen[j]) / len(seen[i]) for j in ids] for i in ids])
    assert np.array_equal(info["overlap_matrix"], expected)  # exactly, in float64
    names = {int(l.split()[0]): l.split()[-1] for l in (MAUPERTUIS / "images.txt").read_text().splitlines()
             if l and not l.startswith("#") and l.split()[-1].endswith(".jpg")}
    # the export is the data root: its images/ links to the dataset's images, relatively
    assert info["image_paths"].tolist() == [f"images/maupertuis/{names[i]}" for i in ids]
    for i, path in zip(ids, info["image_paths"]):
        assert (out / path).resolve() == (MAUPERTUIS.parents[1] / "images" / names[i]).resolve()
        assert not (out / path).readlink().is_absolute()
    # poses are world-to-camera: COLMAP's own QW..TZ of images.txt
    from fovlabel.geometry.poses import quat_to_matrix

    line = next(l for l in (MAUPERTUIS / "images.txt").read_text().splitlines() if l.startswith(f"{ids[0]} "))
    q, t = np.array(line.split()[1:5], float), np.array(line.split()[5:8], float)
    assert np.allclose(info["poses"][0][:3, :3], quat_to_matrix(q)[0], atol=1e-9)
    assert np.allclose(info["poses"][0][:3, 3], t, atol=1e-9)
    assert info["depth_paths"].tolist() == [None] * len(ids)


def _consistent_share(depth_i, depth_j, K_i, K_j, cw_i, cw_j, scale, stride=4):
    """From the exported values only (K, COLMAP's pixels, and world-to-camera poses): the share of frame i's valid
    depth pixels that, warped into frame j, land on a valid depth pixel of j and agree with it
    within 5% (relative)."""
    v, u = np.mgrid[0:depth_i.shape[0]:stride, 0:depth_i.shape[1]:stride]
    d = depth_i[v, u].astype(np.float64)
    ok = (d > 0) & (d < 65535)
    z = d[ok] / scale
    # the exported K is COLMAP's: pixel (u, v) has its centre at (u + 0.5, v + 0.5), and a point at
    # x lies in pixel floor(x)
    cam = np.stack([(u[ok] + 0.5 - K_i[0, 2]) * z / K_i[0, 0], (v[ok] + 0.5 - K_i[1, 2]) * z / K_i[1, 1], z,
                    np.ones_like(z)])
    in_j = cw_j @ np.linalg.inv(cw_i) @ cam  # world-to-camera j after camera-to-world i
    front = in_j[2] > 1e-6
    uj = np.floor(K_j[0, 0] * in_j[0][front] / in_j[2][front] + K_j[0, 2]).astype(int)
    vj = np.floor(K_j[1, 1] * in_j[1][front] / in_j[2][front] + K_j[1, 2]).astype(int)
    inside = (uj >= 0) & (vj >= 0) & (uj < depth_j.shape[1]) & (vj < depth_j.shape[0])
    ref = depth_j[vj[inside], uj[inside]].astype(np.float64)
    valid = (ref > 0) & (ref < 65535)
    zj = in_j[2][front][inside][valid]
    ref = ref[valid] / scale
    return float(np.mean(np.abs(zj - ref) <= 0.05 * ref)) if len(ref) else 0.0


@pytest.mark.realdata
def test_d2net_and_loftr_on_redkitchen_warp_consistently(tmp_path):
    import pickle

    from fovlabel.io.depth import read_depth

    kitchen = shared(SHARED / "rgbd" / "7scenes_redkitchen_every20")
    labels = tmp_path / "kitchen"
    annotate(kitchen, "7scenes", labeller="cloud3d", mode="within", out=labels)
    d2 = export(labels, "d2net", tmp_path / "d2")
    scene = "7scenes_redkitchen_every20"
    assert (d2 / "train_scenes.txt").read_text() == scene + "\n"
    info = np.load(d2 / "scene_info" / f"{scene}.npz", allow_pickle=True)
    overlap = info["overlap_matrix"]
    assert (np.diag(overlap) == -1).all() and ((overlap >= 0) | (np.eye(len(overlap)) == 1)).all()
    frames = read_label_frames(labels)
    close = [(i, j) for i in range(len(overlap)) for j in range(len(overlap)) if i != j and overlap[i, j] >= 0.5]
    assert len(close) > 20
    depth = {i: read_depth(kitchen / frames["depth_path"].iloc[i]) for i in range(len(frames))}
    K, poses = info["intrinsics"], info["poses"]
    shares = [_consistent_share(depth[i], depth[j], K[i], K[j], poses[i], poses[j], 1000.0) for i, j in close]
    # pairs with overlap >= 0.5: most agree on >= 90% of their warped pixels, nearly all on >= 70%
    # (the README's 50 kitchen frames hold one pair at 65%: the depth sensor's own noise)
    assert np.median(shares) >= 0.9 and np.percentile(shares, 5) >= 0.7, shares
    # the check can fail: read as camera-to-world (the wrong direction), the poses do not agree
    wrong = [_consistent_share(depth[i], depth[j], K[i], K[j], np.linalg.inv(poses[i]), np.linalg.inv(poses[j]),
                               1000.0) for i, j in close]
    assert np.mean(wrong) < 0.5 * np.mean(shares)
    # glue-factory's depth files: float32 metres, the image's size
    import h5py

    with h5py.File(d2 / info["depth_paths"][0], "r") as f:
        metres = f["depth"][()]
    assert metres.dtype == np.float32 and metres.shape == depth[0].shape
    assert np.allclose(metres[depth[0] > 0], depth[0][depth[0] > 0] / 1000.0)
    # LoFTR: pickled dicts per bin; the loader deletes a key, which a real npz refuses
    lo = export(labels, "loftr-megadepth", tmp_path / "loftr", bins="0.1,0.3,0.5,0.7")
    names = (lo / "index.txt").read_text().split()
    assert names == [f"{scene}_0.1_0.3", f"{scene}_0.3_0.5", f"{scene}_0.5_0.7"]
    total = 0
    for name in names:
        d = np.load(lo / f"{name}.npz", allow_pickle=True)
        assert isinstance(d, dict)
        infos = d["pair_infos"]
        del d["pair_infos"]  # what LoFTR's loader does
        lo_edge, hi_edge = (float(v) for v in name.split("_")[-2:])
        for (ij, score, central) in infos:
            i, j = ij
            assert lo_edge < score <= hi_edge and score == min(overlap[i, j], overlap[j, i])
            assert central.shape == (4,)
        total += len(infos)
        assert set(d) == {"image_paths", "depth_paths", "intrinsics", "poses"}
        assert str(d["depth_paths"][0]).endswith(".h5") and (lo / d["depth_paths"][0]).is_file()  # LoFTR reads h5
    assert total > 0
    with open(lo / f"{names[-1]}.npz", "rb") as f:
        assert pickle.load(f)["poses"][0].shape == (4, 4)


def test_3d_exporters_refuse_2d_label_sets(poses_set, tmp_path):
    for fmt in ("d2net", "loftr-megadepth"):
        with pytest.raises(ConfigError, match=f"{fmt} needs a 3D label set .*; this one is strong2d"):
            export(poses_set, fmt, tmp_path / fmt)


# -- ScanNet: the reader and LoFTR's ScanNet index ---------------------------------------------------

def _scannet_scene(root, lost=(3,)):
    """A small ScanNet export: a wall 2 m in front of a camera sliding along x, frame 3 lost."""
    from PIL import Image

    scene = root / "scene0707_00"
    for sub in ("color", "depth", "pose", "intrinsic"):
        (scene / sub).mkdir(parents=True)
    K = np.eye(4)
    K[0, 0] = K[1, 1] = 40.0
    K[0, 2], K[1, 2] = 32.0, 24.0
    np.savetxt(scene / "intrinsic" / "intrinsic_depth.txt", K)
    for n in range(6):
        T = np.eye(4)
        T[0, 3] = 0.1 * n
        text = "\n".join(["-inf -inf -inf -inf"] * 4) if n in lost else "\n".join(" ".join(f"{v:g}" for v in r) for r in T)
        (scene / "pose" / f"{n}.txt").write_text(text + "\n")
        Image.fromarray(np.full((48, 64), 2000, np.uint16)).save(scene / "depth" / f"{n}.png")
        Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(scene / "color" / f"{n}.jpg")
    return scene


def test_scannet_reader_flags_lost_tracks(tmp_path):
    from fovlabel import read_frames

    _scannet_scene(tmp_path / "scans")
    frames = read_frames(tmp_path / "scans", "scannet")
    assert frames["key"].tolist() == ["0", "1", "2", "3", "4", "5"]
    assert frames["usable"].tolist() == [True, True, True, False, True, True]
    assert frames.loc[3, "flag"] == "lost track" and np.isnan(frames.loc[3, "tx"])
    assert (frames["fx"] == 40.0).all() and (frames["width"] == 64).all() and (frames["height"] == 48).all()
    assert frames["depth_path"].iloc[0] == "scene0707_00/depth/0.png" and frames.attrs["notes"][0].startswith("1 frame")
    summary = annotate(tmp_path / "scans", "scannet", labeller="cloud3d", voxel_m=0.05, mode="within",
                       out=tmp_path / "labels")
    assert any("lost track" in n for n in summary.notes) and summary.usable_frames == 5
    pairs = read_pairs(tmp_path / "labels")
    assert 3 not in set(pairs["frame_a"]) | set(pairs["frame_b"]) and len(pairs) == 10


def test_loftr_scannet_round_trip(tmp_path):
    _scannet_scene(tmp_path / "scans")
    labels = tmp_path / "labels"
    annotate(tmp_path / "scans", "scannet", labeller="cloud3d", voxel_m=0.05, mode="within", out=labels)
    out = export(labels, "loftr-scannet", tmp_path / "loftr")
    index = np.load(out / "scannet_indices" / "scene0707_00.npz")
    name, score = index["name"], index["score"]
    assert name.shape == (10, 4) and name.dtype == np.int64 and score.shape == (10,)
    assert (name[:, 0] == 707).all() and (name[:, 1] == 0).all() and 3 not in set(name[:, 2:].ravel())
    pairs = read_pairs(labels, with_keys=True)
    expected = np.minimum(pairs["cover_a"], pairs["cover_b"]).to_numpy()
    assert np.allclose(score, expected, atol=1e-6)
    assert [tuple(r) for r in name[:, 2:]] == [(int(a), int(b)) for a, b in zip(pairs["key_a"], pairs["key_b"])]
    K = np.load(out / "intrinsics.npz")["scene0707_00"]
    assert np.allclose(K, [[40, 0, 32], [0, 40, 24], [0, 0, 1]])
    annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "m")
    with pytest.raises(ConfigError, match="loftr-scannet needs a ScanNet label set"):
        export(tmp_path / "m", "loftr-scannet", tmp_path / "x")


@pytest.mark.realdata
def test_an_rgbd_folder_without_the_7scenes_tree_loads_directly(tmp_path):
    from fovlabel import read_frames

    folder = shared(SHARED / "rgbd" / "7scenes_redkitchen_every20")
    frames = read_frames(folder, "7scenes")
    assert len(frames) == 50 and frames["role"].isna().all() and frames["fx"].eq(585.0).all()
    assert frames["depth_path"].iloc[0] == "frames/frame-000000.depth.png"
    pairs = annotate(folder, "7scenes", labeller="cloud3d", mode="within")
    assert len(pairs) > 100


def test_a_failing_export_leaves_nothing(poses_set, tmp_path, monkeypatch):
    from fovlabel.exporters.hloc import Hloc

    def broken(self, folder, labels, options):
        (folder / "pairs.txt").write_text("half")
        raise ConfigError("disk on fire")

    monkeypatch.setattr(Hloc, "write", broken)
    with pytest.raises(ConfigError, match="disk on fire"):
        export(poses_set, "hloc", tmp_path / "hloc")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
