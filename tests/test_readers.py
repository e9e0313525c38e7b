"""Readers (msls, csv) and their errors: each names the file, row and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import KARLSRUHE, SAMPLE, shared, write_msls_city
from fovlabel import InputError, UnknownFormatError, read_frames
from fovlabel.geometry.geodesy import compass_to_grid_heading_deg


def test_msls_tiny_city(tiny_city):
    frames = read_frames(tiny_city, "msls")
    assert frames["frame_id"].tolist() == list(range(7))
    assert frames["role"].tolist() == ["query"] * 3 + ["database"] * 4
    assert set(frames["group"]) == {"town"} and set(frames["crs"]) == {"EPSG:32632"}
    # ca is compass from true north; the grid heading differs by the convergence (~1.1° here)
    expected = compass_to_grid_heading_deg(frames["heading_deg"], frames["lat"], frames["lon"], 32632)
    assert np.allclose(frames["grid_heading_deg"], expected)
    assert abs((frames["grid_heading_deg"].iloc[0] - frames["heading_deg"].iloc[0] + 180) % 360 - 180) > 1.0
    assert frames["source_file"].iloc[0] == "town/query/raw.csv" and frames["source_row"].iloc[0] == 1


def test_msls_layouts_train_val_test_and_single_city(tmp_path):
    rows = [("a", 11.5, 48.1, 10.0)]
    write_msls_city(tmp_path, "paris", rows, [("b", 11.5, 48.1001, 10.0)], split="train_val")
    write_msls_city(tmp_path, "tokyo", [("c", 139.7, 35.6, 0.0)], [("d", 139.7, 35.6001, 0.0)], split="test")
    frames = read_frames(tmp_path, "msls")
    assert set(frames["group"]) == {"paris", "tokyo"}
    # each city in its own UTM zone
    assert frames.groupby("group")["crs"].first().to_dict() == {"paris": "EPSG:32632", "tokyo": "EPSG:32654"}
    write_msls_city(tmp_path, "paris", rows, [("e", 11.5, 48.1001, 10.0)], split="test")
    both = read_frames(tmp_path, "msls")
    assert set(both["group"]) == {"train_val/paris", "test/paris", "tokyo"}
    single = read_frames(tmp_path / "train_val" / "paris", "msls")
    assert set(single["group"]) == {"paris"} and len(single) == 2


def test_msls_pano_frames_are_kept_but_flagged():
    frames = read_frames(SAMPLE, "msls")
    pano = frames[frames["flag"] == "pano"]
    assert len(pano) == 2 and not pano["usable"].any()
    assert frames.loc[frames["flag"].isna(), "usable"].all()


def test_csv_latlon_and_parquet_input(tmp_path):
    df = pd.DataFrame({"key": ["a", "b", "c"], "lat": [48.1, 48.1001, 48.1002],
                       "lon": [11.5, 11.5, 11.5], "heading_deg": [0.0, 90.0, 359.5],
                       "role": ["query", "database", ""], "group": ["x", "x", "y"]})
    df.to_csv(tmp_path / "f.csv", index=False)
    df.to_parquet(tmp_path / "f.parquet")
    a = read_frames(tmp_path / "f.csv", "csv")
    b = read_frames(tmp_path / "f.parquet", "csv")
    cols = ["key", "group", "role", "x_m", "y_m", "grid_heading_deg"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert a["role"].tolist() == ["query", "database", None]


def test_csv_easting_northing_with_epsg(tmp_path):
    path = shared(KARLSRUHE) / "derived_utm32_heading.csv"
    raw = pd.read_csv(path)
    table = pd.DataFrame({"key": raw["timestamp"].astype(str), "easting": raw["utm_easting"],
                          "northing": raw["utm_northing"],
                          "heading_deg": raw["heading_deg_cw_from_north"] % 360.0})
    table.to_csv(tmp_path / "k.csv", index=False)
    frames = read_frames(tmp_path / "k.csv", "csv", epsg="32632")  # as it comes from --epsg
    assert np.allclose(frames["x_m"], raw["utm_easting"]) and (frames["crs"] == "EPSG:32632").all()
    assert frames["lat"].between(48.9, 49.1).all()  # Karlsruhe
    with pytest.raises(InputError, match="easting/northing need an EPSG code"):
        read_frames(tmp_path / "k.csv", "csv")


# ---- bad input: each message is checked ----

def _city(tmp_path, query_text=None, database_text=None):
    root = tmp_path / "msls"
    for role, text in (("query", query_text), ("database", database_text)):
        folder = root / "city" / role
        folder.mkdir(parents=True)
        (folder / "raw.csv").write_text(text if text is not None else
                                        ",key,lon,lat,ca\n0,k_" + role + ",11.5,48.1,10\n")
    return root


def test_missing_column(tmp_path):
    root = _city(tmp_path, query_text=",key,lon,lat\n0,a,11.5,48.1\n")
    with pytest.raises(InputError) as err:
        read_frames(root, "msls")
    assert "MSLS raw.csv needs columns key, lon, lat, ca; missing: ca" in str(err.value)
    assert str(err.value).startswith(str(root / "city" / "query" / "raw.csv"))


@pytest.mark.parametrize(
    "line, column, reason",
    [
        ("1,b,11.5,north,10", "lat", "value is not a finite number: 'north'"),
        ("1,b,11.5,,10", "lat", "value is empty"),
        ("1,b,NaN,48.1,10", "lon", "value is NaN"),
        ("1,b,11.5,95.0,10", "lat", "value 95 is outside [-90, 90]"),
        ("1,b,11.5,48.1,nan", "ca", "value is NaN"),
        ("1,b,11.5,48.1,inf", "ca", "value is not a finite number: 'inf'"),
        ("1,b,11.5,48.1,360", "ca", "value 360° is outside [0, 360) (headings are compass degrees, not wrapped)"),
        ("1,b,11.5,48.1,-3.5", "ca", "value -3.5° is outside [0, 360)"),
    ],
)
def test_bad_values_name_file_row_and_column(tmp_path, line, column, reason):
    root = _city(tmp_path, query_text=",key,lon,lat,ca\n0,a,11.5,48.1,10\n" + line + "\n")
    with pytest.raises(InputError) as err:
        read_frames(root, "msls")
    message = str(err.value)
    assert message.startswith(f"{root / 'city' / 'query' / 'raw.csv'}, row 2 (line 3), column {column!r}: ")
    assert reason in message
    assert err.value.row == "2 (line 3)" and err.value.column == column


def test_duplicate_keys(tmp_path):
    root = _city(tmp_path, query_text=",key,lon,lat,ca\n0,same,11.5,48.1,10\n",
                 database_text=",key,lon,lat,ca\n0,other,11.5,48.1,10\n1,same,11.5,48.1,10\n")
    with pytest.raises(InputError) as err:
        read_frames(root, "msls")
    database = root / "city" / "database" / "raw.csv"
    assert f"duplicate key 'same' in group 'city': also at {database}, row 2 (line 3)" in str(err.value)
    assert str(err.value).startswith(f"{root / 'city' / 'query' / 'raw.csv'}, row 1 (line 2), column 'key'")


def test_empty_city(tmp_path):
    root = _city(tmp_path, query_text=",key,lon,lat,ca\n", database_text=",key,lon,lat,ca\n")
    with pytest.raises(InputError, match="city 'city' has no frames"):
        read_frames(root, "msls")


def test_no_city_and_unknown_format(tmp_path):
    with pytest.raises(InputError, match="no MSLS city found"):
        read_frames(tmp_path, "msls")
    with pytest.raises(UnknownFormatError, match="unknown format .kitty.; known: 7scenes, colmap, csv, kitti, msls, scannet, tbplaces, tum"):
        read_frames(tmp_path, "kitty")


def test_csv_bad_role_and_missing_position(tmp_path):
    (tmp_path / "a.csv").write_text("key,lat,lon,heading_deg,role\na,48.1,11.5,10,qurey\n")
    with pytest.raises(InputError, match=r"a.csv, row 1 \(line 2\), column 'role': role must be"):
        read_frames(tmp_path / "a.csv", "csv")
    (tmp_path / "b.csv").write_text("key,heading_deg\na,10\n")
    with pytest.raises(InputError, match="needs columns key, lat, lon, heading_deg"):
        read_frames(tmp_path / "b.csv", "csv")


def test_few_valued_string_columns_hold_one_object_a_value():
    """role, group, crs, source_file and flag repeat a handful of values over every frame: each
    distinct value is one object (8 bytes a row), with None where a frame has none."""
    from conftest import ROOT
    from fovlabel.readers import SHARED_STRINGS, read_frames

    frames = read_frames(ROOT / "sample_data" / "msls", "msls")
    for column in SHARED_STRINGS:
        values = frames[column].tolist()
        assert frames[column].dtype == object
        assert len({id(v) for v in values}) == len(set(values))  # one object per distinct value
    assert set(frames["role"]) == {"query", "database"} and frames["flag"].isna().any()
    assert all(v is None for v in frames.loc[frames["flag"].isna(), "flag"])


PLAIN_CSV = [  # (text, whether pyarrow's fast path may read it)
    ("key,lon,lat\na,11.5,48.1\nb,11.6,48.2\n", True),
    (",key,lon\n0,a,11.5\n1,b,11.6", True),  # MSLS' unnamed index column; no final newline
    ("key,lon\r\na,11.5\r\n\r\nb,-0\r\n", True),  # CRLF, a blank line, "-0"
    ("key,lon,note\na,11.5,\nb,,x y\n", True),  # empty cells, a space inside a cell
    ("key,lon\nä,1\n", True),
    ("key,lon\na, 11.5\n", False),  # a space after a delimiter: pandas drops it
    ("key,lon\na,\t11.5\n", False),
    ("key,lon\n a,11.5\n", False),
    ('key,lon\n"a,b",11.5\n', False),  # quotes
    ("\ufeffkey,lon\na,11.5\n", False),  # byte-order mark
    ("key,key\na,b\n", False),  # duplicate names: pandas renames them
    ("key, lon\na,1\n", False),
    ("key,lon\na,1,2\nb,3\n", False),  # ragged
    ("key,lon\na\n", False),
    ("key,lon\n", False),  # header only
    ("key,lon\n   \na,1\n", False),  # a line of white space
    ("key,lon\ra,1\rb,2\r", False),  # lines ending in a lone CR
]


@pytest.mark.parametrize("text, fast", PLAIN_CSV)
def test_plain_csv_fast_path_reads_the_fields_pandas_reads(tmp_path, text, fast):
    """load_table reads plain CSV files with pyarrow: cell for cell what pandas' text read gives,
    and any other file through pandas itself (so that its errors and its rules stay)."""
    from fovlabel.readers._common import _plain_csv, load_table

    path = tmp_path / "t.csv"
    path.write_bytes(text.encode())
    assert (_plain_csv(path) is not None) == fast
    try:
        expected = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (ValueError, pd.errors.ParserError):
        with pytest.raises(InputError, match="cannot be read as a"):
            load_table(path)
        return
    got = load_table(path)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_fast_numbers_match_pandas_to_numeric():
    """Numbers parsed by Arrow equal pandas' ``to_numeric`` bit for bit, or pandas parses them."""
    from fovlabel.readers._common import _fast_numbers, numeric_column

    rng = np.random.default_rng(0)
    values = rng.normal(size=5000) * 10.0 ** rng.integers(-12, 12, 5000)
    for fmt in ("%.17g", "%.9f", "%.3e", "%.0f"):
        column = pd.Series([fmt % v for v in values], dtype="str")
        fast = _fast_numbers(column)
        if fmt in ("%.17g", "%.3e"):  # (tiny values print as "-0.000000000" or "-0" in the others:
            assert fast is not None   # pandas parses such a column)
        got = numeric_column(pd.DataFrame({"v": column}), "v", "f.csv")
        expected = pd.to_numeric(column).to_numpy(np.float64)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))
    for text in (["1", "-0"], ["1", " 2"], ["1", ""], ["1", "1_0"], ["0x10"]):
        assert _fast_numbers(pd.Series(text, dtype="str")) is None  # left to pandas
    # pandas reads "-0" as +0 in a column of integers only
    for text, signs in ((["2", "-0", "-0.0"], [False, True, True]), (["2", "-0"], [False, False])):
        got = numeric_column(pd.DataFrame({"v": pd.Series(text, dtype="str")}), "v", "f.csv")
        assert np.signbit(got).tolist() == signs


