"""Where fovlabel writes: the one place that decides what may be replaced, locks, and commits.

Every command that writes (``annotate``, ``run``, and later ``export`` and ``plot``) goes through
:class:`OutputTarget`. Its rules:

- **Nothing that fovlabel did not make is deleted.** An existing ``OUT`` is replaced (with
  ``overwrite``) only when it is fovlabel's own output of that kind: a directory that holds nothing
  but the kind's files, each carrying fovlabel's metadata (see :class:`OutputKind`). An empty
  directory is taken as it is. A plain file, any other directory, the input dataset itself, a
  folder that contains the dataset, or a foreign folder inside it are refused, untouched.
- **One writer per output.** ``OUT.lock`` (beside ``OUT``) is held with ``flock`` for the whole
  run and names the holder's pid; a second run fails at once. The kernel releases the lock when a
  process dies, so a killed run's lock is simply taken over.
- **A commit that survives any kill.** Work is built in ``OUT.partial/``. The swap is
  ``OUT -> OUT.fovlabel-old``, ``OUT.partial -> OUT``, then ``OUT.fovlabel-old`` is removed.
  A run that starts (under the lock) first finishes or undoes a swap that a kill interrupted
  (:meth:`OutputTarget.recover`), so at no point is a previous output lost, and no
  ``*.fovlabel-old`` stays behind.

Kill points are named through :func:`crash_point`, a no-op that tests replace to kill the
process there.
"""

from __future__ import annotations

import errno
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import OutputBusyError, OutputError, OutputExistsError
from .paths import refuse_inside_output

LOCK_SUFFIX = ".lock"
PARTIAL_SUFFIX = ".partial"
OLD_SUFFIX = ".fovlabel-old"


def crash_point(name: str) -> None:
    """A named step of a commit; tests replace this to kill the process there."""


@dataclass(frozen=True)
class OutputKind:
    """What a finished output of one kind looks like.

    ``files``: the names a finished output may hold. ``check_file(path)``: None when ``path`` is one
    of fovlabel's files of this kind, else the reason it is not. ``partial_files``: what may
    further sit in the partial folder while a run builds it (plans, parts, temporary files).
    """

    name: str
    files: frozenset
    check_file: Callable[[Path], str | None]
    partial_files: frozenset = frozenset()
    partial_suffixes: tuple = (".tmp",)
    #: names a finished output may also hold (written after the commit, e.g. its plots)
    optional: frozenset = frozenset()

    def why_not_own(self, path: Path) -> str | None:
        """None when the directory ``path`` is fovlabel's output of this kind, else why not."""
        entries = sorted(p.name for p in path.iterdir())
        foreign = [n for n in entries if n not in self.files and n not in self.optional]
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            return f"it is not a fovlabel {self.name}: it holds {shown}"
        for name in entries:
            reason = self.check_file(path / name)
            if reason is not None:
                return f"it is not a fovlabel {self.name}: {name} {reason}"
        return None

    def why_not_partial(self, path: Path) -> str | None:
        """None when ``path`` holds only what an interrupted fovlabel run of this kind leaves."""
        for p in path.iterdir():
            name = p.name
            if name in self.files or name in self.partial_files or name.endswith(self.partial_suffixes):
                continue
            return f"it holds {name}, which an interrupted fovlabel run does not leave"
        return None


def _same_or_inside(a: Path, b: Path) -> bool:
    """True when ``a`` is ``b`` or lies inside it (both resolved)."""
    return a == b or b in a.parents


def _os_error(exc: OSError, path: Path, doing: str) -> OutputError:
    if exc.errno == errno.EROFS:
        why = "the file system is read-only"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = "permission denied"
    elif exc.errno == errno.ENOSPC:
        why = "no space left on the device"
    else:
        why = exc.strerror or str(exc)
    return OutputError(f"{path}: cannot {doing}: {why}")


