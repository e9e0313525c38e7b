"""The output rules (io/output.py): only fovlabel's own label sets are replaced, one writer per
output, a commit that survives a kill at every step, and disks that refuse."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import ROOT, SAMPLE, cli, error_line, snapshot
import fovlabel.io.output as output
from fovlabel import OutputExistsError, annotate, read_pairs
from fovlabel.errors import InputError, LabelSetError, OutputBusyError, OutputError



def _run(out, **kw):
    return annotate(SAMPLE, "msls", preset="msls", out=out, chunk_frames=25, **kw)



def _no_leftovers(out: Path) -> None:
    siblings = sorted(p.name for p in out.parent.iterdir() if p.name.startswith(out.name + "."))
    assert siblings == [], siblings


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "labels"
    _run(out)
    return out


@pytest.fixture(scope="module")
def old_set(tmp_path_factory):
    """A label set of another config (radius 20 m), to be replaced."""
    out = tmp_path_factory.mktemp("old") / "labels"
    _run(out, radius_m=20.0)
    return out


def _copy_set(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


# -- 1. nothing that is not a label set is ever deleted -----------------------------------------

def test_overwrite_refuses_a_folder_that_is_not_a_label_set(tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "thesis.tex").write_text("\\documentclass{article}")
    before = snapshot(out)
    result = cli("annotate", SAMPLE, "--format", "msls", "--out", out, "--overwrite")
    assert result.exit_code == 2
    assert result.output.strip() == (f"error: {out}: refusing to replace it: it is not a fovlabel label "
                                     "set: it holds thesis.tex; fovlabel replaces only its own label sets")
    assert snapshot(out) == before
    _no_leftovers(out)


def test_overwrite_refuses_a_plain_file(tmp_path):
    out = tmp_path / "labels"
    out.write_text("mine")
    result = cli("annotate", SAMPLE, "--format", "msls", "--out", out, "--overwrite")
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {out}: refusing to replace it: it is a file, not a fovlabel label set"
    assert out.read_text() == "mine"
    _no_leftovers(out)


def test_overwrite_refuses_the_dataset_itself(tmp_path):
    data = shutil.copytree(SAMPLE, tmp_path / "data")
    before = snapshot(data)
    result = cli("annotate", data, "--format", "msls", "--out", data, "--overwrite")
    assert result.exit_code == 2
    assert result.output.strip() == (f"error: {data}: refusing to write here: it is the input dataset; "
                                     "choose another --out")
    assert snapshot(data) == before
    _no_leftovers(data)


def test_overwrite_refuses_a_folder_that_contains_the_dataset(tmp_path):
    data = shutil.copytree(SAMPLE, tmp_path / "project" / "data")
    before = snapshot(tmp_path / "project")
    result = cli("annotate", data, "--format", "msls", "--out", tmp_path / "project", "--overwrite")
    assert result.exit_code == 2
    assert "refusing to write here: it contains the input dataset" in result.output
    assert snapshot(tmp_path / "project") == before


def test_out_given_as_dot_or_root_is_judged_by_what_it_stands_for(tmp_path, monkeypatch):
    shutil.copytree(SAMPLE, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    result = cli("annotate", "data", "--format", "msls", "--out", ".", "--overwrite")
    assert result.exit_code == 2
    assert result.output.strip() == (f"error: {tmp_path}: refusing to write here: it contains the input "
                                     "dataset data; choose another --out")
    result = cli("annotate", "data", "--format", "msls", "--out", "/")
    assert result.output.strip() == "error: /: cannot write a label set at the root of the file system"


def test_overwrite_refuses_a_foreign_folder_inside_the_dataset(tmp_path):
    data = shutil.copytree(SAMPLE, tmp_path / "data")
    before = snapshot(data)
    inner = data / "train_val"
    result = cli("annotate", data, "--format", "msls", "--out", inner, "--overwrite")
    assert result.exit_code == 2
    assert f"(it lies inside the input dataset {data})" in result.output
    assert snapshot(data) == before


def test_a_pose_file_dataset_is_protected_too(tmp_path):
    poses = tmp_path / "00.txt"
    poses.write_text("1 0 0 0 0 1 0 0 0 0 1 0\n")
    for out, why in ((poses, "it is the input dataset"), (tmp_path, "it contains the input dataset")):
        result = cli("annotate", poses, "--format", "kitti", "--labeller", "strong2d", "--out", out,
                      "--overwrite")
        assert result.exit_code == 2 and why in result.output, result.output
    assert poses.read_text() == "1 0 0 0 0 1 0 0 0 0 1 0\n"


def test_a_label_set_holding_a_users_file_is_not_replaced(tmp_path, reference):
    out = _copy_set(reference, tmp_path / "labels")
    (out / "notes.txt").write_text("my notes")
    before = snapshot(out)
    with pytest.raises(OutputError, match="it holds notes.txt"):
        _run(out, overwrite=True)
    assert snapshot(out) == before


def test_a_parquet_file_without_fovlabel_metadata_is_not_ours(tmp_path, reference):
    out = tmp_path / "labels"
    out.mkdir()
    pd.DataFrame({"a": [1]}).to_parquet(out / "pairs.parquet")
    with pytest.raises(OutputError, match="pairs.parquet has no fovlabel metadata"):
        _run(out, overwrite=True)
    assert list(pd.read_parquet(out / "pairs.parquet")["a"]) == [1]


def test_an_empty_folder_is_used_and_a_label_set_is_replaced(tmp_path, reference, old_set):
    empty = tmp_path / "empty"
    empty.mkdir()
    _run(empty)
    pd.testing.assert_frame_equal(read_pairs(empty), read_pairs(reference))
    out = _copy_set(old_set, tmp_path / "labels")
    with pytest.raises(OutputExistsError, match="output exists; pass --overwrite"):
        _run(out)
    _run(out, overwrite=True)
    pd.testing.assert_frame_equal(read_pairs(out), read_pairs(reference))
    _no_leftovers(out)


def test_a_foreign_partial_folder_is_not_removed(tmp_path):
    out = tmp_path / "labels"
    partial = tmp_path / "labels.partial"
    partial.mkdir()
    (partial / "draft.docx").write_text("x")
    with pytest.raises(OutputError, match="labels.partial: refusing to use it: it holds draft.docx"):
        _run(out)
    assert (partial / "draft.docx").read_text() == "x"


# -- 2. one writer per output -------------------------------------------------------------------

_SLOW_RUN = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from fovlabel import annotate
    from fovlabel.progress import Progress
    out, started, go = (Path(p) for p in sys.argv[1:4])
    def wait(phase, done, total):
        if phase == "labelling" and done == 1:
            started.write_text("1")
            while not go.exists():
                time.sleep(0.05)
    annotate(sys.argv[4], "msls", preset="msls", out=out, chunk_frames=25, progress=Progress("quiet", callback=wait))
    print("written")
""")


