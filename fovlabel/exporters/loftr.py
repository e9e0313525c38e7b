"""LoFTR's indexes: ``loftr-megadepth`` (per scene and overlap bin a pickled dict, ``index.txt``,
as one data root: exporters/megadepth.py) and ``loftr-scannet`` (per scene an npz of frame pairs
and scores, ``intrinsics.npz``)."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..geometry.camera import intrinsic_matrix
from ..io.paths import inside
from .base import ExportOptions, Exporter, local_index, param
from .megadepth import MEGADEPTH_CONVENTIONS, _check_3d, _modes, _scenes, coverage_matrix, megadepth_scene

@dataclass(frozen=True)
class LoftrMegadepthOptions(ExportOptions):
    bins: str = param("0.1,0.3,0.5,0.7", "Overlap bin edges: files for (lo, hi] of each neighbour pair.")

    def validate(self):
        edges = self.edges()
        if len(edges) < 2 or any(not 0.0 <= e <= 1.0 for e in edges) or any(np.diff(edges) <= 0):
            raise ConfigError(f"bins must be increasing numbers in [0, 1], at least two; got {self.bins!r}")

    def edges(self) -> list[float]:
        try:
            return [float(v) for v in str(self.bins).split(",")]
        except ValueError:
            raise ConfigError(f"bins must be comma-separated numbers; got {self.bins!r}") from None


class LoftrMegadepth(Exporter):
    name = "loftr-megadepth"
    summary = "LoFTR MegaDepth data root: pickled dicts per scene and overlap bin, index.txt, depth .h5, image links"
    Options = LoftrMegadepthOptions
    conventions = MEGADEPTH_CONVENTIONS

    def check(self, labels, options):
        _check_3d(self.name, labels)
        if not labels.frames["depth_path"].notna().any():
            raise ConfigError("loftr-megadepth needs a 3D label set with depth images (LoFTR reads each "
                              "image's depth); this one has none")

    def write(self, folder, labels, options):
        edges = options.edges()
        pairs = labels.pairs
        modes = _modes(labels)
        files, names = [], []
        for scene, ids in _scenes(labels):
            record, written = megadepth_scene(folder, labels, ids, scene)
            files += written
            local = local_index(len(labels.frames), ids)
            mine = (local[pairs["frame_a"].to_numpy()] >= 0) & (local[pairs["frame_b"].to_numpy()] >= 0)
            sub = pairs[mine]
            a, b = local[sub["frame_a"].to_numpy()], local[sub["frame_b"].to_numpy()]
            cover = coverage_matrix(labels.frames, pairs, ids, modes)  # exact where set sizes are known
            score = np.minimum(cover[a, b], cover[b, a])
            for lo, hi in zip(edges[:-1], edges[1:]):
                keep = np.flatnonzero((score > lo) & (score <= hi))
                info = [(np.array([a[k], b[k]], np.int64), float(score[k]), np.zeros(4)) for k in keep]
                stem = f"{scene}_{lo:g}_{hi:g}"
                with open(inside(folder, f"{stem}.npz"), "wb") as f:
                    pickle.dump({**record, "pair_infos": info}, f, protocol=4)
                files.append(f"{stem}.npz")
                names.append(stem)
        inside(folder, "index.txt").write_text("".join(f"{n}\n" for n in names))
        return files + ["index.txt"]


class LoftrScannet(Exporter):
    """``loftr-scannet``: LoFTR's ScanNet index from a ScanNet label set: per scene
    ``scannet_indices/<scene>.npz`` (a real npz) with ``name`` (N, 4) int
    ``[scene_id, sub_scene_id, frame0, frame1]`` and ``score`` (N,) float (3D sets: the pair's
    smaller directional coverage, as loftr-megadepth; 2D sets: the overlap), and
    ``intrinsics.npz`` mapping each scene name to its (3, 3) depth-camera K."""

    name = "loftr-scannet"
    summary = "LoFTR ScanNet index: per scene npz of name (N, 4) and score, plus intrinsics.npz"
    Options = ExportOptions

    def check(self, labels, options):
        import re

        for group in labels.frames["group"].unique():
            if not re.fullmatch(r"scene\d+_\d+", str(group)):
                raise ConfigError(f"loftr-scannet needs a ScanNet label set (--format scannet, scenes named "
                                  f"sceneXXXX_XX); group {group!r} is not one")
        if not labels.frames["key"].str.fullmatch(r"\d+").all():
            raise ConfigError("loftr-scannet needs ScanNet frame numbers as keys")

    def write(self, folder, labels, options):
        import re

        frames, pairs = labels.frames, labels.pairs
        modes = labels.metadata.modes
        inside(folder, "scannet_indices").mkdir()
        intrinsics, files = {}, []
        for scene, ids in _scenes(labels):
            scene_id, sub_id = (int(v) for v in re.fullmatch(r"scene(\d+)_(\d+)", scene).groups())
            local = local_index(len(frames), ids)
            mine = (local[pairs["frame_a"].to_numpy()] >= 0) & (local[pairs["frame_b"].to_numpy()] >= 0)
            sub = pairs[mine]
            a, b = local[sub["frame_a"].to_numpy()], local[sub["frame_b"].to_numpy()]
            if "cover_a" in sub.columns:
                cover = coverage_matrix(frames, pairs, ids, modes)
                score = np.minimum(cover[a, b], cover[b, a])
            else:
                score = sub["overlap"].to_numpy(np.float64)
            number = frames["key"].to_numpy(dtype=object)[ids].astype(np.int64)
            name = np.stack([np.full(len(a), scene_id), np.full(len(a), sub_id), number[a], number[b]], 1)
            np.savez(inside(folder, f"scannet_indices/{scene}.npz"), name=name.astype(np.int64),
                     score=score.astype(np.float64))
            files.append(f"scannet_indices/{scene}.npz")
            row = frames.iloc[ids[0]]
            intrinsics[scene] = intrinsic_matrix(row["fx"], row["fy"], row["cx"], row["cy"])  # ScanNet's own
        np.savez(inside(folder, "intrinsics.npz"), **intrinsics)
        return files + ["intrinsics.npz"]
