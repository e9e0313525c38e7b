"""Hashes of a label set's tables: the frames table's fingerprint (what the labels were computed
from, recorded in the metadata), and the data hash of a written table (TableDigest), which
verify checks."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq



def frames_fingerprint(frames: pd.DataFrame) -> str:
    """sha256 of the canonical frames table's content: what the labels were computed from.

    Each column is hashed as an exact encoding of its cells: null mask, then the values' bytes;
    text as UTF-8 with each cell's length; list cells (SfM point ids) as lengths and items.
    Unique text such as keys and image paths goes through Arrow (pandas hashes them an object
    at a time, which would be most of the fingerprint's time)."""
    digest = hashlib.sha256(",".join(map(str, frames.columns)).encode())
    for name in frames.columns:
        for piece in _column_pieces(frames[name]):
            digest.update(np.ascontiguousarray(piece).view(np.uint8))
    return "sha256:" + digest.hexdigest()


def _column_pieces(column: pd.Series):
    """Arrays that together encode a column's cells exactly (see frames_fingerprint)."""
    n = np.array([len(column)], np.int64)
    if column.dtype != object:
        if isinstance(column.dtype, pd.api.extensions.ExtensionDtype):  # nullable ints, Arrow text
            mask = column.isna().to_numpy()
            if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
                data = column.to_numpy(dtype=column.dtype.numpy_dtype, na_value=0)
                return [np.frombuffer(str(data.dtype).encode(), np.uint8), n, mask, data]
            return _TextPieces(column.to_numpy(dtype=object), [np.frombuffer(b"text", np.uint8), n, mask])
        data = column.to_numpy()
        return [np.frombuffer(data.dtype.str.encode(), np.uint8), n, data]
    values = column.to_numpy()
    mask = pd.isna(values)
    first = values[np.flatnonzero(~mask)[:64]]
    if len(first) and isinstance(first[0], (list, tuple, np.ndarray)):  # one type a column
        cells = [np.asarray(v, np.int64).ravel() for v in values[~mask]]
        lengths = np.fromiter(map(len, cells), np.int64, len(cells))
        return [np.frombuffer(b"lists", np.uint8), n, mask, lengths, *cells]
    if all(isinstance(v, str) for v in first) and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return _TextPieces(values, [np.frombuffer(b"text", np.uint8), n, mask])  # text throughout
    return [np.frombuffer(b"objects", np.uint8), n, pd.util.hash_pandas_object(column, index=False).to_numpy()]


#: rows of a text column converted to UTF-8 at once while hashing (memory: one slice, not the column)
TEXT_SLICE_ROWS = 1 << 20


class _TextPieces:
    """The pieces of a text column: ``head``, then its UTF-8 offsets from 0 (one more than its
    rows), then its UTF-8 bytes (None as empty), produced a slice of rows at a time (each slice
    is converted twice, once for its offsets, once for its bytes): the same bytes as converting
    the whole column at once, never the whole column's UTF-8 in memory. A column that turns out
    is text throughout (or null), checked before."""

    def __init__(self, values: np.ndarray, head: list):
        self.values, self.head = values, head

    def _slices(self):
        for start in range(0, len(self.values), TEXT_SLICE_ROWS):
            array = pa.array(self.values[start:start + TEXT_SLICE_ROWS], type=pa.large_string(), from_pandas=True)
            _, offsets, data = array.buffers()
            offsets = np.frombuffer(offsets, np.int64, len(array) + 1)
            yield offsets - offsets[0], data, offsets

    def __iter__(self):
        yield from self.head
        base = 0
        yield np.zeros(1, np.int64)
        for relative, _, _ in self._slices():
            yield relative[1:] + base
            base += int(relative[-1])
        for _, data, offsets in self._slices():
            if data is not None:
                yield np.frombuffer(data, np.uint8, int(offsets[-1]))[offsets[0]:]


class TableDigest:
    """A sha256 of a table's data (not its metadata), the same however its rows are split into
    tables or chunks: each column's validity, value bytes, text lengths and text bytes (and a
    list column's lengths and items) are fed, in row order, to hashers of their own, and the
    column names and those hashes make the digest."""

    def __init__(self):
        self._hashers: dict = {}

    def _hasher(self, key: str):
        hasher = self._hashers.get(key)
        if hasher is None:
            hasher = self._hashers[key] = hashlib.sha256()
        return hasher

    def update(self, table: pa.Table) -> None:
        for name, column in zip(table.column_names, table.columns):
            for chunk in column.chunks:
                self._feed(name, chunk)

    def _feed(self, key: str, array: pa.Array) -> None:
        if pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()
        valid = array.is_valid().to_numpy(zero_copy_only=False)
        self._hasher(key + "/valid").update(valid.view(np.uint8))
        kind = array.type
        if pa.types.is_list(kind) or pa.types.is_large_list(kind):
            lengths = pc.fill_null(pc.list_value_length(array), 0).to_numpy(zero_copy_only=False)
            self._hasher(key + "/lengths").update(lengths.astype(np.int64))
            self._feed(key + "/items", pc.list_flatten(array))
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind) \
                or pa.types.is_large_binary(kind):
            filled = pc.fill_null(array, "" if pa.types.is_string(kind) or pa.types.is_large_string(kind) else b"")
            lengths = pc.binary_length(filled).to_numpy(zero_copy_only=False).astype(np.int64)
            self._hasher(key + "/lengths").update(lengths)
            wide = pa.types.is_large_string(kind) or pa.types.is_large_binary(kind)
            _, offsets, data = filled.buffers()
            offsets = np.frombuffer(offsets, np.int64 if wide else np.int32)[filled.offset:filled.offset + len(filled) + 1]
            if data is not None and len(offsets):
                self._hasher(key + "/bytes").update(np.frombuffer(data, np.uint8)[offsets[0]:offsets[-1]])
        else:
            zero = False if pa.types.is_boolean(kind) else 0
            values = pc.fill_null(array, pa.scalar(zero, kind)) if array.null_count else array
            values = values.to_numpy(zero_copy_only=False)
            self._hasher(key + "/values").update(np.ascontiguousarray(values).view(np.uint8))

    def hexdigest(self) -> str:
        digest = hashlib.sha256()
        for key in sorted(self._hashers):
            digest.update(key.encode() + b"\0" + self._hashers[key].digest())
        return "sha256:" + digest.hexdigest()


def table_digest(parquet: pq.ParquetFile, batch_rows: int = 1 << 18) -> str:
    """The TableDigest of a Parquet file's data, read a batch at a time."""
    digest = TableDigest()
    for batch in parquet.iter_batches(batch_size=batch_rows):
        digest.update(pa.Table.from_batches([batch]))
    return digest.hexdigest()
