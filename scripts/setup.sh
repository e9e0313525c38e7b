#!/usr/bin/env bash
# Sourced by scripts/demo and scripts/test: makes .venv and installs fovlabel with its 3d, h5, plot,
# dask and test extras into it; re-installs only when pyproject.toml (or the extras) changed.
# Installs with apt what pip cannot: python3-venv where missing, and libusb-1.0-0, which open3d
# needs at import (without root, the 3d extra is left out: one line says what that leaves out).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-python3}
VENV="$ROOT/.venv"

need_apt() {
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "setup: please install: $*" >&2
    exit 1
  fi
}

command -v "$PY" >/dev/null 2>&1 || need_apt python3 python3-venv
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 10))' || {
  echo "setup: fovlabel needs Python >= 3.10; $PY is $("$PY" --version)" >&2; exit 1; }
"$PY" -c 'import ensurepip, venv' 2>/dev/null || need_apt python3-venv

# open3d (the 3d extra: the 3D labeller's scene sources, --scene and --scene-from-rgbd) needs the
# system library libusb-1.0 at import time. Without it, and without root to install it, fovlabel
# is installed without open3d: everything else (every reader, 2D and 3D labels from depth images
# and tracks, exports, pictures) works, and the scene sources say how to add it.
extras="h5,plot,dask,test"
if ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0'; then
  extras="3d,$extras"
elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  need_apt libusb-1.0-0
  extras="3d,$extras"
else
  echo "setup: libusb-1.0-0 is missing and installing it needs root: installing without open3d; unavailable:" \
       "the 3D scene sources (--scene, --scene-from-rgbd). Add them later: apt-get install libusb-1.0-0, then" \
       "scripts/test or scripts/demo again" >&2
fi

stamp="$VENV/.fovlabel-installed"
want=$( (cd "$ROOT" && cat pyproject.toml; echo "$extras") | sha256sum | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing fovlabel into $VENV" >&2
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT[$extras]" 2> >(grep -v "is ignored" >&2)
  echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
