"""Labelling configuration: one frozen dataclass, named presets, and validation.

A preset gives defaults; explicit parameters override its fields; the final config is written into
the output's metadata, so every label set says exactly how it was made.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError, UnknownFormatError

MODES = ("auto", "cross", "within")
SOURCES = ("auto", "rgbd", "scene", "tracks")


@dataclass(frozen=True)
class LabelConfig:
    """How pairs are formed and labelled.

    ``fov_deg``: opening of every camera's sector, degrees in (0, 360] (a frame's own ``fov_deg``
    in the frames table wins where present). ``radius_m``: sector radius in metres, > 0.
    ``measure``: "iou" (symmetric) or "ioa" (|A∩B|/|A|, A the query / lower frame id).
    ``mode``: "cross" (each query x the database of its group), "within" (all i < j of a group),
    "auto" (cross when the group has both roles, else within).
    ``positive``: rank 2 threshold in (0, 1]. ``keep_zero``: keep candidate pairs with overlap 0.
    ``chunk_frames``: anchor frames per work unit (memory and parallelism granularity; does not
    change the result).
    ``fov_deg="intrinsics"``: each camera's horizontal FoV 2·atan(width / 2 fx), from the
    reader's intrinsics or from ``fx`` and ``width`` (which win when given).
    6DoF labellers: ``up`` ("auto" or "+x", "-y", ...) defines the ground plane; cameras pitched
    more than ``max_tilt_deg`` out of it are flagged and left out (see geometry.ground).
    3D labeller: ``voxel_m`` (voxel side), ``stride`` (every k-th depth pixel; ``--pixel-stride``
    on the command line, where ``--stride`` thins TUM frames), ``max_depth_m``,
    ``depth_tol`` (relative depth agreement for visibility), ``source`` ("auto", "rgbd", "scene",
    "tracks"), ``scene`` (a PLY/PCD/OBJ file), ``scene_from_rgbd`` (fuse one with TSDF).
    """

    labeller: str = "weak2d"
    fov_deg: float | str = 90.0
    radius_m: float = 50.0
    measure: str = "iou"
    mode: str = "auto"
    positive: float = 0.5
    keep_zero: bool = False
    chunk_frames: int = 5_000
    up: str = "auto"
    max_tilt_deg: float = 80.0
    fx: float | None = None
    width: float | None = None
    voxel_m: float = 0.05
    stride: int = 1
    max_depth_m: float | None = None
    depth_tol: float = 0.05
    source: str = "auto"
    scene: str | None = None
    scene_from_rgbd: bool = False

    def __post_init__(self):
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, check_type(f.name, getattr(self, f.name), f.type))
        self._check_ranges()

    def _check_ranges(self):
        from .geometry.sector import check_fov_radius, check_measure
        from .labellers import LABELLERS

        if self.labeller not in LABELLERS:
            raise UnknownFormatError(
                f"unknown labeller {self.labeller!r}; known: {', '.join(sorted(LABELLERS))}"
            )
        if isinstance(self.fov_deg, str):
            if self.fov_deg != "intrinsics":
                raise ConfigError(f"fov_deg must be a number in (0, 360] or 'intrinsics'; got {self.fov_deg!r}")
            check_fov_radius(90.0, self.radius_m)
        else:
            check_fov_radius(self.fov_deg, self.radius_m)
        for name in ("fx", "width"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ConfigError(f"{name} must be > 0; got {value:g}")
        if not self.voxel_m > 0:
            raise ConfigError(f"voxel_m must be > 0; got {self.voxel_m:g}")
        if int(self.stride) < 1:
            raise ConfigError(f"stride must be >= 1; got {self.stride}")
        if self.max_depth_m is not None and not self.max_depth_m > 0:
            raise ConfigError(f"max_depth_m must be > 0; got {self.max_depth_m:g}")
        if not self.depth_tol > 0:
            raise ConfigError(f"depth_tol must be > 0; got {self.depth_tol:g}")
        if self.source not in SOURCES:
            raise ConfigError(f"source must be one of {', '.join(SOURCES)}; got {self.source!r}")
        if not (0.0 < self.max_tilt_deg <= 90.0):
            raise ConfigError(f"max_tilt_deg must be in (0, 90]; got {self.max_tilt_deg:g}")
        from .geometry.ground import AXES

        if self.up != "auto" and self.up not in AXES:
            raise ConfigError(f"up must be auto or one of {', '.join(AXES)}; got {self.up!r}")
        check_measure(self.measure)
        if self.mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(MODES)}; got {self.mode!r}")
        if not (0.0 < self.positive <= 1.0):
            raise ConfigError(f"positive must be in (0, 1]; got {self.positive:g}")
        if int(self.chunk_frames) < 1:
            raise ConfigError(f"chunk_frames must be >= 1; got {self.chunk_frames}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


#: Named presets. The GCL authors (CVPR 2023) did not publish their MSLS parameters; ``msls`` is
#: fovlabel's default: a 90° horizontal FoV (MSLS images are mostly forward-facing dash/phone
#: cameras of 80-100°) and 50 m, beyond which street-level detail is rarely matchable; cross mode
#: because MSLS defines query and database sets.
#: ``tb-places``: the TB-Places paper's values (Leyva-Vallina et al.): 90° FoV, 3.5 m radius
#: (garden-scale scenes seen from a small robot), every pair within a sequence set.
PRESETS: dict[str, dict] = {
    "msls": dict(labeller="weak2d", fov_deg=90.0, radius_m=50.0, mode="cross", measure="iou"),
    "tb-places": dict(labeller="strong2d", fov_deg=90.0, radius_m=3.5, mode="within", measure="iou"),
}


_KINDS = {"float": "a number", "int": "a whole number", "bool": "true or false", "str": "a string"}


def check_type(name: str, value, annotation: str):
    """``value`` as the field's type (an int is a float; nothing else is converted), or a
    ConfigError naming the field: ``radius_m = "50"`` or ``keep_zero = "no"`` in a pipeline file
    must not slip through as a string."""
    import numbers

    kinds = [k.strip() for k in str(annotation).split("|")]
    if value is None and "None" in kinds:
        return None
    for kind in kinds:
        if kind == "bool" and isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, (bool, np.bool_)):
            continue  # True is an int to Python, never a number here
        if kind == "float" and isinstance(value, numbers.Real):
            return float(value)
        if kind == "int" and isinstance(value, numbers.Integral):
            return int(value)
        if kind == "str" and isinstance(value, str):
            return value
    wanted = " or ".join(_KINDS.get(k, k) for k in kinds if k != "None")
    got = f"{type(value).__name__} {value!r}" if not isinstance(value, str) else f"the string {value!r}"
    raise ConfigError(f"{name} must be {wanted}; got {got}")


def make_config(preset: str | None = None, **overrides) -> LabelConfig:
    """Config from a preset (or the defaults) with the non-None ``overrides`` applied."""
    base: dict = {}
    if preset is not None:
        if preset not in PRESETS:
            raise UnknownFormatError(
                f"unknown preset {preset!r}; known: {', '.join(sorted(PRESETS))}"
            )
        base.update(PRESETS[preset])
    fields = {f.name for f in dataclasses.fields(LabelConfig)}
    for name, value in overrides.items():
        if name not in fields:
            raise ConfigError(f"unknown parameter {name!r}; known: {', '.join(sorted(fields))}")
        if value is not None:
            base[name] = value
    return LabelConfig(**base)
