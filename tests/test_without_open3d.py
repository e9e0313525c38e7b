"""The core install works without open3d (the 3d extra, which needs the system's libusb and
about half the environment's size): every reader, 2D labels, 3D labels from depth images,
exports, pictures and correspondences; only the scene sources need it, and say how to add it.
Run in a fresh interpreter where ``import open3d`` fails, as it does where it is not installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import ROOT, SAMPLE

SCRIPT = textwrap.dedent("""
    import sys
    sys.modules["open3d"] = None  # what a core install has: importing it fails
    from pathlib import Path
    import fovlabel
    from fovlabel import ConfigError
    from fovlabel.exporters import export
    from fovlabel.plot import plot_pair
    from fovlabel.correspondences import correspondences
    out = Path(sys.argv[1])
    city = fovlabel.annotate(sys.argv[2], "msls", preset="msls", out=out / "city")
    room = fovlabel.annotate(sys.argv[3], "csv", labeller="cloud3d", mode="within",
                             reader_options={"pose": "cam_to_world"}, out=out / "room")
    export(out / "room", "glue-factory", out / "room_gf")
    export(out / "city", "gcl-msls", out / "city_gcl")
    plot_pair(out / "room", "0002", "0005", out / "room.png")
    plot_pair(out / "city", "q0006", "d0006", out / "city.png")
    correspondences(out / "room", out / "corr")
    try:
        fovlabel.annotate(sys.argv[3], "csv", labeller="cloud3d", mode="within", scene_from_rgbd=True,
                          reader_options={"pose": "cam_to_world"}, out=out / "scene")
    except ConfigError as exc:
        print("scene:", exc)
    print("open3d loaded:", "open3d" in sys.modules and sys.modules["open3d"] is not None)
    print("pairs:", city.pairs, room.pairs)
""")


def test_everything_but_the_scene_sources_runs_without_open3d(tmp_path):
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), str(SAMPLE),
                           str(ROOT / "sample_data" / "rgbd_room" / "frames.csv")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "open3d loaded: False" in lines
    pairs = next(line for line in lines if line.startswith("pairs:")).split()[1:]
    assert all(int(n) > 0 for n in pairs)
    scene = next(line for line in lines if line.startswith("scene:"))
    assert "pip install 'fovlabel[3d]'" in scene
    for made in ("room_gf/scene_info", "city_gcl", "room.png", "city.png", "corr/correspondences.parquet"):
        assert (tmp_path / made).exists(), made
