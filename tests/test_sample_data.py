"""sample_data/ is what its generator makes, byte for byte."""

import importlib.util
from pathlib import Path

from conftest import ROOT, SAMPLE


def test_generator_reproduces_the_committed_files(tmp_path):
    spec = importlib.util.spec_from_file_location("make_sample_data", ROOT / "sample_data" / "make_sample_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make(tmp_path)
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.csv"))
    committed = sorted(p.relative_to(SAMPLE) for p in SAMPLE.rglob("*.csv"))
    assert made == committed and len(made) == 6
    for rel in made:
        assert (tmp_path / rel).read_bytes() == (SAMPLE / rel).read_bytes(), rel
