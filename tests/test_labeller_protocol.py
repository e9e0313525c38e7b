"""The labeller protocol: a labeller written outside the package plugs in through the public
registry and runs through annotate and read_pairs; parameters a labeller does not take are
refused; the metadata records the run settings and only the parameters that applied."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pytest

from conftest import SAMPLE, cli
import fovlabel
from fovlabel import ConfigError, annotate, read_pairs
from fovlabel.labellers import LABELLERS, Labeller, LabellerParams, Prepared, param, register_labeller
from fovlabel.pairs import candidate_pairs
from fovlabel.schema import PAIRS_SCHEMA, rank_from_overlap


@dataclass(frozen=True)
class DistanceParams(LabellerParams):
    scale_m: float = param(10.0, "Distance at which the overlap has fallen to 1/e.")

    def validate(self):
        if not self.scale_m > 0:
            raise ConfigError(f"scale_m must be > 0; got {self.scale_m:g}")


class Distance(Labeller):
    """overlap = exp(-d / scale_m) for frames closer than 3 scale_m: a plain distance labeller."""

    name = "distance-test"
    summary = "exp(-distance / scale): a test labeller"
    Params = DistanceParams
    pairs_schema = PAIRS_SCHEMA

    def requires(self, frames, params):
        return ("x_m", "y_m")

    def prepare(self, frames, params, root=None, jobs=1):
        state = {"x": frames["x_m"].to_numpy(), "y": frames["y_m"].to_numpy(),
                 "id": frames["frame_id"].to_numpy(np.int32)}
        self.check_frames(frames, params)
        return Prepared(frames, state, ["distance labeller ran"], {"scale_m": params.scale_m})

    def label_chunk(self, state, chunk, run, params):
        reach = np.full(len(state["x"]), 1.5 * params.scale_m)
        a, b, d = candidate_pairs(state["x"], state["y"], reach, chunk.anchors, chunk.targets,
                                  chunk.mode == "within")
        overlap = np.exp(-d / params.scale_m)
        return pa.table({"frame_a": state["id"][a], "frame_b": state["id"][b],
                         "overlap": overlap.astype(np.float32), "distance_m": d.astype(np.float32),
                         "heading_diff_deg": np.zeros(len(a), np.float32),
                         "rank": rank_from_overlap(overlap, run.positive)}, schema=PAIRS_SCHEMA)


@pytest.fixture
def distance_labeller():
    labeller = register_labeller(Distance)
    yield labeller
    del LABELLERS["distance-test"]


def test_a_labeller_from_outside_runs_through_annotate_and_read_pairs(distance_labeller, tmp_path):
    summary = annotate(SAMPLE, "msls", labeller="distance-test", mode="cross", scale_m=5.0, positive=0.6,
                       out=tmp_path / "labels")
    assert "distance labeller ran" in summary.notes
    pairs = read_pairs(tmp_path / "labels", with_keys=True)
    assert len(pairs) == summary.pairs > 0
    assert np.allclose(pairs["overlap"], np.exp(-pairs["distance_m"] / 5.0), atol=1e-6)
    assert (pairs["rank"] == np.where(pairs["overlap"] >= 0.6, 2, 1)).all()
    meta = pairs.attrs["fovlabel"]
    assert meta["labeller"] == "distance-test" and meta["params"] == {"scale_m": 5.0}
    assert meta["run"]["positive"] == 0.6 and meta["labeller_info"] == {"scale_m": 5.0}
    # the same through the command line and a worker pool: no edit to the CLI or batch runner
    result = cli("annotate", SAMPLE, "--format", "msls", "--labeller", "distance-test", "--mode", "cross",
                 "--jobs", "2", "--out", tmp_path / "cli")
    assert result.exit_code == 0, result.output
    assert read_pairs(tmp_path / "cli").attrs["fovlabel"]["params"] == {"scale_m": 10.0}


def test_the_labellers_own_validation_and_foreign_parameters(distance_labeller):
    with pytest.raises(ConfigError, match="scale_m must be > 0; got -1"):
        annotate(SAMPLE, "msls", labeller="distance-test", scale_m=-1.0)
    with pytest.raises(ConfigError, match=r"distance-test does not take radius_m \(radius_m is a parameter "
                                          r"of strong2d, weak2d\); distance-test takes: scale_m"):
        annotate(SAMPLE, "msls", labeller="distance-test", radius_m=10.0)


def test_registering_checks_what_it_is_given():
    with pytest.raises(ConfigError, match="already registered"):
        register_labeller(fovlabel.get_labeller("weak2d"))
    with pytest.raises(ConfigError, match="must be a fovlabel.labellers.Labeller"):
        register_labeller(object())


@pytest.mark.parametrize("labeller, extra, message", [
    ("cloud3d", ["--measure", "ioa"], "error: cloud3d does not take measure (measure is a parameter of strong2d, "
                                      "weak2d); cloud3d takes: depth_tol, max_depth_m, pixel_stride, scene, "
                                      "scene_from_rgbd, source, voxel_m"),
    ("cloud3d", ["--radius-m", "1"], "error: cloud3d does not take radius_m"),
    ("cloud3d", ["--up", "+z"], "error: cloud3d does not take up (up is a parameter of strong2d)"),
    ("weak2d", ["--up", "+z"], "error: weak2d does not take up (up is a parameter of strong2d)"),
    ("weak2d", ["--voxel-m", "0.1"], "error: weak2d does not take voxel_m (voxel_m is a parameter of cloud3d)"),
    ("strong2d", ["--pixel-stride", "2"], "error: strong2d does not take pixel_stride"),
])
def test_a_parameter_foreign_to_the_labeller_is_refused(tmp_path, labeller, extra, message):
    out = tmp_path / "labels"
    result = cli("annotate", SAMPLE, "--format", "msls", "--labeller", labeller, *extra, "--out", out)
    assert result.exit_code == 2
    assert result.output.strip().startswith(message), result.output
    assert not out.exists()


def test_metadata_records_only_the_parameters_that_applied(tmp_path):
    weak = annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "weak")
    meta = read_pairs(tmp_path / "weak").attrs["fovlabel"]
    assert set(meta["params"]) == {"fov_deg", "radius_m", "measure", "fx", "width", "max_view_angle_deg"}
    assert set(meta["run"]) == {"labeller", "mode", "positive", "keep_zero", "chunk_frames"}
    assert "voxel_m" not in meta["config"] and "up" not in meta["config"]
    assert weak.config == meta["config"]
    room = SAMPLE.parent / "rgbd_room" / "frames.csv"
    annotate(room, "csv", labeller="cloud3d", mode="within", reader_options={"pose": "cam_to_world"},
             out=tmp_path / "room")
    meta = read_pairs(tmp_path / "room").attrs["fovlabel"]
    assert set(meta["params"]) == {"voxel_m", "pixel_stride", "max_depth_m", "depth_tol", "source", "scene",
                                   "scene_from_rgbd"}
    assert not {"measure", "radius_m", "fov_deg", "up"} & set(meta["config"])


class PlacedDistance(Distance):
    """The distance labeller, saying where it places frames (the reader's UTM positions)."""

    name = "distance-placed"
    placement = ("x_m", "y_m", "grid_heading_deg")
    plane_axes = ("east", "north")


@pytest.fixture
def placed_labeller(tmp_path):
    register_labeller(PlacedDistance)
    yield annotate(SAMPLE, "msls", labeller="distance-placed", mode="cross", scale_m=5.0, out=tmp_path / "labels")
    del LABELLERS["distance-placed"]


def test_a_labeller_from_outside_maps_and_exports_where_it_can_and_is_refused_in_one_line_where_not(
        placed_labeller, tmp_path):
    """What a labeller offers is asked of it: placement gives the map and the query picture; no
    sectors and no pixels refuse the pair picture and correspondences in one line each."""
    pytest.importorskip("matplotlib")
    from PIL import Image

    from fovlabel.plot import plot_map, plot_query

    labels = tmp_path / "labels"
    frames = fovlabel.read_frames(labels)
    query = frames.loc[frames["role"] == "query", "key"].iloc[0]
    for png in (plot_map(labels, tmp_path / "map.png"), plot_query(labels, query, tmp_path / "query.png")[0]):
        with Image.open(png) as im:
            assert im.size[0] > 500  # drawn, not refused
    result = cli("plot", "pair", labels, query, frames["key"].iloc[-1], "--out", tmp_path / "pair.png")
    assert result.exit_code == 2 and result.output.strip() == (
        "error: plot pair draws a labeller's 2D sectors or its shared pixels; this label set's labeller, "
        "distance-placed, offers neither")
    result = cli("correspondences", labels, "--out", tmp_path / "corr", "-q")
    assert result.exit_code == 2 and "labeller, distance-placed, has none" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "corr").exists()
    result = cli("export", labels, "--to", "vpr-eval", "--out", tmp_path / "vpr")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "vpr" / "fovlabel-export.json").is_file()


def test_a_label_set_of_an_unregistered_labeller_is_refused_by_name(distance_labeller, tmp_path):
    annotate(SAMPLE, "msls", labeller="distance-test", mode="cross", out=tmp_path / "labels")
    del LABELLERS["distance-test"]
    try:
        result = cli("plot", "map", tmp_path / "labels", "--out", tmp_path / "map.png")
    finally:
        register_labeller(Distance)
    assert result.exit_code == 2 and "written by the labeller 'distance-test', which is not registered" \
        in result.output


def test_no_module_outside_the_labellers_compares_a_labellers_name():
    """What a labeller can do is asked of it (placement, sectors, pixels, symmetric, inputs)."""
    import ast

    from conftest import ROOT

    names = set(LABELLERS)
    found = []
    for path in (ROOT / "fovlabel").rglob("*.py"):
        if "labellers" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                for side in (node.left, *node.comparators):
                    values = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
                    if any(isinstance(v, ast.Constant) and v.value in names for v in values):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found
