"""What a new user meets in the first hour (issue 26): defaults in every --help, counts with
separators, a quiet end in a closed pipe, "did you mean", and progress lines that say what ran."""

from __future__ import annotations

import dataclasses
import errno
import io
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SAMPLE, cli
from fovlabel import annotate
from fovlabel.exporters import EXPORTERS, get_exporter
from fovlabel.labellers import LABELLERS, get_labeller
from fovlabel.progress import Progress


def _flat(text: str) -> str:
    return " ".join(text.split())


def _option_help(text: str, flag: str) -> str:
    """The help of one option in a --help text's options (up to the next option)."""
    flat = _flat(text[text.index("Options:"):])
    start = flat.index(flag + " ")
    following = [flat.find(" --", start + len(flag)), len(flat)]
    return flat[start:min(i for i in following if i > 0)]


def test_every_help_shows_each_options_default():
    annotate_help = cli("annotate", "--help").output
    for name in LABELLERS:
        for f in dataclasses.fields(get_labeller(name).Params):
            if f.default not in (None, False):
                assert "default: " in _option_help(annotate_help, "--" + f.name.replace("_", "-")), f.name
    assert "[default: 50.0]" in _option_help(annotate_help, "--radius-m")
    assert "[default: 0.05]" in _option_help(annotate_help, "--voxel-m")
    assert "[default: 1]" in _option_help(annotate_help, "--jobs")
    own = ", ".join(f"{n} {get_labeller(n).chunk_frames:,}" for n in LABELLERS)
    assert f"[default: the labeller's own: {own}]" in _flat(annotate_help)
    assert "threads" in _option_help(annotate_help, "--jobs")  # not "processes": what --jobs is
    export_help = cli("export", "--help").output
    for name in EXPORTERS:
        for f in dataclasses.fields(get_exporter(name).Options):
            if f.default not in (None, False):
                assert "default: " in _option_help(export_help, "--" + f.name.replace("_", "-")), (name, f.name)
    assert "[default: 10]" in _option_help(export_help, "--k")
    assert "[default: 0.3]" in _option_help(cli("correspondences", "--help").output, "--min-overlap")


def test_a_closed_pipe_ends_quietly(tmp_path):
    annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "labels")
    fovlabel = Path(sys.executable).parent / "fovlabel"
    done = subprocess.run(f"'{fovlabel}' show '{tmp_path / 'labels'}' --rows 2000 | head -1", shell=True,
                          capture_output=True, text=True, executable="/bin/bash")
    assert done.stdout.startswith("label set ") and done.stderr == ""
    piped = subprocess.run(["bash", "-o", "pipefail", "-c",
                            f"'{fovlabel}' show '{tmp_path / 'labels'}' --rows 2000 | head -1 >/dev/null"],
                           capture_output=True, text=True)
    assert piped.returncode == 141 and piped.stderr == ""  # 128 + SIGPIPE, as Unix tools end


def test_a_mistyped_command_gets_a_did_you_mean():
    result = cli("anotate", "x")
    assert result.exit_code == 2
    assert result.output.startswith("error: no such command 'anotate'; did you mean 'annotate'?")
    assert "did you mean" not in cli("zzzz").output


def test_the_progress_says_what_ran_and_a_resumed_run_rates_only_what_it_labelled(tmp_path, monkeypatch):
    from fovlabel.io import parts

    stream = io.StringIO()
    summary = annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "full", chunk_frames=25,
                       progress=Progress("lines", stream=stream))
    lines = stream.getvalue().splitlines()
    writing = [line for line in lines if line.startswith("fovlabel: writing")]
    assert writing and writing[-1].startswith("fovlabel: writing: done in "), lines  # not "0 parts"
    assert summary.labelled_frames == summary.usable_frames
    real, calls = parts._atomic_write_table, {"n": 0}

    def full_disk(table, path, **options):
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(table, path, **options)

    monkeypatch.setattr(parts, "_atomic_write_table", full_disk)
    with pytest.raises(Exception, match="no space left"):
        annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "resumed", chunk_frames=25)
    monkeypatch.setattr(parts, "_atomic_write_table", real)
    resumed = annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "resumed", chunk_frames=25)
    assert resumed.resumed_chunks == 3
    assert 0 < resumed.labelled_frames < resumed.usable_frames  # the reused chunks' frames are not counted
    labelling = resumed.phases["labelling"]
    assert f"labelling {labelling:.2f} s ({resumed.labelled_frames / labelling:,.0f} frames/s)" in "\n".join(resumed.lines())


