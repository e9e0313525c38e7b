"""fovlabel.datasets: map-style datasets whose every item is checked against the pairs table."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from conftest import SAMPLE, SHARED, shared
from fovlabel import annotate, read_label_frames, read_pairs
from fovlabel.datasets import Pair, PairDataset, PairWithDepth, PlaceDataset

KITCHEN = SHARED / "rgbd" / "7scenes_redkitchen_every20"


def _colour(frame_id: int) -> tuple:
    return (frame_id % 256, (frame_id * 7) % 256, (frame_id // 256) * 40)


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The sample city with a small image per frame (the sample data has none), each a flat colour
    that names its frame id, labelled in cross mode."""
    base = tmp_path_factory.mktemp("city")
    data = shutil.copytree(SAMPLE, base / "msls")
    labels = base / "labels"
    annotate(data, "msls", preset="msls", out=labels)
    frames = read_label_frames(labels)
    for frame_id, path in zip(frames["frame_id"], frames["image_path"]):
        target = data / path
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 6), _colour(int(frame_id))).save(target, quality=100)
    return labels


def _frame_of(image: np.ndarray) -> tuple:
    return tuple(int(v) for v in image.reshape(-1, 3).mean(0).round())


def test_every_pair_of_the_city_in_table_order(city):
    pairs = read_pairs(city)
    ds = PairDataset(city)
    assert len(ds) == len(pairs) > 100
    for k in range(len(ds)):
        item = ds[k]
        assert isinstance(item, Pair)
        row = pairs.iloc[k]
        assert (item.frame_a, item.frame_b) == (row["frame_a"], row["frame_b"])
        assert item.overlap == pytest.approx(float(row["overlap"]))
        assert item.image_a.shape == (6, 8, 3) and item.image_a.dtype == np.uint8
        for image, frame in ((item.image_a, item.frame_a), (item.image_b, item.frame_b)):
            assert np.allclose(_frame_of(image), _colour(frame), atol=2)


def test_a_sampler_draws_and_a_transform_gets_pil(city):
    from fovlabel.samplers import GCLPairSampler

    sampler = GCLPairSampler(city, seed=3)
    drawn = list(GCLPairSampler(city, seed=3))
    pairs = read_pairs(city)
    overlap = {(a, b): v for a, b, v in zip(pairs["frame_a"], pairs["frame_b"], pairs["overlap"])}
    ds = PairDataset(city, sampler=sampler, transform=lambda im: im.size)
    assert len(ds) == len(drawn)
    for k, (a, b, v) in enumerate(drawn):
        item = ds[k]
        assert (item.frame_a, item.frame_b, item.image_a) == (a, b, (8, 6))
        assert item.overlap == pytest.approx(overlap.get((a, b), 0.0))  # absent pairs: 0


def test_places_index_by_frame_and_batch_p_by_k(city):
    ds = PlaceDataset(city, min_overlap=0.5)
    frames = read_label_frames(city)
    assert len(ds) == len(frames)
    batch = next(iter(ds.batch_sampler(p=4, k=2, seed=0)))
    places = [ds[i].place for i in batch]
    assert len(batch) == 8 and len(set(places)) == 4 and -1 not in places
    for i in batch:
        assert np.allclose(_frame_of(ds[i].image), _colour(i), atol=2) and ds[i].frame_id == i
    with pytest.raises(Exception, match="classes has 3 entries; the label set has"):
        PlaceDataset(city, classes=[0, 1, 2])


@pytest.mark.realdata
def test_the_kitchen_pairs_carry_depth_in_metres(tmp_path):
    from fovlabel.io.depth import read_depth
    from fovlabel.samplers import OverlapBinSampler

    labels = tmp_path / "kitchen"
    annotate(shared(KITCHEN), "7scenes", labeller="cloud3d", mode="within", out=labels)
    frames = read_label_frames(labels)
    pairs = read_pairs(labels)
    ds = PairDataset(labels, sampler=OverlapBinSampler(labels, n_per_bin=5, seed=1))
    assert len(ds) == 15
    overlap = {(a, b): v for a, b, v in zip(pairs["frame_a"], pairs["frame_b"], pairs["overlap"])}
    for k in range(len(ds)):
        item = ds[k]
        assert isinstance(item, PairWithDepth)
        assert item.overlap == pytest.approx(overlap[(item.frame_a, item.frame_b)])
        assert item.image_a.shape == (480, 640, 3)
        raw = read_depth(KITCHEN / frames["depth_path"].iloc[item.frame_a])
        assert item.depth_a.dtype == np.float32 and np.allclose(item.depth_a[raw > 0], raw[raw > 0] / 1000.0)
        reference = np.asarray(Image.open(KITCHEN / frames["image_path"].iloc[item.frame_b]).convert("RGB"))
        assert np.array_equal(item.image_b, reference)


def test_through_a_torch_dataloader_with_two_workers(city):
    torch = pytest.importorskip("torch", reason="torch is not installed: the DataLoader check is skipped")
    loader = torch.utils.data.DataLoader(PairDataset(city), batch_size=4, num_workers=2)
    first = next(iter(loader))
    pairs = read_pairs(city)
    assert first.frame_a.tolist() == pairs["frame_a"].iloc[:4].tolist()
