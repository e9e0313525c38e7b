"""What every picture of fovlabel shares: matplotlib headless, the colours, the PNG written under
the output rules (io.output: only a picture fovlabel drew is ever replaced), axis names and titles."""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError

#: fill colours, exact (no antialiasing on fills), so that a picture can be measured
A_ONLY_RGB, B_ONLY_RGB = (204, 222, 240), (244, 208, 214)  # each sector's own part, in its colour
UNION_RGB = A_ONLY_RGB  # kept for one version: the pair picture fills each sector in its own colour
INTERSECTION_RGB = (230, 120, 30)
A_RGB, B_RGB = (31, 90, 180), (200, 40, 60)
EXCLUDED_RGB, HATCH_RGB = (250, 215, 185), (150, 90, 50)  # view-consistent: the part not counted
RANK_RGB = {2: (30, 140, 60), 1: (235, 150, 20), 0: (170, 170, 170)}
#: headings further apart than this: a pair of facing cameras (marked in the pair picture)
FACING_DEG = 135.0


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
    """Write the figure as a fovlabel PNG (io.output's rules for a single file), then close it;
    ``tight``: margins cut to what is drawn."""
    import matplotlib.pyplot as plt

    from . import __version__
    from .io.output import write_own_file

    try:
        if tight:
            fig.tight_layout()
        return write_own_file(out, ".png", _is_our_png,
                              lambda tmp: fig.savefig(tmp, dpi=100, metadata={"Software": f"fovlabel {__version__}"},
                                                      bbox_inches="tight" if tight else None, pad_inches=0.15),
                              ours="a picture fovlabel drew",
                              wrong_suffix="fovlabel plot writes PNG (name it .png)", overwrite=overwrite)
    finally:
        plt.close(fig)


def _axis_labels(ax, labeller, origin=None) -> None:
    """The plane's axis names (the labeller's: east/north where geo-referenced), in metres."""
    unit = f"m, from {origin}" if origin else "m"
    ax.set_xlabel(f"{labeller.plane_axes[0]} ({unit})")
    ax.set_ylabel(f"{labeller.plane_axes[1]} ({unit})")


def _set_name(meta) -> str:
    """What a label set is, for a title: its dataset's name (with the folders that make a file or
    a numbered model folder recognisable: rgbd_room/frames.csv, maupertuis/sparse/0) and its
    labeller."""
    path = Path(meta["input"].get("path", ""))
    parts = path.parts[-3:] if path.name.isdigit() else path.parts[-2:] if path.suffix else path.parts[-1:]
    return f"{'/'.join(parts)} · {meta['labeller']}"


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}" + ("" if n == 1 else "s")
