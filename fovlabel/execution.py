"""How wide and where a run executes: the one setting behind ``--jobs`` and ``--scheduler``.

A run's width is one number the user gives (``jobs``); what it means at each stage is said here,
once, and every stage asks for its own meaning instead of being handed ``jobs``:

- :attr:`Execution.reader_threads`: files a reader reads at once (MSLS cities) before the
  labelling; while labelling (below) one thread reads, a group at a time;
- :attr:`Execution.prepare_threads`: threads a labeller's ``prepare`` may use (cloud3d decodes
  depth images and builds its incidence side by side); never beside the chunks' workers;
- :attr:`Execution.chunk_workers`: how many chunks are labelled at once, as the labeller's
  ``parallel`` says: joblib worker processes, threads of this process, or the labeller's own
  threads inside one chunk;
- :attr:`Execution.encode_in_background`: frames.parquet is encoded while the chunks run;
- :attr:`Execution.label_while_reading`: a group's chunks start while later groups are read
  (where the reader and the labeller allow it: fovlabel.streaming).

``scheduler``: where the chunks run: here (None), or on a Dask cluster (fovlabel.schedulers).
The output is the same for any execution.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError
from .params import Params, param


@dataclass(frozen=True)
class Execution(Params):
    """``jobs`` (>= 1) and ``scheduler`` (None, "dask-local:N" or "tcp://HOST:PORT"), checked
    (fovlabel.params: the command line's --jobs and --scheduler come from these fields)."""

    jobs: int = param(1, "How wide the run is: threads for the chunks (processes for a labeller from "
                         "outside that asks for them), for reading files and for cloud3d's depth decoding.")
    scheduler: str | None = param(None, "Where the chunks run: here (default), a local Dask cluster of N workers, "
                                        "or a running dask scheduler whose workers see the same files. The "
                                        "output is the same.")

    def validate(self) -> None:
        from .schedulers import check_scheduler

        if self.jobs < 1:
            raise ConfigError(f"jobs must be >= 1; got {self.jobs}")
        object.__setattr__(self, "scheduler", check_scheduler(self.scheduler))

    @property
    def reader_threads(self) -> int:
        return self.jobs

    @property
    def prepare_threads(self) -> int:
        return self.jobs

    @property
    def chunk_workers(self) -> int:
        return self.jobs

    @property
    def encode_in_background(self) -> bool:
        return self.jobs > 1

    @property
    def label_while_reading(self) -> bool:
        """With more than one job, here: one job reads, then labels, one thing at a time."""
        return self.jobs > 1 and self.scheduler is None
