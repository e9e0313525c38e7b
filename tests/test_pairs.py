"""Candidate pairs are exactly the pairs a brute-force loop finds (lossless, no N² loop)."""

import numpy as np
import pandas as pd
import pytest

import naive
from fovlabel import ConfigError
from fovlabel.pairs import candidate_pairs, group_modes, plan_chunks


def _frames(n, seed, roles=True, groups=2):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "frame_id": np.arange(n, dtype=np.int32),
        "group": rng.choice([f"g{i}" for i in range(groups)], n),
        "role": rng.choice(["query", "database"], n) if roles else None,
        "x_m": 690_000 + rng.uniform(0, 400, n),
        "y_m": 5_340_000 + rng.uniform(0, 400, n),
        "usable": rng.random(n) > 0.05,
    })


def _all_pairs(frames, radius, mode, chunk):
    found = set()
    for c in plan_chunks(frames, group_modes(frames, mode), chunk):
        a, b, d = candidate_pairs(frames["x_m"].to_numpy(), frames["y_m"].to_numpy(), radius,
                                  c.anchors, c.targets, c.mode == "within")
        assert np.allclose(d, np.hypot(frames["x_m"].to_numpy()[a] - frames["x_m"].to_numpy()[b],
                                       frames["y_m"].to_numpy()[a] - frames["y_m"].to_numpy()[b]))
        assert np.all((np.diff(a) > 0) | ((np.diff(a) == 0) & (np.diff(b) > 0)))  # (a, b) order
        pairs = set(zip(a.tolist(), b.tolist()))
        assert not (pairs & found)  # chunks never repeat a pair
        found |= pairs
    return found


@pytest.mark.parametrize("mode", ["within", "cross"])
@pytest.mark.parametrize("chunk", [7, 100_000])
def test_candidates_equal_brute_force(mode, chunk):
    frames = _frames(600, seed=3)
    rng = np.random.default_rng(4)
    radius = rng.uniform(10, 40, len(frames))  # per-frame radii
    got = _all_pairs(frames, radius, mode, chunk)
    usable = frames[frames["usable"]]
    idx = usable.index.to_numpy()
    ref = naive.candidate_pairs(usable["x_m"].to_numpy(), usable["y_m"].to_numpy(), radius[idx],
                                usable["group"].to_numpy(), usable["role"].to_numpy(), mode)
    ref = {(int(idx[a]), int(idx[b])) for a, b in ref}
    assert got == ref and len(got) > 500
    assert all(a != b for a, b in got)


@pytest.mark.parametrize("within", [False, True])
def test_the_ordering_kernel_equals_a_filter_and_a_sort(within):
    """kept_in_order against tests/naive.py: random pairs in any order, equal distances, pairs
    exactly at r_a + r_b (not kept: strictly closer), a = b (within: not kept), no pairs at all."""
    from fovlabel._pairs_kernel import kept_in_order

    rng = np.random.default_rng(5)
    anchors = np.sort(rng.choice(200, 40, replace=False)).astype(np.int64)
    targets = np.sort(rng.choice(200, 70, replace=False)).astype(np.int64)
    radius = rng.choice([5.0, 10.0], 200)
    grid = np.array(np.meshgrid(np.arange(40), np.arange(70), indexing="ij")).reshape(2, -1).T
    grid = grid[rng.permutation(len(grid))[:1500]]  # unique (i, j), shuffled as a tree yields them
    i, j = grid[:, 0].astype(np.int64), grid[:, 1].astype(np.int64)
    v = rng.choice([1.0, 7.5, 10.0, 15.0, 19.999, 20.0], len(i))  # ties, and r_a + r_b itself
    for n in (len(i), 0):
        got = kept_in_order(i[:n], j[:n], v[:n], anchors, targets, radius, within)
        ref = naive.kept_in_order(i[:n], j[:n], v[:n], anchors, targets, radius, within)
        for g, r in zip(got, ref):
            assert g.tolist() == r
    assert len(ref[0]) == 0 and len(naive.kept_in_order(i, j, v, anchors, targets, radius, within)[0]) > 300
    # strided inputs, as the KD-tree's record array gives them
    found = np.zeros(len(i), dtype=[("i", np.intp), ("j", np.intp), ("v", np.float64)])
    found["i"], found["j"], found["v"] = i, j, v
    got = kept_in_order(found["i"], found["j"], found["v"], anchors, targets, radius, within)
    assert [g.tolist() for g in got] == list(naive.kept_in_order(i, j, v, anchors, targets, radius, within))


def test_candidates_of_anchors_given_in_any_order():
    frames = _frames(300, seed=6, groups=1)
    x, y = frames["x_m"].to_numpy(), frames["y_m"].to_numpy()
    radius = np.full(len(frames), 30.0)
    rows = np.arange(len(frames))
    ordered = candidate_pairs(x, y, radius, rows[:100], rows[100:], False)
    shuffled = candidate_pairs(x, y, radius, rows[:100][::-1], np.random.default_rng(1).permutation(rows[100:]), False)
    for g, r in zip(shuffled, ordered):
        np.testing.assert_array_equal(g, r)
    assert len(ordered[0]) > 100


