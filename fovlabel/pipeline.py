"""Declarative batch jobs: a TOML file names the dataset, reader, labeller and parameters.

```toml
dataset = "../sample_data/msls"      # relative to this file
format = "msls"
out = "../labels/sample_msls"        # relative to this file
labeller = "weak2d"                  # optional
preset = "msls"                      # optional
jobs = 1                             # optional
[reader]                             # optional reader options, e.g. epsg = 32632
[params]                             # optional LabelConfig fields: fov_deg, radius_m, ...
```
"""

from __future__ import annotations

import sys
from pathlib import Path

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KEYS = {"dataset", "format", "out", "labeller", "preset", "jobs", "reader", "params", "description"}


def load_pipeline(path) -> dict:
    path = Path(path)
    try:
        spec = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the pipeline: {exc}") from None
    unknown = sorted(set(spec) - KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(KEYS))}")
    missing = [k for k in ("dataset", "format", "out") if k not in spec]
    if missing:
        raise ConfigError(f"{path}: pipeline needs {', '.join(missing)}")
    for key in ("dataset", "out"):
        spec[key] = str((path.parent / spec[key]).resolve())
    return spec


def run_pipeline(path, *, out=None, jobs=None, overwrite=False, progress=None):
    """Run the job in ``path``; ``out`` (if given) replaces the file's output folder."""
    from .api import annotate

    spec = load_pipeline(path)
    return annotate(
        spec["dataset"], spec["format"], labeller=spec.get("labeller"), preset=spec.get("preset"),
        out=out or spec["out"], overwrite=overwrite, jobs=jobs or spec.get("jobs", 1),
        reader_options=spec.get("reader", {}), progress=progress, **spec.get("params", {}),
    )
