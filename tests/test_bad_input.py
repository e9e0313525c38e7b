"""Bad input, through the command line as a user meets it: every case exits 2 with one line that
names the file, the row or line, and the column; writes nothing; leaves no ``.partial`` or lock;
and leaves an existing label set given with ``--overwrite`` untouched."""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from conftest import SAMPLE, cli, error_line, snapshot
from fovlabel import annotate

ROT = "1 0 0 0 0 1 0 0 0 0 1 0"  # a KITTI line: identity rotation, zero translation



@pytest.fixture(scope="module")
def existing(tmp_path_factory):
    out = tmp_path_factory.mktemp("existing") / "labels"
    annotate(SAMPLE, "msls", preset="msls", out=out)
    return out



def _refused(tmp_path, existing, dataset, fmt, extra, *fragments):
    """Run annotate with --overwrite onto a copy of a label set; check the refusal."""
    out = shutil.copytree(existing, tmp_path / "labels")
    before = snapshot(out)
    result = cli("annotate", dataset, "--format", fmt, "--out", out, "--overwrite", *extra)
    assert result.exit_code == 2, result.output
    line = error_line(result)
    for fragment in fragments:
        assert str(fragment) in line, f"{fragment!r} not in {line!r}"
    assert "Traceback" not in result.output
    assert snapshot(out) == before
    assert not (tmp_path / "labels.partial").exists() and not (tmp_path / "labels.lock").exists()
    return line


def _cases(table):
    """(name, input, fragments) rows from (name, input, fragment, fragment, ...) rows."""
    return [(c[0], c[1], c[2:]) for c in table]


# -- builders -------------------------------------------------------------------------------------

