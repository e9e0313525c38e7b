"""``gsv-cities``: places by overlap, loaded as GSVCitiesDataset loads them, and the place rules
checked pair by pair against fovlabel's own overlap computed here independently
(amaralibey/gsv-cities ``dataloaders/train/GSVCitiesDataset.py``: the CSV read with
``pd.read_csv``, cities concatenated with ``place_id += i * 10**5``, places with fewer than
``min_img_per_place`` dropped, ``set_index('place_id')``, and the image name built by string
concatenation in ``get_img_name``)."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from conftest import MUNICH, SAMPLE, shared
from fovlabel import ConfigError, annotate, export, read_label_frames, weak_fov_overlap
from fovlabel.exporters.gsv_cities import overlap_places


def get_img_name(row) -> str:
    """GSVCitiesDataset.get_img_name, as written there (row.name is the place id)."""
    city = row["city_id"]
    pl_id = str(row.name % 10**5).zfill(7)
    name = (city + "_" + pl_id + "_" + str(row["year"]).zfill(4) + "_" + str(row["month"]).zfill(2) + "_" +
            str(row["northdeg"]).zfill(3) + "_" + str(row["lat"]) + "_" + str(row["lon"]) + "_" + row["panoid"] + ".jpg")
    return name


def load_gsv(base_path: str, cities, min_img_per_place=4):
    df = pd.read_csv(base_path + "Dataframes/" + f"{cities[0]}.csv")
    for i in range(1, len(cities)):
        tmp = pd.read_csv(base_path + "Dataframes/" + f"{cities[i]}.csv")
        tmp["place_id"] = tmp["place_id"] + i * 10**5
        df = pd.concat([df, tmp], ignore_index=True)
    df = df[df.groupby("place_id")["place_id"].transform("size") >= min_img_per_place]
    return df.set_index("place_id")


@pytest.mark.parametrize("which", ["sample", "munich"])
def test_places_load_as_gsv_cities_and_keep_the_rules(which, tmp_path):
    source = SAMPLE if which == "sample" else shared(MUNICH)
    data = shutil.copytree(source, tmp_path / "data")
    labels = tmp_path / "labels"
    annotate(data, "msls", preset="msls", mode="within", out=labels)
    frames = read_label_frames(labels)
    for path in frames["image_path"]:
        (data / path).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (4, 4)).save(data / path)
    out = export(labels, "gsv-cities", tmp_path / "gsv", min_overlap=0.5)
    cities = [p.stem for p in sorted((out / "Dataframes").glob("*.csv"))]
    df = load_gsv(str(out) + "/", cities)
    assert len(pd.unique(df.index)) > 5
    for _, row in df.iterrows():
        path = str(out) + "/" + "Images/" + row["city_id"] + "/" + get_img_name(row)
        assert Image.open(path).convert("RGB").size == (4, 4)
    sizes = df.groupby(level=0).size()
    assert sizes.between(4, 20).all()
    # the rules, pair by pair, with fovlabel's overlap computed here from the frames alone
    key_of = {"k" + k: i for i, k in enumerate(frames["key"])}
    ids = np.array([key_of[p] for p in df["panoid"]])
    place = df.index.to_numpy()
    x, y = frames["x_m"].to_numpy(), frames["y_m"].to_numpy()
    h = frames["grid_heading_deg"].to_numpy()
    i, j = np.triu_indices(len(ids), 1)
    a, b = ids[i], ids[j]
    v = weak_fov_overlap(x[a], y[a], h[a], x[b], y[b], h[b], fov_deg=90.0, radius_m=50.0)
    same = place[i] == place[j]
    assert (v[same] >= 0.5 - 1e-6).all()  # every pair inside a place
    assert (v[~same] == 0).all()  # no pair across places of the city
    assert (np.hypot(x[a] - x[b], y[a] - y[b])[~same] < 100).any()  # and some of those are within reach


def test_overlap_places_on_a_hand_made_graph():
    # frames 0-3 overlap each other strongly; 4 touches 3; 5-8 a second clique; 9 alone
    pairs = [(i, j, 0.8) for i in range(4) for j in range(i + 1, 4)] + [(3, 4, 0.1)]
    pairs += [(i, j, 0.7) for i in range(5, 9) for j in range(i + 1, 9)] + [(4, 5, 0.05)]
    a, b, v = (np.array(c) for c in zip(*pairs))
    place = overlap_places(10, a, b, v, np.ones(10, bool), 0.5, 4, 20)
    assert place.tolist() == [0, 0, 0, 0, -1, 1, 1, 1, 1, -1]


def test_gsv_cities_needs_within_mode_and_text_ids(tmp_path):
    cross = tmp_path / "cross"
    annotate(SAMPLE, "msls", preset="msls", out=cross)
    with pytest.raises(ConfigError, match="gsv-cities needs every pair of a city labelled: a within-mode label set"):
        export(cross, "gsv-cities", tmp_path / "x")
    from fovlabel.exporters.gsv_cities import _text_safe

    assert [_text_safe(v, "c") for v in ("06", "munich_4s", "NA", "True", "1e5")] == \
        ["c06", "munich_4s", "cNA", "cTrue", "c1e5"]


@pytest.mark.realdata
def test_places_on_kitti06_keep_the_rules_against_an_independent_overlap(tmp_path):
    """KITTI 06 (strong 2D; its frames name no images, so no export): the places, checked pair by
    pair with fovlabel.strong_fov_overlap on the poses read again from the file."""
    from conftest import SHARED
    from fovlabel import read_pairs, strong_fov_overlap

    path = shared(SHARED / "poses" / "kitti_odometry" / "06.txt")
    labels = tmp_path / "kitti"
    annotate(path, "kitti", labeller="strong2d", fov_deg="intrinsics", fx=707.09, width=1226.0, radius_m=30.0,
             mode="within", out=labels)
    frames, pairs = read_label_frames(labels), read_pairs(labels)
    place = overlap_places(len(frames), pairs["frame_a"], pairs["frame_b"], pairs["overlap"],
                           frames["usable"].to_numpy(), 0.5, 4, 20)
    members = np.flatnonzero(place >= 0)
    assert len(np.unique(place[members])) >= 10
    poses = np.loadtxt(path).reshape(-1, 3, 4)
    T = np.tile(np.eye(4), (len(poses), 1, 1))
    T[:, :3, :] = poses
    fov = float(np.degrees(2 * np.arctan(1226.0 / (2 * 707.09))))
    i, j = np.triu_indices(len(members), 1)
    a, b = members[i], members[j]
    v = strong_fov_overlap(T[a], T[b], fov_deg=fov, radius_m=30.0)
    # the labeller's ground plane is fitted to all cameras; the pairwise call fits its own: close
    same = place[a] == place[b]
    assert (v[same] >= 0.5 - 0.02).all() and (v[~same] == 0).all()


def _random_graph(rng, n):
    """Frames on a line with random headings: overlap falls with distance, like a street."""
    x = np.sort(rng.uniform(0, n * 4.0, n))
    a, b, v = [], [], []
    for i in range(n):
        for j in range(i + 1, n):
            d = abs(x[i] - x[j])
            if d < 20:
                a.append(i)
                b.append(j)
                v.append(float(np.clip(1 - d / 20 + rng.normal(0, 0.15), 0.01, 1.0)))
    return np.array(a), np.array(b), np.array(v)


@pytest.mark.parametrize("seed", range(12))
def test_the_greedy_with_local_rescoring_is_the_plain_greedy_and_keeps_the_rules(seed):
    """After each place, only the seeds it can change are scored again: the places are exactly
    those of the plain greedy that scores every seed every round (tests/naive.py), and the rules
    hold: every pair inside a place >= min_overlap, no pair across places > 0, 4..20 frames."""
    from naive import greedy_places

    from fovlabel.exporters.gsv_cities import _Graph, _greedy_places

    rng = np.random.default_rng(seed)
    n = 60
    a, b, v = _random_graph(rng, n)
    usable = rng.random(n) > 0.05
    for weight in (0.125, 0.25, 0.5):
        fast = _greedy_places(_Graph(n, a, b, v, 0.5), usable, 4, 20, weight)
        assert fast.tolist() == greedy_places(n, a.tolist(), b.tolist(), v.tolist(), usable.tolist(),
                                              0.5, 4, 20, weight)
    place = overlap_places(n, a, b, v, usable, 0.5, 4, 20)
    inside = (place[a] >= 0) & (place[a] == place[b])
    across = (place[a] >= 0) & (place[b] >= 0) & (place[a] != place[b])
    assert not across.any() and (v[inside] >= 0.5).all() and not (place[~usable] >= 0).any()
    sizes = np.bincount(place[place >= 0])
    assert ((sizes >= 4) & (sizes <= 20)).all()
    assert inside.sum() == sum(k * (k - 1) // 2 for k in sizes)  # every pair of a place was labelled
    for weight in (0.125, 0.25, 0.5):  # each connected part keeps its best weight: never fewer frames
        assert (place >= 0).sum() >= (_greedy_places(_Graph(n, a, b, v, 0.5), usable, 4, 20, weight) >= 0).sum()
