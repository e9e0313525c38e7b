"""Trust, second round: nothing written outside its folder, reading never wanders, outputs stay
apart, no silent wrong FoV, typed API arguments, and the last tracebacks (issue 22)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, SAMPLE, SHARED, cli, error_line, shared, snapshot
from fovlabel import ArgumentError, FovlabelError, InputError, LabelSetError, annotate, export, read_pairs
from fovlabel.errors import ConfigError, OutputError
from fovlabel.io.verify import verify_label_set
from fovlabel.io.paths import escaping, inside, safe_name

ROOM = ROOT / "sample_data" / "rgbd_room"
MAUPERTUIS = SHARED / "colmap" / "maupertuis" / "sparse" / "0"


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The sample city labelled in cross mode (a copy of the dataset: tests move and edit it)."""
    base = tmp_path_factory.mktemp("city")
    data = shutil.copytree(SAMPLE, base / "msls")
    annotate(data, "msls", preset="msls", out=base / "labels")
    return base


def rewrite_frames(labels: Path, change) -> None:
    """Rewrite frames.parquet with ``change(DataFrame)`` applied, keeping its metadata (a
    tampered or edited label set that still reads)."""
    file = labels / "_frames" / "frames.parquet"
    table = pq.read_table(file)
    frames = table.to_pandas()
    change(frames)
    pq.write_table(pa.Table.from_pandas(frames, schema=table.schema, preserve_index=False), file)


def copy_labels(city, tmp_path) -> Path:
    return Path(shutil.copytree(city / "labels", tmp_path / "labels"))


# -- 1. nothing is written outside the output's folder -------------------------------------------

def test_inside_refuses_every_way_out(tmp_path):
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (tmp_path / "victim").mkdir()
    (out / "link").symlink_to(tmp_path / "victim", target_is_directory=True)
    assert inside(out, "sub/a.h5") == out / "sub" / "a.h5"
    for name in ("../victim/query.json", "sub/../../x", "/etc/passwd", "link/x.json", "", "a\x00b", "sub/.."):
        with pytest.raises(OutputError):
            inside(out, name)
    for name in ("../x", "sub/../..", "sub/.."):  # a link fovlabel makes: its folder must be inside
        with pytest.raises(OutputError):
            inside(out, name, link=True)
    assert inside(out, "sub/a.jpg", link=True) == out / "sub" / "a.jpg"


def test_safe_name_is_one_rule():
    assert [safe_name(v) for v in ("munich_4s", "scene0000_00", "seq-01", "..", ".", "", "a/b", "a\\b", ".hid")] \
        == ["munich_4s", "scene0000_00", "seq-01", "_.", "_", "_", "a_b", "a_b", "_hid"]


def _plant(paths):
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("the user's own file\n")
    return {str(p): p.read_bytes() for p in paths}


@pytest.mark.parametrize("source", ["../victim/query/raw.csv", "../../query/raw.csv"])
def test_a_tampered_source_file_writes_nothing_outside(city, tmp_path, source):
    labels = copy_labels(city, tmp_path)
    rewrite_frames(labels, lambda f: f.__setitem__("source_file", source))
    victim = tmp_path / "victim"
    planted = _plant([victim / "train_val" / "victim" / "query.json", victim / "train_val" / "database.json",
                      victim / "train_val" / "victim_gt.h5", victim / "query" / "raw.csv",
                      tmp_path / "query" / "raw.csv", tmp_path / "victim_gt.h5"])
    for args in (("--out", victim / "train_val" / "exp"), ("--into", victim / "train_val")):
        result = cli("export", labels, "--to", "gcl-msls", *args, "-q")
        assert result.exit_code == 2 and "leaves the dataset root" in error_line(result)
    assert {str(p): Path(p).read_bytes() for p in planted} == planted
    assert not (victim / "train_val" / "exp").exists()
    assert not list((victim / "train_val").glob(".fovlabel-into-*"))


