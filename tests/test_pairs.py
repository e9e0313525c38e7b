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