def _file(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _kitti(tmp, text):
    return _file(tmp / "poses" / "00.txt", text)


def _tum(tmp, gt, rgb=None):
    folder = tmp / "tum"
    _file(folder / "groundtruth.txt", gt)
    if rgb is not None:
        _file(folder / "rgb.txt", rgb)
    return folder


def _sevenscenes(tmp, poses: dict, extra_files=()):
    scene = tmp / "scene"
    _file(scene / "TrainSplit.txt", "sequence1\n")
    _file(scene / "TestSplit.txt", "sequence2\n")
    for seq in ("seq-01", "seq-02"):
        (scene / seq).mkdir(parents=True, exist_ok=True)
    good = "1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n"
    for name in ("seq-01/frame-000000", "seq-01/frame-000001", "seq-02/frame-000000"):
        _file(scene / f"{name}.pose.txt", poses.get(name, good))
    for name in extra_files:
        _file(scene / name, "")
    return scene


def _tbplaces(tmp, poses, paths=None):
    paths = paths if paths is not None else [f"im{i}.png" for i in range(len(poses))]
    return _file(tmp / "index.json", json.dumps({"im_paths": paths, "poses": poses}))


GOOD_TB = [[0, 0, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0, 1]]


def _colmap_text(tmp, cameras="1 PINHOLE 640 480 500 500 320 240\n", images=None):
    images = images if images is not None else (
        "1 1 0 0 0 0 0 0 1 a.jpg\n10 20 5 30 40 -1\n"
        "2 1 0 0 0 1 0 0 1 b.jpg\n10 20 5\n")
    folder = tmp / "model"
    _file(folder / "cameras.txt", "# Camera list\n" + cameras)
    _file(folder / "images.txt", "# Image list\n" + images)
    return folder


def _colmap_binary(tmp, mutate=None):
    """A valid binary model (1 PINHOLE camera, 2 images), then ``mutate(cameras, images)`` bytes."""
    cameras = struct.pack("<Q", 1) + struct.pack("<iiQQ", 1, 1, 640, 480) + struct.pack("<4d", 500, 500, 320, 240)
    images = struct.pack("<Q", 2)
    for image_id, tx, name in ((1, 0.0, b"a.jpg"), (2, 1.0, b"b.jpg")):
        images += struct.pack("<I7dI", image_id, 1, 0, 0, 0, tx, 0, 0, 1) + name + b"\0"
        images += struct.pack("<Q", 1) + struct.pack("<ddq", 10.0, 20.0, 5)
    if mutate is not None:
        cameras, images = mutate(cameras, images)
    folder = tmp / "model"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cameras.bin").write_bytes(cameras)
    (folder / "images.bin").write_bytes(images)
    return folder


POSE_HEADER = "key,tx,ty,tz,qw,qx,qy,qz"


def _pose_csv(tmp, rows, header=POSE_HEADER, name="frames.csv"):
    return _file(tmp / name, header + "\n" + "".join(r + "\n" for r in rows))


def _room_csv(tmp, edit):
    """The bundled RGB-D room with one cell of its frames.csv changed by ``edit(lines)``."""
    room = shutil.copytree(SAMPLE.parent / "rgbd_room", tmp / "room")
    lines = (room / "frames.csv").read_text().splitlines()
    (room / "frames.csv").write_text("\n".join(edit(lines)) + "\n")
    return room / "frames.csv"


def _set_cell(lines, row, column, value):
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    return [*lines[:row], ",".join(cells), *lines[row + 1:]]


def _latlon_csv(tmp, rows, header="key,lat,lon,heading_deg"):
    return _file(tmp / "frames.csv", header + "\n" + "".join(r + "\n" for r in rows))


# -- COLMAP -----------------------------------------------------------------------------------------

COLMAP_BINARY = [
    ("images.bin truncated", lambda c, i: (c, i[:-10]), "images.bin", "image 2",
     "2D point count 1 does not fit in the file at byte 188 of 202"),
    ("images.bin cut in a pose", lambda c, i: (c, i[:160]), "images.bin", "image 2", "file ends early"),
    ("images.bin count too large", lambda c, i: (c, i[:50]), "images.bin", "header",
     "image count 2 does not fit in the file"),
    ("images.bin empty", lambda c, i: (c, b""), "images.bin", "header", "file ends early"),
    ("images.bin garbage", lambda c, i: (c, b"\xff" * 40), "images.bin", "header", "does not fit in the file"),
    ("images.bin trailing bytes", lambda c, i: (c, i + b"junk"), "images.bin", "4 unexpected trailing bytes"),
    ("images.bin cut in a name", lambda c, i: (c, i[:8 + 102 + 64 + 3]), "images.bin", "image 2",
     "image name is not terminated"),
    ("images.bin NaN pose", lambda c, i: (c, i[:8 + 4 + 32] + struct.pack("<d", float("nan")) + i[8 + 4 + 40:]),
     "images.bin", "image 1", "column 'TX'", "not a finite number"),
    ("cameras.bin truncated", lambda c, i: (c[:40], i), "cameras.bin", "camera 1", "file ends early"),
    ("cameras.bin empty", lambda c, i: (b"", i), "cameras.bin", "header", "file ends early"),
    ("cameras.bin garbage", lambda c, i: (b"\x01" * 8 + b"\x07" * 40, i), "cameras.bin", "does not fit in the file"),
    ("cameras.bin unknown model", lambda c, i: (c[:12] + struct.pack("<i", 99) + c[16:], i), "cameras.bin",
     "camera 1", "unknown camera model id 99"),
    ("cameras.bin zero focal", lambda c, i: (c[:32] + struct.pack("<d", 0.0) + c[40:], i), "cameras.bin",
     "camera 1", "focal length must be > 0"),
]


@pytest.mark.parametrize("name, mutate, fragments", _cases(COLMAP_BINARY), ids=[c[0] for c in COLMAP_BINARY])
def test_colmap_binary(tmp_path, existing, name, mutate, fragments):
    model = _colmap_binary(tmp_path, mutate)
    _refused(tmp_path, existing, model, "colmap", ["--labeller", "strong2d"], *fragments)


def test_colmap_binary_valid_model_reads(tmp_path):
    from fovlabel import read_frames

    frames = read_frames(_colmap_binary(tmp_path), "colmap")
    assert frames["key"].tolist() == ["a.jpg", "b.jpg"] and frames["fx"].tolist() == [500.0, 500.0]


COLMAP_TEXT = [
    ("non-integer POINT3D_ID", dict(images="1 1 0 0 0 0 0 0 1 a.jpg\n10 20 5 30 40 x7\n"), "images.txt",
     "line 3", "column 'POINT3D_ID'", "'x7' (point 2) is not an integer"),
    ("points not in triples", dict(images="1 1 0 0 0 0 0 0 1 a.jpg\n10 20\n"), "images.txt", "line 3",
     "must hold triples"),
    ("NaN in a pose", dict(images="1 1 0 0 0 nan 0 0 1 a.jpg\n\n"), "images.txt", "line 2", "column 'TX'",
     "not a finite number"),
    ("inf quaternion", dict(images="1 inf 0 0 0 0 0 0 1 a.jpg\n\n"), "images.txt", "line 2", "column 'QW'"),
    ("zero focal length", dict(cameras="1 PINHOLE 640 480 0 500 320 240\n"), "cameras.txt", "line 2",
     "column 'PARAMS[0]'", "focal length must be > 0"),
    ("zero width", dict(cameras="1 PINHOLE 0 480 500 500 320 240\n"), "cameras.txt", "line 2", "column 'WIDTH'"),
    ("NaN parameter", dict(cameras="1 PINHOLE 640 480 500 500 nan 240\n"), "cameras.txt", "line 2",
     "column 'PARAMS[2]'"),
    ("1e308 translation", dict(images="1 1 0 0 0 1e308 0 0 1 a.jpg\n\n"), "images.txt", "line 2",
     "column 'TX'", "beyond ±1e+08 m"),
]


@pytest.mark.parametrize("name, files, fragments", _cases(COLMAP_TEXT), ids=[c[0] for c in COLMAP_TEXT])
def test_colmap_text(tmp_path, existing, name, files, fragments):
    model = _colmap_text(tmp_path, **files)
    _refused(tmp_path, existing, model, "colmap", ["--labeller", "strong2d"], *fragments)


def test_colmap_binary_folder_given_as_text_is_named(tmp_path, existing):
    model = tmp_path / "model"
    model.mkdir()
    (model / "cameras.txt").write_bytes(b"\xff\xfe\x00binary")
    (model / "images.txt").write_text("")
    _refused(tmp_path, existing, model, "colmap", ["--labeller", "strong2d"], "cameras.txt", "it is not text")


# -- KITTI, TUM, 7-Scenes, TB-Places ------------------------------------------------------------------

KITTI = [
    ("empty file", "", "00.txt", "holds no poses"),
    ("only comments", "# nothing\n\n", "00.txt", "holds no poses"),
    ("NaN rotation", f"{ROT}\n1 0 0 0 0 nan 0 0 0 0 1 0\n", "00.txt", "line 2", "column '6 (r22)'",
     "value 'nan' is not finite"),
    ("inf translation", f"{ROT}\n1 0 0 inf 0 1 0 0 0 0 1 0\n", "00.txt", "line 2", "column '4 (tx)'"),
    ("1e308 translation", f"{ROT}\n1 0 0 1e308 0 1 0 0 0 0 1 0\n", "00.txt", "line 2", "column '4 (tx)'",
     "beyond ±1e+08 m"),
    ("11 numbers", f"{ROT}\n1 0 0 0 0 1 0 0 0 0 1\n", "00.txt", "line 2", "expected 12 numbers, got 11"),
    ("a word", f"{ROT}\n1 0 0 zero 0 1 0 0 0 0 1 0\n", "00.txt", "line 2", "column '4 (tx)'", "'zero' is not a number"),
    ("not rigid", f"{ROT}\n2 0 0 0 0 1 0 0 0 0 1 0\n", "00.txt", "line 2", "not rigid"),
]


@pytest.mark.parametrize("name, text, fragments", _cases(KITTI), ids=[c[0] for c in KITTI])
def test_kitti(tmp_path, existing, name, text, fragments):
    path = _kitti(tmp_path, text)
    _refused(tmp_path, existing, path, "kitti", ["--labeller", "strong2d", "--fov-deg", "90"], path, *fragments)


GT = "1.0 0 0 0 0 0 0 1\n1.1 1 0 0 0 0 0 1\n"
TUM = [
    ("NaN position", dict(gt=GT + "1.2 nan 0 0 0 0 0 1\n"), "groundtruth.txt", "line 3", "column '2 (tx)'"),
    ("NaN quaternion", dict(gt=GT + "1.2 0 0 0 0 0 0 nan\n"), "groundtruth.txt", "line 3", "column '8 (qw)'"),
    ("1e308 translation", dict(gt=GT + "1.2 0 1e308 0 0 0 0 1\n"), "groundtruth.txt", "line 3", "column 'ty'"),
    ("decreasing time", dict(gt=GT + "1.05 0 0 0 0 0 0 1\n"), "groundtruth.txt", "line 3", "must not decrease"),
    ("zero quaternion", dict(gt=GT + "1.2 0 0 0 0 0 0 0\n"), "groundtruth.txt", "line 3", "zero or not finite"),
    ("rgb.txt bad time", dict(gt=GT, rgb="1.05 rgb/a.png\nnan rgb/b.png\n"), "rgb.txt", "line 2",
     "column '1 (timestamp)'"),
]


@pytest.mark.parametrize("name, files, fragments", _cases(TUM), ids=[c[0] for c in TUM])
def test_tum(tmp_path, existing, name, files, fragments):
    folder = _tum(tmp_path, **files)
    _refused(tmp_path, existing, folder, "tum", ["--labeller", "strong2d"], folder / fragments[0], *fragments[1:])


def test_tum_equal_timestamps_are_kept_once_and_reported(tmp_path):
    folder = _tum(tmp_path, GT + "1.1 5 0 0 0 0 0 1\n1.2 2 0 0 0 0 0 1\n")
    out = tmp_path / "labels"
    result = cli("annotate", folder, "--format", "tum", "--labeller", "strong2d", "--mode", "within",
                  "--radius-m", "5", "--out", out)
    assert result.exit_code == 0, result.output
    assert ("groundtruth.txt: 1 pose line(s) repeat the timestamp of the line before (line(s) 3); "
            "kept the first pose of each timestamp") in result.output
    from fovlabel import read_label_frames

    frames = read_label_frames(out)
    assert frames["key"].tolist() == ["1.0", "1.1", "1.2"] and frames["tx"].tolist() == [0.0, 1.0, 2.0]


SEVEN = [
    ("NaN pose", {"seq-01/frame-000001": "1 0 0 nan\n0 1 0 0\n0 0 1 0\n0 0 0 1\n"},
     "seq-01/frame-000001.pose.txt", "line 1", "column '4'", "not finite"),
    ("1e308 translation", {"seq-01/frame-000001": "1 0 0 0\n0 1 0 1e308\n0 0 1 0\n0 0 0 1\n"},
     "seq-01/frame-000001.pose.txt", "line 2", "column '4'", "beyond ±1e+08 m"),
    ("three lines", {"seq-01/frame-000001": "1 0 0 0\n0 1 0 0\n0 0 1 0\n"}, "frame-000001.pose.txt",
     "got 3 line(s)"),
    ("last row", {"seq-02/frame-000000": "1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 1 1\n"}, "seq-02/frame-000000.pose.txt",
     "line 4", "last row"),
    ("a word", {"seq-01/frame-000000": "1 0 0 0\n0 1 0 x\n0 0 1 0\n0 0 0 1\n"}, "seq-01/frame-000000.pose.txt",
     "line 2", "column '4'", "'x' is not a number"),
]


@pytest.mark.parametrize("name, poses, fragments", _cases(SEVEN), ids=[c[0] for c in SEVEN])
def test_7scenes(tmp_path, existing, name, poses, fragments):
    scene = _sevenscenes(tmp_path, poses)
    _refused(tmp_path, existing, scene, "7scenes", ["--labeller", "strong2d"], *fragments)


def test_7scenes_frame_without_pose_file_is_named(tmp_path, existing):
    scene = _sevenscenes(tmp_path, {}, extra_files=["seq-01/frame-000002.color.png"])
    _refused(tmp_path, existing, scene, "7scenes", ["--labeller", "strong2d"],
             scene / "seq-01" / "frame-000002.pose.txt",
             "frame seq-01/frame-000002 has frame-000002.color.png but no pose file")


def test_7scenes_frame_without_depth_image_is_named(tmp_path, existing):
    from PIL import Image

    scene = _sevenscenes(tmp_path, {})
    for name in ("seq-01/frame-000000", "seq-02/frame-000000"):
        Image.fromarray(np.full((480, 640), 1000, np.uint16)).save(scene / f"{name}.depth.png")
    _refused(tmp_path, existing, scene, "7scenes", ["--labeller", "cloud3d"],
             scene / "seq-01" / "frame-000001.pose.txt", "column 'depth_path'",
             "frame 'seq-01/frame-000001' has no depth image (2 of 3 frames have one")


TB = [
    ("a string in a pose", [[0, 0, 0, 0, 0, 0, 1], [1, "0", 0, 0, 0, 0, 1]], "poses[1]", "column 'ty'",
     'value "0" is not a finite number'),
    ("null in a pose", [[0, 0, 0, 0, 0, 0, 1], [1, 0, 0, None, 0, 0, 1]], "poses[1]", "column 'qx'",
     "value null is not a finite number"),
    ("true in a pose", [[0, 0, True, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0, 1]], "poses[0]", "column 'tz'"),
    ("1e308 translation", [[0, 0, 0, 0, 0, 0, 1], [1e308, 0, 0, 0, 0, 0, 1]], "poses[1]", "column 'tx'",
     "beyond ±1e+08 m"),
    ("six numbers", [[0, 0, 0, 0, 0, 1], GOOD_TB[1]], "poses[0]", "7 numbers"),
]


@pytest.mark.parametrize("name, poses, fragments", _cases(TB), ids=[c[0] for c in TB])
def test_tbplaces(tmp_path, existing, name, poses, fragments):
    path = _tbplaces(tmp_path, poses)
    _refused(tmp_path, existing, path, "tbplaces", ["--labeller", "strong2d"], path, *fragments)


def test_tbplaces_nan_literal_and_bad_layout(tmp_path, existing):
    path = _file(tmp_path / "index.json", '{"im_paths": ["a", "b"], "poses": [[0,0,0,0,0,0,1],[NaN,0,0,0,0,0,1]]}')
    _refused(tmp_path, existing, path, "tbplaces", ["--labeller", "strong2d"], path, "poses[1]", "column 'tx'")
    shutil.rmtree(tmp_path / "labels")
    path = _file(tmp_path / "index.json", "[1, 2]")
    _refused(tmp_path, existing, path, "tbplaces", ["--labeller", "strong2d"], path, "must be a JSON object")
    shutil.rmtree(tmp_path / "labels")
    path = _tbplaces(tmp_path, GOOD_TB, paths=["a.png", ""])
    _refused(tmp_path, existing, path, "tbplaces", ["--labeller", "strong2d"], path, "im_paths[1]",
             "non-empty string")


# -- CSV pose tables, the 3D labeller's inputs --------------------------------------------------------

def test_csv_zero_focal_length_for_3d(tmp_path, existing):
    path = _room_csv(tmp_path, lambda lines: _set_cell(lines, 3, "fx", "0"))
    _refused(tmp_path, existing, path, "csv", ["--labeller", "cloud3d", "--pose", "cam_to_world"],
             path, "row 3 (line 4)", "column 'fx'", "value 0 must be > 0")


@pytest.mark.parametrize("column, value, fragment", [
    ("depth_scale", "0", "value 0 must be > 0"),
    ("width", "0", "value 0 must be > 0"),
    ("depth_path", "", "depth_path is empty"),
    ("m03", "nan", "value is NaN"),
    ("m13", "1e308", "translation 1e+308 m is not finite or beyond ±1e+08 m"),
    ("m30", "1", "last row"),
])
def test_csv_room_bad_cells(tmp_path, existing, column, value, fragment):
    path = _room_csv(tmp_path, lambda lines: _set_cell(lines, 2, column, value))
    _refused(tmp_path, existing, path, "csv", ["--labeller", "cloud3d", "--pose", "cam_to_world"],
             path, "row 2 (line 3)", f"column '{column}'" if column != "m30" else "column 'm30'", fragment)


def test_csv_pose_quaternion_nan(tmp_path, existing):
    path = _pose_csv(tmp_path, ["a,0,0,0,1,0,0,0", "b,0,0,0,nan,0,0,0"])
    _refused(tmp_path, existing, path, "csv", ["--labeller", "strong2d", "--pose", "cam_to_world"],
             path, "row 2 (line 3)", "column 'qw'", "value is NaN")


# -- CSV positions: CRS, area of use, line numbers ---------------------------------------------------

ZURICH = ["a,47.3769,8.5417,10", "b,47.3770,8.5417,10"]


def test_csv_crs_in_feet_is_refused(tmp_path, existing):
    path = _latlon_csv(tmp_path, ["a,40.7,-74.0,10", "b,40.7001,-74.0,10"])
    _refused(tmp_path, existing, path, "csv", ["--epsg", "2263"],
             "EPSG:2263", "measures in US survey foot, not metres")


def test_csv_latlon_far_outside_the_crs_area(tmp_path, existing):
    path = _latlon_csv(tmp_path, ZURICH)
    _refused(tmp_path, existing, path, "csv", ["--epsg", "32610"], path, "row 1 (line 2)", "column 'lat, lon'",
             "lies 129° outside the area of EPSG:32610 (WGS 84 / UTM zone 10N, area of use lon -126..-120")


@pytest.mark.parametrize("easting, fragment", [
    ("5e7", "does not map to a finite latitude/longitude in EPSG:32632"),
    ("1e308", "outside [-1e+08, 1e+08]"),
])
def test_csv_easting_outside_its_zone(tmp_path, existing, easting, fragment):
    path = _latlon_csv(tmp_path, ["a,690000,5330000,10", f"b,{easting},5330000,10"],
                       header="key,easting,northing,heading_deg")
    _refused(tmp_path, existing, path, "csv", ["--epsg", "32632"], path, "row 2 (line 3)", "column 'easting", fragment)


def test_csv_line_numbers_count_blank_lines_and_quoted_newlines(tmp_path, existing):
    text = ('key,lat,lon,heading_deg,sequence\n\n'
            'a,47.3769,8.5417,10,"two\nlines"\n'
            '\n   \n'
            'b,47.3770,8.5417,10,s\n'
            'c,47.3771,8.5417,400,s\n')
    path = _file(tmp_path / "frames.csv", text)
    assert text.splitlines()[7].startswith("c,")  # line 8 of the file
    _refused(tmp_path, existing, path, "csv", [], path, "row 3 (line 8)", "column 'heading_deg'", "400°")


def test_csv_duplicate_key_names_full_path_and_both_lines(tmp_path, existing):
    path = _latlon_csv(tmp_path, ["a,47.3769,8.5417,10", "", "b,47.3770,8.5417,10", "a,47.3771,8.5417,10"])
    _refused(tmp_path, existing, path, "csv", [], f"{path}, row 1 (line 2), column 'key'",
             "duplicate key 'a' in group 'frames': also at row 3 (line 5)")


def test_msls_city_far_outside_the_given_crs(tmp_path, existing):
    _refused(tmp_path, existing, SAMPLE, "msls", ["--epsg", "32610"], "raw.csv", "row 1 (line 2)",
             "column 'lat, lon'", "outside the area of EPSG:32610")


# -- parameters ------------------------------------------------------------------------------------

@pytest.mark.parametrize("extra, fragment", [
    (["--radius-m", "1e200"], "radius_m must be at most 1e+07 (10,000 km); got 1e+200"),
    (["--radius-m", "nan"], "radius_m must be a finite number > 0; got nan"),
    (["--positive", "1.5"], "positive must be in (0, 1]; got 1.5"),
    (["--jobs", "0"], "jobs must be >= 1; got 0"),
])
def test_bad_parameters(tmp_path, existing, extra, fragment):
    _refused(tmp_path, existing, SAMPLE, "msls", ["--preset", "msls", *extra], fragment)


@pytest.mark.parametrize("args, message", [
    (["--radius-m", "1e200"], "error: radius_m must be at most 1e+07 (10,000 km); got 1e+200 (camera a)"),
    (["--a", "0,0,360"], "error: heading_deg_a must be compass degrees in [0, 360) (never wrapped); got 360"),
    (["--b", "1,0,-90"], "error: heading_deg_b must be compass degrees in [0, 360) (never wrapped); got -90"),
    (["--a", "1e308,0,0"], "error: x_a must be within ±1e+08 m; got 1e+308"),
])
def test_overlap_command_refuses_what_annotate_refuses(args, message):
    base = {"--a": "0,0,90", "--b": "10,0,90"}
    flags = dict(zip(args[::2], args[1::2]))
    cams = [v for k in ("--a", "--b") for v in (k, flags.pop(k, base[k]))]
    result = cli("overlap", *cams, *[v for kv in flags.items() for v in kv])
    assert result.exit_code == 2
    assert result.output.strip() == message


# -- pipeline files --------------------------------------------------------------------------------

PIPELINES = [
    ('jobs = "two"', "key 'jobs': jobs must be a whole number; got the string 'two'"),
    ("jobs = 0", "key 'jobs': jobs must be >= 1; got 0"),
    ("[params]\nfov_deg = [90, 100]", "key 'params.fov_deg': fov_deg must be a number or a string; got list [90, 100]"),
    ('[params]\nkeep_zero = "no"', "key 'params.keep_zero': keep_zero must be true or false; got the string 'no'"),
    ('[params]\nradius_m = "50"', "key 'params.radius_m': radius_m must be a number; got the string '50'"),
    ("[params]\nradius_m = -5.0", "key 'params.radius_m': radius_m must be a finite number > 0; got -5"),
    ("[params]\nfrobnicate = 1", "params: unknown parameter 'frobnicate'"),
    ('params = "fast"', "key 'params' must be a table ([params]); got str 'fast'"),
    ("[reader]\nepsg = [1, 2]", "key 'reader.epsg' must be a single value; got [1, 2]"),
    ("labeller = 3", "key 'labeller': labeller must be a string; got int 3"),
]


@pytest.mark.parametrize("body, fragment", PIPELINES, ids=[p[0] for p in PIPELINES])
def test_pipeline_types_are_checked_with_file_and_key(tmp_path, existing, body, fragment):
    out = shutil.copytree(existing, tmp_path / "labels")
    before = snapshot(out)
    # top-level keys must come before the first table in TOML
    head, _, table = body.partition("[")
    pipeline = _file(tmp_path / "job.toml", f'dataset = "{SAMPLE}"\nformat = "msls"\nout = "{out}"\n'
                     + (head if not body.startswith("[") else "") + ("\n[" + table if table else ""))
    result = cli("run", pipeline, "--overwrite")
    assert result.exit_code == 2, result.output
    assert result.output.strip().startswith(f"error: {pipeline}: ")
    assert fragment in result.output, result.output
    assert snapshot(out) == before and not (tmp_path / "labels.partial").exists()
