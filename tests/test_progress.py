"""Progress on every long run: per phase, throttled off a terminal, quiet on request, kernels named."""

from __future__ import annotations

import io
import sys
import textwrap

import pytest

from conftest import SAMPLE, cli
from fovlabel import annotate
from fovlabel.batch import compiled_now, load_kernels
from fovlabel.progress import Progress, current_phase, phase


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class TtyStream(io.StringIO):
    def isatty(self):
        return True


def test_lines_style_is_one_line_per_phase_and_at_most_one_every_interval():
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress("auto", stream=stream, interval_s=5.0, clock=clock, tick_s=None)
    assert progress.style == "lines"  # not a terminal
    with progress.active(), phase("labelling", total=100, unit="chunk") as step:
        for _ in range(100):
            clock.now += 0.2  # 20 s in all
            step.advance()
    lines = stream.getvalue().splitlines()
    # 20 s at most one line every 5 s: the lines at 5, 10, 15 and 20 s, then the end line
    assert 3 <= len(lines) - 1 <= 4, lines
    assert lines[0] == "fovlabel: labelling: 25/100 chunks (25%), 5.0 s, ETA 15.0 s"
    assert lines[-1] == "fovlabel: labelling: 100 chunks in 20.0 s"
    assert progress.seconds == {"labelling": pytest.approx(20.0)}


def test_a_phase_without_steps_is_not_silent_in_a_log():
    import time

    stream = io.StringIO()
    progress = Progress("lines", stream=stream, interval_s=0.2, tick_s=0.05)
    with progress.active(), phase("reading", unit="frame") as step:
        time.sleep(0.75)  # a long read: no step to report
        step.advance(10)
    lines = stream.getvalue().splitlines()
    during = lines[:-1]
    assert 2 <= len(during) <= 4, lines  # every 0.2 s at most, from the ticker
    assert all(line.startswith("fovlabel: reading: ") and line.endswith(" s") for line in during)
    assert lines[-1].startswith("fovlabel: reading: 10 frames in ")


def test_a_short_phase_is_one_line_and_a_failed_phase_none():
    stream = io.StringIO()
    progress = Progress("lines", stream=stream)
    with progress.active():
        with phase("reading", unit="frame") as step:
            step.advance(504)
        with pytest.raises(ValueError), phase("preparing"):
            raise ValueError("bad frame")
    assert stream.getvalue().splitlines() == [
        "fovlabel: reading: 504 frames in 0.0 s"]  # the error will be the last word, not "done"


def test_bar_style_redraws_one_line_with_percent_and_eta():
    clock, stream = FakeClock(), TtyStream()
    progress = Progress("auto", stream=stream, clock=clock, tick_s=None)
    assert progress.style == "bar"
    with progress.active(), phase("labelling", total=4, unit="chunk") as step:
        for _ in range(4):
            clock.now += 1.0
            step.advance()
    text = stream.getvalue()
    assert text.count("\n") == 1  # one line, redrawn in place
    assert "\r\x1b[Kfovlabel: labelling: 2/4 chunks (50%), 2.0 s, ETA 2.0 s" in text
    assert text.endswith("\r\x1b[Kfovlabel: labelling: 4 chunks in 4.0 s\n")


def test_quiet_writes_nothing_but_times_the_phases():
    stream = io.StringIO()
    progress = Progress("quiet", stream=stream)
    with progress.active():
        with phase("reading"):
            pass
        with phase("labelling") as step:
            step.describe("decoding depth", total=3, unit="image")
            step.advance(3)
    assert stream.getvalue() == ""
    assert list(progress.seconds) == ["reading", "decoding depth"]  # a described phase keeps its new name


def test_outside_a_run_every_call_is_a_no_op():
    step = current_phase().describe("decoding depth", total=3)
    step.advance()
    assert step.done == 0 and step.name == ""
    with phase("reading") as inner:
        inner.advance(5)
        assert inner.done == 0


