"""sample_data/ is what its generator makes, byte for byte."""

import importlib.util

from conftest import ROOT, SAMPLE


def _generator():
    spec = importlib.util.spec_from_file_location("make_sample_data", ROOT / "sample_data" / "make_sample_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_reproduces_the_committed_files(tmp_path):
    _generator().make(tmp_path)
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.csv"))
    committed = sorted(p.relative_to(SAMPLE) for p in SAMPLE.rglob("*.csv"))
    assert made == committed and len(made) == 6
    for rel in made:
        assert (tmp_path / rel).read_bytes() == (SAMPLE / rel).read_bytes(), rel


def test_rgbd_room_is_reproduced(tmp_path):
    import numpy as np
    from PIL import Image

    room = _generator().make_rgbd(tmp_path)
    committed = ROOT / "sample_data" / "rgbd_room"
    assert (room / "frames.csv").read_bytes() == (committed / "frames.csv").read_bytes()
    made = sorted(p.name for p in (room / "depth").glob("*.png"))
    assert made == sorted(p.name for p in (committed / "depth").glob("*.png")) and len(made) == 16
    for name in made:  # PNG bytes depend on the zlib version; the pixels must not
        a = np.asarray(Image.open(room / "depth" / name))
        b = np.asarray(Image.open(committed / "depth" / name))
        assert a.dtype == np.uint16 and np.array_equal(a, b), name
