"""The MegaDepth family's shared part: one data root, its image links and depth files, the scene
arrays and the coverage matrix, for the ``d2net`` / ``glue-factory`` and ``loftr-megadepth``
exporters (exporters/d2net.py, exporters/loftr.py).

**One data root.** A MegaDepth-family export folder is the trainer's data root: every path in
it is relative to the folder, and the folder holds or links to everything the trainer opens:

- ``images/<scene>/<name>``: a relative symbolic link to each usable frame's image in the dataset
  (so the export moves with its dataset); names are the images' own where their stems are unique
  in the scene, else made from the whole image path (io.paths.safe_name), so no two images of a
  scene share a stem;
- ``depth_undistorted/<scene>/<stem>.h5``: each depth image as dataset ``depth`` (float32 metres,
  invalid 0, the image's size), where glue-factory looks by default (``depth_subpath``) and where
  ``depth_paths`` point (LoFTR opens those);
- ``scene_info/<scene>.npz`` (``d2net``, alias ``glue-factory``) and ``train_scenes.txt``, the
  scene list (one name a line).

A frame without an image (a CSV of depth images alone) has ``image_paths`` None: the trainers
skip it. **Pixels**: ``intrinsics`` follow MegaDepth's (COLMAP's) convention, the centre of the
top-left pixel at (0.5, 0.5): fovlabel's OpenCV cx, cy + schema.COLMAP_PIXEL_SHIFT (glue-factory
adds 0.5 to its pixel coordinates to match). ``poses`` are **world-to-camera** 4x4 (the frames
table holds camera-to-world: inverted here).

``d2net``: ``overlap_matrix`` (N, N) float: ``[i, j]`` = |Vi ∩ Vj| / |Vi|, the directional
coverage of i by j (exact from the set sizes; for a COLMAP tracks set D2-Net's own definition from
shared 3D points). A pair the label set computed and did not write shares nothing: 0 (the
candidate search is lossless). -1 marks what D2-Net's format marks -1: the diagonal, and pairs
that were never labelled (cross mode's query-query and database-database pairs, unusable frames).
glue-factory draws negatives as entries ``<= 0``, so it can draw those -1 entries, the diagonal
included; fovlabel's ``OverlapBinSampler`` does not.

``loftr-megadepth``: per scene and overlap bin ``(lo, hi]`` of ``bins``, a **pickled dict** named
``<scene>_<lo>_<hi>.npz`` (LoFTR deletes a key from what ``np.load`` returns, which a real npz
archive refuses) with the same ``image_paths``, ``depth_paths``, ``intrinsics``, ``poses`` and
``pair_infos``: a list of ``((i, j), score, central_matches)``, score = min(cover_a, cover_b)
(the pair's smaller directional coverage, so that both views share that much), central_matches
zeros (LoFTR does not use them); plus ``index.txt`` naming the files without ``.npz``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..geometry.camera import intrinsic_matrix
from ..geometry.poses import invert, quat_to_matrix
from ..io.paths import inside, safe_name
from ..schema import COLMAP_PIXEL_SHIFT
from .base import h5py_module, link_into, local_index

IMAGES_DIR = "images"
DEPTH_DIR = "depth_undistorted"
INFO_DIR = "scene_info"
SCENES_FILE = "train_scenes.txt"
#: what the manifest says of a MegaDepth-family export's conventions
MEGADEPTH_CONVENTIONS = {
    "data_root": "this folder: image_paths and depth_paths are relative to it",
    "intrinsics": "COLMAP/MegaDepth pixels: the centre of the top-left pixel is (0.5, 0.5) "
                  "(fovlabel's OpenCV cx, cy + 0.5)",
    "poses": "world-to-camera 4x4",
}


def _check_3d(name, labels):
    if "cover_a" not in labels.pairs.columns:
        raise ConfigError(f"{name} needs a 3D label set (--labeller cloud3d): its overlaps are directional "
                          f"coverages; this one is {labels.meta.get('labeller')}")


def colmap_intrinsics(row) -> np.ndarray:
    """K of a frames-table row in COLMAP's pixel convention (schema: OpenCV's principal point +
    COLMAP_PIXEL_SHIFT)."""
    return intrinsic_matrix(row["fx"], row["fy"], row["cx"] + COLMAP_PIXEL_SHIFT, row["cy"] + COLMAP_PIXEL_SHIFT)


def _link_names(image_paths) -> list:
    """Each image's name in images/<scene>/: its own where stems are unique in the scene, else
    one made from its whole path (two sequences with the same frame names)."""
    stems = [Path(p).stem for p in image_paths if p is not None]
    unique = len(set(stems)) == len(stems)
    out = []
    for p in image_paths:
        if p is None:
            out.append(None)
        elif unique:
            out.append(safe_name(Path(p).name))
        else:
            out.append(safe_name(str(Path(p).with_suffix("")).replace("/", "_")) + Path(p).suffix)
    return out


def megadepth_scene(folder: Path, labels, ids, scene: str) -> tuple[dict, list[str]]:
    """The scene's arrays (image_paths, depth_paths, intrinsics, poses: see the module docstring)
    and the files written for it (image links, depth .h5)."""
    from ..io.depth import read_depth
    from ..schema import DEPTH_INVALID

    frames = labels.frames
    sub = frames.iloc[ids]
    usable = sub["usable"].to_numpy()
    own = [p if u and isinstance(p, str) else None for p, u in zip(sub["image_path"], usable)]
    names = _link_names(own)
    n = len(ids)
    image_paths = np.full(n, None, dtype=object)
    depth_paths = np.full(n, None, dtype=object)
    intrinsics = np.full(n, None, dtype=object)
    poses = np.full(n, None, dtype=object)
    files = []
    has_k = sub[["fx", "fy", "cx", "cy"]].notna().all(axis=1).to_numpy() & usable
    has_pose = sub[["tx", "qw"]].notna().all(axis=1).to_numpy() & usable
    R_cw = t_cw = None
    if has_pose.any():
        R = quat_to_matrix(sub.loc[has_pose, ["qw", "qx", "qy", "qz"]].to_numpy())
        R_cw, t_cw = invert(R, sub.loc[has_pose, ["tx", "ty", "tz"]].to_numpy())
    image_root = labels.image_root if any(p is not None for p in own) else None
    data_root = labels.dataset_root if sub["depth_path"].notna().any() else None
    h5py = None
    missing = []
    k = 0
    for i in range(n):
        row = sub.iloc[i]
        if has_k[i]:
            intrinsics[i] = colmap_intrinsics(row)
        if has_pose[i]:
            T = np.eye(4)
            T[:3, :3], T[:3, 3] = R_cw[k], t_cw[k]
            poses[i] = T
            k += 1
        if names[i] is not None and not (image_root / own[i]).is_file():
            missing.append(own[i])
            names[i] = None
        if names[i] is None:
            continue
        image_paths[i] = link_into(folder, f"{IMAGES_DIR}/{scene}/{names[i]}", image_root / own[i],
                                   labels.destination)
        files.append(image_paths[i])
        if isinstance(row["depth_path"], str):
            h5py = h5py or h5py_module()
            depth = read_depth(data_root / row["depth_path"], width=row["width"], height=row["height"])
            metres = np.where(np.isin(depth, DEPTH_INVALID), 0.0, depth / float(row["depth_scale"]))
            name = f"{DEPTH_DIR}/{scene}/{Path(names[i]).stem}.h5"
            inside(folder, name).parent.mkdir(parents=True, exist_ok=True)
            with h5py.File(inside(folder, name), "w") as f:
                f.create_dataset("depth", data=metres.astype(np.float32), compression="gzip", compression_opts=1)
            depth_paths[i] = name
            files.append(name)
    no_image = int(sum(u and p is None for u, p in zip(usable, own)))
    if no_image:
        labels.notes.append(f"{scene}: {no_image} usable frame(s) have no image in the dataset: image_paths None "
                            "there, so the trainers skip them (they open an image for every frame)")
    if missing:
        labels.notes.append(f"{scene}: {len(missing)} image(s) missing in the dataset (first: {missing[0]}): "
                            "image_paths None there, so the trainers skip those frames")
    arrays = dict(image_paths=image_paths, depth_paths=depth_paths, intrinsics=intrinsics, poses=poses)
    return arrays, files


def coverage_matrix(frames, pairs, ids, modes):
    """(N, N) D2-Net overlap matrix of the frames ``ids`` (see the module docstring)."""
    n = len(ids)
    local = local_index(len(frames), ids)
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


def _modes(labels) -> dict:
    return labels.metadata.modes
