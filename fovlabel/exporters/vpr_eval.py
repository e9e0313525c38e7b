"""``vpr-eval``: evaluation ground truth by overlap instead of 25 m, for a cross-mode label set.

Per group (``<name>`` = the group, io.paths.safe_name):

- the GSV-Cities family's validation files (MixVPR, SALAD, BoQ): ``<name>_dbImages.npy`` and
  ``<name>_qImages.npy`` (image paths relative to the dataset root, which those loaders join to
  their own root by string concatenation), ``<name>_gt.npy`` (an object array: per query the
  database indices whose overlap is at least ``positive``);
- VPR_Tutorial's matrices, ``<name>_GT.npz``: ``GThard`` (overlap >= ``positive``) and ``GTsoft``
  (overlap > ``soft``), boolean, shape (n_database, n_queries);
- ``<name>_report.txt``: how this ground truth differs from the usual 25 m rule on the same frames
  (database frames within 25 m of a query that show nothing of it, and positives beyond 25 m).

Rows: the group's usable database frames, then queries, each in frame order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..io.paths import inside, safe_name
from .base import ExportOptions, Exporter, param, require_mode

#: the distance rule the benchmarks use, which the report compares with
RADIUS_M = 25.0


@dataclass(frozen=True)
class VprEvalOptions(ExportOptions):
    positive: float = param(0.5, "A database frame is a query's positive at this overlap or more, (0, 1].")
    soft: float = param(0.0, "VPR_Tutorial's GTsoft: overlap above this, [0, positive).")

    def validate(self):
        if not 0.0 < self.positive <= 1.0:
            raise ConfigError(f"positive must be in (0, 1]; got {self.positive:g}")
        if not 0.0 <= self.soft < self.positive:
            raise ConfigError(f"soft must be in [0, positive); got {self.soft:g}")


def _placement(frames):
    """Metric (x, y) of each frame: the CRS's, else the strong 2D ground plane."""
    x = frames["x_m"].to_numpy(np.float64, na_value=np.nan)
    y = frames["y_m"].to_numpy(np.float64, na_value=np.nan)
    if np.isnan(x).all():
        x = frames["plane_x_m"].to_numpy(np.float64, na_value=np.nan)
        y = frames["plane_y_m"].to_numpy(np.float64, na_value=np.nan)
    return x, y


class VprEval(Exporter):
    name = "vpr-eval"
    summary = "evaluation ground truth by overlap: <name>_{dbImages,qImages,gt}.npy (MixVPR, SALAD) + <name>_GT.npz"
    Options = VprEvalOptions

    def check(self, labels, options):
        require_mode(labels, "cross", "vpr-eval needs queries and a database: a cross-mode label set")

    def write(self, folder, labels, options):
        from scipy.spatial import cKDTree

        frames, pairs = labels.frames, labels.pairs
        x, y = _placement(frames)
        usable = frames["usable"].to_numpy()
        role = frames["role"].to_numpy(dtype=object)
        group = frames["group"].to_numpy(dtype=object)
        paths = frames["image_path"].to_numpy(dtype=object)
        a_all, b_all = pairs["frame_a"].to_numpy(np.int64), pairs["frame_b"].to_numpy(np.int64)
        v_all = pairs["overlap"].to_numpy(np.float64)
        files = []
        for g in dict.fromkeys(group):
            name = safe_name(g)
            db = np.flatnonzero((group == g) & usable & (role == "database"))
            q = np.flatnonzero((group == g) & usable & (role == "query"))
            row, col = np.full(len(frames), -1), np.full(len(frames), -1)
            row[db], col[q] = np.arange(len(db)), np.arange(len(q))
            mine = (row[b_all] >= 0) & (col[a_all] >= 0)
            overlap = np.zeros((len(db), len(q)), np.float64)
            overlap[row[b_all[mine]], col[a_all[mine]]] = v_all[mine]
            hard, soft = overlap >= options.positive, overlap > options.soft
            missing = [paths[i] for i in np.concatenate([db, q]) if not isinstance(paths[i], str)]
            if missing:
                raise ConfigError(f"vpr-eval lists image paths; group {g!r} has frames without one")
            for suffix, values in (("dbImages", paths[db]), ("qImages", paths[q])):
                np.save(inside(folder, f"{name}_{suffix}.npy"), np.array([str(p) for p in values]))
                files.append(f"{name}_{suffix}.npy")
            gt = np.empty(len(q), dtype=object)
            for j in range(len(q)):
                gt[j] = np.flatnonzero(hard[:, j])
            np.save(inside(folder, f"{name}_gt.npy"), gt, allow_pickle=True)
            np.savez_compressed(inside(folder, f"{name}_GT.npz"), GThard=hard, GTsoft=soft)
            report = self.report(g, x, y, db, q, hard, overlap, options, cKDTree)
            inside(folder, f"{name}_report.txt").write_text(report)
            files += [f"{name}_gt.npy", f"{name}_GT.npz", f"{name}_report.txt"]
            labels.notes.append(report.splitlines()[0])
        return files

    @staticmethod
    def report(group, x, y, db, q, hard, overlap, options, cKDTree) -> str:
        """The overlap ground truth against the 25 m rule on the same frames."""
        near = np.zeros_like(hard)
        if len(db) and len(q):
            tree = cKDTree(np.c_[x[db], y[db]])
            for j, found in enumerate(tree.query_ball_point(np.c_[x[q], y[q]], RADIUS_M)):
                near[found, j] = True
        blind = near & (overlap == 0)  # within 25 m, showing nothing of the query
        far = hard & ~near  # positives the 25 m rule misses
        with_blind = int(blind.any(axis=0).sum())
        return "\n".join([
            f"{group}: overlap >= {options.positive:g} gives {int(hard.sum()):,} positives for {len(q):,} queries "
            f"({int((~hard.any(axis=0)).sum()):,} with none); the {RADIUS_M:g} m rule gives {int(near.sum()):,}",
            f"  {int(blind.sum()):,} of the {RADIUS_M:g} m positives show nothing of their query (overlap 0: facing "
            f"away, beside); {with_blind:,} queries have such a positive",
            f"  {int(far.sum()):,} overlap positives lie beyond {RADIUS_M:g} m "
            f"({int(far.any(axis=0).sum()):,} queries)",
            f"  {int((near & hard).sum()):,} positives both rules agree on",
        ]) + "\n"
