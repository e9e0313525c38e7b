"""``vpr-eval``: ground truth by overlap, loaded as the GSV-Cities family (MixVPR, SALAD, BoQ)
and VPR_Tutorial load it, and checked pair by pair against the label set."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import MUNICH, SAMPLE, shared
from fovlabel import ConfigError, annotate, export, read_label_frames, read_pairs


@pytest.mark.parametrize("which", ["sample", "munich"])
def test_ground_truth_by_overlap_loads_as_its_consumers_load_it(which, tmp_path):
    dataset = SAMPLE if which == "sample" else shared(MUNICH)
    labels = tmp_path / "labels"
    annotate(dataset, "msls", preset="msls", out=labels)
    out = export(labels, "vpr-eval", tmp_path / "eval", positive=0.5, soft=0.0)
    frames, pairs = read_label_frames(labels), read_pairs(labels)
    group = frames["group"].iloc[0]
    # GSV-Cities' validation loaders: np.load of the three files, images = db then queries
    db_images = np.load(out / f"{group}_dbImages.npy")
    q_images = np.load(out / f"{group}_qImages.npy")
    gt = np.load(out / f"{group}_gt.npy", allow_pickle=True)
    usable = frames[frames["usable"]]
    db = usable[usable["role"] == "database"]
    q = usable[usable["role"] == "query"]
    assert db_images.tolist() == db["image_path"].tolist() and q_images.tolist() == q["image_path"].tolist()
    assert len(gt) == len(q_images)
    assert all((dataset / p).parent.parent.is_dir() for p in db_images[:3])  # relative to the dataset root
    db_row = {f: i for i, f in enumerate(db["frame_id"])}
    positives = {}
    for a, b, v in zip(pairs["frame_a"], pairs["frame_b"], pairs["overlap"]):
        if v >= 0.5:
            positives.setdefault(a, set()).add(db_row[b])
    for j, frame in enumerate(q["frame_id"]):
        assert set(gt[j].tolist()) == positives.get(frame, set())
    # VPR_Tutorial: boolean (n_database, n_queries), GTsoft contains GThard
    GT = np.load(out / f"{group}_GT.npz")
    hard, soft = GT["GThard"], GT["GTsoft"]
    assert hard.dtype == bool and hard.shape == soft.shape == (len(db_images), len(q_images))
    assert not (hard & ~soft).any() and hard.sum() == sum(len(g) for g in gt)
    S = np.random.default_rng(0).random(hard.shape)
    S[soft & ~hard] = S.min()  # what its precision-recall curve does
    # the report against 25 m, recomputed here by brute force
    xy_db, xy_q = db[["x_m", "y_m"]].to_numpy(), q[["x_m", "y_m"]].to_numpy()
    near = np.hypot(*(xy_db[:, None, :] - xy_q[None, :, :]).transpose(2, 0, 1)) <= 25.0
    overlap = np.zeros(hard.shape)
    q_col = {f: j for j, f in enumerate(q["frame_id"])}
    for a, b, v in zip(pairs["frame_a"], pairs["frame_b"], pairs["overlap"]):
        overlap[db_row[b], q_col[a]] = v
    # recall@1 as they compute it, np.any(np.in1d(pred[:k], gt[q])) (np.isin in numpy 2), with each
    # query's database ranked by the pairs table's overlap: every query with a positive is a hit
    hits = [np.any(np.isin(np.argsort(-overlap[:, j], kind="stable")[:1], gt[j])) for j in range(len(gt)) if len(gt[j])]
    assert len(hits) > 10 and all(hits)
    report = (out / f"{group}_report.txt").read_text()
    assert f"the 25 m rule gives {int(near.sum()):,}" in report
    assert f"{int((near & (overlap == 0)).sum()):,} of the 25 m positives show nothing of their query" in report
    assert f"{int((hard & ~near).sum()):,} overlap positives lie beyond 25 m" in report


def test_vpr_eval_needs_cross_mode_and_sane_thresholds(tmp_path):
    within = tmp_path / "within"
    annotate(SAMPLE, "msls", preset="msls", mode="within", out=within)
    with pytest.raises(ConfigError, match="vpr-eval needs queries and a database"):
        export(within, "vpr-eval", tmp_path / "x")
    with pytest.raises(ConfigError, match=r"soft must be in \[0, positive\)"):
        export(within, "vpr-eval", tmp_path / "x", positive=0.3, soft=0.3)
