"""Samplers: distributions and validity over many draws, seeded reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SAMPLE
from fovlabel import ConfigError, annotate, read_label_frames, read_pairs
from fovlabel.samplers import GCLPairSampler, OverlapBinSampler, PKSampler, TupleSampler


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("city") / "labels"
    annotate(SAMPLE, "msls", preset="msls", out=out)
    return out


def _overlap(labels):
    pairs = read_pairs(labels)
    table = {}
    for a, b, v in zip(pairs["frame_a"], pairs["frame_b"], pairs["overlap"]):
        table[(a, b)] = table[(b, a)] = float(v)
    return lambda a, b: table.get((a, b), 0.0)


def test_gcl_pair_sampler_draws_50_25_25_and_only_valid_matches(city):
    overlap = _overlap(city)
    frames = read_label_frames(city)
    draws = []
    sampler = GCLPairSampler(city, seed=3, epochs=100)
    for q, m, v in sampler:
        draws.append(v)
        assert frames["role"].iloc[q] == "query" and frames["role"].iloc[m] == "database"
        assert frames["usable"].iloc[m] and frames["group"].iloc[q] == frames["group"].iloc[m]
        assert v == overlap(q, m)
    v = np.array(draws)
    assert len(v) >= 10_000
    # every class is non-empty for most queries; the shares follow p among the drawn pairs
    shares = np.array([(v >= 0.5).mean(), ((v > 0) & (v < 0.5)).mean(), (v == 0).mean()])
    n_class = [sum(1 for q in sampler.queries if sampler._classes[q][k]) for k in (0, 1)]
    expected = np.array([0.5 * n_class[0], 0.25 * n_class[1], 0.25 * len(sampler.queries)])
    assert np.abs(shares - expected / expected.sum()).max() <= 0.02, (shares, expected / expected.sum())
    assert list(GCLPairSampler(city, seed=3))[:20] == list(GCLPairSampler(city, seed=3))[:20]
    assert list(GCLPairSampler(city, seed=3))[:20] != list(GCLPairSampler(city, seed=4))[:20]


def test_gcl_pair_sampler_on_a_set_where_every_class_exists(city):
    # queries with a positive and a soft negative: over 10,000 draws the shares are 50/25/25 +-2%
    sampler = GCLPairSampler(city, seed=1, epochs=1)
    full = [q for q in sampler.queries.tolist() if all(sampler._classes[q])]
    assert len(full) > 20
    sampler.queries = np.array(full)
    sampler.epochs = int(np.ceil(10_000 / len(full)))
    v = np.array([x[2] for x in sampler])
    assert len(v) >= 10_000
    assert abs((v >= 0.5).mean() - 0.5) <= 0.02
    assert abs(((v > 0) & (v < 0.5)).mean() - 0.25) <= 0.02
    assert abs((v == 0).mean() - 0.25) <= 0.02


def test_overlap_bin_sampler(city):
    sampler = OverlapBinSampler(city, bins=(0.1, 0.3, 0.5, 0.7), n_per_bin=50, negatives=0.2, seed=0)
    draws = list(sampler)
    overlap = _overlap(city)
    counts = {(lo, hi): 0 for lo, hi in ((0.1, 0.3), (0.3, 0.5), (0.5, 0.7))}
    zeros = 0
    for a, b, v in draws:
        assert v == overlap(a, b)
        if v == 0:
            zeros += 1
            continue
        key = next(k for k in counts if k[0] < v <= k[1])  # (lo, hi]: strict lower bound
        counts[key] += 1
    assert all(c == 50 for c in counts.values()) and zeros == 30
    few = OverlapBinSampler(city, bins=(0.95, 1.0), n_per_bin=10_000)
    assert list(few) == [] and few.skipped == [(0.95, 1.0)]


def test_pk_sampler():
    classes = np.repeat(np.arange(10), [5, 5, 5, 5, 5, 2, 8, 3, 4, 6]).tolist() + [-1, -1]
    batches = list(PKSampler(classes, p=4, k=3, batches=200, seed=0))
    assert len(batches) == 200
    for batch in batches:
        assert len(batch) == 12 and -1 not in [classes[i] for i in batch]
        ids = [classes[i] for i in batch]
        assert len(set(ids)) == 4 and all(ids.count(c) == 3 for c in set(ids))
    with pytest.raises(ConfigError, match="a batch needs 20 classes; there are 10"):
        PKSampler(classes, p=20, k=2)


@pytest.mark.parametrize("quad", [False, True])
def test_tuple_sampler_validity(city, quad):
    overlap = _overlap(city)
    tuples = list(TupleSampler(city, quadruplets=quad, seed=2))
    assert len(tuples) > 50
    for t in tuples:
        a, p, n = t[:3]
        assert overlap(a, p) >= 0.5 and overlap(a, n) == 0 and n != a
        if quad:
            n2 = t[3]
            assert overlap(a, n2) == 0 and overlap(n, n2) == 0 and n2 not in (a, n)
