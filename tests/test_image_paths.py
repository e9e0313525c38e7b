"""Image paths that resolve from the label set alone (and after the dataset moves)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import SAMPLE, SHARED, shared
from fovlabel import LabelSetError, annotate, read_frames, read_pairs


def test_msls_image_paths_follow_the_msls_layout(tmp_path):
    annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "labels")
    pairs = read_pairs(tmp_path / "labels", with_keys=True, with_paths=True)
    assert list(pairs.columns[:5]) == ["group", "key_a", "key_b", "path_a", "path_b"]
    row = pairs.iloc[0]
    assert row["path_a"] == str((SAMPLE / "train_val" / "sampleville" / "query" / "images" / f"{row['key_a']}.jpg").resolve())
    assert row["path_b"].endswith(f"train_val/sampleville/database/images/{row['key_b']}.jpg")
    # a moved dataset: re-rooted, where the given root holds it
    shutil.copytree(SAMPLE, tmp_path / "elsewhere")
    moved = read_pairs(tmp_path / "labels", with_paths=True, root=tmp_path / "elsewhere")
    assert moved["path_a"].iloc[0].startswith(str(tmp_path / "elsewhere"))
    with pytest.raises(LabelSetError, match=r"does not hold the labelled dataset: train_val/sampleville/.*--root"):
        read_pairs(tmp_path / "labels", with_paths=True, root=tmp_path)
    # the metadata records the dataset root absolute, whatever the working folder was
    assert Path(pairs.attrs["fovlabel"]["input"]["path"]).is_absolute()


@pytest.mark.realdata
def test_colmap_image_paths_resolve_through_the_images_folder(tmp_path):
    model = shared(SHARED / "colmap" / "maupertuis" / "sparse" / "0")
    annotate(model, "colmap", labeller="strong2d", mode="within", out=tmp_path / "labels")
    pairs = read_pairs(tmp_path / "labels", with_keys=True, with_paths=True)
    assert pairs.attrs["fovlabel"]["input"]["image_root"] == "../../images"
    for path in set(pairs["path_a"]) | set(pairs["path_b"]):
        assert Path(path).is_file(), path  # the real images of the project
    assert read_frames(tmp_path / "labels")["image_path"].tolist()[:2] == ["00.jpg", "01.jpg"]
    # a copy of the model without its images folder: the summary says the paths will not resolve
    bare = shutil.copytree(model, tmp_path / "bare")
    summary = annotate(bare, "colmap", labeller="strong2d", mode="within", out=tmp_path / "bare_labels")
    assert any("images folder not found" in n for n in summary.notes)


def test_read_frames_of_a_label_set(tmp_path):
    annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "labels")
    frames = read_frames(tmp_path / "labels")
    assert len(frames) == 504 and "key" in frames.columns
    from fovlabel import UnknownFormatError

    with pytest.raises(UnknownFormatError, match="name its format"):
        read_frames(SAMPLE)
