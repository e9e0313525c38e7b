"""``vpr-folders``: the @UTM image folders, written and read back, and opened as their consumers do.

- VPR-methods-evaluation ``test_dataset.py``: ``read_images_paths(folder)`` reads
  ``folder + "_images_paths.txt"`` (paths joined as ``folder + "/" + path``) or globs
  ``folder/**/*`` for .jpg/.jpeg/.png; ``TestDataset`` takes UTM east and north as
  ``path.split("@")[1]``, ``[2]`` of the whole path and its positives within 25 m.
- CosPlace ``datasets/train_dataset.py``: fields 1, 2 and 9 of ``path.split("@")`` (paths relative
  to the dataset folder), class = (east // M * M, north // M * M, heading // alpha * alpha).
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from PIL import Image

from conftest import MUNICH, SAMPLE, cli, shared
from fovlabel import ConfigError, annotate, export, read_frames, read_label_frames
from fovlabel.io.utm_names import escape_key, format_name, parse_name, unescape_key, utm_zone


def test_the_name_is_datasets_vgs():
    name = format_name(691234.567, 5334567.891, 32, "U", 48.12345678, 11.5, pano_id="ab", heading=359.7,
                       timestamp="20200102_030405")
    assert name == "@0691234.57@5334567.89@32@U@048.12346@0011.50000@ab@@359@@@@20200102_030405@@.jpg"
    fields = parse_name(name)
    assert (fields["utm_east"], fields["heading"], fields["tile"], fields["extension"]) == ("0691234.57", "359", "",
                                                                                               ".jpg")
    assert format_name(1.0, 2.0, 5, "C", -1.5, -70.25).startswith("@0000001.00@0000002.00@05@C@-01.50000@-070.25000@")
    assert unescape_key(escape_key("a@b/c%d")) == "a@b/c%d" and "@" not in escape_key("a@b/c") and "/" not in escape_key("a/b")
    zone, band = utm_zone([48.1, 60.0, 78.0, -33.9], [11.5, 5.0, 15.0, 18.4])
    assert zone.tolist() == [32, 32, 33, 34] and band.tolist() == ["U", "V", "X", "H"]


def _with_images(data, labels):
    """Small images for every frame of a labelled copy of an MSLS-like dataset (none ships)."""
    frames = read_label_frames(labels)
    for path in frames["image_path"]:
        (data / path).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (4, 4), (90, 90, 90)).save(data / path)
    return frames


def read_images_paths(dataset_folder):
    """VPR-methods-evaluation's read_images_paths, as written there."""
    file_with_paths = dataset_folder + "_images_paths.txt"
    if os.path.exists(file_with_paths):
        with open(file_with_paths) as file:
            paths = file.read().splitlines()
        paths = [dataset_folder + "/" + path for path in paths]
        assert os.path.exists(paths[0])
        return paths
    from glob import glob

    paths = sorted(glob(f"{dataset_folder}/**/*", recursive=True))
    return [p for p in paths if os.path.isfile(p) and os.path.splitext(p)[1].lower() in [".jpg", ".jpeg", ".png"]]


