"""One way to declare a parameter (fovlabel.params): labellers' parameters, readers' and
exporters' options, the run settings and the correspondence settings are frozen dataclasses of
``param(default, help)`` fields; types are checked from the annotations, and every command-line
flag and its help come from the declarations alone."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd
import pytest

from conftest import SAMPLE, cli
from fovlabel import ConfigError
from fovlabel.config import RunSettings
from fovlabel.correspondences import CorrespondenceParams
from fovlabel.execution import Execution
from fovlabel.exporters import EXPORTERS, get_exporter
from fovlabel.labellers import LABELLERS, get_labeller
from fovlabel.params import Params, param
from fovlabel.readers import READERS, Reader, ReaderOptions, get_reader, read_frames, register_reader


def _every_declaration():
    yield "run", RunSettings
    yield "execution", Execution
    yield "correspondences", CorrespondenceParams
    for name in LABELLERS:
        yield name, get_labeller(name).Params
    for name in READERS:
        yield name, get_reader(name).Options
    for name in EXPORTERS:
        yield name, get_exporter(name).Options


def test_every_parameter_set_is_declared_one_way_with_help():
    for owner, cls in _every_declaration():
        assert issubclass(cls, Params), owner
        for f in dataclasses.fields(cls):
            assert f.metadata.get("help"), f"{owner}.{f.name} has no help"


@pytest.mark.parametrize("cls, name, value, message", [
    (RunSettings, "positive", "0.5", "positive must be a number; got the string '0.5'"),
    (RunSettings, "keep_zero", 1, "keep_zero must be true or false; got int 1"),
    (CorrespondenceParams, "per_pair", 2.0, "per_pair must be a whole number; got float 2.0"),
    (CorrespondenceParams, "by", 3, "by must be a string; got int 3"),
    (get_reader("tum").Options, "clip", "yes", "clip must be true or false; got the string 'yes'"),
    (get_reader("csv").Options, "epsg", 2.5, "epsg must be a whole number or a string; got float 2.5"),
])
def test_types_come_from_the_annotations(cls, name, value, message):
    with pytest.raises(ConfigError, match=f"^{message}$"):
        cls(**{name: value})
    assert cls().__getattribute__(name) == dataclasses.fields(cls)[cls.names().index(name)].default


def test_an_int_is_a_float_and_nothing_else_is_converted():
    assert CorrespondenceParams(min_overlap=1).min_overlap == 1.0
    assert isinstance(CorrespondenceParams(min_overlap=1).min_overlap, float)
    assert get_reader("csv").Options(epsg=32632).epsg == 32632
    assert get_reader("csv").Options(epsg="32632").epsg == "32632"


def test_every_flag_and_its_help_come_from_the_declarations():
    annotate = cli("annotate", "--help").output
    for owner, cls in _every_declaration():
        if owner in EXPORTERS or owner == "correspondences":
            continue
        for name in cls.names():
            assert "--" + name.replace("_", "-") in annotate, (owner, name)
    corr = " ".join(cli("correspondences", "--help").output.split())
    for f in dataclasses.fields(CorrespondenceParams):
        flag = "--" + f.name.replace("_", "-")
        assert flag in corr and " ".join(f.metadata["help"].split()) in corr, f.name
        assert f"[default: {f.default}]" in corr  # the defaults are shown, from the declaration
    export = " ".join(cli("export", "--help").output.split())
    for name in EXPORTERS:
        for f in dataclasses.fields(get_exporter(name).Options):
            assert "--" + f.name.replace("_", "-") in export, (name, f.name)


@dataclass(frozen=True)
class ConstantOptions(ReaderOptions):
    heading_deg: float = param(0.0, "Every frame's compass heading.")


class Constant(Reader):
    """A reader from outside: a CSV of x_m, y_m with one heading for all."""

    name = "constant-test"
    takes = "file"
    summary = "x_m, y_m a row, one heading"
    groups = ("metric2d",)
    Options = ConstantOptions

    def read(self, path, options, threads=1):
        table = pd.read_csv(path)
        return pd.DataFrame({"key": [f"f{i}" for i in range(len(table))], "group": "g", "role": None,
                             "source_file": path.name, "source_row": range(1, len(table) + 1),
                             "x_m": table["x_m"], "y_m": table["y_m"], "grid_heading_deg": options.heading_deg,
                             "crs": "local"})


def test_a_reader_from_outside_gets_its_flag_and_runs(tmp_path):
    path = tmp_path / "xy.csv"
    path.write_text("x_m,y_m\n0,0\n5,0\n100,0\n")
    register_reader(Constant)
    try:
        assert "--heading-deg FLOAT" in cli("annotate", "--help").output
        result = cli("annotate", path, "--format", "constant-test", "--heading-deg", "90", "--fov-deg", "90",
                     "--radius-m", "20", "--mode", "within", "--out", tmp_path / "labels", "-q")
        assert result.exit_code == 0, result.output
        frames = read_frames(tmp_path / "labels")
        assert (frames["grid_heading_deg"] == 90.0).all()
        with pytest.raises(ConfigError, match="heading_deg must be a number; got the string 'east'"):
            read_frames(path, "constant-test", heading_deg="east")
    finally:
        del READERS["constant-test"]


def read_xy(path, *, heading_deg=None):
    return Constant().read(path, ConstantOptions(heading_deg=float(heading_deg or 0)))


def test_the_older_register_reader_form_is_kept_for_one_version(tmp_path):
    from fovlabel.readers import ReaderOption

    path = tmp_path / "xy.csv"
    path.write_text("x_m,y_m\n0,0\n5,0\n")
    register_reader("xy-test", "test_params:read_xy", "file", "x, y", ("metric2d",),
                    {"heading_deg": ReaderOption("float", "Every frame's heading.")})
    try:
        frames = read_frames(path, "xy-test", heading_deg=45)
        assert (frames["grid_heading_deg"] == 45.0).all() and len(frames) == 2
    finally:
        del READERS["xy-test"]
