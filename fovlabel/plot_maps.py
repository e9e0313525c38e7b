"""Maps of a label set: every frame where its labeller places it (:func:`plot_map`), and one
query's neighbourhood (:func:`plot_query`), for 2D and 3D label sets alike (Labeller.place)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ._figures import A_RGB, RANK_RGB, _axis_labels, _count, _pyplot, _rgb, _save, _set_name
from .errors import ConfigError
from .io.frames import frame_index as _frame_index
from .io.metadata import LabelSetMetadata, labeller_of


def _positions(frames, meta):
    """(x, y, heading) arrays of the frames where the label set's labeller placed them."""
    labeller, params = labeller_of(meta)
    placed = labeller.place(frames, params)
    if placed is None:
        raise ConfigError(f"this label set's labeller, {labeller.name}, places no frame on a 2D plane: nothing "
                          "to map")
    if np.isnan(placed[0]).all():
        raise ConfigError(f"this label set's frames have no 2D positions ({labeller.name} placed none) to map")
    return placed


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
    """The query's neighbourhood: its reach (2 x the sector radius around it; for labellers
    without one, a little beyond its farthest partner), every frame there an arrow in its heading,
    coloured by its rank with the query (positive, soft negative, grey 0), positives and soft
    negatives marked at their cameras so that none hides; the query and its ``top`` best matches
    ringed and numbered; the whole group in an inset, the frame drawn on it. Returns the PNG path
    and {frame id: rank} of the group's frames."""
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
    if not np.isfinite(x[q]):
        raise ConfigError(f"{frames['key'].iloc[q]!r} has no 2D position ({frames['flag'].iloc[q] or 'not placed'})")
    members = np.flatnonzero((frames["group"] == group).to_numpy() & np.isfinite(x))
    rank_of, overlap_of = _query_rows(pairs, q)
    ranks = {int(i): rank_of.get(int(i), 0) for i in members if i != q}
    ox, oy = x[q], y[q]
    reach = _query_reach(frames, meta, x, y, q, list(rank_of))
    near = members[(np.abs(x[members] - ox) <= reach) & (np.abs(y[members] - oy) <= reach)]
    fig = plt.figure(figsize=(9.6, 7.0))
    ax = fig.add_axes([0.085, 0.08, 0.6, 0.84])  # the legend and the inset in the column on its right
    length = reach / 14
    for rank in (0, 1, 2):  # positives drawn last, on top
        ids = np.array([i for i in near if i != q and ranks.get(int(i), 0) == rank], dtype=np.int64)
        if len(ids):
            colour = _rgb(RANK_RGB[rank])
            _arrows(ax, x[ids] - ox, y[ids] - oy, h[ids], [colour] * len(ids), length)
            if rank:  # the camera itself marked: a positive is seen even under other arrows
                ax.scatter(x[ids] - ox, y[ids] - oy, s=22, color=colour, edgecolors="k", linewidths=0.4,
                           zorder=6 if rank == 2 else 3)  # a positive above the query's own marker
    best = sorted(overlap_of, key=lambda i: (-overlap_of[i], i))[:top]
    ax.scatter(x[best] - ox, y[best] - oy, s=160, facecolors="none", edgecolors="k", linewidths=1.2, zorder=4,
               label=f"top {len(best)} matches (numbered)")
    for n, i in enumerate(best, 1):
        ax.annotate(str(n), (x[i] - ox, y[i] - oy), xytext=(6, 6), textcoords="offset points", fontsize=8, zorder=5)
    _arrows(ax, [0.0], [0.0], [h[q]], [_rgb(A_RGB)], 1.6 * length)
    ax.scatter([0.0], [0.0], s=70, color=_rgb(A_RGB), zorder=5, label=f"query {frames['key'].iloc[q]}")
    counts = {r: sum(v == r for v in ranks.values()) for r in (2, 1)}
    for rank, name in ((2, f"positive ({counts[2]})"), (1, f"soft negative ({counts[1]})"), (0, "overlap 0")):
        ax.plot([], [], color=_rgb(RANK_RGB[rank]), linewidth=3, label=name)
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_aspect("equal")
    labeller = labeller_of(meta)[0]
    _axis_labels(ax, labeller, "the query")
    ax.set_title(f"{_set_name(meta)} · query {frames['key'].iloc[q]}\n{_count(counts[2], 'positive')}, "
                 f"{_count(counts[1], 'soft negative')}; the frame shows {reach:.3g} m around it", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.03, 1.0), fontsize=8, borderaxespad=0)
    _scale_bar(ax, 2 * reach)
    _group_inset(fig.add_axes([0.72, 0.08, 0.26, 0.36]), x[members], y[members], ox, oy, reach, group)
    return _save(fig, out, overwrite), ranks


