"""``d2net`` (alias ``glue-factory``): D2-Net's MegaDepth ``scene_info``, which glue-factory's
MegaDepth dataset reads, as one data root (exporters/megadepth.py): ``scene_info/<scene>.npz``
with ``overlap_matrix``, ``train_scenes.txt``, image links and depth files."""

from __future__ import annotations

import numpy as np

from ..io.paths import inside
from .base import Exporter
from .megadepth import (INFO_DIR, MEGADEPTH_CONVENTIONS, SCENES_FILE, _check_3d, _modes, _scenes,  # noqa: F401
                        coverage_matrix, megadepth_scene)


class D2Net(Exporter):
    name = "d2net"
    summary = ("D2-Net / glue-factory MegaDepth data root: scene_info/<scene>.npz, depth_undistorted/, "
               "image links, train_scenes.txt")
    conventions = MEGADEPTH_CONVENTIONS

    def check(self, labels, options):
        _check_3d(self.name, labels)

    def write(self, folder, labels, options):
        modes = _modes(labels)
        files, scenes = [], []
        for scene, ids in _scenes(labels):
            arrays, written = megadepth_scene(folder, labels, ids, scene)
            inside(folder, INFO_DIR).mkdir(exist_ok=True)
            name = f"{INFO_DIR}/{scene}.npz"
            np.savez(inside(folder, name), **arrays,
                     overlap_matrix=coverage_matrix(labels.frames, labels.pairs, ids, modes))
            files += [name, *written]
            scenes.append(scene)
        inside(folder, SCENES_FILE).write_text("".join(f"{s}\n" for s in scenes))
        return files + [SCENES_FILE]


class GlueFactory(D2Net):
    """``glue-factory``: the ``d2net`` export under the name glue-factory users look for."""

    name = "glue-factory"
    summary = "alias of d2net: the folder is glue-factory's MegaDepth data_dir (set data_dir and the scenes)"


# kept for one version: these lived here before (fovlabel.exporters.loftr now)
from .loftr import LoftrMegadepth, LoftrMegadepthOptions, LoftrScannet  # noqa: E402,F401