def test_the_exporter_itself_keeps_names_inside(city, tmp_path, monkeypatch):
    """The second line of defence: frames that escaped every read check still write inside."""
    from fovlabel.exporters import ExportInput, get_exporter, load_input, make_options

    monkeypatch.setattr(ExportInput, "im_prefix", property(lambda self: "/data/"))
    data = load_input(city / "labels")
    data.frames["source_file"] = "../../victim/query/raw.csv"
    folder = tmp_path / "exp"
    folder.mkdir()
    exporter = get_exporter("gcl-msls")
    files = exporter.write(folder, data, make_options(exporter, {}))
    assert files == ["victim_gt.h5", "victim/query.json", "victim/database.json"]
    assert all(inside(folder, f).is_file() for f in files) and not (tmp_path / "victim").exists()


def test_a_group_named_dotdot_exports_inside(tmp_path):
    table = (ROOM / "frames.csv").read_text().splitlines()
    rows = [table[0] + ",group"] + [line + ",.." for line in table[1:]]
    data = shutil.copytree(ROOM, tmp_path / "room")
    (data / "frames.csv").write_text("\n".join(rows) + "\n")
    annotate(data / "frames.csv", "csv", labeller="cloud3d", mode="within", out=tmp_path / "labels",
             reader_options={"pose": "cam_to_world"})
    out = export(tmp_path / "labels", "loftr-megadepth", tmp_path / "d2")
    manifest = json.loads((out / "fovlabel-export.json").read_text())
    assert "_._0.1_0.3.npz" in manifest["files"]
    export(tmp_path / "labels", "d2net", tmp_path / "d2b")
    assert (tmp_path / "d2b" / "scene_info" / "_..npz").is_file()
    notes = json.loads((tmp_path / "d2b" / "fovlabel-export.json").read_text())["notes"]
    assert notes == ["_.: 16 usable frame(s) have no image in the dataset: image_paths None there, so the "
                     "trainers skip them (they open an image for every frame)"]
    assert all(inside(out, f).is_file() for f in manifest["files"])
    assert not (tmp_path / "d2.partial").exists() and not (tmp_path / "scene_info").exists()


# -- 2. reading never wanders --------------------------------------------------------------------

def test_escaping_paths():
    values = ["a/b.jpg", "images/../b.jpg", "../b.jpg", "a/../../b", "/etc/hostname", "C:/x", None, "a..b/c",
              "./x/./y", "x/..", "x/../.."]
    assert escaping(values).tolist() == [False, False, True, True, True, False, False, False, False, False, True]
    assert not escaping([f"q/images/{i}.jpg" for i in range(1000)]).any()


def test_an_msls_key_that_climbs_out_is_refused(tmp_path):
    data = shutil.copytree(SAMPLE, tmp_path / "msls")
    raw = data / "train_val" / "sampleville" / "query" / "raw.csv"
    lines = raw.read_text().splitlines()
    first = lines[1].split(",")
    first[1] = "../../../../../../etc/hostname"
    lines[1] = ",".join(first)
    raw.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"raw.csv, row 1.*column 'image_path'.*leaves the images folder"):
        annotate(data, "msls", preset="msls")


@pytest.mark.realdata
def test_a_colmap_image_name_that_climbs_out_is_refused(tmp_path):
    model = shutil.copytree(shared(MAUPERTUIS), tmp_path / "sparse" / "0")
    images = model / "images.txt"
    text = images.read_text().replace(" 00.jpg", " ../../../../etc/hostname", 1)
    images.write_text(text)
    with pytest.raises(InputError, match=r"images.txt.*column 'image_path'.*'../../../../etc/hostname' leaves"):
        annotate(model, "colmap", labeller="strong2d", mode="within")


