"""Shared checks for readers: load a table, demand columns, parse numbers, name the bad row.

Rows are reported 1-based as data rows; for CSV files the line in the file where the record
starts is given too (the header is line 1), so that an editor jumps straight to it. Blank lines
and quoted fields that span lines are counted as they are in the file.
"""

from __future__ import annotations

import csv
import functools
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError


def load_table(path: Path, *, what: str = "table") -> pd.DataFrame:
    """Read a CSV or Parquet file with every column as text (CSV) so that checks see raw values."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found", file=path)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        fast = _plain_csv(path)
        if fast is not None:
            return fast
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot be read as a {what}: {exc}", file=path) from None


def _plain_csv(path: Path) -> pd.DataFrame | None:
    """A plain CSV file read by pyarrow (much faster than pandas' parser), or None.

    Plain: no quotes, no white space after a delimiter or at the start of a line, no byte-order
    mark, UTF-8, a header of distinct names and the same number of fields in every record. There
    pyarrow finds exactly the fields of pandas' ``read_csv(dtype=str, keep_default_na=False,
    skipinitialspace=True)`` (tested); anything else, every malformed file included, goes to
    pandas, whose messages name the row."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    data = path.read_bytes()
    if not data or b'"' in data or data[:1].isspace() or data.startswith(b"\xef\xbb\xbf"):
        return None
    if (b" " in data or b"\t" in data) and any(  # (the two scans above and here run at memchr speed)
            s in data for s in (b", ", b",\t", b"\n ", b"\n\t", b"\r ", b"\r\t")):
        return None
    end = data.find(b"\n")
    line = data[:end if end >= 0 else len(data)].rstrip(b"\r")
    if b"\r" in line:  # lines that end in a lone CR: pandas' rules, not a guess at the header here
        return None
    header = line.split(b",")
    text = [h.decode("utf-8", "replace") for h in header]
    names = [t or f"Unnamed: {i}" for i, t in enumerate(text)]  # pandas' name for an empty one
    if len(set(names)) != len(names) or any(t != t.strip() for t in text):
        return None  # pandas renames duplicates and strips names
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(use_threads=False, skip_rows=1, column_names=names),
            parse_options=pacsv.ParseOptions(quote_char=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows == 0 or table.column_names != names:
        return None
    return table.to_pandas()


def is_csv(path: Path) -> bool:
    return Path(path).suffix.lower() not in (".parquet", ".pq")


@functools.lru_cache(maxsize=16)
def _record_lines(path: str, mtime_ns: int, size: int) -> tuple:
    """1-based line on which each data record of a CSV file starts, as pandas counts records
    (lines that are empty or only white space are skipped; the header is not a record)."""
    starts = []
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.reader(f, skipinitialspace=True)
        end = 0
        for record in reader:
            start, end = end + 1, reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            starts.append(start)
    return tuple(starts[1:])


def record_line(path: Path, i: int) -> int | None:
    """The line of data record ``i`` (0-based) of a CSV file, or None where it cannot be told."""
    try:
        st = os.stat(path)
        lines = _record_lines(str(path), st.st_mtime_ns, st.st_size)
    except (OSError, csv.Error):
        return None
    return lines[i] if 0 <= i < len(lines) else None


def row_label(path: Path, i: int) -> str:
    """1-based data row, with the file line for CSV."""
    if not is_csv(path):
        return f"{i + 1}"
    line = record_line(path, i)
    return f"{i + 1}" if line is None else f"{i + 1} (line {line})"


def require_columns(df: pd.DataFrame, columns, path: Path, what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"{what} needs columns {', '.join(columns)}; missing: {', '.join(missing)}", file=path
        )


def numeric_column(df, column, path, *, lo=None, hi=None, hi_open=False, lo_open=False, unit=""):
    """Column as float64; the first non-numeric, NaN or out-of-range value raises InputError.

    ``lo``/``hi``: closed bounds unless ``lo_open``/``hi_open``."""
    raw = df[column]
    values = _fast_numbers(raw)
    if values is None:
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        text = str(raw.iloc[i])
        if text.strip() in ("", "None", "<NA>"):
            reason = "is empty"
        elif text.strip().lower() == "nan":
            reason = "is NaN"
        else:
            reason = f"is not a finite number: {text!r}"
        raise InputError(
            f"value {reason} ({int(bad.sum())} such row(s) in the column)",
            file=path, row=row_label(path, i), column=column,
        )
    out_of_range = np.zeros(values.shape, bool)
    if lo is not None:
        out_of_range |= (values <= lo) if lo_open else (values < lo)
    if hi is not None:
        out_of_range |= (values >= hi) if hi_open else (values > hi)
    if out_of_range.any():
        i = int(np.flatnonzero(out_of_range)[0])
        if hi is None:
            rule = f"must be {'>' if lo_open else '>='} {lo:g}"
        else:
            rule = (f"is outside {'(' if lo_open else '['}{'-inf' if lo is None else f'{lo:g}'}, "
                    f"{hi:g}{')' if hi_open else ']'}")
        raise InputError(
            f"value {values[i]:g}{unit} {rule}"
            + (" (headings are compass degrees, not wrapped)" if hi_open else "")
            + f" ({int(out_of_range.sum())} such row(s) in the column)",
            file=path, row=row_label(path, i), column=column,
        )
    return values


def _fast_numbers(raw: pd.Series) -> np.ndarray | None:
    """Text cells as float64 through Arrow's parser (much faster than ``to_numeric``), or None when
    the column is not Arrow text or a cell is not a plain number (pandas then names the cell)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (isinstance(raw.dtype, pd.StringDtype) and raw.dtype.storage == "pyarrow"):
        return None
    try:
        values = pc.cast(pa.array(raw.array), pa.float64()).to_numpy()  # (no copy of the text)
    except (pa.ArrowException, ValueError):
        return None
    # pandas reads "-0" as the integer 0 (+0.0), Arrow as -0.0: such a column goes to pandas
    return None if np.signbit(values[values == 0]).any() else values


def heading_column(df, column, path):
    """Compass heading in [0, 360): NaN and values outside are errors, never silently wrapped."""
    return numeric_column(df, column, path, lo=0.0, hi=360.0, hi_open=True, unit="°")


def bool_column(df, column, path, default=False):
    if column not in df.columns:
        return np.full(len(df), default, bool)
    text = df[column].astype(str).str.strip().str.lower()
    truthy = text.isin(["true", "1", "yes"])
    falsy = text.isin(["false", "0", "no", ""])
    bad = ~(truthy | falsy)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"expected true/false, got {df[column].iloc[i]!r}",
            file=path, row=row_label(path, i), column=column,
        )
    return truthy.to_numpy()


def _blank(series: pd.Series) -> np.ndarray:
    text = series.astype(str).str.strip()
    return (series.isna() | text.isin(["", "None", "nan", "<NA>"])).to_numpy()


def path_column(df, column, path):
    """A column of relative file paths: every row must name a file (an empty cell is an error)."""
    empty = _blank(df[column])
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise InputError(f"{column} is empty ({int(empty.sum())} such row(s)); every row needs a file",
                         file=path, row=row_label(path, i), column=column)
    return df[column].astype(str).str.strip().to_numpy(dtype=object)


def key_column(df, column, path):
    keys = df[column].astype(str).str.strip()
    empty = (keys == "") | df[column].isna().to_numpy()
    if empty.any():
        i = int(np.flatnonzero(np.asarray(empty))[0])
        raise InputError("key is empty", file=path, row=row_label(path, i), column=column)
    return keys.to_numpy(dtype=object)


def check_in_crs_area(lat, lon, epsg, path, rows, columns: str) -> None:
    """Refuse a point far outside the projected CRS's area of use, naming its row.

    ``rows``: the data-row index (0-based) of each point in ``path``; ``columns``: what to name.
    """
    from ..geometry.geodesy import AREA_MARGIN_DEG, area_text, outside_area_deg

    out = outside_area_deg(lat, lon, epsg)
    bad = out > AREA_MARGIN_DEG
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = ("the position does not map to a finite latitude/longitude in" if not np.isfinite(out[i])
                 else f"lat {lat[i]:.6f}, lon {lon[i]:.6f} lies {out[i]:.0f}° outside the area of")
        raise InputError(f"{where} {area_text(epsg)} ({int(bad.sum())} such row(s)); "
                         "wrong CRS (--epsg) or a wrong value", file=path,
                         row=row_label(path, int(rows[i])), column=columns)


def project_latlon(frames: pd.DataFrame, epsg=None):
    """Fill ``x_m, y_m`` of one group from its ``lat, lon`` (in ``epsg``, else the UTM zone of the
    group's median point); returns the CRS code used."""
    from ..geometry.geodesy import latlon_to_metric

    x, y, code = latlon_to_metric(frames["lat"].to_numpy(), frames["lon"].to_numpy(), epsg)
    frames["x_m"], frames["y_m"] = x, y
    return code


def add_grid(frames: pd.DataFrame, code) -> None:
    """Fill ``crs`` and ``grid_heading_deg`` of one group: the compass heading corrected by the
    meridian convergence at each point (geometry.geodesy)."""
    from ..geometry.geodesy import compass_to_grid_heading_deg, crs_name

    frames["crs"] = crs_name(code)
    frames["grid_heading_deg"] = compass_to_grid_heading_deg(
        frames["heading_deg"].to_numpy(), frames["lat"].to_numpy(), frames["lon"].to_numpy(), code)