def test_identical_positions_are_candidates():
    frames = pd.DataFrame({"frame_id": np.arange(3, dtype=np.int32), "group": "g", "role": None,
                           "x_m": [5e5, 5e5, 5e5 + 200], "y_m": [5e6, 5e6, 5e6], "usable": True})
    assert _all_pairs(frames, np.full(3, 50.0), "within", 10) == {(0, 1)}


def test_cross_needs_roles():
    with pytest.raises(ConfigError, match="mode 'cross' needs query and database"):
        group_modes(_frames(20, seed=1, roles=False), "cross")


def test_auto_mode_per_group():
    frames = _frames(40, seed=2, groups=1)
    assert set(group_modes(frames, "auto").values()) == {"cross"}
    frames["role"] = None
    assert set(group_modes(frames, "auto").values()) == {"within"}


def test_groups_are_planned_in_order_of_their_first_usable_frame():
    """The chunk order (hence the pairs' order) follows the first usable frame of each group, so
    a group whose first frames are unusable comes after one that starts labelling earlier."""
    from fovlabel.pairs import group_modes, plan_chunks

    frames = pd.DataFrame({
        "group": ["A", "B", "B", "A", "A", None, "C"],
        "role": [None, "query", "database", None, None, None, "query"],
        "usable": [False, True, True, True, True, True, True],
    })
    modes = group_modes(frames, "auto")
    assert list(modes.items()) == [("B", "cross"), ("A", "within"), ("C", "within")]
    chunks = plan_chunks(frames, modes, 1)
    assert [(c.group, c.mode, c.anchors.tolist(), c.targets.tolist()) for c in chunks] == [
        ("B", "cross", [1], [2]), ("A", "within", [3], [3, 4]), ("A", "within", [4], [3, 4]),
        ("C", "within", [6], [6])]
    with pytest.raises(ConfigError, match="mode 'cross' needs query and database"):
        group_modes(frames.assign(role=None), "cross")


def test_a_dense_chunk_is_cut_by_its_pair_load_and_a_sparse_plan_is_unchanged():
    """plan_chunks bounds the candidates in memory at once: a chunk whose anchors' load passes
    max_pairs is cut, in order, into parts within it (a part holds one anchor at least); where
    no chunk passes it the plan is the frame-count plan, anchor for anchor."""
    import pandas as pd

    n = 1000
    frames = pd.DataFrame({"usable": np.ones(n, bool), "group": "g", "role": None})
    modes = {"g": "within"}
    plain = plan_chunks(frames, modes, 400)
    load = np.full(n, 10.0)
    assert [c.anchors.tolist() for c in plan_chunks(frames, modes, 400, load, 10_000)] == \
        [c.anchors.tolist() for c in plain]
    load[300:600] = 100.0  # a dense stretch
    cut = plan_chunks(frames, modes, 400, load, 5_000)
    assert np.concatenate([c.anchors for c in cut]).tolist() == list(range(n))  # every anchor once, in order
    assert [c.index for c in cut] == list(range(len(cut)))
    assert all(load[c.anchors].sum() <= 5_000 or len(c.anchors) == 1 for c in cut)
    assert len(cut) > len(plain)
    heavy = np.full(n, 10.0)
    heavy[5] = 1e9  # one anchor above the budget alone: a chunk of its own
    assert [5] in [c.anchors.tolist() for c in plan_chunks(frames, modes, 400, heavy, 5_000)]


def test_the_sector_labellers_load_is_the_frames_within_reach(tmp_path):
    """Weak2D.pair_load: zero where a chunk stays far below the budget; where it could pass it,
    each frame's neighbours within 2 x the radius (exact at the sampled frames)."""
    from scipy.spatial import cKDTree

    from conftest import SAMPLE
    from fovlabel import annotate
    from fovlabel.config import make_config
    from fovlabel.labellers import get_labeller

    frames = annotate(SAMPLE, "msls", preset="msls", mode="within", return_frames=True)[1]
    labeller = get_labeller("weak2d")
    config = make_config("msls", mode="within")
    state = labeller.prepare(frames, config.params).state
    assert not labeller.pair_load(state, frames, 5000).any()  # 504 frames: far below 4M candidates
    labeller_small = type(labeller)()
    labeller_small.chunk_pairs = 100
    load = labeller_small.pair_load(state, frames, 5000)
    rows = np.flatnonzero(frames["usable"].to_numpy())
    xy = frames[["x_m", "y_m"]].to_numpy()[rows]
    exact = cKDTree(xy).query_ball_point(xy, 100.0, return_length=True)
    assert np.array_equal(load[rows], exact)  # fewer frames than samples: every frame counted
