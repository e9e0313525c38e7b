"""Parquet files written as their rows come: the finished files of a label set (FinishedStream:
byte for byte one ``write_table`` of all the rows), and the options of finished files and parts."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .fingerprint import TableDigest


ROW_GROUP_ROWS = 1 << 20  # pyarrow's default for one write_table

#: the finished files carry a CRC32 checksum a page (Parquet's page checksums): every reader
#: verifies the pages it decodes (_open_parquet), so a flipped byte is an error, never a value
FINISHED_OPTIONS = {"write_page_checksum": True}


def _atomic_write_table(table: pa.Table, path: Path, **options) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, **options)
    os.replace(tmp, path)


#: parts are read only by a resumed run (and a correspondence set's assembly): written fast (no
#: dictionaries, lz4), not small
PART_OPTIONS = {"compression": "lz4", "use_dictionary": False}


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """The columns worth dictionary-encoding: the integer ones (frame ids, ranks, counts repeat
    a lot; float overlaps and distances hardly ever do, and trying costs time and bytes)."""
    return [f.name for f in schema if pa.types.is_integer(f.type)]


class FinishedStream:
    """A finished Parquet file written as its rows come, in order, under a temporary name.

    Row groups of ``row_group_rows`` (default ROW_GROUP_ROWS) rows whatever the sizes of the tables
    written, so the file is as compact as one ``write_table`` of all its rows and the same for any
    chunk size or --jobs. The schema metadata (the counts, known only at the end) is given to
    :meth:`close`: it goes into the footer, both as the file's key-value metadata and inside the stored Arrow schema
    (``ARROW:schema``, the base64 IPC schema that pyarrow restores the schema and its metadata
    from). The file is then byte for byte what one ``pq.write_table`` of all its rows with that
    schema writes (tests/test_labelset.py pins it).
    """

    def __init__(self, path: Path, schema: pa.Schema, use_dictionary=None, row_group_rows: int | None = None):
        """``use_dictionary``: as pyarrow's (default: :func:`dictionary_columns`)."""
        self.path = path
        self.row_group_rows = ROW_GROUP_ROWS if row_group_rows is None else int(row_group_rows)
        self.schema = schema.remove_metadata()
        self.rows = 0
        self._buffer: list = []
        self._buffered = 0
        if use_dictionary is None:
            use_dictionary = dictionary_columns(self.schema)
        #: the hash of the data written so far (TableDigest): recorded in the label set's metadata
        self.digest = TableDigest()
        try:
            self._writer = pq.ParquetWriter(path, self.schema, use_dictionary=use_dictionary,
                                            **FINISHED_OPTIONS)
        except BaseException:  # it may have made the file (a full disk refuses its first bytes)
            path.unlink(missing_ok=True)
            raise

    def write(self, table: pa.Table, last: bool = False) -> None:
        """Add ``table``'s rows; ``last``: no rows follow, write the last row group now (the file
        then holds no rows in memory until :meth:`close`)."""
        if table.num_rows == 0 and not last:
            return
        table = table.cast(self.schema) if table.schema != self.schema else table
        self.digest.update(table)
        self._buffer.append(table)
        self._buffered += table.num_rows
        self.rows += table.num_rows
        size = self.row_group_rows
        while self._buffered >= size:
            whole = pa.concat_tables(self._buffer)
            self._writer.write_table(whole.slice(0, size), row_group_size=size)
            rest = whole.slice(size)
            self._buffer, self._buffered = [rest], rest.num_rows
        if last:
            self._flush()

    def _flush(self) -> None:
        if self._buffered:
            self._writer.write_table(pa.concat_tables(self._buffer), row_group_size=self.row_group_rows)
        self._buffer, self._buffered = [], 0

    def close(self, schema: pa.Schema) -> int:
        """Write the last row group and the footer with ``schema``'s metadata; the rows written."""
        self._flush()
        if schema.remove_metadata() != self.schema:
            raise ValueError(f"{self.path}: closed with another schema than it was written with")
        metadata = {k.decode(): v.decode() for k, v in (schema.metadata or {}).items()}
        # the stored Arrow schema is the one with the metadata: what write_table would have stored
        metadata["ARROW:schema"] = base64.b64encode(schema.serialize().to_pybytes()).decode("ascii")
        self._writer.add_key_value_metadata(metadata)
        self._writer.close()
        return self.rows

    def abort(self) -> None:
        """Close and remove the unfinished file (after a failure)."""
        try:
            self._writer.close()
        except Exception:  # the failure being handled is the one that matters
            pass
        self.path.unlink(missing_ok=True)
