"""Pictures: their content is measured, not only their existence."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from conftest import SAMPLE, cli
from fovlabel import annotate, read_pairs
from fovlabel.errors import OutputError

pytest.importorskip("matplotlib", reason="matplotlib (the plot extra) is not installed")


@pytest.mark.parametrize("dx, dy, hb", [(10.0, 0.0, 20.0), (0.0, 25.0, 300.0), (15.0, 45.0, 200.0)])
def test_plot_pair_shades_the_intersection_in_proportion_to_the_overlap(tmp_path, dx, dy, hb):
    from fovlabel.plot import A_ONLY_RGB, B_ONLY_RGB, INTERSECTION_RGB, plot_pair

    (tmp_path / "f.csv").write_text("key,easting,northing,heading_deg\n"
                                    f"a,690000,5330000,0\nb,{690000 + dx},{5330000 + dy},{hb}\n")
    annotate(tmp_path / "f.csv", "csv", mode="within", fov_deg=90.0, radius_m=40.0,
             reader_options={"epsg": 32632}, out=tmp_path / "labels")
    overlap = float(read_pairs(tmp_path / "labels")["overlap"].iloc[0])
    out = plot_pair(tmp_path / "labels", "a", "b", tmp_path / "pair.png")
    pixels = np.asarray(Image.open(out).convert("RGB")).reshape(-1, 3)
    inter = (pixels == INTERSECTION_RGB).all(axis=1).sum()
    only_a, only_b = ((pixels == colour).all(axis=1).sum() for colour in (A_ONLY_RGB, B_ONLY_RGB))
    union = inter + only_a + only_b
    assert union > 10_000
    if overlap < 0.9:  # each sector's own part in its own colour
        assert only_a > 500 and only_b > 500
    assert abs(inter / union - overlap) <= 0.03, (inter / union, overlap)


def test_plot_pair_hatches_what_the_view_consistent_measure_leaves_out(tmp_path):
    from fovlabel.plot import A_ONLY_RGB, B_ONLY_RGB, EXCLUDED_RGB, HATCH_RGB, INTERSECTION_RGB, plot_pair

    # two cameras at right angles, 29 m apart: the ground near the segment between them is seen
    # from directions more than 60° apart
    (tmp_path / "f.csv").write_text("key,easting,northing,heading_deg\n"
                                    "a,690000,5330000,0\nb,690017,5330024,272\n")
    common = dict(mode="within", fov_deg=90.0, radius_m=50.0, reader_options={"epsg": 32632})
    annotate(tmp_path / "f.csv", "csv", out=tmp_path / "plain", **common)
    annotate(tmp_path / "f.csv", "csv", out=tmp_path / "view", max_view_angle_deg=60.0, **common)
    plain = float(read_pairs(tmp_path / "plain")["overlap"].iloc[0])
    view = float(read_pairs(tmp_path / "view")["overlap"].iloc[0])
    assert 0.1 < view < 0.8 * plain
    out = plot_pair(tmp_path / "view", "a", "b", tmp_path / "pair.png")
    pixels = np.asarray(Image.open(out).convert("RGB")).reshape(-1, 3).astype(int)
    counted = (pixels == INTERSECTION_RGB).all(axis=1).sum()
    # the hatch lines are antialiased: a blend of the fill and the line colour is hatched
    lo, hi = np.array(HATCH_RGB), np.array(EXCLUDED_RGB)
    s = np.clip((pixels[:, 0] - lo[0]) / (hi[0] - lo[0]), 0, 1)[:, None]
    hatched = np.abs(pixels - (lo + s * (hi - lo))).max(axis=1) <= 12
    union = counted + hatched.sum() + sum((pixels == c).all(axis=1).sum() for c in (A_ONLY_RGB, B_ONLY_RGB))
    assert abs(counted / union - view) <= 0.03, (counted / union, view)
    assert abs(hatched.sum() / union - (plain - view)) <= 0.04, (hatched.sum() / union, plain - view)


def test_plot_histogram_and_the_output_rules(tmp_path):
    from fovlabel.plot import plot_histogram

    annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "labels")
    out = plot_histogram(tmp_path / "labels", tmp_path / "h.png")
    with Image.open(out) as im:
        assert im.info["Software"].startswith("fovlabel") and im.size[0] > 800
    result = cli("plot", "histogram", tmp_path / "labels", "--out", out)
    assert result.exit_code == 2 and "output exists; pass --overwrite" in result.output
    assert cli("plot", "histogram", tmp_path / "labels", "--out", out, "--overwrite").exit_code == 0
    Image.new("RGB", (4, 4)).save(tmp_path / "mine.png")
    with pytest.raises(OutputError, match="not a picture fovlabel drew"):
        plot_histogram(tmp_path / "labels", tmp_path / "mine.png", overwrite=True)
    result = cli("plot", "pair", tmp_path / "labels", "q0006", "nonexistent", "--out", tmp_path / "p.png")
    assert result.exit_code == 2 and "no frame with key or frame id 'nonexistent'" in result.output


def test_plot_query_colours_the_top_match_as_a_positive_and_map_draws_every_group(tmp_path):
    from fovlabel.plot import RANK_RGB, plot_map, plot_query

    annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "labels")
    pairs = read_pairs(tmp_path / "labels", with_keys=True)
    best = pairs.sort_values("overlap", ascending=False).iloc[0]
    out, ranks = plot_query(tmp_path / "labels", best["key_a"], tmp_path / "q.png")
    assert ranks[int(best["frame_b"])] == 2  # the known top match is drawn in the positive colour
    pixels = np.asarray(Image.open(out).convert("RGB")).reshape(-1, 3)
    assert (np.abs(pixels.astype(int) - RANK_RGB[2]).sum(axis=1) < 30).sum() > 20  # and it is there
    n_positive = int(((pairs["key_a"] == best["key_a"]) & (pairs["rank"] == 2)).sum())
    assert sum(r == 2 for r in ranks.values()) == n_positive
    out = plot_map(tmp_path / "labels", tmp_path / "m.png")
    with Image.open(out) as im:
        assert im.info["Software"].startswith("fovlabel")


def test_annotate_plots_beside_the_label_set(tmp_path):
    out = tmp_path / "labels"
    result = cli("annotate", SAMPLE, "--format", "msls", "--preset", "msls", "--out", out, "--plots")
    assert result.exit_code == 0, result.output
    assert "plots: 5 picture(s)" in result.output
    assert sorted(p.name for p in (out / "plots").iterdir()) == [
        "histogram.png", "pair_facing_positive.png", "pair_near_threshold.png", "pair_positive.png",
        "pair_soft_negative.png"]
    # the examples of what a label means are pairs of cameras that do not face each other; the
    # sample city's facing positive (q0033 / d0212, 178° apart) is shown apart, as such
    from fovlabel.plot import example_pairs

    pairs = read_pairs(out, with_keys=True)
    picks = {name: pairs.iloc[k] for name, k in example_pairs(pairs).items()}
    for name in ("positive", "soft_negative", "near_threshold"):
        assert picks[name]["heading_diff_deg"] <= 135, name
    assert picks["positive"]["rank"] == 2 and picks["soft_negative"]["rank"] == 1
    facing = picks["facing_positive"]
    assert facing["heading_diff_deg"] > 135 and facing["rank"] == 2
    assert cli("verify", out).exit_code == 0  # still a label set
    # the plots are fovlabel's: --overwrite replaces the set with them; a user's file among them stops it
    assert cli("annotate", SAMPLE, "--format", "msls", "--preset", "msls", "--out", out, "--overwrite").exit_code == 0
    assert not (out / "plots").exists()
    cli("annotate", SAMPLE, "--format", "msls", "--preset", "msls", "--out", out, "--overwrite", "--plots")
    (out / "plots" / "notes.txt").write_text("mine")
    result = cli("annotate", SAMPLE, "--format", "msls", "--preset", "msls", "--out", out, "--overwrite")
    assert result.exit_code == 2 and "plots holds notes.txt, which fovlabel did not draw" in result.output


def test_annotate_plots_with_each_cameras_own_fov(tmp_path):
    """--plots picks its example pairs whatever the sectors' fov (auto: each camera's own), asking
    the labeller whether it draws sectors without handing it the pairs table as frames."""
    out = tmp_path / "labels"
    result = cli("annotate", SAMPLE, "--format", "msls", "--out", out, "--plots", "-q")
    assert result.exit_code == 0, result.output
    assert (out / "plots" / "pair_positive.png").is_file()
