"""Declarative batch jobs: a TOML file names the dataset, reader, labeller and parameters.

```toml
dataset = "../sample_data/msls"      # relative to this file
format = "msls"
out = "../labels/sample_msls"        # relative to this file
labeller = "weak2d"                  # optional
preset = "msls"                      # optional
jobs = 1                             # optional
scheduler = "dask-local:2"           # optional: local (default), dask-local:N or tcp://HOST:PORT
[reader]                             # optional reader options, e.g. epsg = 32632
[params]                             # optional run settings and the labeller's parameters
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

KEYS = {"dataset", "format", "out", "labeller", "preset", "jobs", "scheduler", "reader", "params", "description"}


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
    _check_types(path, spec)
    for key in ("dataset", "out"):
        spec[key] = str((path.parent / spec[key]).resolve())
    return spec


#: the type of each top-level key (params are checked against the labelling config's fields)
TYPES = {"dataset": str, "format": str, "out": str, "labeller": str, "preset": str,
         "description": str, "jobs": int, "scheduler": str}


#: keys that stand at the top of the file, never under [params]
TOP_ONLY = frozenset({"labeller", "preset", "jobs", "scheduler"})


def _check_types(path: Path, spec: dict) -> None:
    """Every value of the file has the type its key takes; errors name the file and the key."""
    from .config import make_config
    from .params import check_value
    from .errors import FovlabelError

    for key, kind in TYPES.items():
        if key in spec:
            try:
                check_value(key, spec[key], (kind,))
            except ConfigError as exc:
                raise ConfigError(f"{path}: key {key!r}: {exc}") from None
    if "jobs" in spec and spec["jobs"] < 1:
        raise ConfigError(f"{path}: key 'jobs': jobs must be >= 1; got {spec['jobs']}")
    if "scheduler" in spec:
        from .schedulers import check_scheduler

        try:
            check_scheduler(spec["scheduler"])
        except ConfigError as exc:
            raise ConfigError(f"{path}: key 'scheduler': {exc}") from None
    for table in ("reader", "params"):
        if table in spec and not isinstance(spec[table], dict):
            raise ConfigError(f"{path}: key {table!r} must be a table ([{table}]); got "
                              f"{type(spec[table]).__name__} {spec[table]!r}")
    for key in ("dataset", "out"):
        if key in spec and ("\x00" in spec[key] or not spec[key].strip()):
            raise ConfigError(f"{path}: key {key!r}: a path must be non-empty and hold no NUL character; "
                              f"got {spec[key]!r}")
    for key in sorted(set(spec.get("params", {})) & TOP_ONLY):
        raise ConfigError(f"{path}: key 'params.{key}': {key} is a top-level key (it is given there"
                          f"{' too' if key in spec else ''}); write it once, above [params]")
    for key, value in spec.get("reader", {}).items():
        if isinstance(value, (dict, list)):
            raise ConfigError(f"{path}: key 'reader.{key}' must be a single value; got {value!r}")
    params = spec.get("params", {})
    try:
        make_config(spec.get("preset"), labeller=spec.get("labeller"), **params)
    except FovlabelError as exc:
        name = next((k for k in params if str(exc).startswith(f"{k} ")), None)
        where = f"key 'params.{name}'" if name else "params"
        raise ConfigError(f"{path}: {where}: {exc}") from None


def run_pipeline(path, *, out=None, jobs=None, overwrite=False, progress=None, scheduler=None):
    """Run the job in ``path``; ``out``, ``jobs``, ``scheduler`` (if given) replace the file's."""
    from .api import annotate

    spec = load_pipeline(path)
    return annotate(
        spec["dataset"], spec["format"], labeller=spec.get("labeller"), preset=spec.get("preset"),
        out=out or spec["out"], overwrite=overwrite, jobs=jobs or spec.get("jobs", 1),
        reader_options=spec.get("reader", {}), progress=progress,
        scheduler=scheduler or spec.get("scheduler"), **spec.get("params", {}),
    )