def test_msls_cities_read_in_threads_give_the_same_table(tmp_path):
    """annotate --jobs N reads N MSLS cities at once: the same frames table, and the same first
    error (that of the first bad city in order, whichever thread meets its own first)."""
    for i in range(5):  # cities in different UTM zones, of different sizes
        lon, n = -3.0 + 6.0 * i, 40 + 7 * i
        q = [(f"q{k}", lon + 1e-5 * k, 48.1 + 1e-5 * k, (7.0 * k) % 360) for k in range(n)]
        d = [(f"d{k}", lon - 1e-5 * k, 48.1 + 2e-5 * k, (11.0 * k) % 360) for k in range(n + 3)]
        write_msls_city(tmp_path / "set", f"city{i}", q, d)
    serial = read_frames(tmp_path / "set", "msls")
    assert serial["group"].nunique() == 5
    pd.testing.assert_frame_equal(read_frames(tmp_path / "set", "msls", threads=3), serial, check_exact=True)
    for bad in (1, 3):
        raw = tmp_path / "set" / f"city{bad}" / "query" / "raw.csv"
        lines = raw.read_text().splitlines()
        lines[2] = lines[2].rsplit(",", 1)[0] + ",north"
        raw.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as one:
        read_frames(tmp_path / "set", "msls")
    with pytest.raises(InputError) as three:
        read_frames(tmp_path / "set", "msls", threads=3)
    assert str(three.value) == str(one.value) and "city1" in str(one.value)
    with pytest.raises(UnknownFormatError, match="does not take option.s. bogus; it takes: epsg$"):
        read_frames(tmp_path / "set", "msls", bogus=1)  # threads is not one of the reader's options


def test_the_same_key_in_two_groups_is_allowed(tmp_path):
    rows = [("k0", 11.5, 48.1, 0.0), ("k1", 11.5, 48.1001, 90.0)]
    for city in ("a", "b"):
        write_msls_city(tmp_path / "set", city, rows, [("d0", 11.5, 48.1, 0.0)])
    frames = read_frames(tmp_path / "set", "msls")
    assert frames.groupby("group")["key"].apply(list).to_dict() == {"a": ["k0", "k1", "d0"], "b": ["k0", "k1", "d0"]}
