"""``classes``: place classes (fovlabel.classes) as a table, for pytorch-metric-learning's
``MPerClassSampler`` and CosPlace-style training."""

from __future__ import annotations

from dataclasses import dataclass

from ..io.paths import inside
from .base import ExportOptions, Exporter, param


@dataclass(frozen=True)
class ClassesOptions(ExportOptions):
    min_overlap: float = param(0.5, "classes: every member overlaps its class's representative at least this much.")
    min_size: int = param(1, "classes: classes smaller than this are dropped (class -1).")


class Classes(Exporter):
    """``classes``: place classes (fovlabel.classes) as ``classes.parquet`` and ``classes.csv``:
    frame_id, key, group, class (-1: none), image_path, for pytorch-metric-learning's ``MPerClassSampler``
    (``labels=table["class"]``) and CosPlace-style training."""

    name = "classes"
    summary = "place classes (every member overlaps its representative): classes.parquet + classes.csv"
    Options = ClassesOptions

    def write(self, folder, labels, options):
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        from ..classes import classes_table, place_classes

        report = place_classes(labels.folder, options.min_overlap, options.min_size)
        table = classes_table(labels.folder, report)
        pq.write_table(table, inside(folder, "classes.parquet"))
        pacsv.write_csv(table.replace_schema_metadata(None), inside(folder, "classes.csv"))
        return ["classes.parquet", "classes.csv"]
