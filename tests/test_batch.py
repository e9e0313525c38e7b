"""The output does not depend on the number of processes or the chunk size."""

import pandas as pd
import pytest

from conftest import SAMPLE
from fovlabel import ConfigError, annotate, read_pairs


def test_jobs_and_chunks_do_not_change_the_output(tmp_path):
    one = annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "one", jobs=1, chunk_frames=1000)
    two = annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "two", jobs=2, chunk_frames=13)
    assert one.pairs == two.pairs > 1000
    pd.testing.assert_frame_equal(read_pairs(tmp_path / "one"), read_pairs(tmp_path / "two"))
    in_memory = annotate(SAMPLE, "msls", preset="msls", jobs=2, chunk_frames=7)
    pd.testing.assert_frame_equal(in_memory, read_pairs(tmp_path / "one"), check_like=False)


def test_pairs_file_has_full_row_groups_and_the_same_bytes_for_any_chunking(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    import fovlabel.io.labelset_writer as labelset_writer
    import fovlabel.io.parquet_stream as parquet_stream

    monkeypatch.setattr(parquet_stream, "ROW_GROUP_ROWS", 1000)  # the sample's 2,540 pairs: 1000, 1000, 540
    monkeypatch.setattr(labelset_writer, "FRAMES_ROW_GROUP_ROWS", 70)  # frames in row groups of 70
    def data_pages(path):  # everything before the footer (which holds the metadata: chunk_frames)
        raw = path.read_bytes()
        footer = int.from_bytes(raw[-8:-4], "little")
        return raw[:len(raw) - 8 - footer]

    runs = (("a", 1000, 1), ("b", 13, 2), ("c", 7, 1), ("d", 13, 1))
    for name, chunk, jobs in runs:
        annotate(SAMPLE, "msls", preset="msls", out=tmp_path / name, jobs=jobs, chunk_frames=chunk)
    meta = pq.ParquetFile(tmp_path / "b" / "pairs.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [1000, 1000, 540]
    pages = {name: data_pages(tmp_path / name / "pairs.parquet") for name, _, _ in runs}
    assert pages["a"] == pages["b"] == pages["c"] == pages["d"]
    # the same chunk size with another --jobs: the whole file is the same
    assert (tmp_path / "b" / "pairs.parquet").read_bytes() == (tmp_path / "d" / "pairs.parquet").read_bytes()
    # frames.parquet (encoded while the chunks run with --jobs 2, at the end with --jobs 1) too,
    # and it is what one write_table of the table with its metadata writes
    frames_b = (tmp_path / "b" / "_frames" / "frames.parquet").read_bytes()
    assert frames_b == (tmp_path / "d" / "_frames" / "frames.parquet").read_bytes()
    frames = pq.read_table(tmp_path / "d" / "_frames" / "frames.parquet")
    assert frames.num_rows > 200 and pq.ParquetFile(tmp_path / "d" / "_frames" / "frames.parquet").metadata.num_row_groups == \
        -(-frames.num_rows // 70)
    pq.write_table(frames, tmp_path / "one.parquet", row_group_size=70, write_page_checksum=True)
    assert (tmp_path / "one.parquet").read_bytes() == frames_b


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


def test_one_execution_setting_says_what_jobs_means_at_each_stage():
    from fovlabel.execution import Execution

    wide = Execution(jobs=3)
    assert (wide.reader_threads, wide.prepare_threads, wide.chunk_workers, wide.encode_in_background) == (3, 3, 3, True)
    assert Execution().encode_in_background is False and Execution(scheduler="local").scheduler is None
    with pytest.raises(ConfigError, match="jobs must be >= 1; got 0"):
        Execution(jobs=0)
    with pytest.raises(ConfigError, match="scheduler must be 'local', 'dask-local:N'"):
        Execution(scheduler="dask:2")