def _query_rows(pairs, q) -> tuple[dict, dict]:
    """({other frame: rank}, {other frame: overlap}) of the query's rows: as A first (an ioa label
    set holds |Q∩B| / |Q| there), then as B where no row names it as A (a pair written once, a < b,
    or a cross-mode database frame)."""
    import pandas as pd

    as_a, as_b = pairs[pairs["frame_a"] == q], pairs[pairs["frame_b"] == q]
    mine = pd.concat([as_a, as_b[~as_b["frame_a"].isin(as_a["frame_b"])]])
    other = np.where(mine["frame_a"].to_numpy() == q, mine["frame_b"].to_numpy(), mine["frame_a"].to_numpy())
    return (dict(zip(other.tolist(), mine["rank"].astype(int).tolist())),
            dict(zip(other.tolist(), mine["overlap"].astype(float).tolist())))


def _query_reach(frames, meta, x, y, q, partners) -> float:
    """Half the side of the query picture: 2 x the sector radius (every frame whose sector can
    meet the query's), else a little beyond the farthest partner (3D), at least 1 m."""
    labeller, params = labeller_of(meta)
    sectors = labeller.sectors(frames.iloc[:0], params)
    if sectors is not None:
        return 2.0 * float(sectors[1])
    far = max((float(np.hypot(x[i] - x[q], y[i] - y[q])) for i in partners if np.isfinite(x[i])), default=0.0)
    return max(1.25 * far, 1.0)


def _group_inset(inset, x, y, ox, oy, reach, group) -> None:
    """The whole group, small: grey cameras, the main picture's frame drawn on it."""
    from matplotlib.patches import Rectangle

    inset.scatter(x - ox, y - oy, s=2, color=_rgb(RANK_RGB[0]), linewidths=0)
    inset.add_patch(Rectangle((-reach, -reach), 2 * reach, 2 * reach, fill=False, edgecolor=_rgb(A_RGB), linewidth=1.2))
    inset.set_aspect("equal", adjustable="datalim")
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_title(f"the whole group: {len(x):,} frames", fontsize=8)


#: frames a map draws each camera's viewing direction for (more would be a blur of arrows)
MAP_ARROWS = 5_000


def plot_map(labels, out, *, overwrite: bool = False) -> Path:
    """Every frame of the label set where its labeller places it (3D sets: camera centres on the
    ground plane their poses define), coloured by group and role, each camera's viewing direction
    an arrow (up to MAP_ARROWS frames), with a scale bar."""
    from .io.reading import read_label_frames, read_pairs

    plt = _pyplot()
    pairs, frames = read_pairs(labels), read_label_frames(labels)
    meta = pairs.attrs["fovlabel"]
    x, y, h = _positions(frames, meta)
    ok = np.isfinite(x)
    wx, wy = np.nanmax(x[ok]) - np.nanmin(x[ok]), np.nanmax(y[ok]) - np.nanmin(y[ok])
    span = max(wx, wy, 1.0)
    # the short side at least a fifth of the long one, with a margin: a long thin route is not a
    # sliver, and the scale bar sits clear of the frames
    pad = 0.06 * span
    hx, hy = max(wx / 2, span / 10) + pad, max(wy / 2, span / 10) + pad
    fig, ax = plt.subplots(figsize=_figsize(2 * hx, 2 * hy))
    cmap = plt.get_cmap("tab10")
    ox, oy = np.nanmin(x[ok]), np.nanmin(y[ok])
    cx, cy = wx / 2, wy / 2
    for gi, group in enumerate(frames["group"].unique()):
        for role, marker in (("query", "^"), ("database", "o"), (None, "o")):
            sel = ok & (frames["group"] == group).to_numpy() & (
                frames["role"].isna().to_numpy() if role is None else (frames["role"] == role).to_numpy())
            if sel.any():
                ax.scatter(x[sel] - ox, y[sel] - oy, s=10, marker=marker, color=cmap(gi % 10),
                           alpha=0.9 if role == "query" else 0.5,
                           label=f"{group} · {role or 'frames'} ({int(sel.sum()):,})")
                if ok.sum() <= MAP_ARROWS:  # where each camera looks, while arrows stay readable
                    aim = sel & np.isfinite(h)
                    shade = (*cmap(gi % 10)[:3], 0.9 if role == "query" else 0.4)  # queries stand out
                    _arrows(ax, x[aim] - ox, y[aim] - oy, h[aim], [shade] * int(aim.sum()), span / 30)
    ax.set_xlim(cx - hx, cx + hx)
    ax.set_ylim(cy - hy - pad, cy + hy)  # a band below the frames for the scale bar
    ax.set_aspect("equal")
    _axis_labels(ax, labeller_of(meta)[0])
    ax.set_title(f"{_set_name(meta)} · {len(frames):,} frames", fontsize=10)
    # outside the axes, so that it covers no frame and no tick
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, markerscale=2, borderaxespad=0)
    _scale_bar(ax, span)
    return _save(fig, out, overwrite, tight=True)
