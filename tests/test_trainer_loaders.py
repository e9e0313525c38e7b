"""The MegaDepth-family exports opened exactly as their trainers open them (issue 23).

Each loader below is written from reading the trainer's own code (CI has no torch and no
network): the same path joins, keys, dtypes and pixel conventions, in numpy.

- LoFTR (zju3dv/LoFTR): ``src/lightning/data.py`` reads the list file (``name.split()[0]``) and
  opens ``osp.join(TRAIN_NPZ_ROOT, name + ".npz")``; ``src/datasets/megadepth.py``
  ``MegaDepthDataset`` loads it with ``np.load(allow_pickle=True)``, copies and deletes
  ``pair_infos``, keeps ``score > min_overlap_score``, opens images and depth as
  ``osp.join(root_dir, path)`` (depth: ``h5py.File(path)['depth']``), K as stored, and
  ``T_0to1 = T1 @ inv(T0)``; ``src/loftr/utils/geometry.py`` ``warp_kpts`` checks a warped pixel
  by depth consistency (relative error < 0.2).
- glue-factory (cvg/glue-factory): ``gluefactory/datasets/megadepth.py`` ``_PairDataset`` with
  ``data_dir`` and the scene list only: ``<data_dir>/scene_info/<scene>.npz``, valid frames where
  image and depth paths are not None, pairs in overlap bins ``(lo, hi]``, images at
  ``<data_dir>/<image_paths[i]>``, depth at ``<data_dir>/depth_undistorted/<scene>/<stem>.h5``
  (``/depth``, the image's size); ``gluefactory/geometry`` ``Camera.from_calibration_matrix``
  (size = 2 c), pixel coordinates + 0.5 (``get_image_coords``), ``depth.project`` with circle
  consistency.
"""

from __future__ import annotations

import os.path as osp
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
from PIL import Image

from conftest import SHARED, cli, shared

KITCHEN = SHARED / "rgbd" / "7scenes_redkitchen_every20"
STAIRS = SHARED / "rgbd" / "7scenes_stairs_native"
MAUPERTUIS = SHARED / "colmap" / "maupertuis" / "sparse" / "0"


def run(*args):
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def kitchen(tmp_path_factory):
    """The README's kitchen: annotate, then both exports, exactly as the README writes them."""
    base = tmp_path_factory.mktemp("readme")
    run("annotate", shared(KITCHEN), "--format", "7scenes", "--labeller", "cloud3d", "--mode", "within",
        "--out", base / "labels" / "kitchen", "-q")
    run("export", base / "labels" / "kitchen", "--to", "loftr-megadepth", "--out", base / "exports" / "kitchen_loftr",
        "-q")
    run("export", base / "labels" / "kitchen", "--to", "glue-factory", "--out", base / "exports" / "kitchen_gf", "-q")
    return base


# -- LoFTR ---------------------------------------------------------------------------------------

def loftr_pairs(data_root: Path, npz_root: Path, list_path: Path, min_overlap_score: float = 0.4):
    """What LoFTR's MegaDepth datasets yield: (scene_info, (idx0, idx1), score) per kept pair."""
    names = [line.split()[0] for line in open(list_path).readlines()]
    out = []
    for name in names:
        scene_info = np.load(osp.join(str(npz_root), f"{name}.npz"), allow_pickle=True)
        pair_infos = scene_info["pair_infos"].copy()
        del scene_info["pair_infos"]  # a real npz archive would refuse this
        for (idx0, idx1), score, _central in [p for p in pair_infos if p[1] > min_overlap_score]:
            out.append((scene_info, (int(idx0), int(idx1)), score))
    return out


