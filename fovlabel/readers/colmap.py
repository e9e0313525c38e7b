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
from ..schema import COLMAP_PIXEL_SHIFT
from ._poses import check_translations, data_lines, pose_rows, relative, rotations_from_quaternions
from .base import Reader, ReaderOptions, param

#: model id -> (name, number of parameters), as in COLMAP's src/colmap/sensor/models.h
CAMERA_MODELS = {
    0: ("SIMPLE_PINHOLE", 3), 1: ("PINHOLE", 4), 2: ("SIMPLE_RADIAL", 4), 3: ("RADIAL", 5),
    4: ("OPENCV", 8), 5: ("OPENCV_FISHEYE", 8), 6: ("FULL_OPENCV", 12), 7: ("FOV", 5),
    8: ("SIMPLE_RADIAL_FISHEYE", 4), 9: ("RADIAL_FISHEYE", 5), 10: ("THIN_PRISM_FISHEYE", 12),
}
MODEL_PARAMS = {name: n for name, n in CAMERA_MODELS.values()}
PIXEL_SHIFT = COLMAP_PIXEL_SHIFT  # schema.py: COLMAP's top-left pixel centre is (0.5, 0.5)
SINGLE_FOCAL = {"SIMPLE_PINHOLE", "SIMPLE_RADIAL", "RADIAL", "SIMPLE_RADIAL_FISHEYE", "RADIAL_FISHEYE"}


@dataclass
class Camera:
    model: str
    width: int
    height: int
    params: list

    @property
    def intrinsics(self) -> dict:
        """Pinhole intrinsics in the frames table's convention (OpenCV: integer pixel coordinates
        at pixel centres). COLMAP puts the centre of the top-left pixel at (0.5, 0.5), so its
        principal point is shifted by -0.5 here (see PIXEL_SHIFT)."""
        p = self.params
        fx, fy, cx, cy = (p[0], p[0], p[1], p[2]) if self.model in SINGLE_FOCAL else (p[0], p[1], p[2], p[3])
        return dict(fx=fx, fy=fy, cx=cx - PIXEL_SHIFT, cy=cy - PIXEL_SHIFT, width=self.width, height=self.height)


@dataclass
class Image:
    image_id: int
    q_cam_from_world: np.ndarray  # (w, x, y, z)
    t_cam_from_world: np.ndarray
    camera_id: int
    name: str
    point3d_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    line: str = ""  # where it was read: "line N" (text) or "image N" (binary)
    xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # pixel of each 2D point


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


def _text_lines(path: Path):
    try:
        return path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "it is not text (a binary model? name the folder)"
        raise InputError(f"cannot read the COLMAP file: {reason}", file=path) from None


def _finite(values, names, where, what):
    for v, name in zip(values, names):
        if not np.isfinite(v):
            raise InputError(f"{what} {name} is {v}, not a finite number", **where, column=name)


def _camera(model: str, width: int, height: int, params: list, where: dict) -> Camera:
    if width <= 0 or height <= 0:
        raise InputError(f"camera size must be positive; got {width}x{height}", **where, column="WIDTH")
    _finite(params, [f"PARAMS[{i}]" for i in range(len(params))], where, "camera parameter")
    camera = Camera(model, width, height, params)
    k = camera.intrinsics
    if not (k["fx"] > 0 and k["fy"] > 0):
        raise InputError(f"camera focal length must be > 0; got fx {k['fx']:g}, fy {k['fy']:g}", **where,
                         column="PARAMS[0]")
    return camera


def _cameras_txt(path: Path) -> dict:
    cameras = {}
    for number, line in data_lines(path, "COLMAP cameras file"):
        parts = line.split()
        where = dict(file=path, row=f"line {number}")
        if len(parts) < 4 or parts[1] not in MODEL_PARAMS:
            raise InputError(f"expected 'CAMERA_ID MODEL WIDTH HEIGHT PARAMS[]' with a known model; got {line!r}",
                             **where)
        n = MODEL_PARAMS[parts[1]]
        if len(parts) != 4 + n:
            raise InputError(f"camera model {parts[1]} takes {n} parameters, got {len(parts) - 4}", **where)
        try:
            camera_id, width, height = int(parts[0]), int(parts[2]), int(parts[3])
            params = [float(v) for v in parts[4:]]
        except ValueError:
            raise InputError(f"camera line has a value that is not a number: {line!r}", **where) from None
        cameras[camera_id] = _camera(parts[1], width, height, params, where)
    return cameras