def _wait_for(path: Path, proc, seconds=60.0):
    end = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, "the first run did not start"
        time.sleep(0.05)


def test_a_second_run_on_the_same_output_fails_at_once_and_the_first_completes(tmp_path, reference):
    out, started, go = tmp_path / "labels", tmp_path / "started", tmp_path / "go"
    first = subprocess.Popen([sys.executable, "-c", _SLOW_RUN, out, started, go, SAMPLE],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(started, first)
        for overwrite in ([], ["--overwrite"]):
            t0 = time.monotonic()
            result = cli("annotate", SAMPLE, "--format", "msls", "--preset", "msls", "--radius-m", "30",
                          "--out", out, *overwrite)
            assert time.monotonic() - t0 < 5.0  # at once, not after waiting
            assert result.exit_code == 2
            assert result.output.strip() == f"error: another fovlabel run (pid {first.pid}) is writing {out}"
        go.write_text("1")
        stdout, stderr = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr
    assert stdout.strip() == "written"
    pd.testing.assert_frame_equal(read_pairs(out), read_pairs(reference))
    _no_leftovers(out)


def test_the_lock_of_a_killed_run_is_taken_over(tmp_path, reference):
    out, started, go = tmp_path / "labels", tmp_path / "started", tmp_path / "go"
    first = subprocess.Popen([sys.executable, "-c", _SLOW_RUN, out, started, go, SAMPLE],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(started, first)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert (tmp_path / "labels.lock").read_text() == str(first.pid)  # left behind by the kill
    summary = _run(out)
    assert summary.resumed_chunks == 1
    pd.testing.assert_frame_equal(read_pairs(out), read_pairs(reference))
    _no_leftovers(out)


def test_a_stale_lock_file_is_taken_over(tmp_path, reference):
    out = tmp_path / "labels"
    (tmp_path / "labels.lock").write_text("999999")
    _run(out)
    pd.testing.assert_frame_equal(read_pairs(out), read_pairs(reference))
    _no_leftovers(out)


def test_the_lock_is_exclusive_within_one_process_too(tmp_path):
    target = output.OutputTarget(tmp_path / "labels", output.OutputKind("x", frozenset(), lambda p: None))
    with target:
        other = output.OutputTarget(tmp_path / "labels", target.kind)
        with pytest.raises(OutputBusyError, match=f"another fovlabel run \\(pid {os.getpid()}\\)"):
            other.__enter__()
    assert not (tmp_path / "labels.lock").exists()


def test_final_assembly_refuses_a_missing_part(tmp_path, monkeypatch):
    from fovlabel.io import labelset

    real = labelset.LabelSetWriter.write_part

    def lose_part_3(self, index, table):
        if index != 3:
            real(self, index, table)

    monkeypatch.setattr(labelset.LabelSetWriter, "write_part", lose_part_3)
    out = tmp_path / "labels"
    _run(out)  # the run streams pairs.parquet as the chunks come: it does not need the parts
    rows = pq.read_table(out / "pairs.parquet").slice(0, 10).replace_schema_metadata()
    # the assembly from the parts (a correspondence set's, and a label set's without a stream)
    # refuses a part that is missing, and leaves nothing half-written
    with output.OutputTarget(tmp_path / "other", labelset.LABEL_SET) as target:
        writer = labelset.PartsWriter(target, {"x": 1})
        writer.write_part(0, rows)
        writer.write_part(2, rows)
        with pytest.raises(LabelSetError, match=r"part 1 of 3 is missing"):
            writer.assemble(writer.schema, 3, 30)
        assert sorted(p.name for p in target.partial.iterdir()) == ["parts", "plan.json"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failing_chunk_leaves_the_finished_parts_and_nothing_half_written(tmp_path, monkeypatch, jobs):
    """With --jobs 2 frames.parquet is being encoded and pairs.parquet streamed when a chunk
    fails: both unfinished files go; the parts before the failure stay for a resume."""
    from fovlabel.labellers.weak2d import Weak2D

    real = Weak2D.label_chunk

    def fail_at_3(self, state, chunk, run, params):
        if chunk.index == 3:
            raise RuntimeError("chunk 3 fails")
        return real(self, state, chunk, run, params)

    monkeypatch.setattr(Weak2D, "label_chunk", fail_at_3)
    out = tmp_path / "labels"
    with pytest.raises(RuntimeError, match="chunk 3 fails"):
        _run(out, jobs=jobs)
    partial = tmp_path / "labels.partial"
    assert sorted(p.name for p in partial.iterdir()) == ["parts", "plan.json"]
    assert len(list((partial / "parts").glob("part-*.parquet"))) >= 3
    monkeypatch.setattr(Weak2D, "label_chunk", real)
    assert _run(out, jobs=jobs).resumed_chunks >= 3


def test_a_chunk_that_never_comes_leaves_no_label_set(tmp_path, monkeypatch):
    from fovlabel import batch

    real = batch._chunk_tables

    def lose_chunk_3(*args, **kwargs):
        for index, table in real(*args, **kwargs):
            if index != 3:
                yield index, table

    monkeypatch.setattr(batch, "_chunk_tables", lose_chunk_3)
    out = tmp_path / "labels"
    with pytest.raises(LabelSetError, match=r"1 of \d+ chunk\(s\) were not labelled"):
        _run(out)
    assert not out.exists()
    assert not (tmp_path / "labels.partial" / "pairs.parquet.tmp").exists()


# -- 2b. a kill at each step of the commit --------------------------------------------------------

class Killed(BaseException):
    """Stands for the process dying: not an Exception, so no handler tidies up after it."""


COMMIT_POINTS = ["pairs written", "complete", "tidied", "old moved aside", "new in place"]


@pytest.mark.parametrize("overwrite", [False, True], ids=["new", "overwrite"])
@pytest.mark.parametrize("point", COMMIT_POINTS)
def test_a_kill_at_each_commit_step_loses_nothing(tmp_path, monkeypatch, reference, old_set, point, overwrite):
    out = tmp_path / "labels"
    if overwrite:
        _copy_set(old_set, out)
    old = snapshot(old_set)

    def crash(name):
        if name == point:
            raise Killed(name)

    monkeypatch.setattr(output, "crash_point", crash)
    if not overwrite and point == "old moved aside":
        _run(out)  # nothing to move aside: this step does not happen without an old set
        return
    with pytest.raises(Killed):
        _run(out, overwrite=overwrite)
    # right after the kill: the old set is where it was, or whole in labels.fovlabel-old
    if overwrite:
        kept = out if out.exists() and snapshot(out) == old else tmp_path / "labels.fovlabel-old"
        if point == "new in place":
            kept = tmp_path / "labels.fovlabel-old"
        assert snapshot(kept) == old, f"the old label set was lost at {point!r}"
    monkeypatch.setattr(output, "crash_point", lambda name: None)
    if point == "new in place" and not overwrite:  # the set was in place: the run is done
        pd.testing.assert_frame_equal(read_pairs(out), read_pairs(reference))
        _no_leftovers(out)
        return
    if point in ("complete", "tidied"):  # the finished set is reused: nothing is labelled again
        from fovlabel.labellers.weak2d import Weak2D

        monkeypatch.setattr(Weak2D, "prepare", lambda *a, **k: pytest.fail("recomputed a finished set"))
    summary = _run(out, overwrite=overwrite)
    pd.testing.assert_frame_equal(read_pairs(out), read_pairs(reference))
    _no_leftovers(out)
    if point in ("complete", "tidied"):
        assert any("reused" in n for n in summary.notes), summary.notes
    if point in ("old moved aside", "new in place"):
        assert any("recovered" in n for n in summary.notes), summary.notes


def test_a_killed_swap_is_restored_even_by_a_run_that_does_not_overwrite(tmp_path, monkeypatch, old_set):
    out = _copy_set(old_set, tmp_path / "labels")
    old = snapshot(old_set)
    monkeypatch.setattr(output, "crash_point", lambda name: (_ for _ in ()).throw(Killed()) if name ==
                        "old moved aside" else None)
    with pytest.raises(Killed):
        _run(out, overwrite=True)
    assert not out.exists()
    # the new set in labels.partial is complete: the next run finishes that commit, then refuses
    monkeypatch.setattr(output, "crash_point", lambda name: None)
    shutil.rmtree(tmp_path / "labels.partial")  # make it incomplete: the old set must come back
    with pytest.raises(OutputExistsError):
        _run(out, radius_m=20.0)
    assert snapshot(out) == old
    _no_leftovers(out)


_KILL_AT = textwrap.dedent("""
    import os, signal, sys
    import fovlabel.io.output as output
    from fovlabel import annotate
    point = sys.argv[2]
    def crash(name):
        if name == point:
            os.kill(os.getpid(), signal.SIGKILL)
    output.crash_point = crash
    annotate(sys.argv[3], "msls", preset="msls", out=sys.argv[1], chunk_frames=25, overwrite=True)
""")


@pytest.mark.parametrize("point", ["old moved aside", "new in place"])
def test_a_real_sigkill_between_the_renames(tmp_path, reference, old_set, point):
    out = _copy_set(old_set, tmp_path / "labels")
    proc = subprocess.run([sys.executable, "-c", _KILL_AT, out, point, SAMPLE], capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert (tmp_path / "labels.fovlabel-old").is_dir()
    assert snapshot(tmp_path / "labels.fovlabel-old") == snapshot(old_set)
    result = cli("annotate", SAMPLE, "--format", "msls", "--preset", "msls", "--out", out, "--overwrite")
    assert result.exit_code == 0, result.output
    assert "recovered:" in result.output
    pd.testing.assert_frame_equal(read_pairs(out), read_pairs(reference))
    _no_leftovers(out)


# -- disks that refuse ----------------------------------------------------------------------------

def _mount(mnt: Path, options: str):
    mnt.mkdir(exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mnt)], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip() or 'not root'}): disk test skipped")


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "disk"
    _mount(mnt, "size=80k")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.fixture
def read_only_disk(tmp_path):
    mnt = tmp_path / "ro"
    _mount(mnt, "ro,size=64k")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_read_only_file_system_is_one_line(read_only_disk):
    out = read_only_disk / "labels"
    result = cli("annotate", SAMPLE, "--format", "msls", "--out", out)
    assert result.exit_code == 2
    assert result.output.strip() == (f"error: {out}: cannot create its lock file labels.lock: "
                                     "the file system is read-only")


def test_a_full_disk_keeps_the_finished_parts_and_a_rerun_resumes(small_disk, reference):
    out = small_disk / "labels"
    result = cli("annotate", SAMPLE, "--format", "msls", "--preset", "msls", "--out", out)
    assert result.exit_code == 2, result.output
    line = error_line(result)
    assert "no space left on the device" in line and "run again to resume" in line
    assert "chunk(s) are done and kept" in line or "finished parts are kept" in line
    parts = list((small_disk / "labels.partial" / "parts").glob("part-*.parquet"))
    assert not list((small_disk / "labels.partial").rglob("*.tmp"))  # no half-written file
    subprocess.run(["mount", "-o", "remount,size=4m", str(small_disk)], check=True)  # "free space"
    summary = annotate(SAMPLE, "msls", preset="msls", out=out)
    assert summary.resumed_chunks == len(parts)
    pd.testing.assert_frame_equal(read_pairs(out), read_pairs(reference))
    _no_leftovers(out)


def test_a_full_disk_while_writing_a_part_says_what_to_free(tmp_path, monkeypatch, reference):
    from fovlabel.io import parts

    real = parts._atomic_write_table
    calls = {"n": 0}

    def fill_up(table, path, **options):
        calls["n"] += 1
        if calls["n"] > 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(table, path, **options)

    monkeypatch.setattr(parts, "_atomic_write_table", fill_up)
    out = tmp_path / "labels"
    with pytest.raises(OutputError) as err:
        _run(out)
    message = str(err.value)
    assert message.startswith(f"{tmp_path / 'labels.partial'}: no space left on the device: 4 of ")
    assert "free space (the rest needs about" in message and "MiB)" in message
    monkeypatch.setattr(parts, "_atomic_write_table", real)
    assert _run(out).resumed_chunks == 4
    pd.testing.assert_frame_equal(read_pairs(out), read_pairs(reference))


def test_a_failure_before_any_part_leaves_no_partial(tmp_path, monkeypatch):
    from fovlabel.labellers.weak2d import Weak2D

    def broken(*args, **kwargs):
        raise InputError("boom", file="x.csv", row=3, column="ca")

    monkeypatch.setattr(Weak2D, "label_chunk", broken)
    out = tmp_path / "labels"
    with pytest.raises(InputError, match="boom"):
        _run(out)
    _no_leftovers(out)
    assert not out.exists()


def test_the_cli_never_prints_a_traceback_for_an_os_error(tmp_path):
    # --out below a plain file: the folder cannot be made
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("annotate", SAMPLE, "--format", "msls", "--out", blocker / "labels")
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {blocker / 'labels'}: cannot write here: {blocker} is not a directory")
    assert ROOT.exists()
