"""Pictures of a label set, drawn headless with matplotlib (the ``plot`` extra).

- :func:`plot_pair`: two cameras' sectors on metric axes (relative to the first camera), their
  intersection shaded, the overlap, measure, distance and heading difference in the title
  (2D label sets: weak2d, strong2d); for 3D label sets (cloud3d) the two images side by side with
  the pixels of shared voxels or tracks highlighted, IoU and coverages in the titles;
- :func:`plot_histogram`: the overlap histogram per rank (log counts) with the positive
  threshold, and the pairs per frame;
- :func:`plot_query`: a query's group as a map of arrows coloured by rank, its top matches marked;
- :func:`plot_map`: every frame, coloured by group and role, with a scale bar.

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
from .io.metadata import LabelSetMetadata
from .io.metadata import labeller_of

#: fill colours, exact (no antialiasing on fills), so that a picture can be measured
UNION_RGB = (204, 222, 240)
INTERSECTION_RGB = (230, 120, 30)
A_RGB, B_RGB = (31, 90, 180), (200, 40, 60)
EXCLUDED_RGB, HATCH_RGB = (250, 215, 185), (150, 90, 50)  # view-consistent: the part not counted


def _pyplot():
    try:
        import matplotlib
    except ImportError as exc:
        raise ConfigError(f"fovlabel plot draws with matplotlib ({exc}): pip install 'fovlabel[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _rgb(c):
    return tuple(v / 255 for v in c)


def _is_our_png(path: Path) -> bool:
    from PIL import Image

    with Image.open(path) as im:
        return str(im.info.get("Software", "")).startswith("fovlabel")


def _save(fig, out, overwrite: bool, tight: bool = False) -> Path:
    """Write the figure as a fovlabel PNG (io.output's rules for a single file), then close it."""
    import matplotlib.pyplot as plt

    from . import __version__
    from .io.output import write_own_file

    try:
        if tight:
            fig.tight_layout()
        return write_own_file(out, ".png", _is_our_png,
                              lambda tmp: fig.savefig(tmp, dpi=100, metadata={"Software": f"fovlabel {__version__}"}),
                              ours="a picture fovlabel drew",
                              wrong_suffix="fovlabel plot writes PNG (name it .png)", overwrite=overwrite)
    finally:
        plt.close(fig)


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
    overlap = float(row["overlap"].iloc[0]) if len(row) else 0.0
    ox, oy = sa[0], sa[1]  # relative to camera A: readable numbers on UTM-sized coordinates
    pa = shapely.Polygon(sector_polygon(0.0, 0.0, *sa[2:]))
    pb = shapely.Polygon(sector_polygon(sb[0] - ox, sb[1] - oy, *sb[2:]))
    fig, ax = plt.subplots(figsize=(7, 7))
    union, inter = pa.union(pb), pa.intersection(pb)
    theta = getattr(params, "max_view_angle_deg", None)
    excluded = inter.intersection(excluded_region(sb[0] - ox, sb[1] - oy, theta, union)) if theta else None
    counted = inter.difference(excluded) if excluded is not None else inter
    layers = [(union, UNION_RGB, None), (counted, INTERSECTION_RGB, None)]
    if excluded is not None:
        layers.append((excluded, EXCLUDED_RGB, "////"))
    for shape, colour, hatch in layers:
        for poly in _polygons(shape):
            ax.fill(*poly.exterior.xy, facecolor=_rgb(colour), antialiased=False, linewidth=0,
                    hatch=hatch, edgecolor=_rgb(HATCH_RGB) if hatch else None)
            for hole in poly.interiors:  # a region with a hole: fill the hole back
                below = UNION_RGB if colour != UNION_RGB else (255, 255, 255)
                ax.fill(*hole.xy, facecolor=_rgb(below), antialiased=False, linewidth=0)
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
    ax.set_title(f"{meta['input'].get('format')} · {meta['labeller']} · overlap {overlap:.3f} ({LabelSetMetadata.from_dict(meta).measure}{view})\n"
                 f"distance {dist:.1f} m, heading difference {dh:.1f}°, fov {sa[3]:.0f}°/{sb[3]:.0f}°, "
                 f"radius {sa[4]:g} m", fontsize=10)
    ax.legend(loc="best", fontsize=9)
    ax.grid(True, linewidth=0.3)
    return _save(fig, out, overwrite)


def _plot_pair_3d(plt, labels, pairs, frames, meta, a, b, out, overwrite, root, matches=0) -> Path:
    from .views import shared_pixels

    pair = shared_pixels(labels, a, b, root=root)
    i, j = _frame_index(frames, a), _frame_index(frames, b)
    row = _pair_row(pairs, i, j)
    iou = float(row["overlap"].iloc[0]) if len(row) else 0.0
    params = LabelSetMetadata.from_dict(meta).labeller_params
    what = "voxels" if pair.source != "tracks" else "tracks"
    aspect = max(v.height / max(v.width, 1) for v in (pair.a, pair.b))
    fig, axes = plt.subplots(1, 2, figsize=(12, 12 * aspect / 2 + 1.6))
    for ax, view, name, colour in ((axes[0], pair.a, "A", A_RGB), (axes[1], pair.b, "B", B_RGB)):
        _draw_view(ax, view)
        ax.set_title(f"{name}: {view.key} ({view.background_kind})\n{view.observed:,} {what}, "
                     f"{pair.shared / max(view.observed, 1):.0%} of them shared", fontsize=9, color=_rgb(colour))
        ax.set_xlabel("u (px)")
        ax.set_ylabel("v (px)")
    check = "" if pair.agrees else (f"\nrecomputed from the dataset: {pair.shared:,} shared, the label says "
                                    f"{pair.label_shared or 0:,}: has the dataset changed?")
    source = pair.source + (f", voxel {params.get('voxel_m', 0):g} m" if pair.source != "tracks" else "")
    dist, angle = (float(row["distance_m"].iloc[0]), float(row["heading_diff_deg"].iloc[0])) if len(row) else (
        float("nan"), float("nan"))
    if matches > 0:
        _draw_matches(labels, i, j, axes, matches, root)
    fig.suptitle(f"{meta['input'].get('format')} {Path(meta['input']['path']).name} · cloud3d ({source}) · "
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
    """Overlap histogram per rank (log counts) with the positive threshold; pairs per frame."""
    from .io.reading import read_label_frames, read_pairs

    plt = _pyplot()
    pairs, frames = read_pairs(labels), read_label_frames(labels)
    meta = pairs.attrs["fovlabel"]
    positive = LabelSetMetadata.from_dict(meta).positive
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    edges = np.linspace(0, 1, bins + 1)
    names = {2: "rank 2 positive", 1: "rank 1 soft negative", 0: "rank 0 hard negative (kept zeros)"}
    for rank, colour in ((2, (0.1, 0.5, 0.2)), (1, (0.9, 0.6, 0.1)), (0, (0.5, 0.5, 0.5))):
        values = pairs.loc[pairs["rank"] == rank, "overlap"].to_numpy()
        if len(values):
            left.hist(values, bins=edges, color=colour, label=f"{names[rank]} ({len(values):,})", log=True)
    left.axvline(positive, color="k", linestyle="--", linewidth=1, label=f"positive threshold {positive:g}")
    left.set_xlabel(f"overlap ({LabelSetMetadata.from_dict(meta).measure})")
    left.set_ylabel("pairs (log)")
    left.legend(fontsize=8)
    ends = pairs["frame_a"].to_numpy() if not LabelSetMetadata.from_dict(meta).symmetric else np.r_[pairs["frame_a"].to_numpy(),
                                                                           pairs["frame_b"].to_numpy()]
    per_frame = np.bincount(ends, minlength=len(frames))
    per_frame = per_frame[frames["usable"].to_numpy()]
    right.hist(per_frame, bins=min(50, max(per_frame.max(), 1)), color=(0.2, 0.4, 0.7))
    right.set_xlabel("pairs per usable frame")
    right.set_ylabel("frames")
    fig.suptitle(f"{meta['input'].get('format')} {Path(meta['input']['path']).name} · {meta['labeller']} · "
                 f"{len(pairs):,} pairs, {len(frames):,} frames", fontsize=11)
    return _save(fig, out, overwrite, tight=True)


RANK_RGB = {2: (30, 140, 60), 1: (235, 150, 20), 0: (170, 170, 170)}


def _axis_labels(ax, labeller, origin=None) -> None:
    """The plane's axis names (the labeller's: east/north where geo-referenced), in metres."""
    unit = f"m, from {origin}" if origin else "m"
    ax.set_xlabel(f"{labeller.plane_axes[0]} ({unit})")
    ax.set_ylabel(f"{labeller.plane_axes[1]} ({unit})")


def _positions(frames, meta):
    """(x, y, heading) arrays of the frames where the label set's labeller placed them."""
    labeller, _ = labeller_of(meta)
    cols = labeller.placement
    if cols is None:
        raise ConfigError(f"this label set's labeller, {labeller.name}, places no frame on a 2D plane: nothing "
                          "to map")
    if frames[cols[0]].isna().all():
        raise ConfigError(f"this label set has no 2D positions ({', '.join(cols)}) to map")
    return (frames[c].to_numpy(np.float64, na_value=np.nan) for c in cols)


def _arrows(ax, x, y, h, colours, length):
    x, y, h = (np.asarray(v, np.float64) for v in (x, y, h))
    t = np.radians(90.0 - h)
    ax.quiver(x, y, np.cos(t) * length, np.sin(t) * length, color=colours, angles="xy", scale_units="xy",
              scale=1.0, width=0.003, headwidth=3.5)


def _figsize(wx, wy):
    """A figure shaped like the area it maps (10 inches wide, 3 to 10 high), plus room for text."""
    aspect = (wy + 1.0) / (wx + 1.0)
    return (10.0, min(10.0, max(3.5, 10.0 * aspect + 1.5)))


def _scale_bar(ax, span):
    """A scale bar of a round length near a fifth of the view, bottom left."""
    step = 10 ** math.floor(math.log10(max(span / 5, 1e-9)))
    length = max(step * k for k in (1, 2, 5) if step * k <= span / 4) if span / 4 >= step else step
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bx, by = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    ax.plot([bx, bx + length], [by, by], color="k", linewidth=3)
    ax.text(bx + length / 2, by + 0.015 * (y1 - y0), f"{length:g} m", ha="center", va="bottom", fontsize=9)


def plot_query(labels, key, out, *, overwrite: bool = False, top: int = 5) -> tuple[Path, dict]:
    """The query's group as a map: every frame an arrow in its heading, coloured by its rank with
    the query (positive, soft negative, 0 grey); the query and its ``top`` best matches marked.
    Returns the PNG path and {frame id: rank} of the frames drawn."""
    from .io.reading import read_label_frames, read_pairs

    plt = _pyplot()
    pairs, frames = read_pairs(labels), read_label_frames(labels)
    meta = pairs.attrs["fovlabel"]
    q = _frame_index(frames, key)
    group = frames["group"].iloc[q]
    if frames["role"].iloc[q] == "database" and LabelSetMetadata.from_dict(meta).modes.get(group) == "cross":
        raise ConfigError(f"{frames['key'].iloc[q]!r} is a database frame of a cross-mode group: plot query draws "
                          "a query's matches in the database (give a query's key, or plot pair for two frames)")
    x, y, h = _positions(frames, meta)
    members = np.flatnonzero((frames["group"] == frames["group"].iloc[q]).to_numpy() & np.isfinite(x))
    import pandas as pd

    # the query's rows: as A first (an ioa label set holds |Q∩B| / |Q| there), then as B where
    # no row names it as A (a pair written once, a < b, or a cross-mode database frame)
    as_a, as_b = pairs[pairs["frame_a"] == q], pairs[pairs["frame_b"] == q]
    mine = pd.concat([as_a, as_b[~as_b["frame_a"].isin(as_a["frame_b"])]])
    other = np.where(mine["frame_a"].to_numpy() == q, mine["frame_b"].to_numpy(), mine["frame_a"].to_numpy())
    rank_of = dict(zip(other.tolist(), mine["rank"].astype(int).tolist()))
    overlap_of = dict(zip(other.tolist(), mine["overlap"].astype(float).tolist()))
    ranks = {int(i): rank_of.get(int(i), 0) for i in members if i != q}
    ox, oy = x[q], y[q]
    wx, wy = np.nanmax(x[members]) - np.nanmin(x[members]), np.nanmax(y[members]) - np.nanmin(y[members])
    span = max(wx, wy, 1.0)
    fig, ax = plt.subplots(figsize=_figsize(wx, wy))
    length = span / 40
    for rank in (0, 1, 2):  # positives drawn last, on top
        ids = np.array([i for i, r in ranks.items() if r == rank], dtype=np.int64)
        if len(ids):
            _arrows(ax, x[ids] - ox, y[ids] - oy, h[ids], [_rgb(RANK_RGB[rank])] * len(ids), length)
    best = sorted(overlap_of, key=lambda i: -overlap_of[i])[:top]
    ax.scatter(x[best] - ox, y[best] - oy, s=90, facecolors="none", edgecolors="k", linewidths=1.2,
               label=f"top {len(best)} matches")
    _arrows(ax, [0.0], [0.0], [h[q]], [_rgb(A_RGB)], 2 * length)
    ax.scatter([0.0], [0.0], s=60, color=_rgb(A_RGB), label=f"query {frames['key'].iloc[q]}")
    for rank, name in ((2, "positive"), (1, "soft negative"), (0, "overlap 0")):
        ax.plot([], [], color=_rgb(RANK_RGB[rank]), linewidth=3, label=name)
    ax.set_aspect("equal")
    _axis_labels(ax, labeller_of(meta)[0], "the query")
    ax.set_title(f"{meta['input'].get('format')} · {meta['labeller']} · group {frames['group'].iloc[q]} · "
                 f"query {frames['key'].iloc[q]}: {sum(r == 2 for r in ranks.values())} positives", fontsize=10)
    ax.legend(loc="best", fontsize=8)
    _scale_bar(ax, span)
    return _save(fig, out, overwrite), ranks


def plot_map(labels, out, *, overwrite: bool = False) -> Path:
    """Every frame of the label set, coloured by group and role, with a scale bar."""
    from .io.reading import read_label_frames, read_pairs

    plt = _pyplot()
    pairs, frames = read_pairs(labels), read_label_frames(labels)
    meta = pairs.attrs["fovlabel"]
    x, y, h = _positions(frames, meta)
    ok = np.isfinite(x)
    wx, wy = np.nanmax(x[ok]) - np.nanmin(x[ok]), np.nanmax(y[ok]) - np.nanmin(y[ok])
    span = max(wx, wy, 1.0)
    fig, ax = plt.subplots(figsize=_figsize(wx, wy))
    cmap = plt.get_cmap("tab10")
    ox, oy = np.nanmin(x[ok]), np.nanmin(y[ok])
    for gi, group in enumerate(frames["group"].unique()):
        for role, marker in (("query", "^"), ("database", "o"), (None, "o")):
            sel = ok & (frames["group"] == group).to_numpy() & (
                frames["role"].isna().to_numpy() if role is None else (frames["role"] == role).to_numpy())
            if sel.any():
                ax.scatter(x[sel] - ox, y[sel] - oy, s=10, marker=marker, color=cmap(gi % 10),
                           alpha=0.9 if role == "query" else 0.5, label=f"{group} · {role or 'frames'} ({sel.sum()})")
    ax.set_aspect("equal")
    _axis_labels(ax, labeller_of(meta)[0])
    ax.set_title(f"{meta['input'].get('format')} {Path(meta['input']['path']).name} · {meta['labeller']} · "
                 f"{len(frames):,} frames", fontsize=10)
    ax.legend(loc="best", fontsize=8, markerscale=2)
    _scale_bar(ax, span)
    return _save(fig, out, overwrite)


def plot_run(labels, *, overwrite: bool = True) -> list[Path]:
    """What ``annotate --plots`` draws into ``<labels>/plots/``: the histogram, and
    three example pairs: the median positive, the median soft negative, and the pair nearest the
    positive threshold."""
    from .io.reading import read_pairs

    folder = Path(labels) / "plots"
    out = [plot_histogram(labels, folder / "histogram.png", overwrite=overwrite)]
    pairs = read_pairs(labels)
    meta = pairs.attrs["fovlabel"]
    if not len(pairs):
        return out
    positive = LabelSetMetadata.from_dict(meta).positive
    v = pairs["overlap"].to_numpy()
    picks = {}
    for name, mask in (("positive", v >= positive), ("soft_negative", (v > 0) & (v < positive))):
        idx = np.flatnonzero(mask)
        if len(idx):
            picks[name] = idx[np.argsort(v[idx], kind="stable")[len(idx) // 2]]
    picks["near_threshold"] = int(np.argmin(np.abs(v - positive)))
    for name, k in picks.items():
        row = pairs.iloc[int(k)]
        out.append(plot_pair(labels, int(row["frame_a"]), int(row["frame_b"]),
                             folder / f"pair_{name}.png", overwrite=overwrite))
    return out
