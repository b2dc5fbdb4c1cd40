"""Plausibility warnings for the instructor (never deducted).

Each warning is ``{"code", "message", "item", "variant"}``. The measured
bands and the lab facts (number of classes, test-set size, FP32 size) come
from the ``[summary]`` section of the rubric.
"""

from __future__ import annotations

from grading.summary.variants import Variants

FRACTIONS = ("accuracy", "precision", "sensitivity", "g_mean")


def _warn(out, code, message, item="", variant=None):
    out.append({"code": code, "message": message, "item": item, "variant": variant})


def check(result: dict, data: dict, variants: Variants, text: str) -> list[dict]:
    """Return the plausibility warnings of an analysed summary.

    Parameters
    ----------
    result : dict
        The summary JSON (``metrics``, ``deflation``, ...).
    data : dict
        The ``[summary]`` lab data.
    variants : Variants
        The lab's variant resolver (for families and trends).
    text : str
        The summary text, lowercased, for "was it mentioned" checks.
    """
    out: list[dict] = []
    metrics = result.get("metrics", {})
    deflation = result.get("deflation", {})
    for variant, values in metrics.items():
        for key in FRACTIONS:
            value = values.get(key)
            if value is not None and not 0.0 <= value <= 1.0:
                _warn(
                    out,
                    "out_of_range",
                    f"{variant}: {key} {value:g} is outside 0..1 (or 0..100 %)",
                    "summary_metrics",
                    variant,
                )
        ms = values.get("inference_ms")
        if ms is not None and not 0.0 < ms < 60000.0:
            _warn(
                out,
                "out_of_range",
                f"{variant}: inference time {ms:g} ms is not plausible",
                "summary_metrics",
                variant,
            )
        if values.get("g_mean") == 0.0 and (values.get("accuracy") or 0) > 0.05:
            _warn(
                out,
                "g_mean_zero",
                f"{variant}: G-mean is 0 while accuracy is "
                f"{values['accuracy']:.3f}: some class was never predicted, or the "
                "metric code has the known G-mean defect",
                "summary_metrics",
                variant,
            )
    classes = data.get("num_classes")
    if classes:
        chance = 1.0 / float(classes)
        for variant, values in metrics.items():
            accuracy = values.get("accuracy")
            if accuracy is not None and accuracy <= 2.0 * chance:
                _warn(
                    out,
                    "chance_accuracy",
                    f"{variant}: accuracy {accuracy:.3f} is at "
                    f"chance level (1/{classes} = {chance:.3f}); the model is broken",
                    "summary_metrics",
                    variant,
                )
    seen: dict[tuple, list[str]] = {}
    for variant, values in metrics.items():
        key = tuple(values.get(k) for k in FRACTIONS)
        if sum(v is not None for v in key) >= 2:
            seen.setdefault(key, []).append(variant)
    for same in seen.values():
        if len(same) > 1:
            _warn(
                out,
                "identical_metrics",
                "identical metrics for "
                + ", ".join(same)
                + ": copied values, or the same model evaluated twice",
                "summary_metrics",
            )
    for variant, entry in deflation.items():
        percent = entry.get("percent")
        if percent is not None and not 0.0 <= percent <= 100.0:
            _warn(
                out,
                "out_of_range",
                f"{variant}: deflation {percent:g} % is outside 0..100 %",
                "deflation",
                variant,
            )
        size = entry.get("size_bytes")
        if size is not None and not 1000 <= size <= 2_000_000_000:
            _warn(
                out,
                "out_of_range",
                f"{variant}: compressed size {size} bytes is not plausible",
                "deflation",
                variant,
            )
    for family in variants.families:
        points = [
            (v, deflation[name]["percent"])
            for v, name in zip(family.values, family.names(), strict=True)
            if name in deflation and deflation[name].get("percent") is not None
        ]
        pairs = list(zip(points, points[1:], strict=False))
        if family.deflation_trend == "falling":
            wrong = [(a, b) for a, b in pairs if b[1] > a[1] + 1.0]
            expect = "fall as the value grows (more clusters compress worse)"
        elif family.deflation_trend == "rising":
            wrong = [(a, b) for a, b in pairs if b[1] < a[1] - 1.0]
            expect = "rise as the value grows (more zeros compress better)"
        else:
            wrong = []
        if wrong:
            steps = ", ".join(
                f"{a[1]:g} % ({a[0]:g}) -> {b[1]:g} % ({b[0]:g})" for a, b in wrong
            )
            _warn(
                out,
                "deflation_trend",
                f"{family.name}: deflation should {expect}, but goes {steps}",
                "deflation",
            )
    for variant, band in (data.get("deflation_bands") or {}).items():
        percent = (deflation.get(variant) or {}).get("percent")
        if percent is None:
            continue
        low, high = band.get("min"), band.get("max")
        if low is not None and percent < low:
            _warn(
                out,
                "deflation_band",
                f"{variant}: deflation {percent:g} % is far below "
                f"the {band.get('measured', low):g} % measured for a stripped model "
                f"(plausible from {low:g} %): probably not stripped, or not "
                "compressed as asked",
                "deflation",
                variant,
            )
        elif high is not None and percent > high:
            _warn(
                out,
                "deflation_band",
                f"{variant}: deflation {percent:g} % is far above "
                f"the {band.get('measured', high):g} % measured",
                "deflation",
                variant,
            )
    reference = data.get("baseline_size_bytes")
    tolerance = float(data.get("size_tolerance", 0.25))
    if reference:
        for variant, entry in deflation.items():
            percent, size = entry.get("percent"), entry.get("size_bytes")
            if percent is None or size is None or not 0 <= percent < 100:
                continue
            original = size / (1.0 - percent / 100.0)
            if abs(original / reference - 1.0) > tolerance:
                _warn(
                    out,
                    "size_vs_deflation",
                    f"{variant}: {size} bytes at {percent:g} % "
                    f"deflation means a {original / 1e6:.1f} MB model, but the FP32 "
                    f"TFLite model is about {reference / 1e6:.1f} MB: size, unit or "
                    "percentage is off",
                    "deflation",
                    variant,
                )
    size = data.get("test_set_size")
    if size and metrics:
        accuracies = [v.get("accuracy") for v in metrics.values()]
        precise = [
            a for a in accuracies if a is not None and round(a, 6) != round(a, 4)
        ]
        full = [a for a in precise if abs(a * size - round(a * size)) < 1e-6 * size]
        mentioned = any(word in text for word in data.get("fraction_words", []))
        counted = [
            v.get("samples") for v in metrics.values() if v.get("samples") is not None
        ]
        if counted and min(counted) < size and not mentioned:
            _warn(
                out,
                "fraction_not_mentioned",
                f"the metrics were computed on {min(counted):g} test images of {size}, "
                "so a reduced --test-dataset-fraction was used, and the summary does "
                "not say so",
                "summary_metrics",
            )
            return out
        if precise and not full and not mentioned:
            _warn(
                out,
                "fraction_not_mentioned",
                f"no accuracy is a whole number of the "
                f"{size} test images, so a reduced --test-dataset-fraction was "
                "probably "
                "used, and the summary does not say so",
                "summary_metrics",
            )
    return out
