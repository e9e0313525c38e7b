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
