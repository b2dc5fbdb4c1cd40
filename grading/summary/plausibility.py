"""Plausibility warnings for the instructor (never deducted).

Each warning names the summary check it concerns (``summary.metrics`` or
``summary.deflation``); the reader looks up the rubric item that check
feeds, so no rubric item id is written here. The measured bands and the lab
facts (number of classes, test-set size, FP32 size) come from the
``[summary]`` section of the rubric.
"""

from __future__ import annotations

from grading.summary.result import SummaryResult, SummaryWarning
from grading.summary.variants import Variants

FRACTIONS = ("accuracy", "precision", "sensitivity", "g_mean")
METRICS_CHECK = "summary.metrics"
DEFLATION_CHECK = "summary.deflation"


def _warn(out, code, message, check="", variant=None) -> None:
    out.append(SummaryWarning(code=code, message=message, check=check, variant=variant))


def _metric_ranges(result: SummaryResult, out: list) -> None:
    for variant, values in result.metrics.items():
        for key in FRACTIONS:
            value = values.get(key)
            if value is not None and not 0.0 <= value <= 1.0:
                _warn(
                    out,
                    "out_of_range",
                    f"{variant}: {key} {value:g} is outside 0..1 (or 0..100 %)",
                    METRICS_CHECK,
                    variant,
                )
        ms = values.inference_ms
        if ms is not None and not 0.0 < ms < 60000.0:
            _warn(
                out,
                "out_of_range",
                f"{variant}: inference time {ms:g} ms is not plausible",
                METRICS_CHECK,
                variant,
            )
        if values.g_mean == 0.0 and (values.accuracy or 0) > 0.05:
            _warn(
                out,
                "g_mean_zero",
                f"{variant}: G-mean is 0 while accuracy is {values.accuracy:.3f}: "
                "some class was never predicted, or the metric code has the "
                "known G-mean defect",
                METRICS_CHECK,
                variant,
            )


def _chance(result: SummaryResult, data: dict, out: list) -> None:
    classes = data.get("num_classes")
    if not classes:
        return
    chance = 1.0 / float(classes)
    for variant, values in result.metrics.items():
        accuracy = values.accuracy
        if accuracy is not None and accuracy <= 2.0 * chance:
            _warn(
                out,
                "chance_accuracy",
                f"{variant}: accuracy {accuracy:.3f} is at chance level "
                f"(1/{classes} = {chance:.3f}); the model is broken",
                METRICS_CHECK,
                variant,
            )


def _identical(result: SummaryResult, data: dict, out: list) -> None:
    """Warn about variants with the same metrics, but for ``same_metrics`` groups.

    ``same_metrics`` of the lab data lists groups of variants that compute the
    same function (an FP32 conversion of the native model) and may agree.
    """
    allowed = [set(group) for group in data.get("same_metrics", [])]
    seen: dict[tuple, list[str]] = {}
    for variant, values in result.metrics.items():
        key = tuple(values.get(k) for k in FRACTIONS)
        if sum(v is not None for v in key) >= 2:
            seen.setdefault(key, []).append(variant)
    for same in seen.values():
        if len(same) > 1 and not any(set(same) <= group for group in allowed):
            _warn(
                out,
                "identical_metrics",
                "identical metrics for "
                + ", ".join(same)
                + ": copied values, or the same model evaluated twice",
                METRICS_CHECK,
            )


def _deflation_ranges(result: SummaryResult, out: list) -> None:
    for variant, entry in result.deflation.items():
        if entry.percent is not None and not 0.0 <= entry.percent <= 100.0:
            _warn(
                out,
                "out_of_range",
                f"{variant}: deflation {entry.percent:g} % is outside 0..100 %",
                DEFLATION_CHECK,
                variant,
            )
        size = entry.size_bytes
        if size is not None and not 1000 <= size <= 2_000_000_000:
            _warn(
                out,
                "out_of_range",
                f"{variant}: compressed size {size} bytes is not plausible",
                DEFLATION_CHECK,
                variant,
            )


_TRENDS = {
    "falling": ("fall as the value grows (more clusters compress worse)", 1.0),
    "rising": ("rise as the value grows (more zeros compress better)", -1.0),
}


