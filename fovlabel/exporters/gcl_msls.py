"""``gcl-msls``: the Generalized Contrastive Loss trainer's MSLS labels
(marialeyvallina/generalized_contrastive_loss, ``src/datasets.py`` ``MSLSDataSet``); see
:class:`GclMsls`."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..io.paths import inside, safe_name
from .base import ExportOptions, Exporter, h5py_module, local_index, param, require_mode


@dataclass(frozen=True)
class GclMslsOptions(ExportOptions):
    block_mb: float = param(64.0, "Dense matrix block written at a time, in MiB (memory, not the result).")

    def validate(self):
        if not (self.block_mb > 0 and np.isfinite(self.block_mb)):
            raise ConfigError(f"block_mb must be a finite number > 0; got {self.block_mb:g}")


#: the MSLS split folders GCL's loader knows
MSLS_SPLITS = ("train_val", "test")


def _city_layout(frames, group):
    """(split prefix "train_val/" or "test/" or "" as the dataset lays the city out, city name,
    query frame ids in raw.csv order, database ids likewise). The names come from source_file
    (<split>/<city>/<role>/raw.csv, <city>/<role>/raw.csv, or <role>/raw.csv): the split only
    when it is one MSLS has, the city through io.paths.safe_name, so no part of a (tampered)
    path can climb out of the export."""
    members = frames[frames["group"] == group]
    first = str(members["source_file"].iloc[0]).replace("\\", "/").split("/")
    split = first[-4] + "/" if len(first) >= 4 and first[-4] in MSLS_SPLITS else ""
    city = safe_name(first[-3] if len(first) >= 3 and first[-3] not in ("", ".", "..")
                     else str(group).split("/")[-1])
    ids = {}
    for role in ("query", "database"):
        part = members[members["role"] == role].sort_values("source_row")
        ids[role] = part["frame_id"].to_numpy(np.int64)
    return split, city, ids["query"], ids["database"]


class GclMsls(Exporter):
    """``gcl-msls``: GCL's ``MSLSDataSet`` labels for an MSLS label set in cross mode.

    Per city ``<split>/<city>_gt.h5`` (beside the city folder, as the dataset lays it out: GCL's
    loader looks in ``train_val/``) with ``fov``
    (n_query x n_database float32, rows and columns in raw.csv order, panoramas in place as zero
    rows and columns, absent pairs 0) and ``sim`` (uint8, overlap >= the label set's positive
    threshold), and ``<split>/<city>/query.json``, ``database.json`` (``im_prefix``, ``im_paths``
    as MSLS lays images out, ``loc`` = easting, northing, ca). Dense, so written in row blocks of
    ``block_mb``: memory stays bounded whatever the city's size.
    """

    name = "gcl-msls"
    summary = "GCL MSLSDataSet: per city <city>_gt.h5 (fov, sim: query x database) + query/database.json"
    Options = GclMslsOptions

    def check(self, labels, options):
        fmt = labels.meta["input"].get("format")
        if fmt != "msls":
            raise ConfigError(f"gcl-msls needs a label set of an MSLS dataset (--format msls); this one is {fmt}")
        require_mode(labels, "cross", "gcl-msls needs cross mode (query x database)")

    def check_into(self, labels, into):
        """GCL reads <root>/train_val/<city>_gt.h5, <root>/train_val/<city>/{query,database}.json
        and the pano column of <root>/train_val/<city>/{query,database}/raw.csv (src/datasets.py
        joins them to its root by string concatenation): ``into`` must be that root."""
        layout = ("GCL's MSLSDataSet reads <root>/train_val/<city>_gt.h5, <root>/train_val/<city>/query.json, "
                  "database.json and <root>/train_val/<city>/{query,database}/raw.csv")
        for group in labels.frames["group"].unique():
            split, city, _, _ = _city_layout(labels.frames, group)
            source = labels.frames.loc[labels.frames["group"] == group, "source_file"].iloc[0]
            if split != "train_val/":
                raise ConfigError(f"{layout}; this label set's city {city!r} is not under train_val/ ({source}): "
                                  f"label the MSLS root that holds train_val/{city}/, or use --out and lay the "
                                  "files out yourself")
            missing = [r for r in ("query", "database") if not (into / "train_val" / city / r / "raw.csv").is_file()]
            if missing:
                raise ConfigError(f"{layout}; {into} has no train_val/{city}/{missing[0]}/raw.csv: give the MSLS "
                                  f"root (the folder that holds train_val/{city}/)")

    def files(self, labels) -> list[str]:
        out = []
        for group in labels.frames["group"].unique():
            split, city, _, _ = _city_layout(labels.frames, group)
            out += [f"{split}{city}_gt.h5", f"{split}{city}/query.json", f"{split}{city}/database.json"]
        return out

    def write(self, folder, labels, options):
        h5py = h5py_module()
        frames, pairs = labels.frames, labels.pairs
        positive = labels.metadata.positive
        files = []
        a_all, b_all = pairs["frame_a"].to_numpy(np.int64), pairs["frame_b"].to_numpy(np.int64)
        v_all = pairs["overlap"].to_numpy(np.float32)
        for group in frames["group"].unique():
            split, city, query, database = _city_layout(frames, group)
            row, col = local_index(len(frames), query), local_index(len(frames), database)
            mine = (row[a_all] >= 0) & (col[b_all] >= 0)
            r, c, v = row[a_all[mine]], col[b_all[mine]], v_all[mine]
            order = np.argsort(r, kind="stable")
            r, c, v = r[order], c[order], v[order]
            inside(folder, f"{split}{city}").mkdir(parents=True, exist_ok=True)
            gt = f"{split}{city}_gt.h5"
            n_q, n_db = len(query), len(database)
            rows_per_block = max(1, int(options.block_mb * 2**20 / (5 * max(n_db, 1))))  # fov f4 + sim u1
            with h5py.File(inside(folder, gt), "w") as f:
                chunks = (min(max(n_q, 1), 64), min(max(n_db, 1), 4096)) if n_q and n_db else None
                # mostly zeros: gzip (h5py's built-in filter, which GCL's h5py reads) shrinks it ~100x
                packed = dict(chunks=chunks, compression="gzip", compression_opts=1) if chunks else {}
                fov = f.create_dataset("fov", shape=(n_q, n_db), dtype="f4", fillvalue=0.0, **packed)
                sim = f.create_dataset("sim", shape=(n_q, n_db), dtype="u1", fillvalue=0, **packed)
                for r0 in range(0, n_q, rows_per_block):
                    r1 = min(r0 + rows_per_block, n_q)
                    s0, s1 = np.searchsorted(r, [r0, r1])
                    block = np.zeros((r1 - r0, n_db), np.float32)
                    block[r[s0:s1] - r0, c[s0:s1]] = v[s0:s1]
                    fov[r0:r1] = block
                    sim[r0:r1] = block >= positive
            files.append(gt)
            for role, ids in (("query", query), ("database", database)):
                sub = frames.iloc[ids]
                index = {"im_prefix": labels.im_prefix,
                         "im_paths": [f"{split}{city}/{role}/images/{k}.jpg" for k in sub["key"]],
                         "loc": sub[["x_m", "y_m", "heading_deg"]].to_numpy().tolist()}
                name = f"{split}{city}/{role}.json"
                inside(folder, name).write_text(json.dumps(index))
                files.append(name)
        return files
