"""The 3D labeller's memory does not grow with the number of frames (issue 12).

Each frame's voxel keys are spilled to the output's partial folder as the frame is decoded and the
counting reads its blocks back from there, so a run of 4N frames peaks within a fixed amount of a
run of N frames. Before, every key stayed in memory and the incidence matrix was built with a sort
of all of them (about 40 bytes a key at its peak): with these frames (about 29,000 keys each) that
design peaked at 406 MiB for 100 frames and 806 MiB for 400; this one at 309-341 and 348-397.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT

W, H, F = 320, 240, 240.0
#: the most the peak may grow from N to 4N frames. Measured 6-57 MiB over repeated runs of the same
#: frames (the pairs, the frames table, and noise: which decoding and counting threads hold buffers
#: at the same moment, the allocator's per-thread arenas); the old design grew by 400
GROWTH_MIB = 100
KEYS_PER_FRAME = 15_000  # the data must be heavy enough for the old design to fail the bound


def _hit_distance():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample_data", ROOT / "sample_data" / "make_sample_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._hit_distance


def _room(folder, n, seed=0):
    """n depth images of the sample data's room (a box with a table), from cameras walking about
    it and looking around, and their csv."""
    from PIL import Image

    hit = _hit_distance()
    rng = np.random.default_rng(seed)
    (folder / "depth").mkdir(parents=True)
    v, u = np.mgrid[0:H, 0:W]
    rays = np.stack([(u - W / 2 + 0.5) / F, (v - H / 2 + 0.5) / F, np.ones_like(u, float)], -1).reshape(-1, 3)
    lines = ["key," + ",".join(f"m{r}{c}" for r in range(4) for c in range(4))
             + ",fx,fy,cx,cy,width,height,depth_path,depth_scale"]
    for i in range(n):
        centre = np.array([rng.uniform(0.8, 4.2), rng.uniform(0.8, 3.2), rng.uniform(1.2, 1.8)])
        yaw, pitch = rng.uniform(0, 2 * np.pi), np.radians(rng.uniform(-30, 0))
        forward = np.array([np.cos(yaw) * np.cos(pitch), np.sin(yaw) * np.cos(pitch), np.sin(pitch)])
        right = np.cross(forward, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        T = np.eye(4)
        T[:3, :3] = np.column_stack([right, np.cross(forward, right), forward])
        T[:3, 3] = centre
        dirs = rays @ T[:3, :3].T
        norms = np.linalg.norm(dirs, axis=1)
        z = hit(centre, dirs / norms[:, None]) / norms
        name = f"depth/{i:05d}.png"
        Image.fromarray(np.round(z * 1000.0).astype(np.uint16).reshape(H, W)).save(folder / name)
        lines.append(f"{i:05d}," + ",".join(f"{x:.9f}" for x in T.ravel())
                     + f",{F},{F},{W / 2 - 0.5},{H / 2 - 0.5},{W},{H},{name},1000")
    (folder / "frames.csv").write_text("\n".join(lines) + "\n")
    return folder / "frames.csv"


CHILD = """
import sys
import fovlabel
s = fovlabel.annotate(sys.argv[1], "csv", labeller="cloud3d", mode="within", voxel_m=0.02,
                      reader_options={"pose": "cam_to_world"}, out=sys.argv[2], jobs=2)
# the peak since exec (VmHWM): wait4's max RSS would keep the parent's pages counted at the fork
high = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")][0].split()[1]
print(s.pairs, s.usable_frames, high)
"""


def _peak_mib(csv, out) -> tuple[float, list[str]]:
    result = subprocess.run([sys.executable, "-c", CHILD, str(csv), str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    pairs, frames, high_kib = result.stdout.split()
    return int(high_kib) / 1024.0, [pairs, frames]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak memory from /proc (Linux)")
def test_peak_memory_does_not_grow_with_frames(tmp_path):
    import pyarrow.parquet as pq

    n = 100
    small, large = _room(tmp_path / "small", n), _room(tmp_path / "large", 4 * n, seed=1)
    _peak_mib(small, tmp_path / "warm")  # compiles or loads the kernels: both runs below load them
    peak_small, (pairs_small, frames_small) = _peak_mib(small, tmp_path / "labels-small")
    peak_large, (pairs_large, frames_large) = _peak_mib(large, tmp_path / "labels-large")
    assert (int(frames_small), int(frames_large)) == (n, 4 * n)
    observed = pq.read_table(tmp_path / "labels-large" / "_frames" / "frames.parquet", columns=["observed"]).column(0)
    assert np.mean(observed.to_numpy()) > KEYS_PER_FRAME  # heavy enough that keeping the keys would show
    assert int(pairs_large) > 10 * int(pairs_small)  # the work did grow (about 16x the pairs)
    assert peak_large - peak_small < GROWTH_MIB, (peak_small, peak_large)
