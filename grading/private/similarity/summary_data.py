"""A stable view of what the summary reader found, for the similarity step.

:func:`grading.summary.analyze` returns plain JSON today and may return
dataclasses tomorrow; everything here reads it through :func:`_get`, which
accepts both, and tolerates missing or malformed parts. Only the values and
the answer passages are taken; nothing is judged here.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grading.pipeline.rubric import Rubric
from grading.util.text import normalize

#: Metric keys of the summary reader that are numbers to compare.
METRIC_KINDS = (
    "accuracy",
    "precision",
    "sensitivity",
    "g_mean",
    "inference_ms",
    "top5",
)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """Return ``obj[name]`` or ``obj.name``, or ``default``."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _items(obj: Any) -> list[tuple[str, Any]]:
    """Return the (key, value) pairs of a mapping or a dataclass."""
    if isinstance(obj, Mapping):
        return [(str(k), v) for k, v in obj.items()]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    return []


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def significant_digits(value: float) -> int:
    """Return the significant digits ``value`` was written with (at most 12).

    ``0.8364677`` has 7, ``83.6 %`` read as ``0.836`` has 3; trailing zeros
    are not counted (``0.800000`` reads as ``0.8``).
    """
    text = f"{abs(value):.12g}"
    if "e" in text:
        mantissa = text.split("e")[0]
        return len(mantissa.replace(".", "").strip("0")) or 1
    digits = text.replace(".", "").lstrip("0").rstrip("0")
    return max(1, len(digits))


_SIZE_UNITS = (1, 1000, 1024, 1000**2, 1024**2, 1000**3, 1024**3)


def size_digits(size: int) -> int:
    """Return the significant digits of a size as its author wrote it.

    A size is read in bytes: ``8 452 kB`` and ``16.48 MB`` become long
    integers whose digits say nothing. The smallest number of digits of
    ``size`` in some unit, with up to three decimals, that gives back the
    same bytes is how it was written.
    """
    best = len(str(abs(int(size))).rstrip("0")) or 1
    for unit in _SIZE_UNITS[1:]:
        quotient = size / unit
        # decimals finer than ten bytes would fit any size: not a reading
        for decimals in range(min(3, int(math.log10(unit)) - 1) + 1):
            shown = round(quotient, decimals)
            if shown and round(shown * unit) == size:
                best = min(best, significant_digits(shown))
                break
    return best


def canonical(value: float) -> str:
    """Return the text two equal values share (12 significant digits)."""
    return f"{value:.12g}"


@dataclass(frozen=True)
class Value:
    """One number of a summary.

    Parameters
    ----------
    variant : str
        Variant (or the baseline) it belongs to.
    kind : str
        ``accuracy``, ..., ``inference_ms``, ``deflation``, ``size``,
        ``size_orig``.
    value : float
        As read (fractions for metrics, percent for deflation, bytes).
    digits : int
        Significant digits as written.
    """

    variant: str
    kind: str
    value: float
    digits: int

    @property
    def key(self) -> str:
        """Kind and canonical text: equal keys are identical values."""
        return f"{self.kind}={canonical(self.value)}"


@dataclass
class SummaryData:
    """What the similarity step takes from one summary."""

    file: str = ""
    values: list[Value] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)
    samples: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _metric_values(variant: str, row: Any) -> list[Value]:
    out = []
    for kind in METRIC_KINDS:
        value = _number(_get(row, kind))
        if value is not None:
            out.append(Value(variant, kind, value, significant_digits(value)))
    return out


def from_result(result: Any) -> SummaryData:
    """Convert the summary reader's result into :class:`SummaryData`."""
    data = SummaryData(file=str(_get(result, "file") or ""))
    for variant, row in _items(_get(result, "metrics") or {}):
        data.values += _metric_values(variant, row)
        samples = _number(_get(row, "samples"))
        if samples is not None:
            data.samples.append(samples)
    baseline = _get(result, "baseline") or {}
    data.values += _metric_values("baseline", _get(baseline, "metrics") or {})
    for variant, size in _items(_get(baseline, "original_sizes") or {}):
        number = _number(size)
        if number is not None and number > 0:
            data.values.append(
                Value(variant, "size_orig", number, size_digits(int(number)))
            )
    for variant, entry in _items(_get(result, "deflation") or {}):
        percent = _number(_get(entry, "percent"))
        if percent is not None:
            data.values.append(
                Value(variant, "deflation", percent, significant_digits(percent))
            )
        size = _number(_get(entry, "size_bytes"))
        if size is not None and size > 0:
            data.values.append(Value(variant, "size", size, size_digits(int(size))))
    for qid, answer in _items(_get(result, "questions") or {}):
        if _get(answer, "found") and isinstance(_get(answer, "excerpt"), str):
            data.answers[qid] = _get(answer, "excerpt")
    for _variant, image in _items(_get(result, "confusion_matrices") or {}):
        path = _get(image, "path")
        if _get(image, "exists") and isinstance(path, str) and not path.startswith("("):
            data.images.append(path)
    for problem in _get(result, "problems") or []:
        message = _get(problem, "message")
        if isinstance(message, str):
            data.problems.append(message)
    return data


def read_summary(root: Path, rubric: Rubric) -> SummaryData:
    """Run the summary reader on a submission folder; never raises."""
    from grading.summary import analyze

    try:
        return from_result(analyze(root, rubric))
    except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the class
        return SummaryData(problems=[f"the summary reader failed: {exc!r}"])


_MARKUP = re.compile(r"[*_`#>|~\[\]()!]+|https?://\S+")
_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s%.]|(?<!\d)\.|\.(?!\d)")


def normalize_answer(text: str) -> str:
    """Return answer text to compare: NFKC, lower case, no markup or punctuation.

    Numbers are kept (``91.8 %``), so are words; Markdown emphasis, links,
    quotes and line breaks are not.
    """
    plain = normalize(text).text.lower()
    plain = _MARKUP.sub(" ", plain)
    plain = _PUNCT.sub(" ", plain)
    return _SPACES.sub(" ", plain).strip()
