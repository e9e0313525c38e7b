"""What a label set on disk is: its folder's files, the partial folder's, and the output kind
(io.output) that says which folder is a label set fovlabel may replace.

A label set is a directory holding ``pairs.parquet`` and ``_frames/frames.parquet`` (older sets:
``frames.parquet`` beside the pairs, still read). Both files carry the same JSON metadata under the
``fovlabel`` key of the Parquet schema metadata (io.metadata). While a run writes, its work is in
``<out>.partial/``: ``plan.json``, ``parts/`` and the labeller's ``spill/`` (io.parts).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..schema import METADATA_KEY
from .output import OutputKind
from .paths import PLOTS_DIR


#: the frames table lies in a folder of its own: a whole-folder read (pandas or pyarrow.dataset on
#: the label set's folder, which skip names starting with "_", or a glob such as duckdb's
#: 'labels/x/*.parquet') gets the pairs table alone, never the two tables mixed into one
FRAMES_DIR = "_frames"
FRAMES_FILE = f"{FRAMES_DIR}/frames.parquet"
#: where label sets written before fovlabel 0.3 keep it (still read)
LEGACY_FRAMES_FILE = "frames.parquet"
PAIRS_FILE = "pairs.parquet"
PLAN_FILE = "plan.json"
PARTS_DIR = "parts"
#: the labeller's spilled state (the 3D voxel sets) while a run labels; never in a finished set
SPILL_DIR = "spill"


def _plots_problem(path: Path) -> str | None:
    """None when ``path`` holds only pictures fovlabel drew (annotate --plots)."""
    from PIL import Image

    if not path.is_dir():
        return "is not a folder"
    for p in path.iterdir():
        try:
            with Image.open(p) as im:
                ours = str(im.info.get("Software", "")).startswith("fovlabel")
        except Exception:  # noqa: BLE001 (not an image: not ours)
            ours = False
        if not ours:
            return f"holds {p.name}, which fovlabel did not draw"
    return None


def frames_file(folder: Path) -> Path:
    """The frames table of the label set in ``folder``: FRAMES_FILE, or where an older set keeps
    it (LEGACY_FRAMES_FILE); FRAMES_FILE where neither is (the reader then says it is missing)."""
    legacy = folder / LEGACY_FRAMES_FILE
    return legacy if not (folder / FRAMES_FILE).exists() and legacy.exists() else folder / FRAMES_FILE


def _label_set_file_problem(path: Path) -> str | None:
    """None when ``path`` is a Parquet file carrying fovlabel's metadata (or the plots folder of
    annotate --plots, or the frames folder holding only the frames table), else what is wrong."""
    if path.name == PLOTS_DIR:
        return _plots_problem(path)
    if path.name == FRAMES_DIR:
        if not path.is_dir():
            return "is not a folder"
        names = sorted(p.name for p in path.iterdir())
        if names != [Path(FRAMES_FILE).name]:
            return f"holds {', '.join(names) or 'nothing'}, not only {Path(FRAMES_FILE).name}"
        return _label_set_file_problem(path / Path(FRAMES_FILE).name)
    if not path.is_file():
        return "is not a file"
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (pa.ArrowException, OSError):
        return "is not a readable Parquet file"
    return None if METADATA_KEY in metadata else "has no fovlabel metadata"


#: What a label set on disk is, for the output rules of io.output.
LABEL_SET = OutputKind(
    name="label set",
    files=frozenset({FRAMES_DIR, PAIRS_FILE}),
    check_file=_label_set_file_problem,
    partial_files=frozenset({PLAN_FILE, PARTS_DIR, SPILL_DIR}),
    optional=frozenset({PLOTS_DIR, LEGACY_FRAMES_FILE}),  # an older set, replaced by --overwrite
)
