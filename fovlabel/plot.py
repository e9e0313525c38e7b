"""Pictures of a label set, drawn headless with matplotlib (the ``plot`` extra).

- :func:`plot_pair`: two cameras' sectors on metric axes (relative to the first camera), their
  intersection shaded, the overlap, measure, distance and heading difference in the title
  (2D label sets: weak2d, strong2d); for 3D label sets (cloud3d) the two images side by side with
  the pixels of shared voxels or tracks highlighted, IoU and coverages in the titles;
- :func:`plot_histogram`: the overlap histogram per rank (log counts) with the positive
  threshold, and the pairs per frame;
- :func:`plot_query` and :func:`plot_map` (fovlabel.plot_maps): a query's neighbourhood, and
  every frame, where the labeller places them.

Each writes one PNG carrying ``Software: fovlabel <version>`` in its metadata: an existing PNG is
replaced (with ``overwrite``) only when it is one of fovlabel's; nothing else is ever replaced.
The shapes are drawn from dense polygons (1,024 points an arc); the overlap in the title is the
label set's exact value.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .errors import ConfigError
from .io.frames import frame_index
from ._figures import (  # noqa: F401  (the colours: kept importable from here)
    A_ONLY_RGB,
    A_RGB,
    B_ONLY_RGB,
    B_RGB,
    EXCLUDED_RGB,
    FACING_DEG,
    HATCH_RGB,
    INTERSECTION_RGB,
    RANK_RGB,
    UNION_RGB,
    _axis_labels,
    _pyplot,
    _rgb,
    _save,
    _set_name,
)
from .io.metadata import LabelSetMetadata, labeller_of
from .plot_maps import plot_map, plot_query  # noqa: F401  (part of fovlabel.plot's API)

_frame_index = frame_index  # kept for one version: fovlabel.io.frames.frame_index


def _polygons(shape):
    return [p for p in getattr(shape, "geoms", [shape]) if not p.is_empty and p.geom_type == "Polygon"]


def excluded_region(bx, by, theta_deg, window, n=4096):
    """The points that see the segment from the origin (camera A) to (bx, by) under more than
    ``theta_deg``, clipped to the polygon ``window``, as a dense shapely polygon (for pictures; the
    labels' values are the exact kernel's): two discs through both apexes, their union below 90°,
    their intersection above, the disc on AB as diameter at 90°."""
    import shapely

    length = math.hypot(bx, by)
    if length <= 1e-9 or theta_deg >= 180.0:
        return shapely.Polygon()
    theta = math.radians(theta_deg)
    nx, ny = -by / length, bx / length
    r = length / (2 * math.sin(theta))
    d = length * math.cos(theta) / (2 * math.sin(theta))
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    discs = [shapely.Polygon(np.c_[bx / 2 + s * d * nx + r * np.cos(t), by / 2 + s * d * ny + r * np.sin(t)])
             for s in (1.0, -1.0)]
    region = discs[0].union(discs[1]) if theta_deg < 90 else discs[0].intersection(discs[1])
    return region.intersection(window.buffer(1.0))


def _pair_row(pairs, i, j):
    """The row of pair (i, j): (i, j) itself, else (j, i) (a pair written once holds both ways)."""
    row = pairs[(pairs["frame_a"] == i) & (pairs["frame_b"] == j)]
    return row if len(row) else pairs[(pairs["frame_a"] == j) & (pairs["frame_b"] == i)]


def sector_polygon(x, y, heading_deg, fov_deg, radius_m, n=1024):
    """Vertices of a sector (compass heading), for drawing."""
    centre = math.radians(90.0 - heading_deg)
    half = math.radians(fov_deg) / 2
    t = np.linspace(centre - half, centre + half, n)
    arc = np.c_[x + radius_m * np.cos(t), y + radius_m * np.sin(t)]
    return arc if fov_deg >= 360 else np.vstack([[x, y], arc])


def _sectors(frames, labeller, params, i, j):
    """(x, y, heading, fov, radius) of frames i and j, as the labeller placed them."""
    fov, radius = labeller.sectors(frames, params)
    out = []
    for k in (i, j):
        x, y, h = (float(frames[c].iloc[k]) for c in labeller.placement)
        out.append((x, y, h, float(fov[k]), float(radius)))
    return out


def _fill_layers(ax, layers) -> None:
    """Fill (shape, colour, hatch) layers in order; where a polygon has a hole, the hole shows
    what the earlier layers put there (or white)."""
    import shapely

    for k, (shape, colour, hatch) in enumerate(layers):
        for poly in _polygons(shape):
            ax.fill(*poly.exterior.xy, facecolor=_rgb(colour), antialiased=False, linewidth=0,
                    hatch=hatch, edgecolor=_rgb(HATCH_RGB) if hatch else None)
            for ring in poly.interiors:
                ax.fill(*ring.xy, facecolor="white", antialiased=False, linewidth=0)
                hole = shapely.Polygon(ring)
                _fill_layers(ax, [(below.intersection(hole), c, h) for below, c, h in layers[:k]])


def _unlabelled(frames, meta, labeller, params, i, j, sa, sb) -> tuple[float, str]:
    """(the pair's overlap as the labeller computes it, why the label set holds no row for it),
    for a picture of a pair that is not in the pairs table: never a silent 0."""
    keys, usable = frames["key"].to_numpy(dtype=object), frames["usable"].to_numpy()
    value = labeller.pair_overlap(frames, params, i, j)
    value = 0.0 if value is None else value
    for k in (i, j):
        if not usable[k]:
            return value, f"\ncomputed here: {keys[k]} is left out ({frames['flag'].iloc[k]}), never labelled"
    group_a, group_b = frames["group"].iloc[i], frames["group"].iloc[j]
    if group_a != group_b:
        return value, f"\ncomputed here: groups {group_a} and {group_b} are never paired"
    roles = frames["role"].iloc[i], frames["role"].iloc[j]
    if LabelSetMetadata.from_dict(meta).modes.get(group_a) == "cross" and roles[0] == roles[1]:
        return value, f"\ncomputed here: two {roles[0]} frames, not a candidate in cross mode (never labelled)"
    distance = math.hypot(sb[0] - sa[0], sb[1] - sa[1])
    if distance >= sa[4] + sb[4]:
        return value, f"\nnot a candidate: beyond reach (apexes {distance:.0f} m apart, radii {sa[4]:g} + {sb[4]:g} m)"
    return value, "\nnot in the pairs table: an absent pair has overlap 0"


def plot_pair(labels, a, b, out, *, overwrite: bool = False, root=None, matches: int = 0) -> Path:
    """Frames ``a`` and ``b`` (keys or frame ids) and what they share. 2D label sets: the two
    sectors, their intersection shaded (with the view-consistent measure, the part it leaves out
    hatched). 3D label sets: the two images side by side (colour where the dataset has them, else
    depth), the pixels showing shared voxels (or tracks) highlighted
    (fovlabel.views.shared_pixels; ``root``: where a moved dataset now is), and with ``matches``
    > 0 that many pixel correspondences (fovlabel.correspondences) as lines between the images."""
    import shapely

    from ._args import check_args
    from .io.reading import read_label_frames, read_pairs

    check_args(labels=(labels, "path"), out=(out, "path"), overwrite=(overwrite, bool), root=(root, "path?"),
               matches=(matches, int))
    if matches < 0:
        raise ConfigError(f"matches must be >= 0 (how many correspondences to draw); got {matches}")
    plt = _pyplot()
    pairs, frames = read_pairs(labels), read_label_frames(labels)
    meta = pairs.attrs["fovlabel"]
    labeller, params = labeller_of(meta)
    if _frame_index(frames, a) == _frame_index(frames, b):
        raise ConfigError(f"plot pair draws two frames; {a!r} and {b!r} are the same frame")
    if matches and not labeller.pixels:
        raise ConfigError(f"--matches draws pixel correspondences, which only a label set whose pairs rest on pixels has "
                          f"(cloud3d); this one's labeller, {labeller.name}, has none")
    if labeller.pixels:
        return _plot_pair_3d(plt, labels, pairs, frames, meta, a, b, out, overwrite, root, matches)
    if labeller.placement is None or labeller.sectors(frames.iloc[:0], params) is None:
        raise ConfigError(f"plot pair draws a labeller's 2D sectors or its shared pixels; this label set's "
                          f"labeller, {labeller.name}, offers neither")
    i, j = _frame_index(frames, a), _frame_index(frames, b)
    sa, sb = _sectors(frames, labeller, params, i, j)
    row = _pair_row(pairs, i, j)
    overlap, why = (float(row["overlap"].iloc[0]), "") if len(row) else _unlabelled(frames, meta, labeller, params,
                                                                                     i, j, sa, sb)
    ox, oy = sa[0], sa[1]  # relative to camera A: readable numbers on UTM-sized coordinates
    pa = shapely.Polygon(sector_polygon(0.0, 0.0, *sa[2:]))
    pb = shapely.Polygon(sector_polygon(sb[0] - ox, sb[1] - oy, *sb[2:]))
    union, inter = pa.union(pb), pa.intersection(pb)
    x0, y0, x1, y1 = union.bounds
    aspect = (y1 - y0) / max(x1 - x0, 1e-9)  # the figure shaped like the two sectors, not a square
    fig, ax = plt.subplots(figsize=(7.0, min(9.0, max(3.2, 6.2 * aspect + 1.6))))
    theta = getattr(params, "max_view_angle_deg", None)
    excluded = inter.intersection(excluded_region(sb[0] - ox, sb[1] - oy, theta, union)) if theta else None
    counted = inter.difference(excluded) if excluded is not None else inter
    # each sector in its own colour, what they share in the intersection's (exact fills, no
    # antialiasing: the picture can be measured)
    layers = [(pa.difference(pb), A_ONLY_RGB, None), (pb.difference(pa), B_ONLY_RGB, None),
              (counted, INTERSECTION_RGB, None)]
    if excluded is not None:
        layers.append((excluded, EXCLUDED_RGB, "////"))
    _fill_layers(ax, layers)
    if excluded is not None and not excluded.is_empty:
        ax.fill([], [], facecolor=_rgb(EXCLUDED_RGB), hatch="////", edgecolor=_rgb(HATCH_RGB),
                label=f"seen from > {theta:g}° apart: not counted")
    for poly, colour, name, key in ((pa, A_RGB, "A", frames["key"].iloc[i]), (pb, B_RGB, "B", frames["key"].iloc[j])):
        ax.plot(*poly.exterior.xy, color=_rgb(colour), linewidth=1.2, label=f"{name}: {key}")
    ax.plot([0], [0], "o", color=_rgb(A_RGB))
    ax.plot([sb[0] - ox], [sb[1] - oy], "o", color=_rgb(B_RGB))
    ax.set_aspect("equal")
    _axis_labels(ax, labeller, "camera A")
    dist = math.hypot(sb[0] - ox, sb[1] - oy)
    dh = abs((sa[2] - sb[2] + 180) % 360 - 180)
    view = f", view angle <= {theta:g}°" if theta else ""
    if dh > FACING_DEG and overlap > 0 and not theta and not why:
        why = "\nfacing cameras: the 2D model's false positive (--max-view-angle-deg 60 discounts it)"
    ax.set_title(f"{meta['input'].get('format')} · {meta['labeller']} · overlap {overlap:.3f} ({LabelSetMetadata.from_dict(meta).measure}{view}){why}\n"
                 f"distance {dist:.1f} m, heading difference {dh:.1f}°, fov {sa[3]:.0f}°/{sb[3]:.0f}°, "
                 f"radius {sa[4]:g} m", fontsize=10)
    ax.legend(loc="best", fontsize=9)
    ax.grid(True, linewidth=0.3)
    return _save(fig, out, overwrite, tight=True)


def _plot_pair_3d(plt, labels, pairs, frames, meta, a, b, out, overwrite, root, matches=0) -> Path:
    from .views import shared_pixels

    pair = shared_pixels(labels, a, b, root=root)
    i, j = _frame_index(frames, a), _frame_index(frames, b)
    row = _pair_row(pairs, i, j)
    iou = float(row["overlap"].iloc[0]) if len(row) else 0.0
    params = LabelSetMetadata.from_dict(meta).labeller_params
    what = "voxels" if pair.source != "tracks" else "tracks"
    aspect = max(v.height / max(v.width, 1) for v in (pair.a, pair.b))
    bars = any(v.background_kind == "depth" and v.depth_range_m is not None for v in (pair.a, pair.b))
    fig, axes = plt.subplots(1, 2, figsize=(12, 12 * aspect / 2 + 1.6 + (1.4 if bars else 0.0)))
    for ax, view, name, colour in ((axes[0], pair.a, "A", A_RGB), (axes[1], pair.b, "B", B_RGB)):
        _draw_view(ax, view)
        if view.background_kind == "depth" and view.depth_range_m is not None:
            _depth_bar(fig, ax, view)
        ax.set_title(f"{name}: {view.key} ({view.background_kind})\n{view.observed:,} {what}, "
                     f"{pair.shared / max(view.observed, 1):.0%} of them shared", fontsize=9, color=_rgb(colour))
        ax.set_xlabel("u (px)")
        ax.set_ylabel("v (px)")
    check = "" if pair.agrees else (f"\nrecomputed from the dataset: {pair.shared:,} shared, the label says "
                                    f"{pair.label_shared or 0:,}: has the dataset changed?")
    source = pair.source + (f", voxel {params.get('voxel_m', 0):g} m" if pair.source != "tracks" else "")
    dist, angle = (float(row["distance_m"].iloc[0]), float(row["heading_diff_deg"].iloc[0])) if len(row) else (
        float("nan"), float("nan"))
    axes[1].yaxis.tick_right()  # B's ticks on its far side: the lines from A to B cross no label
    axes[1].yaxis.set_label_position("right")
    if matches > 0:
        _draw_matches(labels, i, j, axes, matches, root)
    fig.suptitle(f"{_set_name(meta)} ({source}) · "
                 f"IoU {iou:.3f}, shared {pair.shared:,} {what}\n"
                 f"centres {dist:.2f} m apart, optical axes {angle:.0f}° apart; highlighted: the pixels that "
                 f"show a shared {what[:-1]}{check}", fontsize=10)
    return _save(fig, out, overwrite, tight=True)


def _draw_matches(labels, i, j, axes, n, root) -> None:
    """``n`` pixel correspondences of the pair as lines from image A to image B."""
    from matplotlib.patches import ConnectionPatch

    from .correspondences import pair_correspondences

    rows = pair_correspondences(labels, i, j, root=root, min_overlap=0.0, per_pair=max(20 * n, 1000))
    rows = rows[rows["match"]]
    if len(rows) > n:
        rows = rows.iloc[np.linspace(0, len(rows) - 1, n).astype(int)]
    colours = _pyplot().get_cmap("hsv")(np.linspace(0, 1, max(len(rows), 1), endpoint=False))
    for (ua, va, ub, vb), colour in zip(rows[["u_a", "v_a", "u_b", "v_b"]].to_numpy(), colours):
        line = ConnectionPatch(xyA=(ua, va), coordsA=axes[0].transData, xyB=(ub, vb), coordsB=axes[1].transData,
                               color=colour, linewidth=0.7, alpha=0.8)
        line.set_in_layout(False)  # the layout is the two images'; the lines run between them
        axes[1].add_artist(line)
        axes[0].plot([ua], [va], "o", ms=2.5, color=colour)
        axes[1].plot([ub], [vb], "o", ms=2.5, color=colour)
    axes[0].set_xlabel(f"u (px) · {len(rows)} of the pair's pixel correspondences drawn as lines")


def _depth_bar(fig, ax, view) -> None:
    """A colour bar under a depth background: the greys it shows, in metres (near bright)."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LinearSegmentedColormap, Normalize

    from .views import DEPTH_GREY_SPAN

    near, far = (0.15 + 0.7 * g for g in (1.0, 1.0 - DEPTH_GREY_SPAN))  # as _draw_view renders them
    greys = LinearSegmentedColormap.from_list("depth", [(near,) * 3, (far,) * 3])
    bar = ScalarMappable(norm=Normalize(*view.depth_range_m), cmap=greys)
    fig.colorbar(bar, ax=ax, orientation="horizontal", fraction=0.05, pad=0.14, label="depth (m)")


def _draw_view(ax, view) -> None:
    """The view's picture in grey, its shared pixels tinted with the intersection colour."""
    h, w = view.height, view.width
    grey = view.background if view.background is not None else np.full((h, w), 0.85)
    rgb = np.repeat((0.15 + 0.7 * grey)[:, :, None], 3, axis=2)
    tint = np.array(_rgb(INTERSECTION_RGB))
    if view.mask is not None:  # every shared pixel (rgbd)
        rgb[view.mask] = 0.6 * tint + 0.4 * rgb[view.mask]
        ax.imshow(rgb, interpolation="antialiased")
    else:  # points (scene, tracks): the observed ones small and white, the shared ones marked
        ax.imshow(rgb, interpolation="antialiased")
        inside = lambda uv: uv[(uv[:, 0] >= 0) & (uv[:, 0] < w) & (uv[:, 1] >= 0) & (uv[:, 1] < h)]
        seen, shared = inside(view.observed_px), inside(view.shared_px)
        ax.scatter(seen[:, 0], seen[:, 1], s=2, color="white", linewidths=0)
        ax.scatter(shared[:, 0], shared[:, 1], s=9, color=tint, linewidths=0)
    ax.set_xlim(-0.5, w - 0.5)
    ax.set_ylim(h - 0.5, -0.5)


def plot_histogram(labels, out, *, overwrite: bool = False, bins: int = 50) -> Path:
    """The overlap histogram per rank (log counts) with the positive threshold; for 3D label
    sets the smaller of the two coverages too (what the MegaDepth-family exports bin on); and
    per query (cross mode: each query; within mode: each usable frame) its pairs and positives,
    with how many queries have no positive (a GCL user's first question)."""
    from .io.reading import read_label_frames, read_pairs

    plt = _pyplot()
    pairs, frames = read_pairs(labels), read_label_frames(labels)
    meta = pairs.attrs["fovlabel"]
    typed = LabelSetMetadata.from_dict(meta)
    covers = "cover_a" in pairs.columns
    fig, axes = plt.subplots(1, 3 if covers else 2, figsize=(15.5 if covers else 11, 4.5))
    left, right = axes[0], axes[-1]
    edges = np.linspace(0, 1, bins + 1)
    names = {2: "rank 2 positive", 1: "rank 1 soft negative", 0: "rank 0 hard negative (kept zeros)"}
    for rank, colour in ((2, (0.1, 0.5, 0.2)), (1, (0.9, 0.6, 0.1)), (0, (0.5, 0.5, 0.5))):
        values = pairs.loc[pairs["rank"] == rank, "overlap"].to_numpy()
        if len(values):
            left.hist(values, bins=edges, color=colour, label=f"{names[rank]} ({len(values):,})", log=True)
    left.axvline(typed.positive, color="k", linestyle="--", linewidth=1, label=f"positive threshold {typed.positive:g}")
    left.set_xlabel(f"overlap ({typed.measure})")
    left.set_ylabel("pairs (log)")
    left.legend(fontsize=8)
    if covers:
        smaller = np.minimum(pairs["cover_a"].to_numpy(), pairs["cover_b"].to_numpy())
        axes[1].hist(smaller, bins=edges, color=(0.35, 0.3, 0.6), log=True,
                     label=f"the smaller coverage ({len(smaller):,} pairs)")
        axes[1].set_xlabel("min(cover_a, cover_b): the MegaDepth exports' score")
        axes[1].set_ylabel("pairs (log)")
        axes[1].legend(fontsize=8)
    _per_query(right, pairs, frames, typed)
    fig.suptitle(f"{_set_name(meta)} · {len(pairs):,} pairs, {len(frames):,} frames", fontsize=11)
    return _save(fig, out, overwrite, tight=True)


def per_query_counts(pairs, frames, typed) -> tuple[np.ndarray, np.ndarray, bool]:
    """(pairs of each query, its positives, whether the set has cross-mode groups). The queries:
    those of cross-mode groups (cross pairs run query -> database, so a database frame is no
    query), every usable frame of within-mode groups (a pair written once counts at both ends;
    an ioa set's both-ways rows each at their first frame)."""
    n = len(frames)
    usable = frames["usable"].to_numpy()
    cross = frames["group"].map(typed.modes).eq("cross").to_numpy()
    asks = usable & (~cross | frames["role"].eq("query").to_numpy())
    a, b = pairs["frame_a"].to_numpy(), pairs["frame_b"].to_numpy()
    both = (~cross[a]) & typed.symmetric  # a within-mode pair written once: it counts for b too
    ends = np.r_[a, b[both]]
    positive = np.r_[pairs["rank"].to_numpy() == 2, (pairs["rank"].to_numpy() == 2)[both]]
    return np.bincount(ends, minlength=n)[asks], np.bincount(ends[positive], minlength=n)[asks], bool(cross.any())


def _per_query(ax, pairs, frames, typed) -> None:
    """The histogram's per-query panel: pairs and positives per query, and how many have none."""
    per_query, positives, cross = per_query_counts(pairs, frames, typed)
    top = max(int(per_query.max()) if len(per_query) else 1, 1)
    width = max(1, int(np.ceil(top / 40)))
    edges = np.arange(0, top + width + 1, width) - 0.5
    ax.hist(per_query, bins=edges, color=(0.75, 0.82, 0.92), label="pairs")
    ax.hist(positives, bins=edges, color=(0.1, 0.5, 0.2), alpha=0.8, label="positives")
    none = int((positives == 0).sum())
    one, who = ("query", "queries") if cross else ("frame", "frames")
    ax.set_xlabel(f"pairs per {one} (and positives)")
    ax.set_ylabel(who)
    ax.set_title(f"{none:,} of {len(positives):,} {who} ({none / max(len(positives), 1):.0%}) have no positive",
                 fontsize=10)
    ax.legend(fontsize=8)


def plot_run(labels, *, overwrite: bool = True) -> list[Path]:
    """What ``annotate --plots`` draws into ``<labels>/plots/``: the histogram, and example pairs
    that show what the label means: the median positive, the median soft negative and the pair
    nearest the positive threshold, each chosen among pairs of cameras that do not face each
    other (in 2D, facing cameras share sectors but see opposite sides); and, where the set has
    one, the strongest facing positive, as ``pair_facing_positive.png``, marked as such."""
    from .io.reading import read_pairs

    folder = Path(labels) / "plots"
    out = [plot_histogram(labels, folder / "histogram.png", overwrite=overwrite)]
    pairs = read_pairs(labels)
    if not len(pairs):
        return out
    for name, k in example_pairs(pairs).items():
        row = pairs.iloc[int(k)]
        out.append(plot_pair(labels, int(row["frame_a"]), int(row["frame_b"]),
                             folder / f"pair_{name}.png", overwrite=overwrite))
    return out


def example_pairs(pairs) -> dict:
    """{name: row of ``pairs``} of the example pairs annotate --plots draws (plot_run)."""
    meta = pairs.attrs["fovlabel"]
    positive = LabelSetMetadata.from_dict(meta).positive
    labeller, params = labeller_of(meta)
    v = pairs["overlap"].to_numpy()
    facing = np.zeros(len(v), bool)
    from .io.frames import canonical_frames
    from .schema import FRAMES_SCHEMA

    no_frames = canonical_frames(FRAMES_SCHEMA.empty_table())  # the question is the labeller's, not a frame's
    if labeller.sectors(no_frames, params) is not None:  # 3D overlap is seen overlap: no false facing
        facing = pairs["heading_diff_deg"].to_numpy() > FACING_DEG
    picks = {}
    for name, mask in (("positive", v >= positive), ("soft_negative", (v > 0) & (v < positive))):
        idx = np.flatnonzero(mask & ~facing)
        if len(idx):
            picks[name] = idx[np.argsort(v[idx], kind="stable")[len(idx) // 2]]
    candidates = np.flatnonzero(~facing) if (~facing).any() else np.arange(len(v))
    picks["near_threshold"] = int(candidates[np.argmin(np.abs(v[candidates] - positive))])
    facing_positive = np.flatnonzero(facing & (v >= positive))
    if len(facing_positive):
        picks["facing_positive"] = int(facing_positive[np.argmax(v[facing_positive])])
    return picks