def test_what_was_accepted_silently_gets_a_one_line_answer(tmp_path):
    labels = tmp_path / "labels"
    annotate(SAMPLE, "msls", preset="msls", out=labels)
    for args, message in [
        (("annotate", SAMPLE, "--format", "msls", "--preset", "msls", "--preset", "msls-view", "--out", tmp_path / "x"),
         "error: Invalid value for '--preset': given 2 times (msls, msls-view); give it once"),
        (("plot", "pair", labels, "q0006", "d0006", "--matches", "30", "--out", tmp_path / "p.png"),
         "error: --matches draws pixel correspondences, which only a label set whose pairs rest on pixels has "
         "(cloud3d); this one's labeller, weak2d, has none"),
        (("plot", "pair", labels, "q0006", "6", "--out", tmp_path / "p.png"),
         "error: plot pair draws two frames; 'q0006' and '6' are the same frame"),
        (("plot", "query", labels, "d0006", "--out", tmp_path / "p.png"),
         "error: 'd0006' is a database frame of a cross-mode group: plot query draws a query's matches"),
    ]:
        result = cli(*args)
        assert result.exit_code == 2 and result.output.startswith(message), result.output
        assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists() and not (tmp_path / "p.png").exists()


def test_a_pair_not_in_the_table_is_computed_and_says_why(tmp_path):
    """plot pair of a pair the label set holds no row for: the labeller's own overlap, and why
    it is absent (never a silent 0)."""
    import numpy as np

    import fovlabel
    from fovlabel.io.metadata import labeller_of
    from fovlabel.plot import _sectors, _unlabelled

    labels = tmp_path / "labels"
    annotate(SAMPLE, "msls", preset="msls", out=labels)
    frames, meta = fovlabel.read_label_frames(labels), fovlabel.read_metadata(labels)
    labeller, params = labeller_of(meta)
    index = {k: i for i, k in enumerate(frames["key"])}

    def why(a, b):
        i, j = index[a], index[b]
        return _unlabelled(frames, meta, labeller, params, i, j, *_sectors(frames, labeller, params, i, j))

    value, reason = why("q0006", "q0007")
    a, b = (frames.iloc[index[k]][["x_m", "y_m", "grid_heading_deg"]].tolist() for k in ("q0006", "q0007"))
    expected = float(fovlabel.weak_fov_overlap(*a, *b, fov_deg=90, radius_m=50))  # in the grid plane
    assert value > 0.5 and np.isclose(value, expected, atol=1e-6)
    assert "two query frames, not a candidate in cross mode (never labelled)" in reason
    assert "beyond reach" in why("q0006", "d0300")[1]


def test_3d_label_sets_are_mapped_on_the_ground_plane_their_poses_define(tmp_path):
    """cloud3d places its cameras as strong2d does (centre and optical axis on the ground plane
    found from the cameras): the map and the query picture draw 3D label sets."""
    import numpy as np

    import fovlabel
    from fovlabel.io.metadata import labeller_of
    from fovlabel.plot import plot_map, plot_query

    room = SAMPLE.parent / "rgbd_room" / "frames.csv"
    options = {"pose": "cam_to_world"}
    annotate(room, "csv", labeller="cloud3d", mode="within", reader_options=options, out=tmp_path / "3d")
    _, strong = annotate(room, "csv", labeller="strong2d", mode="within", reader_options=options, return_frames=True)
    frames = fovlabel.read_label_frames(tmp_path / "3d")
    labeller, params = labeller_of(fovlabel.read_metadata(tmp_path / "3d"))
    x, y, h = labeller.place(frames, params)
    assert np.allclose(x, strong["plane_x_m"]) and np.allclose(y, strong["plane_y_m"])
    assert np.allclose((h - strong["plane_heading_deg"] + 180) % 360 - 180, 0, atol=1e-6)
    assert plot_map(tmp_path / "3d", tmp_path / "map.png").is_file()
    path, ranks = plot_query(tmp_path / "3d", frames["key"].iloc[2], tmp_path / "query.png")
    assert path.is_file() and 2 in ranks.values()


@pytest.mark.parametrize("mode, measure", [("cross", "iou"), ("within", "iou"), ("within", "ioa")])
def test_the_histogram_counts_per_query_and_the_queries_without_a_positive(tmp_path, mode, measure):
    """Cross mode counts each query's pairs (never a database frame's); within mode every frame's,
    a pair written once at both ends: checked against a count pair by pair."""
    import fovlabel
    from fovlabel.io.metadata import LabelSetMetadata
    from fovlabel.plot import per_query_counts

    annotate(SAMPLE, "msls", preset="msls", mode=mode, measure=measure, out=tmp_path / "l")
    pairs, frames = fovlabel.read_pairs(tmp_path / "l"), fovlabel.read_label_frames(tmp_path / "l")
    typed = LabelSetMetadata.from_dict(pairs.attrs["fovlabel"])
    per_query, positives, cross = per_query_counts(pairs, frames, typed)
    asks = [i for i in range(len(frames)) if frames["usable"].iloc[i]
            and (mode == "within" or frames["role"].iloc[i] == "query")]
    rows = list(zip(pairs["frame_a"], pairs["frame_b"], pairs["rank"]))
    expected, expected_pos = [], []
    for q in asks:
        mine = [r for a, b, r in rows if a == q or (b == q and mode == "within" and measure == "iou")]
        expected.append(len(mine))
        expected_pos.append(sum(r == 2 for r in mine))
    assert per_query.tolist() == expected and positives.tolist() == expected_pos and cross == (mode == "cross")
    assert len(per_query) == (120 if mode == "cross" else int(frames["usable"].sum()))


