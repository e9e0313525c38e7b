"""Shared checks for readers: load a table, demand columns, parse numbers, name the bad row.

Rows are reported 1-based as data rows; for CSV files the line in the file is given too (the
header is line 1), so that an editor jumps straight to it.
"""

from __future__ import annotations

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
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot be read as a {what}: {exc}", file=path) from None


def is_csv(path: Path) -> bool:
    return Path(path).suffix.lower() not in (".parquet", ".pq")


def row_label(path: Path, i: int) -> str:
    """1-based data row, with the file line for CSV."""
    return f"{i + 1} (line {i + 2})" if is_csv(path) else f"{i + 1}"


def require_columns(df: pd.DataFrame, columns, path: Path, what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"{what} needs columns {', '.join(columns)}; missing: {', '.join(missing)}", file=path
        )


def numeric_column(df, column, path, *, lo=None, hi=None, hi_open=False, unit=""):
    """Column as float64; the first non-numeric, NaN or out-of-range value raises InputError."""
    raw = df[column]
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
        out_of_range |= values < lo
    if hi is not None:
        out_of_range |= (values >= hi) if hi_open else (values > hi)
    if out_of_range.any():
        i = int(np.flatnonzero(out_of_range)[0])
        interval = f"[{lo:g}, {hi:g}{')' if hi_open else ']'}"
        raise InputError(
            f"value {values[i]:g}{unit} is outside {interval}"
            + (" (headings are compass degrees, not wrapped)" if hi_open else "")
            + f" ({int(out_of_range.sum())} such row(s) in the column)",
            file=path, row=row_label(path, i), column=column,
        )
    return values


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


def key_column(df, column, path):
    keys = df[column].astype(str).str.strip()
    empty = (keys == "") | df[column].isna().to_numpy()
    if empty.any():
        i = int(np.flatnonzero(np.asarray(empty))[0])
        raise InputError("key is empty", file=path, row=row_label(path, i), column=column)
    return keys.to_numpy(dtype=object)