class OutputTarget:
    """An output path held for one run: checked, locked, recovered, then committed.

    Use as a context manager around the whole run::

        with OutputTarget(out, LABEL_SET, overwrite=False, inputs=[dataset]) as target:
            ...  # build in target.partial
            target.commit()

    ``inputs``: paths the run reads (the dataset); ``OUT`` may be none of them and may not contain
    one. ``sealed``: folders ``OUT`` may not lie in (the label set an export reads). Leaving the
    block without :meth:`commit` keeps ``OUT.partial`` for a rerun to resume.
    """

    def __init__(self, out, kind: OutputKind, *, overwrite: bool = False, inputs=(), sealed=()):
        out = Path(out)
        if out.name in ("", ".", ".."):  # ".", "..": the folder they stand for, by its name
            out = out.resolve()
        if not out.name:
            raise OutputError(f"{out}: cannot write a {kind.name} at the root of the file system")
        self.out = out
        self.kind = kind
        self.overwrite = overwrite
        self.inputs = [Path(p) for p in inputs]
        #: folders nothing may be written into (a label set being exported: a file added to it
        #: would make it no longer a label set)
        self.sealed = [Path(p) for p in sealed]
        self.partial = self.out.with_name(self.out.name + PARTIAL_SUFFIX)
        self.old = self.out.with_name(self.out.name + OLD_SUFFIX)
        self.lock_path = self.out.with_name(self.out.name + LOCK_SUFFIX)
        self._lock_fd: int | None = None
        self.recovered: str | None = None  # what recover() did, for the summary

    # -- the rules, before any work ------------------------------------------------------------
    def check_path(self) -> None:
        """Refuse an ``OUT`` that is an input, contains one, or is a plain file (no lock needed)."""
        out = self.out.resolve()
        for source in self.inputs:
            src = source.resolve()
            if _same_or_inside(src, out):
                what = "is the input dataset" if src == out else f"contains the input dataset {source}"
                raise OutputError(f"{self.out}: refusing to write here: it {what}; choose another --out")
            if _same_or_inside(out, src) and self.out.exists() and not self.out.is_dir():
                raise OutputError(f"{self.out}: refusing to write here: it is a file of the input dataset")
        for folder in self.sealed:
            if _same_or_inside(out, folder.resolve()):
                raise OutputError(f"{self.out}: refusing to write here: it is inside the label set {folder}; "
                                  "choose a folder outside it")
        refuse_inside_output(self.out, ("an " if self.kind.name[0] in "aeiou" else "a ") + self.kind.name)
        if self.out.is_symlink():
            raise OutputError(f"{self.out}: refusing to write through it: it is a symbolic link; "
                              "give the folder it points to")
        if self.out.exists() and not self.out.is_dir():
            raise OutputError(f"{self.out}: refusing to replace it: it is a file, not a fovlabel "
                              f"{self.kind.name}")
        if not self.out.parent.is_dir():
            if self.out.parent.exists():
                raise OutputError(f"{self.out}: cannot write here: {self.out.parent} is not a directory")

    def check_existing(self) -> None:
        """Under the lock, after recovery: may ``OUT`` be written?"""
        if not self.out.exists():
            return
        if self.out.is_dir() and not any(self.out.iterdir()):
            return  # an empty folder made for us: nothing to lose
        reason = self.kind.why_not_own(self.out)
        inside = [s for s in self.inputs if _same_or_inside(self.out.resolve(), s.resolve())]
        if reason is not None:
            where = f" (it lies inside the input dataset {inside[0]})" if inside else ""
            raise OutputError(f"{self.out}: refusing to replace it: {reason}{where}; fovlabel replaces "
                              f"only its own {self.kind.name}s")
        if not self.overwrite:
            raise OutputExistsError(f"{self.out}: output exists; pass --overwrite to replace it")

    # -- the lock ------------------------------------------------------------------------------
    def acquire(self) -> None:
        import fcntl

        try:
            self.out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, self.out, "create its folder") from None
        while True:
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise _os_error(exc, self.out, "create its lock file " + self.lock_path.name) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise OutputBusyError(f"another fovlabel run (pid {holder}) is writing {self.out}") from None
            # The holder before us may have unlinked the file after we opened it: lock the one
            # that is at the path now, or two runs would each hold a different file.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def release(self) -> None:
        if self._lock_fd is None:
            return
        try:
            os.unlink(self.lock_path)  # while still held: nobody can hold this inode after us
        except OSError:
            pass
        os.close(self._lock_fd)
        self._lock_fd = None

    # -- recovery of an interrupted commit -----------------------------------------------------
    def partial_complete(self) -> bool:
        """True when ``OUT.partial`` holds every file of a finished output, each fovlabel's own."""
        if not self.partial.is_dir():
            return False
        return all((self.partial / name).exists() and self.kind.check_file(self.partial / name) is None
                   for name in self.kind.files)

    def recover(self) -> None:
        """Finish or undo a swap that a kill interrupted (the lock must be held)."""
        if not (self.old.exists() or self.old.is_symlink()):
            return
        empty = self.old.is_dir() and not any(self.old.iterdir())  # an empty OUT that was replaced
        if not self.old.is_dir() or (not empty and self.kind.why_not_own(self.old) is not None):
            raise OutputError(f"{self.old}: found beside {self.out.name} but it is not a fovlabel "
                              f"{self.kind.name}; move it away and run again")
        if self.out.exists():  # killed after the new output was in place: drop the old one
            shutil.rmtree(self.old)
            self.recovered = f"removed {self.old.name}, left by a run killed after its commit"
        elif self.partial_complete():  # killed between the two renames: finish the swap
            os.replace(self.partial, self.out)
            shutil.rmtree(self.old)
            self.recovered = f"finished the commit of a run killed while replacing {self.out.name}"
        else:  # the new output is not complete: put the old one back
            os.replace(self.old, self.out)
            self.recovered = f"restored {self.out.name} from {self.old.name} (a killed run was replacing it)"

    def clear_partial(self) -> None:
        """Remove the leftovers of an interrupted run that cannot be reused (they are ours)."""
        if self.partial.exists():
            self._check_partial("remove")
            shutil.rmtree(self.partial)

    def make_partial(self) -> Path:
        try:
            self.partial.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, self.out, "create " + self.partial.name) from None
        return self.partial

    def check_partial(self) -> None:
        if self.partial.exists():
            self._check_partial("use")

    def _check_partial(self, verb: str) -> None:
        """``OUT.partial`` must be an interrupted fovlabel run's folder before it is used or removed."""
        if not self.partial.is_dir():
            raise OutputError(f"{self.partial}: is a file, not an interrupted fovlabel run; move it away")
        reason = self.kind.why_not_partial(self.partial)
        if reason is not None:
            raise OutputError(f"{self.partial}: refusing to {verb} it: {reason}; move it away")

    # -- the commit ----------------------------------------------------------------------------
    def commit(self, tidy: Callable[[Path], None] | None = None) -> Path:
        """Move the complete ``OUT.partial`` into place, replacing a previous output of this kind.

        ``tidy(partial)`` removes what a finished output must not hold (plans, parts); it runs
        after the output is complete, so a kill during it leaves a partial that is reused whole.
        """
        if not self.partial_complete():
            raise OutputError(f"{self.partial}: the output is not complete; nothing was replaced")
        crash_point("complete")
        if tidy is not None:
            tidy(self.partial)
        crash_point("tidied")
        replacing = self.out.exists()
        if replacing:
            os.replace(self.out, self.old)
            crash_point("old moved aside")
        os.replace(self.partial, self.out)
        crash_point("new in place")
        if replacing:
            shutil.rmtree(self.old)
        return self.out

    def __enter__(self) -> "OutputTarget":
        self.check_path()
        self.acquire()
        try:
            self.recover()
            self.check_existing()
            self.check_partial()
        except BaseException:
            self.release()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def write_own_file(out, suffix: str, is_ours: Callable[[Path], bool], write: Callable[[Path], None], *,
                   ours: str, wrong_suffix: str, overwrite: bool = False) -> Path:
    """A single-file output (a picture, a classes table) under the same rules as a folder: the name
    must end in ``suffix`` (else ``wrong_suffix`` is the error); an existing file is replaced only
    with ``overwrite`` and only when ``is_ours(path)`` (else: "it is not <ours>"); ``write(tmp)``
    writes a temporary file that is renamed into place."""
    out = Path(out)
    if out.suffix.lower() != suffix:
        raise OutputError(f"{out}: {wrong_suffix}")
    refuse_inside_output(out, ours)
    if out.exists():
        if not overwrite:
            raise OutputExistsError(f"{out}: output exists; pass --overwrite to replace it")
        try:
            mine = is_ours(out)
        except Exception:  # noqa: BLE001 (unreadable as that kind of file: not ours either)
            mine = False
        if not mine:
            raise OutputError(f"{out}: refusing to replace it: it is not {ours}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp" + suffix)
    write(tmp)
    os.replace(tmp, out)
    return out
