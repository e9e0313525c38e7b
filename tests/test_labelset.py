"""Label sets on disk: self-describing, atomic, resumable, and readable by plain Parquet readers."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import SAMPLE
from fovlabel import LabelSetError, OutputExistsError, annotate, read_label_frames, read_pairs
from fovlabel.schema import METADATA_KEY, PAIRS_SCHEMA
from fovlabel.progress import Progress


class Killed(Exception):
    pass


def _run(out, **kw):
    return annotate(SAMPLE, "msls", preset="msls", out=out, chunk_frames=25, **kw)


def _run_killed_after(out, chunks, **kw):
    """Start a run and kill it (from the progress callback) once ``chunks`` chunks are written."""

    def die(phase, done, total):
        if phase == "labelling" and done >= chunks:
            raise Killed()

    with pytest.raises(Killed):
        _run(out, progress=Progress("quiet", callback=die), **kw)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "labels"
    summary = _run(out)
    return out, summary


def test_label_set_is_plain_parquet_with_metadata(reference):
    out, summary = reference
    assert sorted(p.name for p in out.iterdir()) == ["_frames", "pairs.parquet"]
    assert sorted(p.name for p in (out / "_frames").iterdir()) == ["frames.parquet"]
    by_pandas = pd.read_parquet(out / "pairs.parquet")
    by_arrow = pq.read_table(out / "pairs.parquet")
    assert by_arrow.schema.remove_metadata() == PAIRS_SCHEMA
    assert len(by_pandas) == summary.pairs > 1000
    meta = json.loads(by_arrow.schema.metadata[METADATA_KEY])
    assert meta["labeller"] == "weak2d" and meta["config"]["radius_m"] == 50.0
    assert meta["config"]["mode"] == "cross" and meta["input"]["format"] == "msls"
    assert meta["input"]["fingerprint"].startswith("sha256:")
    assert meta["pairs"] == summary.pairs
    frames = pd.read_parquet(out / "_frames" / "frames.parquet")
    assert frames["frame_id"].tolist() == list(range(len(frames)))


def test_read_pairs_with_keys(reference):
    out, _ = reference
    pairs = read_pairs(out, with_keys=True)
    frames = read_label_frames(out).set_index("frame_id")
    row = pairs.iloc[len(pairs) // 2]
    assert row["key_a"] == frames.loc[row["frame_a"], "key"]
    assert row["key_b"] == frames.loc[row["frame_b"], "key"]
    assert (frames.loc[pairs["frame_a"], "role"] == "query").all()
    assert (frames.loc[pairs["frame_b"], "role"] == "database").all()
    assert pairs["overlap"].between(0, 1).all() and (pairs["overlap"] > 0).all()
    expected_rank = np.where(pairs["overlap"] >= 0.5, 2, 1)
    assert (pairs["rank"].to_numpy() == expected_rank).all()
    assert pairs.attrs["fovlabel"]["schema_version"] == 2


def test_existing_output_is_refused_and_kept(reference, tmp_path):
    out, _ = reference
    before = (out / "pairs.parquet").read_bytes()
    with pytest.raises(OutputExistsError, match="output exists; pass --overwrite"):
        _run(out)
    assert (out / "pairs.parquet").read_bytes() == before


def test_killed_run_resumes_to_the_same_result(reference, tmp_path):
    out_ref, summary_ref = reference
    out = tmp_path / "labels"
    _run_killed_after(out, 3)
    assert not out.exists()  # nothing half-written where the user looks
    partial = tmp_path / "labels.partial"
    assert len(list((partial / "parts").glob("part-*.parquet"))) == 3
    summary = _run(out)
    assert summary.resumed_chunks == 3
    pd.testing.assert_frame_equal(read_pairs(out), read_pairs(out_ref))
    assert not partial.exists()


def test_resume_with_parts_missing_in_between_gives_the_same_bytes(reference, tmp_path):
    """A killed --jobs N run can leave parts 0, 1, 3 but not 2: the resumed run labels the gaps and
    writes pairs.parquet in chunk order all the same."""
    out_ref, _ = reference
    out = tmp_path / "labels"
    _run_killed_after(out, 4)
    parts = sorted((tmp_path / "labels.partial" / "parts").glob("part-*.parquet"))
    assert len(parts) == 4
    for gone in (parts[0], parts[2]):
        gone.unlink()
    summary = _run(out)
    assert summary.resumed_chunks == 2
    for name in ("pairs.parquet", "_frames/frames.parquet"):
        assert (out / name).read_bytes() == (out_ref / name).read_bytes(), name


def test_streamed_file_is_what_one_write_table_writes(tmp_path, monkeypatch):
    """FinishedStream: row groups of ROW_GROUP_ROWS whatever the tables' sizes, and the metadata
    given only at the end, both in the key-value metadata and in the stored Arrow schema."""
    import fovlabel.io.labelset as labelset
    import fovlabel.io.parquet_stream as parquet_stream

    monkeypatch.setattr(parquet_stream, "ROW_GROUP_ROWS", 1000)
    rng = np.random.default_rng(0)
    n = 3456
    table = pa.table({"frame_a": rng.integers(0, 50, n).astype(np.int32),
                      "frame_b": rng.integers(0, 50, n).astype(np.int32),
                      "overlap": rng.random(n).astype(np.float32),
                      "distance_m": rng.random(n).astype(np.float32),
                      "heading_diff_deg": rng.random(n).astype(np.float32),
                      "rank": rng.integers(0, 3, n).astype(np.int8)}, schema=PAIRS_SCHEMA)
    final = PAIRS_SCHEMA.with_metadata({METADATA_KEY: json.dumps({"pairs": n, "note": "é"})})
    stream = labelset.FinishedStream(tmp_path / "streamed.parquet", PAIRS_SCHEMA)
    start = 0
    for size in (0, 1, 999, 1, 1500, 17, 0, 938):
        stream.write(table.slice(start, size))
        start += size
    assert start == n and stream.close(final) == n
    pq.write_table(table.replace_schema_metadata(final.metadata), tmp_path / "one.parquet", write_page_checksum=True,
                   row_group_size=1000, use_dictionary=labelset.dictionary_columns(PAIRS_SCHEMA))
    assert (tmp_path / "streamed.parquet").read_bytes() == (tmp_path / "one.parquet").read_bytes()
    meta = pq.ParquetFile(tmp_path / "streamed.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [1000, 1000, 1000, 456]
    assert pq.read_schema(tmp_path / "streamed.parquet").metadata == final.metadata
    with pytest.raises(ValueError, match="another schema"):
        other = labelset.FinishedStream(tmp_path / "other.parquet", PAIRS_SCHEMA)
        other.close(pa.schema([pa.field("x", pa.int32())]))


def test_leftovers_of_another_config_are_not_reused(tmp_path):
    out = tmp_path / "labels"
    _run_killed_after(out, 2)
    summary = annotate(SAMPLE, "msls", preset="msls", out=out, chunk_frames=25, radius_m=30.0)
    assert summary.resumed_chunks == 0
    direct = annotate(SAMPLE, "msls", preset="msls", radius_m=30.0)
    assert len(read_pairs(out)) == len(direct)


def test_failed_overwrite_keeps_the_old_output(reference, tmp_path):
    out_ref, _ = reference
    out = tmp_path / "labels"
    _run(out)
    before = (out / "pairs.parquet").read_bytes()
    _run_killed_after(out, 1, overwrite=True)
    assert (out / "pairs.parquet").read_bytes() == before
    _run(out, overwrite=True, radius_m=20.0)
    assert read_pairs(out).attrs["fovlabel"]["config"]["radius_m"] == 20.0


def test_read_pairs_validates(tmp_path, reference):
    out, _ = reference
    with pytest.raises(LabelSetError, match="no such label set"):
        read_pairs(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LabelSetError, match="pairs.parquet is missing"):
        read_pairs(tmp_path / "empty")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    pq.write_table(pq.read_table(out / "pairs.parquet").replace_schema_metadata({}), foreign / "pairs.parquet")
    with pytest.raises(LabelSetError, match="no 'fovlabel' metadata"):
        read_pairs(foreign)
    future = tmp_path / "future"
    future.mkdir()
    table = pq.read_table(out / "pairs.parquet")
    meta = json.loads(table.schema.metadata[METADATA_KEY])
    meta["schema_version"] = 99
    pq.write_table(table.replace_schema_metadata({METADATA_KEY: json.dumps(meta)}), future / "pairs.parquet")
    with pytest.raises(LabelSetError, match=r"schema version 99; this fovlabel reads version\(s\) 1, 2: regenerate the label set"):
        read_pairs(future)


def test_frames_file_holds_only_the_groups_present(reference, tmp_path):
    out, _ = reference
    table = pq.read_table(out / "_frames" / "frames.parquet")
    nulls = [name for name in table.column_names if table.column(name).null_count == table.num_rows]
    assert nulls == []  # an MSLS set: no column is null throughout
    meta = read_pairs(out).attrs["fovlabel"]
    assert meta["frame_groups"] == ["gnss", "metric2d"]
    assert {"tx", "qw", "fx", "depth_path", "point_ids", "plane_x_m", "fov_deg"}.isdisjoint(table.column_names)
    # read back, the frames table has every canonical column again
    from fovlabel.schema import FRAMES_SCHEMA

    frames = read_label_frames(out)
    assert list(frames.columns) == FRAMES_SCHEMA.names and frames["tx"].isna().all()


def test_a_pose_label_set_has_pose_and_plane_but_no_crs_columns(tmp_path):
    path = tmp_path / "00.txt"
    path.write_text("\n".join(f"1 0 0 {x} 0 1 0 0 0 0 1 0" for x in range(5)) + "\n")
    annotate(path, "kitti", labeller="strong2d", fov_deg=60.0, radius_m=5.0, mode="within", out=tmp_path / "l")
    names = pq.read_schema(tmp_path / "l" / "_frames" / "frames.parquet").names
    assert {"tx", "qw", "plane_x_m", "plane_heading_deg"} <= set(names)
    assert not {"x_m", "y_m", "grid_heading_deg", "crs", "lat", "fx"} & set(names)
    frames = read_label_frames(tmp_path / "l")
    # identity rotations: down is +y, so up is -y, e1 = +x, e2 = +z; the cameras look along e2
    assert np.allclose(frames["plane_x_m"], [0, 1, 2, 3, 4]) and np.allclose(frames["plane_y_m"], 0)
    assert np.allclose(frames["plane_heading_deg"], 0)


def test_version_1_label_sets_are_still_read(reference, tmp_path):
    out, _ = reference
    v1 = tmp_path / "v1"
    v1.mkdir()
    # a version-1 set: every frames column (the absent groups all null), no label_set_id / run / params
    from fovlabel.schema import FRAMES_SCHEMA

    frames = read_label_frames(out)
    meta = json.loads(pq.read_schema(out / "pairs.parquet").metadata[METADATA_KEY])
    for key in ("label_set_id", "run", "params", "frame_groups"):
        meta.pop(key)
    meta["schema_version"] = 1
    raw = {METADATA_KEY: json.dumps(meta)}
    pq.write_table(pa.Table.from_pandas(frames, schema=FRAMES_SCHEMA, preserve_index=False)
                   .replace_schema_metadata(raw), v1 / "frames.parquet")  # the layout before 0.3
    pq.write_table(pq.read_table(out / "pairs.parquet").replace_schema_metadata(raw), v1 / "pairs.parquet")
    pairs = read_pairs(v1, with_keys=True)
    pd.testing.assert_frame_equal(pairs, read_pairs(out, with_keys=True))
    assert pairs.attrs["fovlabel"]["schema_version"] == 1


def test_fingerprint_sees_list_cells_and_values():
    from fovlabel.io.labelset import frames_fingerprint

    frames = pd.DataFrame({"key": ["a", "b"], "x_m": [1.0, 2.0], "point_ids": [None, np.array([3, 4])]})
    same = frames.copy()
    changed = frames.copy()
    changed.at[1, "point_ids"] = np.array([3, 5])
    moved = frames.assign(x_m=[1.0, 2.5])
    assert frames_fingerprint(frames) == frames_fingerprint(same)
    assert len({frames_fingerprint(t) for t in (frames, changed, moved)}) == 3


def test_typed_metadata_answers_for_both_versions():
    """What readers ask of a label set's metadata, answered in one place for version 1 (flat
    config) and version 2 (run + params)."""
    from fovlabel.io.metadata import LabelSetMetadata

    v2 = LabelSetMetadata.from_dict({"schema_version": 2, "fovlabel_version": "x", "labeller": "weak2d",
                                     "config": {}, "input": {}, "run": {"mode": "cross", "positive": 0.7},
                                     "params": {"measure": "ioa", "fov_deg": 60.0},
                                     "groups": {"a": {"mode": "cross"}, "b": {"mode": "within"}}})
    assert (v2.positive, v2.measure, v2.symmetric) == (0.7, "ioa", False)
    assert v2.modes == {"a": "cross", "b": "within"} and v2.labeller_params["fov_deg"] == 60.0
    v1 = LabelSetMetadata.from_dict({"schema_version": 1, "fovlabel_version": "x", "labeller": "weak2d",
                                     "config": {"mode": "within", "positive": 0.4, "measure": "iou"}, "input": {}})
    assert (v1.positive, v1.measure, v1.symmetric, v1.run_settings["mode"]) == (0.4, "iou", True, "within")
    empty = LabelSetMetadata.from_dict({"schema_version": 2, "fovlabel_version": "x", "labeller": "cloud3d",
                                        "config": {}, "input": {}, "run": {}})
    assert empty.positive == 0.5 and empty.symmetric  # RunSettings' default, not a second literal