POSE_NAMES = ("QW", "QX", "QY", "QZ", "TX", "TY", "TZ")


def _images_txt(path: Path) -> list:
    # Two lines an image: the pose line, then the 2D points (possibly empty). Comments are skipped
    # but blank lines are kept: a blank points line is an image with no observations.
    lines = [(n, line) for n, line in enumerate(_text_lines(path), start=1)
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
        _finite(values, POSE_NAMES, where, "pose value")
        points = lines[k + 1][1].split() if k + 1 < len(lines) else []
        if len(points) % 3:
            raise InputError(f"points line must hold triples 'X Y POINT3D_ID'; got {len(points)} values",
                             file=path, row=f"line {lines[k + 1][0]}")
        try:
            ids = np.array([int(v) for v in points[2::3]], dtype=np.int64)
        except ValueError:
            bad = next(i for i, v in enumerate(points[2::3]) if not _is_int(v))
            raise InputError(f"POINT3D_ID {points[2 + 3 * bad]!r} (point {bad + 1}) is not an integer",
                             file=path, row=f"line {lines[k + 1][0]}", column="POINT3D_ID") from None
        try:
            xy = np.array([[float(x), float(y)] for x, y in zip(points[0::3], points[1::3])]).reshape(-1, 2)
        except ValueError:
            raise InputError("a 2D point's X or Y is not a number", file=path, row=f"line {lines[k + 1][0]}",
                             column="X Y") from None
        images.append(Image(image_id, np.array(values[:4]), np.array(values[4:]), camera_id,
                            " ".join(parts[9:]), ids, f"line {number}", xy))
    return images


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


class _Binary:
    """Reads a COLMAP .bin file; running out of bytes or meeting nonsense is an error naming the
    record and byte offset, never a struct.error."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the COLMAP file: {exc.strerror}", file=path) from None
        self.pos = 0
        self.record = "header"

    def fail(self, message: str):
        raise InputError(f"{message} at byte {self.pos} of {len(self.data)} (COLMAP binary model; "
                         "truncated or not a .bin file?)", file=self.path, row=self.record)

    def unpack(self, fmt: str):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            self.fail("file ends early")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def count(self, what: str, record_bytes: int) -> int:
        (n,) = self.unpack("<Q")
        if n * record_bytes > len(self.data) - self.pos:
            self.fail(f"{what} count {n} does not fit in the file")
        return n

    def name(self) -> str:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            self.fail("image name is not terminated")
        try:
            name = self.data[self.pos:end].decode()
        except UnicodeDecodeError:
            self.fail("image name is not UTF-8")
        self.pos = end + 1
        return name

    def done(self):
        if self.pos != len(self.data):
            self.record = None
            self.fail(f"{len(self.data) - self.pos} unexpected trailing bytes")


def _cameras_bin(path: Path) -> dict:
    f = _Binary(path)
    cameras = {}
    for k in range(f.count("camera", 24)):
        f.record = f"camera {k + 1}"
        camera_id, model_id, width, height = f.unpack("<iiQQ")
        if model_id not in CAMERA_MODELS:
            f.fail(f"unknown camera model id {model_id} (camera id {camera_id})")
        name, count = CAMERA_MODELS[model_id]
        params = list(f.unpack(f"<{count}d"))
        cameras[camera_id] = _camera(name, width, height, params, dict(file=path, row=f.record))
    f.done()
    return cameras


def _images_bin(path: Path) -> list:
    f = _Binary(path)
    images = []
    for k in range(f.count("image", 64 + 1 + 8)):
        f.record = f"image {k + 1}"
        image_id, *values, camera_id = f.unpack("<I7dI")
        _finite(values, POSE_NAMES, dict(file=path, row=f.record), "pose value")
        name = f.name()
        num_points = f.count("2D point", 24)
        points = np.frombuffer(f.data, dtype=np.dtype([("x", "<f8"), ("y", "<f8"), ("id", "<i8")]),
                               count=num_points, offset=f.pos)
        f.pos += 24 * num_points
        images.append(Image(image_id, np.array(values[:4]), np.array(values[4:]), camera_id, name,
                            points["id"].astype(np.int64), f.record, np.c_[points["x"], points["y"]]))
    f.done()
    return images


def _images_folder(path: Path, images) -> Path | None:
    """The folder the image names are relative to: ``images`` if given, else ``images/`` beside the
    model or beside its ``sparse/`` (COLMAP's project layout <project>/{images, sparse/<n>})."""
    if images is not None:
        folder = Path(images)
        if not folder.is_dir():
            raise InputError("COLMAP images folder not found (images option)", file=folder)
        return folder
    for folder in (path / "images", path.parent / "images", path.parent.parent / "images"):
        if folder.is_dir():
            return folder
    return None


def track_pixels(path) -> dict:
    """{image name: (xy (n, 2) pixels, point3d_ids (n,))} of every 2D point with a 3D point, from
    the model in ``path``, in the frames table's pixel convention (OpenCV: COLMAP's coordinates
    minus PIXEL_SHIFT)."""
    out = {}
    for im in load_model(Path(path)).images:
        has = im.point3d_ids >= 0
        out[im.name] = (im.xy[has] - PIXEL_SHIFT, im.point3d_ids[has])
    return out


def track_points(path) -> dict:
    """{point3d id: (x, y, z)} of the model's points3D.txt or .bin ({} when it has neither)."""
    path = Path(path)
    text, binary = path / "points3D.txt", path / "points3D.bin"
    out = {}
    if text.is_file():
        for line in _text_lines(text):
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            try:
                out[int(parts[0])] = (float(parts[1]), float(parts[2]), float(parts[3]))
            except (ValueError, IndexError):
                raise InputError(f"points3D line is not 'POINT3D_ID X Y Z ...': {line[:60]!r}", file=text) from None
    elif binary.is_file():
        f = _Binary(binary)
        for k in range(f.count("3D point", 51)):
            f.record = f"point {k + 1}"
            pid, x, y, z = f.unpack("<Q3d")
            f.unpack("<3Bd")  # colour, error
            length = f.count("track element", 8)
            f.pos += 8 * length
            out[pid] = (x, y, z)
        f.done()
    return out


def read_colmap(path: Path, *, images=None):
    image_folder = images
    model = load_model(path)
    images = sorted(model.images, key=lambda im: im.image_id)
    if not images:
        raise InputError("the model holds no images", file=model.images_file)
    for im in images:
        if im.camera_id not in model.cameras:
            raise InputError(f"image {im.name!r} uses camera {im.camera_id}, which {model.cameras_file.name} "
                             f"does not define (cameras: {sorted(model.cameras)})",
                             file=model.images_file, row=im.line, column="CAMERA_ID")
    lines = [im.line for im in images]
    check_translations(np.stack([im.t_cam_from_world for im in images]), model.images_file, lines,
                       columns=("TX", "TY", "TZ"))
    R_cw = rotations_from_quaternions(np.stack([im.q_cam_from_world for im in images]),
                                      model.images_file, lines)
    # COLMAP poses are cam_from_world; the frames table holds world_from_cam.
    R_wc, t_wc = invert(R_cw, np.stack([im.t_cam_from_world for im in images]))
    intrinsics = [model.cameras[im.camera_id].intrinsics for im in images]
    group = path.name
    if path.name.isdigit() and path.parent.name == "sparse":
        group = path.parent.parent.name
    folder = _images_folder(path, image_folder)
    frames = pose_rows(
        R_wc, t_wc,
        key=[im.name for im in images], image_path=[im.name for im in images], group=group,
        source_file=relative(model.images_file, path),
        source_row=[int(im.line.split()[1]) for im in images],
        point_ids=[np.unique(im.point3d_ids[im.point3d_ids >= 0]) for im in images],  # -1: no 3D point
        **{k: [c[k] for c in intrinsics] for k in ("fx", "fy", "cx", "cy", "width", "height")},
    )
    if folder is None:
        frames.attrs["notes"] = ["COLMAP images folder not found beside the model: image paths will not "
                                 "resolve (pass the images option, --images)"]
    else:  # image names are relative to it; recorded relative to the dataset root, so a move keeps it
        import os

        frames.attrs["image_root"] = Path(os.path.relpath(folder.resolve(), path.resolve())).as_posix()
    return frames


@dataclass(frozen=True)
class ColmapOptions(ReaderOptions):
    images: str | None = param(None, "Folder the image names are relative to (default: images/ beside the model or its sparse/).")


class Colmap(Reader):
    name = "colmap"
    takes = "folder"
    summary = "COLMAP sparse model, text or binary (world-to-camera, inverted on reading)"
    groups = ("pose", "pinhole", "tracks")
    Options = ColmapOptions

    def read(self, path, options, threads=1):
        return read_colmap(path, images=options.images)
