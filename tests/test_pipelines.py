"""Every pipeline file in pipelines/ is valid, and runs where its dataset is present."""

from pathlib import Path

import pytest

from conftest import ROOT
from fovlabel import read_pairs
from fovlabel.pipeline import load_pipeline, run_pipeline

PIPELINES = sorted((ROOT / "pipelines").glob("*.toml"))


def test_there_are_pipelines():
    assert len(PIPELINES) >= 5


@pytest.mark.parametrize("path", PIPELINES, ids=lambda p: p.stem)
def test_pipeline_runs(path, tmp_path):
    spec = load_pipeline(path)
    if not Path(spec["dataset"]).exists():
        pytest.skip(f"real-data pipeline skipped: {spec['dataset']} is absent")
    summary = run_pipeline(path, out=tmp_path / "labels")
    pairs = read_pairs(tmp_path / "labels")
    assert summary.pairs == len(pairs) > 0
    assert pairs.attrs["fovlabel"]["input"]["format"] == spec["format"]
