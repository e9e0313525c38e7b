"""Labelling while reading (fovlabel.streaming): the same label set, byte for byte, as reading
everything first; the resume stays exact; a labeller whose groups are not independent is caught."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

import fovlabel.streaming as streaming
from conftest import SAMPLE
from fovlabel import annotate
from fovlabel.io.layout import PLAN_FILE
from fovlabel.io.fingerprint import frames_fingerprint
from fovlabel.progress import Progress
from fovlabel.readers import concat_frame_parts, read_frame_groups, read_frames


@pytest.fixture(scope="module")
def three_cities(tmp_path_factory):
    """An MSLS root of three cities (the sample city's files, the second and third moved north)."""
    root = tmp_path_factory.mktemp("cities") / "msls"
    city = SAMPLE / "train_val" / "sampleville"
    for k, name in enumerate(("alpha", "bravo", "charlie")):
        for role in ("query", "database"):
            folder = root / "train_val" / name / role
            folder.mkdir(parents=True)
            raw = pd.read_csv(city / role / "raw.csv", index_col=0)
            raw["lat"] += 0.01 * k
            raw.to_csv(folder / "raw.csv")
            shutil.copy(city / role / "seq_info.csv", folder / "seq_info.csv")
    return root


def _run(root, out, streamed: bool, monkeypatch, **kw):
    """A run at --jobs 2 that labels while reading (or, ``streamed`` False, reads first)."""
    taken = []
    real = streaming.streams

    def decide(*args):
        taken.append(streamed and real(*args))
        return taken[-1]

    monkeypatch.setattr(streaming, "streams", decide)
    summary = annotate(root, "msls", preset="msls", out=out, jobs=2, chunk_frames=40, **kw)
    monkeypatch.undo()
    assert taken == [streamed]
    return summary


def _bytes(out):
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.parquet"))}


def test_groups_read_one_at_a_time_are_the_table_read_at_once(three_cities):
    whole = read_frames(three_cities, "msls")
    reader, parts = read_frame_groups(three_cities, "msls")
    parts = list(parts)
    assert reader.reads_by_group and len(parts) == 3
    assert [int(p["frame_id"].iat[0]) for p in parts] == [0, 504, 1008]  # ids run on
    joined = concat_frame_parts(parts)
    pd.testing.assert_frame_equal(joined, whole)
    assert frames_fingerprint(joined) == frames_fingerprint(whole)
    assert parts == []  # emptied as they were joined


def test_labelling_while_reading_writes_the_same_bytes(three_cities, tmp_path, monkeypatch):
    for kw in ({}, {"mode": "within", "measure": "ioa"}):
        first = _run(three_cities, tmp_path / "first", False, monkeypatch, overwrite=True, **kw)
        streamed = _run(three_cities, tmp_path / "streamed", True, monkeypatch, overwrite=True, **kw)
        assert _bytes(tmp_path / "streamed") == _bytes(tmp_path / "first")
        assert streamed.pairs == first.pairs > 1000 and streamed.lines()[:-2] == first.lines()[:-2]
        assert len(streamed.groups) == 3


def test_chunks_labelled_after_the_whole_table_is_prepared_are_the_same(three_cities, tmp_path, monkeypatch):
    """The chunks still waiting when the whole table is prepared run on its state (the groups'
    own are then freed): held back until then, every chunk does, and the bytes are the same."""
    import threading

    from fovlabel.io.parts import PartsWriter

    planned = threading.Event()
    real_one, real_plan = streaming._LabellingThread._one, PartsWriter.set_plan
    shifted = []

    def held(self, item):
        planned.wait(60)
        shifted.append(item[1].now[1])
        return real_one(self, item)

    def plan(self, plan_):
        real_plan(self, plan_)
        planned.set()

    first = _run(three_cities, tmp_path / "first", False, monkeypatch)
    monkeypatch.setattr(streaming._LabellingThread, "_one", held)
    monkeypatch.setattr(PartsWriter, "set_plan", plan)
    annotate(three_cities, "msls", preset="msls", out=tmp_path / "late", jobs=2, chunk_frames=40)
    monkeypatch.undo()
    assert len(shifted) > 6 and sorted(set(shifted)) == [0, 504, 1008]  # each group's rows, shifted
    assert _bytes(tmp_path / "late") == _bytes(tmp_path / "first") and first.pairs > 1000


def test_a_run_stopped_before_its_plan_leaves_nothing_and_reuses_nothing(three_cities, tmp_path, monkeypatch):
    """Parts written before the plan are never reused: a failure then removes the partial folder,
    and one left by a kill (no plan file) is cleared by the next run, which labels everything."""
    from fovlabel.io.parts import PartsWriter

    def no_plan(self, plan):
        raise KeyboardInterrupt

    out = tmp_path / "labels"
    monkeypatch.setattr(PartsWriter, "set_plan", no_plan)
    with pytest.raises(KeyboardInterrupt):
        annotate(three_cities, "msls", preset="msls", out=out, jobs=2, chunk_frames=40)
    monkeypatch.undo()
    assert not out.exists() and not (tmp_path / "labels.partial").exists()

    class Killed(Exception):
        pass

    def die(phase, done, total):
        if phase == "labelling" and done >= 5:
            raise Killed

    with pytest.raises(Killed):  # killed in the labelling: the plan is written, the parts stay
        annotate(three_cities, "msls", preset="msls", out=out, jobs=2, chunk_frames=40,
                 progress=Progress("quiet", callback=die))
    partial = tmp_path / "labels.partial"
    parts = sorted((partial / "parts").glob("part-*.parquet"))
    assert (partial / PLAN_FILE).is_file() and len(parts) >= 5
    resumed = annotate(three_cities, "msls", preset="msls", out=tmp_path / "resumed", jobs=1, chunk_frames=40)
    shutil.copytree(partial, tmp_path / "resumed.partial")  # the same run killed, twice over
    (partial / PLAN_FILE).unlink()  # as a kill before the plan leaves it
    again = annotate(three_cities, "msls", preset="msls", out=out, jobs=2, chunk_frames=40)
    assert again.resumed_chunks == 0  # nothing without a plan is reused
    assert _bytes(out) == _bytes(tmp_path / "resumed")
    assert resumed.resumed_chunks == 0
    reused = annotate(three_cities, "msls", preset="msls", out=tmp_path / "resumed", jobs=2, chunk_frames=40,
                      overwrite=True)
    assert reused.resumed_chunks == len(parts)  # with its plan, a killed run's parts are reused
    assert _bytes(tmp_path / "resumed") == _bytes(out)


def test_a_labeller_whose_groups_are_not_independent_is_caught(three_cities, tmp_path, monkeypatch):
    """A group planned alone must be planned as in the whole table; a labeller that says its
    groups are independent but plans by the whole table is refused, and nothing is left."""
    import numpy as np

    from fovlabel.labellers.weak2d import Weak2D

    monkeypatch.setattr(Weak2D, "chunk_pairs", 1000)
    monkeypatch.setattr(Weak2D, "pair_load", lambda self, state, frames, chunk_frames: np.full(len(frames), len(frames) / 20))
    with pytest.raises(RuntimeError, match="says its groups are independent"):
        annotate(three_cities, "msls", preset="msls", out=tmp_path / "labels", jobs=2, chunk_frames=40)
    assert not (tmp_path / "labels").exists() and not (tmp_path / "labels.partial").exists()


def test_a_failing_chunk_stops_the_reading_and_leaves_nothing(three_cities, tmp_path, monkeypatch):
    from fovlabel.labellers.weak2d import Weak2D

    real = Weak2D.label_chunk

    def fails(self, state, chunk, run, params):
        if chunk.index == 3:
            raise ValueError("chunk 3 failed")
        return real(self, state, chunk, run, params)

    monkeypatch.setattr(Weak2D, "label_chunk", fails)
    with pytest.raises(ValueError, match="chunk 3 failed"):
        annotate(three_cities, "msls", preset="msls", out=tmp_path / "labels", jobs=2, chunk_frames=40)
    assert not (tmp_path / "labels").exists() and not (tmp_path / "labels.partial").exists()


def test_the_float_columns_a_reader_leaves_empty_share_one_array_safely():
    """A GPS dataset leaves a dozen float columns empty (poses, intrinsics, the plane): they share
    one array of NaN (8 bytes a frame, not 8 a column), and a write to one never reaches the
    others (pandas copies on write)."""
    frames = read_frames(SAMPLE, "msls")
    empty = [c for c in frames.columns if frames[c].dtype == "float64" and frames[c].isna().all()]
    assert len(empty) >= 10
    first = frames[empty[0]].to_numpy()
    assert all(np.shares_memory(first, frames[c].to_numpy()) for c in empty[1:])
    frames.loc[frames.index[:3], empty[0]] = 1.0
    assert frames[empty[0]].notna().sum() == 3 and all(frames[c].isna().all() for c in empty[1:])
    assert read_frames(SAMPLE, "msls")[empty[0]].isna().all()
