"""The output does not depend on the number of processes or the chunk size."""

import pandas as pd

from conftest import SAMPLE
from fovlabel import annotate, read_pairs


def test_jobs_and_chunks_do_not_change_the_output(tmp_path):
    one = annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "one", jobs=1, chunk_frames=1000)
    two = annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "two", jobs=2, chunk_frames=13)
    assert one.pairs == two.pairs > 1000
    pd.testing.assert_frame_equal(read_pairs(tmp_path / "one"), read_pairs(tmp_path / "two"))
    in_memory = annotate(SAMPLE, "msls", preset="msls", jobs=2, chunk_frames=7)
    pd.testing.assert_frame_equal(in_memory, read_pairs(tmp_path / "one"), check_like=False)


def test_keep_zero_keeps_every_candidate(tmp_path):
    kept = annotate(SAMPLE, "msls", preset="msls", keep_zero=True)
    dropped = annotate(SAMPLE, "msls", preset="msls")
    assert (kept["rank"] == 0).sum() > 0 and (kept["overlap"] == 0).sum() == (kept["rank"] == 0).sum()
    assert len(kept) - (kept["rank"] == 0).sum() == len(dropped)
    assert (kept["distance_m"] < 100.0).all()  # candidates: apexes closer than r_a + r_b


def test_within_mode_pairs_each_frame_once(tmp_path):
    pairs = annotate(SAMPLE, "msls", preset="msls", mode="within")
    assert (pairs["frame_a"] < pairs["frame_b"]).all()
    assert not pairs.duplicated(["frame_a", "frame_b"]).any()