def loftr_item(root_dir: Path, scene_info, idx0, idx1, wrong_way=False):
    """MegaDepthDataset.__getitem__'s arrays: grey images, depth, K, T_0to1."""
    grey = [np.asarray(Image.open(osp.join(str(root_dir), scene_info["image_paths"][i])).convert("L"))
            for i in (idx0, idx1)]
    depth = [np.array(h5py.File(osp.join(str(root_dir), scene_info["depth_paths"][i]), "r")["depth"])
             for i in (idx0, idx1)]
    K = [scene_info["intrinsics"][i].copy().reshape(3, 3) for i in (idx0, idx1)]
    T0, T1 = scene_info["poses"][idx0], scene_info["poses"][idx1]
    if wrong_way:  # the same poses read as camera-to-world
        T0, T1 = np.linalg.inv(T0), np.linalg.inv(T1)
    return grey, depth, K, np.matmul(T1, np.linalg.inv(T0))


def warp_kpts(kpts0, depth0, depth1, T_0to1, K0, K1):
    """LoFTR's warp_kpts for one image, in numpy: (valid mask, warped points)."""
    long0 = np.round(kpts0).astype(np.int64)
    d0 = depth0[long0[:, 1], long0[:, 0]]
    nonzero = d0 != 0
    h = np.concatenate([kpts0, np.ones((len(kpts0), 1))], 1) * d0[:, None]
    cam0 = np.linalg.inv(K0) @ h.T
    cam1 = T_0to1[:3, :3] @ cam0 + T_0to1[:3, [3]]
    z = cam1[2]
    w = (K1 @ cam1).T
    warped = w[:, :2] / (w[:, [2]] + 1e-4)
    height, width = depth1.shape
    covisible = (warped[:, 0] > 0) & (warped[:, 0] < width - 1) & (warped[:, 1] > 0) & (warped[:, 1] < height - 1)
    long1 = warped.astype(np.int64)
    long1[~covisible] = 0
    d1 = depth1[long1[:, 1], long1[:, 0]]
    with np.errstate(divide="ignore", invalid="ignore"):
        error = np.abs((d1 - z) / d1)
    valid = nonzero & covisible & (error < 0.2)
    return valid, warped, np.where(nonzero & covisible & (d1 > 0), error, np.nan)


def _grid(width, height, step=16):
    ys, xs = np.mgrid[step // 2:height:step, step // 2:width:step]
    return np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float64)


@pytest.mark.realdata
def test_loftr_reads_the_readme_kitchen_with_one_root_and_warps_consistently(kitchen):
    export = kitchen / "exports" / "kitchen_loftr"
    # the README's settings: TRAIN_DATA_ROOT = TRAIN_NPZ_ROOT = the export, TRAIN_LIST_PATH its index.txt
    pairs = loftr_pairs(export, export, export / "index.txt")
    assert len(pairs) >= 20
    right, wrong = [], []
    for scene_info, (i, j), score in pairs:
        grey, depth, K, T = loftr_item(export, scene_info, i, j)
        assert grey[0].shape == depth[0].shape == (480, 640) and depth[0].dtype == np.float32
        kpts = _grid(640, 480)
        valid, _, error = warp_kpts(kpts, depth[0], depth[1], T, K[0], K[1])
        seen = depth[0][kpts[:, 1].astype(int), kpts[:, 0].astype(int)] > 0
        right.append((valid.sum() / max(seen.sum(), 1), np.nanmedian(error)))
        _, depth_w, K_w, T_w = loftr_item(export, scene_info, i, j, wrong_way=True)
        _, _, error_w = warp_kpts(kpts, depth_w[0], depth_w[1], T_w, K_w[0], K_w[1])
        wrong.append(np.nanmedian(error_w))
    share, error = np.median(np.array(right), 0)
    # pairs above LoFTR's 0.4 share much of their pixels, and the warped depth agrees with the
    # other view's to under 2% (median); read the wrong way round, the same poses are off by ~20%
    assert share > 0.4 and error < 0.02 and np.median(wrong) > 5 * error


