"""Map-style datasets over a label set: the last lines a user would otherwise write.

A map-style dataset is any object with ``__len__`` and ``__getitem__``; torch's ``DataLoader``
takes these as they are (``DataLoader(PairDataset(...), batch_size=8, num_workers=2)``), and
nothing here imports torch. Images open through the label set's own paths (the dataset root it
recorded, or ``root=`` where the dataset moved: io.reading.image_root_of, checked to hold the
dataset), with PIL; ``transform`` receives the PIL image (torchvision's transforms take those),
and without one an item holds the image as a numpy array (H, W, 3) uint8.

- :class:`PairDataset`: item k is a :class:`Pair` ``(image_a, image_b, overlap, frame_a,
  frame_b)`` (3D label sets: :class:`PairWithDepth`, + ``depth_a``, ``depth_b`` as float32
  metres, 0 where invalid), for the pairs a sampler draws (``GCLPairSampler``,
  ``OverlapBinSampler``: drawn once, when the dataset is made) or, without one, every pair of the
  label set in table order.
- :class:`PlaceDataset`: item ``frame_id`` is a :class:`Place` ``(image, place, frame_id)``, the
  frame's place class (fovlabel.classes; -1: none), so that :meth:`PlaceDataset.batch_sampler`
  (P places x K frames, :class:`fovlabel.samplers.PKSampler`) indexes it directly.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .errors import ConfigError


class Pair(NamedTuple):
    image_a: object
    image_b: object
    overlap: float
    frame_a: int
    frame_b: int


class PairWithDepth(NamedTuple):
    image_a: object
    image_b: object
    overlap: float
    frame_a: int
    frame_b: int
    depth_a: np.ndarray
    depth_b: np.ndarray


class Place(NamedTuple):
    image: object
    place: int
    frame_id: int


class _Frames:
    """The frames' absolute image and depth paths, resolved once (picklable: worker processes
    get plain lists)."""

    def __init__(self, labels, root=None):
        from .io.reading import dataset_root_of, read_label_frames, read_metadata
        from .io.metadata import labeller_of

        frames = read_label_frames(labels)
        meta = read_metadata(labels)
        sources = frames["source_file"].unique()
        images = frames["image_path"].to_numpy(dtype=object)
        depths = frames["depth_path"].to_numpy(dtype=object)
        data_root = dataset_root_of(meta, root, sources, labels)
        image_root = data_root / meta["input"].get("image_root", ".")
        self.keys = frames["key"].astype(str).tolist()
        self.images = [str(image_root / p) if isinstance(p, str) else None for p in images]
        self.depths = [str(data_root / p) if isinstance(p, str) else None for p in depths]
        self.depth_scale = frames["depth_scale"].to_numpy(np.float64, na_value=np.nan).tolist()
        self.size = list(zip(frames["width"].tolist(), frames["height"].tolist()))
        self.is_3d = labeller_of(meta)[0].pixels and any(p is not None for p in self.depths)

    def image(self, i: int, transform):
        from PIL import Image

        path = self.images[i]
        if path is None:
            raise ConfigError(f"frame {i} ({self.keys[i]!r}) has no image: the dataset names none")
        with Image.open(path) as im:
            image = im.convert("RGB")
        return transform(image) if transform is not None else np.asarray(image)

    def depth(self, i: int) -> np.ndarray:
        from .io.depth import read_depth
        from .schema import DEPTH_INVALID

        if self.depths[i] is None:
            raise ConfigError(f"frame {i} ({self.keys[i]!r}) has no depth image")
        width, height = self.size[i]
        raw = read_depth(self.depths[i], width=width, height=height)
        return np.where(np.isin(raw, DEPTH_INVALID), 0.0, raw / self.depth_scale[i]).astype(np.float32)


class PairDataset:
    """Image pairs of a label set with their overlap (module docstring).

    ``sampler``: an iterable of ``(frame_a, frame_b, overlap)`` (fovlabel.samplers), drawn once
    now; None: every pair of the label set. ``depth``: also the depth images (default: for 3D
    label sets). ``root``: the dataset's folder where it has moved.
    """

    def __init__(self, labels, sampler=None, transform=None, *, depth: bool | None = None, root=None):
        from ._args import check_args

        check_args(labels=(labels, "path"), depth=(depth, "bool?"), root=(root, "path?"))
        self.frames = _Frames(labels, root)
        if sampler is None:
            from .io.reading import read_pairs

            pairs = read_pairs(labels)
            self.items = list(zip(pairs["frame_a"].tolist(), pairs["frame_b"].tolist(),
                                  pairs["overlap"].astype(float).tolist()))
        else:
            self.items = [(int(a), int(b), float(v)) for a, b, v in sampler]
        self.transform = transform
        self.depth = self.frames.is_3d if depth is None else depth

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, k: int):
        a, b, overlap = self.items[k]
        images = (self.frames.image(a, self.transform), self.frames.image(b, self.transform))
        if self.depth:
            return PairWithDepth(*images, overlap, a, b, self.frames.depth(a), self.frames.depth(b))
        return Pair(*images, overlap, a, b)


class PlaceDataset:
    """Frames with their place class, indexed by frame id (module docstring).

    ``classes``: one class id per frame (-1: none), e.g. ``place_classes(labels).classes`` or a
    classes table's ``class`` column; None: computed here with ``min_overlap``.
    """

    def __init__(self, labels, classes=None, transform=None, *, min_overlap: float = 0.5, root=None):
        from ._args import check_args

        check_args(labels=(labels, "path"), min_overlap=(min_overlap, float), root=(root, "path?"))
        self.frames = _Frames(labels, root)
        if classes is None:
            from .classes import place_classes

            classes = place_classes(labels, min_overlap, root=root).classes
        self.classes = np.asarray(classes, np.int64)
        if len(self.classes) != len(self.frames.images):
            raise ConfigError(f"classes has {len(self.classes)} entries; the label set has "
                              f"{len(self.frames.images)} frames (one class a frame, -1 for none)")
        self.transform = transform

    def __len__(self) -> int:
        return len(self.classes)

    def __getitem__(self, frame_id: int) -> Place:
        return Place(self.frames.image(frame_id, self.transform), int(self.classes[frame_id]), int(frame_id))

    def batch_sampler(self, p: int, k: int = 4, *, batches: int | None = None, seed=0):
        """P places x K frames a batch, as frame ids (``DataLoader(ds, batch_sampler=...)``)."""
        from .samplers import PKSampler

        return PKSampler(self.classes, p, k, batches=batches, seed=seed)


def image_paths(labels, root=None) -> list:
    """Each frame's absolute image path (None where the dataset names none), by frame id."""
    return list(_Frames(labels, root).images)


__all__ = ["Pair", "PairDataset", "PairWithDepth", "Place", "PlaceDataset", "image_paths"]