@pytest.mark.parametrize("which", ["sample", "munich"])
def test_export_reads_back_and_opens_as_the_consumers_do(which, tmp_path):
    source = SAMPLE if which == "sample" else shared(MUNICH)
    data = shutil.copytree(source, tmp_path / "data")
    labels = tmp_path / "labels"
    annotate(data, "msls", preset="msls", out=labels)
    frames = _with_images(data, labels)
    out = export(labels, "vpr-folders", tmp_path / "vpr")
    split = out / "images" / "test"
    # VPR-methods-evaluation: the listing and a glob find the same images, UTM from fields 1 and 2
    for folder, role in (("database", "database"), ("queries", "query")):
        listed = read_images_paths(str(split / folder))
        os.rename(split / f"{folder}_images_paths.txt", tmp_path / "aside.txt")
        assert sorted(read_images_paths(str(split / folder))) == sorted(listed)
        os.rename(tmp_path / "aside.txt", split / f"{folder}_images_paths.txt")
        utms = np.array([(p.split("@")[1], p.split("@")[2]) for p in listed]).astype(float)
        mine = frames[(frames["role"] == role) & frames["usable"]].set_index("key")
        keys = [unescape_key(p.split("@")[7]) for p in listed]
        assert sorted(keys) == sorted(mine.index)
        assert np.abs(utms - mine.loc[keys, ["x_m", "y_m"]].to_numpy()).max() <= 0.005 + 1e-6
        assert all(Image.open(p).size == (4, 4) for p in listed[:3])
    # CosPlace: fields 1, 2, 9 of paths relative to the folder; classes of 10 m x 30°
    relative = [p[len(str(split / "database")) + 1:] for p in read_images_paths(str(split / "database"))]
    meta = np.array([(m[1], m[2], m[9]) for m in (p.split("@") for p in relative)]).astype(np.float64)
    classes = {(int(e // 10 * 10), int(n // 10 * 10), int(h // 30 * 30)) for e, n, h in meta}
    assert len(classes) > 10
    # fovlabel reads its export back: the same frames, to the format's centimetres and whole degrees
    back = read_frames(out, "vpr-folders")
    mine = frames[frames["usable"]].set_index("key")
    back = back.set_index("key").loc[mine.index]
    assert (back["role"] == mine["role"]).all() and (back["group"] == "test").all()
    assert np.abs(back[["x_m", "y_m"]].to_numpy() - mine[["x_m", "y_m"]].to_numpy()).max() <= 0.005 + 1e-6
    assert back["crs"].iloc[0] == mine["crs"].iloc[0]
    delta = np.mod(mine["heading_deg"].to_numpy() - back["heading_deg"].to_numpy(), 360.0)
    assert ((delta >= 0) & (delta < 1.0)).all()  # truncated to whole degrees
    assert np.abs(back["lat"].to_numpy() - mine["lat"].to_numpy()).max() < 1e-5
    stamps = mine["timestamp_s"].to_numpy()
    assert np.array_equal(back["timestamp_s"].to_numpy(), np.floor(stamps)) or np.isnan(stamps).all()
    # and labels it as the original (weak 2D, same headings within a degree)
    result = cli("annotate", out, "--format", "vpr-folders", "--preset", "msls", "--out", tmp_path / "again", "-q")
    assert result.exit_code == 0, result.output


def test_a_dataset_without_headings_is_refused_for_weak2d(tmp_path):
    split = tmp_path / "pitts" / "images" / "test"
    for folder in ("database", "queries"):
        (split / folder).mkdir(parents=True)
        for i in range(3):
            name = f"@0584000.{i:02d}@4477000.00@17@T@040.44000@-080.00000@pano{folder}{i}@{i:02d}@@@@@@@.jpg"
            Image.new("RGB", (4, 4)).save(split / folder / name)
    frames = read_frames(tmp_path / "pitts", "vpr-folders")
    assert len(frames) == 6 and frames["flag"].eq("no heading").all() and frames["crs"].eq("EPSG:32617").all()
    result = cli("annotate", tmp_path / "pitts", "--format", "vpr-folders", "--preset", "msls", "--out",
                 tmp_path / "L", "-q")
    assert result.exit_code == 2
    assert "field 9, the heading, is empty" in result.output and "no labeller of fovlabel runs" in result.output


def test_vpr_folders_refuses_what_it_cannot_name(tmp_path):
    within = tmp_path / "within"
    annotate(SAMPLE, "msls", preset="msls", mode="within", out=within)
    with pytest.raises(ConfigError, match="vpr-folders needs queries and a database: a cross-mode label set"):
        export(within, "vpr-folders", tmp_path / "x")
    with pytest.raises(ConfigError, match="split must be a plain folder name"):
        export(within, "vpr-folders", tmp_path / "x", split="../up")


def test_a_broken_name_is_one_line_naming_file_and_line(tmp_path):
    from fovlabel import InputError

    split = tmp_path / "v" / "images" / "val"
    good = "@0584000.00@4477000.00@17@T@040.44000@-080.00000@k{}@@090@@@@@@.jpg"
    for folder in ("database", "queries"):
        (split / folder).mkdir(parents=True)
        (split / f"{folder}_images_paths.txt").write_text(good.format(folder) + "\n")
    (split / "queries_images_paths.txt").write_text(good.format("q1") + "\nnot_an_utm_name.jpg\n")
    with pytest.raises(InputError, match=r"queries_images_paths.txt, line 2, column 'name': 'not_an_utm_name.jpg' "
                                         r"is not an @UTM name"):
        read_frames(tmp_path / "v", "vpr-folders")
    (split / "queries_images_paths.txt").write_text(good.replace("0584000.00", "east") .format("q1") + "\n")
    with pytest.raises(InputError, match=r"line 1, column 'utm_east': .* field 1 \(UTM east\) is not a number"):
        read_frames(tmp_path / "v", "vpr-folders")


def test_copy_writes_files_not_links(tmp_path):
    data = shutil.copytree(SAMPLE, tmp_path / "data")
    annotate(data, "msls", preset="msls", out=tmp_path / "labels")
    _with_images(data, tmp_path / "labels")
    out = export(tmp_path / "labels", "vpr-folders", tmp_path / "vpr", copy=True, split="val")
    images = list((out / "images" / "val").rglob("*.jpg"))
    assert len(images) == 502 and not any(p.is_symlink() for p in images)