@pytest.mark.realdata
def test_the_export_moves_with_its_dataset(tmp_path):
    """The images are relative links: an export moved together with its dataset still loads."""
    from fovlabel import annotate, export

    top = tmp_path / "project"
    data = shutil.copytree(shared(KITCHEN), top / "data" / "kitchen")
    annotate(data, "7scenes", labeller="cloud3d", mode="within", out=top / "labels")
    export(top / "labels", "loftr-megadepth", top / "exports" / "kitchen")
    link = next((top / "exports" / "kitchen" / "images").rglob("*.jpg"))
    assert not link.readlink().is_absolute()
    top.rename(tmp_path / "elsewhere")
    moved = tmp_path / "elsewhere" / "exports" / "kitchen"
    scene_info, (i, j), _ = loftr_pairs(moved, moved, moved / "index.txt")[0]
    grey, depth, _, _ = loftr_item(moved, scene_info, i, j)
    assert grey[0].shape == depth[0].shape == (480, 640)


# -- glue-factory --------------------------------------------------------------------------------

def gluefactory_items(data_dir: Path, scenes, min_overlap=0.1, max_overlap=0.7, num_bins=3, num_pos=300, seed=0):
    """_PairDataset.sample_new_items with the reference bins: (scene, idx0, idx1, overlap)."""
    info_dir = data_dir / "scene_info/"
    images, depths, items = {}, {}, []
    for scene in sorted(set(scenes)):
        info = np.load(str(info_dir / (scene + ".npz")), allow_pickle=True)
        images[scene], depths[scene] = info["image_paths"], info["depth_paths"]
        valid = (images[scene] != None) & (depths[scene] != None)  # noqa: E711 (as the loader writes it)
        ind = np.where(valid)[0]
        mat = info["overlap_matrix"][valid][:, valid]
        width = (max_overlap - min_overlap) / num_bins
        bins = [np.stack(np.where((mat > min_overlap + k * width) & (mat <= min_overlap + (k + 1) * width)), -1)
                for k in range(num_bins)]
        enough = [len(b) >= (num_pos // num_bins) * 2 for b in bins]
        per_bin = num_pos // max(1, sum(enough))
        for b, keep in zip(bins, enough):
            if keep:
                chosen = b[np.random.RandomState(seed).choice(len(b), per_bin, replace=False)] if len(b) > per_bin else b
                items += [(scene, ind[i], ind[j], mat[i, j]) for i, j in chosen]
    return items


def gluefactory_view(data_dir: Path, scene, idx, wrong_way=False):
    """_read_view: image, depth (``/depth``, the image's size), K, T_w2cam."""
    info = np.load(str(data_dir / "scene_info" / (scene + ".npz")), allow_pickle=True)
    path = data_dir / info["image_paths"][idx]
    image = np.asarray(Image.open(path))
    with h5py.File(str(data_dir / "depth_undistorted/" / scene / (path.stem + ".h5")), "r") as f:
        depth = f["/depth"].__array__().astype(np.float32, copy=False)
    assert depth.shape[-2:] == image.shape[:2]
    K = info["intrinsics"][idx].astype(np.float32, copy=False)
    T = info["poses"][idx].astype(np.float32, copy=False)
    return image, depth, K, (np.linalg.inv(T) if wrong_way else T)


def _sample_depth(pts, depth):
    """gluefactory.geometry.depth.sample_depth: bilinear at pixel-corner coordinates (align_corners
    False: x = 0.5 is the centre of column 0), nearest where a neighbour has no depth."""
    d = np.where(depth > 0, depth, np.nan)
    h, w = d.shape
    x, y = pts[:, 0] - 0.5, pts[:, 1] - 0.5
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0
    out = np.full(len(pts), np.nan)
    inside = (x0 >= 0) & (y0 >= 0) & (x0 + 1 < w) & (y0 + 1 < h)
    i = np.flatnonzero(inside)
    a, b = d[y0[i], x0[i]], d[y0[i], x0[i] + 1]
    c, e = d[y0[i] + 1, x0[i]], d[y0[i] + 1, x0[i] + 1]
    out[i] = (a * (1 - fx[i]) + b * fx[i]) * (1 - fy[i]) + (c * (1 - fx[i]) + e * fx[i]) * fy[i]
    near = np.isnan(out) & (np.round(x) >= 0) & (np.round(y) >= 0) & (np.round(x) < w) & (np.round(y) < h)
    j = np.flatnonzero(near)
    out[j] = d[np.round(y[j]).astype(int), np.round(x[j]).astype(int)]
    return out, ~np.isnan(out) & (out > 0)


def _camera(K):
    """Camera.from_calibration_matrix: (size = (2 cx, 2 cy), f, c)."""
    return np.array([2 * K[0, 2], 2 * K[1, 2]]), np.array([K[0, 0], K[1, 1]]), np.array([K[0, 2], K[1, 2]])


def _cam2image(camera, p3d):
    size, f, c = camera
    z = p3d[:, 2]
    p2d = p3d[:, :2] / np.maximum(z, 1e-6)[:, None] * f + c
    valid = (z > 1e-6) & np.all((p2d >= 0) & (p2d <= size - 1), 1)
    return p2d, valid


def _image2cam(camera, p2d):
    _, f, c = camera
    return np.concatenate([(p2d - c) / f, np.ones((len(p2d), 1))], 1)


def gluefactory_project(kpi, di, depthj, cam_i, cam_j, T_itoj, validi, ccth):
    """gluefactory.geometry.depth.project with circle consistency."""
    p3d = _image2cam(cam_i, kpi) * di[:, None]
    p3d_j = p3d @ T_itoj[:3, :3].T + T_itoj[:3, 3]
    kpj, validj = _cam2image(cam_j, p3d_j)
    dj, valid_dj = _sample_depth(kpj, depthj)
    back = _image2cam(cam_j, kpj) * dj[:, None]
    inv = np.linalg.inv(T_itoj)
    kpi_back, valid_back = _cam2image(cam_i, back @ inv[:3, :3].T + inv[:3, 3])
    squared = ((kpi - kpi_back) ** 2).sum(-1)
    seen = validi & validj & valid_dj & valid_back
    return kpj, seen & (squared < ccth), np.where(seen, np.sqrt(squared), np.nan)


@pytest.mark.realdata
def test_gluefactory_loads_the_kitchen_with_only_data_dir_and_scenes(kitchen):
    data_dir = kitchen / "exports" / "kitchen_gf"
    scenes = (data_dir / "train_scenes.txt").read_text().rstrip("\n").split("\n")
    assert scenes == ["7scenes_redkitchen_every20"]
    items = gluefactory_items(data_dir, scenes)
    assert len(items) >= 30 and all(0.1 < o <= 0.7 for *_, o in items)
    right, wrong = [], []
    for scene, i, j, _ in items[:40]:
        _, depth_i, K_i, T_i = gluefactory_view(data_dir, scene, i)
        _, depth_j, K_j, T_j = gluefactory_view(data_dir, scene, j)
        h, w = depth_i.shape
        ys, xs = np.mgrid[0:h:8, 0:w:8]
        kpi = np.stack([xs.ravel(), ys.ravel()], 1) + 0.5  # get_image_coords: pixel centres at +0.5
        di, validi = _sample_depth(kpi, depth_i)
        T_itoj = T_j @ np.linalg.inv(T_i)
        _, visible, circle = gluefactory_project(kpi, np.nan_to_num(di), depth_j, _camera(K_i), _camera(K_j),
                                                 T_itoj, validi, ccth=9.0)
        right.append((visible.sum() / max(np.isfinite(circle).sum(), 1), np.nanmedian(circle)))
        _, _, _, Ti_w = gluefactory_view(data_dir, scene, i, wrong_way=True)
        _, _, _, Tj_w = gluefactory_view(data_dir, scene, j, wrong_way=True)
        _, visible_w, circle_w = gluefactory_project(kpi, np.nan_to_num(di), depth_j, _camera(K_i), _camera(K_j),
                                                     Tj_w @ np.linalg.inv(Ti_w), validi, ccth=9.0)
        wrong.append((visible_w.sum() / max(np.isfinite(circle_w).sum(), 1), np.nanmedian(circle_w)))
    (share, circle), (share_w, circle_w) = np.median(np.array(right), 0), np.median(np.array(wrong), 0)
    # there and back within 3 px (glue-factory's th_positive) for most pixels seen by both; the
    # same poses read the wrong way round land tens of pixels off
    assert share > 0.5 and circle < 3.0 and circle_w > 10 * circle and share_w < share / 5


@pytest.mark.realdata
def test_megadepth_intrinsics_are_colmaps_own(tmp_path):
    """The maupertuis export's K is cameras.txt's, to the digit: cx 959.5, cy 539.5 (COLMAP's top-left
    pixel centre at (0.5, 0.5)); the frames hold OpenCV's 959.0, 539.0."""
    from fovlabel import annotate, read_label_frames

    annotate(shared(MAUPERTUIS), "colmap", labeller="cloud3d", mode="within", out=tmp_path / "labels")
    assert read_label_frames(tmp_path / "labels")["cx"].eq(959.0).all()
    run("export", tmp_path / "labels", "--to", "d2net", "--out", tmp_path / "d2", "-q")
    info = np.load(tmp_path / "d2" / "scene_info" / "maupertuis.npz", allow_pickle=True)
    _, model, width, height, f, cx, cy = (MAUPERTUIS / "cameras.txt").read_text().splitlines()[-1].split()
    expected = np.array([[float(f), 0, float(cx)], [0, float(f), float(cy)], [0, 0, 1]])
    for K in info["intrinsics"]:
        assert np.array_equal(K, expected)
    size, _, _ = _camera(info["intrinsics"][0])  # glue-factory's image size from K
    assert size.tolist() == [float(width), float(height)]
    overlap = info["overlap_matrix"]
    assert (np.diag(overlap) == -1).all()
    off = overlap[~np.eye(len(overlap), dtype=bool)]
    assert (off >= 0).all()  # within mode: every pair computed; absent ones share nothing (0)


@pytest.mark.realdata
def test_images_with_the_same_stem_get_distinct_links(tmp_path):
    """7-Scenes stairs: four sequences with the same frame names in one scene."""
    from fovlabel import annotate, read_label_frames

    annotate(shared(STAIRS), "7scenes", labeller="cloud3d", mode="within", out=tmp_path / "labels")
    frames = read_label_frames(tmp_path / "labels")
    assert frames.groupby("group")["image_path"].apply(lambda p: p.map(lambda v: Path(v).stem).duplicated().any()).any()
    out = tmp_path / "gf"
    run("export", tmp_path / "labels", "--to", "glue-factory", "--out", out, "-q")
    for npz in (out / "scene_info").glob("*.npz"):
        info = np.load(npz, allow_pickle=True)
        paths = [p for p in info["image_paths"] if p is not None]
        stems = [Path(p).stem for p in paths]
        assert len(set(stems)) == len(stems) == len(paths) > 0
        for p in paths:
            assert (out / p).is_file()
            assert (out / "depth_undistorted" / npz.stem / (Path(p).stem + ".h5")).is_file()


# -- GCL -----------------------------------------------------------------------------------------

def test_gcl_msls_into_needs_the_msls_root_gcl_reads(tmp_path):
    """GCL's src/datasets.py MSLSDataSet joins root_dir + "train_val/" + city + "_gt.h5" (and the
    city's json and raw.csv there): --into anything else is refused with that layout."""
    import h5py as h5
    import json

    from conftest import SAMPLE, write_msls_city
    from fovlabel import ConfigError, annotate, export

    annotate(SAMPLE, "msls", preset="msls", out=tmp_path / "labels")
    (tmp_path / "not_msls").mkdir()
    with pytest.raises(ConfigError, match=r"reads <root>/train_val/<city>_gt.h5.*has no train_val/sampleville/"
                                          r"query/raw.csv: give the MSLS root"):
        export(tmp_path / "labels", "gcl-msls", into=tmp_path / "not_msls")
    assert list((tmp_path / "not_msls").iterdir()) == []
    flat = write_msls_city(tmp_path / "flat", "town", [("q0", 11.5, 48.1, 0.0)], [("d0", 11.5, 48.10001, 0.0)])
    annotate(flat.parent, "msls", preset="msls", out=tmp_path / "flat_labels")
    with pytest.raises(ConfigError, match=r"city 'town' is not under train_val/ \(town/query/raw.csv\)"):
        export(tmp_path / "flat_labels", "gcl-msls", into=flat.parent)
    root = shutil.copytree(SAMPLE, tmp_path / "msls")
    export(tmp_path / "labels", "gcl-msls", into=root)
    # as MSLSDataSet(root_dir=str(root) + "/", cities=...) reads them, with the city added to its list
    root_dir = str(root) + "/"
    with h5.File(root_dir + "train_val/" + "sampleville" + "_gt.h5", "r") as f:
        n_query, n_database = f["fov"].shape
    q = json.load(open(root_dir + "train_val/" + "sampleville" + "/query.json"))
    m_pano = np.genfromtxt(root_dir + "train_val/sampleville/database/raw.csv", dtype=bool, skip_header=1,
                           delimiter=",")[:, -1]
    assert len(q["im_paths"]) == n_query and len(m_pano) == n_database
    assert q["im_prefix"] == str(SAMPLE.resolve()) + "/"  # the labelled dataset (GCL uses only im_paths)


# -- hloc ----------------------------------------------------------------------------------------

@pytest.mark.realdata
def test_hloc_names_are_relative_to_the_image_root(tmp_path):
    """hloc.utils.parsers.parse_retrieval: line.split() into two names, opened under its image dir."""
    from fovlabel import ConfigError, annotate, export

    annotate(shared(KITCHEN), "7scenes", labeller="cloud3d", mode="within", out=tmp_path / "labels")
    out = export(tmp_path / "labels", "hloc", tmp_path / "h", k=3, image_root=str(KITCHEN))
    lines = (out / "pairs.txt").read_text().splitlines()
    assert len(lines) == 50 * 3
    for line in lines:
        name0, name1 = line.split()
        assert name0.startswith("frames/") and (KITCHEN / name0).is_file() and (KITCHEN / name1).is_file()
    out = export(tmp_path / "labels", "hloc", tmp_path / "h2", k=3, image_root=str(KITCHEN / "frames"))
    assert (out / "pairs.txt").read_text().splitlines()[0].split()[0] == "frame-000000.color.jpg"
    with pytest.raises(ConfigError, match="lies outside --image-root"):
        export(tmp_path / "labels", "hloc", tmp_path / "h3", image_root=str(tmp_path))


@pytest.mark.realdata
def test_into_a_folder_the_image_links_still_resolve(kitchen, tmp_path):
    """--into stages the links elsewhere, then hard-links them in place: a relative link made for
    the final place resolves there."""
    into = tmp_path / "data_root"
    into.mkdir()
    run("export", kitchen / "labels" / "kitchen", "--to", "glue-factory", "--into", into, "-q")
    links = sorted((into / "images").rglob("*.jpg"))
    assert len(links) == 50 and all(p.is_symlink() and not p.readlink().is_absolute() for p in links)
    assert all(p.resolve() == (KITCHEN / "frames" / p.name).resolve() for p in links)
    assert [p.name for p in into.iterdir() if p.name.startswith(".")] == []