def _trends(result: SummaryResult, variants: Variants, out: list) -> None:
    deflation = result.deflation
    for family in variants.families:
        if family.deflation_trend not in _TRENDS:
            continue
        expect, sign = _TRENDS[family.deflation_trend]
        points = [
            (v, deflation[name].percent)
            for v, name in zip(family.values, family.names(), strict=False)
            if name in deflation and deflation[name].percent is not None
        ]
        wrong = [
            (a, b)
            for a, b in zip(points, points[1:], strict=False)
            if sign * (b[1] - a[1]) > 1.0
        ]
        if wrong:
            steps = ", ".join(
                f"{a[1]:g} % ({a[0]:g}) -> {b[1]:g} % ({b[0]:g})" for a, b in wrong
            )
            _warn(
                out,
                "deflation_trend",
                f"{family.name}: deflation should {expect}, but goes {steps}",
                DEFLATION_CHECK,
            )


def _bands(result: SummaryResult, data: dict, out: list) -> None:
    for variant, band in (data.get("deflation_bands") or {}).items():
        entry = result.deflation.get(variant)
        percent = entry.percent if entry is not None else None
        if percent is None or not isinstance(band, dict):
            continue
        low, high = band.get("min"), band.get("max")
        if low is not None and percent < low:
            _warn(
                out,
                "deflation_band",
                f"{variant}: deflation {percent:g} % is far below the "
                f"{band.get('measured', low):g} % measured for a stripped model "
                f"(plausible from {low:g} %): probably not stripped, or not "
                "compressed as asked",
                DEFLATION_CHECK,
                variant,
            )
        elif high is not None and percent > high:
            _warn(
                out,
                "deflation_band",
                f"{variant}: deflation {percent:g} % is far above "
                f"the {band.get('measured', high):g} % measured",
                DEFLATION_CHECK,
                variant,
            )


def _size_vs_deflation(result: SummaryResult, data: dict, out: list) -> None:
    reference = data.get("baseline_size_bytes")
    tolerance = float(data.get("size_tolerance", 0.25))
    if not reference:
        return
    for variant, entry in result.deflation.items():
        percent, size = entry.percent, entry.size_bytes
        if percent is None or size is None or not 0 <= percent < 100:
            continue
        original = size / (1.0 - percent / 100.0)
        if abs(original / reference - 1.0) > tolerance:
            _warn(
                out,
                "size_vs_deflation",
                f"{variant}: {size} bytes at {percent:g} % deflation means a "
                f"{original / 1e6:.1f} MB model, but the FP32 TFLite model is about "
                f"{reference / 1e6:.1f} MB: size, unit or percentage is off",
                DEFLATION_CHECK,
                variant,
            )


def _fraction(result: SummaryResult, data: dict, text: str, out: list) -> None:
    size = data.get("test_set_size")
    metrics = result.metrics
    if not size or not metrics:
        return
    accuracies = [v.accuracy for v in metrics.values() if v.accuracy is not None]
    precise = [a for a in accuracies if round(a, 6) != round(a, 4)]
    full = [a for a in precise if abs(a * size - round(a * size)) < 1e-6 * size]
    if any(word in text for word in data.get("fraction_words", [])):
        return
    counted = [v.samples for v in metrics.values() if v.samples is not None]
    if counted and min(counted) < size:
        _warn(
            out,
            "fraction_not_mentioned",
            f"the metrics were computed on {min(counted):g} test images of {size}, "
            "so a reduced --test-dataset-fraction was used, and the summary does "
            "not say so",
            METRICS_CHECK,
        )
    elif precise and not full:
        _warn(
            out,
            "fraction_not_mentioned",
            f"no accuracy is a whole number of the {size} test images, so a "
            "reduced --test-dataset-fraction was probably used, and the summary "
            "does not say so",
            METRICS_CHECK,
        )


def check(
    result: SummaryResult, data: dict, variants: Variants, text: str
) -> list[SummaryWarning]:
    """Return the plausibility warnings of an analysed summary.

    Parameters
    ----------
    result : SummaryResult
        The summary read so far (``metrics``, ``deflation``, ...).
    data : dict
        The ``[summary]`` lab data.
    variants : Variants
        The lab's variant resolver (for families and trends).
    text : str
        The summary text, lowercased, for "was it mentioned" checks.

    Returns
    -------
    list of SummaryWarning
        With ``check`` set and ``item`` empty (the reader fills it in).
    """
    out: list[SummaryWarning] = []
    _metric_ranges(result, out)
    _chance(result, data, out)
    _identical(result, data, out)
    _deflation_ranges(result, out)
    _trends(result, variants, out)
    _bands(result, data, out)
    _size_vs_deflation(result, data, out)
    _fraction(result, data, text, out)
    return out
