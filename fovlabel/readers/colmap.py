"""COLMAP sparse model: a folder with ``cameras.txt`` + ``images.txt`` or ``cameras.bin`` +
``images.bin`` (text preferred when both exist).

COLMAP stores each image's pose as world-to-camera (``QW QX QY QZ TX TY TZ``: scalar-first
quaternion, then translation): the reader inverts it into the frames table's camera-to-world.
Intrinsics come from the image's camera (focal length, principal point, image size), for
``--fov-deg intrinsics``. Keys are the image names. The group is the model's folder name, or the
project's name for ``<project>/sparse/<n>``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..geometry.poses import invert
from ._poses import pose_rows, relative, rotations_from_quaternions

#: model id -> (name, number of parameters), as in COLMAP's src/colmap/sensor/models.h
CAMERA_MODELS = {
    0: ("SIMPLE_PINHOLE", 3), 1: ("PINHOLE", 4), 2: ("SIMPLE_RADIAL", 4), 3: ("RADIAL", 5),
    4: ("OPENCV", 8), 5: ("OPENCV_FISHEYE", 8), 6: ("FULL_OPENCV", 12), 7: ("FOV", 5),
    8: ("SIMPLE_RADIAL_FISHEYE", 4), 9: ("RADIAL_FISHEYE", 5), 10: ("THIN_PRISM_FISHEYE", 12),
}
MODEL_PARAMS = {name: n for name, n in CAMERA_MODELS.values()}
SINGLE_FOCAL = {"SIMPLE_PINHOLE", "SIMPLE_RADIAL", "RADIAL", "SIMPLE_RADIAL_FISHEYE", "RADIAL_FISHEYE"}


@dataclass
class Camera:
    model: str
    width: int
    height: int
    params: list

    @property
    def intrinsics(self) -> dict:
        p = self.params
        if self.model in SINGLE_FOCAL:
            return dict(fx=p[0], fy=p[0], cx=p[1], cy=p[2], width=self.width, height=self.height)
        return dict(fx=p[0], fy=p[1], cx=p[2], cy=p[3], width=self.width, height=self.height)


@dataclass
class Image:
    image_id: int
    q_cam_from_world: np.ndarray  # (w, x, y, z)
    t_cam_from_world: np.ndarray
    camera_id: int
    name: str
    point3d_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    line: str = ""  # where it was read: "line N" (text) or "image N" (binary)


@dataclass
class Model:
    cameras: dict
    images: list
    cameras_file: Path
    images_file: Path


def load_model(folder: Path) -> Model:
    folder = Path(folder)
    if (folder / "cameras.txt").is_file() and (folder / "images.txt").is_file():
        cameras = _cameras_txt(folder / "cameras.txt")
        images = _images_txt(folder / "images.txt")
        files = folder / "cameras.txt", folder / "images.txt"
    elif (folder / "cameras.bin").is_file() and (folder / "images.bin").is_file():
        cameras = _cameras_bin(folder / "cameras.bin")
        images = _images_bin(folder / "images.bin")
        files = folder / "cameras.bin", folder / "images.bin"
    else:
        raise InputError("not a COLMAP sparse model: needs cameras.txt + images.txt or cameras.bin + "
                         "images.bin", file=folder)
    return Model(cameras, images, *files)


def _cameras_txt(path: Path) -> dict:
    cameras = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        where = dict(file=path, row=f"line {number}")
        if len(parts) < 4 or parts[1] not in MODEL_PARAMS:
            raise InputError(f"expected 'CAMERA_ID MODEL WIDTH HEIGHT PARAMS[]' with a known model; got {line!r}",
                             **where)
        n = MODEL_PARAMS[parts[1]]
        if len(parts) != 4 + n:
            raise InputError(f"camera model {parts[1]} takes {n} parameters, got {len(parts) - 4}", **where)
        try:
            cameras[int(parts[0])] = Camera(parts[1], int(parts[2]), int(parts[3]), [float(v) for v in parts[4:]])
        except ValueError:
            raise InputError(f"camera line has a value that is not a number: {line!r}", **where) from None
    return cameras


def _images_txt(path: Path) -> list:
    # Two lines an image: the pose line, then the 2D points (possibly empty). Comments are skipped
    # but blank lines are kept: a blank points line is an image with no observations.
    lines = [(n, line) for n, line in enumerate(path.read_text().splitlines(), start=1)
             if not line.startswith("#")]
    while lines and not lines[-1][1].strip():
        lines.pop()
    images = []
    for k in range(0, len(lines), 2):
        number, line = lines[k]
        parts = line.split()
        where = dict(file=path, row=f"line {number}")
        if len(parts) < 10:
            raise InputError("expected 'IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME'", **where)
        try:
            values = [float(v) for v in parts[1:8]]
            image_id, camera_id = int(parts[0]), int(parts[8])
        except ValueError:
            raise InputError(f"image line has a value that is not a number: {line!r}", **where) from None
        points = lines[k + 1][1].split() if k + 1 < len(lines) else []
        ids = np.array(points[2::3], dtype=np.int64) if points else np.zeros(0, np.int64)
        images.append(Image(image_id, np.array(values[:4]), np.array(values[4:]), camera_id,
                            " ".join(parts[9:]), ids, f"line {number}"))
    return images


def _cameras_bin(path: Path) -> dict:
    data = path.read_bytes()
    (n,), pos = struct.unpack_from("<Q", data, 0), 8
    cameras = {}
    for _ in range(n):
        camera_id, model_id, width, height = struct.unpack_from("<iiQQ", data, pos)
        pos += 24
        if model_id not in CAMERA_MODELS:
            raise InputError(f"camera {camera_id}: unknown model id {model_id}", file=path)
        name, count = CAMERA_MODELS[model_id]
        params = list(struct.unpack_from(f"<{count}d", data, pos))
        pos += 8 * count
        cameras[camera_id] = Camera(name, width, height, params)
    return cameras


def _images_bin(path: Path) -> list:
    data = path.read_bytes()
    (n,), pos = struct.unpack_from("<Q", data, 0), 8
    images = []
    for k in range(n):
        image_id, *values, camera_id = struct.unpack_from("<I7dI", data, pos)
        pos += 64
        end = data.index(b"\0", pos)
        name = data[pos:end].decode()
        pos = end + 1
        (num_points,) = struct.unpack_from("<Q", data, pos)
        pos += 8
        points = np.frombuffer(data, dtype=np.dtype([("x", "<f8"), ("y", "<f8"), ("id", "<i8")]),
                               count=num_points, offset=pos)
        pos += 24 * num_points
        images.append(Image(image_id, np.array(values[:4]), np.array(values[4:]), camera_id, name,
                            points["id"].astype(np.int64), f"image {k + 1}"))
    return images


def read_colmap(path: Path):
    model = load_model(path)
    images = sorted(model.images, key=lambda im: im.image_id)
    if not images:
        raise InputError("the model holds no images", file=model.images_file)
    for im in images:
        if im.camera_id not in model.cameras:
            raise InputError(f"image {im.name!r} uses camera {im.camera_id}, which {model.cameras_file.name} "
                             f"does not define (cameras: {sorted(model.cameras)})",
                             file=model.images_file, row=im.line, column="CAMERA_ID")
    R_cw = rotations_from_quaternions(np.stack([im.q_cam_from_world for im in images]),
                                      model.images_file, [im.line for im in images])
    # COLMAP poses are cam_from_world; the frames table holds world_from_cam.
    R_wc, t_wc = invert(R_cw, np.stack([im.t_cam_from_world for im in images]))
    intrinsics = [model.cameras[im.camera_id].intrinsics for im in images]
    group = path.name
    if path.name.isdigit() and path.parent.name == "sparse":
        group = path.parent.parent.name
    return pose_rows(
        R_wc, t_wc,
        key=[im.name for im in images], image_path=[im.name for im in images], group=group,
        source_file=relative(model.images_file, path),
        source_row=[int(im.line.split()[1]) for im in images],
        point_ids=[np.unique(im.point3d_ids[im.point3d_ids >= 0]) for im in images],  # -1: no 3D point
        **{k: [c[k] for c in intrinsics] for k in ("fx", "fy", "cx", "cy", "width", "height")},
    )
