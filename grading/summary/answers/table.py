"""The student's own numbers, as the assessors compare them.

Built from a :class:`~grading.summary.result.SummaryResult`: per variant its
accuracy, inference time, ZIP size and size before ZIP, and the size of the
FP32 baseline (the ``.tflite`` before ZIP when the summary gives it, else
derived from its ZIP size and deflation, else the rubric's
``baseline_size_bytes``, said to be the course's figure, not the student's).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grading.summary.result import SummaryResult


@dataclass
class Point:
    """One compressed variant of the student's table."""

    variant: str
    group: str
    accuracy: float | None = None
    inference_ms: float | None = None
    zip_bytes: int | None = None
    raw_bytes: int | None = None
    deflation: float | None = None


@dataclass
class Table:
    """The student's numbers: the variants by group and the baseline size."""

    points: dict[str, Point] = field(default_factory=dict)
    baseline_bytes: float | None = None
    baseline_zip_bytes: float | None = None
    baseline_source: str = ""

    def of_group(self, group: str) -> list[Point]:
        """Return the points of one method group, in lab order."""
        return [p for p in self.points.values() if p.group == group]

    def groups(self) -> list[str]:
        """Return the groups that have at least one point, in lab order."""
        return list(dict.fromkeys(p.group for p in self.points.values()))


def table_of(result: SummaryResult, data: dict, group_of) -> Table:
    """Collect the numbers the assessors compare.

    Parameters
    ----------
    result : SummaryResult
        What the reader parsed.
    data : dict
        The ``[summary]`` section of the rubric (``baseline``,
        ``baseline_size_bytes``).
    group_of : callable
        Variant name to method group name (None: not a compressed variant).

    Returns
    -------
    Table
    """
    table = Table()
    names = list(result.metrics) + [
        v for v in result.deflation if v not in result.metrics
    ]
    for variant in names:
        group = group_of(variant)
        if group is None:
            continue
        point = Point(variant, group)
        metrics = result.metrics.get(variant)
        if metrics is not None:
            point.accuracy = metrics.accuracy
            point.inference_ms = metrics.inference_ms
        deflation = result.deflation.get(variant)
        if deflation is not None:
            point.zip_bytes = deflation.size_bytes
            point.deflation = deflation.percent
        point.raw_bytes = result.baseline.original_sizes.get(variant)
        table.points[variant] = point
    baseline = data.get("baseline", "")
    raw = result.baseline.original_sizes.get(baseline)
    entry = result.deflation.get(baseline)
    if entry is not None and entry.size_bytes:
        table.baseline_zip_bytes = float(entry.size_bytes)
    if raw:
        table.baseline_bytes, table.baseline_source = float(raw), "your table"
    elif entry is not None and entry.size_bytes and entry.percent is not None:
        if 0 <= entry.percent < 100:
            table.baseline_bytes = entry.size_bytes / (1 - entry.percent / 100)
            table.baseline_source = "your table (its ZIP size and deflation)"
    if table.baseline_bytes is None and data.get("baseline_size_bytes"):
        table.baseline_bytes = float(data["baseline_size_bytes"])
        table.baseline_source = (
            "the course's measured FP32 TFLite size (not in your table)"
        )
    return table


def mb(size: float | None) -> str:
    """Return a size in bytes as ``1.26 MB`` (``-`` when unknown)."""
    return "-" if size is None else f"{size / 1e6:.3g} MB"


def pct(value: float | None) -> str:
    """Return a fraction as ``84.11 %``."""
    return "-" if value is None else f"{100 * value:.2f} %"
