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
    assert manifest["files"] == ["pairs.txt"] and manifest["options"] == {"k": 3, "min_overlap": 0.2}
    assert manifest["label_set_id"] == read_pairs(poses_set).attrs["fovlabel"]["label_set_id"]


def test_hloc_cross_mode_lists_queries_against_the_database(tmp_path):
    labels = tmp_path / "labels"
    annotate(SAMPLE, "msls", preset="msls", out=labels)
    out = export(labels, "hloc", tmp_path / "hloc", k=5)
    frames = read_label_frames(labels).set_index("key")
    parsed = _parse_hloc(out / "pairs.txt")
    assert set(frames.loc[list(parsed), "role"]) == {"query"}
    assert {frames.loc[r, "role"] for rs in parsed.values() for r in rs} == {"database"}
    assert parsed == _best_partners(labels, 5, 0.0, both_ways=False)


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
    with pytest.raises(ConfigError, match="hloc does not take block_rows; it takes: k, min_overlap"):
        export(poses_set, "hloc", tmp_path / "x", block_rows=3)


def test_export_command(poses_set, tmp_path):
    result = cli("export", poses_set, "--to", "hloc", "--k", "2", "--out", tmp_path / "h")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"written: {tmp_path / 'h'} (hloc)"
    text = cli("export", "--help").output
    for name in ("hloc", "gcl-pairs"):
        assert f"  {name:<10} " in text
    assert "--min-overlap FLOAT" in text and "Examples:" in text
    result = cli("export", poses_set, "--to", "loftr-megadepth2", "--out", tmp_path / "x")
    assert result.exit_code == 2 and "unknown export format 'loftr-megadepth2'; known: gcl-pairs, hloc" in result.output
