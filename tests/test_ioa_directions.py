"""IoA is asymmetric: a within-mode label set holds each pair in both directions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import cli
from fovlabel import annotate, read_pairs, weak_fov_overlap
from fovlabel.io.labelset import read_label_frames
from fovlabel.io.verify import verify_label_set


@pytest.fixture
def cameras(tmp_path):
    """A street of cameras with different openings (per-frame fov_deg): IoA differs by direction."""
    rng = np.random.default_rng(3)
    n = 40
    table = pd.DataFrame({
        "key": [f"f{i:03d}" for i in range(n)],
        "easting": 690000.0 + np.cumsum(rng.uniform(1, 4, n)),
        "northing": 5335000.0 + rng.normal(0, 2, n),
        "heading_deg": rng.uniform(60, 120, n),
        "fov_deg": rng.choice([45.0, 90.0, 120.0], n),
    })
    path = tmp_path / "street.csv"
    table.to_csv(path, index=False)
    return path, table


def _label(path, out, measure):
    annotate(path, "csv", mode="within", measure=measure, radius_m=30.0, out=out,
             reader_options={"epsg": "32632"})
    return read_pairs(out)


def test_ioa_within_mode_writes_both_directions_each_its_own_value(cameras, tmp_path):
    path, table = cameras
    ioa = _label(path, tmp_path / "ioa", "ioa")
    iou = _label(path, tmp_path / "iou", "iou")
    assert len(ioa) == 2 * len(iou)  # the same pairs, each way
    by_pair = {(a, b): v for a, b, v in zip(ioa["frame_a"], ioa["frame_b"], ioa["overlap"])}
    assert all((b, a) in by_pair for a, b in by_pair)
    frames = read_label_frames(tmp_path / "ioa")  # grid headings: compass minus the meridian convergence
    x, y, h = (frames[c].to_numpy() for c in ("x_m", "y_m", "grid_heading_deg"))
    f = table["fov_deg"].to_numpy()
    a, b = ioa["frame_a"].to_numpy(), ioa["frame_b"].to_numpy()
    expected = weak_fov_overlap(x[a], y[a], h[a], x[b], y[b], h[b], fov_deg=f[a], fov_deg_b=f[b],
                                radius_m=30.0, measure="ioa")  # |A∩B| / |A|, A = frame_a
    assert np.allclose(ioa["overlap"], expected, atol=1e-6)
    asymmetric = sum(abs(v - by_pair[(b_, a_)]) > 0.05 for (a_, b_), v in by_pair.items())
    assert asymmetric > 10  # the directions really differ here
    ranks = dict(zip(zip(a, b), ioa["rank"]))
    assert any(ranks[(i, j)] != ranks[(j, i)] for i, j in ranks)  # so may the ranks
    assert verify_label_set(tmp_path / "ioa")[1] == []


def test_verify_wants_the_reverse_row_of_an_ioa_pair(cameras, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path, _ = cameras
    out = tmp_path / "ioa"
    _label(path, out, "ioa")
    table = pq.read_table(out / "pairs.parquet")
    a, b = table.column("frame_a").to_pylist(), table.column("frame_b").to_pylist()
    held = set(zip(a, b))
    b[0] = next(c for c in range(40) if c != a[0] and (a[0], c) not in held)  # a pair with no reverse
    column = table.schema.get_field_index("frame_b")
    table = table.set_column(column, table.schema.field(column), pa.array(b, type=pa.int32()))
    pq.write_table(table, out / "pairs.parquet")
    problems = verify_label_set(out)[1]
    assert any("has no reverse row" in p for p in problems), problems


def test_consumers_do_not_mirror_an_ioa_set_twice(cameras, tmp_path):
    from fovlabel.samplers import _Overlaps

    path, _ = cameras
    out = tmp_path / "ioa"
    pairs = _label(path, out, "ioa")
    frames = read_label_frames(out)
    ov = _Overlaps(pairs, frames)
    for a, b, v in zip(pairs["frame_a"], pairs["frame_b"], pairs["overlap"]):
        assert ov.overlap(a, b) == pytest.approx(v)  # each direction its own value
    assert cli("export", out, "--to", "hloc", "--k", "3", "--out", tmp_path / "h", "-q").exit_code == 0
    lines = (tmp_path / "h" / "pairs.txt").read_text().splitlines()
    assert len(lines) == len(set(lines))  # no pair listed twice for an image
    first = [line.split()[0] for line in lines]
    assert max(first.count(k) for k in set(first)) <= 3
