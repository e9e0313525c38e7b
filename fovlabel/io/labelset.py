"""Label sets on disk: a directory holding ``frames.parquet`` and ``pairs.parquet``.

Both files carry the same JSON metadata under the ``fovlabel`` key of the Parquet schema metadata:
schema version, fovlabel version, labeller, every parameter, the input's path, format and
fingerprint, per-group modes and the counts. Plain Parquet: pandas, pyarrow, polars and duckdb
read the files as they are.

Writing is atomic and resumable. Work goes to ``<out>.partial/``: one Parquet part per chunk,
each written under a temporary name and renamed, beside ``plan.json`` (what the parts were made
from). A run that is killed leaves the partial folder; the next run with the same input and config
reuses the finished parts and yields the same label set as an uninterrupted run. At the end the
parts are streamed into ``pairs.parquet`` and the folder is renamed to ``<out>``. An existing
``<out>`` is refused unless ``overwrite``; it is only replaced once the new set is complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import LabelSetError, OutputExistsError
from ..schema import FRAMES_SCHEMA, METADATA_KEY, PAIRS_SCHEMA, SCHEMA_VERSION

FRAMES_FILE = "frames.parquet"
PAIRS_FILE = "pairs.parquet"


def frames_fingerprint(frames: pd.DataFrame) -> str:
    """sha256 of the canonical frames table's content: what the labels were computed from."""
    # list cells (SfM point ids) are hashed as tuples: pandas hashes only hashable objects
    listy = [c for c in frames.columns if frames[c].map(lambda v: isinstance(v, (list, np.ndarray))).any()]
    frames = frames.assign(**{c: frames[c].map(lambda v: None if v is None else tuple(v)) for c in listy})
    hashed = pd.util.hash_pandas_object(frames, index=False).to_numpy()
    digest = hashlib.sha256(hashed.tobytes())
    digest.update(",".join(frames.columns).encode())
    return "sha256:" + digest.hexdigest()


def frames_to_arrow(frames: pd.DataFrame, metadata: dict | None = None) -> pa.Table:
    table = pa.Table.from_pandas(frames, schema=FRAMES_SCHEMA, preserve_index=False)
    return table.replace_schema_metadata(_schema_metadata(metadata))


def _schema_metadata(metadata: dict | None) -> dict:
    return {} if metadata is None else {METADATA_KEY: json.dumps(metadata, sort_keys=True).encode()}


def _atomic_write_table(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


class LabelSetWriter:
    """Writes one label set through a resumable ``<out>.partial`` folder (see module docstring)."""

    def __init__(self, out, plan: dict, *, overwrite: bool = False, pairs_schema: pa.Schema = PAIRS_SCHEMA):
        self.out = Path(out)
        self.pairs_schema = pairs_schema
        if self.out.exists() and not overwrite:
            raise OutputExistsError(f"{self.out}: output exists; pass --overwrite to replace it")
        self.overwrite = overwrite
        self.partial = self.out.with_name(self.out.name + ".partial")
        self.parts = self.partial / "parts"
        plan_text = json.dumps(plan, sort_keys=True)
        plan_file = self.partial / "plan.json"
        if self.partial.exists():
            same = plan_file.is_file() and plan_file.read_text() == plan_text
            if not same:  # another run's leftovers: not ours to reuse
                shutil.rmtree(self.partial)
        self.parts.mkdir(parents=True, exist_ok=True)
        if not plan_file.is_file():
            plan_file.write_text(plan_text)

    def _part(self, index: int) -> Path:
        return self.parts / f"part-{index:06d}.parquet"

    def has_part(self, index: int) -> bool:
        return self._part(index).is_file()

    def write_part(self, index: int, table: pa.Table) -> None:
        _atomic_write_table(table, self._part(index))

    def read_part(self, index: int) -> pa.Table:
        return pq.read_table(self._part(index), schema=self.pairs_schema)

    def commit(self, frames: pd.DataFrame, n_parts: int, metadata: dict) -> Path:
        """Stream the parts into pairs.parquet, write frames.parquet, and move the set into place."""
        schema = self.pairs_schema.with_metadata(_schema_metadata(metadata))
        pairs_tmp = self.partial / (PAIRS_FILE + ".tmp")
        with pq.ParquetWriter(pairs_tmp, schema) as writer:
            for index in range(n_parts):
                if self.has_part(index):
                    for batch in pq.ParquetFile(self._part(index)).iter_batches():
                        writer.write_batch(batch)
        os.replace(pairs_tmp, self.partial / PAIRS_FILE)
        _atomic_write_table(frames_to_arrow(frames, metadata), self.partial / FRAMES_FILE)
        shutil.rmtree(self.parts)
        (self.partial / "plan.json").unlink()
        old = None
        if self.out.exists():
            old = self.out.with_name(self.out.name + f".old-{os.getpid()}")
            os.replace(self.out, old)
        os.replace(self.partial, self.out)
        if old is not None:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        return self.out


def read_metadata(path) -> dict:
    """The JSON metadata of a label set (or of one of its Parquet files), validated."""
    path = Path(path)
    file = path / PAIRS_FILE if path.is_dir() else path
    if not path.exists():
        raise LabelSetError(f"{path}: no such label set")
    if not file.is_file():
        raise LabelSetError(f"{path}: not a label set: {PAIRS_FILE} is missing")
    raw = (pq.read_schema(file).metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise LabelSetError(f"{file}: no '{METADATA_KEY.decode()}' metadata; not written by fovlabel")
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LabelSetError(f"{file}: '{METADATA_KEY.decode()}' metadata is not JSON: {exc}") from None
    missing = [k for k in ("schema_version", "fovlabel_version", "labeller", "config", "input")
               if k not in meta]
    if missing:
        raise LabelSetError(f"{file}: metadata lacks {', '.join(missing)}")
    if meta["schema_version"] != SCHEMA_VERSION:
        raise LabelSetError(f"{file}: schema version {meta['schema_version']}; this fovlabel reads "
                            f"version {SCHEMA_VERSION}")
    return meta


def read_label_frames(path) -> pd.DataFrame:
    """The frames table of a label set."""
    path = Path(path)
    read_metadata(path)
    file = path / FRAMES_FILE
    if not file.is_file():
        raise LabelSetError(f"{path}: not a label set: {FRAMES_FILE} is missing")
    return pq.read_table(file).to_pandas()


def read_pairs(path, with_keys: bool = False) -> pd.DataFrame:
    """Read a label set's pairs table (validating its metadata).

    ``with_keys``: add ``group``, ``key_a`` and ``key_b`` from the frames table, so that each row
    names its images without the source dataset. The metadata is in ``df.attrs["fovlabel"]``.
    """
    path = Path(path)
    meta = read_metadata(path)
    table = pq.read_table(path / PAIRS_FILE if path.is_dir() else path)
    missing = [f.name for f in PAIRS_SCHEMA if f.name not in table.column_names]
    if missing:
        raise LabelSetError(f"{path}: pairs table lacks columns {', '.join(missing)}")
    pairs = table.to_pandas()
    if with_keys:
        frames = read_label_frames(path)[["frame_id", "key", "group"]].set_index("frame_id")
        pairs.insert(0, "group", frames["group"].reindex(pairs["frame_a"]).to_numpy())
        pairs.insert(3, "key_a", frames["key"].reindex(pairs["frame_a"]).to_numpy())
        pairs.insert(4, "key_b", frames["key"].reindex(pairs["frame_b"]).to_numpy())
    pairs.attrs["fovlabel"] = meta
    return pairs
