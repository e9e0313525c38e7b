"""Reading label sets back: damaged or mixed-up files are refused with one line naming the file
(and row and column), by ``read_pairs``, ``fovlabel show`` and ``fovlabel verify`` alike; verify
finds what read_pairs does not look for."""

from __future__ import annotations

import json
import shutil

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE, cli
from fovlabel import LabelSetError, annotate, read_label_frames, read_pairs
from fovlabel.io.verify import verify_label_set
from fovlabel.schema import METADATA_KEY



@pytest.fixture(scope="module")
def good(tmp_path_factory):
    out = tmp_path_factory.mktemp("good") / "labels"
    annotate(SAMPLE, "msls", preset="msls", out=out)
    return out


@pytest.fixture(scope="module")
def other(tmp_path_factory):
    out = tmp_path_factory.mktemp("other") / "labels"
    annotate(SAMPLE, "msls", preset="msls", radius_m=30.0, out=out)
    return out


@pytest.fixture
def copy(good, tmp_path):
    return shutil.copytree(good, tmp_path / "labels")


def _rewrite(folder, name, change, meta_change=None):
    """Rewrite one file of a label set with ``change(table)``, keeping (or changing) its metadata."""
    path = folder / name
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[METADATA_KEY])
    if meta_change is not None:
        meta_change(meta)
    table = change(table)
    pq.write_table(table.replace_schema_metadata({METADATA_KEY: json.dumps(meta, sort_keys=True)}), path)


def _set_column(table, name, values):
    i = table.schema.get_field_index(name)
    return table.set_column(i, table.schema.field(i), pa.array(values, type=table.schema.field(i).type))


def _refused_everywhere(folder, *fragments):
    """read_pairs raises, show and verify exit 2 with one line; each names the fragments."""
    with pytest.raises(LabelSetError) as err:
        read_pairs(folder, with_keys=True)
    for fragment in fragments:
        assert str(fragment) in str(err.value), str(err.value)
    for command in ("show", "verify"):
        result = cli(command, folder)
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.output
        for fragment in fragments:
            assert str(fragment) in lines[0], lines[0]
    return str(err.value)


