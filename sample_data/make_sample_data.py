"""Generate sample_data/ (deterministic): a synthetic city in the MSLS layout, and an RGB-D room.

    python sample_data/make_sample_data.py [OUT_DIR]      (default: sample_data/)

The room (``rgbd_room/``): a 5 x 4 x 2.5 m box with a table, ray-cast analytically with numpy from
16 camera poses at 160 x 120 (fx = fy = 120), depth written as 16-bit PNG in millimetres;
``frames.csv`` lists each frame's depth image, camera-to-world 4x4 pose (m00..m33), intrinsics and
depth scale: the csv reader's RGB-D layout, labelled by pipelines/sample_rgbd_cloud3d.toml.

"sampleville" is a 3 x 3 block street grid (blocks of 120 m). Database sequences drive every
street in both directions; query sequences re-drive parts of it later, sometimes the same way and
sometimes the opposite way, with GPS noise (sigma 1.5 m) and compass noise (sigma 3°). Two
frames are marked as panoramas. Everything is made from a fixed seed with numpy only, positions
converted to lat/lon with a local tangent-plane approximation (exact enough for a 400 m town), so
the files come out byte-identical on every machine; ``ca`` is the compass angle from true north.

The output follows MSLS: ``train_val/<city>/{query,database}/{raw.csv,postprocessed.csv,seq_info.csv}``.
``postprocessed.csv`` holds easting/northing in the local tangent plane (not UTM); fovlabel does
not read it.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

CITY = "sampleville"
ORIGIN_LAT, ORIGIN_LON = 47.3700, 8.5400  # a place with streets; nothing here is real
EARTH_R = 6_378_137.0
BLOCK_M = 120.0
STEP_M = 10.0
T0_MS = 1_600_000_000_000


def _to_latlon(x, y):
    lat = ORIGIN_LAT + np.degrees(y / EARTH_R)
    lon = ORIGIN_LON + np.degrees(x / (EARTH_R * math.cos(math.radians(ORIGIN_LAT))))
    return lat, lon


def _drive(waypoints, rng, gps_sigma=1.5, heading_sigma=3.0):
    """Frames every STEP_M along a polyline of street corners: x, y, compass heading."""
    xs, ys, hs = [], [], []
    for (x0, y0), (x1, y1) in zip(waypoints[:-1], waypoints[1:]):
        length = math.hypot(x1 - x0, y1 - y0)
        n = int(length // STEP_M)
        heading = math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360.0  # clockwise from north
        for i in range(n):
            t = i / n
            # drive on the right: 3 m off the centre line
            ox, oy = 3.0 * math.cos(math.radians(heading)), -3.0 * math.sin(math.radians(heading))
            xs.append(x0 + t * (x1 - x0) + ox)
            ys.append(y0 + t * (y1 - y0) + oy)
            hs.append(heading)
    n = len(xs)
    x = np.array(xs) + rng.normal(0, gps_sigma, n)
    y = np.array(ys) + rng.normal(0, gps_sigma, n)
    h = (np.array(hs) + rng.normal(0, heading_sigma, n)) % 360.0
    return x, y, np.round(h, 3) % 360.0  # written with 3 decimals: never "360.000"


def _corner(i, j):
    return (i * BLOCK_M, j * BLOCK_M)


def _routes():
    """Database routes cover every street both ways; query routes revisit some of them."""
    database = [
        [_corner(0, j) for j in range(4)] + [_corner(i, 3) for i in range(1, 4)],
        [_corner(3, j) for j in range(3, -1, -1)] + [_corner(i, 0) for i in range(2, -1, -1)],
        [_corner(i, 1) for i in range(4)] + [_corner(3, 2)] + [_corner(i, 2) for i in range(2, -1, -1)],
        [_corner(1, j) for j in range(4)] + [_corner(2, 3)] + [_corner(2, j) for j in range(2, -1, -1)],
        [_corner(1, 0), _corner(1, 3)],
        [_corner(2, 3), _corner(2, 0)],
    ]
    query = [
        [_corner(0, 0), _corner(0, 2), _corner(2, 2)],  # same way as database route 0 / 2
        [_corner(3, 3), _corner(3, 1), _corner(1, 1)],  # partly the opposite way
        [_corner(1, 3), _corner(1, 1)],
    ]
    return database, query


def _write_role(folder: Path, rows, prefix: str):
    folder.mkdir(parents=True, exist_ok=True)
    raw = [",key,lon,lat,ca,captured_at,pano"]
    post = [",key,easting,northing,unique_cluster,control_panel,night,view_direction"]
    seq = [",key,sequence_key,frame_number"]
    for i, r in enumerate(rows):
        raw.append(f"{i},{r['key']},{r['lon']:.8f},{r['lat']:.8f},{r['ca']:.3f},{r['t']},{r['pano']}")
        post.append(f"{i},{r['key']},{r['x']:.3f},{r['y']:.3f},-1,False,False,Forward")
        seq.append(f"{i},{r['key']},{prefix}_{r['seq']:03d},{r['n']}")
    for name, lines in (("raw.csv", raw), ("postprocessed.csv", post), ("seq_info.csv", seq)):
        (folder / name).write_text("\n".join(lines) + "\n")


def make(out_dir: Path) -> Path:
    rng = np.random.default_rng(20231120)
    database, query = _routes()
    city = out_dir / "train_val" / CITY
    t = T0_MS
    for role, routes, prefix in (("database", database, "db"), ("query", query, "q")):
        rows = []
        for s, route in enumerate(routes):
            x, y, h = _drive(route, rng)
            lat, lon = _to_latlon(x, y)
            for n in range(len(x)):
                t += 1000
                rows.append(dict(key=f"{role[0]}{len(rows):04d}", lon=lon[n], lat=lat[n], ca=h[n],
                                 t=t, pano=False, x=x[n], y=y[n], seq=s, n=n))
            t += 86_400_000  # sequences a day apart
        if role == "database":  # two panoramas, kept by the reader but flagged
            for k in (5, 40):
                rows[k]["pano"] = True
        _write_role(city / role, rows, prefix)
    return city


ROOM = np.array([5.0, 4.0, 2.5])
TABLE = (np.array([2.0, 1.5, 0.0]), np.array([3.2, 2.3, 0.75]))  # min and max corners
W, H, F = 160, 120, 120.0


def _hit_distance(origin, dirs):
    """Distance along each unit ray (n, 3) to the room's walls or the table, whichever is nearer."""
    with np.errstate(divide="ignore", invalid="ignore"):
        wall = np.where(dirs > 0, (ROOM - origin) / dirs, np.where(dirs < 0, -origin / dirs, np.inf)).min(axis=1)
        lo, hi = (TABLE[0] - origin) / dirs, (TABLE[1] - origin) / dirs
        near = np.nanmax(np.minimum(lo, hi), axis=1)
        far = np.nanmin(np.maximum(lo, hi), axis=1)
    table = np.where((far >= near) & (near > 0), near, np.inf)
    return np.minimum(wall, table)


