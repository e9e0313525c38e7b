"""The command line, through click's CliRunner: output, exit codes, one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import SAMPLE
import fovlabel
from fovlabel import read_pairs
from fovlabel._version import __version__
from fovlabel.cli import main


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_annotate_writes_and_summarises(tiny_city, tmp_path):
    out = tmp_path / "labels"
    result = _invoke("annotate", tiny_city, "--format", "msls", "--labeller", "weak2d",
                     "--preset", "msls", "--out", out)
    assert result.exit_code == 0, result.output
    assert "frames: 7 (7 usable) in 1 group(s)" in result.output
    assert "group town: 7 frames, mode cross" in result.output
    pairs = read_pairs(out)
    assert f"pairs: {len(pairs):,}" in result.output and len(pairs) > 0
    assert f"rank 2 (positive): {(pairs['rank'] == 2).sum():,}" in result.output


def test_flags_override_the_preset(tiny_city, tmp_path):
    out = tmp_path / "labels"
    result = _invoke("annotate", tiny_city, "--format", "msls", "--preset", "msls", "--fov-deg", "60",
                     "--radius-m", "25", "--measure", "ioa", "--mode", "within", "--positive", "0.7",
                     "--keep-zero", "--jobs", "2", "--out", out)
    assert result.exit_code == 0, result.output
    config = read_pairs(out).attrs["fovlabel"]["config"]
    assert config == {**config, "fov_deg": 60.0, "radius_m": 25.0, "measure": "ioa", "mode": "within",
                      "positive": 0.7, "keep_zero": True}


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--radius-m", "0"], "error: radius_m must be a finite number > 0; got 0"),
        (["--radius-m", "-1"], "error: radius_m must be a finite number > 0; got -1"),
        (["--fov-deg", "0"], "error: fov_deg must be in (0, 360]; got 0"),
        (["--fov-deg", "400"], "error: fov_deg must be in (0, 360]; got 400"),
        (["--preset", "mapillary"], "error: unknown preset 'mapillary'; known: msls, msls-view, tb-places"),
        (["--labeller", "cloud9"], "error: unknown labeller 'cloud9'; known: cloud3d, strong2d, weak2d"),
    ],
)
def test_bad_parameters_exit_2_and_write_nothing(tiny_city, tmp_path, extra, message):
    out = tmp_path / "labels"
    result = _invoke("annotate", tiny_city, "--format", "msls", "--out", out, *extra)
    assert result.exit_code == 2
    assert result.output.strip() == message
    assert not out.exists() and not (tmp_path / "labels.partial").exists()


def test_unknown_format(tiny_city, tmp_path):
    result = _invoke("annotate", tiny_city, "--format", "kitty", "--out", tmp_path / "x")
    assert result.exit_code == 2
    assert result.output.strip() == "error: unknown format 'kitty'; known: 7scenes, colmap, csv, kitti, msls, scannet, tbplaces, tum, vpr-folders"


def test_bad_row_names_file_row_and_column(tmp_path):
    city = tmp_path / "msls" / "c" / "query"
    city.mkdir(parents=True)
    (city / "raw.csv").write_text(",key,lon,lat,ca\n0,a,11.5,48.1,10\n1,b,11.5,48.1,400\n")
    out = tmp_path / "labels"
    result = _invoke("annotate", tmp_path / "msls", "--format", "msls", "--out", out)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0] == (f"error: {city / 'raw.csv'}, row 2 (line 3), column 'ca': value 400° is outside "
                        "[0, 360) (headings are compass degrees, not wrapped) (1 such row(s) in the column)")
    assert not out.exists()


def test_output_exists(tiny_city, tmp_path):
    out = tmp_path / "labels"
    assert _invoke("annotate", tiny_city, "--format", "msls", "--out", out).exit_code == 0
    before = (out / "pairs.parquet").read_bytes()
    result = _invoke("annotate", tiny_city, "--format", "msls", "--out", out)
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {out}: output exists; pass --overwrite to replace it"
    assert (out / "pairs.parquet").read_bytes() == before
    assert _invoke("annotate", tiny_city, "--format", "msls", "--out", out, "--overwrite").exit_code == 0


def test_overlap_command():
    result = _invoke("overlap", "--a", "0,0,90", "--b", "0,0,90")
    assert result.exit_code == 0 and result.output.strip() == "1.000000"
    result = _invoke("overlap", "--a", "0,0,0", "--b", "0,0,0", "--fov-deg", "90", "--measure", "ioa")
    assert result.output.strip() == "1.000000"
    # two cameras 11 m apart on a meridian, both looking north (compass), from lat/lon
    result = _invoke("overlap", "--latlon", "--a", "48.1,11.5,0", "--b", "48.1001,11.5,0")
    from fovlabel.geometry.geodesy import compass_to_grid_heading_deg, latlon_to_metric

    x, y, epsg = latlon_to_metric([48.1, 48.1001], [11.5, 11.5])
    h = compass_to_grid_heading_deg([0.0, 0.0], [48.1, 48.1001], [11.5, 11.5], epsg)
    expected = fovlabel.weak_fov_overlap(x[0], y[0], h[0], x[1], y[1], h[1])
    assert result.exit_code == 0 and float(result.output) == pytest.approx(expected, abs=1e-6)
    assert 0.3 < expected < 0.6
    result = _invoke("overlap", "--a", "0,0", "--b", "1,1,1")
    assert result.exit_code == 2 and "--a takes three comma-separated numbers" in result.output


def test_version():
    result = _invoke("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_run_pipeline_and_show(tmp_path):
    pipeline = tmp_path / "job.toml"
    pipeline.write_text(f'dataset = "{SAMPLE}"\nformat = "msls"\npreset = "msls"\nout = "labels"\n'
                        '[params]\nradius_m = 30.0\n')
    result = _invoke("run", pipeline)
    assert result.exit_code == 0, result.output
    assert read_pairs(tmp_path / "labels").attrs["fovlabel"]["config"]["radius_m"] == 30.0
    shown = _invoke("show", tmp_path / "labels", "--rows", "3")
    assert shown.exit_code == 0 and "labeller weak2d" in shown.output and "key_a" in shown.output
    (tmp_path / "bad.toml").write_text('dataset = "x"\nformat = "msls"\nout = "y"\nradius = 3\n')
    result = _invoke("run", tmp_path / "bad.toml")
    assert result.exit_code == 2 and "unknown key(s) radius" in result.output


# ---- 6DoF (strong2d): the example commands, on ../shared/data ----

@pytest.mark.realdata
@pytest.mark.parametrize(
    "args, frames",
    [
        (["rgbd/7scenes_stairs_native", "--format", "7scenes", "--labeller", "strong2d", "--preset", "tb-places"], 12),
        (["poses/kitti_odometry/06.txt", "--format", "kitti", "--labeller", "strong2d", "--fov-deg", "intrinsics",
          "--fx", "707.09", "--width", "1226", "--radius-m", "30", "--mode", "within"], 1101),
        (["colmap/maupertuis/sparse/0", "--format", "colmap", "--labeller", "strong2d", "--mode", "within"], 4),
    ],
)
def test_strong2d_commands(tmp_path, args, frames):
    from conftest import SHARED, shared

    dataset = shared(SHARED / args[0])
    result = _invoke("annotate", dataset, *args[1:], "--out", tmp_path / "labels")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("up vector: (")  # the summary; progress is on stderr
    assert f"frames: {frames:,} ({frames:,} usable)" in result.stdout
    meta = read_pairs(tmp_path / "labels").attrs["fovlabel"]
    assert meta["labeller"] == "strong2d" and len(meta["labeller_info"]["up"]) == 3


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--labeller", "strong2d", "--fov-deg", "banana"], "error: fov_deg must be a number in (0, 360], 'auto' or 'intrinsics'; got 'banana'"),
        (["--labeller", "strong2d", "--up", "sideways"], "error: up must be auto or one of +x, -x, +y, -y, +z, -z; got 'sideways'"),
        (["--labeller", "strong2d", "--max-tilt-deg", "95"], "error: max_tilt_deg must be in (0, 90]; got 95"),
        (["--stride", "2"], "error: format 'msls' does not take option(s) stride; it takes: epsg"),
        (["--labeller", "strong2d"], "error: strong2d needs 6DoF poses; this dataset has none (use --labeller weak2d)"),
        (["--fov-deg", "intrinsics"], "error: fov_deg 'intrinsics' needs fx and width: frame 'q0' (town/query/raw.csv) "
                                      "has none from the reader; pass --fx and --width"),
    ],
)
def test_strong2d_flag_errors(tiny_city, tmp_path, extra, message):
    out = tmp_path / "labels"
    result = _invoke("annotate", tiny_city, "--format", "msls", "--out", out, *extra)
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists() and not (tmp_path / "labels.partial").exists()


def test_weak2d_on_poses_points_to_strong2d(tmp_path):
    path = tmp_path / "00.txt"
    path.write_text("1 0 0 0 0 1 0 0 0 0 1 0\n1 0 0 1 0 1 0 0 0 0 1 0\n")
    result = _invoke("annotate", path, "--format", "kitti", "--out", tmp_path / "labels")
    assert result.exit_code == 2
    assert "has no x_m, y_m, grid_heading_deg (it has a 6DoF pose: use --labeller strong2d)" in result.output


def test_help_lists_every_registered_format_labeller_and_preset():
    from fovlabel.config import PRESETS
    from fovlabel.labellers import LABELLERS, get_labeller
    from fovlabel.readers import READERS, get_reader

    text = _invoke("annotate", "--help").output
    for name in READERS:
        info = get_reader(name)
        assert f"  {name:<9} {info.takes:<15} {info.summary}" in text
    for name in LABELLERS:
        assert f"  {name:<9} {get_labeller(name).summary}" in text
        for param in get_labeller(name).Params.names():  # every parameter has its flag
            assert "--" + param.replace("_", "-") in text
    for name in PRESETS:
        assert f"  {name:<9}" in text
    assert text.rstrip().splitlines()[-1].strip().startswith("--labeller cloud3d")  # ends with examples


def test_a_labeller_registered_later_gets_its_flags(tmp_path):
    from test_labeller_protocol import Distance

    from fovlabel.labellers import LABELLERS, register_labeller

    register_labeller(Distance)
    try:
        text = _invoke("annotate", "--help").output
        assert "--scale-m FLOAT" in text and "distance-test exp(-distance / scale)" in text.replace("  ", " ")
        result = _invoke("annotate", SAMPLE, "--format", "msls", "--labeller", "distance-test", "--scale-m", "3",
                         "--mode", "cross", "--out", tmp_path / "d")
        assert result.exit_code == 0, result.output
        assert read_pairs(tmp_path / "d").attrs["fovlabel"]["params"] == {"scale_m": 3.0}
    finally:
        del LABELLERS["distance-test"]


@pytest.mark.parametrize("command", ["annotate", "overlap", "run", "show", "verify"])
def test_every_command_help_ends_with_examples(command):
    text = _invoke(command, "--help").output
    assert "Examples:" in text and "fovlabel " + command in text.split("Examples:")[1]


def test_no_command_prints_help_and_exits_0():
    result = _invoke()
    assert result.exit_code == 0
    assert "Commands:" in result.output and "annotate" in result.output


def test_usage_errors_are_one_line():
    result = _invoke("annotate", SAMPLE, "--format", "msls")
    assert result.exit_code == 2
    assert result.output.strip() == "error: Missing option '--out'. (see 'main annotate --help')"
    result = _invoke("annotate", SAMPLE, "--format", "msls", "--out", "x", "--mode", "sideways")
    assert result.output.strip() == "error: mode must be one of auto, cross, within; got 'sideways'"


def test_show_prints_counts_roles_flags_and_best_pairs_and_json(tmp_path):
    import json

    out = tmp_path / "labels"
    summary = fovlabel.annotate(SAMPLE, "msls", preset="msls", out=out)
    frames = fovlabel.read_label_frames(out)
    pairs = read_pairs(out, with_keys=True)
    text = _invoke("show", out, "--rows", "3").output
    n_query, n_db = (frames["role"] == "query").sum(), (frames["role"] == "database").sum()
    n_pano = (frames["flag"] == "pano").sum()
    assert n_pano > 0
    assert f"frames: {len(frames)} ({n_db} database, {n_query} query); left out: {n_pano} pano" in text
    assert f"rank 2 (positive): {summary.ranks[2]:,}" in text and f"pairs: {len(pairs):,}" in text
    assert "pairs: 2,540" in text  # counts with thousands separators
    best = pairs.sort_values(["overlap", "frame_a", "frame_b"], ascending=[False, True, True]).head(3)
    for key_a, key_b in zip(best["key_a"], best["key_b"]):
        assert f"{key_a} {key_b}" in " ".join(text.split())
    info = json.loads(_invoke("show", out, "--json").output)
    assert info["pairs"] == len(pairs) and info["ranks"] == {"0": 0, "1": summary.ranks[1], "2": summary.ranks[2]}
    assert info["roles"] == {"query": int(n_query), "database": int(n_db)} and info["unusable"] == {"pano": int(n_pano)}
    q50 = float(np.quantile(pairs["overlap"].to_numpy(), 0.5))
    assert abs(info["overlap_quantiles"]["q50"] - q50) < 1e-6
    best5 = pairs.sort_values(["overlap", "frame_a", "frame_b"], ascending=[False, True, True]).head(5)
    assert [(p["key_a"], p["key_b"]) for p in info["best_pairs"]] == list(zip(best5["key_a"], best5["key_b"]))


def test_the_program_pauses_the_collector_until_the_frames_work_and_the_library_never(tmp_path, monkeypatch):
    """fovlabel._program: the console script turns the cyclic collector off while it imports and
    reads, and prepare_frames turns it back on; a library caller's setting is left as it is."""
    import gc
    import sys

    from fovlabel import _program, annotate
    from fovlabel.labellers.weak2d import Weak2D

    seen = {}
    real = Weak2D.prepare

    def look(self, *args, **kwargs):  # prepare_frames calls it right after resuming
        seen.setdefault("enabled at prepare", gc.isenabled())
        return real(self, *args, **kwargs)

    was = gc.isenabled()
    try:
        monkeypatch.setattr(sys, "argv", ["fovlabel", "annotate", str(SAMPLE), "--format", "msls",
                                          "--preset", "msls", "--out", str(tmp_path / "labels")])
        monkeypatch.setattr(Weak2D, "prepare", look)
        reading = {}
        import fovlabel.api as api

        real_read = api._read

        def read(*args, **kwargs):
            reading["enabled"] = gc.isenabled()
            return real_read(*args, **kwargs)

        monkeypatch.setattr(api, "_read", read)
        with pytest.raises(SystemExit) as done:
            _program.entry()
        assert done.value.code in (0, None)
        assert reading == {"enabled": False} and seen == {"enabled at prepare": True}
        assert gc.isenabled() and (tmp_path / "labels" / "pairs.parquet").is_file()
        # another command resumes before it runs
        monkeypatch.setattr(sys, "argv", ["fovlabel", "show", str(tmp_path / "labels")])
        with pytest.raises(SystemExit):
            _program.entry()
        assert gc.isenabled()
        # the library: a caller who turned the collector off finds it off after a run
        gc.disable()
        annotate(SAMPLE, "msls", preset="msls")
        assert not gc.isenabled()
    finally:
        gc.unfreeze()
        (gc.enable if was else gc.disable)()
