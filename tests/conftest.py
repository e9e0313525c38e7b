"""Shared fixtures: the real recordings in ../shared/data, and small MSLS trees made in memory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
MUNICH = SHARED / "gps_heading" / "munich_4seasons" / "derived" / "msls_like"
KARLSRUHE = SHARED / "gps_heading" / "karlsruhe_utm_robot"
SAMPLE = ROOT / "sample_data" / "msls"

sys.path.insert(0, str(Path(__file__).parent))  # tests/naive.py


def cli(*args):
    """Run the ``fovlabel`` command in-process (click's CliRunner); arguments may be paths."""
    from click.testing import CliRunner

    from fovlabel.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def error_line(result) -> str:
    """The one error line of a failed command: everything else it printed is progress
    ("fovlabel: <phase>: ..." on stderr), and the error is the last line."""
    lines = result.output.strip().splitlines()
    assert lines and lines[-1].startswith("error: "), result.output
    assert all(line.startswith("fovlabel: ") for line in lines[:-1]), result.output
    return lines[-1]


def snapshot(path: Path) -> dict:
    """Every file below ``path`` (or the file itself) with its bytes: to show nothing changed."""
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def shared(path: Path) -> Path:
    """A recording from ../shared/data, or skip the test saying which folder is absent."""
    if not path.exists():
        pytest.skip(f"real-data test skipped: {path} is absent (../shared/data is not beside the project)")
    return path


RAW_HEADER = ",key,lon,lat,ca,captured_at,pano"


def write_msls_city(root: Path, city: str, query_rows, database_rows, split: str | None = None):
    """Write <root>/[split/]<city>/{query,database}/raw.csv from rows (key, lon, lat, ca)."""
    base = root / split / city if split else root / city
    for role, rows in (("query", query_rows), ("database", database_rows)):
        if rows is None:
            continue
        folder = base / role
        folder.mkdir(parents=True, exist_ok=True)
        lines = [RAW_HEADER]
        for i, (key, lon, lat, ca) in enumerate(rows):
            lines.append(f"{i},{key},{lon},{lat},{ca},{1600000000000 + i},False")
        (folder / "raw.csv").write_text("\n".join(lines) + "\n")
    return base


@pytest.fixture
def tiny_city(tmp_path):
    """An MSLS root with one city: 3 queries and 4 database frames along a street heading north."""
    q = [("q0", 11.5, 48.1, 0.0), ("q1", 11.5, 48.1002, 0.0), ("q2", 11.5, 48.1004, 180.0)]
    d = [("d0", 11.5, 48.10001, 0.0), ("d1", 11.5, 48.10021, 0.0), ("d2", 11.5, 48.10041, 0.0),
         ("d3", 11.5, 48.2, 0.0)]
    write_msls_city(tmp_path / "msls", "town", q, d)
    return tmp_path / "msls"