def _room_poses(n=16):
    poses = []
    for i in range(n):
        s = i / n
        centre = np.array([1.0 + 3.0 * s, 0.8 + 0.4 * np.sin(6.0 * s), 1.5])
        yaw = np.radians(60.0 + 60.0 * s)  # looking across the room, turning slowly
        pitch = np.radians(-20.0)
        forward = np.array([np.cos(yaw) * np.cos(pitch), np.sin(yaw) * np.cos(pitch), np.sin(pitch)])
        right = np.cross(forward, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        T = np.eye(4)
        T[:3, :3] = np.column_stack([right, np.cross(forward, right), forward])  # OpenCV x, y, z
        T[:3, 3] = centre
        poses.append(T)
    return poses


def make_rgbd(out_dir: Path) -> Path:
    from PIL import Image

    room = out_dir / "rgbd_room"
    (room / "depth").mkdir(parents=True, exist_ok=True)
    v, u = np.mgrid[0:H, 0:W]
    rays_cam = np.stack([(u - W / 2 + 0.5) / F, (v - H / 2 + 0.5) / F, np.ones_like(u, float)], -1).reshape(-1, 3)
    lines = ["key," + ",".join(f"m{r}{c}" for r in range(4) for c in range(4))
             + ",fx,fy,cx,cy,width,height,depth_path,depth_scale"]
    for i, T in enumerate(_room_poses()):
        dirs = rays_cam @ T[:3, :3].T
        norms = np.linalg.norm(dirs, axis=1)
        t = _hit_distance(T[:3, 3], dirs / norms[:, None])
        z = t / norms  # distance along the ray -> depth along the optical axis
        depth = np.round(z * 1000.0).astype(np.uint16).reshape(H, W)
        name = f"depth/{i:04d}.png"
        Image.fromarray(depth).save(room / name)
        pose = ",".join(f"{x:.9f}" for x in T.ravel())
        lines.append(f"{i:04d},{pose},{F},{F},{W / 2 - 0.5},{H / 2 - 0.5},{W},{H},{name},1000")
    (room / "frames.csv").write_text("\n".join(lines) + "\n")
    return room


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    print(f"wrote {make(target / 'msls')}")
    print(f"wrote {make_rgbd(target)}")
