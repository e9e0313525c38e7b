"""D2-Net's MegaDepth ``scene_info`` (what glue-factory's MegaDepth dataset also reads), and
LoFTR's MegaDepth index, from a 3D label set.

``d2net``: per group (scene) ``scene_info/<scene>.npz`` (``np.savez``; load with
``allow_pickle=True``):

- ``image_paths``, ``depth_paths``: object arrays (N,), relative to the dataset root, ``None``
  for unusable frames (and for depth where the frame has none);
- ``intrinsics``: object array of (3, 3) K, ``poses``: object array of (4, 4) **world-to-camera**
  (the frames table holds camera-to-world: inverted here), ``None`` where unknown;
- ``overlap_matrix`` (N, N) float: ``[i, j]`` = |Vi ∩ Vj| / |Vi|, the directional coverage of i by
  j (the label set's ``cover_a`` / ``cover_b``; for a COLMAP tracks set exactly D2-Net's
  definition from shared 3D points); pairs the label set never computed (cross mode's query-query
  and database-database pairs, unusable frames) and the diagonal are -1, as in D2-Net (a diagonal
  of 1 would make self-pairs positives).

With ``write_depth_h5`` the depth images are also written as ``depth/<scene>/<image stem>.h5``
(dataset ``depth``, float32 metres, invalid 0, same size), where glue-factory looks, and
``depth_paths`` point to them (where image stems repeat in a scene, several sequences with the
same frame names, the name comes from the whole depth path instead).

``loftr-megadepth``: per scene and overlap bin ``(lo, hi]`` of ``bins``, a **pickled dict** named
``<scene>_<lo>_<hi>.npz`` (LoFTR deletes a key from what ``np.load`` returns, which a real npz
archive refuses) with the same ``image_paths``, ``depth_paths``, ``intrinsics``, ``poses`` and
``pair_infos``: a list of ``((i, j), score, central_matches)``, score = min(cover_a, cover_b)
(the pair's smaller directional coverage, so that both views share that much), central_matches
zeros (LoFTR does not use them); plus ``index.txt`` naming the files without ``.npz``. LoFTR
reads depth from ``.h5`` files (dataset ``depth``): ``write_depth_h5`` (on by default) writes them
as for d2net and ``depth_paths`` point to them.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..geometry.poses import invert, quat_to_matrix
from ..io.paths import inside, safe_name
from .base import ExportOptions, Exporter, param


@dataclass(frozen=True)
class D2NetOptions(ExportOptions):
    write_depth_h5: bool = param(False, "Also write each depth image as depth/<scene>/<stem>.h5 (float32 m).")


def _check_3d(name, labels):
    if "cover_a" not in labels.pairs.columns:
        raise ConfigError(f"{name} needs a 3D label set (--labeller cloud3d): its overlaps are directional "
                          f"coverages; this one is {labels.meta.get('labeller')}")


def scene_arrays(frames, ids, root, depth_h5=None):
    """image_paths, depth_paths, intrinsics, poses (world-to-camera) for the frames ``ids``."""
    n = len(ids)
    sub = frames.iloc[ids]
    usable = sub["usable"].to_numpy()
    image_paths = np.array([p if u and isinstance(p, str) else None for p, u in zip(sub["image_path"], usable)],
                           dtype=object)
    if depth_h5 is not None:
        depth_paths = np.array([depth_h5.get(int(i)) for i in ids], dtype=object)
    else:
        depth_paths = np.array([p if u and isinstance(p, str) else None for p, u in zip(sub["depth_path"], usable)],
                               dtype=object)
    intrinsics = np.empty(n, dtype=object)
    poses = np.empty(n, dtype=object)
    has_k = sub[["fx", "fy", "cx", "cy"]].notna().all(axis=1).to_numpy() & usable
    has_pose = sub[["tx", "qw"]].notna().all(axis=1).to_numpy() & usable
    if has_pose.any():
        R = quat_to_matrix(sub.loc[has_pose, ["qw", "qx", "qy", "qz"]].to_numpy())
        R_cw, t_cw = invert(R, sub.loc[has_pose, ["tx", "ty", "tz"]].to_numpy())
    k = 0
    for i in range(n):
        row = sub.iloc[i]
        if has_k[i]:
            intrinsics[i] = np.array([[row["fx"], 0.0, row["cx"]], [0.0, row["fy"], row["cy"]], [0.0, 0.0, 1.0]])
        if has_pose[i]:
            T = np.eye(4)
            T[:3, :3], T[:3, 3] = R_cw[k], t_cw[k]
            poses[i] = T
            k += 1
    return image_paths, depth_paths, intrinsics, poses


def _write_depth_h5(folder, frames, ids, scene, root):
    """depth/<scene>/<stem>.h5 of each usable frame with a depth image; {frame id: relative path}."""
    from ..io.depth import read_depth
    from ..schema import DEPTH_INVALID
    from .gcl import _h5py

    from pathlib import Path

    h5py = _h5py()
    out = {}
    # glue-factory looks for depth/<scene>/<image stem>.h5: image stems where they are unique in the
    # scene, else (several sequences with the same frame names) a name from the whole depth path
    stems = [Path(p).stem if isinstance(p, str) else None for p in frames["image_path"].to_numpy(dtype=object)[ids]]
    unique = len(set(stems)) == len(stems) and None not in stems
    for k, i in enumerate(ids):
        row = frames.iloc[int(i)]
        if not (row["usable"] and isinstance(row["depth_path"], str)):
            continue
        depth = read_depth(root / row["depth_path"], width=row["width"], height=row["height"])
        metres = np.where(np.isin(depth, DEPTH_INVALID), 0.0, depth / float(row["depth_scale"])).astype(np.float32)
        stem = safe_name(stems[k] if unique else str(row["depth_path"]).rsplit(".", 1)[0])
        name = f"depth/{scene}/{stem}.h5"
        inside(folder, name).parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(inside(folder, name), "w") as f:
            f.create_dataset("depth", data=metres, compression="gzip", compression_opts=1)
        out[int(i)] = name
    return out


def coverage_matrix(frames, pairs, ids, modes):
    """(N, N) D2-Net overlap matrix of the frames ``ids`` (see the module docstring)."""
    n = len(ids)
    local = np.full(len(frames), -1, np.int64)
    local[ids] = np.arange(n)
    usable = frames["usable"].to_numpy()[ids]
    matrix = np.full((n, n), -1.0)
    group = frames["group"].iloc[ids[0]] if n else None
    role = frames["role"].to_numpy(dtype=object)[ids]
    computed = np.outer(usable, usable)
    if modes.get(group) == "cross":  # only query x database pairs were ever computed
        q = role == "query"
        computed &= np.logical_xor.outer(q, q)
    matrix[computed] = 0.0  # computed and absent: nothing shared
    mine = (local[pairs["frame_a"].to_numpy()] >= 0) & (local[pairs["frame_b"].to_numpy()] >= 0)
    sub = pairs[mine]
    a, b = local[sub["frame_a"].to_numpy()], local[sub["frame_b"].to_numpy()]
    observed = frames["observed"].to_numpy(np.float64, na_value=np.nan)
    if np.isfinite(observed[ids]).all():  # exact, in float64: |Vi ∩ Vj| / |Vi|
        shared = sub["shared"].to_numpy(np.float64)
        size_a = observed[sub["frame_a"].to_numpy()]
        size_b = observed[sub["frame_b"].to_numpy()]
        matrix[a, b] = np.where(size_a > 0, shared / np.maximum(size_a, 1), 0.0)
        matrix[b, a] = np.where(size_b > 0, shared / np.maximum(size_b, 1), 0.0)
    else:  # a label set without set sizes: the stored float32 coverages
        matrix[a, b] = sub["cover_a"].to_numpy(np.float64)
        matrix[b, a] = sub["cover_b"].to_numpy(np.float64)
    np.fill_diagonal(matrix, -1.0)
    return matrix


def _scenes(labels):
    frames = labels.frames
    for group in frames["group"].unique():
        yield safe_name(group), frames.index[frames["group"] == group].to_numpy(np.int64)


class D2Net(Exporter):
    name = "d2net"
    summary = "D2-Net / glue-factory MegaDepth scene_info/<scene>.npz (overlap_matrix: directional coverage)"
    Options = D2NetOptions

    def check(self, labels, options):
        _check_3d(self.name, labels)
        if options.write_depth_h5 and not labels.frames["depth_path"].notna().any():
            raise ConfigError("d2net --write-depth-h5 needs a label set with depth images; this one has none")

    def write(self, folder, labels, options):
        modes = {g: v.get("mode") for g, v in labels.meta.get("groups", {}).items()}
        root = labels.dataset_root
        files = []
        for scene, ids in _scenes(labels):
            depth_h5 = _write_depth_h5(folder, labels.frames, ids, scene, root) if options.write_depth_h5 else None
            image_paths, depth_paths, intrinsics, poses = scene_arrays(labels.frames, ids, root, depth_h5)
            inside(folder, "scene_info").mkdir(exist_ok=True)
            name = f"scene_info/{scene}.npz"
            np.savez(inside(folder, name), image_paths=image_paths, depth_paths=depth_paths, intrinsics=intrinsics,
                     poses=poses, overlap_matrix=coverage_matrix(labels.frames, labels.pairs, ids, modes))
            files.append(name)
            files += sorted((depth_h5 or {}).values())
        return files


@dataclass(frozen=True)
class LoftrMegadepthOptions(ExportOptions):
    bins: str = param("0.1,0.3,0.5,0.7", "Overlap bin edges: files for (lo, hi] of each neighbour pair.")
    write_depth_h5: bool = param(True, "Also write each depth image as depth/<scene>/<stem>.h5 (float32 m).")

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
    summary = "LoFTR MegaDepth index: pickled dicts per scene and overlap bin, with pair_infos"
    Options = LoftrMegadepthOptions

    def check(self, labels, options):
        _check_3d(self.name, labels)
        if not labels.frames["depth_path"].notna().any():
            raise ConfigError("loftr-megadepth needs a 3D label set with depth images (LoFTR reads each "
                              "image's depth); this one has none")

    def write(self, folder, labels, options):
        edges = options.edges()
        pairs = labels.pairs
        modes = {g: v.get("mode") for g, v in labels.meta.get("groups", {}).items()}
        files, names = [], []
        for scene, ids in _scenes(labels):
            depth_h5 = (_write_depth_h5(folder, labels.frames, ids, scene, labels.dataset_root)
                        if options.write_depth_h5 else None)
            files += sorted((depth_h5 or {}).values())
            image_paths, depth_paths, intrinsics, poses = scene_arrays(labels.frames, ids, labels.dataset_root,
                                                                       depth_h5)
            local = np.full(len(labels.frames), -1, np.int64)
            local[ids] = np.arange(len(ids))
            mine = (local[pairs["frame_a"].to_numpy()] >= 0) & (local[pairs["frame_b"].to_numpy()] >= 0)
            sub = pairs[mine]
            a, b = local[sub["frame_a"].to_numpy()], local[sub["frame_b"].to_numpy()]
            cover = coverage_matrix(labels.frames, pairs, ids, modes)  # exact where set sizes are known
            score = np.minimum(cover[a, b], cover[b, a])
            for lo, hi in zip(edges[:-1], edges[1:]):
                keep = np.flatnonzero((score > lo) & (score <= hi))
                info = [(np.array([a[k], b[k]], np.int64), float(score[k]), np.zeros(4)) for k in keep]
                stem = f"{scene}_{lo:g}_{hi:g}"
                record = {"image_paths": image_paths, "depth_paths": depth_paths, "intrinsics": intrinsics,
                          "poses": poses, "pair_infos": info}
                with open(inside(folder, f"{stem}.npz"), "wb") as f:
                    pickle.dump(record, f, protocol=4)
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
        modes = {g: v.get("mode") for g, v in labels.meta.get("groups", {}).items()}
        inside(folder, "scannet_indices").mkdir()
        intrinsics, files = {}, []
        for scene, ids in _scenes(labels):
            scene_id, sub_id = (int(v) for v in re.fullmatch(r"scene(\d+)_(\d+)", scene).groups())
            local = np.full(len(frames), -1, np.int64)
            local[ids] = np.arange(len(ids))
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
            intrinsics[scene] = np.array([[row["fx"], 0.0, row["cx"]], [0.0, row["fy"], row["cy"]], [0.0, 0.0, 1.0]])
        np.savez(inside(folder, "intrinsics.npz"), **intrinsics)
        return files + ["intrinsics.npz"]