def test_classes_and_samplers_carry_image_paths(tmp_path):
    """No join with the frames by hand: classes tables name each frame's image, and the pair and
    tuple samplers give each draw's images with with_paths=True."""
    import numpy as np
    import pyarrow.parquet as pq

    import fovlabel
    from fovlabel.io.reading import image_paths
    from fovlabel.samplers import GCLPairSampler, OverlapBinSampler, TupleSampler

    labels = tmp_path / "labels"
    annotate(SAMPLE, "msls", preset="msls", mode="within", out=labels)
    frames = fovlabel.read_label_frames(labels)
    assert cli("classes", labels, "--out", tmp_path / "c.parquet").exit_code == 0
    table = pq.read_table(tmp_path / "c.parquet").to_pandas()
    assert table["image_path"].tolist() == frames["image_path"].tolist()
    paths = image_paths(labels)
    assert paths[6] == str((SAMPLE / frames["image_path"].iloc[6]).resolve())
    for sampler, ids in ((GCLPairSampler(labels, with_paths=True), 2),
                         (OverlapBinSampler(labels, n_per_bin=5, with_paths=True), 2),
                         (TupleSampler(labels, quadruplets=True, with_paths=True), 4)):
        draws = list(sampler)
        assert draws, type(sampler).__name__
        for draw in draws[:20]:
            assert list(draw[len(draw) - ids:]) == [paths[i] for i in draw[:ids]]
        plain = type(sampler)(labels, **({"n_per_bin": 5} if ids == 2 and not isinstance(sampler, GCLPairSampler)
                                          else {"quadruplets": True} if ids == 4 else {}))
        assert [d[:len(d) - ids] for d in draws] == list(plain)  # the same draws, paths added
    with pytest.raises(fovlabel.ConfigError, match="with_paths needs the label set folder"):
        GCLPairSampler(pairs=fovlabel.read_pairs(labels), frames=frames, with_paths=True)
    assert np.all([p is None or Path(p).is_absolute() for p in paths])


def test_a_whole_folder_read_gets_the_pairs_alone_and_older_sets_still_read(tmp_path):
    """The frames table lies in _frames/: pandas and pyarrow.dataset on the folder (which skip
    names starting with '_') and a '*.parquet' glob read the pairs table alone. A set written
    before, with frames.parquet beside the pairs, is still read, verified and replaced."""
    import glob
    import shutil

    import pandas as pd
    import pyarrow.dataset as ds

    import fovlabel

    labels = tmp_path / "labels"
    summary = annotate(SAMPLE, "msls", preset="msls", out=labels)
    assert len(pd.read_parquet(labels)) == summary.pairs
    assert ds.dataset(labels, format="parquet").count_rows() == summary.pairs
    assert [Path(p).name for p in glob.glob(str(labels / "*.parquet"))] == ["pairs.parquet"]
    older = tmp_path / "older"
    shutil.copytree(labels, older)
    (older / "_frames" / "frames.parquet").rename(older / "frames.parquet")
    (older / "_frames").rmdir()
    pd.testing.assert_frame_equal(fovlabel.read_pairs(older, with_keys=True), fovlabel.read_pairs(labels, with_keys=True))
    assert cli("verify", older).exit_code == 0 and cli("show", older).exit_code == 0
    replaced = cli("annotate", SAMPLE, "--format", "msls", "--preset", "msls", "--out", older, "--overwrite", "-q")
    assert replaced.exit_code == 0, replaced.output
    assert sorted(p.name for p in older.iterdir()) == ["_frames", "pairs.parquet"]


def test_a_depth_background_says_its_depths_in_metres(tmp_path):
    """The 3D pair picture's depth background gets a colour bar in metres: the range is the
    valid depths' 1st to 99th percentile, divided by the frame's depth scale."""
    import numpy as np
    from PIL import Image

    import fovlabel
    from fovlabel.views import shared_pixels

    room = SAMPLE.parent / "rgbd_room"
    annotate(room / "frames.csv", "csv", labeller="cloud3d", mode="within", reader_options={"pose": "cam_to_world"},
             out=tmp_path / "room")
    frames = fovlabel.read_label_frames(tmp_path / "room")
    pair = shared_pixels(tmp_path / "room", "0002", "0005")
    row = frames.set_index("key").loc["0002"]
    with Image.open(room / row["depth_path"]) as im:
        depth = np.asarray(im).astype(np.float64)
    valid = (depth > 0) & (depth < 65535)
    expected = np.percentile(depth[valid], [1, 99]) / row["depth_scale"]
    assert pair.a.background_kind == "depth" and np.allclose(pair.a.depth_range_m, expected)