def test_a_run_reports_each_phase_and_splits_its_time(tmp_path):
    stream = io.StringIO()
    summary = annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "l", chunk_frames=100,
                       progress=Progress("lines", stream=stream))
    names = [line.split(":")[1].strip() for line in stream.getvalue().splitlines()]
    assert names[0] == "reading" and names[1] == "preparing" and names[-2:] == ["labelling", "writing"]
    assert "reading: 504 frames in" in stream.getvalue()
    assert "labelling: 2 chunks in" in stream.getvalue()  # the sample's 120 queries, 100 a chunk
    assert list(summary.phases)[:2] == ["reading", "preparing"]
    assert list(summary.phases)[-2:] == ["labelling", "writing"]
    assert sum(summary.phases.values()) <= summary.seconds
    time_line = next(line for line in summary.lines() if line.startswith("time: "))
    assert "reading " in time_line and "labelling " in time_line and "frames/s" in time_line


def test_the_command_line_reports_on_stderr_and_quiet_silences_it(tmp_path):
    loud = cli("annotate", SAMPLE, "--format", "msls", "--preset", "msls", "--out", tmp_path / "a")
    assert loud.exit_code == 0, loud.output
    phases = [line.split(":")[1].strip() for line in loud.stderr.splitlines()]
    assert {"reading", "preparing", "labelling", "writing"} <= set(phases)
    assert "frames: 504" in loud.stdout and "fovlabel:" not in loud.stdout
    quiet = cli("annotate", SAMPLE, "--format", "msls", "--preset", "msls", "--out", tmp_path / "b", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "", quiet.output
    assert "frames: 504" in quiet.stdout


def test_resumed_chunks_are_announced(tmp_path):
    class Killed(Exception):
        pass

    def die(name, done, total):
        if name == "labelling" and done >= 2:
            raise Killed()

    with pytest.raises(Killed):
        annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "l", chunk_frames=25,
                 progress=Progress("quiet", callback=die))
    stream = io.StringIO()
    annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "l", chunk_frames=25,
             progress=Progress("lines", stream=stream))
    assert "fovlabel: labelling: 2 reused from an interrupted run ..." in stream.getvalue()


# -- compiling kernels --------------------------------------------------------------------------

_KERNEL = textwrap.dedent("""
    from numba import njit

    @njit(cache=True)
    def twice(x):
        return 2 * x
""")


def _probe_module(tmp_path, monkeypatch):
    """The probe kernel, imported afresh (a new dispatcher: what a new process would have)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("fovlabel_probe_kernel", None)
    import fovlabel_probe_kernel

    return fovlabel_probe_kernel


def test_compiled_now_reads_numbas_public_stats(tmp_path, monkeypatch):
    (tmp_path / "fovlabel_probe_kernel.py").write_text(_KERNEL)
    name = "fovlabel_probe_kernel:twice"
    assert _probe_module(tmp_path, monkeypatch).twice(3) == 6  # never compiled: a first run
    assert compiled_now([name]) is True
    assert _probe_module(tmp_path, monkeypatch).twice(4) == 8  # read from Numba's cache on disk
    assert compiled_now([name]) is False


class _Probe:
    """A labeller's kernel side: one cached kernel, warmed by calling it."""

    kernels = ("fovlabel_probe_kernel:twice",)

    def __init__(self):
        self.warmed = 0

    def warm_up(self):
        import fovlabel_probe_kernel

        self.warmed += 1
        fovlabel_probe_kernel.twice(1)


def test_a_first_run_says_it_compiles_the_kernels(tmp_path, monkeypatch):
    (tmp_path / "fovlabel_probe_kernel.py").write_text(_KERNEL)
    _probe_module(tmp_path, monkeypatch)
    stream, probe = io.StringIO(), _Probe()
    with Progress("lines", stream=stream).active() as progress:
        load_kernels(probe)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "fovlabel: loading kernels: a first run compiles them (once: Numba caches them for " \
                       "later runs) ..."  # said before the wait, not after
    assert lines[1].startswith("fovlabel: compiling kernels: done in ")  # what it turned out to be
    assert list(progress.seconds) == ["compiling kernels"] and probe.warmed == 1
    _probe_module(tmp_path, monkeypatch)  # a later run: the cache holds it
    stream = io.StringIO()
    with Progress("lines", stream=stream).active() as progress:
        load_kernels(probe)
    assert stream.getvalue().splitlines()[-1].startswith("fovlabel: loading kernels: done in ")
    assert list(progress.seconds) == ["loading kernels"]
