"""A run's configuration: the run's own settings, the chosen labeller's parameters, and presets.

:class:`RunSettings` holds what every run has (labeller, mode, positive, keep_zero, chunk_frames);
the labeller's parameters are its own frozen dataclass (``Labeller.Params``, see
:mod:`fovlabel.labellers.base`). :func:`make_config` splits flat keyword arguments between the two
and refuses a parameter the chosen labeller does not take. A preset gives defaults; explicit
values override it; the metadata records the run settings and only the parameters that applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError, UnknownFormatError
from .params import Params, param

MODES = ("auto", "cross", "within")


@dataclass(frozen=True)
class RunSettings(Params):
    """How pairs are formed and ranked, whatever the labeller (fovlabel.params declares them: the
    command line's flags and help come from these fields)."""

    labeller: str = param("weak2d", "Labeller (see Labellers below; default weak2d, or the preset's).")
    mode: str = param("auto", "cross: queries x database; within: all i<j of a group; auto: cross when both "
                              "roles exist.", choices=MODES)
    positive: float = param(0.5, "Rank-2 (positive) threshold on overlap, in (0, 1].")
    keep_zero: bool = param(False, "Also write candidate pairs with overlap 0.")
    chunk_frames: int = param(5_000, "Anchor frames per work unit (memory and parallelism; not the result); "
                                     "make_config's default is the labeller's own (Labeller.chunk_frames).")

    def validate(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(MODES)}; got {self.mode!r}")
        if not (0.0 < self.positive <= 1.0):
            raise ConfigError(f"positive must be in (0, 1]; got {self.positive:g}")
        if self.chunk_frames < 1:
            raise ConfigError(f"chunk_frames must be >= 1; got {self.chunk_frames}")


@dataclass(frozen=True)
class RunConfig:
    """The run's settings and the labeller's parameters, as one value."""

    run: RunSettings
    params: object  # the labeller's Params instance

    @property
    def labeller(self) -> str:
        return self.run.labeller

    def to_dict(self) -> dict:
        """Run settings and the labeller's parameters, flat: the metadata's ``config``."""
        return {**self.run.to_dict(), **self.params.to_dict()}


from .params import check_type  # noqa: E402,F401 (kept here for one version: fovlabel.params)


#: Named presets: a labeller and its defaults. The GCL authors (CVPR 2023) did not publish their
#: MSLS parameters; ``msls`` is fovlabel's default: a 90° horizontal FoV (MSLS images are mostly
#: forward-facing dash/phone cameras of 80-100°) and 50 m, beyond which street-level detail is
#: rarely matchable; cross mode because MSLS defines query and database sets.
#: ``tb-places``: the TB-Places paper's values (Leyva-Vallina et al.): 90° FoV, 3.5 m radius
#: (garden-scale scenes seen from a small robot), every pair within a sequence set.
#: ``msls-view``: ``msls`` with the view-consistent overlap at θ = 60°: on the real Munich drive
#: it removes every facing-camera positive (the best θ measured: same-heading pairs keep their
#: overlap exactly, opposite ones drop from up to 0.69 to at most 0.03; 45° already trims
#: same-heading pairs 20-50 m apart, 90° lets opposite ones keep up to 0.07). ``msls`` stays as it
#: is, so that labels compare with GCL's.
PRESETS: dict[str, dict] = {
    "msls": dict(labeller="weak2d", fov_deg=90.0, radius_m=50.0, mode="cross", measure="iou"),
    "msls-view": dict(labeller="weak2d", fov_deg=90.0, radius_m=50.0, mode="cross", measure="iou",
                      max_view_angle_deg=60.0),
    "tb-places": dict(labeller="strong2d", fov_deg=90.0, radius_m=3.5, mode="within", measure="iou"),
}

#: one line per preset for ``--help``
PRESET_SUMMARIES = {
    "msls": "weak2d, fov 90°, radius 50 m, cross mode (MSLS query x database)",
    "msls-view": "msls with the view-consistent overlap, max view angle 60° (no facing-camera positives)",
    "tb-places": "strong2d, fov 90°, radius 3.5 m, within mode (the TB-Places paper's values)",
}

RUN_FIELDS = RunSettings.names()


def make_config(preset: str | None = None, **overrides) -> RunConfig:
    """The run's config from a preset (or the defaults) with the non-None ``overrides`` applied.

    ``overrides`` are flat: run settings (see :class:`RunSettings`) and the chosen labeller's
    parameters. A parameter of another labeller is refused ("cloud3d does not take measure"); a
    preset's value that the chosen labeller does not take is dropped (the preset was made for
    another labeller), and is not recorded.
    """
    from ._args import check_arg
    from .labellers import LABELLERS, get_labeller

    check_arg("preset", preset, "str?")
    base: dict = {}
    if preset is not None:
        if preset not in PRESETS:
            raise UnknownFormatError(f"unknown preset {preset!r}; known: {', '.join(sorted(PRESETS))}")
        base.update(PRESETS[preset])
    given = {k: v for k, v in overrides.items() if v is not None}
    name = given.get("labeller", base.get("labeller", RunSettings.labeller))
    if not isinstance(name, str):
        raise ConfigError(f"labeller must be a string; got {type(name).__name__} {name!r}")
    labeller = get_labeller(name)
    takes = set(labeller.Params.names())
    for key in given:
        if key in RUN_FIELDS or key in takes:
            continue
        others = sorted(n for n in LABELLERS if n != name and key in get_labeller(n).Params.names())
        if others:
            raise ConfigError(f"{name} does not take {key} ({key} is a parameter of {', '.join(others)}); "
                              f"{name} takes: {', '.join(sorted(takes)) or 'no parameters'}")
        known = sorted({*RUN_FIELDS, *(p for n in LABELLERS for p in get_labeller(n).Params.names())})
        raise ConfigError(f"unknown parameter {key!r}; known: {', '.join(known)}")
    values = {**base, **given}
    values.setdefault("chunk_frames", labeller.chunk_frames)
    run = RunSettings(**{k: v for k, v in values.items() if k in RUN_FIELDS})
    params = labeller.Params(**{k: v for k, v in values.items() if k in takes})
    return RunConfig(run, params)
