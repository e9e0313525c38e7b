"""The metadata of a label set: one typed object, written as JSON under the ``fovlabel`` key of
both Parquet files' schema metadata (geopandas keeps its ``geo`` metadata the same way).

Layout (schema version 2; version 1, written by fovlabel 0.1, is read too)::

    {
      "schema_version": 2,                  # this layout; readers accept READABLE_VERSIONS
      "fovlabel_version": "0.2.0",
      "label_set_id": "sha256:...",         # hash of the run's plan; the same in both files
      "labeller": "weak2d",
      "run": {"labeller", "mode", "positive", "keep_zero", "chunk_frames"},
      "params": {...},                      # the labeller's own parameters, only those
      "config": {...},                      # run + params, flat (what version 1 called config)
      "input": {"path", "format", "reader_options", "fingerprint"},   # fingerprint: sha256 of the
                                            # frames table as read, before the labeller
      "groups": {group: {"frames", "mode", "crs"}},
      "frame_groups": ["gnss", "metric2d"], # column groups of frames.parquet (schema.FRAME_GROUPS)
      "labeller_info": {...},               # what the labeller found (up vector, 3D source, ...)
      "frames": 504, "pairs": 2540,         # row counts of frames.parquet and pairs.parquet
      "ranks": {"0": 0, "1": 1790, "2": 750},
      "absent_pairs": "overlap 0 (hard negative)"
    }

Columns and units: see :mod:`fovlabel.schema` (frames: the core and ``FRAME_GROUPS``; pairs:
``PAIRS_SCHEMA``, ``PAIRS_3D_SCHEMA``): lengths in metres (``_m``), angles in degrees (``_deg``),
times in seconds (``_s``), overlaps and coverages in [0, 1].
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LabelSetError
from ..schema import METADATA_KEY, READABLE_VERSIONS, SCHEMA_VERSION

REQUIRED = ("schema_version", "fovlabel_version", "labeller", "config", "input")


@dataclass(frozen=True)
class LabelSetMetadata:
    """What a label set says about itself (see the module docstring for the layout)."""

    labeller: str
    config: dict
    input: dict
    schema_version: int = SCHEMA_VERSION
    fovlabel_version: str = ""
    label_set_id: str | None = None
    run: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)
    frame_groups: list = field(default_factory=list)
    labeller_info: dict = field(default_factory=dict)
    frames: int = 0
    pairs: int = 0
    ranks: dict = field(default_factory=dict)
    absent_pairs: str = ""
    #: {"frames": ..., "pairs": ...}: each table's data hash (io.fingerprint.TableDigest), which
    #: verify checks; empty in label sets written before it was recorded
    data_hash: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # keys of a newer minor layout, kept as they are

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        return {**self.extra, **out}

    # -- what readers ask; version 1 (no run/params, everything flat in config) answered here once
    @property
    def run_settings(self) -> dict:
        """The run settings (mode, positive, keep_zero, chunk_frames)."""
        return self.run or {k: self.config[k] for k in ("mode", "positive", "keep_zero", "chunk_frames")
                            if k in self.config}

    @property
    def labeller_params(self) -> dict:
        """The labeller's own parameters (version 1: its config, flat)."""
        return self.params or self.config

    @property
    def positive(self) -> float:
        """The rank-2 threshold (config.RunSettings.positive where a set does not say)."""
        from ..config import RunSettings

        return float(self.run_settings.get("positive", RunSettings.positive))

    @property
    def modes(self) -> dict:
        """{group: "cross" | "within"}."""
        return {g: v.get("mode") for g, v in self.groups.items()}

    @property
    def measure(self) -> str:
        return self.labeller_params.get("measure", "iou")

    @property
    def symmetric(self) -> bool:
        """True when a pair's value is the same both ways (iou, 3D; ioa is directional): the
        labeller says (labellers.base.Labeller.symmetric)."""
        labeller, params = self.labeller_and_params()
        return labeller.symmetric(params)

    def labeller_and_params(self):
        """(the labeller that wrote the set, its parameters as that labeller's ``Params``): what
        plot, views, correspondences and the exporters ask about a set's labeller, never its name."""
        from ..labellers import LABELLERS, get_labeller

        if self.labeller not in LABELLERS:
            raise LabelSetError(f"this label set was written by the labeller {self.labeller!r}, which is not "
                                "registered here (register it with fovlabel.labellers.register_labeller before "
                                "reading the set)")
        labeller = get_labeller(self.labeller)
        names = labeller.Params.names()
        return labeller, labeller.Params(**{k: v for k, v in self.labeller_params.items() if k in names})

    def encode(self) -> bytes:
        return json.dumps(self.to_dict(), sort_keys=True).encode()

    @classmethod
    def from_dict(cls, meta: dict, file=None) -> "LabelSetMetadata":
        where = f"{file}: " if file is not None else ""
        if not isinstance(meta, dict):
            raise LabelSetError(f"{where}'{METADATA_KEY.decode()}' metadata is not a JSON object")
        missing = [k for k in REQUIRED if k not in meta]
        if missing:
            raise LabelSetError(f"{where}metadata lacks {', '.join(missing)}")
        version = meta["schema_version"]
        if version not in READABLE_VERSIONS:
            raise LabelSetError(f"{where}schema version {version}; this fovlabel reads version(s) "
                                f"{', '.join(map(str, READABLE_VERSIONS))}: regenerate the label set with "
                                "this fovlabel (fovlabel annotate ... --overwrite) or read it with the "
                                f"fovlabel that wrote it ({meta.get('fovlabel_version', 'unknown')})")
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        known = {k: v for k, v in meta.items() if k in names}
        return cls(**known, extra={k: v for k, v in meta.items() if k not in names})

    @classmethod
    def decode(cls, raw: bytes | None, file: Path) -> "LabelSetMetadata":
        if raw is None:
            raise LabelSetError(f"{file}: no '{METADATA_KEY.decode()}' metadata; not written by fovlabel")
        try:
            meta = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise LabelSetError(f"{file}: '{METADATA_KEY.decode()}' metadata is not JSON: {exc}") from None
        return cls.from_dict(meta, file)

    def schema_metadata(self) -> dict:
        """The Parquet schema metadata that carries it."""
        return {METADATA_KEY: self.encode()}


def labeller_of(meta):
    """(labeller, params) of a label set, from its metadata (a dict or a LabelSetMetadata)."""
    if isinstance(meta, dict):
        meta = LabelSetMetadata.from_dict(meta)
    return meta.labeller_and_params()
