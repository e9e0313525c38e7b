"""What a label set on disk is: its folder's files, the partial folder's, and the output kind
(io.output) that says which folder is a label set fovlabel may replace.

A label set is a directory holding ``frames.parquet`` and ``pairs.parquet``. Both files carry the
same JSON metadata under the ``fovlabel`` key of the Parquet schema metadata (io.metadata).
While a run writes, its work is in ``<out>.partial/``: ``plan.json``, ``parts/`` and the labeller's
``spill/`` (io.parts).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..schema import METADATA_KEY
from .output import OutputKind
from .paths import PLOTS_DIR


FRAMES_FILE = "frames.parquet"
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


def _label_set_file_problem(path: Path) -> str | None:
    """None when ``path`` is a Parquet file carrying fovlabel's metadata (or the plots folder of
    annotate --plots), else what is wrong."""
    if path.name == PLOTS_DIR:
        return _plots_problem(path)
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
    files=frozenset({FRAMES_FILE, PAIRS_FILE}),
    check_file=_label_set_file_problem,
    partial_files=frozenset({PLAN_FILE, PARTS_DIR, SPILL_DIR}),
    optional=frozenset({PLOTS_DIR}),
)
