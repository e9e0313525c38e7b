"""Progress of a long run, phase by phase (reading, preparing, kernels, labelling, writing).

A :class:`Progress` reports to a stream (stderr by default) in one of three styles:

- ``"bar"`` (the default on a terminal): one line redrawn in place, at most ten times a second:
  the phase, done/total, percent, elapsed time and ETA;
- ``"lines"`` (the default elsewhere: logs, pipes, CI): one line when a phase ends, and while it
  runs a line at most every ``interval_s`` seconds, so that a long phase is never silent;
- ``"quiet"``: nothing.

Every style records each phase's seconds (:attr:`Progress.seconds`), which a run's summary prints
as its time split. The library reaches the reporter of the run through :func:`current_phase`
(a context variable set by :meth:`Progress.active`): a labeller's ``prepare`` says what it is doing
(``current_phase().describe("decoding depth", total=n, unit="image")``) and advances it, without
a progress parameter in the labeller protocol. Outside a run every call is a no-op.
"""

from __future__ import annotations

import contextvars
import sys
import threading
import time
from contextlib import contextmanager
from typing import Callable

STYLES = ("auto", "bar", "lines", "quiet")

_ACTIVE: contextvars.ContextVar = contextvars.ContextVar("fovlabel_progress", default=None)


def _clock_text(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Phase:
    """One phase of a run: a name, a count done of an optional total, and its unit."""

    def __init__(self, owner: "Progress | None", name: str, total: int | None, unit: str):
        self.owner, self.name, self.total, self.unit = owner, name, total, unit
        self.done = 0
        self.note = ""
        self.announced = False
        self.started = owner.clock() if owner else 0.0

    def describe(self, name: str | None = None, *, total: int | None = None, unit: str | None = None,
                 note: str | None = None) -> "Phase":
        """Say more precisely what the phase does (``"decoding depth"``, 300 images, ...)."""
        if self.owner is None:  # outside a run
            return self
        self.name = name or self.name
        self.total = self.total if total is None else int(total)
        self.unit = self.unit if unit is None else unit
        announce = note is not None and note != self.note
        self.note = self.note if note is None else note
        self.owner._show(self, force=True, announce=announce)
        return self

    def advance(self, n: int = 1) -> None:
        if self.owner is None:  # outside a run
            return
        self.done += int(n)
        self.owner._show(self)

    def elapsed(self) -> float:
        return self.owner.clock() - self.started if self.owner else 0.0

    def eta(self) -> float | None:
        """Seconds left at the rate so far (None without a total or before the first step)."""
        if not self.total or self.done <= 0:
            return None
        return self.elapsed() / self.done * max(self.total - self.done, 0)

    def units(self, count: int) -> str:
        """The unit for ``count`` ("1 chunk", "40 chunks"); units are given in the singular."""
        return self.unit if count == 1 or not self.unit else self.unit + "s"

    def text(self, final: bool = False, with_note: bool = True) -> str:
        """``labelling: 12/40 chunks (30%), 4.1 s, ETA 9.6 s``; at the end ``labelling: 40
        chunks in 12.3 s`` (or ``preparing: done in 0.1 s`` for a phase that counts nothing)."""
        name = self.name + (f" ({self.note})" if self.note and with_note else "")
        if final:
            count = f"{self.done:,} {self.units(self.done)}" if self.unit else "done"
            return f"{name}: {count} in {_clock_text(self.elapsed())}"
        if self.total:
            pct = 100.0 * self.done / self.total
            eta = self.eta()
            return (f"{name}: {self.done:,}/{self.total:,} {self.units(self.total)} ({pct:.0f}%), "
                    f"{_clock_text(self.elapsed())}" + (f", ETA {_clock_text(eta)}" if eta is not None else ""))
        count = f"{self.done:,} {self.units(self.done)}, " if self.unit and self.done else ""
        return f"{name}: {count}{_clock_text(self.elapsed())}"


_NULL = Phase(None, "", None, "")


class Progress:
    """The progress reporter of one run (see the module docstring).

    ``style``: one of :data:`STYLES` ("auto": "bar" when the stream is a terminal, else "lines").
    ``callback(phase_name, done, total)``: called on every step (tests and GUIs hook in here).
    ``tick_s``: while a run is active, a background thread looks every ``tick_s`` seconds and
    redraws a phase that has not reported for a while (a long read or a compile has no steps), so
    that a run is never silent for more than ``interval_s`` in a log; None: no thread.
    """

    def __init__(self, style: str = "auto", *, stream=None, interval_s: float = 5.0,
                 callback: Callable[[str, int, int | None], None] | None = None,
                 clock: Callable[[], float] = time.monotonic, prefix: str = "fovlabel: ",
                 tick_s: float | None = 1.0):
        if style not in STYLES:
            raise ValueError(f"progress style must be one of {', '.join(STYLES)}; got {style!r}")
        self.stream = stream if stream is not None else sys.stderr
        if style == "auto":
            isatty = getattr(self.stream, "isatty", None)
            style = "bar" if isatty is not None and isatty() else "lines"
        self.style, self.interval_s, self.callback, self.clock = style, float(interval_s), callback, clock
        self.prefix, self.tick_s = prefix, tick_s
        self.seconds: dict[str, float] = {}
        self._last_draw = -1e18
        self._drawn = False
        self._current: Phase | None = None
        self._lock = threading.Lock()

    @contextmanager
    def active(self):
        """Make this the reporter :func:`current_phase` and :func:`phase` reach (and, with
        ``tick_s``, keep a silent phase's line alive from a background thread)."""
        token = _ACTIVE.set(self)
        stop = threading.Event()
        ticker = None
        if self.style != "quiet" and self.tick_s:
            ticker = threading.Thread(target=self._tick, args=(stop,), name="fovlabel-progress", daemon=True)
            ticker.start()
        try:
            yield self
        finally:
            stop.set()
            if ticker is not None:
                ticker.join()
            _ACTIVE.reset(token)

    def _tick(self, stop: threading.Event) -> None:
        while not stop.wait(self.tick_s):
            current = self._current
            if current is not None:
                self._draw(current)

    @contextmanager
    def phase(self, name: str, total: int | None = None, unit: str = ""):
        """A phase of the run; its seconds are added to :attr:`seconds` under its (final) name."""
        current = Phase(self, name, total, unit)
        previous = self._current
        self._current = current
        self._show(current, force=True)
        try:
            yield current
        except BaseException:  # a failed phase has no end line: the error is the last word
            with self._lock:
                if self.style == "bar" and self._drawn:
                    self._write("\r\x1b[K")
                self._current = previous
            raise
        else:
            with self._lock:
                self._end(current)
                self._current = previous
        finally:
            self.seconds[current.name] = self.seconds.get(current.name, 0.0) + current.elapsed()

    # drawing
    def _show(self, current: Phase, force: bool = False, announce: bool = False) -> None:
        if self.callback:
            self.callback(current.name, current.done, current.total)
        self._draw(current, force, announce)

    def _draw(self, current: Phase, force: bool = False, announce: bool = False) -> None:
        if self.style == "quiet":
            return
        with self._lock:
            if current is not self._current:  # the ticker woke as the phase ended
                return
            self._draw_locked(current, force, announce)

    def _draw_locked(self, current: Phase, force: bool, announce: bool) -> None:
        now = self.clock()
        if self.style == "bar":
            if force or now - self._last_draw >= 0.1:
                self._write("\r\x1b[K" + self.prefix + current.text())
                self._drawn, self._last_draw = True, now
        elif announce:  # news worth a line at once (compiling kernels, chunks reused)
            self._write(self.prefix + f"{current.name}: {current.note} ...\n")
            current.announced = True
        elif now - current.started >= self.interval_s and now - self._last_draw >= self.interval_s:
            self._write(self.prefix + current.text(with_note=not current.announced) + "\n")
            self._last_draw = now

    def _end(self, current: Phase) -> None:
        if self.style == "quiet":
            return
        start = "\r\x1b[K" if self.style == "bar" else ""
        self._write(start + self.prefix + current.text(final=True, with_note=not current.announced) + "\n")
        self._drawn = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe never stops the run
            self.style = "quiet"


def current_phase() -> Phase:
    """The phase the run is in: describe it and advance it; a no-op outside a run."""
    reporter = _ACTIVE.get()
    phase_now = getattr(reporter, "_current", None) if reporter else None
    return phase_now or _NULL


@contextmanager
def phase(name: str, total: int | None = None, unit: str = ""):
    """A phase of the current run (:meth:`Progress.phase`), or a no-op outside one."""
    reporter = _ACTIVE.get()
    if reporter is None:
        yield _NULL
        return
    with reporter.phase(name, total, unit) as current_:
        yield current_
