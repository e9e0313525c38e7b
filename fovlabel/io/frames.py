"""The frames table as a label set holds it: encoded for frames.parquet and decoded back into the
canonical in-memory table, and frames found by what a user types (a key or a frame id)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import ConfigError
from ..schema import FRAMES_SCHEMA, frames_file_schema


def frame_index(frames, name) -> int:
    """A frame by key (a string) or by frame id (an int, or digits that are no key)."""
    if isinstance(name, (int, np.integer)):
        if 0 <= int(name) < len(frames):
            return int(name)
        raise ConfigError(f"no frame with id {name} in this label set")
    keys = frames["key"].astype(str)
    hit = np.flatnonzero(keys.to_numpy() == str(name))
    if len(hit) == 1:
        return int(hit[0])
    if len(hit) > 1:
        raise ConfigError(f"key {name!r} names {len(hit)} frames (one per group); give the frame id")
    if str(name).isdigit() and int(name) < len(frames):
        return int(name)
    raise ConfigError(f"no frame with key or frame id {name!r} in this label set")


def frames_to_arrow(frames: pd.DataFrame, metadata=None, schema=None) -> pa.Table:
    """frames.parquet's table: the core and the column groups present (schema.frames_file_schema;
    ``schema``: that of the whole table, for a slice of it)."""
    schema = frames_file_schema(frames) if schema is None else schema
    table = pa.Table.from_pandas(frames[schema.names], schema=schema, preserve_index=False)
    return table.replace_schema_metadata({} if metadata is None else metadata.schema_metadata())


def canonical_frames(table: pa.Table) -> pd.DataFrame:
    """A frames.parquet table (only its groups, or version 1's every column) as the canonical
    in-memory frames table: every column of FRAMES_SCHEMA, the absent ones null."""
    frames = table.to_pandas()
    for f in FRAMES_SCHEMA:
        if f.name not in frames.columns:
            frames[f.name] = pa.nulls(len(frames), f.type).to_pandas()
    return frames[FRAMES_SCHEMA.names]