@pytest.mark.parametrize("name", ["pairs.parquet", "_frames/frames.parquet"])
@pytest.mark.parametrize("damage, fragment", [
    (lambda b: b[: len(b) // 2], "not a readable Parquet file (truncated or not Parquet"),
    (lambda b: b"", "not a readable Parquet file (empty, 0 bytes)"),
    (lambda b: b"key,lat\n1,2\n" * 50, "not a readable Parquet file (truncated or not Parquet"),
], ids=["truncated", "empty", "csv"])
def test_damaged_files_are_refused(copy, name, damage, fragment):
    path = copy / name
    path.write_bytes(damage(path.read_bytes()))
    _refused_everywhere(copy, path, fragment)


def test_frames_of_another_label_set_are_refused(copy, other):
    shutil.copy(other / "_frames" / "frames.parquet", copy / "_frames" / "frames.parquet")
    _refused_everywhere(copy, copy, "_frames/frames.parquet and pairs.parquet come from different label sets")


def test_pair_ids_out_of_range_are_refused(copy):
    n = len(read_label_frames(copy))
    _rewrite(copy, "pairs.parquet", lambda t: _set_column(t, "frame_b", [n + 5] + t.column("frame_b").to_pylist()[1:]))
    _refused_everywhere(copy, copy / "pairs.parquet", "row 1, column 'frame_b'", f"frame id {n + 5} is outside 0..{n - 1}")


@pytest.mark.parametrize("value", [1.5, -0.1, float("nan")])
def test_overlap_outside_0_1_or_nan_is_refused(copy, value):
    _rewrite(copy, "pairs.parquet", lambda t: _set_column(t, "overlap", t.column("overlap").to_pylist()[:3] + [value]
                                                          + t.column("overlap").to_pylist()[4:]))
    _refused_everywhere(copy, copy / "pairs.parquet", "row 4, column 'overlap'", "is not in [0, 1]")


def test_a_pair_count_that_does_not_match_the_metadata_is_refused(copy):
    _rewrite(copy, "pairs.parquet", lambda t: t.slice(0, t.num_rows - 7))
    meta = json.loads(pq.read_schema(copy / "_frames" / "frames.parquet").metadata[METADATA_KEY])
    _refused_everywhere(copy, copy / "pairs.parquet", f"holds {meta['pairs'] - 7} rows but the metadata says "
                        f"{meta['pairs']} pairs")


def test_metadata_changed_in_one_file_only_is_refused(copy):
    _rewrite(copy, "pairs.parquet", lambda t: t, meta_change=lambda m: m.update(labeller="weak3d"))
    _refused_everywhere(copy, "come from different label sets")


def test_both_files_carry_the_same_label_set_id(good, other):
    ids = {json.loads(pq.read_schema(folder / name).metadata[METADATA_KEY])["label_set_id"]
           for folder in (good,) for name in ("pairs.parquet", "_frames/frames.parquet")}
    assert len(ids) == 1 and ids.pop().startswith("sha256:")
    assert (read_pairs(good).attrs["fovlabel"]["label_set_id"] != read_pairs(other).attrs["fovlabel"]["label_set_id"])


def test_verify_passes_a_sound_label_set(good):
    result = cli("verify", good)
    assert result.exit_code == 0, result.output
    meta = read_pairs(good).attrs["fovlabel"]
    assert result.output.strip() == f"ok: {good}: {meta['frames']} frames, {meta['pairs']} pairs, labeller weak2d"


def _verify_problems(folder):
    _, problems = verify_label_set(folder)
    result = cli("verify", folder)
    assert result.exit_code == (2 if problems else 0)
    return problems


def test_verify_finds_a_rank_that_disagrees_with_the_overlap(copy):
    _rewrite(copy, "pairs.parquet", lambda t: _set_column(t, "rank", [0] + t.column("rank").to_pylist()[1:]))
    problems = _verify_problems(copy)
    assert any("row 1, column 'rank'" in p and "does not match overlap" in p for p in problems), problems
    assert any("rank counts" in p for p in problems), problems
    read_pairs(copy)  # reading alone does not check ranks: that is verify's job


def test_verify_finds_repeated_and_self_pairs(copy):
    def change(t):
        a, b = t.column("frame_a").to_pylist(), t.column("frame_b").to_pylist()
        b[1], a[2], b[2] = a[1], a[0], b[0]  # row 2 pairs a frame with itself, row 3 repeats row 1
        return _set_column(_set_column(t, "frame_a", a), "frame_b", b)

    _rewrite(copy, "pairs.parquet", change)
    problems = _verify_problems(copy)
    assert any("row 2: frame" in p and "paired with itself" in p for p in problems), problems
    assert any("rows 1 and 3 hold the same pair" in p for p in problems), problems


def test_verify_finds_pairs_in_the_wrong_direction_or_across_groups(copy):
    frames = read_label_frames(copy)
    db = int(frames.index[frames["role"] == "database"][0])
    q = int(frames.index[frames["role"] == "query"][0])
    _rewrite(copy, "pairs.parquet", lambda t: _set_column(_set_column(t, "frame_a", [db] + t.column("frame_a").to_pylist()[1:]),
                                                          "frame_b", [q] + t.column("frame_b").to_pylist()[1:]))
    problems = _verify_problems(copy)
    assert any("row 1: cross mode pairs a query with a database frame; this pairs a database with a query" in p
               for p in problems), problems


def test_verify_finds_pairs_across_groups(copy):
    moved = int(pq.read_table(copy / "pairs.parquet").column("frame_a")[0].as_py())
    _rewrite(copy, "_frames/frames.parquet", lambda t: _set_column(
        t, "group", ["elsewhere" if i == moved else g for i, g in enumerate(t.column("group").to_pylist())]))
    problems = _verify_problems(copy)
    assert any("row 1: pairs frames of groups 'elsewhere' and" in p and "never cross groups" in p
               for p in problems), problems


def test_verify_finds_unusable_frames_in_pairs(copy):
    used = int(pc.min(pq.read_table(copy / "pairs.parquet").column("frame_a")).as_py())
    _rewrite(copy, "_frames/frames.parquet", lambda t: _set_column(
        t, "usable", [i != used for i in range(t.num_rows)]))
    assert any("flagged unusable" in p for p in _verify_problems(copy))


def test_read_pairs_of_a_folder_that_is_not_a_label_set(tmp_path):
    for make, fragment in ((lambda p: None, "no such label set"),
                           (lambda p: p.mkdir(), "pairs.parquet is missing")):
        path = tmp_path / "x"
        make(path)
        with pytest.raises(LabelSetError, match=fragment):
            read_pairs(path)
        result = cli("verify", path)
        assert result.exit_code == 2 and fragment in result.output
