"""``gcl-pairs``: the Generalized Contrastive Loss trainer's labels of single image sets
(marialeyvallina/generalized_contrastive_loss).

``gcl-pairs``: for single image sets (its ``SiameseDataSet``: TB-Places, 7-Scenes, any
within-mode label set), per group ``<group>_gt.h5`` with ``fov``, the overlap of every pair of
the group's usable frames as the condensed upper triangle in scipy ``squareform`` order (length
n(n-1)/2, float32; absent pairs 0), and ``sim`` (uint8, overlap >= the label set's positive
threshold), plus ``<group>.json`` with ``im_prefix`` (the dataset root, ending in "/"),
``im_paths`` and, where the frames have 6DoF poses, ``poses`` as ``[tx, ty, tz, qx, qy, qz, qw]``
(camera-to-world, quaternion scalar-LAST as GCL reads it) in the same order.

Traps: GCL's single-set sampler calls a pair positive at ``fov > 0.5`` (strict, where MSLS uses
``>=``), and squareform's diagonal is 0, so GCL can draw an image as its own hard negative; the
file cannot prevent that (the sampler has to). The matrix is written in row blocks: memory stays
bounded for any n.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..io.paths import inside, safe_name
from .base import ExportOptions, Exporter, h5py_module, image_names, local_index, param


@dataclass(frozen=True)
class GclPairsOptions(ExportOptions):
    block_rows: int = param(512, "Rows of the pair matrix written at a time (memory, not the result).")

    def validate(self):
        if self.block_rows < 1:
            raise ConfigError(f"block_rows must be >= 1; got {self.block_rows}")


def condensed_index(n: int, i, j):
    """Position of pair (i, j), i < j, in scipy's condensed (squareform) vector of n items."""
    i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
    return n * i - i * (i + 1) // 2 + (j - i - 1)


class GclPairs(Exporter):
    name = "gcl-pairs"
    summary = "GCL SiameseDataSet: condensed squareform fov/sim (.h5) + index JSON per group"
    Options = GclPairsOptions

    def check(self, labels, options):
        modes = labels.metadata.modes
        cross = sorted(g for g, m in modes.items() if m == "cross")
        if cross:
            raise ConfigError(f"gcl-pairs needs a within-mode label set (one image set a group); group "
                              f"{cross[0]!r} is in cross mode: use gcl-msls for query/database sets")
        measure = labels.metadata.measure
        if measure != "iou":
            raise ConfigError(f"gcl-pairs needs a symmetric measure (iou): the condensed matrix holds one "
                              f"value a pair; this label set uses {measure}")

    def write(self, folder, labels, options):
        h5py = h5py_module()
        frames, pairs = labels.frames, labels.pairs
        positive = labels.metadata.positive
        names = image_names(frames)
        has_pose = frames[["tx", "qw"]].notna().all(axis=1).to_numpy()
        files = []
        for group, members in frames[frames["usable"]].groupby("group", sort=False):
            ids = members["frame_id"].to_numpy(np.int64)
            n = len(ids)
            local = local_index(len(frames), ids)
            sub = pairs[(local[pairs["frame_a"].to_numpy()] >= 0) & (local[pairs["frame_b"].to_numpy()] >= 0)]
            i, j = local[sub["frame_a"].to_numpy()], local[sub["frame_b"].to_numpy()]
            lo, hi = np.minimum(i, j), np.maximum(i, j)
            k = condensed_index(n, lo, hi)
            order = np.argsort(k, kind="stable")
            k, values = k[order], sub["overlap"].to_numpy(np.float32)[order]
            safe = safe_name(group)
            gt = f"{safe}_gt.h5"
            length = n * (n - 1) // 2
            with h5py.File(inside(folder, gt), "w") as f:
                packed = dict(chunks=(min(length, 1 << 18),), compression="gzip", compression_opts=1) if length else {}
                fov = f.create_dataset("fov", shape=(length,), dtype="f4", fillvalue=0.0, **packed)
                sim = f.create_dataset("sim", shape=(length,), dtype="u1", fillvalue=0, **packed)
                for start_row in range(0, max(n - 1, 0), options.block_rows):
                    stop_row = min(start_row + options.block_rows, n - 1)
                    a0 = int(condensed_index(n, start_row, start_row + 1))
                    a1 = int(condensed_index(n, stop_row - 1, n - 1)) + 1
                    block = np.zeros(a1 - a0, np.float32)
                    s0, s1 = np.searchsorted(k, [a0, a1])
                    block[k[s0:s1] - a0] = values[s0:s1]
                    fov[a0:a1] = block
                    sim[a0:a1] = (block >= positive).astype(np.uint8)
            index = {"im_prefix": labels.im_prefix, "im_paths": [str(names[x]) for x in ids]}
            if has_pose[ids].all():
                index["poses"] = members[["tx", "ty", "tz", "qx", "qy", "qz", "qw"]].to_numpy().tolist()
            inside(folder, f"{safe}.json").write_text(json.dumps(index))
            files += [gt, f"{safe}.json"]
        return files