def test_an_absolute_image_path_is_refused(tmp_path):
    frames = (ROOM / "frames.csv").read_text().splitlines()
    rows = [frames[0] + ",image_path"] + [line + ",/etc/hostname" for line in frames[1:]]
    data = shutil.copytree(ROOM, tmp_path / "room")
    (data / "frames.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(InputError, match=r"frames.csv, row 1 \(line 2\), column 'image_path': .*'/etc/hostname'"):
        annotate(data / "frames.csv", "csv", labeller="cloud3d", reader_options={"pose": "cam_to_world"})


def test_a_tampered_depth_or_image_path_is_refused_by_readers_plot_and_verify(city, tmp_path):
    from fovlabel import read_label_frames

    data = shutil.copytree(ROOM, tmp_path / "room")
    labels = tmp_path / "labels"
    annotate(data / "frames.csv", "csv", labeller="cloud3d", mode="within", out=labels,
             reader_options={"pose": "cam_to_world"})
    rewrite_frames(labels, lambda f: f.__setitem__("depth_path", "../../../../etc/hostname"))
    with pytest.raises(LabelSetError, match=r"frames.parquet: row 1, column 'depth_path'.*leaves"):
        read_label_frames(labels)
    result = cli("plot", "pair", labels, "0002", "0005", "--out", tmp_path / "p.png")
    assert result.exit_code == 2 and "leaves the dataset root" in error_line(result)
    assert not (tmp_path / "p.png").exists()
    _, problems = verify_label_set(labels)
    assert any("column 'depth_path'" in p and "leaves" in p for p in problems)
    city_labels = Path(shutil.copytree(city / "labels", tmp_path / "city_labels"))  # MSLS frames name images
    rewrite_frames(city_labels, lambda f: f.__setitem__("image_path", "/etc/hostname"))
    with pytest.raises(LabelSetError, match=r"row 1, column 'image_path': '/etc/hostname' leaves the images folder"):
        read_pairs(city_labels, with_paths=True)


def test_a_moved_or_changed_dataset_is_refused_until_root_names_it(city, tmp_path):
    data = shutil.copytree(city / "msls", tmp_path / "msls")
    annotate(data, "msls", preset="msls", out=tmp_path / "labels")
    moved = tmp_path / "moved"
    data.rename(moved)
    for call in (lambda: read_pairs(tmp_path / "labels", with_paths=True),
                 lambda: export(tmp_path / "labels", "gcl-msls", tmp_path / "gcl")):
        with pytest.raises(LabelSetError, match=r"no longer exists \(was the dataset moved\?\); pass --root"):
            call()
    assert not (tmp_path / "gcl").exists()
    out = export(tmp_path / "labels", "gcl-msls", tmp_path / "gcl", root=moved)
    index = json.loads((out / "train_val" / "sampleville" / "query.json").read_text())
    assert index["im_prefix"] == str(moved.resolve()) + "/"
    result = cli("export", tmp_path / "labels", "--to", "gcl-msls", "--out", tmp_path / "gcl2", "--root", moved, "-q")
    assert result.exit_code == 0, result.output
    # back in place but edited: the recorded root no longer holds the dataset as labelled
    moved.rename(data)
    raw = data / "train_val" / "sampleville" / "query" / "raw.csv"
    raw.write_text(raw.read_text() + raw.read_text().splitlines()[-1].replace(",", ",9", 1) + "\n")
    with pytest.raises(LabelSetError, match="differs from the one labelled.*--root"):
        read_pairs(tmp_path / "labels", with_paths=True)
    assert read_pairs(tmp_path / "labels", with_paths=True, root=data)["path_a"].notna().all()


# -- 3. fovlabel's outputs stay apart ------------------------------------------------------------

def test_nothing_is_added_inside_a_label_set(city, tmp_path):
    labels = copy_labels(city, tmp_path)
    before = snapshot(labels)
    for args in (("plot", "histogram", labels, "--out", labels / "h.png"),
                 ("classes", labels, "--out", labels / "c.parquet"),
                 ("export", labels, "--to", "hloc", "--into", labels, "-q"),
                 ("export", labels, "--to", "hloc", "--out", labels / "sub" / "x", "-q"),
                 ("annotate", SAMPLE, "--format", "msls", "--preset", "msls", "--out", labels / "inner", "-q")):
        result = cli(*args)
        assert result.exit_code == 2 and "inside" in error_line(result), (args, result.output)
    assert snapshot(labels) == before
    result = cli("annotate", city / "msls", "--format", "msls", "--preset", "msls", "--out", labels, "--overwrite", "-q")
    assert result.exit_code == 0, result.output


def test_a_killed_into_run_leaves_nothing_for_good(city, tmp_path):
    into = tmp_path / "dataset"
    into.mkdir()
    dead = into / ".fovlabel-into-dead"  # a killed run's: our lock file, nobody holding it
    dead.mkdir()
    (dead / ".fovlabel-staging.lock").write_text("")
    (dead / "pairs.txt").write_text("half")
    foreign = into / ".fovlabel-into-mine"  # the user's own folder of that name: no lock file
    foreign.mkdir()
    (foreign / "keep.txt").write_text("keep")
    live = into / ".fovlabel-into-live"  # a run still writing: its lock is held
    live.mkdir()
    fd = os.open(live / ".fovlabel-staging.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        export(city / "labels", "hloc", into=into)
    finally:
        os.close(fd)
    assert not dead.exists() and (foreign / "keep.txt").read_text() == "keep" and live.exists()
    assert (into / "pairs.txt").is_file()
    assert sorted(p.name for p in into.iterdir()) == [".fovlabel-into-live", ".fovlabel-into-mine", "pairs.txt"]


# -- 4. no silent wrong FoV ----------------------------------------------------------------------

@pytest.mark.realdata
def test_strong2d_on_colmap_uses_the_cameras_fov(tmp_path):
    model = shared(MAUPERTUIS)
    summary = annotate(model, "colmap", labeller="strong2d", mode="within", out=tmp_path / "auto")
    fov = pq.read_schema(tmp_path / "auto" / "pairs.parquet").metadata[b"fovlabel"]
    info = json.loads(fov)["labeller_info"]["fov"]
    (group, used), = info.items()
    expected = float(np.degrees(2 * np.arctan(1919 / (2 * 1847.53))))  # cameras.txt: w 1919, f 1847.53
    assert used["fov_deg"] == pytest.approx([expected, expected]) and expected == pytest.approx(54.88, abs=0.01)
    assert used["source"].startswith("intrinsics")
    assert any(n.startswith("fov: 54.8") and "intrinsics" in n for n in summary.notes)
    annotate(model, "colmap", labeller="strong2d", mode="within", fov_deg=70.0, out=tmp_path / "given")
    info = json.loads(pq.read_schema(tmp_path / "given" / "pairs.parquet").metadata[b"fovlabel"])["labeller_info"]
    assert info["fov"][group] == {"fov_deg": [70.0, 70.0], "source": "given"}
    wide = read_pairs(tmp_path / "given")["overlap"].to_numpy()
    narrow = read_pairs(tmp_path / "auto")["overlap"].to_numpy()
    assert not np.array_equal(wide, narrow)


def test_without_intrinsics_the_summary_says_90_was_assumed(tmp_path):
    frames = (ROOM / "frames.csv").read_text().splitlines()
    header = frames[0].split(",")
    keep = [i for i, c in enumerate(header) if c not in ("fx", "fy", "cx", "cy", "width", "height", "depth_path",
                                                           "depth_scale")]
    rows = [",".join(line.split(",")[i] for i in keep) for line in frames]
    (tmp_path / "poses.csv").write_text("\n".join(rows) + "\n")
    summary = annotate(tmp_path / "poses.csv", "csv", labeller="strong2d", mode="within", radius_m=3.0,
                       reader_options={"pose": "cam_to_world"}, out=tmp_path / "labels")
    assert any(n.startswith("fov: 90.00° (assumed)") and "--fov-deg" in n for n in summary.notes)


# -- 5. the Python API checks its arguments ------------------------------------------------------

def test_overwrite_no_replaces_nothing(city, tmp_path):
    labels = copy_labels(city, tmp_path)
    before = snapshot(labels)
    with pytest.raises(ArgumentError, match="argument 'overwrite' must be True or False; got the string 'no'"):
        annotate(city / "msls", "msls", preset="msls", out=labels, overwrite="no")
    exp = export(labels, "hloc", tmp_path / "exp")
    exp_before = snapshot(exp)
    with pytest.raises(ArgumentError, match="argument 'overwrite'"):
        export(labels, "hloc", exp, overwrite="no")
    assert snapshot(labels) == before and snapshot(exp) == exp_before


def test_every_public_function_names_its_wrong_argument(city, tmp_path):
    import fovlabel

    labels = city / "labels"
    cases = [
        (fovlabel.annotate, (123, "msls"), {}, "dataset"),
        (fovlabel.annotate, (SAMPLE, "msls"), {"jobs": 2.7}, "jobs"),
        (fovlabel.annotate, (SAMPLE, "msls"), {"jobs": "two"}, "jobs"),
        (fovlabel.annotate, (SAMPLE, "msls"), {"plots": "no", "out": tmp_path / "x"}, "plots"),
        (fovlabel.annotate, (SAMPLE, 5), {}, "format"),
        (fovlabel.annotate, (SAMPLE, "msls"), {"reader_options": "x"}, "reader_options"),
        (fovlabel.read_pairs, (None,), {}, "path"),
        (fovlabel.read_pairs, (labels,), {"with_keys": "no"}, "with_keys"),
        (fovlabel.read_pairs, (labels,), {"with_paths": 1}, "with_paths"),
        (fovlabel.read_label_frames, (3.5,), {}, "path"),
        (fovlabel.read_metadata, (None,), {}, "path"),
        (fovlabel.read_frames, (SAMPLE, "msls"), {"threads": "2"}, "threads"),
        (fovlabel.read_frames, (None, "msls"), {}, "path"),
        (fovlabel.export, (5, "hloc", tmp_path / "e"), {}, "labels"),
        (fovlabel.export, (labels, 7, tmp_path / "e"), {}, "to"),
        (fovlabel.export, (labels, "hloc", tmp_path / "e"), {"root": 1}, "root"),
        (fovlabel.place_classes, (labels,), {"min_size": 2.5}, "min_size"),
        (fovlabel.place_classes, (None,), {}, "labels"),
        (fovlabel.read_correspondences, (None,), {}, "path"),
        (fovlabel.get_labeller, (3,), {}, "name"),
        (fovlabel.register_labeller, (fovlabel.get_labeller("weak2d"),), {"replace": "yes"}, "replace"),
        (fovlabel.make_config, (5,), {}, "preset"),
        (fovlabel.latlon_to_metric, ("x", 11.0), {}, "lat_deg"),
        (fovlabel.latlon_to_metric, (48.0, 11.0), {"epsg": 2.5}, "epsg"),
        (fovlabel.weak_fov_overlap, (0, 0, 0, 1, 0, 0), {"measure": 1}, "measure"),
        (fovlabel.strong_fov_overlap, (np.eye(4), np.eye(4)), {"up": None}, "up"),
    ]
    for function, args, kwargs, name in cases:
        with pytest.raises(ArgumentError, match=f"argument '{name}' must be") as caught:
            function(*args, **kwargs)
        assert isinstance(caught.value, FovlabelError)
    assert not (tmp_path / "x").exists() and not (tmp_path / "e").exists()


# -- 6. the last tracebacks, hang and silent accepts ---------------------------------------------

def test_the_last_tracebacks_are_one_line(city, tmp_path):
    labels = city / "labels"
    result = cli("export", labels, "--to", "gcl-msls", "--block-mb", "inf", "--out", tmp_path / "g", "-q")
    assert "block_mb must be a finite number > 0; got inf" in error_line(result)
    with pytest.raises(ConfigError, match="seed must be in"):
        from fovlabel.correspondences import CorrespondenceParams
        CorrespondenceParams(seed=-1)
    with pytest.raises(ConfigError, match=r"negatives \(per match\) must be in \[0, 100\]; got 1e\+12"):
        CorrespondenceParams(negatives=1e12)
    bad = copy_labels(city, tmp_path)
    table = pq.read_table(bad / "pairs.parquet")
    strings = table.set_column(0, "frame_a", pa.array([str(v) for v in table.column("frame_a").to_pylist()]))
    pq.write_table(strings, bad / "pairs.parquet")
    for args in (("verify", bad), ("show", bad)):
        result = cli(*args)
        assert "column 'frame_a' holds string, not whole numbers" in error_line(result)
    pq.write_table(table.drop(["overlap"]), bad / "pairs.parquet")
    result = cli("show", bad)
    assert "column 'overlap' is missing" in error_line(result)


def test_pipeline_keys_once_and_no_nul(tmp_path):
    base = f'dataset = "{SAMPLE}"\nformat = "msls"\n'
    for text, message in ((base + 'out = "x"\nlabeller = "weak2d"\n[params]\nlabeller = "strong2d"\n',
                           "key 'params.labeller': labeller is a top-level key (it is given there too)"),
                          (base + 'out = "a\\u0000b"\n', "key 'out': a path must be non-empty and hold no NUL")):
        (tmp_path / "p.toml").write_text(text)
        result = cli("run", tmp_path / "p.toml")
        assert result.exit_code == 2 and message in error_line(result)


def test_correspondence_and_plot_silent_accepts(tmp_path):
    data = shutil.copytree(ROOM, tmp_path / "room")
    labels = tmp_path / "labels"
    annotate(data / "frames.csv", "csv", labeller="cloud3d", mode="within", out=labels,
             reader_options={"pose": "cam_to_world"})
    result = cli("correspondences", labels, "--negatives", "1", "--neg-radius-px", "1e9", "--out", tmp_path / "c", "-q")
    assert "neg_radius_px 1e+09 leaves no pixel for a negative: the largest image is 160 x 120 px" in error_line(result)
    assert not any((tmp_path / n).exists() for n in ("c", "c.partial", "c.lock"))
    result = cli("plot", "pair", labels, "0002", "0005", "--matches", "-1", "--out", tmp_path / "p.png")
    assert "matches must be >= 0" in error_line(result)
    result = cli("plot", "pair", labels, "0", "-1", "--out", tmp_path / "p.png")
    assert "-1 is no frame: frame ids are 0 or more" in error_line(result)
    assert not (tmp_path / "p.png").exists()


class _Http(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_scheduler_address_that_is_no_dask_scheduler_fails_in_seconds(tmp_path):
    from fovlabel.schedulers import HANDSHAKE_TIMEOUT_S, check_scheduler

    server = HTTPServer(("127.0.0.1", 0), _Http)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        address = f"tcp://127.0.0.1:{server.server_address[1]}"
        started = time.monotonic()
        result = cli("annotate", SAMPLE, "--format", "msls", "--preset", "msls", "--out", tmp_path / "L",
                     "--scheduler", address, "-q")
        assert "sent no Dask handshake" in error_line(result) and "not a Dask scheduler" in error_line(result)
        assert time.monotonic() - started < HANDSHAKE_TIMEOUT_S + 30
        assert not any((tmp_path / n).exists() for n in ("L", "L.partial", "L.lock"))
    finally:
        server.shutdown()
    assert check_scheduler("tcp://[::1]:8786") == "tcp://[::1]:8786"
    with pytest.raises(ConfigError, match="more workers than this machine's"):
        check_scheduler(f"dask-local:{os.cpu_count() * 8}")


def test_verify_sees_rotated_keys_and_a_nudged_overlap(city, tmp_path):
    labels = copy_labels(city, tmp_path)
    assert verify_label_set(labels)[1] == []
    rewrite_frames(labels, lambda f: f.__setitem__("key", np.roll(f["key"].to_numpy(), 1)))
    problems = verify_label_set(labels)[1]
    assert len(problems) == 1 and "frames.parquet: its data differs from the hash recorded" in problems[0]
    shutil.rmtree(labels)
    labels = copy_labels(city, tmp_path)
    file = labels / "pairs.parquet"
    table = pq.read_table(file)
    overlap = table.column("overlap").to_numpy().copy()
    overlap[3] = max(overlap[3] - 0.05, 0.0)
    pq.write_table(table.set_column(table.schema.get_field_index("overlap"), "overlap",
                                    pa.array(overlap, pa.float32())), file)
    problems = verify_label_set(labels)[1]
    assert any("pairs.parquet: its data differs from the hash recorded" in p for p in problems)


def test_a_flipped_byte_in_a_page_is_an_error_for_every_reader(city, tmp_path):
    labels = copy_labels(city, tmp_path)
    file = labels / "pairs.parquet"
    meta = pq.ParquetFile(file).metadata
    column = meta.row_group(0).column(2)  # overlap
    raw = bytearray(file.read_bytes())
    raw[column.data_page_offset + column.total_compressed_size - 2] ^= 0xFF
    file.write_bytes(bytes(raw))
    with pytest.raises(LabelSetError, match="pairs.parquet: cannot be read whole"):
        read_pairs(labels)
    for command in ("show", "verify"):
        result = cli(command, labels)
        assert result.exit_code == 2 and "pairs.parquet: cannot be read whole (damaged)" in error_line(result)
